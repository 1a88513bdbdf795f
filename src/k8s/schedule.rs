//! The patch release schedule, kubernetes/website `data/releases/schedule.yaml`: a lenient parser into typed branches, planned patches and upcoming release dates.
//!
//! The file is hand-edited as well as generated, so fields are read forgivingly (see
//! [`super::lenient`]: `release: 1.30` stays `1.30`, dates quoted or not, `""`/`N/A`/garbage
//! dates become `None` for that field only, unknown keys skipped). The file as a whole must be
//! plausible, though: a `schedules` list of mappings that each name a minor once. The one shape
//! the text-preserving pass cannot skip is a `release` holding a list or mapping; for that the
//! file is re-read through `Value`, where a `release` YAML typed as a number is dropped rather
//! than misread.

use chrono::NaiveDate;
use serde::Deserialize;
use serde_yaml_ng::Value;

use super::{
    lenient::{AnyText, Lenient, LenientList, ReleaseText},
    version::{Minor, PatchVersion},
};

/// The parsed patch release schedule.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schedule {
    /// One entry per supported minor (`schedules:`), in file order.
    pub branches: Vec<ScheduleBranch>,
    /// The next few release dates for all branches (`upcoming_releases:`); `release` is
    /// normally `None` there.
    pub upcoming: Vec<PlannedPatch>,
}

impl Schedule {
    /// The entry for `minor`, if the file lists it (the first one if it is listed twice).
    pub fn branch(&self, minor: Minor) -> Option<&ScheduleBranch> {
        self.branches.iter().find(|b| b.minor == minor)
    }
}

/// One minor's block of `schedules:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleBranch {
    /// The minor (`release: "1.31"`).
    pub minor: Minor,
    /// `releaseDate`: when `X.Y.0` shipped.
    pub release_date: Option<NaiveDate>,
    /// `maintenanceModeStartDate`.
    pub maintenance_mode_start: Option<NaiveDate>,
    /// `endOfLifeDate`.
    pub end_of_life: Option<NaiveDate>,
    /// `next`: the next planned patch (may be stale: already released, or its date passed).
    pub next: Option<PlannedPatch>,
    /// `previousPatches`, in file order (newest first in real files).
    pub previous: Vec<PlannedPatch>,
}

/// A planned or past patch release (`next`, `previousPatches[]`, `upcoming_releases[]`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlannedPatch {
    /// `release`, e.g. `1.31.2`; `None` when absent or not a plain `X.Y.Z`.
    pub release: Option<PatchVersion>,
    /// `cherryPickDeadline`; `None` when absent, `""`, `N/A` or not a date. Taken as written
    /// (real files contain a deadline a year before its target).
    pub cherry_pick_deadline: Option<NaiveDate>,
    /// `targetDate`.
    pub target_date: Option<NaiveDate>,
    /// `note`: free text, may contain markdown links; `None` when absent or blank.
    pub note: Option<String>,
    /// `release: Not Planned`: the file says no further patch is planned.
    pub not_planned: bool,
}

/// Why a schedule document could not be used at all.
#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    /// The document is not valid YAML.
    #[error("schedule is not valid YAML: {0}")]
    Yaml(#[from] serde_yaml_ng::Error),
    /// The document is YAML but has no `schedules` list.
    #[error("schedule has no `schedules` list")]
    NoSchedules,
    /// A well-formed document that cannot be a real schedule (cut short, garbage entries).
    #[error("schedule is implausible: {0}")]
    Implausible(String),
}

/// Parses the text of `schedule.yaml`. See the module docs for what is tolerated.
///
/// Fields are read leniently, but the file as a whole must be plausible: at least one minor,
/// every `schedules` entry a mapping with a `release: X.Y` (schedule-builder writes `release`
/// last in each block, so a file cut short ends in a block without one), and no minor twice.
pub fn parse_schedule(yaml: &str) -> Result<Schedule, ScheduleError> {
    let (branches, upcoming) = match serde_yaml_ng::from_str::<RawFile>(yaml) {
        Ok(raw) => {
            let Some(branches) = raw.schedules.0 else {
                return Err(ScheduleError::NoSchedules);
            };
            (branches, raw.upcoming_releases.items())
        }
        // Not YAML at all, a non-mapping document, or a `release` holding a list/mapping:
        // re-read through `Value` to tell these apart.
        Err(_) => parse_via_value(yaml)?,
    };
    build(branches, upcoming)
}

