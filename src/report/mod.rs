//! The meeting report (`branchwatch report`): what a patch release manager says about each
//! branch at the sig-release meeting or pastes in Slack — health and since when, what blocks it,
//! the cherry-picks merged, approved and stuck, the next target and deadline, the freeze,
//! go/no-go and the risks.
//!
//! Pure: a [`Snapshot`] and the time of the report in, text out; no clock, no I/O. [`build`]
//! gathers the facts once into a [`Report`], and both renderings read that one value — the
//! markdown for people ([`markdown`]) and a stable JSON document for bots ([`json`]) — so they
//! never disagree.

pub mod json;
pub mod markdown;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::snapshot::{
    BranchReport, BranchStatus, ChangeKind, Condition, DashboardKind, NextAction, NoteState,
    PatchVersion, PullRequestReport, ReadinessBlocker, Snapshot, Source, TabStatus, WindowState,
};

/// The version of the JSON document's structure; it changes only when a field changes meaning
/// or goes away (fields may be added).
pub const FORMAT: &str = "branchwatch.report/v1";

/// The line the report carries in embargo mode.
pub const EMBARGO_LINE: &str = "Embargo mode: titles and notes are withheld.";

/// A target or deadline this close (in calendar days) is a risk.
const SOON_DAYS: i64 = 2;

/// How the report is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// To paste into a meeting doc, a GitHub comment or Slack.
    Markdown,
    /// For a bot: the [`Report`] as JSON.
    Json,
}

/// `--branch` named a branch the snapshot does not have.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{requested}` is not a watched branch; watched: {}", watched_list(.watched))]
pub struct UnknownBranch {
    /// What was asked for.
    pub requested: String,
    /// The branches the snapshot has.
    pub watched: Vec<String>,
}

fn watched_list(watched: &[String]) -> String {
    if watched.is_empty() {
        "none yet (no source has named a branch)".to_string()
    } else {
        watched.join(", ")
    }
}

/// The report of `snapshot` at `now` (unix seconds), for one branch or all of them, in
/// `format`. With `embargo`, no PR title, author or note text is written, whatever the
/// snapshot holds.
pub fn render(
    snapshot: &Snapshot,
    now: i64,
    format: Format,
    branch: Option<&str>,
    embargo: bool,
) -> Result<String, UnknownBranch> {
    let report = build(snapshot, now, branch, embargo)?;
    Ok(match format {
        Format::Markdown => markdown::render(&report),
        Format::Json => json::render(&report),
    })
}

/// A point in time as the report gives it: unix seconds, RFC 3339 in UTC, and how many
/// calendar days (UTC) it lies from the day of the report (negative: in the past).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Time {
    /// Unix seconds.
    pub unix: i64,
    /// `2026-12-12T00:00:00Z`.
    pub utc: String,
    /// Calendar days from the report's day: 0 today, 1 tomorrow, -1 yesterday.
    pub days_from_now: i64,
}

impl Time {
    fn at(unix: i64, now: i64) -> Time {
        Time {
            unix,
            utc: utc(unix, "%Y-%m-%dT%H:%M:%SZ"),
            days_from_now: unix.div_euclid(86_400) - now.div_euclid(86_400),
        }
    }
}

/// `unix` in UTC with a chrono `pattern`; the raw number when it is out of chrono's range.
fn utc(unix: i64, pattern: &str) -> String {
    match chrono::DateTime::from_timestamp(unix, 0) {
        Some(time) => time.format(pattern).to_string(),
        None => unix.to_string(),
    }
}

/// The whole report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// [`FORMAT`].
    pub format: &'static str,
    /// The time of the report.
    pub generated_at: Time,
    /// When the snapshot was analysed.
    pub snapshot_at: Time,
    /// Titles, authors and notes withheld.
    pub embargo: bool,
    /// Every source, up or not.
    pub sources: Vec<SourceLine>,
    /// The branches reported, in the snapshot's order.
    pub branches: Vec<BranchSection>,
}

