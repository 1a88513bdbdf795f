//! Patch-release timing of a minor: its last published release (from GitHub releases), days since, the 2–4 week window, and the schedule's next target, cherry-pick freeze, missed target and end of life.
//!
//! Everything here is pure: `now` (unix seconds) is always a parameter. Dates from the
//! schedule are taken at 00:00 UTC.

use std::time::Duration;

use chrono::{NaiveDate, NaiveTime};

use super::eol::RetiredMinor;
use super::schedule::{PlannedPatch, ScheduleBranch};
use super::version::{Minor, PatchVersion};

const SECS_PER_DAY: i64 = 86_400;

/// A cherry-pick deadline further than this before its target date is a data-entry error
/// (real files carry `cherryPickDeadline: "2023-01-12"` for a 2024-01-17 target).
const MAX_DEADLINE_LEAD_DAYS: i64 = 31;

/// A published, non-draft, non-prerelease GitHub release with a plain `vX.Y.Z` tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublishedRelease {
    /// The release's tag.
    pub version: PatchVersion,
    /// When it was published (`published_at`, else `created_at`), unix seconds.
    pub published_at: i64,
}

/// Where the time since the last patch release falls against the release window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowState {
    /// Fewer whole days than the window's minimum.
    TooSoon,
    /// Between the minimum and the maximum, both inclusive.
    InWindow,
    /// More whole days than the window's maximum.
    Overdue,
}

impl WindowState {
    /// Every state, in metric-label order (for exporting 0 for the states not current).
    pub const ALL: [WindowState; 3] = [Self::TooSoon, Self::InWindow, Self::Overdue];

    /// The metric label value: `too_soon`, `in_window` or `overdue`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TooSoon => "too_soon",
            Self::InWindow => "in_window",
            Self::Overdue => "overdue",
        }
    }
}

/// The desired gap between two patch releases of a minor (`release_window.min`/`.max`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReleaseWindow {
    /// Below this many days a new release is too soon (default 14 days).
    pub min: Duration,
    /// Above this many days the next release is overdue (default 28 days).
    pub max: Duration,
}

impl Default for ReleaseWindow {
    fn default() -> Self {
        Self {
            min: Duration::from_secs(14 * 86_400),
            max: Duration::from_secs(28 * 86_400),
        }
    }
}

impl ReleaseWindow {
    /// Classifies a whole number of days. The bounds are truncated to whole days
    /// (`36h` counts as 1 day): `days < min` → too soon, `days <= max` → in window,
    /// else overdue.
    pub fn classify(&self, days: u64) -> WindowState {
        let day = SECS_PER_DAY.unsigned_abs();
        if days < self.min.as_secs() / day {
            WindowState::TooSoon
        } else if days <= self.max.as_secs() / day {
            WindowState::InWindow
        } else {
            WindowState::Overdue
        }
    }
}

/// The release-timing facts of one minor at one instant (see [`release_timing`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseTiming {
    /// The highest plain `vX.Y.Z` of the minor published at or before `now`, in semver order
    /// (not publish order); for two items with the same version, the earlier publish time.
    pub last_release: Option<PublishedRelease>,
    /// Whole days from `last_release` to `now`, rounded down.
    pub days_since_last_release: Option<u64>,
    /// `days_since_last_release` against the window. Still computed past end of life; the
    /// caller suppresses alerts using `retired`.
    pub window: Option<WindowState>,
    /// The next planned release and its target date (00:00 UTC).
    pub next_target: Option<(PatchVersion, i64)>,
    /// The cherry-pick deadline (00:00 UTC) for the release in `next_target`.
    pub cherry_pick_deadline: Option<(PatchVersion, i64)>,
    /// The cherry-pick freeze: the deadline has come and the target release is not out.
    pub freeze: bool,
    /// The target date has fully passed (a day after its 00:00 UTC) and no release at or
    /// above the target version exists.
    pub target_missed: bool,
    /// The branch's end of life (00:00 UTC): the actual date from `eol.yaml` once retired,
    /// else the schedule's planned date.
    pub end_of_life: Option<i64>,
    /// `eol.yaml` lists the minor: support has ended, callers do not alert on this branch.
    pub retired: bool,
    /// The minor's final patch, from `eol.yaml`.
    pub final_patch: Option<PatchVersion>,
    /// The schedule's planned end of life has passed but `eol.yaml` does not list the minor
    /// yet: its final patch may still be in preparation, so it stays watched and alerted on.
    pub past_planned_end_of_life: bool,
    /// Where `schedule.yaml` contradicts itself about this minor, in words for the release
    /// manager (the target above follows the rules of [`release_timing`] regardless).
    pub schedule_note: Option<String>,
    /// The freeze the last release ended (when the schedule gave it a cherry-pick deadline).
    pub ended_freeze: Option<EndedFreeze>,
}

/// Approvals taken off this long before a cherry-pick deadline count as the freeze's: release
/// managers start un-approving on the deadline's eve.
pub const FREEZE_LEAD_SECS: i64 = SECS_PER_DAY;

/// The cherry-pick freeze a release ended: from its deadline to its publication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndedFreeze {
    /// The release that ended it.
    pub release: PatchVersion,
    /// The cherry-pick deadline, unix seconds.
    pub from: i64,
    /// The release's publish time, unix seconds.
    pub until: i64,
}

impl EndedFreeze {
    /// Whether a label removal at `at` (unix seconds) was part of this freeze.
    pub fn covers(&self, at: i64) -> bool {
        at >= self.from.saturating_sub(FREEZE_LEAD_SECS) && at <= self.until
    }
}

/// The highest plain `vX.Y.Z` of `minor` published at or before `now`, in semver order (not
/// publish order); for two items with the same version, the earlier publish time.
pub fn last_release(
    minor: Minor,
    releases: &[PublishedRelease],
    now: i64,
) -> Option<PublishedRelease> {
    releases
        .iter()
        .filter(|r| r.version.minor() == minor && r.published_at <= now)
        .copied()
        .max_by(|a, b| {
            a.version
                .cmp(&b.version)
                .then(b.published_at.cmp(&a.published_at))
        })
}

