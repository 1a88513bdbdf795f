//! The immutable snapshot that analysis produces and every output reads (`/metrics`,
//! `/api/v1/status`, the page, the report), the vocabulary it is written in — typed once, each
//! enum serialising itself — and the cell it is published through.

use std::{collections::BTreeMap, sync::Arc};

use arc_swap::ArcSwap;
use serde::{Deserialize, Deserializer, Serialize, Serializer, ser::SerializeMap};

pub use crate::k8s::{
    ci::{ContextState, TabStatus},
    release_note::{ChangeKind, NoteState},
    timing::WindowState,
    version::PatchVersion,
};
pub use crate::sources::Source;

/// A branch's overall health from its blocking dashboards.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BranchStatus {
    /// Every blocking tab with results passing (or acceptable).
    Green,
    /// A blocking tab is flaky.
    Flaky,
    /// A blocking tab is stale, or TestGrid's data is old.
    Stale,
    /// A blocking tab is failing or broken.
    Red,
    /// No results, or a blocking dashboard TestGrid does not have.
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DashboardKind {
    /// Its tabs decide the branch status.
    Blocking,
    /// Exported, but does not set the branch status.
    Informing,
}

/// A condition an open PR can meet (non-exclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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
    /// A dependency version change.
    DependencyBump,
    /// A draft PR.
    Draft,
    /// `kind/feature` or `kind/api-change` on a release branch: "no new enhancements" without
    /// an exception approved by the owners of the code.
    Enhancement,
    /// A release-branch PR with no parent PR: a manual patch, reviewed like any other change.
    ManualCherryPick,
    /// A manual cherry-pick that lacks `lgtm` or `approved`.
    NeedsReview,
    /// Not in its branch's `vX.Y` milestone.
    NotInMilestone,
}

impl Condition {
    /// Every condition, in label order.
    pub const ALL: [Condition; 16] = [
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
        Condition::Enhancement,
        Condition::ManualCherryPick,
        Condition::NeedsReview,
        Condition::NotInMilestone,
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
            Condition::Enhancement => "enhancement",
            Condition::ManualCherryPick => "manual_cherry_pick",
            Condition::NeedsReview => "needs_review",
            Condition::NotInMilestone => "not_in_milestone",
        }
    }
}

/// What a cherry-pick needs next: the one thing standing between it and a merge, so that a
/// release manager's queue is a list of jobs. Every open PR has exactly one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NextAction {
    /// Decide whether to approve the cherry-pick (`do-not-merge/cherry-pick-not-approved`).
    Triage,
    /// A parent PR has not merged into master yet.
    WaitingForParent,
    /// No release note the release notes tool would find.
    MissingReleaseNote,
    /// Merge conflicts with the branch.
    NeedsRebase,
    /// Every failing context is failing branch-wide: fix the branch, not the PR.
    BlockedByBranch,
    /// A context fails on this PR alone.
    Failing,
    /// `/hold`.
    Held,
    /// A new enhancement on a release branch: needs an exception from the code's owners.
    NeedsException,
    /// A manual cherry-pick without `lgtm` or `approved`.
    NeedsReview,
    /// Would merge now.
    Ready,
    /// Nothing for the release manager: tests running, a draft, or review labels pending.
    Waiting,
}

impl NextAction {
    /// Every action, in the order a release manager works through them.
    pub const ALL: [NextAction; 11] = [
        NextAction::Triage,
        NextAction::WaitingForParent,
        NextAction::MissingReleaseNote,
        NextAction::NeedsRebase,
        NextAction::BlockedByBranch,
        NextAction::Failing,
        NextAction::Held,
        NextAction::NeedsException,
        NextAction::NeedsReview,
        NextAction::Ready,
        NextAction::Waiting,
    ];

    /// The serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            NextAction::Triage => "triage",
            NextAction::WaitingForParent => "waiting_for_parent",
            NextAction::MissingReleaseNote => "missing_release_note",
            NextAction::NeedsRebase => "needs_rebase",
            NextAction::BlockedByBranch => "blocked_by_branch",
            NextAction::Failing => "failing",
            NextAction::Held => "held",
            NextAction::NeedsException => "needs_exception",
            NextAction::NeedsReview => "needs_review",
            NextAction::Ready => "ready",
            NextAction::Waiting => "waiting",
        }
    }

    /// What a person reads: "blocked by the branch".
    pub fn title(self) -> &'static str {
        match self {
            NextAction::Triage => "triage",
            NextAction::WaitingForParent => "waiting for parent merge",
            NextAction::MissingReleaseNote => "missing release note",
            NextAction::NeedsRebase => "needs rebase",
            NextAction::BlockedByBranch => "blocked by the branch",
            NextAction::Failing => "failing on their own",
            NextAction::Held => "held",
            NextAction::NeedsException => "enhancement needing an exception",
            NextAction::NeedsReview => "manual pick needing review",
            NextAction::Ready => "ready",
            NextAction::Waiting => "waiting (tests, review or draft)",
        }
    }
}