/// One source's health.
#[derive(Clone, Debug, Serialize)]
pub struct SourceLine {
    /// `testgrid`, `github` or `schedule`.
    pub source: Source,
    /// Whether its latest poll succeeded.
    pub up: bool,
    /// Its latest success: how old the data from it is.
    pub last_success: Option<Time>,
    /// Why the latest poll failed.
    pub error: Option<String>,
    /// The kind of that failure (`timeout`, `rate_limited`, ...).
    pub error_kind: Option<String>,
    /// Not polled again before this time.
    pub retry_at: Option<Time>,
}

/// One branch.
#[derive(Clone, Debug, Serialize)]
pub struct BranchSection {
    /// `release-1.34`.
    pub name: String,
    /// Health from the blocking dashboards.
    pub status: BranchStatus,
    /// Since when it has had that status.
    pub status_since: Time,
    /// Why (which tabs).
    pub status_reason: String,
    /// What makes it so: failing blocking tabs, presubmits failing branch-wide.
    pub blocked_by: Blockers,
    /// The open PRs and the merged ones.
    pub pull_requests: PullRequests,
    /// Patch release timing; null for master.
    pub release: Option<Release>,
    /// The cherry-pick freeze and its worklists.
    pub freeze: Freeze,
    /// Go/no-go for cutting from HEAD.
    pub readiness: Readiness,
    /// What could go wrong, most pressing first.
    pub risks: Vec<Risk>,
}

/// What blocks a branch.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Blockers {
    /// Blocking tabs that are FAILING or BROKEN.
    pub failing_tabs: Vec<TabLine>,
    /// Presubmits failing on many of the branch's PRs at once.
    pub branch_wide_presubmits: Vec<PresubmitLine>,
}

/// A blocking tab.
#[derive(Clone, Debug, Serialize)]
pub struct TabLine {
    /// Dashboard.
    pub dashboard: String,
    /// Tab, as TestGrid names it.
    pub tab: String,
    /// TestGrid's status.
    pub status: TabStatus,
    /// Failing test rows.
    pub failing_tests: u32,
    /// Link to the tab.
    pub url: String,
}

/// A presubmit failing branch-wide.
#[derive(Clone, Debug, Serialize)]
pub struct PresubmitLine {
    /// Context (job) name.
    pub context: String,
    /// Open PRs failing it.
    pub failing_prs: u32,
    /// Open PRs with a final result for it.
    pub prs_with_result: u32,
    /// Its periodic twin on TestGrid, when there is one.
    pub periodic_twin: Option<TwinLine>,
}

/// A presubmit's periodic twin.
#[derive(Clone, Debug, Serialize)]
pub struct TwinLine {
    /// Dashboard.
    pub dashboard: String,
    /// Tab.
    pub tab: String,
    /// TestGrid's status.
    pub status: TabStatus,
    /// Failing too: the branch itself is broken, not the presubmit.
    pub failing: bool,
    /// Link to the tab.
    pub url: String,
}

/// The branch's PRs as the meeting discusses them.
#[derive(Clone, Debug, Serialize)]
pub struct PullRequests {
    /// Open PRs; null until GitHub has answered.
    pub open: Option<u32>,
    /// Open PRs by what they need next (every action, 0 when none); empty until GitHub has
    /// answered.
    pub queue: BTreeMap<NextAction, u32>,
    /// Merged since the last patch release; null when not known.
    pub merged_since_release: Option<Merged>,
    /// Open PRs with `cherry-pick-approved`, each with what it still needs.
    pub approved_waiting: Vec<PrLine>,
    /// Open PRs failing a presubmit that fails branch-wide.
    pub blocked_by_branch: Vec<PrLine>,
    /// How many of them would merge once the branch is fixed (`only_blocked_by_branch`: every
    /// failing context is branch-wide and the PR is otherwise mergeable).
    pub would_merge_once_fixed: u32,
}

