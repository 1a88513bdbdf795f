//! The cherry-pick queue: parents of cherry-picks, the branch-wide presubmit failure rule, the
//! periodic twin on TestGrid, and every PR condition — as pure functions of the PRs and `now`.

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::LazyLock,
};

use regex::Regex;

use crate::{
    config::BranchWideConfig,
    snapshot::{
        Condition, DashboardKind, DashboardReport, FailingContextReport, ParentReport,
        PeriodicTwin, PresubmitReport, PullRequestReport,
    },
    sources::{
        github::{GithubData, PullRequest},
        testgrid::TabStatus,
    },
};

/// Tide's own status: a merge-pool verdict, not a presubmit result.
const TIDE_CONTEXT: &str = "tide";
/// Labels Tide requires on release branches.
const REQUIRED_LABELS: [&str; 3] = ["lgtm", "approved", "cncf-cla: yes"];
/// Labels that keep Tide from merging (its `missingLabels` for kubernetes/kubernetes).
const BLOCKING_LABELS: [&str; 11] = [
    "do-not-merge",
    "do-not-merge/blocked-paths",
    "do-not-merge/cherry-pick-not-approved",
    "do-not-merge/contains-merge-commits",
    "do-not-merge/hold",
    "do-not-merge/invalid-commit-message",
    "do-not-merge/invalid-owners-file",
    "do-not-merge/needs-kind",
    "do-not-merge/needs-sig",
    "do-not-merge/release-note-label-needed",
    "do-not-merge/work-in-progress",
];
const CHERRY_PICK_NOT_APPROVED: &str = "do-not-merge/cherry-pick-not-approved";
const CHERRY_PICK_APPROVED: &str = "cherry-pick-approved";
const RELEASE_NOTE_NEEDED: &str = "do-not-merge/release-note-label-needed";
const HOLD: &str = "do-not-merge/hold";
const NEEDS_REBASE: &str = "needs-rebase";

static BODY_PARENTS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?mi)^\s*Cherry[- ]pick of ((?:#\d+[\s,]*)+)on (release-\d+\.\d+)")
        .expect("valid regex")
});
static TITLE_PARENTS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*Automated cherry[- ]pick of ((?:#\d+[:,\s]*)+)").expect("valid regex")
});
static HEAD_REF_PARENTS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^automated-cherry-pick-of-((?:#\d+-?)+)").expect("valid regex"));
static NUMBER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"#(\d+)").expect("valid regex"));
/// The verbs of a dependency change, and the first "fix" (whose presence before the verb makes
/// the title a fix that mentions an upgrade, not a bump).
static BUMP_VERB: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:bump(?:s|ed|ing)?|update[sd]?|updating|upgrade[sd]?|upgrading|downgrade[sd]?|pin(?:s|ned)?|revendor|vendor)\b")
        .expect("valid regex")
});
static FIX_WORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\bfix(?:e[sd]|ing)?\b").expect("valid regex"));
/// Version movement: "to v1.2.3", "to 1.24", "to version 3.5.12", "to go 1.24.6",
/// "to go1.23.4", "from 0.21.0 to 0.31.0", "v0.32.0 -> v0.33.0". A version has a dot, so
/// "timeout to 5m" or "from 30s to 60s" is not one.
static VERSION_MOVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?:\bto\s+(?:version\s+|go\s*|golang\s*)?v?\d+\.\d+|\bfrom\s+v?\d+\.\d+\S*\s+to\s+v?\d+\.\d+|v?\d+\.\d+\S*\s*(?:->|→|=>)\s*v?\d+\.\d+)",
    )
    .expect("valid regex")
});
/// What the cherry-pick script and humans put in front of the subject.
static TITLE_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(?:automated cherry[- ]pick of (?:#\d+[:,\s]*)+|\[release-[\d.]+\]\s*)+")
        .expect("valid regex")
});

