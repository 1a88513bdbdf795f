//! The cherry-pick queue of one branch: the branch-wide presubmit failure rule, each failing
//! presubmit's periodic twin on TestGrid, and every PR's conditions — pure functions of the PRs,
//! their parents and `now`.

use std::{
    collections::{BTreeMap, BTreeSet},
    time::Duration,
};

use crate::{
    k8s::{
        cherry_pick::{
            AREA_DEPENDENCY, BLOCKING_LABELS, CHERRY_PICK_APPROVED, CHERRY_PICK_NOT_APPROVED,
            CherryPickParents, HOLD, NEEDS_REBASE, RELEASE_NOTE_NEEDED, REQUIRED_LABELS,
            TIDE_CONTEXT, has_release_note_label, is_dependency_title, touches_dependencies,
        },
        ci::{job_key, same_commit},
        release_note::{ENHANCEMENT_LABELS, Note, NoteState, claims_note},
        version::BranchKind,
    },
    snapshot::{
        Condition, DashboardKind, DashboardReport, FailingContextReport, NextAction, ParentReport,
        PeriodicTwin, PrCounts, PresubmitReport, PullRequestReport, ReleaseNoteReport,
    },
    sources::github::model::{Mergeable, ParentPr, PullRequest},
};

/// When a failing presubmit is the branch's fault rather than the PR's.
#[derive(Clone, Copy, Debug)]
pub struct BranchWideRule {
    /// At least this many open PRs must fail the context.
    pub min_failing_prs: u32,
    /// And they must be at least this fraction of the PRs that have a result for it.
    pub min_failing_fraction: f64,
    /// A failure against an old base older than this does not count.
    pub failure_window: Duration,
}

/// The result of analysing one branch's open PRs.
#[derive(Clone, Debug, Default)]
pub(super) struct BranchPulls {
    pub pull_requests: Vec<PullRequestReport>,
    pub counts: PrCounts,
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
pub(super) fn analyze_branch_pull_requests(
    branch: &str,
    prs: &[PullRequest],
    head: Option<&str>,
    parents: &Parents<'_>,
    dashboards: &[DashboardReport],
    rule: &BranchWideRule,
    now: i64,
) -> BranchPulls {
    let tallies = tally_contexts(prs, head, rule, now);
    let branch_wide: BTreeSet<&str> = tallies
        .iter()
        .filter(|(_, t)| {
            t.counted_failures >= rule.min_failing_prs
                && t.counted_with_result > 0
                && f64::from(t.counted_failures) / f64::from(t.counted_with_result)
                    >= rule.min_failing_fraction
        })
        .map(|(name, _)| *name)
        .collect();

    let twins = periodic_twins(dashboards);
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

    let kind = BranchKind::parse(branch);
    let milestone = kind
        .and_then(BranchKind::minor)
        .map(|minor| format!("v{}.{}", minor.major, minor.minor));
    let pull_requests: Vec<PullRequestReport> = prs
        .iter()
        .map(|pr| pull_request_report(pr, kind, milestone.as_deref(), parents, &branch_wide))
        .collect();

    let mut counts = PrCounts {
        open: Some(u32::try_from(pull_requests.len()).unwrap_or(u32::MAX)),
        by_condition: Condition::ALL.iter().map(|c| (*c, 0)).collect(),
    };
    for report in &pull_requests {
        for condition in &report.conditions {
            *counts.by_condition.entry(*condition).or_default() += 1;
        }
    }
    BranchPulls {
        pull_requests,
        counts,
        presubmits,
    }
}

/// Per context (Tide's verdict aside), how many PRs have a final result and how many fail it;
/// "counted" leaves out failures against an old base that are older than the window.
fn tally_contexts<'a>(
    prs: &'a [PullRequest],
    head: Option<&str>,
    rule: &BranchWideRule,
    now: i64,
) -> BTreeMap<&'a str, ContextTally> {
    let window = i64::try_from(rule.failure_window.as_secs()).unwrap_or(i64::MAX);
    let old_before = now.saturating_sub(window);
    let counts_for_branch = |base: Option<&str>, created: Option<i64>| -> bool {
        let old_base = match (base, head) {
            (Some(base), Some(head)) => !same_commit(base, head),
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
    tallies
}

/// Blocking tabs by the job name they share with a presubmit. Two tabs of one job (one per
/// dashboard) keep the first, which is the blocking dashboard listed first.
fn periodic_twins(dashboards: &[DashboardReport]) -> BTreeMap<String, PeriodicTwin> {
    let mut twins = BTreeMap::new();
    for dashboard in dashboards
        .iter()
        .filter(|d| d.kind == DashboardKind::Blocking)
    {
        for tab in &dashboard.tabs {
            twins
                .entry(job_key(&tab.name))
                .or_insert_with(|| PeriodicTwin {
                    dashboard: dashboard.name.clone(),
                    tab: tab.name.clone(),
                    status: tab.status,
                    failing: tab.status.is_failing(),
                    url: tab.url.clone(),
                });
        }
    }
    twins
}

/// The parents GitHub has, and the numbers it says it does not.
pub(super) struct Parents<'a> {
    pub found: &'a BTreeMap<u64, ParentPr>,
    pub missing: &'a BTreeSet<u64>,
}