/// One PR.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PrLine {
    /// Number.
    pub number: u64,
    /// Link; null when the snapshot has no open PR of that number.
    pub url: Option<String>,
    /// Title; null in embargo mode or when the snapshot has none.
    pub title: Option<String>,
    /// What it needs next; null when it is not an open PR of the snapshot.
    pub next_action: Option<NextAction>,
}

/// What merged since the last patch release.
#[derive(Clone, Debug, Serialize)]
pub struct Merged {
    /// The release they come after.
    pub since_release: PatchVersion,
    /// Its publish time.
    pub since: Time,
    /// Whether every merged PR was read.
    pub complete: bool,
    /// Newest merge first.
    pub pull_requests: Vec<MergedLine>,
}

/// One merged PR.
#[derive(Clone, Debug, Serialize)]
pub struct MergedLine {
    /// Number.
    pub number: u64,
    /// Link.
    pub url: String,
    /// Title; null in embargo mode or when the snapshot has none.
    pub title: Option<String>,
    /// Author; null in embargo mode or when unknown.
    pub author: Option<String>,
    /// Its kind.
    pub kind: ChangeKind,
    /// When it merged.
    pub merged_at: Time,
    /// Its notes (own or parents').
    pub release_notes: Vec<NoteLine>,
}

/// One release note.
#[derive(Clone, Debug, Serialize)]
pub struct NoteLine {
    /// The PR whose body holds it.
    pub from_pr: u64,
    /// What the block says.
    pub state: NoteState,
    /// The text; null in embargo mode or when there is none.
    pub text: Option<String>,
}

/// Patch release timing.
#[derive(Clone, Debug, Serialize)]
pub struct Release {
    /// Latest patch release.
    pub last_release: Option<PatchVersion>,
    /// Its publish time.
    pub last_release_at: Option<Time>,
    /// Whole days since then.
    pub days_since_last_release: Option<u64>,
    /// Those days against the 2–4 week window.
    pub window: Option<WindowState>,
    /// Next scheduled patch.
    pub next_target_version: Option<PatchVersion>,
    /// Its target date.
    pub next_target: Option<Time>,
    /// Its cherry-pick deadline.
    pub cherry_pick_deadline: Option<Time>,
    /// The target passed with no newer release.
    pub target_missed: bool,
    /// End of life: actual once retired, else planned.
    pub end_of_life: Option<Time>,
    /// Listed in `eol.yaml`.
    pub retired: bool,
    /// The final patch, once retired.
    pub final_patch: Option<PatchVersion>,
    /// Past the planned end of life, not retired yet.
    pub past_planned_end_of_life: bool,
}

/// The cherry-pick freeze.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Freeze {
    /// Cherry-picks are frozen (deadline passed, release not out).
    pub on: bool,
    /// While frozen: approved picks that are not ready, to un-approve.
    pub to_unapprove: Vec<PrLine>,
    /// After the freeze: picks whose approval was removed during it, to re-approve.
    pub to_reapprove: Vec<PrLine>,
    /// The release that ended the freeze the re-approvals are from.
    pub ended_by: Option<PatchVersion>,
}

/// Go, no-go, or not judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The branch could be cut from HEAD now.
    Go,
    /// It could not, for the reasons given.
    NoGo,
    /// The snapshot carries no judgement (no blocking tab judged yet).
    NotAssessed,
}

/// Go/no-go for cutting the branch from HEAD.
#[derive(Clone, Debug, Serialize)]
pub struct Readiness {
    /// The verdict.
    pub verdict: Verdict,
    /// Why not, when no-go.
    pub blockers: Vec<ReadinessBlocker>,
    /// The HEAD judged.
    pub head: Option<String>,
    /// The blocking tabs that keep it from go.
    pub tabs: Vec<TabBlocker>,
}

