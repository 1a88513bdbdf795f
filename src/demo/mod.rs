//! The offline replay upstream: one loopback HTTP server that speaks TestGrid (legacy and v1),
//! GitHub (GraphQL and REST) and serves `schedule.yaml`, replaying a Kubernetes snapshot that
//! changes over a ten-minute loop. `branchwatch demo` runs the real daemon against it, and the
//! integration tests use it (with injectable faults) as their upstream.

pub mod data;

use std::{
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering},
    },
    time::Duration,
};

use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use regex::Regex;
use serde_json::{Value, json};

use crate::{
    clock::unix_now,
    config::{BranchSelection, Config, TestgridApi},
    sources::Source,
};

/// The clock of the replay: when the loop started, and optionally a pinned "now".
#[derive(Clone, Copy, Debug)]
pub struct Scenario {
    start: i64,
    pinned_now: Option<i64>,
}

impl Scenario {
    /// Real time, starting now.
    pub fn live() -> Scenario {
        Scenario {
            start: unix_now(),
            pinned_now: None,
        }
    }

    /// The same clock, `offset` further into the loop.
    pub fn skip(self, offset: Duration) -> Scenario {
        Scenario {
            start: self.start - offset.as_secs() as i64,
            ..self
        }
    }

    /// A frozen moment: `now`, at `moment` of the loop (for tests and benchmarks).
    pub fn pinned(now: i64, moment: Moment) -> Scenario {
        let phase = moment.phase();
        Scenario {
            start: now - phase,
            pinned_now: Some(now),
        }
    }

    /// The replay's current time.
    pub fn now(&self) -> i64 {
        self.pinned_now.unwrap_or_else(unix_now)
    }

    /// Seconds into the current loop.
    pub fn phase(&self) -> i64 {
        (self.now() - self.start).rem_euclid(data::LOOP_SECONDS)
    }

    /// Midnight UTC of the start day: release dates and the schedule hang off it, so they stay
    /// stable (and ETags valid) for the whole run.
    fn anchor(&self) -> i64 {
        self.start - self.start.rem_euclid(86400)
    }
}

/// The moments of the loop that tests and benchmarks pin, by what they show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Moment {
    /// Every release branch green (master flaky, as it usually is), every presubmit passing.
    Calm,
    /// release-1.34's `verify-1.34` tab failing and `pull-kubernetes-verify` failing on most of
    /// its cherry-picks.
    BranchRed,
    /// A scale tab of release-1.36 stale; release-1.34 green again.
    TabStale,
    /// release-1.37's slow scale job has run once at HEAD of the two it needs.
    SlowTabHalfway,
    /// v1.36.8 is out: release-1.36's freeze is over and the pick un-approved during it is to be
    /// re-approved; release-1.37 is ready to be cut.
    FreezeEnded,
}

impl Moment {
    /// Seconds into the loop, inside the window the moment is about.
    fn phase(self) -> i64 {
        match self {
            Moment::Calm => data::PRESUBMIT_WINDOW.0 / 2,
            Moment::BranchRed => data::RED_WINDOW.0 + 60,
            Moment::TabStale => data::RED_WINDOW.1 + 40,
            Moment::SlowTabHalfway => data::SLOW_TAB_RUNS[1].0 + 50,
            Moment::FreezeEnded => data::RELEASE_AT + 30,
        }
    }
}

/// A failure the replay upstream can be told to produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// An HTML 500 page ("Please try again in 30 seconds").
    Html500,
    /// A 200 whose JSON body is cut in half.
    Truncated,
    /// TestGrid's `Dashboard X not found` text.
    DashboardNotFound,
    /// GitHub 401 Bad credentials.
    Unauthorized,
    /// GitHub 403 without rate-limit headers (no access to the repository).
    Forbidden,
    /// GitHub primary rate limit: 403 with `x-ratelimit-remaining: 0` and a reset time.
    RateLimited {
        /// Reset, unix seconds.
        reset_at: i64,
    },
    /// GitHub secondary rate limit with `Retry-After`.
    SecondaryLimit {
        /// Seconds to wait.
        retry_after: u64,
    },
    /// An HTML 502 from a proxy.
    BadGateway,
    /// A GraphQL `errors` response with no data.
    GraphqlErrors,
    /// GraphQL `errors` alongside partial data (a parent PR that does not exist).
    GraphqlPartial,
    /// GitHub's GraphQL rate limit as a 200: `data: null`, `errors: [{type: RATE_LIMITED}]`,
    /// `x-ratelimit-remaining: 0`.
    GraphqlRateLimited {
        /// Reset, unix seconds.
        reset_at: i64,
    },
    /// A 503 with `Retry-After` (any source).
    Unavailable {
        /// Seconds to wait.
        retry_after: u64,
    },
    /// The answer comes only after this many seconds (any source): longer than the request
    /// timeout, it is a timeout.
    Stall {
        /// Seconds before answering.
        seconds: u64,
    },
    /// Well-formed but wrong (any source): TestGrid `{"foo":"bar"}`, GitHub releases dated in
    /// the year 9999, `schedule.yaml` cut after its first minor, `eol.yaml` without branches.
    WrongShape,
    /// A 429 with `Retry-After` (any source).
    TooManyRequests {
        /// Seconds to wait.
        retry_after: u64,
    },
    /// A 200 whose body is binary garbage (any source).
    Garbage,
    /// A 200 whose body never ends (any source): the size cap must stop it.
    EndlessBody,
    /// A 200 whose body trickles a byte at a time (any source): a slow-loris answer.
    SlowBody,
    /// A 503 with headers no upstream should send (any source): `Retry-After` of 10^20 seconds,
    /// `x-ratelimit-reset` in the year 9999, `x-ratelimit-remaining: -5`.
    AbsurdHeaders,
    /// TestGrid dashboards with this many tabs.
    ManyTabs {
        /// Tabs per dashboard.
        tabs: usize,
    },
    /// A GitHub PR search page of 1,000 nodes where 50 were asked for.
    OversizedPage,
    /// Tab and status-context names of a mebibyte, hostile characters included.
    LongNames,
}

