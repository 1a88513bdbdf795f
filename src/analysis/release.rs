//! Release timing per branch (last patch release, window, schedule, freeze, end of life) and
//! branch discovery for `branches: auto`.

use crate::{
    analysis::{AnalysisSettings, Observations},
    release::{
        eol::EndOfLife,
        schedule::Schedule,
        timing::{ReleaseWindow, release_timing, supported_minors},
        version::{BranchKind, Minor},
    },
    snapshot::ReleaseReport,
};

/// How many release branches the GitHub fallback of `branches: auto` watches.
pub const FALLBACK_RELEASE_BRANCHES: usize = 4;

/// The release timing of `branch`; None for master and before any release data arrived.
pub fn release_report(
    branch: &str,
    observations: &Observations,
    settings: &AnalysisSettings,
    now: i64,
) -> Option<ReleaseReport> {
    let minor = match BranchKind::parse(branch)? {
        BranchKind::Master => return None,
        BranchKind::Release(minor) => minor,
        BranchKind::Hotfix { minor, .. } => minor,
    };
    if observations.releases.is_empty() && observations.schedule.is_none() {
        return None;
    }
    let schedule = observations.schedule.as_ref();
    let window = ReleaseWindow {
        min: settings.release_window.min,
        max: settings.release_window.max,
    };
    let timing = release_timing(
        minor,
        &observations.releases,
        schedule.and_then(|s| s.branch(minor)),
        schedule.map(|s| s.upcoming.as_slice()).unwrap_or(&[]),
        observations.eol.as_ref().and_then(|eol| eol.retired(minor)),
        &window,
        now,
    );
    Some(ReleaseReport {
        last_release: timing.last_release.as_ref().map(|r| r.version.to_string()),
        last_release_at: timing.last_release.as_ref().map(|r| r.published_at),
        days_since_last_release: timing.days_since_last_release,
        window: timing.window.map(|w| w.as_str().to_string()),
        next_target_version: timing.next_target.map(|(v, _)| v.to_string()),
        next_target_at: timing.next_target.map(|(_, at)| at),
        cherry_pick_deadline_at: timing.cherry_pick_deadline.map(|(_, at)| at),
        freeze: timing.freeze,
        target_missed: timing.target_missed,
        end_of_life_at: timing.end_of_life,
        retired: timing.retired,
        final_patch: timing.final_patch.map(|v| v.to_string()),
        past_planned_end_of_life: timing.past_planned_end_of_life,
        schedule_note: timing.schedule_note,
    })
}

/// `branches: auto`: master, every minor the schedule lists as supported (fallback: the newest
/// release branches on GitHub), plus hotfix branches of those minors that exist on GitHub.
pub fn discover_branches(
    schedule: Option<&Schedule>,
    eol: Option<&EndOfLife>,
    github_release_branches: &[String],
) -> Vec<String> {
    let mut minors: Vec<Minor> = schedule
        .map(|schedule| supported_minors(schedule, eol))
        .unwrap_or_default();
    if minors.is_empty() {
        let mut on_github: Vec<Minor> = github_release_branches
            .iter()
            .filter_map(|name| match BranchKind::parse(name) {
                Some(BranchKind::Release(minor)) => Some(minor),
                _ => None,
            })
            .collect();
        on_github.sort();
        on_github.dedup();
        minors = on_github
            .into_iter()
            .rev()
            .take(FALLBACK_RELEASE_BRANCHES)
            .collect();
        minors.sort();
    }
    let mut branches = vec!["master".to_string()];
    for minor in &minors {
        branches.push(minor.branch_name());
    }
    let mut hotfixes: Vec<(Minor, String)> = github_release_branches
        .iter()
        .filter_map(|name| match BranchKind::parse(name) {
            Some(BranchKind::Hotfix { minor, .. }) if minors.contains(&minor) => {
                Some((minor, name.clone()))
            }
            _ => None,
        })
        .collect();
    hotfixes.sort();
    branches.extend(hotfixes.into_iter().map(|(_, name)| name));
    branches
}

/// The minors whose releases matter for the given branches.
pub fn minors_of(branches: &[String]) -> Vec<Minor> {
    let mut minors: Vec<Minor> = branches
        .iter()
        .filter_map(|b| match BranchKind::parse(b)? {
            BranchKind::Master => None,
            BranchKind::Release(minor) | BranchKind::Hotfix { minor, .. } => Some(minor),
        })
        .collect();
    minors.sort();
    minors.dedup();
    minors
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::schedule::parse_schedule;

    const SCHEDULE: &str = "schedules:\n- release: \"1.35\"\n  endOfLifeDate: \"2027-02-28\"\n- release: 1.34\n  endOfLifeDate: \"2026-10-28\"\n- release: 1.36\n  endOfLifeDate: 2027-06-28\n";

    #[test]
    fn auto_watches_supported_minors_from_the_schedule_plus_their_hotfix_branches() {
        let schedule = parse_schedule(SCHEDULE).unwrap();
        let github = vec![
            "release-1.33".to_string(),
            "release-1.35".to_string(),
            "release-1.35.2".to_string(),
            "release-1.33.1".to_string(),
        ];
        // 1.34 is past its planned end of life but not retired: still watched.
        assert_eq!(
            discover_branches(Some(&schedule), None, &github),
            vec![
                "master",
                "release-1.34",
                "release-1.35",
                "release-1.36",
                "release-1.35.2"
            ]
        );
        // Once eol.yaml lists it, it is gone.
        let eol = crate::release::eol::parse_eol(
            "branches:\n- release: \"1.34\"\n  endOfLifeDate: \"2026-11-10\"\n",
        )
        .unwrap();
        assert_eq!(
            discover_branches(Some(&schedule), Some(&eol), &github),
            vec!["master", "release-1.35", "release-1.36", "release-1.35.2"]
        );
    }

    #[test]
    fn auto_falls_back_to_the_newest_four_release_branches_on_github() {
        let github: Vec<String> = (28..=37)
            .map(|m| format!("release-1.{m}"))
            .chain(["release-1.36.1".to_string()])
            .collect();
        assert_eq!(
            discover_branches(None, None, &github),
            vec![
                "master",
                "release-1.34",
                "release-1.35",
                "release-1.36",
                "release-1.37",
                "release-1.36.1"
            ]
        );
    }
}