/// A blocking tab that keeps the branch from go.
#[derive(Clone, Debug, Serialize)]
pub struct TabBlocker {
    /// Dashboard.
    pub dashboard: String,
    /// Tab.
    pub tab: String,
    /// Why.
    pub blocker: ReadinessBlocker,
    /// Completed runs at HEAD.
    pub runs_at_head: Option<u32>,
    /// Runs at HEAD it needs.
    pub required: u32,
    /// Link to the tab.
    pub url: String,
}

/// A kind of risk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskKind {
    /// A source is down: part of the report is older than the rest.
    SourceDown,
    /// A dashboard of the branch could not be read.
    DashboardError,
    /// TestGrid has no such dashboard.
    DashboardMissing,
    /// The scheduled target passed with no release.
    TargetMissed,
    /// Longer since the last patch than the window allows.
    ReleaseOverdue,
    /// The target is close and the branch is not ready.
    NotReadyNearTarget,
    /// The cherry-pick deadline is close.
    DeadlineSoon,
    /// An enhancement on a release branch: needs an exception.
    NeedsException,
    /// A manual cherry-pick without review.
    NeedsReview,
    /// Open picks without a release note.
    MissingReleaseNote,
    /// Merged PRs whose note the release notes tool will not find.
    MergedWithoutReleaseNote,
    /// Picks outside the branch's milestone.
    NotInMilestone,
    /// The branch's milestone does not exist.
    MilestoneMissing,
    /// The branch's milestone has no due date.
    MilestoneWithoutDueDate,
    /// Dependency bumps, which deserve extra scrutiny.
    DependencyBump,
    /// Past the planned end of life, not retired.
    PastPlannedEndOfLife,
    /// Retired: support ended.
    Retired,
    /// The schedule contradicts itself about this branch.
    ScheduleNote,
}

/// A risk: what it is, in a sentence, and the PRs concerned.
#[derive(Clone, Debug, Serialize)]
pub struct Risk {
    /// Its kind.
    pub kind: RiskKind,
    /// One plain-text sentence (upstream names in it are not escaped for any markup).
    pub message: String,
    /// The PRs concerned, if any.
    pub pull_requests: Vec<PrLine>,
}

/// Gathers the report of `snapshot` at `now`: every branch, or only `branch`.
pub fn build(
    snapshot: &Snapshot,
    now: i64,
    branch: Option<&str>,
    embargo: bool,
) -> Result<Report, UnknownBranch> {
    let branches: Vec<&BranchReport> = match branch {
        None => snapshot.branches.iter().collect(),
        Some(name) => match snapshot.branch(name) {
            Some(found) => vec![found],
            None => {
                return Err(UnknownBranch {
                    requested: name.to_string(),
                    watched: snapshot.branches.iter().map(|b| b.name.clone()).collect(),
                });
            }
        },
    };
    let sources: Vec<SourceLine> = snapshot
        .sources
        .iter()
        .map(|source| SourceLine {
            source: source.source,
            up: source.up,
            last_success: source.last_success.map(|at| Time::at(at, now)),
            error: source.last_error.clone(),
            error_kind: source.error_kind.clone(),
            retry_at: source.retry_at.map(|at| Time::at(at, now)),
        })
        .collect();
    let context = Context { now, embargo };
    Ok(Report {
        format: FORMAT,
        generated_at: Time::at(now, now),
        snapshot_at: Time::at(snapshot.generated_at, now),
        embargo,
        branches: branches
            .into_iter()
            .map(|branch| context.branch(branch, &sources))
            .collect(),
        sources,
    })
}

/// What every part of the report is built with.
struct Context {
    now: i64,
    embargo: bool,
}

impl Context {
    fn time(&self, unix: i64) -> Time {
        Time::at(unix, self.now)
    }

