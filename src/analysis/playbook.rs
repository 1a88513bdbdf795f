//! The patch release manager's views of one branch: go/no-go at HEAD, the `vX.Y` milestone, the
//! release notes preview, and the freeze worklist — pure functions of the branch's reports and
//! the last good GitHub data.

use std::{collections::BTreeMap, time::Duration};

use regex::Regex;

use crate::{
    k8s::{
        cherry_pick::CHERRY_PICK_APPROVED,
        release_note::{ChangeKind, Note, NoteState},
        timing::EndedFreeze,
        version::BranchKind,
    },
    snapshot::{
        BranchStatus, Condition, DashboardKind, DashboardReport, FreezeWorklist,
        MergedPullRequestReport, MilestoneReport, NotesPreview, PullRequestReport,
        ReadinessBlocker, ReadinessReport, ReapprovalReport, ReleaseNoteReport, ReleaseReport,
        TabReadiness,
    },
    sources::github::model::{LabelRemoval, MergedSince, Milestone, ParentPr},
};

/// How many completed runs at HEAD a blocking tab needs before the branch is cut from it.
#[derive(Clone, Debug)]
pub struct ReadinessRule {
    /// Every tab, unless an override matches (`readiness.min_runs_at_head`).
    pub min_runs_at_head: u32,
    /// Overrides by tab name, first match wins (`readiness.tabs`).
    pub tabs: Vec<(Regex, u32)>,
}

impl Default for ReadinessRule {
    fn default() -> Self {
        ReadinessRule {
            min_runs_at_head: 1,
            tabs: Vec::new(),
        }
    }
}

impl ReadinessRule {
    /// The runs at HEAD `tab` needs.
    pub fn required(&self, tab: &str) -> u32 {
        self.tabs
            .iter()
            .find(|(pattern, _)| pattern.is_match(tab))
            .map(|(_, runs)| *runs)
            .unwrap_or(self.min_runs_at_head)
    }
}

/// Go/no-go: the branch is green, TestGrid's data is fresh, and every blocking tab has run at
/// HEAD often enough with the newest run green.
pub(super) fn readiness(
    status: BranchStatus,
    dashboards: &[DashboardReport],
    head: Option<&str>,
    oldest_fetch: Option<i64>,
    stale_after: Duration,
    rule: &ReadinessRule,
    now: i64,
) -> ReadinessReport {
    let stale_secs = i64::try_from(stale_after.as_secs()).unwrap_or(i64::MAX);
    let old = |at: i64| now.saturating_sub(at) > stale_secs;
    let blocking: Vec<(&DashboardReport, &crate::snapshot::TabReport)> = dashboards
        .iter()
        .filter(|d| d.kind == DashboardKind::Blocking)
        .flat_map(|d| d.tabs.iter().map(move |tab| (d, tab)))
        .collect();
    let newest_update = blocking.iter().filter_map(|(_, t)| t.last_update).max();
    // A failed fetch keeps the last good data: it is stale only once that data is old.
    let stale = head.is_none() || oldest_fetch.is_none_or(old) || newest_update.is_none_or(old);
    let tabs: Vec<TabReadiness> = blocking
        .iter()
        .map(|(dashboard, tab)| {
            let required = rule.required(&tab.name);
            let blocker = match (tab.runs_at_head, tab.head_green) {
                (None | Some(0), _) => Some(ReadinessBlocker::TabNotRunAtHead),
                (Some(_), Some(false) | None) => Some(ReadinessBlocker::TabHeadNotGreen),
                (Some(runs), Some(true)) if runs < required => {
                    Some(ReadinessBlocker::RunsAtHeadBelowMinimum)
                }
                _ => None,
            };
            TabReadiness {
                dashboard: dashboard.name.clone(),
                tab: tab.name.clone(),
                runs_at_head: tab.runs_at_head,
                required,
                head_green: tab.head_green,
                blocker,
                url: tab.url.clone(),
            }
        })
        .collect();
    let mut blockers: Vec<ReadinessBlocker> = tabs.iter().filter_map(|t| t.blocker).collect();
    if status != BranchStatus::Green {
        blockers.push(ReadinessBlocker::BranchNotGreen);
    }
    if stale {
        blockers.push(ReadinessBlocker::StaleData);
    }
    if tabs.is_empty() && status == BranchStatus::Green {
        blockers.push(ReadinessBlocker::TabNotRunAtHead);
    }
    blockers.sort();
    blockers.dedup();
    ReadinessReport {
        ready: blockers.is_empty(),
        blockers,
        head: head.map(str::to_string),
        tabs,
    }
}

