//! Pure analysis: the latest data of every source plus an explicit `now` in, an immutable
//! [`Snapshot`] out. No clock reads and no I/O happen here.

pub mod branch;
pub mod pulls;
pub mod release;

use std::collections::BTreeMap;

use crate::{
    config::{BranchWideConfig, ReleaseWindowConfig},
    release::{eol::EndOfLife, schedule::Schedule, timing::PublishedRelease},
    snapshot::{
        BranchReport, BranchStatus, DashboardKind, DashboardReport, RateLimitReport, Snapshot,
        SourceReport, TabReport,
    },
    sources::{
        Source,
        github::GithubData,
        testgrid::{ColumnHeader, DashboardSummary, tab_url},
    },
};

/// The latest good data of one dashboard, and the latest error if its last fetch failed.
#[derive(Clone, Debug, Default)]
pub struct DashboardObservation {
    /// Last successfully decoded summary.
    pub summary: Option<DashboardSummary>,
    /// When that summary was fetched, unix seconds.
    pub fetched_at: Option<i64>,
    /// Error of the latest fetch, if it failed.
    pub error: Option<String>,
    /// TestGrid said the dashboard does not exist (a fact about the data, not an outage).
    pub missing: bool,
}

/// What a watched branch reads from TestGrid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BranchDashboards {
    /// Branch name.
    pub branch: String,
    /// Blocking dashboards.
    pub blocking: Vec<String>,
    /// Informing dashboards.
    pub informing: Vec<String>,
}

/// A source's poll history.
#[derive(Clone, Debug, Default)]
pub struct SourceHealth {
    /// Whether the latest poll succeeded.
    pub up: bool,
    /// Unix seconds of the latest success.
    pub last_success: Option<i64>,
    /// Duration of the latest poll in seconds.
    pub last_poll_duration: Option<f64>,
    /// Why the latest poll failed.
    pub last_error: Option<String>,
    /// Not polled again before this time (unix seconds): the upstream's `Retry-After` or
    /// rate-limit reset, capped at an hour.
    pub retry_at: Option<i64>,
}

/// Everything the sources have delivered so far (the last good data of each).
#[derive(Clone, Debug, Default)]
pub struct Observations {
    /// The watched branches and their dashboards.
    pub branches: Vec<BranchDashboards>,
    /// By dashboard name.
    pub dashboards: BTreeMap<String, DashboardObservation>,
    /// Column headers by (dashboard, tab).
    pub headers: BTreeMap<(String, String), Vec<ColumnHeader>>,
    /// The tab's newest run when its headers were read (unchanged run: no need to read again).
    pub headers_run: BTreeMap<(String, String), Option<i64>>,
    /// The last good GitHub poll.
    pub github: Option<GithubData>,
    /// Every published patch release known (all minors).
    pub releases: Vec<PublishedRelease>,
    /// The last good schedule.
    pub schedule: Option<Schedule>,
    /// The last good `eol.yaml`.
    pub eol: Option<EndOfLife>,
    /// Source health.
    pub sources: BTreeMap<Source, SourceHealth>,
    /// GitHub rate limits by resource, as the last response of any kind reported them.
    pub rate_limits: BTreeMap<String, crate::sources::github::RateLimit>,
}

/// Thresholds and links analysis needs from the configuration.
#[derive(Clone, Debug)]
pub struct AnalysisSettings {
    /// TestGrid human UI root, for links.
    pub testgrid_url: String,
    /// Data older than this makes a branch stale.
    pub stale_after: std::time::Duration,
    /// Branch-wide presubmit failure thresholds.
    pub branch_wide: BranchWideConfig,
    /// The patch release window.
    pub release_window: ReleaseWindowConfig,
}