    /// Upstream prose (titles, authors, notes): withheld in embargo mode, and an empty string
    /// (an embargoed snapshot) is no text at all.
    fn prose(&self, text: Option<&str>) -> Option<String> {
        text.filter(|text| !self.embargo && !text.trim().is_empty())
            .map(str::to_string)
    }

    fn pr_line(&self, pr: &PullRequestReport) -> PrLine {
        PrLine {
            number: pr.number,
            url: Some(pr.url.clone()),
            title: self.prose(Some(&pr.title)),
            next_action: Some(pr.next_action),
        }
    }

    /// The PR `number` of `branch`, as far as the snapshot knows it.
    fn pr_by_number(&self, branch: &BranchReport, number: u64) -> PrLine {
        match branch.pull_requests.iter().find(|pr| pr.number == number) {
            Some(pr) => self.pr_line(pr),
            None => PrLine {
                number,
                url: None,
                title: None,
                next_action: None,
            },
        }
    }

    fn prs_where(
        &self,
        branch: &BranchReport,
        keep: impl Fn(&PullRequestReport) -> bool,
    ) -> Vec<PrLine> {
        branch
            .pull_requests
            .iter()
            .filter(|pr| keep(pr))
            .map(|pr| self.pr_line(pr))
            .collect()
    }

    fn branch(&self, branch: &BranchReport, sources: &[SourceLine]) -> BranchSection {
        let readiness = self.readiness(branch);
        let release = branch.release.as_ref().map(|release| Release {
            last_release: release.last_release,
            last_release_at: release.last_release_at.map(|at| self.time(at)),
            days_since_last_release: release.days_since_last_release,
            window: release.window,
            next_target_version: release.next_target_version,
            next_target: release.next_target_at.map(|at| self.time(at)),
            cherry_pick_deadline: release.cherry_pick_deadline_at.map(|at| self.time(at)),
            target_missed: release.target_missed,
            end_of_life: release.end_of_life_at.map(|at| self.time(at)),
            retired: release.retired,
            final_patch: release.final_patch,
            past_planned_end_of_life: release.past_planned_end_of_life,
        });
        let freeze = Freeze {
            on: branch
                .release
                .as_ref()
                .is_some_and(|release| release.freeze),
            to_unapprove: (branch.freeze_worklist.to_unapprove.iter())
                .map(|number| self.pr_by_number(branch, *number))
                .collect(),
            to_reapprove: (branch.freeze_worklist.to_reapprove.iter())
                .map(|reapproval| self.pr_by_number(branch, reapproval.number))
                .collect(),
            ended_by: branch.freeze_worklist.ended_by,
        };
        let mut section = BranchSection {
            name: branch.name.clone(),
            status: branch.status,
            status_since: self.time(branch.status_since),
            status_reason: branch.status_reason.clone(),
            blocked_by: blockers(branch),
            pull_requests: self.pull_requests(branch),
            release,
            freeze,
            readiness,
            risks: Vec::new(),
        };
        section.risks = self.risks(branch, &section, sources);
        section
    }

    fn pull_requests(&self, branch: &BranchReport) -> PullRequests {
        let merged_since_release = branch.release_notes_preview.as_ref().map(|preview| Merged {
            since_release: preview.since_release,
            since: self.time(preview.since),
            complete: preview.complete,
            pull_requests: preview
                .merged
                .iter()
                .map(|pr| MergedLine {
                    number: pr.number,
                    url: pr.url.clone(),
                    title: self.prose(Some(&pr.title)),
                    author: self.prose(pr.author.as_deref()),
                    kind: pr.kind,
                    merged_at: self.time(pr.merged_at),
                    release_notes: pr
                        .release_notes
                        .iter()
                        .map(|note| NoteLine {
                            from_pr: note.from_pr,
                            state: note.state,
                            text: self.prose(note.text.as_deref()),
                        })
                        .collect(),
                })
                .collect(),
        });
        PullRequests {
            open: branch.pull_request_counts.open,
            queue: branch.queue.clone(),
            merged_since_release,
            approved_waiting: self.prs_where(branch, |pr| {
                pr.conditions.contains(&Condition::CherryPickApproved)
            }),
            blocked_by_branch: self.prs_where(branch, |pr| {
                pr.conditions.contains(&Condition::BlockedByBranchFailure)
                    || pr.next_action == NextAction::BlockedByBranch
            }),
            would_merge_once_fixed: branch
                .pull_request_counts
                .get(Condition::OnlyBlockedByBranch),
        }
    }

