//! The daemon: one poll loop per source with backoff, the shared observations and the current
//! snapshot, `once` (one full poll), and graceful shutdown on SIGTERM/SIGINT.

use std::{
    collections::BTreeMap,
    panic::AssertUnwindSafe,
    sync::{Arc, Mutex, RwLock},
    time::{Duration, Instant},
};

use futures_util::{FutureExt, StreamExt, stream};
use tokio_util::sync::CancellationToken;

use crate::{
    analysis::{
        self, AnalysisSettings, BranchDashboards, DashboardObservation, Observations, SourceHealth,
        release::discover_branches,
    },
    config::{BranchSelection, Config},
    metrics::Metrics,
    release::{
        eol::{check_eol_successor, check_schedule_successor},
        version::BranchKind,
    },
    snapshot::Snapshot,
    sources::{
        HttpClient, Source,
        github::GithubClient,
        retry_after_at,
        schedule::{ScheduleClient, ScheduleFetchError},
        testgrid::{TestgridClient, TestgridError},
    },
};

/// First retry after a failed poll; doubles on each further failure, up to the poll interval.
const FIRST_RETRY: Duration = Duration::from_secs(15);
/// Concurrent column-header requests per TestGrid poll (dashboards are read one at a time).
const HEADER_CONCURRENCY: usize = 4;
/// A poll still running after this many poll intervals is abandoned and counted as failed:
/// every request has a timeout, so only a bug can get here, and a hung poll must not look
/// like fresh data.
const POLL_DEADLINE_INTERVALS: u32 = 3;

/// Current unix time. The only clock read outside `main`: analysis gets `now` as a parameter.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// State shared by the pollers and the HTTP server.
pub struct Shared {
    observations: Mutex<Observations>,
    snapshot: RwLock<Arc<Snapshot>>,
    settings: AnalysisSettings,
    /// Counters and the exposition.
    pub metrics: Metrics,
}

impl Shared {
    /// The current snapshot (cheap: an `Arc` clone).
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Applies `change` and publishes a new snapshot. If analysing the changed data panics,
    /// the change is rolled back (the data that broke analysis is not kept, like any garbled
    /// answer) and the panic message returned, so the poll that brought it fails.
    fn update(&self, now: i64, change: impl FnOnce(&mut Observations)) -> Result<(), String> {
        let mut observations = self
            .observations
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let before = observations.clone();
        change(&mut observations);
        let previous = self.snapshot();
        let analysed = std::panic::catch_unwind(AssertUnwindSafe(|| {
            analysis::analyze(&observations, &self.settings, Some(&previous), now)
        }));
        let (next, result) = match analysed {
            Ok(next) => (next, Ok(())),
            Err(panic) => {
                *observations = before;
                // Whatever else is wrong, the sources' health is published.
                let mut next = (*previous).clone();
                next.generated_at = now;
                next.sources = analysis::source_reports(&observations);
                (
                    next,
                    Err(format!("analysis panicked: {}", panic_message(&panic))),
                )
            }
        };
        *self
            .snapshot
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(next);
        result
    }

    fn read<T>(&self, f: impl FnOnce(&Observations) -> T) -> T {
        let observations = self
            .observations
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&observations)
    }

    /// The Prometheus text exposition of the current snapshot.
    pub fn render_metrics(&self) -> Result<String, prometheus::Error> {
        self.metrics.render(&self.snapshot())
    }
}

/// The text of a caught panic.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    let text = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string());
    crate::sources::excerpt(text.as_bytes())
}

/// Where the daemon reads the time: the system clock, or a fixed one in tests.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The daemon: configuration, clients and shared state.
pub struct Daemon {
    config: Config,
    clock: Clock,
    /// Shared with the HTTP server.
    pub shared: Arc<Shared>,
    testgrid: TestgridClient,
    github: GithubClient,
    schedule: ScheduleClient,
}

/// Why a poll failed: a message for logs and the status API, and when to try again at the earliest.
struct PollFailure {
    message: String,
    not_before: Option<i64>,
}

