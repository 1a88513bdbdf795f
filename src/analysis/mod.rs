//! Pure analysis: the last good data of every source, the branches' status history, the
//! thresholds and an explicit `now` in; an immutable [`Snapshot`] and the next history out. No
//! clock, no I/O, no configuration types.

mod branch;
mod playbook;
mod pulls;
mod release;

use std::{
    collections::{BTreeMap, BTreeSet},
    time::Duration,
};

pub use self::{playbook::ReadinessRule, pulls::BranchWideRule};
use crate::{
    k8s::{
        eol::EndOfLife,
        schedule::Schedule,
        timing::{PublishedRelease, ReleaseWindow},
    },
    snapshot::{
        BranchReport, BranchStatus, DashboardKind, DashboardReport, FailingTestReport, NextAction,
        Snapshot, TabReport,
    },
    sources::{
        github::model::{LabelRemoval, MergedSince, Milestone, ParentPr, PullRequest},
        testgrid::model::{ColumnHeader, DashboardSummary, dashboard_url, tab_url},
    },
};

/// The last good data of one dashboard, and the latest error if its last fetch failed.
#[derive(Clone, Debug, Default)]
pub struct DashboardData {
    /// Last successfully decoded summary.
    pub summary: Option<DashboardSummary>,
    /// When that summary was fetched, unix seconds.
    pub fetched_at: Option<i64>,
    /// Error of the latest fetch, if it failed.
    pub error: Option<String>,
    /// TestGrid said the dashboard does not exist (a fact about the data, not an outage).
    pub missing: bool,
}

/// A tab's recent columns, and the tab's newest run when they were read (an unchanged run
/// means no new column: no need to read them again).
#[derive(Clone, Debug, Default)]
pub struct TabHeaders {
    pub read_at_run: Option<i64>,
    pub columns: Vec<ColumnHeader>,
}

/// A watched branch and the TestGrid dashboards it is judged by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchedBranch {
    pub name: String,
    pub blocking: Vec<String>,
    pub informing: Vec<String>,
}

/// Everything the sources have delivered so far: the last good data of each.
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    /// The watched branches, in display order.
    pub branches: Vec<WatchedBranch>,
    /// By dashboard name.
    pub dashboards: BTreeMap<String, DashboardData>,
    /// Column headers of blocking tabs, by dashboard then tab.
    pub headers: BTreeMap<String, BTreeMap<String, TabHeaders>>,
    /// HEAD commit by branch name (master and every `release-*` branch).
    pub heads: BTreeMap<String, String>,
    /// Every `release-*` branch on GitHub (for `branches: auto`).
    pub release_branches: Vec<String>,
    /// Open PRs per branch; a branch is absent until GitHub answered for it.
    pub pull_requests: BTreeMap<String, Vec<PullRequest>>,
    /// Parent PRs of cherry-picks, by number.
    pub parents: BTreeMap<u64, ParentPr>,
    /// Parents asked for that GitHub does not have (deleted, or an issue's number).
    pub missing_parents: BTreeSet<u64>,
    /// The repository's newest milestones; None until GitHub has answered.
    pub milestones: Option<Vec<Milestone>>,
    /// PRs merged into each release branch since its last patch release.
    pub merged: BTreeMap<String, MergedSince>,
    /// Label removals since the last freeze began, of open PRs that lack
    /// `cherry-pick-approved` after it.
    pub label_removals: BTreeMap<u64, Vec<LabelRemoval>>,
    /// Every published patch release known (all minors).
    pub releases: Vec<PublishedRelease>,
    pub schedule: Option<Schedule>,
    pub eol: Option<EndOfLife>,
}

/// Since when each branch has had its status: carried from one analysis to the next.
pub type StatusHistory = BTreeMap<String, (BranchStatus, i64)>;

/// The thresholds and links analysis needs.
#[derive(Clone, Debug)]
pub struct Settings {
    /// TestGrid's human UI root, for links.
    pub testgrid_url: String,
    /// Data older than this makes a branch stale.
    pub stale_after: Duration,
    pub branch_wide: BranchWideRule,
    pub release_window: ReleaseWindow,
    pub readiness: ReadinessRule,
    /// `privacy.embargo`: no PR title, author or note text in the snapshot.
    pub embargo: bool,
}

