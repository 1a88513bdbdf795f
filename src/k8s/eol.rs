//! kubernetes/website `data/releases/eol.yaml`: the minors that are retired, with the date
//! support actually ended and their final patch. A minor listed here is no longer watched;
//! one past the schedule's planned end of life but not listed here still is (its final patch
//! may still be in preparation: 1.31 was planned to end on 2025-10-28, its final patch
//! 1.31.14 shipped on 2025-11-11).
//!
//! Read as leniently as `schedule.yaml` (`release: 1.20` stays `1.20`), but the file as a
//! whole must be plausible: a `branches` list whose every entry names a minor once.

use chrono::NaiveDate;
use serde::Deserialize;

use super::version::{Minor, PatchVersion};
use super::{
    lenient::{AnyText, LenientList, ReleaseText},
    schedule::{Schedule, ScheduleError, parse_date},
};

/// The parsed end-of-life file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndOfLife {
    /// Every retired minor, in file order (newest first in real files).
    pub branches: Vec<RetiredMinor>,
}

/// One retired minor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetiredMinor {
    /// `release: "1.31"`.
    pub minor: Minor,
    /// `endOfLifeDate`: when support actually ended.
    pub end_of_life: Option<NaiveDate>,
    /// `finalPatchRelease` (not an upper bound: 1.29.15 shipped after a final 1.29.14).
    pub final_patch: Option<PatchVersion>,
}

