//! Which branches exist to watch: `branches: auto` resolved from the schedule, `eol.yaml` and
//! GitHub's `release-*` branches, the minors those branches belong to, and the TestGrid
//! dashboards of each (hotfix branches have none).

use super::{
    eol::EndOfLife,
    schedule::Schedule,
    version::{BranchKind, Minor},
};

/// How many release branches the GitHub fallback of `branches: auto` watches (Kubernetes
/// patches the newest three or four minors).
pub const FALLBACK_RELEASE_BRANCHES: usize = 4;

/// The minors still supported: every minor the schedule lists that `eol.yaml` does not. The
/// planned end of life alone does not end support (the final patch often ships after it, and
/// schedule-builder moves a minor to `eol.yaml` once it does). Sorted, no duplicates.
pub fn supported_minors(schedule: &Schedule, eol: Option<&EndOfLife>) -> Vec<Minor> {
    let mut minors: Vec<Minor> = schedule
        .branches
        .iter()
        .filter(|b| eol.is_none_or(|eol| eol.retired(b.minor).is_none()))
        .map(|b| b.minor)
        .collect();
    minors.sort_unstable();
    minors.dedup();
    minors
}

/// `branches: auto`: master, every minor the schedule supports (fallback: the newest release
/// branches on GitHub), plus the hotfix branches of those minors that exist on GitHub.
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
            .filter(|minor| eol.is_none_or(|eol| eol.retired(*minor).is_none()))
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
    let mut branches = vec![BranchKind::Master.to_string()];
    branches.extend(minors.iter().map(|minor| minor.branch_name()));
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
    hotfixes.dedup();
    branches.extend(hotfixes.into_iter().map(|(_, name)| name));
    branches
}

/// The minors whose releases matter for the given branches (release and hotfix branches).
pub fn minors_of(branches: &[String]) -> Vec<Minor> {
    let mut minors: Vec<Minor> = branches
        .iter()
        .filter_map(|b| BranchKind::parse(b)?.minor())
        .collect();
    minors.sort();
    minors.dedup();
    minors
}

/// The TestGrid dashboards of `branch` from name templates (`{minor}` is `1.34` or `master`).
/// Hotfix branches and names that are no Kubernetes branch have none.
pub fn dashboards_of(branch: &str, templates: &[String]) -> Vec<String> {
    let minor = match BranchKind::parse(branch) {
        Some(BranchKind::Master) => BranchKind::Master.to_string(),
        Some(BranchKind::Release(minor)) => minor.to_string(),
        Some(BranchKind::Hotfix { .. }) | None => return Vec::new(),
    };
    templates
        .iter()
        .map(|template| template.replace("{minor}", &minor))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::k8s::schedule::parse_schedule;

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
        let eol = crate::k8s::eol::parse_eol(
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

    #[test]
    fn dashboards_come_from_templates_and_hotfix_branches_have_none() {
        let templates = vec!["sig-release-{minor}-blocking".to_string()];
        assert_eq!(
            dashboards_of("release-1.34", &templates),
            ["sig-release-1.34-blocking"]
        );
        assert_eq!(
            dashboards_of("master", &templates),
            ["sig-release-master-blocking"]
        );
        assert!(dashboards_of("release-1.34.2", &templates).is_empty());
        assert!(dashboards_of("main", &templates).is_empty());
        assert_eq!(
            minors_of(&[
                "master".into(),
                "release-1.34.2".into(),
                "release-1.34".into()
            ]),
            [Minor::new(1, 34)]
        );
    }
}