/// Parses `2024-10-15` (surrounding whitespace allowed); anything else is `None`.
pub(super) fn parse_date(text: Option<&str>) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text?.trim(), "%Y-%m-%d").ok()
}

/// A patch's fields as text, before interpretation.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawPatch {
    release: ReleaseText,
    #[serde(rename = "cherryPickDeadline")]
    cherry_pick_deadline: AnyText,
    #[serde(rename = "targetDate")]
    target_date: AnyText,
    note: AnyText,
}

impl RawPatch {
    fn build(self) -> PlannedPatch {
        PlannedPatch {
            not_planned: self
                .release
                .0
                .as_deref()
                .is_some_and(|text| text.trim().eq_ignore_ascii_case("not planned")),
            release: self.release.0.as_deref().and_then(PatchVersion::parse_tag),
            cherry_pick_deadline: parse_date(self.cherry_pick_deadline.0.as_deref()),
            target_date: parse_date(self.target_date.0.as_deref()),
            note: self
                .note
                .0
                .map(|n| n.trim().to_owned())
                .filter(|n| !n.is_empty()),
        }
    }
}

/// A branch block's fields as text, before interpretation.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawBranch {
    release: ReleaseText,
    #[serde(rename = "releaseDate")]
    release_date: AnyText,
    #[serde(rename = "maintenanceModeStartDate")]
    maintenance_mode_start: AnyText,
    #[serde(rename = "endOfLifeDate")]
    end_of_life: AnyText,
    next: Lenient<RawPatch>,
    #[serde(rename = "previousPatches")]
    previous: LenientList<RawPatch>,
}