#[derive(Default)]
struct Faults {
    testgrid: Option<Fault>,
    github: Option<Fault>,
    schedule: Option<Fault>,
}

struct ReplayState {
    scenario: Mutex<Scenario>,
    faults: Mutex<Faults>,
    requests: Mutex<Vec<String>>,
    graphql_points: AtomicU64,
    graphql_remaining: AtomicI64,
    pulls_per_branch: Mutex<Option<u64>>,
    merged_per_branch: Mutex<Option<u64>>,
    hostile_text: AtomicBool,
    /// Scale knobs: tabs per dashboard, and PR bodies padded to this many bytes.
    tabs_per_dashboard: Mutex<Option<usize>>,
    pull_request_body_bytes: Mutex<Option<usize>>,
}

impl ReplayState {
    fn scenario(&self) -> Scenario {
        *self.scenario.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn fault(&self, source: Source) -> Option<Fault> {
        let faults = self.faults.lock().unwrap_or_else(|p| p.into_inner());
        match source {
            Source::Testgrid => faults.testgrid,
            Source::Github => faults.github,
            Source::Schedule => faults.schedule,
        }
    }

    fn log(&self, line: String) {
        self.requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(line);
    }

    /// Waits out a `Stall` fault of `source`.
    async fn stall(&self, source: Source) {
        if let Some(Fault::Stall { seconds }) = self.fault(source) {
            tokio::time::sleep(Duration::from_secs(seconds)).await;
        }
    }
}

/// A running replay upstream on loopback.
pub struct ReplayUpstream {
    address: SocketAddr,
    state: Arc<ReplayState>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ReplayUpstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ReplayUpstream {
    /// Starts the server on `127.0.0.1` with an ephemeral port.
    pub async fn start(scenario: Scenario) -> std::io::Result<ReplayUpstream> {
        let state = Arc::new(ReplayState {
            scenario: Mutex::new(scenario),
            faults: Mutex::default(),
            requests: Mutex::default(),
            graphql_points: AtomicU64::new(0),
            graphql_remaining: AtomicI64::new(5000),
            pulls_per_branch: Mutex::new(None),
            merged_per_branch: Mutex::new(None),
            hostile_text: AtomicBool::new(false),
            tabs_per_dashboard: Mutex::new(None),
            pull_request_body_bytes: Mutex::new(None),
        });
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let address = listener.local_addr()?;
        let app = router(Arc::clone(&state));
        let task = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                tracing::error!(%error, "Replay upstream stopped.");
            }
        });
        Ok(ReplayUpstream {
            address,
            state,
            task,
        })
    }

    /// Base URL, e.g. `http://127.0.0.1:40123`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Makes `source` fail with `fault` (None: healthy again).
    pub fn set_fault(&self, source: Source, fault: Option<Fault>) {
        let mut faults = self.state.faults.lock().unwrap_or_else(|p| p.into_inner());
        match source {
            Source::Testgrid => faults.testgrid = fault,
            Source::Github => faults.github = fault,
            Source::Schedule => faults.schedule = fault,
        }
    }

    /// Serves exactly `count` open PRs per branch (for load and budget tests).
    pub fn set_pull_requests_per_branch(&self, count: u64) {
        *self
            .state
            .pulls_per_branch
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(count);
    }

    /// Serves markup where upstream text goes (for the page's tests): the first PR of each
    /// branch titled [`HOSTILE_TITLE`], with a [`HOSTILE_LABEL`] and a release note of markup, and
    /// each `verify-*` tab named with [`HOSTILE_TAB_SUFFIX`] after its name.
    pub fn set_hostile_text(&self, on: bool) {
        self.state.hostile_text.store(on, Ordering::SeqCst);
    }

    /// Serves exactly `count` tabs on every dashboard: the real ones, then copies of them named
    /// `<tab>-x<n>` with the same results and column headers (for scale benchmarks; unlike
    /// [`Fault::ManyTabs`], the copies differ from each other and their headers answer).
    pub fn set_tabs_per_dashboard(&self, count: usize) {
        *self
            .state
            .tabs_per_dashboard
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(count);
    }

    /// Pads every PR body in the open-PR search to `bytes` (GitHub's limit is 65,536
    /// characters), for memory benchmarks at the upstream's own size limits.
    pub fn set_pull_request_body_bytes(&self, bytes: usize) {
        *self
            .state
            .pull_request_body_bytes
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(bytes);
    }

    /// Gives the GraphQL budget its 5,000 points back, as GitHub does every hour (benchmarks
    /// that run hours of polls in minutes call it).
    pub fn refill_rate_limit(&self) {
        self.state.graphql_remaining.store(5000, Ordering::SeqCst);
    }

    /// Moves the replay clock (for tests).
    pub fn pin(&self, scenario: Scenario) {
        *self
            .state
            .scenario
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = scenario;
    }

    /// Every request served so far, as `"<source> <what>"` lines.
    pub fn requests(&self) -> Vec<String> {
        self.state
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Forgets the request log.
    pub fn clear_requests(&self) {
        self.state
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// Every release branch has `count` PRs merged since its last release (tests of cost).
    pub fn set_merged_per_branch(&self, count: u64) {
        *self
            .state
            .merged_per_branch
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(count);
    }

    /// GraphQL rate-limit points charged so far.
    pub fn graphql_points(&self) -> u64 {
        self.state.graphql_points.load(Ordering::SeqCst)
    }
}

/// The title [`ReplayUpstream::set_hostile_text`] gives the first PR of each branch.
pub const HOSTILE_TITLE: &str = "<img src=x onerror=alert(1)>";
/// The label it adds to that PR.
pub const HOSTILE_LABEL: &str = "<script>window.__xss='label'</script>";
/// What it appends to the name of each `verify-*` tab.
pub const HOSTILE_TAB_SUFFIX: &str = " \"'><script>window.__xss='tab'</script>";

/// A PR node with hostile text in every field a person reads.
fn make_hostile(node: &mut Value) {
    node["title"] = json!(HOSTILE_TITLE);
    node["body"] =
        json!("```release-note\n<img src=x onerror=\"window.__xss='note'\"> & \"quotes\"\n```");
    if let Some(labels) = node
        .pointer_mut("/labels/nodes")
        .and_then(Value::as_array_mut)
    {
        labels.push(json!({"name": HOSTILE_LABEL}));
    }
}

/// The tabs of a dashboard, with hostile names while the knob is on.
fn hostile_tabs(state: &ReplayState, mut tabs: Vec<data::Tab>) -> Vec<data::Tab> {
    if state.hostile_text.load(Ordering::SeqCst) {
        for tab in tabs.iter_mut().filter(|t| t.name.starts_with("verify-")) {
            tab.name.push_str(HOSTILE_TAB_SUFFIX);
        }
    }
    tabs
}

/// A configuration pointing every source at the replay upstream at `base`.
pub fn config(base: &str) -> Config {
    let mut config = Config::defaults(&[("GITHUB_TOKEN", "demo-token-not-a-secret")]);
    config.testgrid.url = format!("{base}/testgrid");
    config.testgrid.api_url = format!("{base}/testgrid-api");
    config.testgrid.api = TestgridApi::V1;
    config.github.api_url = format!("{base}/github");
    config.schedule.url = format!("{base}/schedule.yaml");
    config.schedule.eol_url = format!("{base}/eol.yaml");
    config.poll_interval = Duration::from_secs(15);
    config.request_timeout = Duration::from_secs(5);
    config.branches = BranchSelection::Auto;
    // The scale job runs rarely: two runs at HEAD before a release is cut from it.
    config.readiness.tabs = vec![("scale-performance".to_string(), 2)];
    config
}

fn router(state: Arc<ReplayState>) -> Router {
    Router::new()
        .route("/testgrid/{dashboard}/summary", get(legacy_summary))
        .route(
            "/testgrid-api/api/v1/dashboards/{dashboard}/tab-summaries",
            get(v1_summaries),
        )
        .route(
            "/testgrid-api/api/v1/dashboards/{dashboard}/tabs/{tab}/headers",
            get(v1_headers),
        )
        .route("/github/graphql", post(graphql))
        .route("/github/repos/{owner}/{repo}/releases", get(releases))
        .route("/schedule.yaml", get(schedule))
        .route("/eol.yaml", get(eol))
        .with_state(state)
}

fn html_page(status: StatusCode, title: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=UTF-8")],
        format!("<html><head><title>{title}</title></head><body><h1>{title}</h1><p>The server encountered an error. Please try again in 30 seconds.</p></body></html>"),
    )
        .into_response()
}

