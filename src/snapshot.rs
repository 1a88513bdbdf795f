//! The immutable snapshot that analysis produces and that `/metrics`, `/api/v1/status` and
//! `branchwatch once` only ever read.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::sources::{Source, testgrid::TabSummary};

/// A branch's overall health from its blocking dashboards.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BranchStatus {
    /// Every blocking tab passing (or acceptable).
    Green,
    /// A blocking tab is flaky.
    Flaky,
    /// A blocking tab is stale, or TestGrid's data is old.
    Stale,
    /// A blocking tab is failing or broken.
    Red,
    /// No data (or tabs without a status).
    Unknown,
}

impl BranchStatus {
    /// Every status, in label order.
    pub const ALL: [BranchStatus; 5] = [
        BranchStatus::Green,
        BranchStatus::Flaky,
        BranchStatus::Stale,
        BranchStatus::Red,
        BranchStatus::Unknown,
    ];

    /// The `status` label value.
    pub fn as_str(self) -> &'static str {
        match self {
            BranchStatus::Green => "green",
            BranchStatus::Flaky => "flaky",
            BranchStatus::Stale => "stale",
            BranchStatus::Red => "red",
            BranchStatus::Unknown => "unknown",
        }
    }
}

/// Whether a dashboard sets the branch status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DashboardKind {
    /// Its tabs decide the branch status.
    Blocking,
    /// Exported, but does not set the branch status.
    Informing,
}

/// Everything branchwatch knows, at one instant.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Snapshot {
    /// Unix seconds when analysis ran.
    pub generated_at: i64,
    /// One entry per watched branch.
    pub branches: Vec<BranchReport>,
    /// Health of each source.
    pub sources: Vec<SourceReport>,
    /// GitHub rate limits as last reported.
    pub github_rate_limits: Vec<RateLimitReport>,
}

/// One watched branch.
#[derive(Clone, Debug, Serialize)]
pub struct BranchReport {
    /// `master`, `release-1.34`, or hotfix `release-1.34.2`.
    pub name: String,
    /// Overall status from the blocking dashboards.
    pub status: BranchStatus,
    /// Unix seconds since the branch has had this status (as observed by branchwatch).
    pub status_since: i64,
    /// Why: which tabs made it so.
    pub status_reason: String,
    /// The branch's HEAD commit on GitHub, when known.
    pub head: Option<String>,
    /// Dashboards read for the branch.
    pub dashboards: Vec<DashboardReport>,
    /// Open PRs against the branch (absent until GitHub has answered).
    pub pull_requests: Vec<PullRequestReport>,
    /// Open PRs per condition, including `open`; empty until GitHub has answered.
    pub pull_request_counts: BTreeMap<String, u32>,
    /// Presubmit contexts that have a final result on at least one open PR.
    pub presubmits: Vec<PresubmitReport>,
    /// Patch release timing (release branches only).
    pub release: Option<ReleaseReport>,
}

/// One dashboard of a branch.
#[derive(Clone, Debug, Serialize)]
pub struct DashboardReport {
    /// Dashboard name.
    pub name: String,
    /// Blocking or informing.
    pub kind: DashboardKind,
    /// Link to the dashboard.
    pub url: String,
    /// Its tabs (the last good data, even when the latest fetch failed).
    pub tabs: Vec<TabReport>,
    /// Why the latest fetch failed, if it did.
    pub error: Option<String>,
    /// TestGrid says the dashboard does not exist.
    pub missing: bool,
}

/// One tab, with readiness at the branch HEAD.
#[derive(Clone, Debug, Serialize)]
pub struct TabReport {
    /// TestGrid's summary.
    #[serde(flatten)]
    pub summary: TabSummary,
    /// Link to the tab.
    pub url: String,
    /// Completed runs that tested the branch HEAD (blocking tabs, when HEAD and headers are known).
    pub runs_at_head: Option<u32>,
    /// Whether the newest completed run at HEAD was green.
    pub head_green: Option<bool>,
}

/// A condition an open PR can meet (non-exclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// Carries `do-not-merge/cherry-pick-not-approved`.
    Untriaged,
    /// Carries `cherry-pick-approved`.
    CherryPickApproved,
    /// No release-note label (on a parent, for automated cherry-picks).
    MissingReleaseNote,
    /// A parent PR has not merged into master.
    ParentNotMerged,
    /// `/hold`.
    Held,
    /// Merge conflicts.
    NeedsRebase,
    /// Any failing status or check.
    Failing,
    /// A failing context is failing branch-wide.
    BlockedByBranchFailure,
    /// Every failing context is branch-wide and the PR is otherwise mergeable.
    OnlyBlockedByBranch,
    /// Would merge now.
    Ready,
    /// A dependency version bump.
    DependencyBump,
    /// A draft PR.
    Draft,
}

impl Condition {
    /// Every condition, in label order.
    pub const ALL: [Condition; 12] = [
        Condition::Untriaged,
        Condition::CherryPickApproved,
        Condition::MissingReleaseNote,
        Condition::ParentNotMerged,
        Condition::Held,
        Condition::NeedsRebase,
        Condition::Failing,
        Condition::BlockedByBranchFailure,
        Condition::OnlyBlockedByBranch,
        Condition::Ready,
        Condition::DependencyBump,
        Condition::Draft,
    ];

    /// The `condition` label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Condition::Untriaged => "untriaged",
            Condition::CherryPickApproved => "cherry_pick_approved",
            Condition::MissingReleaseNote => "missing_release_note",
            Condition::ParentNotMerged => "parent_not_merged",
            Condition::Held => "held",
            Condition::NeedsRebase => "needs_rebase",
            Condition::Failing => "failing",
            Condition::BlockedByBranchFailure => "blocked_by_branch_failure",
            Condition::OnlyBlockedByBranch => "only_blocked_by_branch",
            Condition::Ready => "ready",
            Condition::DependencyBump => "dependency_bump",
            Condition::Draft => "draft",
        }
    }
}