/// The release note of one PR, as `krel` would read it from the PR body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseNoteReport {
    /// The PR whose body holds it: the PR itself, or a parent of an automated cherry-pick.
    pub from_pr: u64,
    /// What the block says.
    pub state: NoteState,
    /// The note text when written (upstream text: escape it wherever it is shown).
    pub text: Option<String>,
}

impl ReleaseNoteReport {
    /// The note of PR `from_pr`.
    pub fn from_note(from_pr: u64, note: crate::k8s::release_note::Note) -> ReleaseNoteReport {
        ReleaseNoteReport {
            from_pr,
            state: note.state,
            text: note.text,
        }
    }
}

/// Why a branch cannot be cut from HEAD now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadinessBlocker {
    /// The branch status is not green.
    BranchNotGreen,
    /// TestGrid's data (or the branch HEAD) is older than `testgrid.stale_after`, or missing.
    StaleData,
    /// A blocking tab has no completed run at HEAD.
    TabNotRunAtHead,
    /// A blocking tab's newest completed run at HEAD is not green.
    TabHeadNotGreen,
    /// A blocking tab has runs at HEAD, fewer than it needs.
    RunsAtHeadBelowMinimum,
}

impl ReadinessBlocker {
    /// Every reason, in label order.
    pub const ALL: [ReadinessBlocker; 5] = [
        ReadinessBlocker::BranchNotGreen,
        ReadinessBlocker::StaleData,
        ReadinessBlocker::TabNotRunAtHead,
        ReadinessBlocker::TabHeadNotGreen,
        ReadinessBlocker::RunsAtHeadBelowMinimum,
    ];

    /// The `reason` label value.
    pub fn as_str(self) -> &'static str {
        match self {
            ReadinessBlocker::BranchNotGreen => "branch_not_green",
            ReadinessBlocker::StaleData => "stale_data",
            ReadinessBlocker::TabNotRunAtHead => "tab_not_run_at_head",
            ReadinessBlocker::TabHeadNotGreen => "tab_head_not_green",
            ReadinessBlocker::RunsAtHeadBelowMinimum => "runs_at_head_below_minimum",
        }
    }
}

/// Everything branchwatch knows, at one instant.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
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

/// One watched branch.
#[derive(Clone, Debug, Serialize, Deserialize)]
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
    /// Open PRs against the branch (empty until GitHub has answered).
    pub pull_requests: Vec<PullRequestReport>,
    /// Open PRs per condition, plus `open`; empty until GitHub has answered.
    pub pull_request_counts: PrCounts,
    /// Presubmit contexts that have a final result on at least one open PR.
    pub presubmits: Vec<PresubmitReport>,
    /// Patch release timing (release and hotfix branches).
    pub release: Option<ReleaseReport>,
    /// Open PRs per next action, every action present (0 when none) once GitHub has answered.
    pub queue: BTreeMap<NextAction, u32>,
    /// The branch's `vX.Y` milestone (release and hotfix branches, once GitHub has answered).
    pub milestone: Option<MilestoneReport>,
    /// Whether the branch could be cut from HEAD now.
    pub readiness: ReadinessReport,
    /// What the next patch release will contain (release branches with a release).
    pub release_notes_preview: Option<NotesPreview>,
    /// Cherry-picks to un-approve during a freeze, or to re-approve after it.
    pub freeze_worklist: FreezeWorklist,
}

/// A branch's `vX.Y` milestone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MilestoneReport {
    /// `v1.34`.
    pub title: String,
    /// Whether GitHub has it.
    pub exists: bool,
    /// `open` or `closed`, when it exists.
    pub state: Option<String>,
    /// Its due date, unix seconds; None when it has none (or does not exist).
    pub due_on: Option<i64>,
    /// Link to the milestone, when it exists.
    pub url: Option<String>,
}

/// Go/no-go for cutting the branch from HEAD.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadinessReport {
    /// Every blocking tab ran at HEAD often enough, the newest run green, on fresh data, and
    /// the branch is green.
    pub ready: bool,
    /// Why not, in label order (empty when ready).
    pub blockers: Vec<ReadinessBlocker>,
    /// The HEAD judged.
    pub head: Option<String>,
    /// Per blocking tab.
    pub tabs: Vec<TabReadiness>,
}