/// Turns observations into a snapshot. `previous` carries "status since" across polls.
pub fn analyze(
    observations: &Observations,
    settings: &AnalysisSettings,
    previous: Option<&Snapshot>,
    now: i64,
) -> Snapshot {
    let branches = observations
        .branches
        .iter()
        .map(|branch| analyze_branch(branch, observations, settings, previous, now))
        .collect();
    let sources = source_reports(observations);
    let github_rate_limits = observations
        .rate_limits
        .iter()
        .map(|(resource, limit)| RateLimitReport {
            resource: resource.clone(),
            remaining: limit.remaining,
            reset_at: limit.reset_at,
        })
        .collect();
    Snapshot {
        generated_at: now,
        branches,
        sources,
        github_rate_limits,
    }
}

/// Source health as reported in the snapshot. Kept apart from [`analyze`] so that a snapshot
/// can be refreshed with the sources' state even when analysing the data fails.
pub fn source_reports(observations: &Observations) -> Vec<SourceReport> {
    Source::ALL
        .iter()
        .filter_map(|source| {
            observations.sources.get(source).map(|health| SourceReport {
                source: *source,
                up: health.up,
                last_success: health.last_success,
                last_poll_duration_seconds: health.last_poll_duration,
                last_error: health.last_error.clone(),
                retry_at: health.retry_at,
            })
        })
        .collect()
}

fn analyze_branch(
    branch: &BranchDashboards,
    observations: &Observations,
    settings: &AnalysisSettings,
    previous: Option<&Snapshot>,
    now: i64,
) -> BranchReport {
    let head = observations
        .github
        .as_ref()
        .and_then(|github| github.heads.get(&branch.branch).cloned());
    let dashboard_report = |name: &String, kind: DashboardKind| {
        let observed = observations.dashboards.get(name);
        let tabs = observed
            .and_then(|o| o.summary.as_ref())
            .map(|summary| {
                summary
                    .tabs
                    .iter()
                    .map(|tab| {
                        let readiness = match (kind, &head) {
                            (DashboardKind::Blocking, Some(head)) => observations
                                .headers
                                .get(&(name.clone(), tab.name.clone()))
                                .map(|headers| branch::readiness_at_head(tab, headers, head)),
                            _ => None,
                        };
                        TabReport {
                            summary: tab.clone(),
                            url: tab_url(&settings.testgrid_url, name, &tab.name),
                            runs_at_head: readiness.map(|r| r.runs_at_head),
                            head_green: readiness.map(|r| r.newest_green),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        DashboardReport {
            name: name.clone(),
            kind,
            url: format!("{}/{}", settings.testgrid_url, name),
            tabs,
            error: observed.and_then(|o| o.error.clone()),
            missing: observed.is_some_and(|o| o.missing),
        }
    };
    let dashboards: Vec<DashboardReport> = branch
        .blocking
        .iter()
        .map(|name| dashboard_report(name, DashboardKind::Blocking))
        .chain(
            branch
                .informing
                .iter()
                .map(|name| dashboard_report(name, DashboardKind::Informing)),
        )
        .collect();

    let oldest_fetch = branch
        .blocking
        .iter()
        .map(|name| observations.dashboards.get(name).and_then(|o| o.fetched_at))
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
    let status_since = previous
        .and_then(|snapshot| snapshot.branch(&branch.branch))
        .filter(|report| report.status == status)
        .map(|report| report.status_since)
        .unwrap_or(now);

    let pulls = observations.github.as_ref().and_then(|github| {
        github.pull_requests.get(&branch.branch).map(|prs| {
            pulls::analyze_branch_pull_requests(
                &branch.branch,
                prs,
                head.as_deref(),
                github,
                &dashboards,
                &settings.branch_wide,
                now,
            )
        })
    });
    let (pull_requests, pull_request_counts, presubmits) = pulls
        .map(|p| (p.pull_requests, p.counts, p.presubmits))
        .unwrap_or_default();

    let release = release::release_report(&branch.branch, observations, settings, now);

    BranchReport {
        name: branch.branch.clone(),
        status,
        status_since,
        status_reason,
        head,
        dashboards,
        pull_requests,
        pull_request_counts,
        presubmits,
        release,
    }
}