/// The branch's `vX.Y` milestone: None for master, and until GitHub has answered.
pub(super) fn milestone(branch: &str, milestones: Option<&[Milestone]>) -> Option<MilestoneReport> {
    let minor = BranchKind::parse(branch)?.minor()?;
    let milestones = milestones?;
    let title = format!("v{}.{}", minor.major, minor.minor);
    let found = milestones.iter().find(|m| m.title.trim() == title);
    Some(MilestoneReport {
        exists: found.is_some(),
        state: found.map(|m| m.state.clone()).filter(|s| !s.is_empty()),
        due_on: found.and_then(|m| m.due_on),
        url: found.map(|m| m.url.clone()).filter(|u| !u.is_empty()),
        title,
    })
}

/// What the next patch release of a release branch will contain: the PRs merged since its last
/// release, each with its kind and notes (its parents' for an automated cherry-pick).
pub(super) fn notes_preview(
    branch: &str,
    release: Option<&ReleaseReport>,
    merged: Option<&MergedSince>,
    parents: &BTreeMap<u64, ParentPr>,
) -> Option<NotesPreview> {
    let Some(BranchKind::Release(_)) = BranchKind::parse(branch) else {
        return None;
    };
    let release = release?;
    let (since_release, since) = (release.last_release?, release.last_release_at?);
    let (complete, prs) = match merged {
        Some(merged) => (
            merged.complete && merged.since <= since,
            &merged.pull_requests[..],
        ),
        None => (false, &[][..]),
    };
    let merged = prs
        .iter()
        .filter(|pr| pr.merged_at >= since)
        .map(|pr| {
            let known: Vec<&ParentPr> = pr
                .parents
                .numbers
                .iter()
                .filter_map(|n| parents.get(n))
                .collect();
            let automated = pr.parents.automated && !pr.parents.numbers.is_empty();
            let mut kind = ChangeKind::of(&pr.labels);
            if kind == ChangeKind::Uncategorized && automated {
                kind = known
                    .iter()
                    .map(|p| ChangeKind::of(&p.labels))
                    .min()
                    .unwrap_or(kind);
            }
            let own =
                || ReleaseNoteReport::from_note(pr.number, pr.note.clone().with_labels(&pr.labels));
            let release_notes = if automated {
                let notes: Vec<ReleaseNoteReport> = pr
                    .parents
                    .numbers
                    .iter()
                    .map(|n| match parents.get(n) {
                        Some(p) => {
                            ReleaseNoteReport::from_note(*n, p.note.clone().with_labels(&p.labels))
                        }
                        None => ReleaseNoteReport::from_note(*n, Note::UNKNOWN),
                    })
                    .collect();
                if notes.iter().all(|n| n.state == NoteState::Unknown)
                    && pr.note.state == NoteState::Written
                {
                    vec![own()]
                } else {
                    notes
                }
            } else {
                vec![own()]
            };
            MergedPullRequestReport {
                number: pr.number,
                title: pr.title.clone(),
                url: pr.url.clone(),
                author: pr.author.clone(),
                merged_at: pr.merged_at,
                kind,
                parents: pr.parents.numbers.clone(),
                release_notes,
            }
        })
        .collect();
    Some(NotesPreview {
        since_release,
        since,
        complete,
        merged,
    })
}