    fn readiness(&self, branch: &BranchReport) -> Readiness {
        let readiness = &branch.readiness;
        let verdict = if readiness.ready {
            Verdict::Go
        } else if readiness.blockers.is_empty() {
            Verdict::NotAssessed
        } else {
            Verdict::NoGo
        };
        Readiness {
            verdict,
            blockers: readiness.blockers.clone(),
            head: readiness.head.clone(),
            tabs: readiness
                .tabs
                .iter()
                .filter_map(|tab| {
                    Some(TabBlocker {
                        dashboard: tab.dashboard.clone(),
                        tab: tab.tab.clone(),
                        blocker: tab.blocker?,
                        runs_at_head: tab.runs_at_head,
                        required: tab.required,
                        url: tab.url.clone(),
                    })
                })
                .collect(),
        }
    }

    /// The risks of a branch, most pressing first.
    fn risks(
        &self,
        branch: &BranchReport,
        section: &BranchSection,
        sources: &[SourceLine],
    ) -> Vec<Risk> {
        let mut risks = Vec::new();
        let mut risk = |kind: RiskKind, message: String, pull_requests: Vec<PrLine>| {
            risks.push(Risk {
                kind,
                message,
                pull_requests,
            });
        };
        for source in sources.iter().filter(|source| !source.up) {
            let what = match source.source {
                Source::Testgrid => "health and tabs",
                Source::Github => "pull requests and releases",
                Source::Schedule => "release dates",
            };
            let since = match &source.last_success {
                Some(at) => format!("as of {}", datetime(at.unix)),
                None => "not known yet".to_string(),
            };
            risk(
                RiskKind::SourceDown,
                format!("{} is down: {what} {since}.", source_name(source.source)),
                Vec::new(),
            );
        }
        for dashboard in &branch.dashboards {
            if dashboard.missing {
                risk(
                    RiskKind::DashboardMissing,
                    format!("TestGrid has no dashboard {}.", dashboard.name),
                    Vec::new(),
                );
            } else if let Some(error) = &dashboard.error {
                risk(
                    RiskKind::DashboardError,
                    format!(
                        "{} could not be read ({error}); its tabs are from the last good read.",
                        dashboard.name
                    ),
                    Vec::new(),
                );
            }
        }
        if let (Some(release), Some(upstream)) = (&section.release, &branch.release) {
            let next = release
                .next_target_version
                .map(|version| version.to_string())
                .unwrap_or_else(|| "the next patch".to_string());
            if release.target_missed {
                let when = release
                    .next_target
                    .as_ref()
                    .map(|at| format!(" {}", dated(at)))
                    .unwrap_or_default();
                risk(
                    RiskKind::TargetMissed,
                    format!("{next} was due{when} and is not out."),
                    Vec::new(),
                );
            }
            if release.window == Some(WindowState::Overdue) {
                let last = match (release.last_release, release.days_since_last_release) {
                    (Some(version), Some(days)) => format!(" ({days} days since {version})"),
                    _ => String::new(),
                };
                risk(
                    RiskKind::ReleaseOverdue,
                    format!("Overdue for a patch release{last}."),
                    Vec::new(),
                );
            }
            if let Some(target) = &release.next_target {
                let near = (0..=SOON_DAYS).contains(&target.days_from_now);
                if near && section.readiness.verdict != Verdict::Go && !release.target_missed {
                    let verdict = match section.readiness.verdict {
                        Verdict::NoGo => "the branch is not ready to cut",
                        _ => "readiness at HEAD is not assessed",
                    };
                    risk(
                        RiskKind::NotReadyNearTarget,
                        format!("{next} is due {} and {verdict}.", relative_day(target)),
                        Vec::new(),
                    );
                }
            }
            if let Some(deadline) = &release.cherry_pick_deadline {
                if !upstream.freeze && (0..=SOON_DAYS).contains(&deadline.days_from_now) {
                    risk(
                        RiskKind::DeadlineSoon,
                        format!(
                            "Cherry-pick deadline for {next} is {} ({}).",
                            relative_day(deadline),
                            date(deadline.unix)
                        ),
                        Vec::new(),
                    );
                }
            }
        }
        if branch.release.is_none() {
            // master: its PRs are not cherry-picks, and no patch release is cut from it.
            return risks;
        }
        let with =
            |condition: Condition| self.prs_where(branch, |pr| pr.conditions.contains(&condition));
        let needs_exception = self.prs_where(branch, |pr| {
            pr.conditions.contains(&Condition::Enhancement)
                || pr.next_action == NextAction::NeedsException
        });
        if !needs_exception.is_empty() {
            risk(
                RiskKind::NeedsException,
                "Enhancement on a release branch, needs an exception from the code's owners:"
                    .to_string(),
                needs_exception,
            );
        }
        let needs_review = self.prs_where(branch, |pr| {
            pr.conditions.contains(&Condition::NeedsReview)
                || pr.next_action == NextAction::NeedsReview
        });
        if !needs_review.is_empty() {
            risk(
                RiskKind::NeedsReview,
                "Manual cherry-pick needing lgtm and approval:".to_string(),
                needs_review,
            );
        }
        let missing_notes = with(Condition::MissingReleaseNote);
        if !missing_notes.is_empty() {
            risk(
                RiskKind::MissingReleaseNote,
                "Missing a release note:".to_string(),
                missing_notes,
            );
        }
        if let Some(preview) = &branch.release_notes_preview {
            let without: Vec<PrLine> = preview
                .merged
                .iter()
                .filter(|pr| {
                    pr.release_notes
                        .iter()
                        .any(|note| note.state == NoteState::Absent)
                })
                .map(|pr| PrLine {
                    number: pr.number,
                    url: Some(pr.url.clone()),
                    title: self.prose(Some(&pr.title)),
                    next_action: None,
                })
                .collect();
            if !without.is_empty() {
                risk(
                    RiskKind::MergedWithoutReleaseNote,
                    "Merged without a release note the notes tool will find:".to_string(),
                    without,
                );
            }
        }
        let milestone = branch.milestone.as_ref();
        let not_in_milestone = with(Condition::NotInMilestone);
        if !not_in_milestone.is_empty() {
            let title = milestone
                .map(|m| m.title.clone())
                .unwrap_or_else(|| "the branch's milestone".to_string());
            risk(
                RiskKind::NotInMilestone,
                format!("Not in milestone {title} (no merge-queue priority):"),
                not_in_milestone,
            );
        }
        match milestone {
            Some(m) if !m.exists => risk(
                RiskKind::MilestoneMissing,
                format!(
                    "Milestone {} does not exist on GitHub: cherry-picks get no merge-queue priority.",
                    m.title
                ),
                Vec::new(),
            ),
            Some(m) if m.due_on.is_none() && m.state.as_deref() != Some("closed") => risk(
                RiskKind::MilestoneWithoutDueDate,
                format!("Milestone {} has no due date.", m.title),
                Vec::new(),
            ),
            _ => {}
        }
        let bumps = with(Condition::DependencyBump);
        if !bumps.is_empty() {
            risk(
                RiskKind::DependencyBump,
                "Dependency bumps, which deserve extra scrutiny:".to_string(),
                bumps,
            );
        }
        if let Some(release) = &section.release {
            let eol = release
                .end_of_life
                .as_ref()
                .map(|at| format!(" ({})", date(at.unix)))
                .unwrap_or_default();
            if release.retired {
                let last = release
                    .final_patch
                    .map(|version| format!("; final patch {version}"))
                    .unwrap_or_default();
                risk(
                    RiskKind::Retired,
                    format!("Retired{eol}{last}: no longer supported."),
                    Vec::new(),
                );
            } else if release.past_planned_end_of_life {
                risk(
                    RiskKind::PastPlannedEndOfLife,
                    format!(
                        "Past its planned end of life{eol} and not retired yet: the final patch may still be in preparation."
                    ),
                    Vec::new(),
                );
            }
        }
        if let Some(note) = branch
            .release
            .as_ref()
            .and_then(|release| release.schedule_note.as_ref())
        {
            risk(RiskKind::ScheduleNote, note.clone(), Vec::new());
        }
        risks
    }
}