impl Daemon {
    /// Builds clients for `config`. `recording` keeps an exact log of upstream requests.
    pub fn new(config: Config, recording: bool) -> anyhow::Result<Daemon> {
        Daemon::with_clock(config, recording, Arc::new(unix_now))
    }

    /// Like [`Daemon::new`], reading the time from `clock` (tests pin it).
    pub fn with_clock(config: Config, recording: bool, clock: Clock) -> anyhow::Result<Daemon> {
        let metrics = Metrics::new(recording);
        metrics
            .poll_interval
            .set(config.poll_interval.as_secs_f64());
        let http = HttpClient::new(config.request_timeout)?;
        let testgrid = TestgridClient::new(
            http.clone(),
            &config.testgrid.url,
            &config.testgrid.api_url,
            config.testgrid.api,
            metrics.requests.clone(),
        );
        let github = GithubClient::new(
            http.reqwest().clone(),
            &config.github,
            config.request_timeout,
            metrics.requests.clone(),
            metrics.graphql_points.clone(),
        )?;
        let schedule = ScheduleClient::new(
            http,
            &config.schedule.url,
            &config.schedule.eol_url,
            metrics.requests.clone(),
        );
        let settings = AnalysisSettings {
            testgrid_url: config.testgrid.url.clone(),
            stale_after: config.testgrid.stale_after,
            branch_wide: config.branch_wide,
            release_window: config.release_window,
        };
        let shared = Arc::new(Shared {
            observations: Mutex::new(Observations::default()),
            snapshot: RwLock::new(Arc::new(Snapshot::default())),
            settings,
            metrics,
        });
        let daemon = Daemon {
            config,
            clock,
            shared,
            testgrid,
            github,
            schedule,
        };
        // Until the schedule or GitHub says more, `auto` watches master.
        let initial = match &daemon.config.branches {
            BranchSelection::Explicit(list) => list.clone(),
            BranchSelection::Auto => discover_branches(None, None, &[]),
        };
        let branches = daemon.branch_dashboards(&initial);
        daemon
            .shared
            .update(daemon.now(), |o| {
                o.branches = branches;
                // Every source is down until its first poll succeeds: a first poll that never
                // finishes must not leave the source without a series.
                for source in Source::ALL {
                    o.sources.insert(
                        source,
                        SourceHealth {
                            last_error: Some("not polled yet".to_string()),
                            ..SourceHealth::default()
                        },
                    );
                }
            })
            .map_err(anyhow::Error::msg)?;
        Ok(daemon)
    }