/// The freeze `last` ended: the schedule's cherry-pick deadline for its version (in `next`,
/// `previousPatches` or `upcoming_releases`) up to its publication, when the deadline came first.
pub fn ended_freeze(
    last: PublishedRelease,
    branch: Option<&ScheduleBranch>,
    upcoming: &[PlannedPatch],
) -> Option<EndedFreeze> {
    let entries = branch
        .into_iter()
        .flat_map(|b| b.next.iter().chain(b.previous.iter()))
        .chain(upcoming.iter());
    let deadline = entries
        .filter(|p| p.release == Some(last.version))
        .find_map(|p| plausible_deadline(p.cherry_pick_deadline, p.target_date))
        .map(date_ts)?;
    (deadline < last.published_at).then_some(EndedFreeze {
        release: last.version,
        from: deadline,
        until: last.published_at,
    })
}

/// Unix seconds of `date` at 00:00 UTC.
fn date_ts(date: NaiveDate) -> i64 {
    date.and_time(NaiveTime::MIN).and_utc().timestamp()
}

/// 00:00 UTC of the day containing `ts`.
fn day_start(ts: i64) -> i64 {
    ts - ts.rem_euclid(SECS_PER_DAY)
}

/// Whole days from `from` to `to`, 0 if `to` is earlier.
fn whole_days(from: i64, to: i64) -> u64 {
    (to.saturating_sub(from).max(0) / SECS_PER_DAY).unsigned_abs()
}

/// The release the branch is heading for, with its schedule dates.
struct Target {
    version: PatchVersion,
    date: Option<NaiveDate>,
    deadline: Option<NaiveDate>,
}

/// Picks the pending release.
///
/// 1. The lowest patch the schedule plans for this minor (in `next` or already under
///    `previousPatches`: the file is often edited before the tag exists) that is newer than
///    GitHub's newest release of the minor. Without a target date of its own it takes the earliest usable
///    `upcoming_releases` date.
/// 2. `next: {release: Not Planned}` with nothing pending: no further patch is planned.
/// 3. Otherwise (`next` absent, unusable or already released) the earliest `upcoming_releases`
///    date that is today or later, after the last release's day, after the stale `next`'s
///    target and not after end of life, as "last release + 1".
fn pick_target(
    minor: Minor,
    last: Option<PublishedRelease>,
    branch: Option<&ScheduleBranch>,
    upcoming: &[PlannedPatch],
    now: i64,
) -> Option<Target> {
    let branch = branch?;
    let today = day_start(now);
    let eol = branch.end_of_life.map(date_ts);
    let last_day = last.map(|l| day_start(l.published_at));
    let earliest_upcoming = |floor: Option<i64>| {
        upcoming
            .iter()
            .filter_map(|p| Some((p, date_ts(p.target_date?))))
            .filter(|&(_, t)| {
                t >= today
                    && last_day.is_none_or(|day| t > day)
                    && floor.is_none_or(|floor| t > floor)
                    && eol.is_none_or(|e| t <= e)
            })
            .min_by_key(|&(_, t)| t)
            .map(|(p, _)| p)
    };

    // `previousPatches` count only against a known release: without one (GitHub not read yet,
    // or down) every past patch would look pending and late.
    let previous: &[PlannedPatch] = if last.is_some() {
        &branch.previous
    } else {
        &[]
    };
    let pending = branch
        .next
        .iter()
        .chain(previous)
        .filter_map(|p| Some((p, p.release?)))
        .filter(|(_, version)| {
            version.minor() == minor && last.is_none_or(|l| *version > l.version)
        })
        .min_by_key(|(_, version)| *version);
    if let Some((entry, version)) = pending {
        if entry.target_date.is_some() {
            return Some(Target {
                version,
                date: entry.target_date,
                deadline: entry.cherry_pick_deadline,
            });
        }
        return Some(match earliest_upcoming(None) {
            Some(date) => Target {
                version,
                date: date.target_date,
                deadline: date.cherry_pick_deadline,
            },
            None => Target {
                version,
                date: None,
                deadline: entry.cherry_pick_deadline,
            },
        });
    }
    if branch.next.as_ref().is_some_and(|next| next.not_planned) {
        return None;
    }
    // Already released: a `next` of this minor is stale and its cycle is over.
    let stale_floor = branch
        .next
        .as_ref()
        .filter(|next| next.release.is_some_and(|v| v.minor() == minor))
        .and_then(|next| next.target_date)
        .map(date_ts);
    let version = last?.version.next_patch()?;
    earliest_upcoming(stale_floor).map(|p| Target {
        version,
        date: p.target_date,
        deadline: p.cherry_pick_deadline,
    })
}

/// Where the minor's `next` and the file's own `upcoming_releases` disagree: a `next` whose
/// target has passed unreleased while every upcoming date lies ahead and none is its date (the
/// file was rolled forward without it), or a `next` of another minor.
fn schedule_contradiction(
    minor: Minor,
    last: Option<PublishedRelease>,
    branch: &ScheduleBranch,
    upcoming: &[PlannedPatch],
    now: i64,
) -> Option<String> {
    let next = branch.next.as_ref()?;
    let version = next.release?;
    if version.minor() != minor {
        return Some(format!(
            "schedule.yaml lists {version} as the next patch of {minor}; it is ignored"
        ));
    }
    let target = next.target_date?;
    let unreleased = last.is_none_or(|l| version > l.version);
    let passed = date_ts(target).saturating_add(SECS_PER_DAY) <= now;
    let upcoming_dates: Vec<NaiveDate> = upcoming.iter().filter_map(|p| p.target_date).collect();
    let rolled_on = !upcoming_dates.is_empty()
        && !upcoming_dates.contains(&target)
        && upcoming_dates.iter().all(|d| *d > target);
    (unreleased && passed && rolled_on).then(|| {
        format!(
            "schedule.yaml still lists {version} for {target} as next, but its upcoming_releases \
             start {}: the release slipped and the file was not updated",
            upcoming_dates
                .iter()
                .min()
                .map(|d| d.to_string())
                .unwrap_or_default()
        )
    })
}