impl EndOfLife {
    /// The entry of `minor`, when it is retired.
    pub fn retired(&self, minor: Minor) -> Option<&RetiredMinor> {
        self.branches.iter().find(|b| b.minor == minor)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawFile {
    branches: LenientList<RawRetired>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawRetired {
    release: ReleaseText,
    #[serde(rename = "endOfLifeDate")]
    end_of_life: AnyText,
    #[serde(rename = "finalPatchRelease")]
    final_patch: ReleaseText,
}

/// Parses the text of `eol.yaml`.
pub fn parse_eol(yaml: &str) -> Result<EndOfLife, ScheduleError> {
    let raw: RawFile = serde_yaml_ng::from_str(yaml)?;
    let implausible = |message: String| Err(ScheduleError::Implausible(message));
    let Some(entries) = raw.branches.0 else {
        return implausible("eol.yaml has no `branches` list".to_string());
    };
    if entries.is_empty() {
        return implausible("eol.yaml lists no retired minor".to_string());
    }
    let mut branches: Vec<RetiredMinor> = Vec::with_capacity(entries.len());
    for (index, entry) in entries.into_iter().enumerate() {
        let Some(entry) = entry else {
            return implausible(format!("eol.yaml branches[{index}] is not a mapping"));
        };
        let Some(minor) = entry.release.0.as_deref().and_then(Minor::parse) else {
            return implausible(format!("eol.yaml branches[{index}] has no `release: X.Y`"));
        };
        if branches.iter().any(|b| b.minor == minor) {
            return implausible(format!("eol.yaml lists {minor} twice"));
        }
        branches.push(RetiredMinor {
            minor,
            end_of_life: parse_date(entry.end_of_life.0.as_deref()),
            final_patch: entry
                .final_patch
                .0
                .as_deref()
                .and_then(PatchVersion::parse_tag),
        });
    }
    Ok(EndOfLife { branches })
}

/// Judges a newly fetched `schedule.yaml` against the last good one: a minor that vanishes
/// while its planned end of life is still ahead and `eol.yaml` does not retire it, or an
/// `upcoming_releases` list that vanishes, means the file was cut short (it is valid YAML all
/// the same). `Err` says why, for the status API.
pub fn check_schedule_successor(
    previous: &Schedule,
    next: &Schedule,
    eol: Option<&EndOfLife>,
    today: NaiveDate,
) -> Result<(), String> {
    for old in &previous.branches {
        let gone = next.branch(old.minor).is_none();
        let retired = eol.is_some_and(|eol| eol.retired(old.minor).is_some());
        let still_planned = old.end_of_life.is_none_or(|eol| eol > today);
        if gone && !retired && still_planned {
            return Err(format!(
                "schedule.yaml no longer lists {} although its end of life ({}) is ahead and \
                 eol.yaml does not retire it: the file looks cut short",
                old.minor,
                old.end_of_life
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "not set".to_string())
            ));
        }
    }
    if !previous.upcoming.is_empty() && next.upcoming.is_empty() {
        return Err(
            "schedule.yaml lost its upcoming_releases list: the file looks cut short".to_string(),
        );
    }
    Ok(())
}

/// Judges a newly fetched `eol.yaml` against the last good one: a retired minor never comes
/// back, so one that vanishes means the file was cut short.
pub fn check_eol_successor(previous: &EndOfLife, next: &EndOfLife) -> Result<(), String> {
    match previous
        .branches
        .iter()
        .find(|old| next.retired(old.minor).is_none())
    {
        Some(old) => Err(format!(
            "eol.yaml no longer lists {} (a retired minor never comes back): the file looks cut short",
            old.minor
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// kubernetes/website `data/releases/eol.yaml` at `0637786b` (late 2025), first entries.
    const EOL_2025_11: &str = include_str!("../../tests/fixtures/eol-2025-11.yaml");

    #[test]
    fn parses_the_real_file() {
        let eol = parse_eol(EOL_2025_11).unwrap();
        assert_eq!(eol.branches.len(), 30);
        let v131 = eol.retired(Minor::new(1, 31)).unwrap();
        assert_eq!(v131.end_of_life, NaiveDate::from_ymd_opt(2025, 11, 11));
        assert_eq!(v131.final_patch, Some(PatchVersion::new(1, 31, 14)));
        assert!(eol.retired(Minor::new(1, 32)).is_none());
        // `release: "1.20"` and `"1.10"` keep their trailing zero.
        assert!(eol.retired(Minor::new(1, 20)).is_some());
        assert!(eol.retired(Minor::new(1, 10)).is_some());
        assert!(eol.retired(Minor::new(1, 2)).is_some());
    }

    #[test]
    fn unquoted_minors_of_hand_edited_files_keep_their_digits() {
        let eol = parse_eol(
            "branches:\n- release: 1.20\n  finalPatchRelease: 1.20.15\n  endOfLifeDate: 2022-02-28\n",
        )
        .unwrap();
        assert_eq!(eol.branches[0].minor, Minor::new(1, 20));
        assert_eq!(
            eol.branches[0].end_of_life,
            NaiveDate::from_ymd_opt(2022, 2, 28)
        );
    }

    const SCHEDULE_2024_10: &str = include_str!("../../tests/fixtures/schedule-2024-10.yaml");

    /// The real 2024-10 file cut after its first block: still valid YAML.
    fn cut_after_the_first_minor() -> String {
        let blocks: Vec<&str> = SCHEDULE_2024_10.split("\n- endOfLifeDate").collect();
        format!("{}\n- endOfLifeDate{}", blocks[0], blocks[1])
    }

    #[test]
    fn a_schedule_cut_between_blocks_is_caught_against_the_last_good_one() {
        use super::super::schedule::parse_schedule;
        let good = parse_schedule(SCHEDULE_2024_10).unwrap();
        let today = NaiveDate::from_ymd_opt(2024, 10, 1).unwrap();
        let cut = parse_schedule(&cut_after_the_first_minor()).expect("still valid YAML");
        assert_eq!(cut.branches.len(), 1);
        let error = check_schedule_successor(&good, &cut, None, today).unwrap_err();
        assert!(error.contains("1.30"), "{error}");
        // The same file again is fine; so is a minor leaving once eol.yaml retires it.
        assert_eq!(check_schedule_successor(&good, &good, None, today), Ok(()));
        let mut without_128 = good.clone();
        without_128
            .branches
            .retain(|b| b.minor != Minor::new(1, 28));
        let eol =
            parse_eol("branches:\n- release: \"1.28\"\n  endOfLifeDate: \"2024-10-22\"\n").unwrap();
        assert!(check_schedule_successor(&good, &without_128, None, today).is_err());
        assert_eq!(
            check_schedule_successor(&good, &without_128, Some(&eol), today),
            Ok(())
        );
        // ... or once its planned end of life has passed.
        let later = NaiveDate::from_ymd_opt(2024, 11, 1).unwrap();
        assert_eq!(
            check_schedule_successor(&good, &without_128, None, later),
            Ok(())
        );
    }

    #[test]
    fn an_eol_list_that_loses_a_retired_minor_is_cut_short() {
        let good = parse_eol(EOL_2025_11).unwrap();
        // Header (6 lines), then the first four entries of three lines each.
        let cut: String = EOL_2025_11.lines().take(18).collect::<Vec<_>>().join("\n");
        let cut = parse_eol(&cut).expect("still valid YAML");
        assert!(check_eol_successor(&good, &cut).is_err());
        assert_eq!(check_eol_successor(&cut, &good), Ok(()));
    }

    #[test]
    fn a_file_that_cannot_be_the_end_of_life_list_is_rejected() {
        for bad in [
            "{}",
            "branches: []\n",
            "branches: 3\n",
            "foo: bar\n",
            "branches:\n- endOfLifeDate: \"2025-11-11\"\n  finalPatchRelease: 1.31.14\n",
            "branches:\n- release: \"1.31\"\n- release: \"1.31\"\n",
            "not: [valid",
        ] {
            assert!(parse_eol(bad).is_err(), "{bad:?}");
        }
    }
}