/// The common TestGrid/schedule faults; None when the request should be answered normally.
fn common_fault(fault: Option<Fault>, body: &str) -> Option<Response> {
    match fault? {
        Fault::TooManyRequests { retry_after } => Some(
            (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, retry_after.to_string())],
                "Too Many Requests\n",
            )
                .into_response(),
        ),
        Fault::Garbage => Some(
            (
                [(header::CONTENT_TYPE, "application/json")],
                (0..4096u32)
                    .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
                    .collect::<Vec<u8>>(),
            )
                .into_response(),
        ),
        Fault::EndlessBody => {
            let chunk = bytes::Bytes::from(vec![b' '; 64 * 1024]);
            let stream = futures_util::stream::repeat_with(move || {
                Ok::<_, std::convert::Infallible>(chunk.clone())
            });
            Some(
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    axum::body::Body::from_stream(stream),
                )
                    .into_response(),
            )
        }
        Fault::SlowBody => {
            let stream = futures_util::stream::unfold(0u32, |sent| async move {
                tokio::time::sleep(Duration::from_millis(500)).await;
                Some((
                    Ok::<_, std::convert::Infallible>(bytes::Bytes::from_static(b" ")),
                    sent + 1,
                ))
            });
            Some(
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    axum::body::Body::from_stream(stream),
                )
                    .into_response(),
            )
        }
        Fault::AbsurdHeaders => Some(
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [
                    ("retry-after", "99999999999999999999"),
                    ("x-ratelimit-reset", "253402300799"),
                    ("x-ratelimit-remaining", "-5"),
                    ("x-ratelimit-resource", "graphql"),
                    ("content-length", "5"),
                ],
                "oops\n",
            )
                .into_response(),
        ),
        Fault::Unavailable { retry_after } => {
            let mut response =
                html_page(StatusCode::SERVICE_UNAVAILABLE, "503 Service Unavailable");
            if let Ok(value) = retry_after.to_string().parse() {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            Some(response)
        }
        Fault::Html500 => Some(html_page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "500 Server Error",
        )),
        Fault::BadGateway => Some(html_page(StatusCode::BAD_GATEWAY, "502 Bad Gateway")),
        Fault::Truncated => Some(
            (
                [(header::CONTENT_TYPE, "application/json")],
                body[..body.len() / 2].to_string(),
            )
                .into_response(),
        ),
        _ => None,
    }
}