/// Whether a PR title announces a dependency version change: a bump verb, then a version
/// movement, and no "fix" before the verb ("kubeadm: fix upgrade to v1.31" is a fix).
pub fn is_dependency_title(title: &str) -> bool {
    let subject = TITLE_PREFIX.replace(title, "");
    let Some(verb) = BUMP_VERB.find(&subject) else {
        return false;
    };
    let fix_first = FIX_WORD
        .find(&subject)
        .is_some_and(|fix| fix.start() < verb.start());
    !fix_first && VERSION_MOVE.is_match(&subject[verb.start()..])
}

/// Whether changed paths touch Kubernetes' dependency files: `go.mod`/`go.sum` (any module),
/// `vendor/`, `build/dependencies.yaml`.
pub fn touches_dependencies<'a>(mut paths: impl Iterator<Item = &'a str>) -> bool {
    paths.any(|path| {
        let name = path.rsplit('/').next().unwrap_or(path);
        name == "go.mod"
            || name == "go.sum"
            || path.starts_with("vendor/")
            || path == "build/dependencies.yaml"
    })
}

/// The parents a PR names, and whether it was made by `hack/cherry_pick_pull.sh`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CherryPickParents {
    /// Parent PR numbers, in the order first named.
    pub numbers: Vec<u64>,
    /// Made by the cherry-pick script (release notes then come from the parents).
    pub automated: bool,
}

/// Finds parents from the body line `Cherry pick of #N on release-X.Y.`, the title
/// `Automated cherry pick of #N: ...` or the head ref `automated-cherry-pick-of-#N-...`.
pub fn cherry_pick_parents(pr: &PullRequest) -> CherryPickParents {
    let mut numbers: Vec<u64> = Vec::new();
    let mut push_all = |text: &str| {
        for capture in NUMBER.captures_iter(text) {
            if let Ok(number) = capture[1].parse::<u64>() {
                if !numbers.contains(&number) && number != pr.number {
                    numbers.push(number);
                }
            }
        }
    };
    let mut automated = false;
    for capture in BODY_PARENTS.captures_iter(&pr.body) {
        push_all(&capture[1]);
        automated = true;
    }
    if let Some(capture) = TITLE_PARENTS.captures(&pr.title) {
        push_all(&capture[1]);
        automated = true;
    }
    if let Some(capture) = HEAD_REF_PARENTS.captures(&pr.head_ref) {
        push_all(&capture[1]);
        automated = true;
    }
    CherryPickParents { numbers, automated }
}

fn has_release_note(labels: &[String]) -> bool {
    labels
        .iter()
        .any(|label| label == "release-note" || label.starts_with("release-note-"))
}

/// `pull-kubernetes-e2e-kind` → `kind`; `ci-kubernetes-unit-1-37` → `unit`; `kind-1.37` → `kind`.
fn job_key(name: &str) -> String {
    let mut key = name.trim().to_ascii_lowercase();
    for prefix in ["pull-kubernetes-", "ci-kubernetes-", "pull-", "ci-", "e2e-"] {
        if let Some(rest) = key.strip_prefix(prefix) {
            key = rest.to_string();
        }
    }
    static BRANCH_SUFFIX: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?:[-_ ]+)(?:master|\d+[.-]\d+)$").expect("valid regex"));
    BRANCH_SUFFIX.replace(&key, "").to_string()
}

/// The result of analysing one branch's open PRs.
#[derive(Clone, Debug, Default)]
pub struct BranchPulls {
    /// One report per PR, by number.
    pub pull_requests: Vec<PullRequestReport>,
    /// Count per condition, plus `open`.
    pub counts: BTreeMap<String, u32>,
    /// Per context with a final result on some PR.
    pub presubmits: Vec<PresubmitReport>,
}

#[derive(Default)]
struct ContextTally {
    with_result: u32,
    failing: u32,
    counted_with_result: u32,
    counted_failures: u32,
}