/// A deadline is kept only if it is on or before the target and at most
/// [`MAX_DEADLINE_LEAD_DAYS`] before it (or if there is no target to check against).
fn plausible_deadline(deadline: Option<NaiveDate>, target: Option<NaiveDate>) -> Option<NaiveDate> {
    let deadline = deadline?;
    match target {
        Some(t) if deadline > t || (t - deadline).num_days() > MAX_DEADLINE_LEAD_DAYS => None,
        _ => Some(deadline),
    }
}

/// Computes the release timing of `minor` at `now` (unix seconds).
///
/// `releases` may hold any minors and any order (releases published after `now` are ignored,
/// which makes replays of a full history correct). `schedule` is the minor's block of
/// `schedule.yaml` (without it there is no target, deadline or end of life) and `upcoming`
/// the file's `upcoming_releases`. Rules:
/// - the next target is the schedule's `next` if its version is above the last release (a
///   passed target stays the target: that is a missed target, not a stale file); otherwise
///   the earliest usable `upcoming_releases` date as "last release + 1" (see `pick_target`);
/// - a cherry-pick deadline after its target or more than 31 days before it is ignored as a
///   data-entry error;
/// - a minor with no release yet has no last release, days or window.
pub fn release_timing(
    minor: Minor,
    releases: &[PublishedRelease],
    schedule: Option<&ScheduleBranch>,
    upcoming: &[PlannedPatch],
    retired: Option<&RetiredMinor>,
    window: &ReleaseWindow,
    now: i64,
) -> ReleaseTiming {
    let of_minor = || {
        releases
            .iter()
            .filter(move |r| r.version.minor() == minor && r.published_at <= now)
    };
    let last_release = last_release(minor, releases, now);
    let days_since_last_release = last_release.map(|r| whole_days(r.published_at, now));
    // A retired minor has no pending release: its final patch is out.
    let target = match retired {
        Some(_) => None,
        None => pick_target(minor, last_release, schedule, upcoming, now),
    };
    let released = |version: PatchVersion| of_minor().any(|r| r.version >= version);
    let planned_end_of_life = schedule.and_then(|b| b.end_of_life).map(date_ts);

    let mut timing = ReleaseTiming {
        last_release,
        days_since_last_release,
        window: days_since_last_release.map(|d| window.classify(d)),
        next_target: None,
        cherry_pick_deadline: None,
        freeze: false,
        target_missed: false,
        end_of_life: retired
            .and_then(|r| r.end_of_life)
            .map(date_ts)
            .or(planned_end_of_life),
        retired: retired.is_some(),
        final_patch: retired.and_then(|r| r.final_patch),
        past_planned_end_of_life: retired.is_none()
            && planned_end_of_life.is_some_and(|eol| now >= eol),
        schedule_note: schedule
            .and_then(|b| schedule_contradiction(minor, last_release, b, upcoming, now)),
        ended_freeze: last_release.and_then(|last| ended_freeze(last, schedule, upcoming)),
    };
    if let Some(target) = target {
        let out = released(target.version);
        let target_ts = target.date.map(date_ts);
        let deadline_ts = plausible_deadline(target.deadline, target.date).map(date_ts);
        timing.next_target = target_ts.map(|t| (target.version, t));
        timing.cherry_pick_deadline = deadline_ts.map(|d| (target.version, d));
        timing.freeze = !out && deadline_ts.is_some_and(|d| now >= d);
        timing.target_missed =
            !out && target_ts.is_some_and(|t| now >= t.saturating_add(SECS_PER_DAY));
    }
    timing
}

#[cfg(test)]
mod tests {
    use super::super::branches::supported_minors;
    use super::super::schedule::parse_schedule;
    use super::super::version::BranchKind;
    use super::*;

    const SCHEDULE_2024_10: &str = include_str!("../../tests/fixtures/schedule-2024-10.yaml");
    const SCHEDULE_2026_09: &str = include_str!("../../tests/fixtures/schedule-2026-09.yaml");

    /// reference/landscape.md §5.2 verbatim: git tag dates (UTC) of every patch 1.28–1.35.
    /// A date `MM-DD` is in the year of the last full `YYYY-MM-DD`; `(...)` are annotations.
    const HISTORY: &str = "\
1.28: 2023-08-15 08-24 09-13 10-18 11-15 12-19 | 2024-01-17 02-14 03-15 04-16 05-14 06-11 07-16 08-14 09-11 10-22(.15 final)
1.29: 2023-12-13 | 2024-01-17 02-14 03-14 04-16 05-14 06-11 07-16 08-14 09-11 10-22 11-20 12-10 | 2025-01-15 02-12(.14) 03-11(.15)
1.30: 2024-04-17 05-14 06-11 07-16 08-14 09-12 10-22 11-19 12-10 | 2025-01-15 02-12 03-11 04-22 05-15 06-17(.14 final)
1.31: 2024-08-13 09-11 10-22 11-19 12-10 | 2025-01-15 02-12 03-11 04-22 05-15 06-17 07-15 08-13 09-09 11-11(.14 final)
1.32: 2024-12-11 | 2025-01-15 02-12 03-11 04-22 05-15 06-17 07-15 08-13 09-09 11-11 12-16 | 2026-02-10 02-26(.13 final)
1.33: 2025-04-23 05-15 06-17 07-15 08-13 09-09 11-11 12-09 | 2026-02-10 02-26 03-18 04-15(.11)
1.34: 2025-08-27 09-09 11-11 12-09 | 2026-02-10 02-26 03-18 04-15(.7)
1.35: 2025-12-17 | 2026-02-10 02-26 03-18 04-15(.4)
";