fn blockers(branch: &BranchReport) -> Blockers {
    let failing_tabs = branch
        .dashboards
        .iter()
        .filter(|dashboard| dashboard.kind == DashboardKind::Blocking)
        .flat_map(|dashboard| {
            dashboard
                .tabs
                .iter()
                .filter(|tab| tab.status.is_failing())
                .map(|tab| TabLine {
                    dashboard: dashboard.name.clone(),
                    tab: tab.name.clone(),
                    status: tab.status,
                    failing_tests: tab.failing_tests,
                    url: tab.url.clone(),
                })
        })
        .collect();
    let branch_wide_presubmits = branch
        .presubmits
        .iter()
        .filter(|presubmit| presubmit.branch_wide)
        .map(|presubmit| PresubmitLine {
            context: presubmit.context.clone(),
            failing_prs: presubmit.failing_prs,
            prs_with_result: presubmit.prs_with_result,
            periodic_twin: presubmit.periodic_twin.as_ref().map(|twin| TwinLine {
                dashboard: twin.dashboard.clone(),
                tab: twin.tab.clone(),
                status: twin.status,
                failing: twin.failing,
                url: twin.url.clone(),
            }),
        })
        .collect();
    Blockers {
        failing_tabs,
        branch_wide_presubmits,
    }
}