/// Analyses the open PRs of `branch`.
pub fn analyze_branch_pull_requests(
    branch: &str,
    prs: &[PullRequest],
    head: Option<&str>,
    github: &GithubData,
    dashboards: &[DashboardReport],
    thresholds: &BranchWideConfig,
    now: i64,
) -> BranchPulls {
    let old_before = now - thresholds.failure_window.as_secs() as i64;
    // A failure against an old base that is also older than the window does not count.
    let counts_for_branch = |base: Option<&str>, created: Option<i64>| -> bool {
        let old_base = match (base, head) {
            (Some(base), Some(head)) => !crate::analysis::branch::same_commit(base, head),
            _ => false,
        };
        let old = created.is_some_and(|t| t < old_before);
        !(old_base && old)
    };

    let mut tallies: BTreeMap<&str, ContextTally> = BTreeMap::new();
    for pr in prs {
        for context in &pr.contexts {
            if context.name == TIDE_CONTEXT || !context.state.is_final() {
                continue;
            }
            let tally = tallies.entry(context.name.as_str()).or_default();
            tally.with_result += 1;
            let counted = counts_for_branch(context.base_sha.as_deref(), context.created_at);
            if counted {
                tally.counted_with_result += 1;
            }
            if context.state.is_failure() {
                tally.failing += 1;
                if counted {
                    tally.counted_failures += 1;
                }
            }
        }
    }
    let branch_wide: BTreeSet<&str> = tallies
        .iter()
        .filter(|(_, t)| {
            t.counted_failures >= thresholds.min_failing_prs
                && t.counted_with_result > 0
                && f64::from(t.counted_failures) / f64::from(t.counted_with_result)
                    >= thresholds.min_failing_fraction
        })
        .map(|(name, _)| *name)
        .collect();

    let twins: BTreeMap<String, PeriodicTwin> = dashboards
        .iter()
        .filter(|d| d.kind == DashboardKind::Blocking)
        .flat_map(|d| {
            d.tabs.iter().map(move |tab| {
                (
                    job_key(&tab.summary.name),
                    PeriodicTwin {
                        dashboard: d.name.clone(),
                        tab: tab.summary.name.clone(),
                        status: tab.summary.status.as_str().to_string(),
                        failing: matches!(
                            tab.summary.status,
                            TabStatus::Failing | TabStatus::Broken
                        ),
                        url: tab.url.clone(),
                    },
                )
            })
        })
        .collect();
    let presubmits = tallies
        .iter()
        .map(|(name, tally)| PresubmitReport {
            context: name.to_string(),
            failing_prs: tally.failing,
            prs_with_result: tally.with_result,
            counted_failures: tally.counted_failures,
            branch_wide: branch_wide.contains(name),
            periodic_twin: twins.get(&job_key(name)).cloned(),
        })
        .collect();

    let is_release_branch = branch != "master";
    let pull_requests: Vec<PullRequestReport> = prs
        .iter()
        .map(|pr| pull_request_report(pr, is_release_branch, github, &branch_wide))
        .collect();

    let mut counts: BTreeMap<String, u32> = Condition::ALL
        .iter()
        .map(|c| (c.as_str().to_string(), 0))
        .collect();
    counts.insert("open".to_string(), pull_requests.len() as u32);
    for report in &pull_requests {
        for condition in &report.conditions {
            *counts.entry(condition.as_str().to_string()).or_default() += 1;
        }
    }
    BranchPulls {
        pull_requests,
        counts,
        presubmits,
    }
}