    /// reference/github-and-prow.md §5.3 (endoflife data), patches .0–.15 of 1.29–1.32.
    const TABLE_5_3: &str = "\
| .0 | 2023-12-13 | 2024-04-17 | 2024-08-13 | 2024-12-11 |
| .1 | 2024-01-17 | 2024-05-14 | 2024-09-11 | 2025-01-15 |
| .2 | 2024-02-14 | 2024-06-11 | 2024-10-22 | 2025-02-12 |
| .3 | 2024-03-14 | 2024-07-16 | 2024-11-19 | 2025-03-11 |
| .4 | 2024-04-16 | 2024-08-14 | 2024-12-10 | 2025-04-22 |
| .5 | 2024-05-14 | 2024-09-12 | 2025-01-15 | 2025-05-15 |
| .6 | 2024-06-11 | 2024-10-22 | 2025-02-12 | 2025-06-17 |
| .7 | 2024-07-16 | 2024-11-19 | 2025-03-11 | 2025-07-15 |
| .8 | 2024-08-14 | 2024-12-10 | 2025-04-22 | 2025-08-13 |
| .9 | 2024-09-11 | 2025-01-15 | 2025-05-15 | 2025-09-09 |
| .10 | 2024-10-22 | 2025-02-12 | 2025-06-17 | 2025-11-11 |
| .11 | 2024-11-20 | 2025-03-11 | 2025-07-15 | 2025-12-16 |
| .12 | 2024-12-10 | 2025-04-22 | 2025-08-13 | 2026-02-10 |
| .13 | 2025-01-15 | 2025-05-15 | 2025-09-09 | 2026-02-26 |
| .14 | 2025-02-12 | 2025-06-17 | 2025-11-11 | – |
| .15 | 2025-03-11 | – | – | – |
";

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// Unix seconds of `y-m-d` at `h`:00 UTC.
    fn ts(y: i32, m: u32, day: u32, h: i64) -> i64 {
        date_ts(d(y, m, day)) + h * 3600
    }

    fn v(minor: u64, patch: u64) -> PatchVersion {
        PatchVersion::new(1, minor, patch)
    }

    fn m(minor: u64) -> Minor {
        Minor::new(1, minor)
    }

    fn rel(minor: u64, patch: u64, at: i64) -> PublishedRelease {
        PublishedRelease {
            version: v(minor, patch),
            published_at: at,
        }
    }