/// What a release-branch PR is, beyond its own labels and results.
struct Lineage<'a> {
    /// Made by the cherry-pick script (its notes are its parents').
    automated: bool,
    /// Its named parents that GitHub has.
    known_parents: Vec<&'a ParentPr>,
    /// No parent exists: none named, or none of those named is a PR GitHub has.
    manual: bool,
    /// Its release notes.
    notes: Vec<ReleaseNoteReport>,
}

/// The release notes of a PR: its parents' for an automated cherry-pick (one each), else its
/// own body's; `release-note-none` on the PR that holds the note means none.
fn release_notes(
    pr_number: u64,
    own_note: &Note,
    labels: &[String],
    named: &CherryPickParents,
    parents: &Parents<'_>,
) -> Vec<ReleaseNoteReport> {
    let own = || ReleaseNoteReport::from_note(pr_number, own_note.clone().with_labels(labels));
    if !named.automated || named.numbers.is_empty() {
        return vec![own()];
    }
    let notes: Vec<ReleaseNoteReport> = named
        .numbers
        .iter()
        .map(|number| match parents.found.get(number) {
            Some(parent) => ReleaseNoteReport::from_note(
                *number,
                parent.note.clone().with_labels(&parent.labels),
            ),
            None => ReleaseNoteReport::from_note(*number, Note::UNKNOWN),
        })
        .collect();
    // Every parent gone: the pick's own body (the script copies the notes in) is all there is.
    if notes.iter().all(|n| n.state == NoteState::Unknown)
        && named.numbers.iter().all(|n| parents.missing.contains(n))
    {
        return vec![own()];
    }
    notes
}

/// The conditions one PR meets.
fn conditions(
    pr: &PullRequest,
    kind: Option<BranchKind>,
    milestone: Option<&str>,
    lineage: &Lineage<'_>,
    failing_contexts: &[FailingContextReport],
) -> Vec<Condition> {
    let is_release_branch = !matches!(kind, Some(BranchKind::Master));
    let automated = lineage.automated;
    let known_parents = &lineage.known_parents;
    let has = |label: &str| pr.labels.iter().any(|l| l == label);
    let pending = pr
        .contexts
        .iter()
        .any(|c| c.name != TIDE_CONTEXT && !c.state.is_final());
    let missing_release_note = if has(RELEASE_NOTE_NEEDED) {
        true
    } else if has_release_note_label(&pr.labels) {
        false
    } else if automated && !known_parents.is_empty() {
        known_parents
            .iter()
            .any(|p| !has_release_note_label(&p.labels))
    } else {
        true
    };
    // A label that claims a note over a block that is empty, `NONE` or absent: the release
    // notes tool would find nothing.
    let claims = claims_note(&pr.labels)
        || (automated && known_parents.iter().any(|p| claims_note(&p.labels)));
    let note_claimed_but_empty = claims
        && !lineage.notes.is_empty()
        && lineage
            .notes
            .iter()
            .all(|n| matches!(n.state, NoteState::None | NoteState::Absent));
    let missing_release_note = missing_release_note || note_claimed_but_empty;
    let parent_not_merged = known_parents.iter().any(|p| !p.merged);
    let needs_rebase = has(NEEDS_REBASE) || pr.mergeable == Mergeable::Conflicting;
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
    let dependency_bump = has(AREA_DEPENDENCY)
        || pr
            .changed_files
            .as_ref()
            .is_some_and(|files| touches_dependencies(files.iter().map(String::as_str)))
        || is_dependency_title(&pr.title);

    [
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
        (
            Condition::Enhancement,
            is_release_branch && ENHANCEMENT_LABELS.iter().any(|label| has(label)),
        ),
        (
            Condition::ManualCherryPick,
            is_release_branch && lineage.manual,
        ),
        (
            Condition::NeedsReview,
            is_release_branch && lineage.manual && !(has("lgtm") && has("approved")),
        ),
        (
            Condition::NotInMilestone,
            is_release_branch
                && milestone.is_some_and(|wanted| pr.milestone.as_deref() != Some(wanted)),
        ),
    ]
    .into_iter()
    .filter_map(|(condition, met)| met.then_some(condition))
    .collect()
}