impl RawBranch {
    /// `None` when `release` is not a minor `X.Y`: such a block cannot be attributed.
    fn build(self) -> Option<ScheduleBranch> {
        Some(ScheduleBranch {
            minor: Minor::parse(self.release.0.as_deref()?)?,
            release_date: parse_date(self.release_date.0.as_deref()),
            maintenance_mode_start: parse_date(self.maintenance_mode_start.0.as_deref()),
            end_of_life: parse_date(self.end_of_life.0.as_deref()),
            next: self.next.0.map(RawPatch::build),
            previous: self
                .previous
                .items()
                .into_iter()
                .map(RawPatch::build)
                .collect(),
        })
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawFile {
    schedules: LenientList<RawBranch>,
    upcoming_releases: LenientList<RawPatch>,
}

fn build(
    branches: Vec<Option<RawBranch>>,
    upcoming: Vec<RawPatch>,
) -> Result<Schedule, ScheduleError> {
    let implausible = |message: String| Err(ScheduleError::Implausible(message));
    if branches.is_empty() {
        return implausible("`schedules` lists no minor".to_string());
    }
    let mut built: Vec<ScheduleBranch> = Vec::with_capacity(branches.len());
    for (index, raw) in branches.into_iter().enumerate() {
        let Some(branch) = raw.and_then(RawBranch::build) else {
            return implausible(format!(
                "schedules[{index}] has no `release: X.Y` (a file cut short, or not a schedule)"
            ));
        };
        if built.iter().any(|b| b.minor == branch.minor) {
            return implausible(format!("minor {} is listed twice", branch.minor));
        }
        built.push(branch);
    }
    Ok(Schedule {
        branches: built,
        upcoming: upcoming.into_iter().map(RawPatch::build).collect(),
    })
}

/// Fallback reader through `serde_yaml_ng::Value`, used when the text-preserving pass
/// failed: tells "not YAML" from "no `schedules` list", and otherwise degrades gracefully.
fn parse_via_value(yaml: &str) -> Result<(Vec<Option<RawBranch>>, Vec<RawPatch>), ScheduleError> {
    let doc: Value = serde_yaml_ng::from_str(yaml)?;
    let Some(Value::Sequence(entries)) = doc.get("schedules") else {
        return Err(ScheduleError::NoSchedules);
    };
    let branches = entries
        .iter()
        .map(|e| e.is_mapping().then_some(e))
        .map(|e| {
            e.map(|e| RawBranch {
                release: ReleaseText(release_text(e)),
                release_date: AnyText(value_text(e.get("releaseDate"))),
                maintenance_mode_start: AnyText(value_text(e.get("maintenanceModeStartDate"))),
                end_of_life: AnyText(value_text(e.get("endOfLifeDate"))),
                next: Lenient(e.get("next").filter(|n| n.is_mapping()).map(value_patch)),
                previous: LenientList(Some(
                    value_patches(e.get("previousPatches"))
                        .into_iter()
                        .map(Some)
                        .collect(),
                )),
            })
        })
        .collect();
    Ok((branches, value_patches(doc.get("upcoming_releases"))))
}

/// A `release` from a `Value`: only a YAML string is trusted, since a number may already
/// have lost digits (`1.30` → `1.3`).
fn release_text(v: &Value) -> Option<String> {
    match v.get("release") {
        Some(Value::String(s)) => Some(s.clone()),
        _ => None,
    }
}

fn value_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn value_patch(v: &Value) -> RawPatch {
    RawPatch {
        release: ReleaseText(release_text(v)),
        cherry_pick_deadline: AnyText(value_text(v.get("cherryPickDeadline"))),
        target_date: AnyText(value_text(v.get("targetDate"))),
        note: AnyText(value_text(v.get("note"))),
    }
}

fn value_patches(v: Option<&Value>) -> Vec<RawPatch> {
    match v {
        Some(Value::Sequence(items)) => items
            .iter()
            .filter(|i| i.is_mapping())
            .map(value_patch)
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn v(minor: u64, patch: u64) -> PatchVersion {
        PatchVersion::new(1, minor, patch)
    }

    fn m(minor: u64) -> Minor {
        Minor::new(1, minor)
    }

    /// kubernetes/website `data/releases/schedule.yaml` as of Oct 2024 (`28d3e131`), after
    /// the excerpt in reference/github-and-prow.md §5.2. The elided rows are filled in from
    /// the excerpt's summaries and §5.3; the 1.28 block keeps the real oddities (CVE note,
    /// `N/A` deadline, `2023-01-12` deadline for 1.28.6).
    const SCHEDULE_2024_10: &str = include_str!("../../tests/fixtures/schedule-2024-10.yaml");

    /// A realistic file as of early September 2026 (1.34–1.37), dates from
    /// reference/landscape.md §5.2; 1.34.9–1.34.12 and the deadlines are extrapolated.
    const SCHEDULE_2026_09: &str = include_str!("../../tests/fixtures/schedule-2026-09.yaml");

    #[test]
    fn parses_real_2024_file() {
        let s = parse_schedule(SCHEDULE_2024_10).unwrap();
        let minors: Vec<Minor> = s.branches.iter().map(|b| b.minor).collect();
        assert_eq!(minors, [m(31), m(30), m(29), m(28)]);

        let b31 = s.branch(m(31)).unwrap();
        assert_eq!(b31.release_date, Some(d(2024, 8, 13)));
        assert_eq!(b31.maintenance_mode_start, Some(d(2025, 8, 28)));
        assert_eq!(b31.end_of_life, Some(d(2025, 10, 28)));
        assert_eq!(
            b31.next,
            Some(PlannedPatch {
                release: Some(v(31, 2)),
                cherry_pick_deadline: Some(d(2024, 10, 11)),
                target_date: Some(d(2024, 10, 15)),
                note: None,
                not_planned: false,
            })
        );
        assert_eq!(b31.previous.len(), 1);
        assert_eq!(b31.previous[0].release, Some(v(31, 1)));

        let b30 = s.branch(m(30)).unwrap();
        let next30 = b30.next.as_ref().unwrap();
        assert_eq!(next30.release, Some(v(30, 6)));
        assert_eq!(next30.target_date, Some(d(2024, 10, 15)));
        assert_eq!(b30.previous.last().unwrap().release, Some(v(30, 0)));
        assert_eq!(b30.previous.last().unwrap().cherry_pick_deadline, None);

        let b29 = s.branch(m(29)).unwrap();
        assert_eq!(b29.end_of_life, Some(d(2025, 2, 28)));
        assert_eq!(b29.next.as_ref().unwrap().release, Some(v(29, 10)));
        assert_eq!(b29.previous.len(), 10);
        assert_eq!(
            b29.previous.last().unwrap().cherry_pick_deadline,
            None,
            "x.0 row"
        );

        let upcoming: Vec<_> = s.upcoming.iter().map(|p| p.target_date).collect();
        assert_eq!(
            upcoming,
            [
                Some(d(2024, 10, 15)),
                Some(d(2024, 11, 12)),
                Some(d(2024, 12, 10))
            ]
        );
        assert!(s.upcoming.iter().all(|p| p.release.is_none()));
        assert_eq!(s.upcoming[1].cherry_pick_deadline, Some(d(2024, 11, 8)));
    }

    const SCHEDULE_2023_07: &str = include_str!("../../tests/fixtures/schedule-2023-07.yaml");

    #[test]
    fn parses_the_real_hand_edited_2023_file() {
        let s = parse_schedule(SCHEDULE_2023_07).unwrap();
        let minors: Vec<Minor> = s.branches.iter().map(|b| b.minor).collect();
        assert_eq!(minors, [m(27), m(26), m(25), m(24)]);
        let b27 = s.branch(m(27)).unwrap();
        // The real file's wrong year is kept as written.
        assert_eq!(b27.release_date, Some(d(2024, 4, 11)));
        assert_eq!(b27.next.as_ref().unwrap().release, Some(v(27, 4)));
        assert_eq!(b27.next.as_ref().unwrap().target_date, Some(d(2023, 7, 19)));
        let p1 = &b27.previous[2];
        assert_eq!(p1.release, Some(v(27, 1)));
        assert_eq!(p1.cherry_pick_deadline, None, "empty string");
        assert!(p1.note.as_deref().unwrap().starts_with("[Regression]"));
        assert_eq!(s.branch(m(24)).unwrap().previous.len(), 16);
        assert!(s.upcoming.is_empty());
    }

    #[test]
    fn real_1_28_oddities() {
        let s = parse_schedule(SCHEDULE_2024_10).unwrap();
        let b28 = s.branch(m(28)).unwrap();
        let find = |patch| {
            b28.previous
                .iter()
                .find(|p| p.release == Some(v(28, patch)))
                .unwrap()
        };
        // Typo-like year kept verbatim: the deadline is a year before the target.
        let p6 = find(6);
        assert_eq!(p6.cherry_pick_deadline, Some(d(2023, 1, 12)));
        assert_eq!(p6.target_date, Some(d(2024, 1, 17)));
        // Out-of-band CVE release: markdown note, no deadline at all.
        let p4 = find(4);
        assert_eq!(p4.cherry_pick_deadline, None);
        assert_eq!(p4.target_date, Some(d(2023, 11, 14)));
        assert_eq!(
            p4.note.as_deref(),
            Some(
                "Out of band release to fix [CVE-2023-5528](https://groups.google.com/g/kubernetes-announce/c/c3py6Fw0DTI/m/cScFSdk1BwAJ)"
            )
        );
        // `N/A` deadline.
        let p1 = find(1);
        assert_eq!(p1.cherry_pick_deadline, None);
        assert_eq!(
            p1.note.as_deref(),
            Some("Unplanned release to include CVE fixes")
        );
        assert_eq!(p1.target_date, Some(d(2023, 8, 23)));
    }

    #[test]
    fn parses_2026_file() {
        let s = parse_schedule(SCHEDULE_2026_09).unwrap();
        let minors: Vec<Minor> = s.branches.iter().map(|b| b.minor).collect();
        assert_eq!(minors, [m(37), m(36), m(35), m(34)]);
        let b37 = s.branch(m(37)).unwrap();
        assert_eq!(b37.release_date, Some(d(2026, 8, 26)));
        assert_eq!(b37.next.as_ref().unwrap().release, Some(v(37, 1)));
        assert_eq!(b37.next.as_ref().unwrap().target_date, Some(d(2026, 9, 15)));
        let b36 = s.branch(m(36)).unwrap();
        assert_eq!(b36.previous[0].release, Some(v(36, 4)));
        assert_eq!(b36.previous[0].target_date, Some(d(2026, 8, 11)));
        let b35 = s.branch(m(35)).unwrap();
        assert_eq!(b35.next.as_ref().unwrap().release, Some(v(35, 9)));
        assert_eq!(b35.end_of_life, Some(d(2027, 2, 28)));
        let b34 = s.branch(m(34)).unwrap();
        assert_eq!(b34.maintenance_mode_start, Some(d(2026, 8, 28)));
        assert_eq!(b34.end_of_life, Some(d(2026, 10, 28)));
        assert_eq!(s.upcoming.len(), 3);
        assert_eq!(s.upcoming[0].target_date, Some(d(2026, 9, 15)));
    }

    #[test]
    fn unquoted_minor_keeps_trailing_zero() {
        let yaml = "schedules:\n- release: 1.30\n- release: 1.20\n- release: 1.10\n- release: 1.3\n- release: \"1.31\"\n- release: '1.40'\n";
        let s = parse_schedule(yaml).unwrap();
        let minors: Vec<Minor> = s.branches.iter().map(|b| b.minor).collect();
        assert_eq!(minors, [m(30), m(20), m(10), m(3), m(31), m(40)]);
        // Proof of the mechanism, not just of the result: deserialize_any would say 1.3.
        let any: Value = serde_yaml_ng::from_str("release: 1.30").unwrap();
        assert_eq!(value_text(any.get("release")).as_deref(), Some("1.3"));
    }

    #[test]
    fn unquoted_dates_old_hand_edited_style() {
        let yaml = "\
schedules:
- release: 1.27
  releaseDate: 2023-04-11
  maintenanceModeStartDate: 2024-04-28
  endOfLifeDate: 2024-06-28
  next:
    release: 1.27.4
    cherryPickDeadline: 2023-07-14
    targetDate: 2023-07-19
  previousPatches:
  - release: 1.27.3
    cherryPickDeadline: \"\"
    targetDate: 2023-06-14
";
        let s = parse_schedule(yaml).unwrap();
        let b = &s.branches[0];
        assert_eq!(b.minor, m(27));
        assert_eq!(b.release_date, Some(d(2023, 4, 11)));
        assert_eq!(b.end_of_life, Some(d(2024, 6, 28)));
        let next = b.next.as_ref().unwrap();
        assert_eq!(next.cherry_pick_deadline, Some(d(2023, 7, 14)));
        assert_eq!(next.target_date, Some(d(2023, 7, 19)));
        assert_eq!(b.previous[0].cherry_pick_deadline, None, "empty string");
        assert_eq!(b.previous[0].target_date, Some(d(2023, 6, 14)));
        assert!(s.upcoming.is_empty(), "upcoming_releases absent");
    }

    /// Every field in the wrong shape or format, in a structurally valid file.
    const BAD_FIELDS: &str = "\
schedules:
- release: \"1.31\"
  releaseDate: TBD
  endOfLifeDate: 2025-02-30
  maintenanceModeStartDate: [2025, 8, 28]
  someNewKey: {nested: true}
  next:
    release: 1.31.2-rc.0
    cherryPickDeadline: N/A
    targetDate: 20241015
    note: [a markdown link]
    owner: someone
  previousPatches:
  - just a string
  - release: v1.31.1
    cherryPickDeadline: \" 2024-09-06 \"
    targetDate: ~
    note: \"   \"
  - 42
upcoming_releases: not a list
";

    #[test]
    fn bad_fields_degrade_to_none() {
        let yaml = BAD_FIELDS;
        // Handled by the text-preserving pass itself, not by the fallback.
        assert!(serde_yaml_ng::from_str::<RawFile>(yaml).is_ok());
        let s = parse_schedule(yaml).unwrap();
        assert_eq!(s.branches.len(), 1);
        let b = &s.branches[0];
        assert_eq!(b.release_date, None);
        assert_eq!(b.end_of_life, None, "Feb 30");
        assert_eq!(b.maintenance_mode_start, None);
        assert_eq!(
            b.next,
            Some(PlannedPatch {
                release: None,
                cherry_pick_deadline: None,
                target_date: None,
                note: None,
                not_planned: false,
            })
        );
        assert_eq!(
            b.previous,
            [PlannedPatch {
                release: Some(v(31, 1)),
                cherry_pick_deadline: Some(d(2024, 9, 6)),
                target_date: None,
                note: None,
                not_planned: false,
            }]
        );
        assert!(s.upcoming.is_empty());
    }

    #[test]
    fn next_absent_or_not_a_mapping() {
        let s = parse_schedule("schedules:\n- release: \"1.31\"\n").unwrap();
        assert_eq!(s.branches[0].next, None);
        assert!(s.branches[0].previous.is_empty());
        let s =
            parse_schedule("schedules:\n- release: \"1.31\"\n  next: N/A\n  previousPatches:\n")
                .unwrap();
        assert_eq!(s.branches[0].next, None);
        assert!(s.branches[0].previous.is_empty());
    }

    #[test]
    fn note_with_markdown_and_colons() {
        let yaml = "\
schedules:
- release: \"1.32\"
  next:
    release: 1.32.13
    targetDate: \"2026-02-26\"
    note: 'Out of band: Go CVEs, see [announce](https://groups.google.com/g/kubernetes-announce/c/x) - no other changes'
";
        let s = parse_schedule(yaml).unwrap();
        assert_eq!(
            s.branches[0].next.as_ref().unwrap().note.as_deref(),
            Some(
                "Out of band: Go CVEs, see [announce](https://groups.google.com/g/kubernetes-announce/c/x) - no other changes"
            )
        );
    }

    #[test]
    fn a_block_without_a_minor_makes_the_whole_file_implausible() {
        // schedule-builder writes `release` last in each block: a file cut short inside its
        // last block is still YAML, and that block has no `release`.
        for bad in [
            "schedules:\n- release: \"1.31\"\n- endOfLifeDate: \"2025-06-28\"\n  maintenanceModeStartDate: \"2025-04-28\"\n",
            "schedules:\n- release: \"1.31\"\n- release: 1.31.0\n",
            "schedules:\n- release: \"1.31\"\n- not a mapping\n",
            "schedules:\n- release: [1, 31]\n  endOfLifeDate: \"2025-10-28\"\n- release: \"1.30\"\n",
            "schedules:\n- release: \"1.31\"\n- release: \"1.31\"\n",
        ] {
            assert!(
                matches!(parse_schedule(bad), Err(ScheduleError::Implausible(_))),
                "{bad:?}"
            );
        }
        let half = &SCHEDULE_2024_10[..SCHEDULE_2024_10.find("release: \"1.30\"").unwrap()];
        assert!(
            parse_schedule(half).is_err(),
            "the real file cut inside its 1.30 block"
        );
    }

    #[test]
    fn release_holding_a_collection_falls_back_without_failing() {
        let yaml = "\
schedules:
- release: \"1.30\"
  endOfLifeDate: \"2025-06-28\"
  next:
    release: {major: 1}
    targetDate: \"2024-10-15\"
upcoming_releases:
- cherryPickDeadline: \"2024-10-11\"
  targetDate: \"2024-10-15\"
";
        let s = parse_schedule(yaml).unwrap();
        let minors: Vec<Minor> = s.branches.iter().map(|b| b.minor).collect();
        assert_eq!(minors, [m(30)]);
        let next = s.branches[0].next.as_ref().unwrap();
        assert_eq!(next.release, None);
        assert_eq!(next.target_date, Some(d(2024, 10, 15)));
        assert_eq!(s.branches[0].end_of_life, Some(d(2025, 6, 28)));
        assert_eq!(s.upcoming.len(), 1);
    }

    #[test]
    fn errors_only_for_non_yaml_or_missing_schedules() {
        for bad in [
            "schedules: [unclosed",
            "{{{",
            "\tschedules:\n\t- x",
            "",
            "just text",
            "- a\n- list\n",
            "upcoming_releases: []\n",
            "schedules:\n",
            "schedules: 3\n",
            "schedules: {release: \"1.31\"}\n",
            "schedules: \"1.31\"\n",
            "schedules: []\n",
        ] {
            assert!(parse_schedule(bad).is_err(), "{bad:?}");
        }
        assert!(matches!(
            parse_schedule("upcoming_releases: []\n"),
            Err(ScheduleError::NoSchedules)
        ));
        assert!(matches!(
            parse_schedule("schedules: [unclosed"),
            Err(ScheduleError::Yaml(_))
        ));
    }

    #[test]
    fn aliases_are_followed() {
        let yaml = "\
upcoming_releases:
- &oct
  cherryPickDeadline: \"2024-10-11\"
  targetDate: \"2024-10-15\"
schedules:
- release: \"1.31\"
  next: *oct
";
        let s = parse_schedule(yaml).unwrap();
        let next = s.branches[0].next.as_ref().unwrap();
        assert_eq!(next.target_date, Some(d(2024, 10, 15)));
        assert_eq!(s.upcoming[0].cherry_pick_deadline, Some(d(2024, 10, 11)));
    }
}

#[cfg(test)]
mod alias_bomb {
    use super::*;

    /// "Billion laughs": nine levels of nine aliases expand to 9^9 scalars.
    fn bomb(top_key: &str) -> String {
        let mut yaml = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        for level in b'b'..=b'i' {
            let prev = (level - 1) as char;
            let name = level as char;
            yaml.push_str(&format!(
                "{name}: &{name} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
            ));
        }
        yaml.push_str(&format!("{top_key}: *i\n"));
        yaml
    }

    #[test]
    fn an_alias_bomb_is_refused_not_expanded() {
        for key in ["schedules", "upcoming_releases", "unknown"] {
            let text = bomb(key);
            assert!(parse_schedule(&text).is_err(), "{key}");
        }
        let text = bomb("branches");
        assert!(super::super::eol::parse_eol(&text).is_err());
    }
}