/// The tabs of a dashboard at the scale knob: `count` of them, the real ones first, then copies
/// named `<tab>-x<n>`.
fn scaled_tabs(state: &ReplayState, tabs: Vec<data::Tab>) -> Vec<data::Tab> {
    let count = *state
        .tabs_per_dashboard
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    match count {
        Some(count) if !tabs.is_empty() => (0..count)
            .map(|i| {
                let real = &tabs[i % tabs.len()];
                match i / tabs.len() {
                    0 => real.clone(),
                    copy => data::Tab {
                        name: format!("{}-x{copy}", real.name),
                        ..real.clone()
                    },
                }
            })
            .collect(),
        _ => tabs,
    }
}

/// The tabs a dashboard shows under a data fault: many copies, or hostile long names.
fn fault_tabs(fault: Option<Fault>, mut tabs: Vec<data::Tab>) -> Vec<data::Tab> {
    match fault {
        Some(Fault::ManyTabs { tabs: wanted }) => {
            let first = tabs.remove(0);
            (0..wanted)
                .map(|i| data::Tab {
                    name: format!("{}-{i}", first.name),
                    ..first.clone()
                })
                .collect()
        }
        // Two tabs whose mebibyte names differ only at the end: two series all the same.
        Some(Fault::LongNames) => {
            for (i, tab) in tabs.iter_mut().take(2).enumerate() {
                tab.name = format!("\u{1b}[31m<b>{}</b>\u{7}{i}", "x".repeat(1 << 20));
            }
            tabs
        }
        _ => tabs,
    }
}