    /// Every release of [`HISTORY`] in order, each published at **00:00 UTC** of its tag date.
    fn history() -> Vec<(PatchVersion, NaiveDate)> {
        let mut out = Vec::new();
        for line in HISTORY.lines() {
            let (minor, rest) = line.split_once(": ").unwrap();
            let minor = Minor::parse(minor).unwrap();
            let mut plain = String::new();
            let mut depth = 0;
            for c in rest.chars() {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ if depth == 0 => plain.push(c),
                    _ => {}
                }
            }
            let mut year = 0;
            for (patch, token) in plain.split_whitespace().filter(|t| *t != "|").enumerate() {
                let parts: Vec<&str> = token.split('-').collect();
                let (mo, da) = match parts[..] {
                    [y, mo, da] => {
                        year = y.parse().unwrap();
                        (mo, da)
                    }
                    [mo, da] => (mo, da),
                    _ => panic!("bad token {token}"),
                };
                let date = d(year, mo.parse().unwrap(), da.parse().unwrap());
                out.push((minor.patch(u64::try_from(patch).unwrap()), date));
            }
        }
        out
    }

    fn published() -> Vec<PublishedRelease> {
        history()
            .into_iter()
            .map(|(version, date)| PublishedRelease {
                version,
                published_at: date_ts(date),
            })
            .collect()
    }

    fn timing_at(minor: Minor, releases: &[PublishedRelease], now: i64) -> ReleaseTiming {
        release_timing(
            minor,
            releases,
            None,
            &[],
            None,
            &ReleaseWindow::default(),
            now,
        )
    }

    #[test]
    fn history_encoding_matches_sources() {
        let h = history();
        assert_eq!(h.len(), 101);
        let date_of = |minor, patch| h.iter().find(|(x, _)| *x == v(minor, patch)).unwrap().1;
        assert_eq!(date_of(28, 15), d(2024, 10, 22));
        assert_eq!(date_of(28, 6), d(2024, 1, 17));
        assert_eq!(date_of(29, 15), d(2025, 3, 11));
        assert_eq!(date_of(33, 11), d(2026, 4, 15));
        assert_eq!(date_of(34, 7), d(2026, 4, 15));
        assert_eq!(date_of(35, 4), d(2026, 4, 15));
        // Cross-check 1.29–1.32 against the independent table in github-and-prow.md §5.3.
        for (patch, row) in TABLE_5_3.lines().enumerate() {
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            for (col, minor) in [29, 30, 31, 32].into_iter().enumerate() {
                let cell = cells[col + 2];
                let patch = u64::try_from(patch).unwrap();
                let ours = h.iter().find(|(x, _)| *x == v(minor, patch)).map(|x| x.1);
                match NaiveDate::parse_from_str(cell, "%Y-%m-%d") {
                    Ok(date) => assert_eq!(ours, Some(date), "1.{minor}.{patch}"),
                    Err(_) => assert_eq!(ours, None, "1.{minor}.{patch}"),
                }
            }
        }
    }

    #[test]
    fn gap_statistics_of_real_history() {
        let h = history();
        let mut gaps: Vec<i64> = h
            .windows(2)
            .filter(|w| w[0].0.minor() == w[1].0.minor())
            .map(|w| (w[1].1 - w[0].1).num_days())
            .collect();
        assert_eq!(gaps.len(), 93);
        gaps.sort_unstable();
        assert_eq!(gaps[46], 28, "median");
        assert_eq!(gaps[0], 9, "min, 1.28.0 -> 1.28.1");
        assert_eq!(gaps[92], 63, "max");
        assert_eq!(gaps.iter().filter(|&&g| g > 28).count(), 44);
        assert_eq!(gaps.iter().filter(|&&g| g > 35).count(), 18);
        assert_eq!(gaps.iter().filter(|&&g| g < 14).count(), 2);
    }

    #[test]
    fn landscape_example_queries() {
        let all = published();
        // Noon, so whole days from 00:00 publication are exact.
        let t = timing_at(m(32), &all, ts(2025, 11, 10, 12));
        assert_eq!(t.last_release, Some(rel(32, 9, ts(2025, 9, 9, 0))));
        assert_eq!(t.days_since_last_release, Some(62));
        assert_eq!(t.window, Some(WindowState::Overdue));

        let t = timing_at(m(33), &all, ts(2026, 2, 9, 12));
        assert_eq!(t.last_release.unwrap().version, v(33, 7));
        assert_eq!(t.days_since_last_release, Some(62));
        assert_eq!(t.window, Some(WindowState::Overdue));
    }

    #[test]
    fn days_are_floored() {
        let r = [rel(32, 9, ts(2025, 9, 9, 18))];
        let t = timing_at(m(32), &r, ts(2025, 11, 10, 17));
        assert_eq!(t.days_since_last_release, Some(61));
        let t = timing_at(m(32), &r, ts(2025, 11, 10, 18));
        assert_eq!(t.days_since_last_release, Some(62));
        let t = timing_at(m(32), &r, ts(2025, 9, 9, 18));
        assert_eq!(t.days_since_last_release, Some(0));
        assert_eq!(t.window, Some(WindowState::TooSoon));
    }

    #[test]
    fn consolidated_months_are_overdue() {
        let h = history();
        let gap = |minor, patch| {
            let a = h.iter().find(|x| x.0 == v(minor, patch)).unwrap().1;
            let b = h.iter().find(|x| x.0 == v(minor, patch + 1)).unwrap().1;
            (b - a).num_days()
        };
        let all = published();
        for (minor, patch) in [(31, 13), (32, 9), (33, 5), (34, 1), (33, 7), (34, 3)] {
            assert_eq!(gap(minor, patch), 63, "1.{minor}.{patch}");
            let next_day = h.iter().find(|x| x.0 == v(minor, patch + 1)).unwrap().1;
            let t = timing_at(m(minor), &all, date_ts(next_day) - 1);
            assert_eq!(t.last_release.unwrap().version, v(minor, patch));
            assert_eq!(t.days_since_last_release, Some(62));
            assert_eq!(t.window, Some(WindowState::Overdue));
        }
        assert_eq!(gap(32, 11), 56);
        // Every real gap of 30+ days is overdue on its 29th day. (A 29-day gap never shows
        // overdue: whole days reach 28 at most before the next release is out.)
        for w in h.windows(2).filter(|w| w[0].0.minor() == w[1].0.minor()) {
            if (w[1].1 - w[0].1).num_days() >= 30 {
                let t = timing_at(w[0].0.minor(), &all, date_ts(w[0].1) + 29 * SECS_PER_DAY);
                assert_eq!(t.last_release.unwrap().version, w[0].0);
                assert_eq!(t.window, Some(WindowState::Overdue), "{}", w[0].0);
            }
        }
    }

    #[test]
    fn out_of_band_releases_make_next_day_too_soon() {
        let all = published();
        let now = ts(2026, 2, 27, 12);
        for (minor, patch) in [(32, 13), (33, 9), (34, 5), (35, 2)] {
            let t = timing_at(m(minor), &all, now);
            assert_eq!(t.last_release, Some(rel(minor, patch, ts(2026, 2, 26, 0))));
            assert_eq!(t.days_since_last_release, Some(1));
            assert_eq!(t.window, Some(WindowState::TooSoon));
        }
        // The day before, they were 16 days after 2026-02-10: in window.
        let t = timing_at(m(35), &all, ts(2026, 2, 25, 12));
        assert_eq!(t.last_release.unwrap().version, v(35, 1));
        assert_eq!(t.days_since_last_release, Some(15));
        assert_eq!(t.window, Some(WindowState::InWindow));
    }

    #[test]
    fn window_boundaries_in_whole_days() {
        let w = ReleaseWindow::default();
        assert_eq!(w.classify(0), WindowState::TooSoon);
        assert_eq!(w.classify(13), WindowState::TooSoon);
        assert_eq!(w.classify(14), WindowState::InWindow);
        assert_eq!(w.classify(28), WindowState::InWindow);
        assert_eq!(w.classify(29), WindowState::Overdue);
        let custom = ReleaseWindow {
            min: Duration::from_secs(7 * 86_400),
            max: Duration::from_secs(35 * 86_400 + 3600),
        };
        assert_eq!(custom.classify(6), WindowState::TooSoon);
        assert_eq!(custom.classify(35), WindowState::InWindow);
        assert_eq!(custom.classify(36), WindowState::Overdue);
        let names: Vec<&str> = WindowState::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(names, ["too_soon", "in_window", "overdue"]);
    }

    #[test]
    fn semver_order_not_publish_order() {
        let releases = [
            rel(31, 10, ts(2025, 6, 17, 18)),
            // Re-published later (edited release page): must not win.
            rel(31, 9, ts(2025, 6, 20, 9)),
            rel(31, 9, ts(2025, 5, 15, 18)),
            rel(31, 8, ts(2025, 4, 22, 18)),
        ];
        let t = timing_at(m(31), &releases, ts(2025, 6, 30, 12));
        assert_eq!(t.last_release, Some(rel(31, 10, ts(2025, 6, 17, 18))));
        assert_eq!(t.days_since_last_release, Some(12));
        // Duplicate tags: the earliest publication is the release time.
        let dup = [
            rel(31, 9, ts(2025, 6, 20, 9)),
            rel(31, 9, ts(2025, 5, 15, 18)),
        ];
        let t = timing_at(m(31), &dup, ts(2025, 6, 30, 12));
        assert_eq!(t.last_release, Some(rel(31, 9, ts(2025, 5, 15, 18))));
    }

    #[test]
    fn other_minors_are_ignored() {
        let releases = [
            rel(30, 14, ts(2025, 6, 17, 18)),
            rel(31, 9, ts(2025, 5, 15, 18)),
            rel(32, 6, ts(2025, 6, 17, 18)),
            PublishedRelease {
                version: PatchVersion::new(2, 31, 99),
                published_at: ts(2025, 6, 18, 0),
            },
        ];
        let t = timing_at(m(31), &releases, ts(2025, 6, 18, 12));
        assert_eq!(t.last_release, Some(rel(31, 9, ts(2025, 5, 15, 18))));
        assert_eq!(t.days_since_last_release, Some(33));
        assert_eq!(t.window, Some(WindowState::Overdue));
    }

    #[test]
    fn releases_after_now_are_ignored() {
        let all = published();
        let t = timing_at(m(31), &all, ts(2024, 10, 21, 12));
        assert_eq!(t.last_release.unwrap().version, v(31, 1));
    }

    #[test]
    fn no_release_yet() {
        // v1.36.0-rc.1 is a prerelease: not a release at all.
        let releases = [rel(35, 4, ts(2026, 4, 15, 18))];
        let t = timing_at(m(36), &releases, ts(2026, 4, 16, 0));
        assert_eq!(t.last_release, None);
        assert_eq!(t.days_since_last_release, None);
        assert_eq!(t.window, None);
        assert!(!t.freeze && !t.target_missed);
    }

    #[test]
    fn hotfix_branch_releases_count_for_their_minor() {
        let kind = BranchKind::parse("release-1.34.2").unwrap();
        let minor = kind.minor().unwrap();
        assert_eq!(minor, m(34));
        // v1.34.3 tagged from the hotfix branch release-1.34.2, out of band.
        let releases = [
            rel(34, 2, ts(2025, 11, 11, 18)),
            rel(34, 3, ts(2025, 11, 20, 18)),
            rel(35, 0, ts(2025, 12, 17, 18)),
        ];
        let t = timing_at(minor, &releases, ts(2025, 11, 27, 19));
        assert_eq!(t.last_release.unwrap().version, v(34, 3));
        assert_eq!(t.days_since_last_release, Some(7));
        assert_eq!(t.window, Some(WindowState::TooSoon));
    }

    fn real_at(minor: u64, now: i64) -> ReleaseTiming {
        let s = parse_schedule(SCHEDULE_2024_10).unwrap();
        release_timing(
            m(minor),
            &published(),
            s.branch(m(minor)),
            &s.upcoming,
            None,
            &ReleaseWindow::default(),
            now,
        )
    }

    #[test]
    fn real_2024_schedule_missed_target_and_freeze() {
        // 1.31.2 was targeted for 2024-10-15 (deadline 10-11) and shipped 10-22.
        let before_deadline = real_at(31, ts(2024, 10, 10, 12));
        assert_eq!(
            before_deadline.next_target,
            Some((v(31, 2), ts(2024, 10, 15, 0)))
        );
        assert_eq!(
            before_deadline.cherry_pick_deadline,
            Some((v(31, 2), ts(2024, 10, 11, 0)))
        );
        assert!(!before_deadline.freeze);
        assert!(!before_deadline.target_missed);

        let at_deadline = real_at(31, ts(2024, 10, 11, 0));
        assert!(at_deadline.freeze);

        let target_day = real_at(31, ts(2024, 10, 15, 23));
        assert!(target_day.freeze);
        assert!(!target_day.target_missed, "the target day is not over");

        let after = real_at(31, ts(2024, 10, 16, 0));
        assert!(after.freeze);
        assert!(after.target_missed);
        assert_eq!(after.last_release.unwrap().version, v(31, 1));
        assert_eq!(after.days_since_last_release, Some(35));
        assert_eq!(after.window, Some(WindowState::Overdue));
        assert_eq!(after.end_of_life, Some(ts(2025, 10, 28, 0)));
        assert!(!after.retired && !after.past_planned_end_of_life);

        // 2024-10-22: v1.31.2 is out, so `next: 1.31.2` is stale and the next target comes
        // from upcoming_releases (10-15 is past; 11-12 with deadline 11-08), as v1.31.3.
        let released = real_at(31, ts(2024, 10, 22, 12));
        assert_eq!(released.last_release.unwrap().version, v(31, 2));
        assert_eq!(released.window, Some(WindowState::TooSoon));
        assert_eq!(released.next_target, Some((v(31, 3), ts(2024, 11, 12, 0))));
        assert_eq!(
            released.cherry_pick_deadline,
            Some((v(31, 3), ts(2024, 11, 8, 0)))
        );
        assert!(!released.freeze);
        assert!(!released.target_missed);

        // Later, the 11-12 target passes with the stale file: upcoming 12-10 is used.
        let later = real_at(31, ts(2024, 11, 13, 12));
        assert_eq!(later.next_target, Some((v(31, 3), ts(2024, 12, 10, 0))));
        assert!(!later.freeze);
        // After every upcoming date: no target at all.
        let none = real_at(31, ts(2024, 12, 11, 12));
        assert_eq!(none.last_release.unwrap().version, v(31, 4));
        assert_eq!(none.next_target, None);
        assert_eq!(none.cherry_pick_deadline, None);
        assert!(!none.freeze && !none.target_missed);
    }

    #[test]
    fn freeze_ends_when_the_release_is_out() {
        let s = parse_schedule(SCHEDULE_2024_10).unwrap();
        let b30 = s.branch(m(30)).unwrap();
        let mut releases = vec![rel(30, 5, ts(2024, 9, 12, 18))];
        let run = |releases: &[PublishedRelease], now| {
            release_timing(
                m(30),
                releases,
                Some(b30),
                &s.upcoming,
                None,
                &ReleaseWindow::default(),
                now,
            )
        };
        let frozen = run(&releases, ts(2024, 10, 14, 9));
        assert!(frozen.freeze);
        assert_eq!(frozen.next_target, Some((v(30, 6), ts(2024, 10, 15, 0))));
        // Released early, on 10-14 at 18:00: the freeze is off at once, and the stale
        // `next`'s target (10-15, also the first upcoming date) is not reused for v1.30.7.
        releases.push(rel(30, 6, ts(2024, 10, 14, 18)));
        let thawed = run(&releases, ts(2024, 10, 14, 19));
        assert!(!thawed.freeze);
        assert!(!thawed.target_missed);
        assert_eq!(thawed.next_target, Some((v(30, 7), ts(2024, 11, 12, 0))));
        let next_day = run(&releases, ts(2024, 10, 16, 12));
        assert!(!next_day.freeze && !next_day.target_missed);
    }

    #[test]
    fn next_without_version_or_schedule() {
        let s = parse_schedule(SCHEDULE_2024_10).unwrap();
        let mut b = s.branch(m(31)).unwrap().clone();
        let releases = [rel(31, 1, ts(2024, 9, 11, 18))];
        // No schedule block: no target, deadline or EOL.
        let t = release_timing(
            m(31),
            &releases,
            None,
            &s.upcoming,
            None,
            &ReleaseWindow::default(),
            ts(2024, 10, 12, 0),
        );
        assert_eq!(
            (t.next_target, t.cherry_pick_deadline, t.end_of_life),
            (None, None, None)
        );
        // `next` without a usable version: upcoming dates as last + 1.
        if let Some(n) = b.next.as_mut() {
            n.release = None;
        }
        let t = release_timing(
            m(31),
            &releases,
            Some(&b),
            &s.upcoming,
            None,
            &ReleaseWindow::default(),
            ts(2024, 10, 12, 0),
        );
        assert_eq!(t.next_target, Some((v(31, 2), ts(2024, 10, 15, 0))));
        assert!(t.freeze);
        // `next` absent and nothing released yet: no version to name, so no target.
        b.next = None;
        let t = release_timing(
            m(31),
            &[],
            Some(&b),
            &s.upcoming,
            None,
            &ReleaseWindow::default(),
            ts(2024, 10, 12, 0),
        );
        assert_eq!(t.next_target, None);
    }

    #[test]
    fn implausible_deadline_is_ignored() {
        // The real 1.28.6 row: deadline 2023-01-12 for a 2024-01-17 target.
        let s = parse_schedule(SCHEDULE_2024_10).unwrap();
        let mut b28 = s.branch(m(28)).unwrap().clone();
        b28.next = b28
            .previous
            .iter()
            .find(|p| p.release == Some(v(28, 6)))
            .cloned();
        let t = release_timing(
            m(28),
            &published(),
            Some(&b28),
            &[],
            None,
            &ReleaseWindow::default(),
            ts(2024, 1, 2, 12),
        );
        assert_eq!(t.last_release.unwrap().version, v(28, 5));
        assert_eq!(t.next_target, Some((v(28, 6), ts(2024, 1, 17, 0))));
        assert_eq!(t.cherry_pick_deadline, None);
        assert!(!t.freeze, "a year-early deadline must not freeze for weeks");
        // Deadline after target: also ignored.
        assert_eq!(
            plausible_deadline(Some(d(2024, 1, 18)), Some(d(2024, 1, 17))),
            None
        );
        assert_eq!(
            plausible_deadline(Some(d(2024, 1, 12)), Some(d(2024, 1, 17))),
            Some(d(2024, 1, 12))
        );
        // 1.33.2: deadline 2025-06-06, target 06-17 (11 days) is fine.
        assert_eq!(
            plausible_deadline(Some(d(2025, 6, 6)), Some(d(2025, 6, 17))),
            Some(d(2025, 6, 6))
        );
        assert_eq!(
            plausible_deadline(Some(d(2025, 6, 6)), None),
            Some(d(2025, 6, 6))
        );
    }

    const EOL_2025_11: &str = include_str!("../../tests/fixtures/eol-2025-11.yaml");

    #[test]
    fn past_the_planned_end_of_life_a_minor_is_still_supported_until_eol_yaml_retires_it() {
        // 1.28: planned EOL 2024-10-28; 1.28.15 shipped 2024-10-22.
        let before = real_at(28, ts(2024, 10, 27, 23));
        assert!(!before.past_planned_end_of_life && !before.retired);
        let t = real_at(28, ts(2024, 10, 28, 0));
        assert!(t.past_planned_end_of_life);
        assert!(!t.retired, "only eol.yaml retires a minor");
        assert_eq!(t.end_of_life, Some(ts(2024, 10, 28, 0)));
        // The window is still computed.
        let late = real_at(28, ts(2024, 12, 1, 0));
        assert_eq!(late.last_release.unwrap().version, v(28, 15));
        assert_eq!(late.window, Some(WindowState::Overdue));
        // No upcoming date after the planned EOL is offered as 1.28.16.
        assert_eq!(late.next_target, None);

        // Once eol.yaml lists it: retired, with the actual date and final patch.
        let s = parse_schedule(SCHEDULE_2024_10).unwrap();
        let eol = super::super::eol::parse_eol(EOL_2025_11).unwrap();
        let retired = release_timing(
            m(28),
            &published(),
            s.branch(m(28)),
            &s.upcoming,
            eol.retired(m(28)),
            &ReleaseWindow::default(),
            ts(2024, 12, 1, 0),
        );
        assert!(retired.retired && !retired.past_planned_end_of_life);
        assert_eq!(retired.end_of_life, Some(ts(2024, 10, 22, 0)));
        assert_eq!(retired.final_patch, Some(v(28, 15)));
        assert_eq!(retired.next_target, None);
        assert!(!retired.freeze && !retired.target_missed);

        assert_eq!(supported_minors(&s, None), [m(28), m(29), m(30), m(31)]);
        // The late-2025 list retires every minor of the 2024 file.
        assert_eq!(supported_minors(&s, Some(&eol)), []);
        let only_128 = super::super::eol::parse_eol("branches:\n- release: \"1.28\"\n").unwrap();
        assert_eq!(supported_minors(&s, Some(&only_128)), [m(29), m(30), m(31)]);
    }

    /// The timing of `minor` at `now` under the schedule `yaml`, with the real release history.
    fn timing_under(yaml: &str, minor: u64, now: i64) -> ReleaseTiming {
        let s = parse_schedule(yaml).unwrap();
        release_timing(
            m(minor),
            &published(),
            s.branch(m(minor)),
            &s.upcoming,
            None,
            &ReleaseWindow::default(),
            now,
        )
    }

    #[test]
    fn real_1_31_past_its_planned_end_of_life_while_its_final_patch_was_prepared() {
        // Planned EOL 2025-10-28; 1.31.13 on 2025-09-09, the final 1.31.14 on 2025-11-11.
        let yaml = "schedules:\n- endOfLifeDate: \"2025-10-28\"\n  next:\n    cherryPickDeadline: \"2025-11-07\"\n    release: 1.31.14\n    targetDate: \"2025-11-11\"\n  release: \"1.31\"\n";
        let t = timing_under(yaml, 31, ts(2025, 11, 8, 12));
        assert!(t.past_planned_end_of_life && !t.retired);
        assert_eq!(t.next_target, Some((v(31, 14), ts(2025, 11, 11, 0))));
        assert!(t.freeze, "its last cherry-picks are frozen, not forgotten");
    }

    #[test]
    fn a_patch_already_listed_under_previous_patches_is_the_pending_target() {
        // The real case: 1.29.3 targeted 2024-03-12 (deadline 03-08) sat under
        // previousPatches while GitHub's newest was v1.29.2 until 2024-03-14.
        let frozen = real_at(29, ts(2024, 3, 11, 12));
        assert_eq!(frozen.last_release.unwrap().version, v(29, 2));
        assert_eq!(frozen.next_target, Some((v(29, 3), ts(2024, 3, 12, 0))));
        assert_eq!(
            frozen.cherry_pick_deadline,
            Some((v(29, 3), ts(2024, 3, 8, 0)))
        );
        assert!(frozen.freeze);
        assert!(!frozen.target_missed);
        let late = real_at(29, ts(2024, 3, 13, 12));
        assert!(
            late.freeze && late.target_missed,
            "frozen and late, not calm"
        );
        // Once v1.29.3 is out (2024-03-14), 1.29.4 (2024-04-16) is pending.
        let after = real_at(29, ts(2024, 3, 14, 12));
        assert_eq!(after.last_release.unwrap().version, v(29, 3));
        assert_eq!(after.next_target, Some((v(29, 4), ts(2024, 4, 16, 0))));
        assert!(!after.freeze && !after.target_missed);
    }

    #[test]
    fn not_planned_means_no_target_and_no_guess_from_upcoming_releases() {
        let yaml = "schedules:\n- release: \"1.30\"\n  endOfLifeDate: \"2025-06-28\"\n  next:\n    release: Not Planned\n  previousPatches:\n  - release: 1.30.14\n    targetDate: \"2025-06-17\"\nupcoming_releases:\n- cherryPickDeadline: \"2025-07-11\"\n  targetDate: \"2025-07-15\"\n";
        assert!(
            parse_schedule(yaml).unwrap().branches[0]
                .next
                .as_ref()
                .unwrap()
                .not_planned
        );
        let t = timing_under(yaml, 30, ts(2025, 6, 20, 0));
        assert_eq!(t.last_release.unwrap().version, v(30, 14));
        assert_eq!(t.next_target, None);
        assert!(!t.freeze && !t.target_missed);
    }

    #[test]
    fn a_next_the_file_rolled_past_is_noted_and_stays_late() {
        // `next` still says 1.31.2 for 2024-10-15 on 2024-10-20, unreleased, while
        // upcoming_releases already starts in November.
        let yaml = "schedules:\n- release: \"1.31\"\n  endOfLifeDate: \"2025-10-28\"\n  next:\n    cherryPickDeadline: \"2024-10-11\"\n    release: 1.31.2\n    targetDate: \"2024-10-15\"\nupcoming_releases:\n- cherryPickDeadline: \"2024-11-08\"\n  targetDate: \"2024-11-12\"\n- cherryPickDeadline: \"2024-12-06\"\n  targetDate: \"2024-12-10\"\n";
        let t = timing_under(yaml, 31, ts(2024, 10, 20, 0));
        assert_eq!(t.next_target, Some((v(31, 2), ts(2024, 10, 15, 0))));
        assert!(t.target_missed && t.freeze);
        let note = t.schedule_note.expect("the contradiction is named");
        assert!(
            note.contains("v1.31.2") && note.contains("2024-11-12"),
            "{note}"
        );
        // The consistent real file has no note.
        assert_eq!(real_at(31, ts(2024, 10, 10, 0)).schedule_note, None);
    }

    #[test]
    fn realistic_2026_schedule() {
        let s = parse_schedule(SCHEDULE_2026_09).unwrap();
        assert_eq!(supported_minors(&s, None), [m(34), m(35), m(36), m(37)]);

        let releases = [
            rel(37, 0, ts(2026, 8, 26, 18)),
            rel(36, 4, ts(2026, 8, 11, 18)),
            rel(35, 8, ts(2026, 8, 11, 18)),
            rel(34, 11, ts(2026, 8, 11, 18)),
        ];
        let run = |minor, releases: &[PublishedRelease], now| {
            release_timing(
                m(minor),
                releases,
                s.branch(m(minor)),
                &s.upcoming,
                None,
                &ReleaseWindow::default(),
                now,
            )
        };
        let t = run(37, &releases, ts(2026, 9, 12, 12));
        assert_eq!(t.days_since_last_release, Some(16));
        assert_eq!(t.window, Some(WindowState::InWindow));
        assert_eq!(t.next_target, Some((v(37, 1), ts(2026, 9, 15, 0))));
        assert_eq!(t.cherry_pick_deadline, Some((v(37, 1), ts(2026, 9, 11, 0))));
        assert!(t.freeze);
        assert_eq!(t.end_of_life, Some(ts(2027, 10, 28, 0)));

        let t = run(36, &releases, ts(2026, 9, 12, 12));
        assert_eq!(t.days_since_last_release, Some(31));
        assert_eq!(t.window, Some(WindowState::Overdue));
        assert_eq!(t.next_target, Some((v(36, 5), ts(2026, 9, 15, 0))));

        // 1.34 is in maintenance mode (EOL 2026-10-28): 10-13 is offered, 11-10 is not.
        let mut more = releases.to_vec();
        more.push(rel(34, 12, ts(2026, 9, 15, 18)));
        let t = run(34, &more, ts(2026, 9, 20, 12));
        assert_eq!(t.next_target, Some((v(34, 13), ts(2026, 10, 13, 0))));
        more.push(rel(34, 13, ts(2026, 10, 13, 18)));
        let t = run(34, &more, ts(2026, 10, 20, 12));
        assert_eq!(t.last_release.unwrap().version, v(34, 13));
        assert_eq!(t.next_target, None);
        assert!(!t.retired);
    }
}