fn pull_request_report(
    pr: &PullRequest,
    is_release_branch: bool,
    github: &GithubData,
    branch_wide: &BTreeSet<&str>,
) -> PullRequestReport {
    let has = |label: &str| pr.labels.iter().any(|l| l == label);
    let parents = cherry_pick_parents(pr);
    let known_parents: Vec<_> = parents
        .numbers
        .iter()
        .filter_map(|n| github.parents.get(n))
        .collect();

    let failing_contexts: Vec<FailingContextReport> = pr
        .contexts
        .iter()
        .filter(|c| c.name != TIDE_CONTEXT && c.state.is_failure())
        .map(|c| FailingContextReport {
            context: c.name.clone(),
            state: c.state.as_str().to_string(),
            description: c.description.clone(),
            target_url: c.target_url.clone(),
            branch_wide: branch_wide.contains(c.name.as_str()),
        })
        .collect();
    let pending = pr
        .contexts
        .iter()
        .any(|c| c.name != TIDE_CONTEXT && !c.state.is_final());

    let missing_release_note = if has(RELEASE_NOTE_NEEDED) {
        true
    } else if has_release_note(&pr.labels) {
        false
    } else if parents.automated && !known_parents.is_empty() {
        known_parents.iter().any(|p| !has_release_note(&p.labels))
    } else {
        true
    };
    let parent_not_merged = known_parents.iter().any(|p| !p.merged);
    let needs_rebase = has(NEEDS_REBASE) || pr.mergeable.as_deref() == Some("CONFLICTING");
    let failing = !failing_contexts.is_empty();
    let blocked_by_branch = failing_contexts.iter().any(|c| c.branch_wide);
    let otherwise_mergeable = REQUIRED_LABELS.iter().all(|label| has(label))
        && (!is_release_branch || has(CHERRY_PICK_APPROVED))
        && !BLOCKING_LABELS.iter().any(|label| has(label))
        && !pr.is_draft
        && !needs_rebase
        && !parent_not_merged;
    let only_blocked =
        failing && failing_contexts.iter().all(|c| c.branch_wide) && otherwise_mergeable;
    let ready = otherwise_mergeable && !failing && !pending;
    let dependency_bump = has("area/dependency")
        || pr
            .changed_files
            .as_ref()
            .is_some_and(|files| touches_dependencies(files.iter().map(String::as_str)))
        || is_dependency_title(&pr.title);

    let mut conditions = Vec::new();
    for (condition, met) in [
        (
            Condition::Untriaged,
            is_release_branch && has(CHERRY_PICK_NOT_APPROVED),
        ),
        (Condition::CherryPickApproved, has(CHERRY_PICK_APPROVED)),
        (Condition::MissingReleaseNote, missing_release_note),
        (Condition::ParentNotMerged, parent_not_merged),
        (Condition::Held, has(HOLD)),
        (Condition::NeedsRebase, needs_rebase),
        (Condition::Failing, failing),
        (Condition::BlockedByBranchFailure, blocked_by_branch),
        (Condition::OnlyBlockedByBranch, only_blocked),
        (Condition::Ready, ready),
        (Condition::DependencyBump, dependency_bump),
        (Condition::Draft, pr.is_draft),
    ] {
        if met {
            conditions.push(condition);
        }
    }

    PullRequestReport {
        number: pr.number,
        title: pr.title.clone(),
        url: pr.url.clone(),
        author: pr.author.clone(),
        conditions,
        failing_contexts,
        parents: parents
            .numbers
            .iter()
            .map(|n| ParentReport {
                number: *n,
                merged: github.parents.get(n).map(|p| p.merged),
                url: github
                    .parents
                    .get(n)
                    .map(|p| p.url.clone())
                    .filter(|u| !u.is_empty())
                    .unwrap_or_else(|| replace_number(&pr.url, pr.number, *n)),
            })
            .collect(),
        labels: pr.labels.clone(),
        milestone: pr.milestone.clone(),
        created_at: pr.created_at,
        updated_at: pr.updated_at,
    }
}