async fn legacy_summary(
    State(state): State<Arc<ReplayState>>,
    Path(dashboard): Path<String>,
) -> Response {
    state.log(format!("testgrid summary {dashboard}"));
    state.stall(Source::Testgrid).await;
    if state.fault(Source::Testgrid) == Some(Fault::WrongShape) {
        return Json(json!({"foo": "bar"})).into_response();
    }
    let scenario = state.scenario();
    let Some((branch, blocking, name)) = data::dashboard_by_name(&dashboard) else {
        return (StatusCode::OK, format!("Dashboard {dashboard} not found")).into_response();
    };
    if state.fault(Source::Testgrid) == Some(Fault::DashboardNotFound) {
        return (StatusCode::OK, format!("Dashboard {dashboard} not found")).into_response();
    }
    let tabs = fault_tabs(
        state.fault(Source::Testgrid),
        hostile_tabs(
            &state,
            scaled_tabs(
                &state,
                data::tabs(branch, blocking, &name, scenario.now(), scenario.phase()),
            ),
        ),
    );
    let body = data::legacy_summary(&name, &tabs).to_string();
    if let Some(response) = common_fault(state.fault(Source::Testgrid), &body) {
        return response;
    }
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn v1_summaries(
    State(state): State<Arc<ReplayState>>,
    Path(dashboard): Path<String>,
) -> Response {
    state.log(format!("testgrid tab-summaries {dashboard}"));
    state.stall(Source::Testgrid).await;
    if state.fault(Source::Testgrid) == Some(Fault::WrongShape) {
        return Json(json!({"foo": "bar"})).into_response();
    }
    let scenario = state.scenario();
    let not_found = || {
        (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!(
                "dashboard {{\"{}\"}} not found\n",
                crate::sources::testgrid::model::normalize(&dashboard)
            ),
        )
            .into_response()
    };
    let Some((branch, blocking, name)) = data::dashboard_by_name(&dashboard) else {
        return not_found();
    };
    if state.fault(Source::Testgrid) == Some(Fault::DashboardNotFound) {
        return not_found();
    }
    let tabs = fault_tabs(
        state.fault(Source::Testgrid),
        hostile_tabs(
            &state,
            scaled_tabs(
                &state,
                data::tabs(branch, blocking, &name, scenario.now(), scenario.phase()),
            ),
        ),
    );
    let body = data::v1_summaries(&name, &tabs).to_string();
    if let Some(response) = common_fault(state.fault(Source::Testgrid), &body) {
        return response;
    }
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn v1_headers(
    State(state): State<Arc<ReplayState>>,
    Path((dashboard, tab)): Path<(String, String)>,
) -> Response {
    state.log(format!("testgrid headers {dashboard}/{tab}"));
    let scenario = state.scenario();
    let Some((branch, blocking, name)) = data::dashboard_by_name(&dashboard) else {
        return (StatusCode::NOT_FOUND, "dashboard not found\n").into_response();
    };
    let tabs = hostile_tabs(
        &state,
        scaled_tabs(
            &state,
            data::tabs(branch, blocking, &name, scenario.now(), scenario.phase()),
        ),
    );
    let wanted = crate::sources::testgrid::model::normalize(&tab);
    match tabs
        .iter()
        .find(|t| crate::sources::testgrid::model::normalize(&t.name) == wanted)
    {
        Some(found) => Json(data::headers(branch, found)).into_response(),
        None => (StatusCode::NOT_FOUND, "tab not found\n").into_response(),
    }
}

async fn schedule(State(state): State<Arc<ReplayState>>, headers: HeaderMap) -> Response {
    state.log("schedule schedule.yaml".to_string());
    state.stall(Source::Schedule).await;
    let mut body = data::schedule_yaml(state.scenario().anchor());
    if state.fault(Source::Schedule) == Some(Fault::WrongShape) {
        // Cut after the first minor's block: still valid YAML.
        let second = body
            .match_indices("\n- endOfLifeDate")
            .nth(1)
            .map(|(i, _)| i);
        body.truncate(second.unwrap_or(body.len()));
        body.push('\n');
    }
    if let Some(response) = common_fault(state.fault(Source::Schedule), &body) {
        return response;
    }
    etagged_text(&headers, body)
}

async fn eol(State(state): State<Arc<ReplayState>>, headers: HeaderMap) -> Response {
    state.log("schedule eol.yaml".to_string());
    state.stall(Source::Schedule).await;
    if state.fault(Source::Schedule) == Some(Fault::WrongShape) {
        return (StatusCode::OK, "foo: bar\n").into_response();
    }
    let body = data::eol_yaml();
    if let Some(response) = common_fault(state.fault(Source::Schedule), &body) {
        return response;
    }
    etagged_text(&headers, body)
}

/// A text body with an ETag, or `304` when the client already has it (raw.githubusercontent.com
/// serves both files this way).
fn etagged_text(headers: &HeaderMap, body: String) -> Response {
    let etag = format!("\"{:016x}\"", data::hash(&[&body]));
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    (
        [
            (
                header::CONTENT_TYPE,
                "text/plain; charset=utf-8".to_string(),
            ),
            (header::ETAG, etag),
        ],
        body,
    )
        .into_response()
}

/// GitHub's answer to a fault, or to a missing token.
fn github_fault(state: &ReplayState, headers: &HeaderMap, body: &str) -> Option<Response> {
    let now = state.scenario().now();
    let json_error = |status: StatusCode, message: &str, extra: &[(&'static str, String)]| {
        let mut response = (
            status,
            Json(json!({"message": message, "documentation_url": "https://docs.github.com/rest", "status": status.as_u16().to_string()})),
        )
            .into_response();
        for (name, value) in extra {
            if let Ok(value) = value.parse() {
                response.headers_mut().insert(*name, value);
            }
        }
        response
    };
    if !headers.contains_key(header::AUTHORIZATION) {
        return Some(json_error(
            StatusCode::UNAUTHORIZED,
            "Requires authentication",
            &[],
        ));
    }
    match state.fault(Source::Github)? {
        Fault::Unauthorized => Some(json_error(StatusCode::UNAUTHORIZED, "Bad credentials", &[])),
        Fault::Forbidden => Some(json_error(
            StatusCode::FORBIDDEN,
            "Resource not accessible by personal access token",
            &[],
        )),
        Fault::RateLimited { reset_at } => Some(json_error(
            StatusCode::FORBIDDEN,
            "API rate limit exceeded for user ID 1.",
            &[
                ("x-ratelimit-limit", "5000".into()),
                ("x-ratelimit-remaining", "0".into()),
                ("x-ratelimit-used", "5000".into()),
                ("x-ratelimit-reset", reset_at.to_string()),
                ("x-ratelimit-resource", "graphql".into()),
            ],
        )),
        Fault::SecondaryLimit { retry_after } => Some(json_error(
            StatusCode::FORBIDDEN,
            "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
            &[("retry-after", retry_after.to_string())],
        )),
        Fault::GraphqlErrors => Some(
            Json(json!({"data": null, "errors": [{"message": "Something went wrong while executing your query. Please include `1234:5678` when reporting this issue."}]}))
                .into_response(),
        ),
        Fault::GraphqlRateLimited { reset_at } => {
            let mut response = Json(json!({"errors": [{"type": "RATE_LIMITED",
                "code": "graphql_rate_limit",
                "message": "API rate limit already exceeded for user ID 1."}], "data": null}))
                .into_response();
            for (name, value) in [
                ("x-ratelimit-limit", "5000".to_string()),
                ("x-ratelimit-remaining", "0".to_string()),
                ("x-ratelimit-used", "5000".to_string()),
                ("x-ratelimit-reset", reset_at.to_string()),
                ("x-ratelimit-resource", "graphql".to_string()),
            ] {
                if let Ok(value) = value.parse() {
                    response.headers_mut().insert(name, value);
                }
            }
            Some(response)
        }
        fault => {
            let _ = now;
            common_fault(Some(fault), body)
        }
    }
}

fn rate_limit(state: &ReplayState, cost: u64) -> Value {
    state.graphql_points.fetch_add(cost, Ordering::SeqCst);
    let remaining = state
        .graphql_remaining
        .fetch_sub(cost as i64, Ordering::SeqCst)
        - cost as i64;
    let now = state.scenario().now();
    let reset = now - now.rem_euclid(3600) + 3600;
    json!({
        "cost": cost, "remaining": remaining.max(0), "limit": 5000, "used": 5000 - remaining.max(0),
        "resetAt": chrono::DateTime::from_timestamp(reset, 0).map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
    })
}

async fn graphql(
    State(state): State<Arc<ReplayState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let query = request.get("query").and_then(Value::as_str).unwrap_or("");
    let variables = request.get("variables").cloned().unwrap_or(Value::Null);
    let operation = Regex::new(r"query\s+(\w+)")
        .ok()
        .and_then(|re| re.captures(query).map(|c| c[1].to_string()))
        .unwrap_or_default();
    state.log(format!("github graphql {operation}"));
    state.stall(Source::Github).await;
    if let Some(response) = github_fault(
        &state,
        &headers,
        "{\"data\": {\"repository\": {\"refs\": {\"nodes\": [",
    ) {
        return response;
    }
    let scenario = state.scenario();
    let (now, phase) = (scenario.now(), scenario.phase());
    let partial = state.fault(Source::Github) == Some(Fault::GraphqlPartial);
    let count = *state
        .pulls_per_branch
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    let mut errors: Vec<Value> = Vec::new();
    let data = match operation.as_str() {
        "BranchHeads" => {
            let refs: Vec<Value> = (28..=37)
                .map(|minor| format!("release-1.{minor}"))
                .map(|name| json!({"name": name, "target": {"oid": data::head(&name)}}))
                .collect();
            let anchor = scenario.anchor();
            let due = |days: i64| {
                chrono::DateTime::from_timestamp(anchor + days * 86400 + 7 * 3600, 0)
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            };
            // Milestones newest first; v1.35 has no due date.
            let milestones: Vec<Value> = [(38, Some(120)), (37, Some(16)), (36, Some(1)), (35, None), (34, Some(16))]
                .into_iter()
                .map(|(minor, days)| json!({
                    "title": format!("v1.{minor}"), "state": "OPEN",
                    "dueOn": days.and_then(due),
                    "url": format!("https://github.com/kubernetes/kubernetes/milestone/{}", 100 + minor),
                }))
                .collect();
            json!({
                "rateLimit": rate_limit(&state, 1),
                "repository": {
                    "master": {"name": "master", "target": {"oid": data::head("master")}},
                    "refs": {"pageInfo": {"hasNextPage": false, "endCursor": null}, "nodes": refs},
                    "milestones": {"nodes": milestones},
                }
            })
        }
        "BranchPullRequests" => {
            let search = variables.get("query").and_then(Value::as_str).unwrap_or("");
            let base = search
                .split_whitespace()
                .find_map(|part| part.strip_prefix("base:"))
                .unwrap_or("");
            let offset: usize = variables
                .get("cursor")
                .and_then(Value::as_str)
                .and_then(|c| c.strip_prefix("offset:"))
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            let all: Vec<Value> = if data::BRANCHES.contains(&base) {
                data::pull_requests(base, now, phase, count)
                    .into_iter()
                    .map(|pr| pr.node)
                    .collect()
            } else {
                Vec::new()
            };
            let mut page: Vec<Value> = all.iter().skip(offset).take(50).cloned().collect();
            let next = offset + page.len();
            if offset == 0 && state.hostile_text.load(Ordering::SeqCst) {
                page.iter_mut().take(1).for_each(make_hostile);
            }
            match state.fault(Source::Github) {
                Some(Fault::OversizedPage) if !page.is_empty() => {
                    page = page.iter().cycle().take(1_000).cloned().collect();
                }
                Some(Fault::LongNames) => {
                    for (i, node) in page.iter_mut().take(2).enumerate() {
                        let long = format!(
                            "\u{1b}]0;pwned\u{7}<script>{}</script>{i}",
                            "y".repeat(1 << 20)
                        );
                        if let Some(contexts) = node
                            .pointer_mut("/statusCheckRollup/contexts/nodes")
                            .and_then(Value::as_array_mut)
                        {
                            for context in contexts.iter_mut().take(1) {
                                context["context"] = json!(long);
                            }
                        }
                    }
                }
                _ => {}
            }
            let pad = *state
                .pull_request_body_bytes
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if let Some(bytes) = pad {
                for node in &mut page {
                    let mut body = node["body"].as_str().unwrap_or_default().to_string();
                    let own = body.len();
                    while body.len() < bytes {
                        body.push_str("\nFiller text of a long description.");
                    }
                    // Cut in the ASCII filler only: a char boundary.
                    body.truncate(bytes.max(own));
                    node["body"] = json!(body);
                }
            }
            json!({
                "rateLimit": rate_limit(&state, 1),
                "search": {
                    "issueCount": all.len(),
                    "pageInfo": {"hasNextPage": next < all.len(), "endCursor": format!("offset:{next}")},
                    "nodes": page,
                }
            })
        }
        "ParentPullRequests" => {
            let mut repository = serde_json::Map::new();
            let alias = Regex::new(r"p(\d+): pullRequest\(number: (\d+)\)").expect("valid regex");
            let merged_count = *state
                .merged_per_branch
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            for capture in alias.captures_iter(query) {
                let number: u64 = capture[2].parse().unwrap_or(0);
                let found =
                    data::parent_node(number, scenario.anchor(), now, phase, (count, merged_count));
                let node = match found {
                    Some(node) if !(partial && repository.is_empty()) => node,
                    _ => {
                        errors.push(json!({"type": "NOT_FOUND", "path": ["repository", format!("p{number}")],
                            "message": format!("Could not resolve to a PullRequest with the number of {number}.")}));
                        Value::Null
                    }
                };
                repository.insert(format!("p{}", &capture[1]), node);
            }
            json!({"rateLimit": rate_limit(&state, 1), "repository": repository})
        }
        "ChangedFiles" => {
            let prs: Vec<data::DemoPr> = data::BRANCHES
                .iter()
                .flat_map(|b| data::pull_requests(b, now, phase, count))
                .collect();
            let alias = Regex::new(r"p(\d+): pullRequest\(number: (\d+)\)").expect("valid regex");
            let mut repository = serde_json::Map::new();
            for capture in alias.captures_iter(query) {
                let number: u64 = capture[2].parse().unwrap_or(0);
                let node = prs
                    .iter()
                    .find(|pr| pr.node["number"] == number)
                    .map(|pr| {
                        let files = data::changed_files(pr);
                        json!({
                            "number": number,
                            "headRefOid": pr.node["headRefOid"],
                            "files": {"totalCount": files.len(), "nodes": files.iter().map(|f| json!({"path": f})).collect::<Vec<_>>()},
                        })
                    })
                    .unwrap_or(Value::Null);
                repository.insert(format!("p{}", &capture[1]), node);
            }
            json!({"rateLimit": rate_limit(&state, 1), "repository": repository})
        }
        "ReleaseTags" => {
            let alias = Regex::new(r"m(\d+)_(\d+): refs").expect("valid regex");
            let anchor = scenario.anchor();
            let mut repository = serde_json::Map::new();
            for capture in alias.captures_iter(query) {
                let prefix = format!("v{}.{}.", &capture[1], &capture[2]);
                let nodes: Vec<Value> = data::release_history_at(anchor, now, phase)
                    .into_iter()
                    .filter(|(tag, _)| tag.starts_with(&prefix))
                    .map(|(tag, published)| json!({"name": tag, "target": {"__typename": "Tag", "oid": data::sha(&tag),
                        "tagger": {"date": chrono::DateTime::from_timestamp(published - 9 * 3600, 0).map(|t| t.to_rfc3339())},
                        "target": {"committedDate": "2026-01-01T00:00:00Z"}}}))
                    .collect();
                repository.insert(
                    format!("m{}_{}", &capture[1], &capture[2]),
                    json!({"nodes": nodes}),
                );
            }
            json!({"rateLimit": rate_limit(&state, 1), "repository": repository})
        }
        "MergedPullRequests" => {
            let merged_count = *state
                .merged_per_branch
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            let searches = variables.as_object().cloned().unwrap_or_default();
            let mut data = serde_json::Map::new();
            let mut aliases = 0u64;
            for (name, search) in &searches {
                let Some(i) = name.strip_prefix('q') else {
                    continue;
                };
                aliases += 1;
                let search = search.as_str().unwrap_or("");
                let base = search
                    .split_whitespace()
                    .find_map(|part| part.strip_prefix("base:"))
                    .unwrap_or("");
                let from = search
                    .split_whitespace()
                    .find_map(|part| part.strip_prefix("merged:>="))
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                    .map(|t| t.timestamp())
                    .unwrap_or(i64::MIN);
                let offset: usize = searches
                    .get(&format!("c{i}"))
                    .and_then(Value::as_str)
                    .and_then(|c| c.strip_prefix("offset:"))
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                let all: Vec<Value> =
                    data::merged_pull_requests(base, scenario.anchor(), now, phase, merged_count)
                        .into_iter()
                        .filter(|m| m.merged_at >= from)
                        .map(|m| m.node)
                        .collect();
                let page: Vec<Value> = all.iter().skip(offset).take(50).cloned().collect();
                let next = offset + page.len();
                data.insert(
                    format!("b{i}"),
                    json!({
                        "issueCount": all.len(),
                        "pageInfo": {"hasNextPage": next < all.len(), "endCursor": format!("offset:{next}")},
                        "nodes": page,
                    }),
                );
            }
            // GitHub's formula: per search 1 + 50 label connections, over 100, rounded.
            let cost = ((aliases * 51) as f64 / 100.0).round().max(1.0) as u64;
            data.insert("rateLimit".to_string(), rate_limit(&state, cost));
            Value::Object(data)
        }
        "LabelRemovals" => {
            let alias = Regex::new(r"p(\d+): pullRequest\(number: (\d+)\)").expect("valid regex");
            let mut repository = serde_json::Map::new();
            for capture in alias.captures_iter(query) {
                let number: u64 = capture[2].parse().unwrap_or(0);
                let events = data::label_removals(number, scenario.anchor(), now, phase);
                repository.insert(
                    format!("p{}", &capture[1]),
                    json!({"number": number, "timelineItems": {"totalCount": events.len(), "nodes": events}}),
                );
            }
            json!({"rateLimit": rate_limit(&state, 1), "repository": repository})
        }
        _ => {
            return Json(
                json!({"errors": [{"message": format!("Unknown operation {operation}")}]}),
            )
            .into_response();
        }
    };
    let mut response = json!({"data": data});
    if !errors.is_empty() {
        response["errors"] = Value::Array(errors);
    }
    Json(response).into_response()
}

/// Releases per page: smaller than GitHub's 100 so that paging (`Link: rel="next"`) is exercised.
const RELEASES_PER_PAGE: usize = 20;

async fn releases(
    State(state): State<Arc<ReplayState>>,
    Path((owner, repo)): Path<(String, String)>,
    axum::extract::Query(query): axum::extract::Query<std::collections::HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let page: usize = query
        .get("page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
        .max(1);
    state.log(format!("github releases {owner}/{repo} page {page}"));
    state.stall(Source::Github).await;
    let scenario = state.scenario();
    let mut all = data::releases_json(scenario.anchor(), scenario.now(), scenario.phase());
    if state.fault(Source::Github) == Some(Fault::WrongShape) {
        for item in all.as_array_mut().into_iter().flatten() {
            item["published_at"] = json!("9999-12-31T23:59:59Z");
            item["created_at"] = json!("9999-12-31T23:59:59Z");
        }
    }
    let items = all.as_array().cloned().unwrap_or_default();
    let body = Value::Array(
        items
            .iter()
            .skip((page - 1) * RELEASES_PER_PAGE)
            .take(RELEASES_PER_PAGE)
            .cloned()
            .collect(),
    )
    .to_string();
    let link = (page * RELEASES_PER_PAGE < items.len()).then(|| {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("127.0.0.1");
        format!(
            "<http://{host}/github/repos/{owner}/{repo}/releases?per_page=100&page={}>; rel=\"next\"",
            page + 1
        )
    });
    if let Some(response) = github_fault(&state, &headers, &body) {
        return response;
    }
    let etag = format!("W/\"{:016x}\"", data::hash(&[&body]));
    let limit_headers = [
        ("x-ratelimit-limit", "5000".to_string()),
        ("x-ratelimit-remaining", "4990".to_string()),
        ("x-ratelimit-resource", "core".to_string()),
        (
            "x-ratelimit-reset",
            (state.scenario().now() + 3600).to_string(),
        ),
    ];
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str());
    let mut response = if matches {
        (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response()
    } else {
        (
            [
                (
                    header::CONTENT_TYPE,
                    "application/json; charset=utf-8".to_string(),
                ),
                (header::ETAG, etag),
            ],
            body,
        )
            .into_response()
    };
    for (name, value) in limit_headers
        .into_iter()
        .chain(link.map(|link| ("link", link)))
    {
        if let Ok(value) = value.parse() {
            response.headers_mut().insert(name, value);
        }
    }
    response
}