/// During a freeze, the approved picks that are not ready (to un-approve); after the release
/// that ended one, the open PRs lacking `cherry-pick-approved` whose approval was taken off
/// during it (to re-approve).
pub(super) fn freeze_worklist(
    release: Option<&ReleaseReport>,
    ended_freeze: Option<EndedFreeze>,
    pull_requests: &[PullRequestReport],
    removals: &BTreeMap<u64, Vec<LabelRemoval>>,
) -> FreezeWorklist {
    let Some(release) = release else {
        return FreezeWorklist::default();
    };
    if release.freeze {
        return FreezeWorklist {
            to_unapprove: pull_requests
                .iter()
                .filter(|pr| {
                    pr.conditions.contains(&Condition::CherryPickApproved)
                        && !pr.conditions.contains(&Condition::Ready)
                })
                .map(|pr| pr.number)
                .collect(),
            ..FreezeWorklist::default()
        };
    }
    let Some(freeze) = ended_freeze else {
        return FreezeWorklist::default();
    };
    let to_reapprove = pull_requests
        .iter()
        .filter(|pr| !pr.labels.iter().any(|l| l == CHERRY_PICK_APPROVED))
        .filter_map(|pr| {
            let removal = removals
                .get(&pr.number)?
                .iter()
                .filter(|r| r.label == CHERRY_PICK_APPROVED && freeze.covers(r.at))
                .max_by_key(|r| r.at)?;
            Some(ReapprovalReport {
                number: pr.number,
                removed_at: removal.at,
                removed_by: removal.actor.clone(),
            })
        })
        .collect();
    FreezeWorklist {
        to_unapprove: Vec::new(),
        to_reapprove,
        ended_by: Some(freeze.release),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        k8s::{cherry_pick::CherryPickParents, release_note, version::PatchVersion},
        snapshot::{NextAction, TabReport, TabStatus},
        sources::github::model::MergedPullRequest,
    };

    const NOW: i64 = 1_795_608_000;
    const HEAD: &str = "9d8c7b6a5f4e3d2c1b0a99887766554433221100";
    const DAY: Duration = Duration::from_secs(86_400);

    fn tab(name: &str, runs: Option<u32>, green: Option<bool>) -> TabReport {
        TabReport {
            name: name.into(),
            status: TabStatus::Passing,
            last_run: Some(NOW - 3600),
            last_update: Some(NOW - 600),
            latest_green: Some(HEAD[..9].into()),
            failing_tests: 0,
            top_failures: Vec::new(),
            message: String::new(),
            url: format!("https://testgrid.k8s.io/sig-release-1.34-blocking#{name}"),
            runs_at_head: runs,
            head_green: green,
        }
    }

    fn board(tabs: Vec<TabReport>) -> Vec<DashboardReport> {
        vec![DashboardReport {
            name: "sig-release-1.34-blocking".into(),
            kind: DashboardKind::Blocking,
            url: String::new(),
            tabs,
            error: None,
            missing: false,
        }]
    }

    fn serial_needs_two() -> ReadinessRule {
        ReadinessRule {
            min_runs_at_head: 1,
            tabs: vec![(Regex::new("serial").unwrap(), 2)],
        }
    }

    fn judge(status: BranchStatus, tabs: Vec<TabReport>, fetched: Option<i64>) -> ReadinessReport {
        readiness(
            status,
            &board(tabs),
            Some(HEAD),
            fetched,
            DAY,
            &serial_needs_two(),
            NOW,
        )
    }

    #[test]
    fn a_green_branch_whose_tabs_all_ran_at_head_often_enough_is_ready() {
        let report = judge(
            BranchStatus::Green,
            vec![
                tab("verify-1.34", Some(1), Some(true)),
                tab("gce-serial-1.34", Some(2), Some(true)),
            ],
            Some(NOW - 60),
        );
        assert!(report.ready, "{report:?}");
        assert!(report.blockers.is_empty());
        assert_eq!(report.tabs[1].required, 2, "the override for serial jobs");
        assert_eq!(report.head.as_deref(), Some(HEAD));
    }

    #[test]
    fn each_shortfall_is_its_own_blocker() {
        let report = judge(
            BranchStatus::Green,
            vec![
                tab("verify-1.34", Some(1), Some(true)),
                tab("gce-serial-1.34", Some(1), Some(true)),
                tab("kind-1.34", Some(0), Some(false)),
                tab("build-1.34", Some(3), Some(false)),
            ],
            Some(NOW - 60),
        );
        assert!(!report.ready);
        assert_eq!(
            report.blockers,
            vec![
                ReadinessBlocker::TabNotRunAtHead,
                ReadinessBlocker::TabHeadNotGreen,
                ReadinessBlocker::RunsAtHeadBelowMinimum
            ]
        );
        let blocker_of = |name: &str| report.tabs.iter().find(|t| t.tab == name).unwrap().blocker;
        assert_eq!(blocker_of("verify-1.34"), None);
        assert_eq!(
            blocker_of("gce-serial-1.34"),
            Some(ReadinessBlocker::RunsAtHeadBelowMinimum)
        );
        assert_eq!(
            blocker_of("kind-1.34"),
            Some(ReadinessBlocker::TabNotRunAtHead)
        );
        assert_eq!(
            blocker_of("build-1.34"),
            Some(ReadinessBlocker::TabHeadNotGreen)
        );
    }

    #[test]
    fn a_branch_that_is_not_green_or_whose_data_is_old_is_not_ready() {
        let tabs = || vec![tab("verify-1.34", Some(1), Some(true))];
        let red = judge(BranchStatus::Red, tabs(), Some(NOW - 60));
        assert_eq!(red.blockers, vec![ReadinessBlocker::BranchNotGreen]);
        let old = judge(BranchStatus::Green, tabs(), Some(NOW - 2 * 86_400));
        assert_eq!(old.blockers, vec![ReadinessBlocker::StaleData]);
        let never = judge(BranchStatus::Green, tabs(), None);
        assert_eq!(never.blockers, vec![ReadinessBlocker::StaleData]);
        let no_head = readiness(
            BranchStatus::Green,
            &board(vec![tab("verify-1.34", None, None)]),
            None,
            Some(NOW - 60),
            DAY,
            &ReadinessRule::default(),
            NOW,
        );
        assert_eq!(
            no_head.blockers,
            vec![
                ReadinessBlocker::StaleData,
                ReadinessBlocker::TabNotRunAtHead
            ]
        );
    }

    fn milestones() -> Vec<Milestone> {
        vec![
            Milestone {
                title: "v1.35".into(),
                state: "open".into(),
                due_on: None,
                url: "https://github.com/kubernetes/kubernetes/milestone/135".into(),
            },
            Milestone {
                title: "v1.34".into(),
                state: "open".into(),
                due_on: Some(1_796_000_000),
                url: "https://github.com/kubernetes/kubernetes/milestone/134".into(),
            },
        ]
    }

    #[test]
    fn the_milestone_of_a_branch_exists_with_or_without_a_due_date_or_not_at_all() {
        let all = milestones();
        let found = milestone("release-1.34", Some(&all)).unwrap();
        assert!(found.exists);
        assert_eq!(found.due_on, Some(1_796_000_000));
        let hotfix = milestone("release-1.34.2", Some(&all)).unwrap();
        assert_eq!(hotfix.title, "v1.34");
        let undated = milestone("release-1.35", Some(&all)).unwrap();
        assert!(undated.exists && undated.due_on.is_none());
        let absent = milestone("release-1.36", Some(&all)).unwrap();
        assert_eq!(absent.title, "v1.36");
        assert!(!absent.exists && absent.url.is_none());
        assert!(milestone("master", Some(&all)).is_none());
        assert!(
            milestone("release-1.34", None).is_none(),
            "GitHub not read yet"
        );
    }

    fn merged(
        number: u64,
        merged_at: i64,
        labels: &[&str],
        parents: &[u64],
        body: &str,
    ) -> MergedPullRequest {
        MergedPullRequest {
            number,
            title: format!(
                "Automated cherry pick of #{}: fix",
                parents.first().unwrap_or(&0)
            ),
            url: format!("https://github.com/kubernetes/kubernetes/pull/{number}"),
            author: Some("alice-dev".into()),
            merged_at,
            base_ref: "release-1.34".into(),
            labels: labels.iter().map(|l| l.to_string()).collect(),
            parents: CherryPickParents {
                numbers: parents.to_vec(),
                automated: !parents.is_empty(),
            },
            note: release_note::parse(body),
        }
    }

    fn release(freeze: bool) -> ReleaseReport {
        ReleaseReport {
            last_release: Some(PatchVersion::new(1, 34, 3)),
            last_release_at: Some(NOW - 10 * 86_400),
            freeze,
            ..ReleaseReport::default()
        }
    }

    #[test]
    fn the_preview_lists_merges_since_the_release_with_their_kind_and_notes() {
        let since = NOW - 10 * 86_400;
        let parent = ParentPr {
            number: 128_519,
            merged: true,
            url: String::new(),
            labels: vec!["kind/regression".into(), "release-note".into()],
            note: release_note::parse("```release-note\nkubelet no longer panics.\n```"),
        };
        let parents: BTreeMap<u64, ParentPr> = [(128_519, parent)].into();
        let set = MergedSince {
            since: since - 86_400,
            complete: true,
            pull_requests: vec![
                merged(
                    131_003,
                    NOW - 86_400,
                    &["cherry-pick-approved"],
                    &[128_519],
                    "",
                ),
                merged(
                    131_002,
                    NOW - 2 * 86_400,
                    &["kind/feature", "release-note"],
                    &[],
                    "```release-note\nAdds --foo.\n```",
                ),
                merged(131_001, since - 60, &["kind/bug"], &[], ""),
            ],
        };
        let preview =
            notes_preview("release-1.34", Some(&release(false)), Some(&set), &parents).unwrap();
        assert_eq!(preview.since_release, PatchVersion::new(1, 34, 3));
        assert!(preview.complete);
        let numbers: Vec<u64> = preview.merged.iter().map(|m| m.number).collect();
        assert_eq!(
            numbers,
            vec![131_003, 131_002],
            "merged before the release: already out"
        );
        assert_eq!(preview.merged[0].kind, ChangeKind::Bug, "the parent's kind");
        assert_eq!(preview.merged[0].release_notes[0].from_pr, 128_519);
        assert_eq!(
            preview.merged[0].release_notes[0].text.as_deref(),
            Some("kubelet no longer panics.")
        );
        assert_eq!(preview.merged[1].kind, ChangeKind::Feature);
        assert_eq!(
            preview.merged[1].release_notes[0].text.as_deref(),
            Some("Adds --foo.")
        );
        // Searched from a later time than the release: not the whole story.
        let late = MergedSince {
            since: since + 60,
            ..set
        };
        assert!(
            !notes_preview("release-1.34", Some(&release(false)), Some(&late), &parents)
                .unwrap()
                .complete
        );
        assert!(notes_preview("master", Some(&release(false)), Some(&late), &parents).is_none());
    }

    fn open(number: u64, conditions: &[Condition], labels: &[&str]) -> PullRequestReport {
        PullRequestReport {
            number,
            title: String::new(),
            url: String::new(),
            author: None,
            conditions: conditions.to_vec(),
            failing_contexts: Vec::new(),
            parents: Vec::new(),
            labels: labels.iter().map(|l| l.to_string()).collect(),
            milestone: None,
            created_at: None,
            updated_at: None,
            next_action: NextAction::Waiting,
            release_notes: Vec::new(),
        }
    }

    #[test]
    fn during_a_freeze_approved_picks_that_are_not_ready_are_to_be_unapproved() {
        let prs = [
            open(
                1,
                &[Condition::CherryPickApproved, Condition::Ready],
                &[CHERRY_PICK_APPROVED],
            ),
            open(
                2,
                &[Condition::CherryPickApproved, Condition::Held],
                &[CHERRY_PICK_APPROVED],
            ),
            open(3, &[Condition::Untriaged], &[]),
        ];
        let list = freeze_worklist(Some(&release(true)), None, &prs, &BTreeMap::new());
        assert_eq!(list.to_unapprove, vec![2]);
        assert!(list.to_reapprove.is_empty());
        let calm = freeze_worklist(Some(&release(false)), None, &prs, &BTreeMap::new());
        assert!(calm.to_unapprove.is_empty());
    }

    #[test]
    fn after_the_release_that_ended_a_freeze_the_approvals_it_removed_are_to_be_restored() {
        let freeze = EndedFreeze {
            release: PatchVersion::new(1, 34, 3),
            from: NOW - 12 * 86_400,
            until: NOW - 10 * 86_400,
        };
        let removal = |label: &str, at: i64| LabelRemoval {
            label: label.into(),
            at,
            actor: Some("dave-release".into()),
        };
        let removals: BTreeMap<u64, Vec<LabelRemoval>> = [
            (
                1,
                vec![
                    removal("needs-rebase", NOW - 11 * 86_400),
                    removal(CHERRY_PICK_APPROVED, NOW - 11 * 86_400),
                ],
            ),
            (2, vec![removal(CHERRY_PICK_APPROVED, NOW - 30 * 86_400)]),
            (
                3,
                vec![removal(CHERRY_PICK_APPROVED, NOW - 12 * 86_400 - 3600)],
            ),
            (4, vec![removal(CHERRY_PICK_APPROVED, NOW - 11 * 86_400)]),
            (5, vec![removal("needs-rebase", NOW - 11 * 86_400)]),
        ]
        .into();
        let prs = [
            open(1, &[Condition::Held], &[]),
            open(2, &[], &[]),
            open(3, &[], &[]),
            open(4, &[Condition::CherryPickApproved], &[CHERRY_PICK_APPROVED]),
            open(5, &[], &[]),
        ];
        let list = freeze_worklist(Some(&release(false)), Some(freeze), &prs, &removals);
        let numbers: Vec<u64> = list.to_reapprove.iter().map(|r| r.number).collect();
        assert_eq!(
            numbers,
            vec![1, 3],
            "2 was un-approved long before the freeze, 4 is approved again, 5 lost another label; \
             3 lost it on the deadline's eve"
        );
        assert_eq!(
            list.to_reapprove[0].removed_by.as_deref(),
            Some("dave-release")
        );
        assert_eq!(list.ended_by, Some(PatchVersion::new(1, 34, 3)));
        assert!(list.to_unapprove.is_empty());
        // A new freeze: the old one's re-approvals wait.
        let frozen = freeze_worklist(Some(&release(true)), Some(freeze), &prs, &removals);
        assert!(frozen.to_reapprove.is_empty());
    }
}