/// `https://github.com/o/r/pull/5` with 5 replaced by `other`.
fn replace_number(url: &str, number: u64, other: u64) -> String {
    url.strip_suffix(&number.to_string())
        .map(|base| format!("{base}{other}"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::sources::github::{ContextResult, ContextState, ParentPr};

    const NOW: i64 = 1_795_000_000;
    const TIP: &str = "9d8c7b6a5f4e3d2c1b0a99887766554433221100";

    fn pr(number: u64, labels: &[&str], failing: &[&str]) -> PullRequest {
        let mut contexts: Vec<ContextResult> = [
            "pull-kubernetes-unit",
            "pull-kubernetes-verify",
            "pull-kubernetes-e2e-kind",
            "EasyCLA",
        ]
        .iter()
        .map(|name| ContextResult {
            name: name.to_string(),
            state: if failing.contains(name) {
                ContextState::Failure
            } else {
                ContextState::Success
            },
            description: "Job succeeded.".into(),
            base_sha: Some(TIP.into()),
            target_url: None,
            created_at: Some(NOW - 3600),
        })
        .collect();
        contexts.push(ContextResult {
            name: "tide".into(),
            state: ContextState::Pending,
            description: "Not mergeable.".into(),
            base_sha: None,
            target_url: None,
            created_at: Some(NOW),
        });
        PullRequest {
            number,
            title: format!("Automated cherry pick of #{}: fix a thing", number - 1000),
            url: format!("https://github.com/kubernetes/kubernetes/pull/{number}"),
            body: format!(
                "Cherry pick of #{} on release-1.34.\n\n#{}: fix a thing",
                number - 1000,
                number - 1000
            ),
            author: Some("alice".into()),
            is_draft: false,
            labels: labels.iter().map(|l| l.to_string()).collect(),
            milestone: Some("v1.34".into()),
            base_ref: "release-1.34".into(),
            head_ref: format!(
                "automated-cherry-pick-of-#{}-upstream-release-1.34",
                number - 1000
            ),
            head_oid: "3f1c2e9a7b5d4c8e0f6a1b2c3d4e5f60718293a4".into(),
            mergeable: Some("MERGEABLE".into()),
            changed_files: None,
            created_at: Some(NOW - 86400),
            updated_at: Some(NOW - 3600),
            contexts,
        }
    }

    const APPROVED: [&str; 6] = [
        "lgtm",
        "approved",
        "cncf-cla: yes",
        "cherry-pick-approved",
        "release-note",
        "kind/bug",
    ];

    fn thresholds() -> BranchWideConfig {
        BranchWideConfig {
            min_failing_prs: 3,
            min_failing_fraction: 0.5,
            failure_window: Duration::from_secs(72 * 3600),
        }
    }

    fn github_with_merged_parents(prs: &[PullRequest]) -> GithubData {
        let mut github = GithubData::default();
        for pr in prs {
            let n = pr.number - 1000;
            github.parents.insert(
                n,
                ParentPr {
                    number: n,
                    merged: true,
                    url: String::new(),
                    labels: vec!["release-note".into()],
                },
            );
        }
        github
    }

    fn analyze(prs: &[PullRequest]) -> BranchPulls {
        let github = github_with_merged_parents(prs);
        analyze_branch_pull_requests(
            "release-1.34",
            prs,
            Some(TIP),
            &github,
            &[],
            &thresholds(),
            NOW,
        )
    }

    fn conditions_of(result: &BranchPulls, number: u64) -> Vec<Condition> {
        result
            .pull_requests
            .iter()
            .find(|p| p.number == number)
            .unwrap()
            .conditions
            .clone()
    }

    #[test]
    fn parents_come_from_body_title_and_head_ref() {
        let mut p = pr(5000, &[], &[]);
        assert_eq!(
            cherry_pick_parents(&p),
            CherryPickParents {
                numbers: vec![4000],
                automated: true
            }
        );
        p.body = "Cherry pick of #123 #456 on release-1.31.\n".into();
        p.title = "[release-1.31] hand made".into();
        p.head_ref = "my-branch".into();
        assert_eq!(cherry_pick_parents(&p).numbers, vec![123, 456]);
        p.body = String::new();
        p.head_ref = "automated-cherry-pick-of-#777-#778-origin-release-1.31".into();
        assert_eq!(cherry_pick_parents(&p).numbers, vec![777, 778]);
        p.head_ref = "fix-kubelet".into();
        assert_eq!(cherry_pick_parents(&p), CherryPickParents::default());
    }

    #[test]
    fn an_approved_pick_failing_only_a_branch_wide_job_is_only_blocked_by_branch() {
        let prs = vec![
            pr(5001, &APPROVED, &["pull-kubernetes-verify"]),
            pr(5002, &APPROVED, &["pull-kubernetes-verify"]),
            pr(
                5003,
                &[
                    "do-not-merge/cherry-pick-not-approved",
                    "lgtm",
                    "approved",
                    "cncf-cla: yes",
                    "release-note",
                ],
                &["pull-kubernetes-verify"],
            ),
            pr(
                5004,
                &APPROVED,
                &["pull-kubernetes-verify", "pull-kubernetes-unit"],
            ),
            pr(5005, &APPROVED, &[]),
        ];
        let result = analyze(&prs);
        let verify = result
            .presubmits
            .iter()
            .find(|p| p.context == "pull-kubernetes-verify")
            .unwrap();
        assert!(verify.branch_wide);
        assert_eq!(verify.failing_prs, 4);
        assert!(
            !result
                .presubmits
                .iter()
                .find(|p| p.context == "pull-kubernetes-unit")
                .unwrap()
                .branch_wide
        );
        assert_eq!(
            conditions_of(&result, 5001),
            vec![
                Condition::CherryPickApproved,
                Condition::Failing,
                Condition::BlockedByBranchFailure,
                Condition::OnlyBlockedByBranch
            ]
        );
        assert_eq!(
            conditions_of(&result, 5003),
            vec![
                Condition::Untriaged,
                Condition::Failing,
                Condition::BlockedByBranchFailure
            ]
        );
        assert!(
            !conditions_of(&result, 5004).contains(&Condition::OnlyBlockedByBranch),
            "unit fails only on this PR"
        );
        assert_eq!(
            conditions_of(&result, 5005),
            vec![Condition::CherryPickApproved, Condition::Ready]
        );
        assert_eq!(result.counts["open"], 5);
        assert_eq!(result.counts["only_blocked_by_branch"], 2);
        assert_eq!(result.counts["draft"], 0);
    }

    #[test]
    fn failures_below_either_threshold_are_not_branch_wide() {
        // 2 failing PRs: below min_failing_prs.
        let prs = vec![
            pr(5001, &APPROVED, &["pull-kubernetes-verify"]),
            pr(5002, &APPROVED, &["pull-kubernetes-verify"]),
        ];
        assert!(!analyze(&prs).presubmits.iter().any(|p| p.branch_wide));
        // 3 of 7: below the fraction.
        let mut prs: Vec<_> = (0..3)
            .map(|i| pr(5001 + i, &APPROVED, &["pull-kubernetes-verify"]))
            .collect();
        prs.extend((3..7).map(|i| pr(5001 + i, &APPROVED, &[])));
        assert!(!analyze(&prs).presubmits.iter().any(|p| p.branch_wide));
        // 4 of 7 is enough.
        prs[3] = pr(5004, &APPROVED, &["pull-kubernetes-verify"]);
        assert!(analyze(&prs).presubmits.iter().any(|p| p.branch_wide));
    }

    #[test]
    fn old_failures_against_an_old_base_do_not_count() {
        let mut prs: Vec<_> = (0..4)
            .map(|i| pr(5001 + i, &APPROVED, &["pull-kubernetes-verify"]))
            .collect();
        for p in prs.iter_mut().take(2) {
            for c in &mut p.contexts {
                c.base_sha = Some("0000000aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".into());
                c.created_at = Some(NOW - 4 * 86400);
            }
        }
        let result = analyze(&prs);
        let verify = result
            .presubmits
            .iter()
            .find(|p| p.context == "pull-kubernetes-verify")
            .unwrap();
        assert_eq!((verify.failing_prs, verify.counted_failures), (4, 2));
        assert!(!verify.branch_wide);
    }

    #[test]
    fn release_notes_of_automated_picks_come_from_parents() {
        let p = pr(5001, &["lgtm"], &[]);
        let mut github = github_with_merged_parents(std::slice::from_ref(&p));
        let result = analyze_branch_pull_requests(
            "release-1.34",
            std::slice::from_ref(&p),
            Some(TIP),
            &github,
            &[],
            &thresholds(),
            NOW,
        );
        assert!(!conditions_of(&result, 5001).contains(&Condition::MissingReleaseNote));
        github.parents.get_mut(&4001).unwrap().labels.clear();
        github.parents.get_mut(&4001).unwrap().merged = false;
        let result = analyze_branch_pull_requests(
            "release-1.34",
            std::slice::from_ref(&p),
            Some(TIP),
            &github,
            &[],
            &thresholds(),
            NOW,
        );
        let conditions = conditions_of(&result, 5001);
        assert!(conditions.contains(&Condition::MissingReleaseNote));
        assert!(conditions.contains(&Condition::ParentNotMerged));
        // A hand-made PR needs its own label.
        let mut hand = pr(6001, &["lgtm"], &[]);
        hand.title = "[release-1.34] fix".into();
        hand.body = "fixes a bug".into();
        hand.head_ref = "fix".into();
        let result = analyze_branch_pull_requests(
            "release-1.34",
            &[hand],
            Some(TIP),
            &GithubData::default(),
            &[],
            &thresholds(),
            NOW,
        );
        assert!(conditions_of(&result, 6001).contains(&Condition::MissingReleaseNote));
    }

    #[test]
    fn held_rebase_draft_and_dependency_bumps_are_flagged() {
        let mut p = pr(
            5001,
            &["do-not-merge/hold", "needs-rebase", "release-note-none"],
            &[],
        );
        p.is_draft = true;
        p.title = "[release-1.34] Bump golang.org/x/net to v0.33.0".into();
        let c = conditions_of(&analyze(&[p]), 5001);
        for expected in [
            Condition::Held,
            Condition::NeedsRebase,
            Condition::Draft,
            Condition::DependencyBump,
        ] {
            assert!(c.contains(&expected), "{expected:?} in {c:?}");
        }
    }

    /// Real-style Kubernetes titles: (title, is a dependency bump).
    const DEPENDENCY_TITLES: &[(&str, bool)] = &[
        ("Bump golang.org/x/net to v0.33.0", true),
        ("[release-1.31] Bump golang.org/x/net to v0.33.0", true),
        (
            "Automated cherry pick of #129101: Bump golang.org/x/crypto to v0.31.0",
            true,
        ),
        ("etcd: Update to version 3.5.12", true),
        ("Update Go to 1.24.9", true),
        (
            "[release-1.32] Update to go 1.24.6 and distroless iptables",
            true,
        ),
        (
            "Bump images and versions to go 1.22.5 and distroless iptables",
            true,
        ),
        ("Update to go1.23.4", true),
        ("Bump golang.org/x/crypto from 0.21.0 to 0.31.0", true),
        ("update coredns to 1.11.3", true),
        ("Upgrade etcd to v3.5.16", true),
        ("Bump runc to v1.1.14", true),
        (
            "bump github.com/opencontainers/runc v1.1.13 -> v1.1.14",
            true,
        ),
        ("Update cadvisor to v0.49.2", true),
        ("kubeadm: update etcd to 3.5.16 for Kubernetes 1.31", true),
        (
            "Bump kube-openapi to v0.0.0-20240827152857-f7e401e7b4c2",
            true,
        ),
        ("Bumped google.golang.org/grpc to v1.65.1", true),
        (
            "Update github.com/docker/docker to v26.1.4+incompatible",
            true,
        ),
        ("[release-1.30] Bump distroless-iptables to v0.5.9", true),
        ("Pin golang.org/x/tools to v0.24.0", true),
        ("Revert \"Bump golang.org/x/net to v0.33.0\"", true),
        ("kubeadm: fix upgrade plan output", false),
        ("fix service CIDR allocation on upgrade", false),
        ("Fix kube-proxy crash when upgrading to 1.31", false),
        ("kubeadm: fix upgrade to v1.31 with external etcd", false),
        ("kubelet: update node status to Ready after restart", false),
        ("e2e: bump timeout to 5m for slow storage tests", false),
        ("bump test timeout from 30s to 60s", false),
        ("Update docs for the 1.31 upgrade", false),
        ("Update vendor directory README", false),
        ("kubelet: fix panic when pod has no status", false),
        (
            "apiserver: avoid leaking watch goroutines on timeout",
            false,
        ),
        (
            "scheduler: update NodeResourcesFit scoring when pods are added",
            false,
        ),
        ("Fix dependency cycle in volume manager startup", false),
        (
            "DRA: update ResourceSlice status when the driver restarts",
            false,
        ),
        ("client-go: fix informer resync after a watch error", false),
        (
            "kubectl: upgrade the describe output for ephemeral containers",
            false,
        ),
        (
            "Automated cherry pick of #128519: kubelet: fix panic when pod has no status",
            false,
        ),
        (
            "[release-1.31] Fix upgrade of static pods to the new kube-apiserver",
            false,
        ),
        (
            "Bump the pod startup latency threshold in scale tests",
            false,
        ),
        (
            "node: restore cgroup v1 memory accounting after upgrade to cgroup v2",
            false,
        ),
        ("Update CHANGELOG-1.31.md for v1.31.2", false),
        (
            "apiserver: fix update of status subresource to 1 replica",
            false,
        ),
    ];

    #[test]
    fn dependency_titles_need_a_bump_verb_and_a_version_movement() {
        let bumps = DEPENDENCY_TITLES.iter().filter(|(_, bump)| *bump).count();
        assert!(bumps >= 20 && DEPENDENCY_TITLES.len() - bumps >= 20);
        let wrong: Vec<_> = DEPENDENCY_TITLES
            .iter()
            .filter(|(title, bump)| is_dependency_title(title) != *bump)
            .collect();
        assert!(wrong.is_empty(), "misjudged: {wrong:#?}");
    }

    #[test]
    fn changed_dependency_files_make_a_bump_whatever_the_title() {
        assert!(touches_dependencies(
            ["go.mod", "pkg/kubelet/kubelet.go"].into_iter()
        ));
        assert!(touches_dependencies(
            ["staging/src/k8s.io/api/go.sum"].into_iter()
        ));
        assert!(touches_dependencies(
            ["vendor/golang.org/x/net/http2/frame.go"].into_iter()
        ));
        assert!(touches_dependencies(
            ["build/dependencies.yaml"].into_iter()
        ));
        assert!(!touches_dependencies(
            ["pkg/kubelet/go.mod.md", "hack/vendor.sh", "docs/vendor/x"].into_iter()
        ));
        let mut p = pr(5001, &APPROVED, &[]);
        p.title = "[release-1.34] kubelet: fix a thing".into();
        p.changed_files = Some(vec!["go.mod".into(), "go.sum".into()]);
        assert!(conditions_of(&analyze(&[p]), 5001).contains(&Condition::DependencyBump));
        let mut p = pr(5001, &APPROVED, &[]);
        p.title = "[release-1.34] kubelet: fix a thing".into();
        p.changed_files = Some(vec!["pkg/kubelet/kubelet.go".into()]);
        assert!(!conditions_of(&analyze(&[p]), 5001).contains(&Condition::DependencyBump));
    }

    #[test]
    fn job_names_match_their_periodic_twins() {
        assert_eq!(
            job_key("pull-kubernetes-unit"),
            job_key("ci-kubernetes-unit-1-37")
        );
        assert_eq!(job_key("pull-kubernetes-e2e-kind"), job_key("kind-1.37"));
        assert_eq!(job_key("pull-kubernetes-verify"), job_key("verify-master"));
        assert_ne!(job_key("pull-kubernetes-e2e-gce"), job_key("kind-1.37"));
    }
}