/// Analyses every watched branch at `now`. The snapshot's `sources` and `github_rate_limits`
/// are the poller's to fill: they are about polling, not about the data.
pub fn analyze(
    inputs: &Inputs,
    history: &StatusHistory,
    settings: &Settings,
    now: i64,
) -> (Snapshot, StatusHistory) {
    let branches: Vec<BranchReport> = inputs
        .branches
        .iter()
        .map(|branch| analyze_branch(branch, inputs, history, settings, now))
        .collect();
    let next_history = branches
        .iter()
        .map(|b| (b.name.clone(), (b.status, b.status_since)))
        .collect();
    let mut snapshot = Snapshot {
        generated_at: now,
        branches,
        ..Snapshot::default()
    };
    if settings.embargo {
        embargo(&mut snapshot);
    }
    (snapshot, next_history)
}

fn analyze_branch(
    branch: &WatchedBranch,
    inputs: &Inputs,
    history: &StatusHistory,
    settings: &Settings,
    now: i64,
) -> BranchReport {
    let head = inputs.heads.get(&branch.name).cloned();
    let dashboards: Vec<DashboardReport> = branch
        .blocking
        .iter()
        .map(|name| {
            dashboard_report(
                name,
                DashboardKind::Blocking,
                inputs,
                head.as_deref(),
                settings,
            )
        })
        .chain(branch.informing.iter().map(|name| {
            dashboard_report(
                name,
                DashboardKind::Informing,
                inputs,
                head.as_deref(),
                settings,
            )
        }))
        .collect();

    // TestGrid unreachable for longer than `stale_after`: what is still shown is stale too.
    let oldest_fetch = branch
        .blocking
        .iter()
        .map(|name| inputs.dashboards.get(name).and_then(|d| d.fetched_at))
        .collect::<Option<Vec<i64>>>()
        .and_then(|times| times.into_iter().min());
    let blocking_tabs: Vec<&TabReport> = dashboards
        .iter()
        .filter(|d| d.kind == DashboardKind::Blocking)
        .flat_map(|d| d.tabs.iter())
        .collect();
    let missing: Vec<&str> = dashboards
        .iter()
        .filter(|d| d.kind == DashboardKind::Blocking && d.missing)
        .map(|d| d.name.as_str())
        .collect();
    let (status, status_reason) = if branch.blocking.is_empty() {
        (
            BranchStatus::Unknown,
            "no TestGrid dashboards for this branch (hotfix branches have none)".to_string(),
        )
    } else if !missing.is_empty() {
        (
            BranchStatus::Unknown,
            format!(
                "TestGrid has no blocking dashboard {} (not created yet, or removed)",
                missing.join(", ")
            ),
        )
    } else {
        branch::branch_status(&blocking_tabs, oldest_fetch, settings.stale_after, now)
    };
    let status_since = history
        .get(&branch.name)
        .filter(|(previous, _)| *previous == status)
        .map(|(_, since)| *since)
        .unwrap_or(now);

    let pulls = inputs.pull_requests.get(&branch.name).map(|prs| {
        pulls::analyze_branch_pull_requests(
            &branch.name,
            prs,
            head.as_deref(),
            &pulls::Parents {
                found: &inputs.parents,
                missing: &inputs.missing_parents,
            },
            &dashboards,
            &settings.branch_wide,
            now,
        )
    });
    let answered = pulls.is_some();
    let (pull_requests, pull_request_counts, presubmits) = pulls
        .map(|p| (p.pull_requests, p.counts, p.presubmits))
        .unwrap_or_default();
    let mut queue: BTreeMap<NextAction, u32> = BTreeMap::new();
    if answered {
        queue = NextAction::ALL.iter().map(|a| (*a, 0)).collect();
        for pr in &pull_requests {
            *queue.entry(pr.next_action).or_default() += 1;
        }
    }

    let (release, ended_freeze) =
        match release::release_report(&branch.name, inputs, &settings.release_window, now) {
            Some((report, freeze)) => (Some(report), freeze),
            None => (None, None),
        };
    let readiness = playbook::readiness(
        status,
        &dashboards,
        head.as_deref(),
        oldest_fetch,
        settings.stale_after,
        &settings.readiness,
        now,
    );
    let freeze_worklist = playbook::freeze_worklist(
        release.as_ref(),
        ended_freeze,
        &pull_requests,
        &inputs.label_removals,
    );
    BranchReport {
        milestone: playbook::milestone(&branch.name, inputs.milestones.as_deref()),
        release_notes_preview: playbook::notes_preview(
            &branch.name,
            release.as_ref(),
            inputs.merged.get(&branch.name),
            &inputs.parents,
        ),
        name: branch.name.clone(),
        status,
        status_since,
        status_reason,
        head,
        dashboards,
        pull_requests,
        pull_request_counts,
        presubmits,
        release,
        queue,
        readiness,
        freeze_worklist,
    }
}