    fn now(&self) -> i64 {
        (self.clock)()
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    fn branch_dashboards(&self, branches: &[String]) -> Vec<BranchDashboards> {
        branches
            .iter()
            .map(|branch| {
                let (blocking, informing) = match BranchKind::parse(branch) {
                    Some(BranchKind::Master) => self.config.dashboards_for("master"),
                    Some(BranchKind::Release(minor)) => {
                        self.config.dashboards_for(&minor.to_string())
                    }
                    // Hotfix branches have no TestGrid dashboards of their own.
                    Some(BranchKind::Hotfix { .. }) | None => (Vec::new(), Vec::new()),
                };
                BranchDashboards {
                    branch: branch.clone(),
                    blocking,
                    informing,
                }
            })
            .collect()
    }

    /// Re-resolves `branches: auto` from the schedule and GitHub's branch list.
    fn resolve_branches(&self, release_branches: &[String]) -> Vec<String> {
        match &self.config.branches {
            BranchSelection::Explicit(list) => list.clone(),
            BranchSelection::Auto => self
                .shared
                .read(|o| discover_branches(o.schedule.as_ref(), o.eol.as_ref(), release_branches)),
        }
    }

    fn set_branches(&self, branches: &[String], now: i64) -> Result<(), String> {
        let resolved = self.branch_dashboards(branches);
        self.shared.update(now, |o| {
            if o.branches != resolved {
                let names: Vec<&str> = resolved.iter().map(|b| b.branch.as_str()).collect();
                tracing::info!(branches = ?names, "Watching branches.");
                o.branches = resolved;
            }
        })
    }

    fn record(&self, source: Source, started: Instant, result: &Result<(), PollFailure>) {
        let now = self.now();
        let duration = started.elapsed().as_secs_f64();
        let rate_limits = (source == Source::Github).then(|| self.github.rate_limits());
        let recorded = self.shared.update(now, |o| {
            if let Some(limits) = rate_limits {
                o.rate_limits = limits;
            }
            let health = o
                .sources
                .entry(source)
                .or_insert_with(SourceHealth::default);
            health.last_poll_duration = Some(duration);
            match result {
                Ok(()) => {
                    health.up = true;
                    health.last_success = Some(now);
                    health.last_error = None;
                    health.retry_at = None;
                }
                Err(failure) => {
                    health.up = false;
                    health.last_error = Some(failure.message.clone());
                    health.retry_at = failure
                        .not_before
                        .map(|at| crate::sources::capped_wait_until(now, at))
                        .filter(|at| *at > now);
                }
            }
        });
        if let Err(message) = recorded {
            tracing::error!(source = source.as_str(), %message, "Analysis failed while recording a poll.");
        }
    }

    // === the three polls ===

    async fn poll_schedule(&self) -> Result<(), PollFailure> {
        let failure = |error: ScheduleFetchError| PollFailure {
            message: format!("{error} [{}]", error.kind()),
            not_before: error
                .retry_after()
                .and_then(|value| retry_after_at(value, self.now())),
        };
        let schedule = self.schedule.fetch().await.map_err(failure)?;
        let eol = self.schedule.fetch_eol().await;
        let now = self.now();
        let today = chrono::DateTime::from_timestamp(now, 0)
            .map(|t| t.date_naive())
            .unwrap_or_default();
        // A well-formed file that lost minors or lists is a file cut short: keep the last good.
        let implausible = |message: String| PollFailure {
            message: format!("{message} [decode_error]"),
            not_before: None,
        };
        let (previous_schedule, previous_eol) =
            self.shared.read(|o| (o.schedule.clone(), o.eol.clone()));
        let eol = match (eol, &previous_eol) {
            (Ok(eol), Some(previous)) => match check_eol_successor(previous, &eol) {
                Ok(()) => Ok(eol),
                Err(message) => Err(implausible(message)),
            },
            (Ok(eol), None) => Ok(eol),
            (Err(error), _) => Err(failure(error)),
        };
        let known_eol = eol.as_ref().ok().or(previous_eol.as_ref());
        if let Some(previous) = &previous_schedule {
            check_schedule_successor(previous, &schedule, known_eol, today).map_err(implausible)?;
        }
        let fresh_eol = eol.as_ref().ok().cloned();
        self.shared
            .update(now, |o| {
                o.schedule = Some(schedule);
                if let Some(eol) = fresh_eol {
                    o.eol = Some(eol);
                }
            })
            .map_err(|message| PollFailure {
                message,
                not_before: None,
            })?;
        if self.config.branches == BranchSelection::Auto {
            let github_branches = self.shared.read(|o| {
                o.github
                    .as_ref()
                    .map(|g| g.release_branches.clone())
                    .unwrap_or_default()
            });
            let branches = self.resolve_branches(&github_branches);
            self.set_branches(&branches, now)
                .map_err(|message| PollFailure {
                    message,
                    not_before: None,
                })?;
        }
        // The schedule is fresh even when eol.yaml failed; the source is down all the same.
        eol.map(|_| ())
    }

    async fn poll_github(&self) -> Result<(), PollFailure> {
        let now = self.now();
        let resolve = |release_branches: &[String]| self.resolve_branches(release_branches);
        match self.github.poll(&resolve, now).await {
            Ok(data) => {
                let watched = data.watched.clone();
                self.shared
                    .metrics
                    .graphql_errors
                    .inc_by(data.partial_errors.len() as u64);
                if !data.partial_errors.is_empty() {
                    tracing::warn!(
                        errors = data.partial_errors.len(),
                        first = %data.partial_errors[0],
                        "GitHub returned partial data with errors; using what is valid."
                    );
                }
                tracing::debug!(
                    queries = data.cost.graphql_queries,
                    points = data.cost.graphql_points,
                    rest = data.cost.rest_requests,
                    not_modified = data.cost.rest_not_modified,
                    "GitHub cycle cost."
                );
                let analysis_failed = |message| PollFailure {
                    message,
                    not_before: None,
                };
                self.set_branches(&watched, now).map_err(analysis_failed)?;
                self.shared
                    .update(self.now(), |o| {
                        o.releases = data.releases.clone();
                        o.github = Some(data);
                    })
                    .map_err(analysis_failed)?;
                // The first HEADs make readiness computable: read the headers now rather than at
                // the next TestGrid poll (a no-op when they are already current).
                self.poll_headers().await;
                Ok(())
            }
            Err(error) => Err(PollFailure {
                not_before: error.retry_not_before(now),
                message: format!("{error} [{}]", error.kind()),
            }),
        }
    }

    async fn poll_testgrid(&self) -> Result<(), PollFailure> {
        let branches = self.shared.read(|o| o.branches.clone());
        let mut failures: Vec<TestgridError> = Vec::new();
        // Per dashboard: its summary, `None` when TestGrid says it does not exist, or an error.
        let mut results: BTreeMap<String, Result<Option<_>, String>> = BTreeMap::new();
        // Sequentially, as TestGrid etiquette asks: about ten small requests per poll.
        for branch in &branches {
            for dashboard in branch.blocking.iter().chain(&branch.informing) {
                if results.contains_key(dashboard) {
                    continue;
                }
                match self.testgrid.dashboard(dashboard).await {
                    Ok(summary) => {
                        results.insert(dashboard.clone(), Ok(Some(summary)));
                    }
                    // TestGrid answered: the dashboard is missing, TestGrid is not down.
                    Err(TestgridError::DashboardNotFound { .. }) => {
                        results.insert(dashboard.clone(), Ok(None));
                    }
                    Err(error) => {
                        results.insert(dashboard.clone(), Err(error.to_string()));
                        failures.push(error);
                    }
                }
            }
        }
        let now = self.now();
        let updated = self.shared.update(now, |o| {
            let wanted: Vec<&String> = branches
                .iter()
                .flat_map(|b| b.blocking.iter().chain(&b.informing))
                .collect();
            o.dashboards.retain(|name, _| wanted.contains(&name));
            for (name, result) in &results {
                let entry = o
                    .dashboards
                    .entry(name.clone())
                    .or_insert_with(DashboardObservation::default);
                match result {
                    Ok(summary) => {
                        entry.missing = summary.is_none();
                        entry.summary = summary.clone();
                        entry.fetched_at = Some(now);
                        entry.error = None;
                    }
                    Err(message) => entry.error = Some(message.clone()),
                }
            }
        });
        if let Err(message) = updated {
            return Err(PollFailure {
                message,
                not_before: None,
            });
        }
        self.poll_headers().await;
        let Some(first) = failures.first() else {
            return Ok(());
        };
        let not_before = failures
            .iter()
            .filter_map(|error| error.retry_after())
            .filter_map(|value| retry_after_at(value, now))
            .max();
        Err(PollFailure {
            message: if failures.len() == 1 {
                format!("{first} [{}]", first.kind())
            } else {
                format!(
                    "{first} [{}] (and {} more dashboards failed)",
                    first.kind(),
                    failures.len() - 1
                )
            },
            not_before,
        })
    }

    /// Column headers of blocking tabs, for readiness at HEAD. Best effort: the headers API is a
    /// separate host, and a failure here only leaves readiness unknown for the tab.
    ///
    /// Runs after every TestGrid poll and every GitHub poll, and only fetches tabs whose newest
    /// run changed since their headers were last read: about a hundred requests the first time,
    /// a handful after that.
    async fn poll_headers(&self) {
        // Blocking tabs (last good summaries) of branches whose HEAD is known.
        let wanted: Vec<(String, String, Option<i64>)> = self.shared.read(|o| {
            let heads = o.github.as_ref().map(|g| &g.heads);
            o.branches
                .iter()
                .filter(|b| heads.is_some_and(|h| h.contains_key(&b.branch)))
                .flat_map(|b| b.blocking.iter())
                .filter_map(|d| o.dashboards.get(d).and_then(|obs| obs.summary.as_ref()))
                .flat_map(|summary| {
                    summary
                        .tabs
                        .iter()
                        .map(|tab| (summary.name.clone(), tab.name.clone(), tab.last_run))
                })
                .filter(|(dashboard, tab, last_run)| {
                    o.headers_run.get(&(dashboard.clone(), tab.clone())) != Some(last_run)
                })
                .collect()
        });
        if wanted.is_empty() {
            return;
        }
        let fetched: Vec<_> = stream::iter(wanted)
            .map(|(dashboard, tab, last_run)| async move {
                let result = self.testgrid.headers(&dashboard, &tab).await;
                ((dashboard, tab), last_run, result)
            })
            .buffer_unordered(HEADER_CONCURRENCY)
            .collect()
            .await;
        let mut first_error = None;
        let mut fresh = BTreeMap::new();
        for (key, last_run, result) in fetched {
            match result {
                Ok(headers) => {
                    fresh.insert(key, (last_run, headers));
                }
                Err(error) => {
                    first_error.get_or_insert(error);
                }
            }
        }
        if let Some(error) = first_error {
            tracing::debug!(%error, "Some TestGrid column headers could not be read; readiness at HEAD is unknown for those tabs.");
        }
        let updated = self.shared.update(self.now(), |o| {
            let dashboards = &o.dashboards;
            o.headers
                .retain(|(dashboard, _), _| dashboards.contains_key(dashboard));
            o.headers_run
                .retain(|(dashboard, _), _| dashboards.contains_key(dashboard));
            for (key, (last_run, headers)) in fresh {
                o.headers_run.insert(key.clone(), last_run);
                o.headers.insert(key, headers);
            }
        });
        if let Err(message) = updated {
            // The headers that broke analysis were rolled back; the poll itself fails next
            // time round if they still do.
            tracing::warn!(%message, "Column headers were not kept.");
        }
    }

    /// One poll of `source`, whatever happens inside it: a panic is caught and counted, and a
    /// poll that outlives its deadline is abandoned; either way the source is marked down and
    /// the loop goes on.
    async fn poll(&self, source: Source) -> Result<(), PollFailure> {
        let started = Instant::now();
        let polling = async {
            match source {
                Source::Testgrid => self.poll_testgrid().await,
                Source::Github => self.poll_github().await,
                Source::Schedule => self.poll_schedule().await,
            }
        };
        let deadline = self
            .config
            .poll_interval
            .saturating_mul(POLL_DEADLINE_INTERVALS);
        let result =
            match tokio::time::timeout(deadline, AssertUnwindSafe(polling).catch_unwind()).await {
                Ok(Ok(result)) => result,
                Ok(Err(panic)) => {
                    self.shared
                        .metrics
                        .poll_panics
                        .with_label_values(&[source.as_str()])
                        .inc();
                    Err(PollFailure {
                        message: format!("poll panicked: {} [panic]", panic_message(&panic)),
                        not_before: None,
                    })
                }
                Err(_) => Err(PollFailure {
                    message: format!(
                        "poll did not finish within {} [timeout]",
                        humantime::format_duration(deadline)
                    ),
                    not_before: None,
                }),
            };
        if let Err(failure) = &result {
            if failure.message.starts_with("analysis panicked") {
                self.shared
                    .metrics
                    .poll_panics
                    .with_label_values(&[source.as_str()])
                    .inc();
            }
        }
        self.record(source, started, &result);
        result
    }

    /// One full poll of every source, in dependency order (the schedule and GitHub decide the
    /// branches; TestGrid readiness needs GitHub's HEADs). Returns the failures by source.
    pub async fn once(&self) -> Vec<(Source, String)> {
        let mut failures = Vec::new();
        for source in [Source::Schedule, Source::Github, Source::Testgrid] {
            if let Err(failure) = self.poll(source).await {
                failures.push((source, failure.message));
            }
        }
        failures
    }

    /// Runs the poll loops until `token` is cancelled.
    pub async fn run(self: Arc<Self>, token: CancellationToken) {
        // Branch discovery first, so the first TestGrid poll already knows the branches.
        if self.config.branches == BranchSelection::Auto {
            if let Err(failure) = self.poll(Source::Schedule).await {
                tracing::warn!(source = "schedule", error = %failure.message, "Poll failed; keeping the last good data.");
            }
        }
        let loops = Source::ALL.map(|source| {
            let daemon = Arc::clone(&self);
            let token = token.clone();
            let skip_first =
                source == Source::Schedule && self.config.branches == BranchSelection::Auto;
            tokio::spawn(async move { daemon.poll_loop(source, token, skip_first).await })
        });
        for handle in loops {
            if let Err(error) = handle.await {
                tracing::error!(%error, "A poll loop ended abnormally.");
            }
        }
    }

    async fn poll_loop(&self, source: Source, token: CancellationToken, skip_first: bool) {
        let interval = self.config.poll_interval;
        let mut consecutive_failures: u32 = 0;
        let mut last_logged: Option<String> = None;
        let mut delay = if skip_first { interval } else { Duration::ZERO };
        loop {
            tokio::select! {
                _ = token.cancelled() => return,
                _ = tokio::time::sleep(delay) => {}
            }
            let result = tokio::select! {
                _ = token.cancelled() => return,
                result = self.poll(source) => result,
            };
            delay = match result {
                Ok(()) => {
                    if consecutive_failures > 0 {
                        tracing::info!(
                            source = source.as_str(),
                            after_failures = consecutive_failures,
                            "Source recovered."
                        );
                    }
                    consecutive_failures = 0;
                    last_logged = None;
                    interval
                }
                Err(failure) => {
                    consecutive_failures += 1;
                    let backoff = backoff(consecutive_failures, interval);
                    let wait = match failure.not_before {
                        Some(at) => {
                            let now = self.now();
                            let at = crate::sources::capped_wait_until(now, at);
                            backoff.max(Duration::from_secs(
                                at.saturating_sub(now).max(0).unsigned_abs(),
                            ))
                        }
                        None => backoff,
                    };
                    // Log a failure once; repeats of the same failure go to debug.
                    if last_logged.as_deref() != Some(failure.message.as_str()) {
                        tracing::warn!(
                            source = source.as_str(),
                            error = %failure.message,
                            retry_in = %humantime::format_duration(wait),
                            "Poll failed; keeping the last good data."
                        );
                        last_logged = Some(failure.message);
                    } else {
                        tracing::debug!(source = source.as_str(), error = %failure.message, "Poll failed again.");
                    }
                    wait
                }
            };
        }
    }
}

/// 15s, 30s, 60s, ... capped at the poll interval (and never below 1s).
pub fn backoff(consecutive_failures: u32, interval: Duration) -> Duration {
    let exponent = consecutive_failures.saturating_sub(1).min(16);
    FIRST_RETRY
        .saturating_mul(1u32 << exponent)
        .min(interval.max(Duration::from_secs(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_poll_interval() {
        let interval = Duration::from_secs(300);
        let waits: Vec<u64> = (1..=7).map(|n| backoff(n, interval).as_secs()).collect();
        assert_eq!(waits, vec![15, 30, 60, 120, 240, 300, 300]);
        assert_eq!(backoff(1, Duration::from_secs(5)).as_secs(), 5);
    }
}
