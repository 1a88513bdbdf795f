//! The poller: the only place with a clock and mutable state. One loop per source polls on
//! its interval with backoff (never before an upstream allows it), logs each failure once, and
//! survives anything: a panic or a hung poll is caught, counted, and marks the source down.
//! Each finished poll is applied, analysed once and published as one snapshot.

mod github;
mod headers;
mod schedule;
pub(crate) mod state;
mod testgrid;

use std::{
    panic::AssertUnwindSafe,
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, Instant},
};

use futures_util::FutureExt;
use tokio_util::sync::CancellationToken;

use self::state::{State, Update, Watch};
use crate::{
    analysis::{self, BranchWideRule, ReadinessRule, Settings},
    clock::Clock,
    config::{BranchSelection, Config},
    snapshot::{Snapshot, SnapshotCell},
    sources::{
        Counters, Source,
        github::GithubClient,
        http::{HttpClient, capped_wait_until, clean_line},
        schedule::ScheduleClient,
        testgrid::TestgridClient,
    },
};

/// First retry after a failed poll; doubles on each further failure, up to the poll interval.
const FIRST_RETRY: Duration = Duration::from_secs(15);
/// A poll still running after this many poll intervals is abandoned and counted as failed:
/// every request has a timeout, so only a bug gets here, and a hung poll must not look like
/// fresh data.
const POLL_DEADLINE_INTERVALS: u32 = 3;

/// Called with every snapshot the poller publishes (the app renders the exposition there).
pub type Publish = Box<dyn Fn(&Arc<Snapshot>) + Send + Sync>;

/// Why a poll failed: a message for logs and the status API, a bounded kind, and when to try
/// again at the earliest.
#[derive(Debug)]
pub(crate) struct PollFailure {
    pub message: String,
    pub kind: &'static str,
    pub not_before: Option<i64>,
}

impl PollFailure {
    pub fn new(message: impl Into<String>, kind: &'static str) -> Self {
        PollFailure {
            message: message.into(),
            kind,
            not_before: None,
        }
    }
}

/// Longest failure message kept (upstream text is in it; it goes to logs and the API).
const MAX_MESSAGE_CHARS: usize = 500;

/// What a source's poll brought: data to apply (possibly partial) and whether it failed.
pub(crate) struct Polled {
    pub update: Option<Update>,
    pub failure: Option<PollFailure>,
}

impl Polled {
    fn failed(failure: PollFailure) -> Self {
        Polled {
            update: None,
            failure: Some(failure),
        }
    }
}

/// The clients, the state and where snapshots go.
pub struct Poller {
    poll_interval: Duration,
    settings: Settings,
    watch: Watch,
    clock: Clock,
    testgrid: TestgridClient,
    github: GithubClient,
    schedule: ScheduleClient,
    counters: Counters,
    state: Mutex<State>,
    cell: Arc<SnapshotCell>,
    publish: Publish,
}

impl Poller {
    /// Builds the clients for `config`; snapshots go to `cell`, and to `publish`.
    pub fn new(
        config: &Config,
        clock: Clock,
        counters: Counters,
        cell: Arc<SnapshotCell>,
        publish: Publish,
    ) -> anyhow::Result<Poller> {
        let http = HttpClient::new(config.request_timeout)?;
        let testgrid = TestgridClient::new(
            http.clone(),
            &config.testgrid.url,
            &config.testgrid.api_url,
            config.testgrid.api,
            counters.requests.clone(),
        );
        let github = GithubClient::new(
            http.reqwest().clone(),
            &config.github,
            config.request_timeout,
            counters.requests.clone(),
            counters.graphql_points.clone(),
        )?;
        let schedule = ScheduleClient::new(
            http,
            &config.schedule.url,
            &config.schedule.eol_url,
            counters.requests.clone(),
        );
        let watch = Watch {
            explicit: match &config.branches {
                BranchSelection::Auto => None,
                BranchSelection::Explicit(list) => Some(list.clone()),
            },
            blocking: config.testgrid.blocking_dashboards.clone(),
            informing: config.testgrid.informing_dashboards.clone(),
        };
        let settings = Settings {
            testgrid_url: config.testgrid.url.clone(),
            stale_after: config.testgrid.stale_after,
            branch_wide: BranchWideRule {
                min_failing_prs: config.branch_wide.min_failing_prs,
                min_failing_fraction: config.branch_wide.min_failing_fraction,
                failure_window: config.branch_wide.failure_window,
            },
            release_window: config.release_window,
            readiness: ReadinessRule {
                min_runs_at_head: config.readiness.min_runs_at_head,
                // Each pattern compiled when the config was loaded; one that does not (it
                // cannot happen) is dropped rather than taking the poller down.
                tabs: config
                    .readiness
                    .tabs
                    .iter()
                    .filter_map(|(pattern, runs)| Some((regex::Regex::new(pattern).ok()?, *runs)))
                    .collect(),
            },
            embargo: config.privacy.embargo,
        };
        let poller = Poller {
            poll_interval: config.poll_interval,
            state: Mutex::new(State::new(&watch)),
            settings,
            watch,
            clock,
            testgrid,
            github,
            schedule,
            counters,
            cell,
            publish,
        };
        let now = poller.now();
        let mut state = poller.state();
        poller.analyse_and_publish(&mut state, now);
        drop(state);
        Ok(poller)
    }