fn dashboard_report(
    name: &str,
    kind: DashboardKind,
    inputs: &Inputs,
    head: Option<&str>,
    settings: &Settings,
) -> DashboardReport {
    let data = inputs.dashboards.get(name);
    let headers = inputs.headers.get(name);
    let tabs = data
        .and_then(|d| d.summary.as_ref())
        .map(|summary| {
            summary
                .tabs
                .iter()
                .map(|tab| {
                    let readiness = match (kind, head) {
                        (DashboardKind::Blocking, Some(head)) => headers
                            .and_then(|h| h.get(&tab.name))
                            .map(|h| branch::readiness_at_head(tab, &h.columns, head)),
                        _ => None,
                    };
                    TabReport {
                        name: tab.name.clone(),
                        status: tab.status,
                        last_run: tab.last_run,
                        last_update: tab.last_update,
                        latest_green: tab.latest_green.clone(),
                        failing_tests: tab.failing_tests,
                        top_failures: tab
                            .top_failures
                            .iter()
                            .map(|f| FailingTestReport {
                                name: f.name.clone(),
                                fail_count: f.fail_count,
                                first_failure: f.first_failure,
                            })
                            .collect(),
                        message: tab.message.clone(),
                        url: tab_url(&settings.testgrid_url, name, &tab.name),
                        runs_at_head: readiness.map(|r| r.runs_at_head),
                        head_green: readiness.map(|r| r.newest_green),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    DashboardReport {
        name: name.to_string(),
        kind,
        url: dashboard_url(&settings.testgrid_url, name),
        tabs,
        error: data.and_then(|d| d.error.clone()),
        missing: data.is_some_and(|d| d.missing),
    }
}

/// Embargo-safe mode: what GitHub users wrote — titles, authors, notes, who took a label off —
/// is dropped; numbers, states, labels and links stay.
fn embargo(snapshot: &mut Snapshot) {
    for branch in &mut snapshot.branches {
        for pr in &mut branch.pull_requests {
            pr.title.clear();
            pr.author = None;
            for note in &mut pr.release_notes {
                note.text = None;
            }
        }
        if let Some(preview) = &mut branch.release_notes_preview {
            for pr in &mut preview.merged {
                pr.title.clear();
                pr.author = None;
                for note in &mut pr.release_notes {
                    note.text = None;
                }
            }
        }
        for item in &mut branch.freeze_worklist.to_reapprove {
            item.removed_by = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        fixtures::tab,
        sources::testgrid::model::{DashboardSummary, TabStatus},
    };

    const NOW: i64 = 1_795_608_000;

    fn settings() -> Settings {
        Settings {
            testgrid_url: "https://testgrid.k8s.io".into(),
            stale_after: Duration::from_secs(24 * 3600),
            branch_wide: BranchWideRule {
                min_failing_prs: 3,
                min_failing_fraction: 0.5,
                failure_window: Duration::from_secs(72 * 3600),
            },
            release_window: ReleaseWindow::default(),
            readiness: ReadinessRule::default(),
            embargo: false,
        }
    }

    /// release-1.34 judged by one blocking dashboard whose only tab has `status`, read at `at`.
    fn inputs(status: TabStatus, at: i64) -> Inputs {
        let mut summary = tab("verify-1.34").status(status).build();
        summary.last_update = Some(at);
        let mut inputs = Inputs {
            branches: vec![
                WatchedBranch {
                    name: "release-1.34".into(),
                    blocking: vec!["sig-release-1.34-blocking".into()],
                    informing: Vec::new(),
                },
                WatchedBranch {
                    name: "release-1.34.2".into(),
                    blocking: Vec::new(),
                    informing: Vec::new(),
                },
            ],
            ..Inputs::default()
        };
        inputs.dashboards.insert(
            "sig-release-1.34-blocking".into(),
            DashboardData {
                summary: Some(DashboardSummary {
                    name: "sig-release-1.34-blocking".into(),
                    tabs: vec![summary],
                }),
                fetched_at: Some(at),
                error: None,
                missing: false,
            },
        );
        inputs
    }

    #[test]
    fn status_since_carries_over_while_the_status_holds_and_restarts_when_it_changes() {
        let (first, history) = analyze(
            &inputs(TabStatus::Failing, NOW),
            &StatusHistory::new(),
            &settings(),
            NOW,
        );
        let red = first.branch("release-1.34").unwrap();
        assert_eq!((red.status, red.status_since), (BranchStatus::Red, NOW));
        let later = NOW + 3600;
        let (second, history) = analyze(
            &inputs(TabStatus::Failing, later),
            &history,
            &settings(),
            later,
        );
        assert_eq!(
            second.branch("release-1.34").unwrap().status_since,
            NOW,
            "red since the first poll"
        );
        let (third, _) = analyze(
            &inputs(TabStatus::Passing, later + 60),
            &history,
            &settings(),
            later + 60,
        );
        let green = third.branch("release-1.34").unwrap();
        assert_eq!(
            (green.status, green.status_since),
            (BranchStatus::Green, later + 60)
        );
    }

    #[test]
    fn a_hotfix_branch_has_no_dashboards_and_is_unknown_saying_why() {
        let (snapshot, _) = analyze(
            &inputs(TabStatus::Passing, NOW),
            &StatusHistory::new(),
            &settings(),
            NOW,
        );
        let hotfix = snapshot.branch("release-1.34.2").unwrap();
        assert_eq!(hotfix.status, BranchStatus::Unknown);
        assert!(
            hotfix.status_reason.contains("hotfix"),
            "{}",
            hotfix.status_reason
        );
    }

    #[test]
    fn testgrid_unreadable_for_longer_than_stale_after_makes_the_branch_stale() {
        let mut data = inputs(TabStatus::Passing, NOW);
        // TestGrid's own data is fresh, but branchwatch last read it two days ago.
        data.dashboards
            .get_mut("sig-release-1.34-blocking")
            .unwrap()
            .fetched_at = Some(NOW - 2 * 86400);
        let (snapshot, _) = analyze(&data, &StatusHistory::new(), &settings(), NOW);
        let branch = snapshot.branch("release-1.34").unwrap();
        assert_eq!(branch.status, BranchStatus::Stale);
        assert!(
            branch.status_reason.contains("could not be read"),
            "{}",
            branch.status_reason
        );
    }

    #[test]
    fn a_missing_blocking_dashboard_makes_the_branch_unknown_with_its_name() {
        let mut data = inputs(TabStatus::Failing, NOW);
        let dashboard = data
            .dashboards
            .get_mut("sig-release-1.34-blocking")
            .unwrap();
        dashboard.summary = None;
        dashboard.missing = true;
        let (snapshot, _) = analyze(&data, &StatusHistory::new(), &settings(), NOW);
        let branch = snapshot.branch("release-1.34").unwrap();
        assert_eq!(branch.status, BranchStatus::Unknown);
        assert!(branch.status_reason.contains("sig-release-1.34-blocking"));
        assert!(branch.dashboards[0].missing);
    }
}