/// One blocking tab's part in the go/no-go.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TabReadiness {
    /// Dashboard.
    pub dashboard: String,
    /// Tab.
    pub tab: String,
    /// Completed runs at HEAD (None when HEAD or the tab's columns are unknown).
    pub runs_at_head: Option<u32>,
    /// Runs at HEAD it needs (`readiness.min_runs_at_head`, or a `readiness.tabs` override).
    pub required: u32,
    /// Whether the newest completed run at HEAD was green.
    pub head_green: Option<bool>,
    /// What keeps this tab from go, if anything.
    pub blocker: Option<ReadinessBlocker>,
    /// Link to the tab.
    pub url: String,
}

/// The PRs merged into a branch since its last patch release.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotesPreview {
    /// The release they come after, e.g. `v1.34.3`.
    pub since_release: PatchVersion,
    /// Its publish time, unix seconds.
    pub since: i64,
    /// Whether every merged PR was read (false while a search is pending or was cut short).
    pub complete: bool,
    /// Newest merge first.
    pub merged: Vec<MergedPullRequestReport>,
}

/// One PR merged since the last release, with what the release notes will say of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergedPullRequestReport {
    /// PR number.
    pub number: u64,
    /// Title (upstream text).
    pub title: String,
    /// Link.
    pub url: String,
    /// Author login.
    pub author: Option<String>,
    /// When it merged, unix seconds.
    pub merged_at: i64,
    /// Its kind, for grouping.
    pub kind: ChangeKind,
    /// Parent PRs (an automated cherry-pick).
    pub parents: Vec<u64>,
    /// Its notes: own, or the parents'.
    pub release_notes: Vec<ReleaseNoteReport>,
}

/// The freeze's two lists.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreezeWorklist {
    /// While frozen: approved cherry-picks that are not ready (un-approve them for the freeze).
    pub to_unapprove: Vec<u64>,
    /// After the release that ended a freeze: open PRs whose `cherry-pick-approved` was removed
    /// during it (re-approve them).
    pub to_reapprove: Vec<ReapprovalReport>,
    /// The freeze the re-approvals are from: the release that ended it.
    pub ended_by: Option<PatchVersion>,
}

/// A PR whose approval was removed during the freeze.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReapprovalReport {
    /// PR number.
    pub number: u64,
    /// When `cherry-pick-approved` was removed, unix seconds.
    pub removed_at: i64,
    /// Who removed it (public GitHub login).
    pub removed_by: Option<String>,
}

/// Open PRs per condition. Serialised as one map: `{"open": 9, "untriaged": 2, ...}`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PrCounts {
    /// Every open PR; None until GitHub has answered.
    pub open: Option<u32>,
    /// Per condition, every condition present (0 when none) once GitHub has answered.
    pub by_condition: BTreeMap<Condition, u32>,
}

impl PrCounts {
    /// The count of `condition` (0 when unknown).
    pub fn get(&self, condition: Condition) -> u32 {
        self.by_condition.get(&condition).copied().unwrap_or(0)
    }
}

/// Reads what [`Serialize`] writes; a condition this version does not know is skipped (a newer
/// instance's status read with `report --from`).
impl<'de> Deserialize<'de> for PrCounts {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<String, u32>::deserialize(deserializer)?;
        let mut counts = PrCounts::default();
        for (key, count) in map {
            if key == "open" {
                counts.open = Some(count);
            } else if let Some(condition) = Condition::ALL.iter().find(|c| c.as_str() == key) {
                counts.by_condition.insert(*condition, count);
            }
        }
        Ok(counts)
    }
}

impl Serialize for PrCounts {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(open) = self.open {
            map.serialize_entry("open", &open)?;
        }
        for (condition, count) in &self.by_condition {
            map.serialize_entry(condition.as_str(), count)?;
        }
        map.end()
    }
}

/// One dashboard of a branch.
#[derive(Clone, Debug, Serialize, Deserialize)]
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
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TabReport {
    /// The tab name exactly as TestGrid shows it.
    pub name: String,
    /// TestGrid's overall status.
    pub status: TabStatus,
    /// Start of the newest run, unix seconds.
    pub last_run: Option<i64>,
    /// When TestGrid last wrote the tab's data, unix seconds.
    pub last_update: Option<i64>,
    /// Commit (short SHA) of the newest all-green run.
    pub latest_green: Option<String>,
    /// Failing (alerting) test rows.
    pub failing_tests: u32,
    /// A few failing rows.
    pub top_failures: Vec<FailingTestReport>,
    /// TestGrid's status text.
    pub message: String,
    /// Link to the tab.
    pub url: String,
    /// Completed runs that tested the branch HEAD (blocking tabs, when HEAD and headers are
    /// known).
    pub runs_at_head: Option<u32>,
    /// Whether the newest completed run at HEAD was green.
    pub head_green: Option<bool>,
}

/// One failing row of a tab.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FailingTestReport {
    /// Row name, e.g. `Overall` or a test name.
    pub name: String,
    /// Failures in the current streak.
    pub fail_count: u32,
    /// Unix seconds of the first failure in the streak.
    pub first_failure: Option<i64>,
}