    fn now(&self) -> i64 {
        (self.clock)()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A poisoned lock means a panic while it was held; every update is applied to a copy
        // first, so what it guards is still consistent.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The current snapshot.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.cell.load()
    }

    /// One poll of `source`, whatever happens inside it: a panic is caught and counted, a poll
    /// past its deadline abandoned; either way the source is marked down. Returns the failure.
    pub(crate) async fn poll(&self, source: Source) -> Result<(), PollFailure> {
        let started = Instant::now();
        let now = self.now();
        let fetching = async {
            match source {
                Source::Testgrid => self.fetch_testgrid(now).await,
                Source::Github => self.fetch_github(now).await,
                Source::Schedule => self.fetch_schedule(now).await,
            }
        };
        let deadline = self.poll_interval.saturating_mul(POLL_DEADLINE_INTERVALS);
        let polled = self.contained(source, deadline, fetching).await;
        self.finish(source, polled, started, self.now())
    }

    /// Runs a poll's fetching so that nothing escapes: a panic becomes a failure of kind
    /// `panic` (and is counted), a fetch past `deadline` one of kind `timeout`.
    async fn contained(
        &self,
        source: Source,
        deadline: Duration,
        fetching: impl std::future::Future<Output = Polled>,
    ) -> Polled {
        match tokio::time::timeout(deadline, AssertUnwindSafe(fetching).catch_unwind()).await {
            Ok(Ok(polled)) => polled,
            Ok(Err(panic)) => {
                self.count_panic(source);
                Polled::failed(PollFailure::new(
                    format!("poll panicked: {}", panic_message(&*panic)),
                    "panic",
                ))
            }
            Err(_) => Polled::failed(PollFailure::new(
                format!(
                    "poll did not finish within {}",
                    humantime::format_duration(deadline)
                ),
                "timeout",
            )),
        }
    }

    /// Applies a finished poll, analyses once and publishes.
    fn finish(
        &self,
        source: Source,
        polled: Polled,
        started: Instant,
        now: i64,
    ) -> Result<(), PollFailure> {
        let mut state = self.state();
        // Whatever an upstream put in an error (ESC, BEL, a megabyte of text) stops here.
        let mut failure = polled.failure.map(|failure| PollFailure {
            message: clean_line(&failure.message, MAX_MESSAGE_CHARS),
            ..failure
        });
        if let Some(update) = polled.update {
            let mut inputs = state.inputs.clone();
            let applied = std::panic::catch_unwind(AssertUnwindSafe(|| {
                update.apply(&mut inputs, &self.watch, now);
                analysis::analyze(&inputs, &state.history, &self.settings, now)
            }));
            match applied {
                Ok(_) => state.inputs = inputs,
                // The data that broke analysis is not kept, like any garbled answer.
                Err(panic) => {
                    self.count_panic(source);
                    failure = Some(PollFailure::new(
                        format!("analysis panicked: {}", panic_message(&*panic)),
                        "panic",
                    ));
                }
            }
        }
        if source == Source::Github {
            state.rate_limits = self.github.rate_limits();
        }
        let health = state.health.entry(source).or_default();
        health.last_poll_duration = Some(started.elapsed().as_secs_f64());
        match &failure {
            None => {
                health.up = true;
                health.last_success = Some(now);
                health.last_error = None;
                health.retry_at = None;
            }
            Some(failure) => {
                health.up = false;
                health.last_error = Some((failure.message.clone(), failure.kind));
                health.retry_at = failure
                    .not_before
                    .map(|at| capped_wait_until(now, at))
                    .filter(|at| *at > now);
            }
        }
        self.analyse_and_publish(&mut state, now);
        match failure {
            Some(failure) => Err(failure),
            None => Ok(()),
        }
    }