/// One open PR as the release manager needs to see it.
#[derive(Clone, Debug, Serialize)]
pub struct PullRequestReport {
    /// PR number.
    pub number: u64,
    /// Title.
    pub title: String,
    /// Link.
    pub url: String,
    /// Author login.
    pub author: Option<String>,
    /// Conditions met, in label order.
    pub conditions: Vec<Condition>,
    /// Contexts whose latest result is failure/error.
    pub failing_contexts: Vec<FailingContextReport>,
    /// Parent PRs (for cherry-picks).
    pub parents: Vec<ParentReport>,
    /// Labels on the PR.
    pub labels: Vec<String>,
    /// Milestone title.
    pub milestone: Option<String>,
    /// Created, unix seconds.
    pub created_at: Option<i64>,
    /// Last updated, unix seconds.
    pub updated_at: Option<i64>,
}

/// One failing context on a PR.
#[derive(Clone, Debug, Serialize)]
pub struct FailingContextReport {
    /// Context (job) name.
    pub context: String,
    /// `failure` or `error` (or a check-run conclusion).
    pub state: String,
    /// Prow's description without padding and BaseSHA.
    pub description: String,
    /// Link to the run.
    pub target_url: Option<String>,
    /// Whether this context is failing branch-wide.
    pub branch_wide: bool,
}

/// A cherry-pick's parent PR.
#[derive(Clone, Debug, Serialize)]
pub struct ParentReport {
    /// Parent PR number.
    pub number: u64,
    /// Whether it merged; None when unknown.
    pub merged: Option<bool>,
    /// Link.
    pub url: String,
}

/// One presubmit context across a branch's open PRs.
#[derive(Clone, Debug, Serialize)]
pub struct PresubmitReport {
    /// Context (job) name.
    pub context: String,
    /// Open PRs whose latest result is failure/error.
    pub failing_prs: u32,
    /// Open PRs with a final result for it.
    pub prs_with_result: u32,
    /// Failures that count for the branch-wide rule (recent, or against the current tip).
    pub counted_failures: u32,
    /// Whether it is failing branch-wide.
    pub branch_wide: bool,
    /// The job's periodic twin on the branch's TestGrid dashboard, when the names match.
    pub periodic_twin: Option<PeriodicTwin>,
}

/// A presubmit's periodic twin on TestGrid.
#[derive(Clone, Debug, Serialize)]
pub struct PeriodicTwin {
    /// Dashboard.
    pub dashboard: String,
    /// Tab.
    pub tab: String,
    /// Its TestGrid status.
    pub status: String,
    /// Whether the twin is failing too (so the branch itself is broken, not the presubmit).
    pub failing: bool,
    /// Link.
    pub url: String,
}

/// Patch release timing for a release branch.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ReleaseReport {
    /// Latest patch release, e.g. `v1.34.3`.
    pub last_release: Option<String>,
    /// Its publish time, unix seconds.
    pub last_release_at: Option<i64>,
    /// Whole days since then.
    pub days_since_last_release: Option<u64>,
    /// `too_soon`, `in_window` or `overdue`.
    pub window: Option<String>,
    /// Next scheduled patch, e.g. `v1.34.4`.
    pub next_target_version: Option<String>,
    /// Its target date, unix seconds.
    pub next_target_at: Option<i64>,
    /// Cherry-pick deadline for the next patch, unix seconds.
    pub cherry_pick_deadline_at: Option<i64>,
    /// Cherry-picks are frozen (deadline passed, release not out).
    pub freeze: bool,
    /// The scheduled target date passed with no newer release.
    pub target_missed: bool,
    /// End of life, unix seconds: the actual date once retired, else the planned one.
    pub end_of_life_at: Option<i64>,
    /// `eol.yaml` lists the minor: support ended, no alerts.
    pub retired: bool,
    /// The minor's final patch, once retired.
    pub final_patch: Option<String>,
    /// The planned end of life passed but the minor is not retired yet (its final patch may
    /// still be in preparation): still watched and alerted on.
    pub past_planned_end_of_life: bool,
    /// Where schedule.yaml contradicts itself about this minor.
    pub schedule_note: Option<String>,
}

/// One source's health.
#[derive(Clone, Debug, Serialize)]
pub struct SourceReport {
    /// The source.
    pub source: Source,
    /// Whether the latest poll succeeded.
    pub up: bool,
    /// Unix seconds of the latest successful poll.
    pub last_success: Option<i64>,
    /// Duration of the latest poll, seconds.
    pub last_poll_duration_seconds: Option<f64>,
    /// Why the latest poll failed (never contains secrets).
    pub last_error: Option<String>,
    /// Not polled again before this time, unix seconds (the upstream said to wait).
    pub retry_at: Option<i64>,
}

/// A GitHub rate limit.
#[derive(Clone, Debug, Serialize)]
pub struct RateLimitReport {
    /// `core`, `graphql` or `search`.
    pub resource: String,
    /// Remaining points/requests.
    pub remaining: i64,
    /// When it resets, unix seconds.
    pub reset_at: Option<i64>,
}

impl Snapshot {
    /// The report of a source, if it has been polled.
    pub fn source(&self, source: Source) -> Option<&SourceReport> {
        self.sources.iter().find(|report| report.source == source)
    }

    /// The report of a branch.
    pub fn branch(&self, name: &str) -> Option<&BranchReport> {
        self.branches.iter().find(|branch| branch.name == name)
    }
}