/// One open PR as the release manager needs to see it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PullRequestReport {
    /// PR number.
    pub number: u64,
    /// Title (upstream text: escape it wherever it is shown).
    pub title: String,
    /// Link to the PR.
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
    /// What it needs next.
    pub next_action: NextAction,
    /// Its release notes: its own, or one per parent for an automated cherry-pick.
    pub release_notes: Vec<ReleaseNoteReport>,
}

/// One failing context on a PR.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FailingContextReport {
    /// Context (job) name.
    pub context: String,
    /// `failure` or `error`.
    pub state: ContextState,
    /// Prow's description without padding and BaseSHA.
    pub description: String,
    /// Link to the run.
    pub target_url: Option<String>,
    /// Whether this context is failing branch-wide.
    pub branch_wide: bool,
}

/// A cherry-pick's parent PR.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ParentReport {
    /// Parent PR number.
    pub number: u64,
    /// Whether it merged; None when unknown.
    pub merged: Option<bool>,
    /// Link to the parent.
    pub url: String,
}

/// One presubmit context across a branch's open PRs.
#[derive(Clone, Debug, Serialize, Deserialize)]
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
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PeriodicTwin {
    /// Dashboard of the twin.
    pub dashboard: String,
    /// Tab of the twin.
    pub tab: String,
    /// Its TestGrid status.
    pub status: TabStatus,
    /// Whether the twin is failing too (so the branch itself is broken, not the presubmit).
    pub failing: bool,
    /// Link to the tab.
    pub url: String,
}

/// Patch release timing for a release branch.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ReleaseReport {
    /// Latest patch release, e.g. `v1.34.3`.
    pub last_release: Option<PatchVersion>,
    /// Its publish time, unix seconds.
    pub last_release_at: Option<i64>,
    /// Whole days since then.
    pub days_since_last_release: Option<u64>,
    /// Days since the last release against the window.
    pub window: Option<WindowState>,
    /// Next scheduled patch, e.g. `v1.34.4`.
    pub next_target_version: Option<PatchVersion>,
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
    pub final_patch: Option<PatchVersion>,
    /// The planned end of life passed but the minor is not retired yet (its final patch may
    /// still be in preparation): still watched and alerted on.
    pub past_planned_end_of_life: bool,
    /// Where schedule.yaml contradicts itself about this minor.
    pub schedule_note: Option<String>,
}

/// One source's health.
#[derive(Clone, Debug, Serialize, Deserialize)]
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
    /// The kind of that failure (`timeout`, `rate_limited`, `decode_error`, `panic`, ...).
    pub error_kind: Option<String>,
    /// Not polled again before this time, unix seconds (the upstream said to wait).
    pub retry_at: Option<i64>,
}

/// A GitHub rate limit.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RateLimitReport {
    /// `core`, `graphql` or `search`.
    pub resource: String,
    /// Remaining points/requests.
    pub remaining: i64,
    /// When it resets, unix seconds.
    pub reset_at: Option<i64>,
}

/// Where the current snapshot is published: one writer (the poller) swaps in a new snapshot,
/// readers (a scrape, the API, the page) take it without ever waiting on a poll.
#[derive(Default)]
pub struct SnapshotCell(ArcSwap<Snapshot>);

impl SnapshotCell {
    /// The current snapshot (cheap: an `Arc` clone).
    pub fn load(&self) -> Arc<Snapshot> {
        self.0.load_full()
    }

    /// Publishes `snapshot`.
    pub fn store(&self, snapshot: Arc<Snapshot>) {
        self.0.store(snapshot);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pr_counts_serialise_as_one_map_with_open() {
        let mut counts = PrCounts {
            open: Some(3),
            ..PrCounts::default()
        };
        counts.by_condition.insert(Condition::Ready, 1);
        counts.by_condition.insert(Condition::Untriaged, 0);
        assert_eq!(
            serde_json::to_value(&counts).unwrap(),
            serde_json::json!({"open": 3, "untriaged": 0, "ready": 1})
        );
        assert_eq!(counts.get(Condition::Draft), 0);
    }

    #[test]
    fn vocabulary_serialises_as_its_label() {
        assert_eq!(
            serde_json::to_value(Condition::OnlyBlockedByBranch).unwrap(),
            "only_blocked_by_branch"
        );
        assert_eq!(serde_json::to_value(TabStatus::Failing).unwrap(), "FAILING");
        assert_eq!(
            serde_json::to_value(WindowState::InWindow).unwrap(),
            "in_window"
        );
        assert_eq!(
            serde_json::to_value(PatchVersion::new(1, 34, 3)).unwrap(),
            "v1.34.3"
        );
        for condition in Condition::ALL {
            assert_eq!(serde_json::to_value(condition).unwrap(), condition.as_str());
        }
    }
}