    /// Analyses the current inputs and publishes the snapshot. Should analysis panic even on
    /// data it accepted before, the previous snapshot is published again with the sources'
    /// health brought up to date: a broken analysis never freezes the health signal.
    fn analyse_and_publish(&self, state: &mut State, now: i64) {
        let analysed = std::panic::catch_unwind(AssertUnwindSafe(|| {
            analysis::analyze(&state.inputs, &state.history, &self.settings, now)
        }));
        let mut snapshot = match analysed {
            Ok((snapshot, history)) => {
                state.history = history;
                snapshot
            }
            Err(panic) => {
                tracing::error!(panic = %panic_message(&*panic), "Analysis panicked; publishing the previous snapshot.");
                let mut previous = (*self.cell.load()).clone();
                previous.generated_at = now;
                previous
            }
        };
        snapshot.sources = state.source_reports();
        snapshot.github_rate_limits = state.rate_limit_reports();
        let snapshot = Arc::new(snapshot);
        self.cell.store(Arc::clone(&snapshot));
        (self.publish)(&snapshot);
    }

    fn count_panic(&self, source: Source) {
        self.counters
            .poll_panics
            .with_label_values(&[source.as_str()])
            .inc();
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

    /// Runs one loop per source until `token` is cancelled. A loop that ends any other way (it
    /// cannot, short of a bug outside the poll's own containment) is logged and restarted.
    pub async fn run(self: Arc<Self>, token: CancellationToken) {
        // Branch discovery first, so the first TestGrid poll already knows the branches.
        let discovery = self.watch.explicit.is_none();
        if discovery {
            if let Err(failure) = self.poll(Source::Schedule).await {
                tracing::warn!(source = "schedule", error = %failure.message, "Poll failed; keeping the last good data.");
            }
        }
        let mut loops = tokio::task::JoinSet::new();
        let mut sources = std::collections::HashMap::new();
        let spawn = |loops: &mut tokio::task::JoinSet<()>, source: Source, skip_first: bool| {
            let poller = Arc::clone(&self);
            let token = token.clone();
            loops
                .spawn(async move { poller.poll_loop(source, token, skip_first).await })
                .id()
        };
        for source in Source::ALL {
            let id = spawn(&mut loops, source, discovery && source == Source::Schedule);
            sources.insert(id, source);
        }
        while let Some(ended) = loops.join_next_with_id().await {
            if token.is_cancelled() {
                continue;
            }
            let (id, why) = match ended {
                Ok((id, ())) => (id, "ended".to_string()),
                Err(error) => (error.id(), error.to_string()),
            };
            let Some(source) = sources.remove(&id) else {
                continue;
            };
            tracing::error!(
                source = source.as_str(),
                %why,
                "A poll loop ended unexpectedly; restarting it."
            );
            self.count_panic(source);
            let id = spawn(&mut loops, source, true);
            sources.insert(id, source);
        }
    }

    async fn poll_loop(&self, source: Source, token: CancellationToken, skip_first: bool) {
        let interval = self.poll_interval;
        let mut consecutive_failures: u32 = 0;
        let mut last_logged: Option<String> = None;
        // The schedule was just polled by discovery: its loop waits one interval first.
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
                    consecutive_failures = consecutive_failures.saturating_add(1);
                    let now = self.now();
                    let wait = retry_delay(consecutive_failures, interval, failure.not_before, now);
                    // Log a failure once; repeats of the same failure go to debug.
                    if last_logged.as_deref() != Some(failure.message.as_str()) {
                        tracing::warn!(
                            source = source.as_str(),
                            kind = failure.kind,
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

/// The wait after a failed poll: backoff (15 s, 30 s, ... up to the poll interval), but never
/// before the upstream allows (its `Retry-After` or reset, itself capped at an hour).
fn retry_delay(
    consecutive_failures: u32,
    interval: Duration,
    not_before: Option<i64>,
    now: i64,
) -> Duration {
    let backoff = backoff(consecutive_failures, interval);
    match not_before {
        Some(at) => {
            let at = capped_wait_until(now, at);
            backoff.max(Duration::from_secs(
                at.saturating_sub(now).max(0).unsigned_abs(),
            ))
        }
        None => backoff,
    }
}

/// 15s, 30s, 60s, ... capped at the poll interval (and never below 1s).
fn backoff(consecutive_failures: u32, interval: Duration) -> Duration {
    let exponent = consecutive_failures.saturating_sub(1).min(16);
    FIRST_RETRY
        .saturating_mul(1u32 << exponent)
        .min(interval.max(Duration::from_secs(1)))
}

/// The text of a caught panic, bounded and safe to log.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    let text = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string());
    crate::sources::http::excerpt(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{Moment, ReplayUpstream, Scenario};

    const NOW: i64 = 1_795_608_000;

    async fn poller() -> (ReplayUpstream, Poller, crate::metrics::Metrics) {
        let upstream = ReplayUpstream::start(Scenario::pinned(NOW, Moment::Calm))
            .await
            .unwrap();
        let config = crate::demo::config(&upstream.url());
        let metrics = crate::metrics::Metrics::new(config.poll_interval);
        let poller = Poller::new(
            &config,
            Arc::new(|| NOW),
            metrics.counters(),
            Arc::new(SnapshotCell::default()),
            Box::new(|_| {}),
        )
        .unwrap();
        (upstream, poller, metrics)
    }

    fn panics(metrics: &crate::metrics::Metrics, source: Source) -> u64 {
        metrics
            .counters()
            .poll_panics
            .with_label_values(&[source.as_str()])
            .get()
    }

    #[tokio::test]
    async fn a_poll_that_panics_is_counted_marks_its_source_down_and_the_next_poll_runs() {
        let (_upstream, poller, metrics) = poller().await;
        assert!(poller.poll(Source::Schedule).await.is_ok());
        let polled = poller
            .contained(Source::Testgrid, Duration::from_secs(5), async {
                panic!("index out of bounds: the len is 3 but the index is 7")
            })
            .await;
        let result = poller.finish(Source::Testgrid, polled, Instant::now(), NOW);
        let failure = result.unwrap_err();
        assert_eq!(failure.kind, "panic");
        assert!(
            failure.message.contains("index out of bounds"),
            "{}",
            failure.message
        );
        assert_eq!(panics(&metrics, Source::Testgrid), 1);
        let report = poller.snapshot().source(Source::Testgrid).cloned().unwrap();
        assert!(!report.up);
        assert_eq!(report.error_kind.as_deref(), Some("panic"));
        // The loop goes on: the next poll of the same source works and brings it back up.
        assert!(poller.poll(Source::Testgrid).await.is_ok());
        assert!(poller.snapshot().source(Source::Testgrid).unwrap().up);
        assert!(poller.snapshot().source(Source::Schedule).unwrap().up);
    }

    #[tokio::test]
    async fn a_poll_that_hangs_past_its_deadline_is_a_timeout_not_fresh_data() {
        let (_upstream, poller, _metrics) = poller().await;
        assert!(poller.poll(Source::Schedule).await.is_ok());
        let success = poller
            .snapshot()
            .source(Source::Schedule)
            .unwrap()
            .last_success;
        let polled = poller
            .contained(
                Source::Schedule,
                Duration::from_millis(50),
                std::future::pending::<Polled>(),
            )
            .await;
        let failure = poller
            .finish(Source::Schedule, polled, Instant::now(), NOW + 60)
            .unwrap_err();
        assert_eq!(failure.kind, "timeout");
        let report = poller.snapshot().source(Source::Schedule).cloned().unwrap();
        assert!(!report.up);
        assert_eq!(report.last_success, success, "no new success was recorded");
    }

    #[tokio::test]
    async fn data_that_makes_analysis_panic_is_rolled_back_and_the_source_marked_down() {
        let (_upstream, poller, metrics) = poller().await;
        assert!(poller.once().await.is_empty());
        let before = poller.snapshot();
        let polled = Polled {
            update: Some(Update::Panic),
            failure: None,
        };
        let failure = poller
            .finish(Source::Github, polled, Instant::now(), NOW)
            .unwrap_err();
        assert!(
            failure.message.starts_with("analysis panicked"),
            "{}",
            failure.message
        );
        assert_eq!(panics(&metrics, Source::Github), 1);
        let after = poller.snapshot();
        assert!(!after.source(Source::Github).unwrap().up);
        assert_eq!(
            after.branches.len(),
            before.branches.len(),
            "last good data kept"
        );
        assert_eq!(
            after.branch("release-1.35").unwrap().pull_requests.len(),
            before.branch("release-1.35").unwrap().pull_requests.len()
        );
    }

    #[test]
    fn backoff_doubles_up_to_the_poll_interval() {
        let interval = Duration::from_secs(300);
        let waits: Vec<u64> = (1..=7).map(|n| backoff(n, interval).as_secs()).collect();
        assert_eq!(waits, vec![15, 30, 60, 120, 240, 300, 300]);
        assert_eq!(backoff(1, Duration::from_secs(5)).as_secs(), 5);
        assert_eq!(backoff(u32::MAX, interval).as_secs(), 300);
    }

    #[test]
    fn an_upstream_wait_is_honoured_but_never_beyond_an_hour() {
        let interval = Duration::from_secs(300);
        let now = 1_795_608_000;
        assert_eq!(
            retry_delay(1, interval, Some(now + 900), now).as_secs(),
            900
        );
        assert_eq!(retry_delay(1, interval, Some(now + 5), now).as_secs(), 15);
        assert_eq!(
            retry_delay(1, interval, Some(i64::MAX), now).as_secs(),
            3600
        );
        assert_eq!(retry_delay(1, interval, Some(i64::MIN), now).as_secs(), 15);
    }
}