fn pull_request_report(
    pr: &PullRequest,
    kind: Option<BranchKind>,
    milestone: Option<&str>,
    parents: &Parents<'_>,
    branch_wide: &BTreeSet<&str>,
) -> PullRequestReport {
    let is_release_branch = !matches!(kind, Some(BranchKind::Master));
    let named = &pr.parents;
    let known_parents: Vec<&ParentPr> = named
        .numbers
        .iter()
        .filter_map(|n| parents.found.get(n))
        .collect();
    let lineage = Lineage {
        automated: named.automated,
        manual: named.numbers.iter().all(|n| parents.missing.contains(n)),
        notes: if is_release_branch {
            release_notes(pr.number, &pr.note, &pr.labels, named, parents)
        } else {
            Vec::new()
        },
        known_parents,
    };
    let failing_contexts: Vec<FailingContextReport> = pr
        .contexts
        .iter()
        .filter(|c| c.name != TIDE_CONTEXT && c.state.is_failure())
        .map(|c| FailingContextReport {
            context: c.name.clone(),
            state: c.state,
            description: c.description.clone(),
            target_url: c.target_url.clone(),
            branch_wide: branch_wide.contains(c.name.as_str()),
        })
        .collect();
    let conditions = conditions(pr, kind, milestone, &lineage, &failing_contexts);
    let next_action = next_action(&conditions, &failing_contexts);
    PullRequestReport {
        number: pr.number,
        title: pr.title.clone(),
        url: pr.url.clone(),
        author: pr.author.clone(),
        conditions,
        failing_contexts,
        parents: named
            .numbers
            .iter()
            .map(|n| ParentReport {
                number: *n,
                merged: parents.found.get(n).map(|p| p.merged),
                url: parents
                    .found
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
        next_action,
        release_notes: lineage.notes,
    }
}

/// The one thing a PR needs next, from its conditions: what must happen first comes first (a
/// held PR, or an enhancement without an approved exception, is not worth triaging yet; a
/// parent must merge before its pick can be approved; a failure is the branch's when every
/// failing context is branch-wide).
pub(super) fn next_action(
    conditions: &[Condition],
    failing_contexts: &[FailingContextReport],
) -> NextAction {
    let has = |condition: Condition| conditions.contains(&condition);
    if has(Condition::Held) {
        NextAction::Held
    } else if has(Condition::Enhancement) && !has(Condition::CherryPickApproved) {
        NextAction::NeedsException
    } else if has(Condition::ParentNotMerged) {
        NextAction::WaitingForParent
    } else if has(Condition::Untriaged) {
        NextAction::Triage
    } else if has(Condition::NeedsReview) {
        NextAction::NeedsReview
    } else if has(Condition::MissingReleaseNote) {
        NextAction::MissingReleaseNote
    } else if has(Condition::NeedsRebase) {
        NextAction::NeedsRebase
    } else if has(Condition::Failing) {
        if failing_contexts.iter().all(|c| c.branch_wide) {
            NextAction::BlockedByBranch
        } else {
            NextAction::Failing
        }
    } else if has(Condition::Ready) {
        NextAction::Ready
    } else {
        NextAction::Waiting
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
    use super::*;
    use crate::{
        fixtures::{self, pr},
        k8s::release_note,
    };

    const NOW: i64 = 1_795_000_000;
    const TIP: &str = "9d8c7b6a5f4e3d2c1b0a99887766554433221100";

    const APPROVED: [&str; 6] = [
        "lgtm",
        "approved",
        "cncf-cla: yes",
        "cherry-pick-approved",
        "release-note",
        "kind/bug",
    ];

    fn rule() -> BranchWideRule {
        BranchWideRule {
            min_failing_prs: 3,
            min_failing_fraction: 0.5,
            failure_window: Duration::from_secs(72 * 3600),
        }
    }

    /// The parents the fixtures name (`number - 1000`), merged, with a release note.
    fn merged_parents(prs: &[PullRequest]) -> BTreeMap<u64, ParentPr> {
        prs.iter()
            .map(|pr| {
                let n = pr.number - 1000;
                (
                    n,
                    ParentPr {
                        number: n,
                        merged: true,
                        url: String::new(),
                        labels: vec!["release-note".into(), "kind/bug".into()],
                        note: release_note::parse(
                            "Fixes #1.\n\n```release-note\nFixed a thing.\n```",
                        ),
                    },
                )
            })
            .collect()
    }

    fn analyze(prs: &[PullRequest]) -> BranchPulls {
        analyze_with(prs, &merged_parents(prs))
    }

    fn analyze_with(prs: &[PullRequest], parents: &BTreeMap<u64, ParentPr>) -> BranchPulls {
        analyze_missing(prs, parents, &BTreeSet::new())
    }

    fn analyze_missing(
        prs: &[PullRequest],
        found: &BTreeMap<u64, ParentPr>,
        missing: &BTreeSet<u64>,
    ) -> BranchPulls {
        let parents = Parents { found, missing };
        analyze_branch_pull_requests("release-1.34", prs, Some(TIP), &parents, &[], &rule(), NOW)
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

    fn failing(number: u64, labels: &[&str], jobs: &[&str]) -> PullRequest {
        pr(number, NOW).labels(labels).failing(jobs).build()
    }

    #[test]
    fn an_approved_pick_failing_only_a_branch_wide_job_is_only_blocked_by_branch() {
        let prs = vec![
            failing(5001, &APPROVED, &["pull-kubernetes-verify"]),
            failing(5002, &APPROVED, &["pull-kubernetes-verify"]),
            failing(
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
            failing(
                5004,
                &APPROVED,
                &["pull-kubernetes-verify", "pull-kubernetes-unit"],
            ),
            failing(5005, &APPROVED, &[]),
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
        assert_eq!(result.counts.open, Some(5));
        assert_eq!(result.counts.get(Condition::OnlyBlockedByBranch), 2);
        assert_eq!(result.counts.by_condition[&Condition::Draft], 0);
    }

    #[test]
    fn failures_below_either_threshold_are_not_branch_wide() {
        let verify = ["pull-kubernetes-verify"];
        // 2 failing PRs: below min_failing_prs.
        let prs = vec![
            failing(5001, &APPROVED, &verify),
            failing(5002, &APPROVED, &verify),
        ];
        assert!(!analyze(&prs).presubmits.iter().any(|p| p.branch_wide));
        // 3 of 7: below the fraction.
        let mut prs: Vec<_> = (0..3)
            .map(|i| failing(5001 + i, &APPROVED, &verify))
            .collect();
        prs.extend((3..7).map(|i| failing(5001 + i, &APPROVED, &[])));
        assert!(!analyze(&prs).presubmits.iter().any(|p| p.branch_wide));
        // 4 of 7 is enough.
        prs[3] = failing(5004, &APPROVED, &verify);
        assert!(analyze(&prs).presubmits.iter().any(|p| p.branch_wide));
    }

    #[test]
    fn old_failures_against_an_old_base_do_not_count() {
        let verify = ["pull-kubernetes-verify"];
        let prs: Vec<_> = (0..4)
            .map(|i| {
                let builder = pr(5001 + i, NOW).labels(&APPROVED).failing(&verify);
                if i < 2 {
                    builder.tested_against("0000000aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 4 * 86400)
                } else {
                    builder
                }
                .build()
            })
            .collect();
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
        let p = pr(5001, NOW).labels(&["lgtm"]).build();
        let mut parents = merged_parents(std::slice::from_ref(&p));
        let result = analyze_with(std::slice::from_ref(&p), &parents);
        assert!(!conditions_of(&result, 5001).contains(&Condition::MissingReleaseNote));
        let parent = parents.get_mut(&4001).unwrap();
        parent.labels.clear();
        parent.merged = false;
        let result = analyze_with(std::slice::from_ref(&p), &parents);
        let conditions = conditions_of(&result, 5001);
        assert!(conditions.contains(&Condition::MissingReleaseNote));
        assert!(conditions.contains(&Condition::ParentNotMerged));
        // A hand-made PR needs its own label.
        let hand = pr(6001, NOW)
            .labels(&["lgtm"])
            .hand_made("[release-1.34] fix", "fixes a bug")
            .build();
        let result = analyze_with(&[hand], &BTreeMap::new());
        assert!(conditions_of(&result, 6001).contains(&Condition::MissingReleaseNote));
    }

    #[test]
    fn held_rebase_draft_and_dependency_bumps_are_flagged() {
        let p = pr(5001, NOW)
            .labels(&["do-not-merge/hold", "needs-rebase", "release-note-none"])
            .title("[release-1.34] Bump golang.org/x/net to v0.33.0")
            .draft()
            .build();
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

    #[test]
    fn changed_dependency_files_make_a_bump_whatever_the_title() {
        let fix = "[release-1.34] kubelet: fix a thing";
        let p = pr(5001, NOW)
            .labels(&APPROVED)
            .title(fix)
            .changed_files(&["go.mod", "go.sum"])
            .build();
        assert!(conditions_of(&analyze(&[p]), 5001).contains(&Condition::DependencyBump));
        let p = pr(5001, NOW)
            .labels(&APPROVED)
            .title(fix)
            .changed_files(&["pkg/kubelet/kubelet.go"])
            .build();
        assert!(!conditions_of(&analyze(&[p]), 5001).contains(&Condition::DependencyBump));
    }

    #[test]
    fn master_prs_are_never_untriaged_and_need_no_cherry_pick_approval() {
        let labels = ["lgtm", "approved", "cncf-cla: yes", "release-note"];
        let p = pr(5001, NOW)
            .labels(&labels)
            .hand_made("kubelet: fix a thing", "")
            .build();
        let result = analyze_branch_pull_requests(
            "master",
            &[p],
            Some(TIP),
            &Parents {
                found: &BTreeMap::new(),
                missing: &BTreeSet::new(),
            },
            &[],
            &rule(),
            NOW,
        );
        assert_eq!(conditions_of(&result, 5001), vec![Condition::Ready]);
        let _ = fixtures::CONTEXTS;
    }

    fn report(result: &BranchPulls, number: u64) -> &PullRequestReport {
        result
            .pull_requests
            .iter()
            .find(|p| p.number == number)
            .unwrap()
    }

    fn parent(number: u64, labels: &[&str], body: &str) -> (u64, ParentPr) {
        (
            number,
            ParentPr {
                number,
                merged: true,
                url: format!("https://github.com/kubernetes/kubernetes/pull/{number}"),
                labels: labels.iter().map(|l| l.to_string()).collect(),
                note: release_note::parse(body),
            },
        )
    }

    /// A hand-made pick from the PR template (no `Cherry pick of` line), with `note`.
    fn manual(number: u64, labels: &[&str], note: &str) -> PullRequest {
        pr(number, NOW)
            .labels(labels)
            .hand_made(
                "[release-1.34] kubelet: fix a panic",
                &format!(
                    "#### What type of PR is this?\r\n/kind bug\r\n\r\n#### Does this PR introduce a user-facing change?\r\n<!--\r\nIf no, just write \"NONE\" in the release-note block below.\r\n-->\r\n```release-note\r\n{note}\r\n```\r\n"
                ),
            )
            .build()
    }

    #[test]
    fn a_feature_on_a_release_branch_is_an_enhancement_that_needs_an_exception_first() {
        let labels = [
            "kind/feature",
            "do-not-merge/cherry-pick-not-approved",
            "release-note",
        ];
        let result = analyze(&[pr(5001, NOW).labels(&labels).build()]);
        let feature = report(&result, 5001);
        assert!(feature.conditions.contains(&Condition::Enhancement));
        assert_eq!(feature.next_action, NextAction::NeedsException);
        // Once a release manager approved it (with the owners' exception) the pick moves on.
        let mut approved = APPROVED.to_vec();
        approved.push("kind/api-change");
        let result = analyze(&[pr(5002, NOW).labels(&approved).build()]);
        assert!(
            report(&result, 5002)
                .conditions
                .contains(&Condition::Enhancement)
        );
        assert_eq!(report(&result, 5002).next_action, NextAction::Ready);
        // master takes features: no condition there.
        let master = analyze_branch_pull_requests(
            "master",
            &[pr(5003, NOW).labels(&["kind/feature"]).build()],
            Some(TIP),
            &Parents {
                found: &BTreeMap::new(),
                missing: &BTreeSet::new(),
            },
            &[],
            &rule(),
            NOW,
        );
        assert!(
            !report(&master, 5003)
                .conditions
                .contains(&Condition::Enhancement)
        );
    }

    #[test]
    fn a_pick_without_a_parent_is_manual_and_needs_the_usual_review() {
        let unreviewed = manual(
            5001,
            &["cherry-pick-approved", "cncf-cla: yes", "release-note"],
            "Fixed a kubelet panic.",
        );
        let reviewed = manual(5002, &APPROVED, "Fixed a kubelet panic.");
        let result = analyze_with(&[unreviewed, reviewed], &BTreeMap::new());
        let first = report(&result, 5001);
        assert!(first.conditions.contains(&Condition::ManualCherryPick));
        assert!(first.conditions.contains(&Condition::NeedsReview));
        assert_eq!(first.next_action, NextAction::NeedsReview);
        let second = report(&result, 5002);
        assert!(second.conditions.contains(&Condition::ManualCherryPick));
        assert!(!second.conditions.contains(&Condition::NeedsReview));
        assert_eq!(second.next_action, NextAction::Ready);
    }

    #[test]
    fn a_pick_whose_parent_was_deleted_is_manual_but_one_not_read_yet_is_not() {
        let pick = pr(5001, NOW).labels(&APPROVED).build();
        let deleted: BTreeSet<u64> = [4001].into();
        let result = analyze_missing(std::slice::from_ref(&pick), &BTreeMap::new(), &deleted);
        let conditions = &report(&result, 5001).conditions;
        assert!(conditions.contains(&Condition::ManualCherryPick));
        assert!(
            !conditions.contains(&Condition::NeedsReview),
            "it has lgtm and approved"
        );
        // Its own body still carries the note the script copied in.
        assert_eq!(
            report(&result, 5001).release_notes,
            vec![ReleaseNoteReport {
                from_pr: 5001,
                state: NoteState::Written,
                text: Some("Fixed a thing.".into())
            }]
        );
        let unknown = analyze_missing(&[pick], &BTreeMap::new(), &BTreeSet::new());
        assert!(
            !report(&unknown, 5001)
                .conditions
                .contains(&Condition::ManualCherryPick)
        );
    }

    #[test]
    fn a_pick_outside_its_branch_milestone_is_flagged() {
        let prs = [
            pr(5001, NOW).labels(&APPROVED).milestone(None).build(),
            pr(5002, NOW)
                .labels(&APPROVED)
                .milestone(Some("v1.33"))
                .build(),
            pr(5003, NOW)
                .labels(&APPROVED)
                .milestone(Some("v1.34"))
                .build(),
        ];
        let result = analyze(&prs);
        assert!(
            report(&result, 5001)
                .conditions
                .contains(&Condition::NotInMilestone)
        );
        assert!(
            report(&result, 5002)
                .conditions
                .contains(&Condition::NotInMilestone)
        );
        assert!(
            !report(&result, 5003)
                .conditions
                .contains(&Condition::NotInMilestone)
        );
    }

    #[test]
    fn an_automated_pick_shows_each_parents_note_and_a_manual_one_its_own() {
        let two = pr(5001, NOW)
            .labels(&APPROVED)
            .title("Automated cherry pick of #4001: kubelet fix #4002: proxy fix")
            .body("Cherry pick of #4001 #4002 on release-1.34.\n\n#4001: kubelet fix\n#4002: proxy fix")
            .build();
        let parents: BTreeMap<u64, ParentPr> = [
            parent(
                4001,
                &["release-note", "kind/bug"],
                "```release-note\nkubelet no longer panics when a pod has no status.\n```",
            ),
            parent(
                4002,
                &["release-note-none", "kind/cleanup"],
                "```release-note\nNONE\n```",
            ),
        ]
        .into();
        let result = analyze_with(&[two], &parents);
        let notes = &report(&result, 5001).release_notes;
        assert_eq!(notes.len(), 2);
        assert_eq!(notes[0].from_pr, 4001);
        assert_eq!(
            notes[0].text.as_deref(),
            Some("kubelet no longer panics when a pod has no status.")
        );
        assert_eq!((notes[1].from_pr, notes[1].state), (4002, NoteState::None));
        assert!(
            !report(&result, 5001)
                .conditions
                .contains(&Condition::MissingReleaseNote)
        );

        let own = manual(5002, &APPROVED, "Fixed the kube-proxy nftables cleanup.");
        let result = analyze_with(&[own], &BTreeMap::new());
        assert_eq!(
            report(&result, 5002).release_notes[0],
            ReleaseNoteReport {
                from_pr: 5002,
                state: NoteState::Written,
                text: Some("Fixed the kube-proxy nftables cleanup.".into())
            }
        );
    }

    #[test]
    fn a_note_label_over_an_empty_or_none_block_is_a_missing_release_note() {
        // The label claims a note, the block says NONE: the release notes tool finds nothing.
        let claims_none = manual(5001, &APPROVED, "NONE");
        let claims_empty = manual(5002, &APPROVED, "");
        let honest_none = manual(
            5003,
            &[
                "lgtm",
                "approved",
                "cncf-cla: yes",
                "cherry-pick-approved",
                "release-note-none",
            ],
            "NONE",
        );
        let written = manual(5004, &APPROVED, "Fixed a kubelet panic.");
        let result = analyze_with(
            &[claims_none, claims_empty, honest_none, written],
            &BTreeMap::new(),
        );
        assert!(
            report(&result, 5001)
                .conditions
                .contains(&Condition::MissingReleaseNote)
        );
        assert_eq!(
            report(&result, 5001).next_action,
            NextAction::MissingReleaseNote
        );
        assert!(
            report(&result, 5002)
                .conditions
                .contains(&Condition::MissingReleaseNote)
        );
        assert!(
            !report(&result, 5003)
                .conditions
                .contains(&Condition::MissingReleaseNote)
        );
        assert!(
            !report(&result, 5004)
                .conditions
                .contains(&Condition::MissingReleaseNote)
        );

        // An automated pick whose parent claims a note with a NONE block.
        let pick = pr(5005, NOW).labels(&APPROVED).build();
        let parents: BTreeMap<u64, ParentPr> = [parent(
            4005,
            &["release-note", "kind/bug"],
            "Fixes #1\r\n```release-note\r\nNONE\r\n```\r\n",
        )]
        .into();
        let result = analyze_with(&[pick], &parents);
        assert!(
            report(&result, 5005)
                .conditions
                .contains(&Condition::MissingReleaseNote)
        );
    }
}