/// How a person names a source.
fn source_name(source: Source) -> &'static str {
    match source {
        Source::Testgrid => "TestGrid",
        Source::Github => "GitHub",
        Source::Schedule => "schedule.yaml",
    }
}

/// `2026-12-12`.
fn date(unix: i64) -> String {
    utc(unix, "%Y-%m-%d")
}

/// `2026-11-25 12:00 UTC`.
fn datetime(unix: i64) -> String {
    utc(unix, "%Y-%m-%d %H:%M UTC")
}

/// `today`, `tomorrow`, `yesterday`, `in 17 days`, `3 days ago` (calendar days, UTC).
fn relative_day(time: &Time) -> String {
    match time.days_from_now {
        0 => "today".to_string(),
        1 => "tomorrow".to_string(),
        -1 => "yesterday".to_string(),
        days if days > 1 => format!("in {days} days"),
        days => format!("{} days ago", days.unsigned_abs()),
    }
}

/// `2026-12-12 (in 17 days)`.
fn dated(time: &Time) -> String {
    format!("{} ({})", date(time.unix), relative_day(time))
}

/// How long since `since`: `just now`, `25 min`, `5 h`, `3 days`.
fn elapsed(now: i64, since: i64) -> String {
    let seconds = now.saturating_sub(since).max(0);
    match seconds {
        0..60 => "just now".to_string(),
        60..3_600 => format!("{} min", seconds / 60),
        3_600..172_800 => format!("{} h", seconds / 3_600),
        _ => format!("{} days", seconds / 86_400),
    }
}

#[cfg(test)]
mod tests;
