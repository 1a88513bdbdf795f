//! GitHub: open PRs per watched branch with their presubmit statuses and check runs, parent PRs of
//! cherry-picks, branch HEADs, and patch releases — over GraphQL and ETag'd REST through octocrab,
//! with the rate limit read on every response and honoured before the next request.

pub mod queries;

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    sync::Mutex,
    time::Duration,
};

use http::{HeaderMap, HeaderValue, StatusCode};
use octocrab::Octocrab;
use prometheus::IntCounter;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Outcome, RawResponse, RequestCounter, Source, TransportError, classify_status};
use crate::release::{
    timing::{PublishedRelease, decode_releases_page},
    version::{Minor, PatchVersion},
};

/// Stop paging one branch's PRs after this many pages (GitHub search stops at 1,000 results).
const MAX_PR_PAGES: usize = 20;
/// Stop paging `release-*` branch refs after this many pages of 100.
const MAX_REF_PAGES: usize = 5;
/// Stop paging releases after this many pages of 100.
const MAX_RELEASE_PAGES: usize = 10;
/// Merged parents remembered across polls (a merged PR cannot un-merge); oldest evicted first.
const MAX_CACHED_PARENTS: usize = 5_000;
/// Changed-file lists remembered across polls, by PR (only open PRs of watched branches).
const MAX_CACHED_FILE_LISTS: usize = 5_000;
/// Points kept in reserve: no query is sent when fewer remain before the reset.
const GRAPHQL_RESERVE_POINTS: i64 = 25;

/// A rate-limit reading.
#[derive(Clone, Debug, PartialEq)]
pub struct RateLimit {
    /// Points or requests left.
    pub remaining: i64,
    /// When it resets, unix seconds.
    pub reset_at: Option<i64>,
}

/// The state of a status context or check run, reduced to what analysis needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContextState {
    /// Passed (also neutral/skipped check runs).
    Success,
    /// Failed (status `failure`, check `failure`/`timed_out`/`cancelled`/...).
    Failure,
    /// Status `error`.
    Error,
    /// Still running or expected.
    Pending,
}

impl ContextState {
    /// Whether this is a final failing result.
    pub fn is_failure(self) -> bool {
        matches!(self, ContextState::Failure | ContextState::Error)
    }

    /// Whether this is a final result at all.
    pub fn is_final(self) -> bool {
        !matches!(self, ContextState::Pending)
    }

    /// Lower-case name as REST spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ContextState::Success => "success",
            ContextState::Failure => "failure",
            ContextState::Error => "error",
            ContextState::Pending => "pending",
        }
    }
}

/// The latest result of one context on a PR's head commit.
#[derive(Clone, Debug, PartialEq)]
pub struct ContextResult {
    /// Context name (Prow job) or check-run name.
    pub name: String,
    /// Its state.
    pub state: ContextState,
    /// Description with Prow's U+2001 padding and ` BaseSHA:` suffix removed.
    pub description: String,
    /// The base SHA Prow tested against, from the description.
    pub base_sha: Option<String>,
    /// Link to the run.
    pub target_url: Option<String>,
    /// When the result was reported, unix seconds.
    pub created_at: Option<i64>,
}

/// An open PR against a watched branch.
#[derive(Clone, Debug, PartialEq)]
pub struct PullRequest {
    /// Number.
    pub number: u64,
    /// Title.
    pub title: String,
    /// Link.
    pub url: String,
    /// Body text.
    pub body: String,
    /// Author login (None for deleted users).
    pub author: Option<String>,
    /// Draft flag.
    pub is_draft: bool,
    /// Label names.
    pub labels: Vec<String>,
    /// Milestone title.
    pub milestone: Option<String>,
    /// Base branch.
    pub base_ref: String,
    /// Head branch.
    pub head_ref: String,
    /// Head commit.
    pub head_oid: String,
    /// `MERGEABLE`, `CONFLICTING` or `UNKNOWN`.
    pub mergeable: Option<String>,
    /// Paths the PR changes (first 100), read when its head commit changes; None until known
    /// (and for master, whose PRs are not checked for dependency changes).
    pub changed_files: Option<Vec<String>>,
    /// Created, unix seconds.
    pub created_at: Option<i64>,
    /// Updated, unix seconds.
    pub updated_at: Option<i64>,
    /// Latest result per context on the head commit.
    pub contexts: Vec<ContextResult>,
}

/// A cherry-pick's parent PR.
#[derive(Clone, Debug, PartialEq)]
pub struct ParentPr {
    /// Number.
    pub number: u64,
    /// Whether it merged.
    pub merged: bool,
    /// Link.
    pub url: String,
    /// Its labels (release notes of automated cherry-picks come from here).
    pub labels: Vec<String>,
}

/// What one GitHub cycle cost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CycleCost {
    /// GraphQL queries sent.
    pub graphql_queries: u32,
    /// GraphQL rate-limit points spent (sum of `rateLimit.cost`).
    pub graphql_points: u32,
    /// REST requests sent.
    pub rest_requests: u32,
    /// REST requests answered 304 (free).
    pub rest_not_modified: u32,
}

/// Everything one successful GitHub poll produced.
#[derive(Clone, Debug, Default)]
pub struct GithubData {
    /// HEAD commit per branch name (master and every `release-*` branch).
    pub heads: BTreeMap<String, String>,
    /// Every `release-*` branch that exists.
    pub release_branches: Vec<String>,
    /// The branches this poll watched.
    pub watched: Vec<String>,
    /// Open PRs per watched branch.
    pub pull_requests: BTreeMap<String, Vec<PullRequest>>,
    /// Parent PRs by number.
    pub parents: BTreeMap<u64, ParentPr>,
    /// Latest patch release candidates (releases, plus tags lacking a release object).
    pub releases: Vec<PublishedRelease>,
    /// GraphQL errors that came with usable partial data.
    pub partial_errors: Vec<String>,
    /// What the cycle cost.
    pub cost: CycleCost,
}

/// Everything that can go wrong talking to GitHub. Messages never contain the token.
#[derive(Debug, thiserror::Error)]
pub enum GithubError {
    /// No token configured.
    #[error(
        "no GitHub token: set GITHUB_TOKEN or github.token_file (GitHub's GraphQL API refuses anonymous calls)"
    )]
    MissingToken,
    /// 401.
    #[error(
        "GitHub rejected the token (401 {message}); check that GITHUB_TOKEN / github.token_file holds a valid, unexpired token"
    )]
    Unauthorized {
        /// GitHub's message.
        message: String,
    },
    /// 403 that is not rate limiting, or a GraphQL FORBIDDEN error.
    #[error(
        "GitHub refused access to {repo} (403 {message}); the token needs read access to the repository (and SSO authorisation for its org)"
    )]
    Forbidden {
        /// The repository.
        repo: String,
        /// GitHub's message.
        message: String,
    },
    /// The repository does not exist or the token cannot see it.
    #[error("repository {repo} not found, or the token cannot see it ({message})")]
    RepoNotFound {
        /// The repository.
        repo: String,
        /// GitHub's message.
        message: String,
    },
    /// Primary or secondary rate limit.
    #[error("GitHub rate limit reached ({message}); waiting until {}", describe_reset(*reset_at, *retry_after))]
    RateLimited {
        /// GitHub's message.
        message: String,
        /// When the limit resets, unix seconds.
        reset_at: Option<i64>,
        /// `Retry-After` seconds on a secondary limit.
        retry_after: Option<u64>,
    },
    /// Another non-2xx answer.
    #[error("HTTP {status} from GitHub ({excerpt})")]
    Status {
        /// Status code.
        status: u16,
        /// Body excerpt.
        excerpt: String,
        /// When `Retry-After` allows the next request (capped), if the answer had one.
        retry_at: Option<i64>,
    },
    /// No usable answer.
    #[error("GitHub request failed: {0}")]
    Transport(#[from] TransportError),
    /// A body that is not what the query asked for.
    #[error("GitHub answered with something unexpected: {0}")]
    Decode(String),
    /// GraphQL errors and no usable data.
    #[error("GitHub GraphQL errors: {0}")]
    Graphql(String),
}

fn describe_reset(reset_at: Option<i64>, retry_after: Option<u64>) -> String {
    match (retry_after, reset_at) {
        (Some(seconds), _) => format!("Retry-After {seconds}s"),
        (None, Some(at)) => chrono::DateTime::from_timestamp(at, 0)
            .map(|t| t.to_rfc3339())
            .unwrap_or_else(|| at.to_string()),
        (None, None) => "a minute has passed".to_string(),
    }
}

impl GithubError {
    /// A short, bounded kind for logs and the status API.
    pub fn kind(&self) -> &'static str {
        match self {
            GithubError::MissingToken => "missing_token",
            GithubError::Unauthorized { .. } => "unauthorized",
            GithubError::Forbidden { .. } => "forbidden",
            GithubError::RepoNotFound { .. } => "not_found",
            GithubError::RateLimited { .. } => "rate_limited",
            GithubError::Status { status, .. } if *status >= 500 => "server_error",
            GithubError::Status { .. } => "client_error",
            GithubError::Transport(error) => error.outcome().as_str(),
            GithubError::Decode(_) => "decode_error",
            GithubError::Graphql(_) => "graphql_error",
        }
    }

    /// The earliest time (unix seconds) GitHub allows the next attempt, when it said so;
    /// never more than [`super::MAX_HEADER_WAIT_SECONDS`] ahead, whatever the headers say.
    pub fn retry_not_before(&self, now: i64) -> Option<i64> {
        let at = match self {
            GithubError::RateLimited {
                reset_at,
                retry_after,
                ..
            } => match (retry_after, reset_at) {
                (Some(seconds), _) => {
                    now.saturating_add(i64::try_from(*seconds).unwrap_or(i64::MAX))
                }
                (None, Some(at)) => *at,
                // "Otherwise, wait for at least one minute before retrying."
                (None, None) => now.saturating_add(60),
            },
            GithubError::Status { retry_at, .. } => (*retry_at)?,
            _ => return None,
        };
        Some(super::capped_wait_until(now, at))
    }
}

// === GraphQL wire types ===

#[derive(Deserialize)]
struct GraphqlEnvelope {
    #[serde(default)]
    data: Option<Value>,
    #[serde(default)]
    errors: Option<Vec<GraphqlErrorItem>>,
}

#[derive(Deserialize, Clone)]
struct GraphqlErrorItem {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    message: String,
    #[serde(default)]
    extensions: Option<GraphqlErrorExtensions>,
}

#[derive(Deserialize, Clone)]
struct GraphqlErrorExtensions {
    #[serde(default)]
    code: Option<String>,
}

impl GraphqlErrorItem {
    fn is_rate_limit(&self) -> bool {
        let code = |text: Option<&str>| {
            text.is_some_and(|t| {
                let t = t.trim().to_ascii_uppercase();
                t == "RATE_LIMITED" || t == "RATE_LIMIT"
            })
        };
        code(self.kind.as_deref()) || code(self.extensions.as_ref().and_then(|e| e.code.as_deref()))
    }
}

impl ClientState {
    /// Below the reserve, no query is sent before the reset; a reset absurdly far away (or
    /// missing) waits at most [`super::MAX_HEADER_WAIT_SECONDS`] from when it was read.
    fn note_graphql_budget(&mut self, remaining: i64, reset_at: Option<i64>, now: i64) {
        self.graphql_budget_until = (remaining < GRAPHQL_RESERVE_POINTS).then(|| {
            super::capped_wait_until(
                now,
                reset_at.unwrap_or(now.saturating_add(super::MAX_HEADER_WAIT_SECONDS)),
            )
        });
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireRateLimit {
    #[serde(default)]
    cost: Option<i64>,
    #[serde(default)]
    remaining: Option<i64>,
    #[serde(default)]
    reset_at: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct PageInfo {
    #[serde(default)]
    has_next_page: bool,
    #[serde(default)]
    end_cursor: Option<String>,
}

#[derive(Deserialize)]
struct Named {
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
struct Nodes<T> {
    #[serde(default = "Vec::new")]
    nodes: Vec<Option<T>>,
}

impl<T> Default for Nodes<T> {
    fn default() -> Self {
        Nodes { nodes: Vec::new() }
    }
}

#[derive(Deserialize)]
struct WireRef {
    name: String,
    #[serde(default)]
    target: Option<WireTarget>,
}

#[derive(Deserialize)]
struct WireTarget {
    #[serde(default)]
    oid: Option<String>,
}

#[derive(Deserialize)]
struct WireRefConnection {
    #[serde(default, rename = "pageInfo")]
    page_info: PageInfo,
    #[serde(default = "Vec::new")]
    nodes: Vec<Option<WireRef>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WirePullRequest {
    number: u64,
    #[serde(default)]
    title: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    is_draft: bool,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    updated_at: Option<String>,
    #[serde(default)]
    mergeable: Option<String>,
    #[serde(default)]
    base_ref_name: String,
    #[serde(default)]
    head_ref_name: String,
    #[serde(default)]
    head_ref_oid: String,
    #[serde(default)]
    author: Option<WireAuthor>,
    #[serde(default)]
    milestone: Option<WireMilestone>,
    #[serde(default)]
    labels: Option<Nodes<Named>>,
    #[serde(default)]
    status_check_rollup: Option<WireRollup>,
}

#[derive(Deserialize)]
struct WireAuthor {
    #[serde(default)]
    login: Option<String>,
}

#[derive(Deserialize)]
struct WireMilestone {
    #[serde(default)]
    title: Option<String>,
}

#[derive(Deserialize)]
struct WireRollup {
    #[serde(default)]
    contexts: Option<Nodes<WireContext>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireContext {
    #[serde(default, rename = "__typename")]
    typename: String,
    // StatusContext
    #[serde(default)]
    context: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    target_url: Option<String>,
    #[serde(default)]
    created_at: Option<String>,
    // CheckRun
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    conclusion: Option<String>,
    #[serde(default)]
    details_url: Option<String>,
    #[serde(default)]
    started_at: Option<String>,
    #[serde(default)]
    completed_at: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireParent {
    number: u64,
    #[serde(default)]
    url: String,
    #[serde(default)]
    merged: bool,
    #[serde(default)]
    labels: Option<Nodes<Named>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireChangedFiles {
    number: u64,
    #[serde(default)]
    head_ref_oid: String,
    #[serde(default)]
    files: Option<Nodes<WirePath>>,
}

#[derive(Deserialize)]
struct WirePath {
    #[serde(default)]
    path: String,
}

#[derive(Deserialize)]
struct WireTagRef {
    name: String,
    #[serde(default)]
    target: Option<WireTagTarget>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireTagTarget {
    #[serde(default)]
    tagger: Option<WireTagger>,
    #[serde(default)]
    target: Option<Box<WireTagTarget>>,
    #[serde(default)]
    committed_date: Option<String>,
}

#[derive(Deserialize)]
struct WireTagger {
    #[serde(default)]
    date: Option<String>,
}

fn timestamp(text: Option<&str>) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(text?.trim())
        .ok()
        .map(|t| t.timestamp())
}

/// Splits a Prow description into the human text and the `BaseSHA` it tested against.
///
/// Prow pads the text with U+2001 characters up to 140 characters and appends
/// ` BaseSHA:<sha>` (or the deprecated ` Basesha:`); neither is for humans.
pub fn parse_prow_description(description: &str) -> (String, Option<String>) {
    let (text, sha) = match description
        .split_once(" BaseSHA:")
        .or_else(|| description.split_once(" Basesha:"))
    {
        Some((text, sha)) => {
            let sha = sha.trim();
            let valid = !sha.is_empty() && sha.chars().all(|c| c.is_ascii_hexdigit());
            (text, valid.then(|| sha.to_ascii_lowercase()))
        }
        None => (description, None),
    };
    let text = text
        .trim_end_matches(|c: char| c == '\u{2001}' || c.is_whitespace())
        .trim_start()
        .to_string();
    (text, sha)
}

fn context_result(wire: WireContext) -> Option<ContextResult> {
    if wire.typename == "CheckRun" || (wire.context.is_none() && wire.name.is_some()) {
        let name = wire.name?;
        let state = match wire.status.as_deref() {
            Some("COMPLETED") | None => match wire.conclusion.as_deref() {
                Some("SUCCESS" | "NEUTRAL" | "SKIPPED") => ContextState::Success,
                Some(
                    "FAILURE" | "TIMED_OUT" | "CANCELLED" | "ACTION_REQUIRED" | "STARTUP_FAILURE"
                    | "STALE",
                ) => ContextState::Failure,
                _ => ContextState::Pending,
            },
            _ => ContextState::Pending,
        };
        return Some(ContextResult {
            name,
            state,
            description: wire.conclusion.unwrap_or_default().to_ascii_lowercase(),
            base_sha: None,
            target_url: wire.details_url,
            created_at: timestamp(wire.completed_at.as_deref())
                .or_else(|| timestamp(wire.started_at.as_deref())),
        });
    }
    let name = wire.context?;
    let state = match wire
        .state
        .as_deref()
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        Some("SUCCESS") => ContextState::Success,
        Some("FAILURE") => ContextState::Failure,
        Some("ERROR") => ContextState::Error,
        _ => ContextState::Pending,
    };
    let (description, base_sha) = parse_prow_description(wire.description.as_deref().unwrap_or(""));
    Some(ContextResult {
        name,
        state,
        description,
        base_sha,
        target_url: wire.target_url,
        created_at: timestamp(wire.created_at.as_deref()),
    })
}

fn pull_request(wire: WirePullRequest) -> PullRequest {
    let labels = wire
        .labels
        .unwrap_or_default()
        .nodes
        .into_iter()
        .flatten()
        .map(|label| label.name)
        .collect();
    let contexts = wire
        .status_check_rollup
        .and_then(|rollup| rollup.contexts)
        .unwrap_or_default()
        .nodes
        .into_iter()
        .flatten()
        .filter_map(context_result)
        .collect();
    PullRequest {
        number: wire.number,
        title: wire.title,
        url: wire.url,
        body: wire.body.unwrap_or_default(),
        author: wire.author.and_then(|a| a.login),
        is_draft: wire.is_draft,
        labels,
        milestone: wire.milestone.and_then(|m| m.title),
        base_ref: wire.base_ref_name,
        head_ref: wire.head_ref_name,
        head_oid: wire.head_ref_oid,
        mergeable: wire.mergeable,
        changed_files: None,
        created_at: timestamp(wire.created_at.as_deref()),
        updated_at: timestamp(wire.updated_at.as_deref()),
        contexts,
    }
}

// === the client ===

/// One cached page of `GET /releases`.
#[derive(Clone)]
struct ReleasePage {
    etag: HeaderValue,
    releases: Vec<PublishedRelease>,
    /// The `rel="next"` page, if any.
    next: Option<String>,
}

/// The `rel="next"` URL of a `Link` header.
fn next_link(headers: &HeaderMap) -> Option<String> {
    let link = headers.get(http::header::LINK)?.to_str().ok()?;
    link.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        params
            .split(';')
            .any(|p| p.trim() == "rel=\"next\"")
            .then(|| {
                url.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_string()
            })
    })
}

/// A decoded GraphQL answer: its data, and the errors that came with usable data.
struct GraphqlAnswer {
    data: Value,
    partial_errors: Vec<String>,
}

/// State kept across polls.
#[derive(Default)]
struct ClientState {
    /// Merged parents never change; cached in insertion order.
    merged_parents: BTreeMap<u64, ParentPr>,
    merged_order: std::collections::VecDeque<u64>,
    /// REST ETag cache by URL (at most `MAX_RELEASE_PAGES` entries).
    release_pages: HashMap<String, ReleasePage>,
    /// Changed files per PR, with the head commit they were read at.
    changed_files: HashMap<u64, (String, Vec<String>)>,
    /// Last rate-limit reading per resource (`core`, `graphql`, `search`), from the headers
    /// of every response (errors included) and GraphQL's `rateLimit`.
    limits: BTreeMap<String, RateLimit>,
    /// While fewer than the reserve of GraphQL points is left: no query before this time
    /// (the reset, capped when it was read).
    graphql_budget_until: Option<i64>,
    /// GitHub asked us not to send anything before this time (unix seconds).
    not_before: Option<(i64, String)>,
}

/// Reads GitHub for the watched repository.
pub struct GithubClient {
    octo: Option<Octocrab>,
    api_url: String,
    owner: String,
    repo: String,
    timeout: Duration,
    counter: RequestCounter,
    points: IntCounter,
    state: Mutex<ClientState>,
}

/// One cycle's working state.
#[derive(Default)]
struct Cycle {
    cost: CycleCost,
    partial_errors: Vec<String>,
}

impl GithubClient {
    /// A client; without a token every poll fails with [`GithubError::MissingToken`].
    pub fn new(
        reqwest: reqwest::Client,
        github: &crate::config::GithubConfig,
        timeout: Duration,
        counter: RequestCounter,
        points: IntCounter,
    ) -> anyhow::Result<GithubClient> {
        let octo = match github.token_text() {
            Some(token) => Some(
                Octocrab::builder()
                    .base_uri(github.api_url.as_str())?
                    .personal_token(token.to_string())
                    .build_with_reqwest(reqwest)?,
            ),
            None => None,
        };
        Ok(GithubClient {
            octo,
            api_url: github.api_url.trim_end_matches('/').to_string(),
            owner: github.owner.clone(),
            repo: github.repo.clone(),
            timeout,
            counter,
            points,
            state: Mutex::default(),
        })
    }

    fn repo_name(&self) -> String {
        format!("{}/{}", self.owner, self.repo)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, ClientState> {
        // A poisoned lock only means another poll panicked mid-update; the cache is still usable.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn octo(&self) -> Result<&Octocrab, GithubError> {
        self.octo.as_ref().ok_or(GithubError::MissingToken)
    }

    /// Sends a request through octocrab and reads the whole body, within the timeout.
    async fn send(
        &self,
        request: impl std::future::Future<
            Output = octocrab::Result<
                http::Response<http_body_util::combinators::BoxBody<bytes::Bytes, octocrab::Error>>,
            >,
        >,
        resource: &'static str,
        now: i64,
    ) -> Result<RawResponse, GithubError> {
        let exchange = async {
            let response = request
                .await
                .map_err(|error| TransportError::from_error(&error, self.timeout))?;
            let (parts, body) = response.into_parts();
            // Headers first: a response cut short still said how much budget is left.
            self.record_limits(&parts.headers, resource, now);
            let body = super::read_body(body).await?;
            Ok::<_, TransportError>(RawResponse {
                status: parts.status,
                headers: parts.headers,
                body,
            })
        };
        let error = match tokio::time::timeout(self.timeout, exchange).await {
            Ok(Ok(response)) => return Ok(response),
            Ok(Err(TransportError::Timeout(_))) | Err(_) => TransportError::Timeout(self.timeout),
            Ok(Err(error)) => error,
        };
        self.counter.record(Source::Github, error.outcome());
        Err(GithubError::Transport(error))
    }

    /// Rate limits by resource, as last reported (for the metrics, on every poll).
    pub fn rate_limits(&self) -> BTreeMap<String, RateLimit> {
        self.state().limits.clone()
    }

    /// Reads `x-ratelimit-*` from any response. `resource` names the endpoint's budget when
    /// GitHub does not say (`x-ratelimit-resource` is normally there).
    fn record_limits(&self, headers: &HeaderMap, resource: &'static str, now: i64) {
        let Some(remaining) = header_i64(headers, "x-ratelimit-remaining") else {
            return;
        };
        let resource = headers
            .get("x-ratelimit-resource")
            .and_then(|v| v.to_str().ok())
            .filter(|v| {
                !v.is_empty()
                    && v.len() <= 32
                    && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            })
            .unwrap_or(resource)
            .to_string();
        let reset_at = header_i64(headers, "x-ratelimit-reset");
        let mut state = self.state();
        if resource == "graphql" {
            state.note_graphql_budget(remaining, reset_at, now);
        }
        state.limits.insert(
            resource,
            RateLimit {
                remaining: remaining.max(0),
                reset_at,
            },
        );
    }

    /// Turns a non-2xx answer into the specific error, counting it.
    fn http_error(&self, response: &RawResponse, now: i64) -> GithubError {
        let outcome = classify_status(response.status, &response.headers);
        self.counter.record(Source::Github, outcome);
        let message = github_message(&response.body);
        if outcome == Outcome::RateLimited {
            let error = GithubError::RateLimited {
                message: message.clone(),
                reset_at: header_i64(&response.headers, "x-ratelimit-reset"),
                retry_after: header_i64(&response.headers, "retry-after").map(|s| s.max(0) as u64),
            };
            // Remember it: no request goes out before GitHub allows it, whoever asks.
            let mut state = self.state();
            if let Some(at) = error.retry_not_before(now) {
                state.not_before = Some((at, message));
            }
            let resource = response
                .headers
                .get("x-ratelimit-resource")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("graphql")
                .to_string();
            if let Some(limit) = state.limits.get_mut(&resource) {
                limit.remaining = 0;
            }
            return error;
        }
        let retry_at = super::retry_after_header(&response.headers)
            .and_then(|value| super::retry_after_at(&value, now));
        if let Some(at) = retry_at {
            self.state().not_before = Some((at, format!("HTTP {}", response.status.as_u16())));
        }
        match response.status {
            StatusCode::UNAUTHORIZED => GithubError::Unauthorized { message },
            StatusCode::FORBIDDEN => GithubError::Forbidden {
                repo: self.repo_name(),
                message,
            },
            StatusCode::NOT_FOUND => GithubError::RepoNotFound {
                repo: self.repo_name(),
                message,
            },
            status => GithubError::Status {
                status: status.as_u16(),
                excerpt: response.excerpt(),
                retry_at,
            },
        }
    }

    /// Refuses to send a query when the budget is spent until its reset.
    fn check_budget(&self, now: i64) -> Result<(), GithubError> {
        let state = self.state();
        if let Some((at, message)) = &state.not_before {
            if *at > now {
                return Err(GithubError::RateLimited {
                    message: format!("still waiting after: {message}"),
                    reset_at: Some(*at),
                    retry_after: None,
                });
            }
        }
        if let (Some(until), Some(limit)) =
            (state.graphql_budget_until, state.limits.get("graphql"))
        {
            if until > now {
                return Err(GithubError::RateLimited {
                    message: format!(
                        "only {} GraphQL points left, keeping {GRAPHQL_RESERVE_POINTS} in reserve",
                        limit.remaining
                    ),
                    reset_at: Some(until),
                    retry_after: None,
                });
            }
        }
        Ok(())
    }

    /// Sends one GraphQL document; partial data with errors is returned with the errors.
    async fn graphql(
        &self,
        cycle: &mut Cycle,
        query: &str,
        variables: Value,
        now: i64,
    ) -> Result<GraphqlAnswer, GithubError> {
        self.check_budget(now)?;
        let octo = self.octo()?;
        let body = json!({ "query": query, "variables": variables });
        let url = format!("{}/graphql", self.api_url);
        cycle.cost.graphql_queries += 1;
        let response = self
            .send(octo._post(url, Some(&body)), "graphql", now)
            .await?;
        if !response.status.is_success() {
            return Err(self.http_error(&response, now));
        }
        let envelope: GraphqlEnvelope = match serde_json::from_slice(&response.body) {
            Ok(envelope) => envelope,
            Err(error) => {
                self.counter.record(Source::Github, Outcome::DecodeError);
                return Err(GithubError::Decode(format!(
                    "GraphQL response is not JSON ({error}): {}",
                    response.excerpt()
                )));
            }
        };
        let errors = envelope.errors.unwrap_or_default();
        let data = envelope.data.unwrap_or(Value::Null);
        if let Some(rate) = data.get("rateLimit").cloned() {
            if let Ok(rate) = serde_json::from_value::<WireRateLimit>(rate) {
                let cost = u32::try_from(rate.cost.unwrap_or(0).max(0)).unwrap_or(u32::MAX);
                cycle.cost.graphql_points = cycle.cost.graphql_points.saturating_add(cost);
                self.points.inc_by(u64::from(cost));
                if let Some(remaining) = rate.remaining {
                    let reset_at = timestamp(rate.reset_at.as_deref());
                    let mut state = self.state();
                    state.note_graphql_budget(remaining, reset_at, now);
                    state.limits.insert(
                        "graphql".to_string(),
                        RateLimit {
                            remaining: remaining.max(0),
                            reset_at,
                        },
                    );
                }
            }
        }
        // GitHub says "rate limited" in a 200 too: `type: RATE_LIMITED` (or `RATE_LIMIT`, or
        // `extensions.code`), with `data: null`.
        if let Some(rate_limited) = errors.iter().find(|e| e.is_rate_limit()) {
            self.counter.record(Source::Github, Outcome::RateLimited);
            let mut state = self.state();
            let reset_at = header_i64(&response.headers, "x-ratelimit-reset")
                .or_else(|| state.limits.get("graphql").and_then(|limit| limit.reset_at));
            let limit = state
                .limits
                .entry("graphql".to_string())
                .or_insert(RateLimit {
                    remaining: 0,
                    reset_at,
                });
            limit.remaining = 0;
            limit.reset_at = limit.reset_at.or(reset_at);
            let error = GithubError::RateLimited {
                message: super::excerpt(rate_limited.message.as_bytes()),
                reset_at,
                retry_after: header_i64(&response.headers, "retry-after").map(|s| s.max(0) as u64),
            };
            if let Some(at) = error.retry_not_before(now) {
                state.not_before = Some((at, super::excerpt(rate_limited.message.as_bytes())));
            }
            return Err(error);
        }
        if let Some(forbidden) = errors
            .iter()
            .find(|e| e.kind.as_deref() == Some("FORBIDDEN"))
        {
            self.counter.record(Source::Github, Outcome::ClientError);
            return Err(GithubError::Forbidden {
                repo: self.repo_name(),
                message: forbidden.message.clone(),
            });
        }
        if data.is_null() || !data.is_object() {
            self.counter.record(Source::Github, Outcome::DecodeError);
            let messages: Vec<String> = errors.iter().map(|e| e.message.clone()).collect();
            return Err(if messages.is_empty() {
                GithubError::Decode("GraphQL response has no data".to_string())
            } else {
                GithubError::Graphql(messages.join("; "))
            });
        }
        self.counter.record(Source::Github, Outcome::Ok);
        Ok(GraphqlAnswer {
            data,
            partial_errors: errors
                .into_iter()
                .map(|e| match e.kind {
                    Some(kind) => format!("{kind}: {}", e.message),
                    None => e.message,
                })
                .collect(),
        })
    }

    fn repository<'a>(&self, answer: &'a GraphqlAnswer) -> Result<&'a Value, GithubError> {
        match answer.data.get("repository") {
            Some(repo) if repo.is_object() => Ok(repo),
            _ => Err(GithubError::RepoNotFound {
                repo: self.repo_name(),
                message: answer
                    .partial_errors
                    .first()
                    .cloned()
                    .unwrap_or_else(|| "repository is null".to_string()),
            }),
        }
    }

    /// One full GitHub cycle for the watched branches and minors.
    ///
    /// `resolve` turns the `release-*` branches that exist into the branches to watch (for
    /// `branches: auto` without a schedule, GitHub is where the branches come from).
    pub async fn poll(
        &self,
        resolve: &(dyn Fn(&[String]) -> Vec<String> + Send + Sync),
        now: i64,
    ) -> Result<GithubData, GithubError> {
        self.octo()?;
        let mut cycle = Cycle::default();
        let mut data = GithubData::default();

        // 1. Branch heads (and discovery of release and hotfix branches).
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_REF_PAGES {
            let answer = self
                .graphql(
                    &mut cycle,
                    queries::BRANCH_HEADS,
                    json!({"owner": self.owner, "name": self.repo, "cursor": cursor}),
                    now,
                )
                .await?;
            cycle
                .partial_errors
                .extend(answer.partial_errors.iter().cloned());
            let repo = self.repository(&answer)?;
            if let Some(master) = repo
                .get("master")
                .and_then(|m| serde_json::from_value::<WireRef>(m.clone()).ok())
            {
                if let Some(oid) = master.target.and_then(|t| t.oid) {
                    data.heads.insert(master.name, oid);
                }
            }
            let refs: WireRefConnection = repo
                .get("refs")
                .cloned()
                .and_then(|refs| serde_json::from_value(refs).ok())
                .ok_or_else(|| GithubError::Decode("refs missing from BranchHeads".into()))?;
            for node in refs.nodes.into_iter().flatten() {
                if let Some(oid) = node.target.and_then(|t| t.oid) {
                    data.release_branches.push(node.name.clone());
                    data.heads.insert(node.name, oid);
                }
            }
            if !refs.page_info.has_next_page {
                break;
            }
            cursor = refs.page_info.end_cursor;
        }

        data.watched = resolve(&data.release_branches);
        let branches = data.watched.clone();
        let minors = crate::analysis::release::minors_of(&branches);

        // 2. Open PRs per branch.
        for branch in &branches {
            let search = queries::pull_request_search(&self.owner, &self.repo, branch);
            let mut prs = Vec::new();
            let mut cursor: Option<String> = None;
            for _ in 0..MAX_PR_PAGES {
                let answer = self
                    .graphql(
                        &mut cycle,
                        queries::BRANCH_PULL_REQUESTS,
                        json!({"query": search, "cursor": cursor}),
                        now,
                    )
                    .await?;
                cycle
                    .partial_errors
                    .extend(answer.partial_errors.iter().cloned());
                let search_result = answer
                    .data
                    .get("search")
                    .filter(|s| s.is_object())
                    .ok_or_else(|| {
                        GithubError::Decode("search missing from BranchPullRequests".into())
                    })?;
                let page_info: PageInfo = search_result
                    .get("pageInfo")
                    .cloned()
                    .and_then(|p| serde_json::from_value(p).ok())
                    .unwrap_or_default();
                for node in search_result
                    .get("nodes")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if node.get("__typename").and_then(Value::as_str) != Some("PullRequest") {
                        continue;
                    }
                    match serde_json::from_value::<WirePullRequest>(node.clone()) {
                        // The search qualifier is exact, but a fake or a future GitHub might not be.
                        Ok(pr) if pr.base_ref_name == *branch || pr.base_ref_name.is_empty() => {
                            prs.push(pull_request(pr))
                        }
                        Ok(_) => {}
                        Err(error) => cycle
                            .partial_errors
                            .push(format!("undecodable PR in {branch}: {error}")),
                    }
                }
                if !page_info.has_next_page || page_info.end_cursor.is_none() {
                    break;
                }
                cursor = page_info.end_cursor;
            }
            prs.sort_by_key(|pr| pr.number);
            prs.dedup_by_key(|pr| pr.number);
            data.pull_requests.insert(branch.clone(), prs);
        }

        // 3. Parents of cherry-picks, batched; merged ones come from the cache.
        let wanted: BTreeSet<u64> = data
            .pull_requests
            .values()
            .flatten()
            .flat_map(|pr| crate::analysis::pulls::cherry_pick_parents(pr).numbers)
            .collect();
        let mut to_fetch = Vec::new();
        {
            let state = self.state();
            for number in &wanted {
                match state.merged_parents.get(number) {
                    Some(parent) => {
                        data.parents.insert(*number, parent.clone());
                    }
                    None => to_fetch.push(*number),
                }
            }
        }
        for chunk in to_fetch.chunks(queries::MAX_PARENTS_PER_QUERY) {
            let answer = self
                .graphql(
                    &mut cycle,
                    &queries::parent_pull_requests(chunk),
                    json!({"owner": self.owner, "name": self.repo}),
                    now,
                )
                .await?;
            // A parent number that is an issue, or was deleted, comes back null with an error.
            cycle
                .partial_errors
                .extend(answer.partial_errors.iter().cloned());
            let repo = self.repository(&answer)?;
            for number in chunk {
                let Some(node) = repo.get(format!("p{number}")).filter(|n| n.is_object()) else {
                    continue;
                };
                if let Ok(parent) = serde_json::from_value::<WireParent>(node.clone()) {
                    let parent = ParentPr {
                        number: parent.number,
                        merged: parent.merged,
                        url: parent.url,
                        labels: parent
                            .labels
                            .unwrap_or_default()
                            .nodes
                            .into_iter()
                            .flatten()
                            .map(|l| l.name)
                            .collect(),
                    };
                    if parent.merged {
                        self.remember_merged(parent.clone());
                    }
                    data.parents.insert(*number, parent);
                }
            }
        }

        // 4. Changed files of release-branch PRs whose head moved (dependency bumps).
        self.changed_files(&mut cycle, &mut data, now).await?;

        // 5. Releases (REST with ETags) and tags (GraphQL) of the watched minors.
        if !minors.is_empty() {
            data.releases = self.releases(&mut cycle, &minors, now).await?;
        }

        data.partial_errors = cycle.partial_errors;
        data.cost = cycle.cost;
        Ok(data)
    }

    /// Fills `changed_files` of every open PR against a release or hotfix branch: from the
    /// cache when its head commit is the one the files were read at, else in batches.
    async fn changed_files(
        &self,
        cycle: &mut Cycle,
        data: &mut GithubData,
        now: i64,
    ) -> Result<(), GithubError> {
        let release_prs = |data: &GithubData| -> Vec<(u64, String)> {
            data.pull_requests
                .iter()
                .filter(|(branch, _)| branch.as_str() != "master")
                .flat_map(|(_, prs)| prs.iter().map(|pr| (pr.number, pr.head_oid.clone())))
                .collect()
        };
        let wanted = release_prs(data);
        let stale: Vec<u64> = {
            let state = self.state();
            wanted
                .iter()
                .filter(|(number, head)| {
                    state
                        .changed_files
                        .get(number)
                        .is_none_or(|(read_at, _)| read_at != head)
                })
                .map(|(number, _)| *number)
                .collect()
        };
        for chunk in stale.chunks(queries::MAX_FILES_PRS_PER_QUERY) {
            let answer = self
                .graphql(
                    cycle,
                    &queries::changed_files(chunk),
                    json!({"owner": self.owner, "name": self.repo}),
                    now,
                )
                .await?;
            cycle
                .partial_errors
                .extend(answer.partial_errors.iter().cloned());
            let repo = self.repository(&answer)?;
            let mut state = self.state();
            for number in chunk {
                let Some(node) = repo.get(format!("p{number}")).filter(|n| n.is_object()) else {
                    continue;
                };
                if let Ok(wire) = serde_json::from_value::<WireChangedFiles>(node.clone()) {
                    let paths: Vec<String> = wire
                        .files
                        .unwrap_or_default()
                        .nodes
                        .into_iter()
                        .flatten()
                        .map(|f| f.path)
                        .filter(|p| !p.is_empty())
                        .take(queries::CHANGED_FILES_PER_PR)
                        .collect();
                    state
                        .changed_files
                        .insert(wire.number, (wire.head_ref_oid, paths));
                }
            }
        }
        let mut state = self.state();
        // Only open PRs of watched branches are remembered: the cache cannot grow past them.
        let open: std::collections::HashSet<u64> = wanted.iter().map(|(n, _)| *n).collect();
        state
            .changed_files
            .retain(|number, _| open.contains(number));
        if state.changed_files.len() > MAX_CACHED_FILE_LISTS {
            state.changed_files.clear();
        }
        for pr in data
            .pull_requests
            .iter_mut()
            .filter(|(branch, _)| branch.as_str() != "master")
            .flat_map(|(_, prs)| prs.iter_mut())
        {
            pr.changed_files = state
                .changed_files
                .get(&pr.number)
                .filter(|(read_at, _)| *read_at == pr.head_oid)
                .map(|(_, paths)| paths.clone());
        }
        Ok(())
    }

    fn remember_merged(&self, parent: ParentPr) {
        let mut state = self.state();
        if state
            .merged_parents
            .insert(parent.number, parent.clone())
            .is_none()
        {
            state.merged_order.push_back(parent.number);
        }
        while state.merged_order.len() > MAX_CACHED_PARENTS {
            if let Some(oldest) = state.merged_order.pop_front() {
                state.merged_parents.remove(&oldest);
            }
        }
    }

    /// Latest patch releases: GitHub release objects (paged as far as needed, with ETags), plus
    /// release tags that have no release object.
    async fn releases(
        &self,
        cycle: &mut Cycle,
        minors: &[Minor],
        now: i64,
    ) -> Result<Vec<PublishedRelease>, GithubError> {
        let octo = self.octo()?;
        let mut releases: Vec<PublishedRelease> = Vec::new();
        let mut missing: BTreeSet<Minor> = minors.iter().copied().collect();
        let mut next_url = Some(format!(
            "{}/repos/{}/{}/releases?per_page=100",
            self.api_url, self.owner, self.repo
        ));
        for page in 1..=MAX_RELEASE_PAGES {
            let Some(url) = next_url.take() else {
                break;
            };
            let cached = self.state().release_pages.get(&url).cloned();
            let mut headers = HeaderMap::new();
            headers.insert(
                http::header::ACCEPT,
                HeaderValue::from_static("application/vnd.github+json"),
            );
            if let Some(page) = &cached {
                headers.insert(http::header::IF_NONE_MATCH, page.etag.clone());
            }
            cycle.cost.rest_requests = cycle.cost.rest_requests.saturating_add(1);
            let response = self
                .send(
                    octo._get_with_headers(url.as_str(), Some(headers)),
                    "core",
                    now,
                )
                .await?;
            let fetched = if response.status == StatusCode::NOT_MODIFIED {
                // A 304 has no body and no Link header: both come from the cache.
                self.counter.record(Source::Github, Outcome::NotModified);
                cycle.cost.rest_not_modified += 1;
                cached.ok_or_else(|| {
                    GithubError::Decode("304 Not Modified for a page never fetched".to_string())
                })?
            } else if response.status.is_success() {
                let decoded = match decode_releases_page(&response.body)
                    .map_err(|error| error.to_string())
                    .and_then(|releases| plausible_releases(releases, now))
                {
                    Ok(decoded) => decoded,
                    Err(error) => {
                        self.counter.record(Source::Github, Outcome::DecodeError);
                        return Err(GithubError::Decode(format!(
                            "releases page {page}: {error}"
                        )));
                    }
                };
                self.counter.record(Source::Github, Outcome::Ok);
                // Follow `Link: rel="next"`; without one (some proxies drop it), a full page of
                // 100 means there may be more.
                let full = serde_json::from_slice::<Vec<serde::de::IgnoredAny>>(&response.body)
                    .map(|items| items.len() >= 100)
                    .unwrap_or(false);
                let next = next_link(&response.headers).or_else(|| {
                    full.then(|| {
                        format!(
                            "{}&page={}",
                            url.split("&page=").next().unwrap_or(&url),
                            page + 1
                        )
                    })
                });
                let fetched = ReleasePage {
                    etag: response
                        .headers
                        .get(http::header::ETAG)
                        .cloned()
                        .unwrap_or(HeaderValue::from_static("")),
                    releases: decoded,
                    next,
                };
                if !fetched.etag.is_empty() {
                    self.state()
                        .release_pages
                        .insert(url.clone(), fetched.clone());
                }
                fetched
            } else {
                return Err(self.http_error(&response, now));
            };
            for release in &fetched.releases {
                missing.remove(&release.version.minor());
            }
            releases.extend(fetched.releases);
            if missing.is_empty() {
                break;
            }
            next_url = fetched.next;
        }

        // Tags: a patch tagged but without a release object still counts (published at tag time).
        let pairs: Vec<(u64, u64)> = minors.iter().map(|m| (m.major, m.minor)).collect();
        let answer = self
            .graphql(
                cycle,
                &queries::release_tags(&pairs),
                json!({"owner": self.owner, "name": self.repo}),
                now,
            )
            .await?;
        cycle
            .partial_errors
            .extend(answer.partial_errors.iter().cloned());
        let repo = self.repository(&answer)?;
        let known: BTreeSet<PatchVersion> = releases.iter().map(|r| r.version).collect();
        for (major, minor) in pairs {
            let Some(refs) = repo.get(format!("m{major}_{minor}")) else {
                continue;
            };
            let nodes: Nodes<WireTagRef> = serde_json::from_value(refs.clone()).unwrap_or_default();
            for tag in nodes.nodes.into_iter().flatten() {
                let Some(version) = PatchVersion::parse_tag(&tag.name) else {
                    continue;
                };
                if known.contains(&version) || version.minor() != (Minor { major, minor }) {
                    continue;
                }
                let date = tag.target.and_then(|t| {
                    timestamp(t.tagger.and_then(|tg| tg.date).as_deref())
                        .or_else(|| timestamp(t.committed_date.as_deref()))
                        .or_else(|| {
                            t.target
                                .and_then(|inner| timestamp(inner.committed_date.as_deref()))
                        })
                });
                if let Some(published_at) = date.filter(|at| plausible_release_time(*at, now)) {
                    releases.push(PublishedRelease {
                        version,
                        published_at,
                    });
                }
            }
        }
        Ok(releases)
    }
}

/// Kubernetes' first GitHub release is from 2014, and nothing is published in the future
/// (a day of clock skew allowed).
fn plausible_release_time(at: i64, now: i64) -> bool {
    const FIRST_RELEASES: i64 = 1_388_534_400; // 2014-01-01
    (FIRST_RELEASES..=now.saturating_add(86_400)).contains(&at)
}

/// A page that dates a release before Kubernetes existed or in the future is not data: the
/// whole page is rejected and the last good releases kept.
fn plausible_releases(
    releases: Vec<PublishedRelease>,
    now: i64,
) -> Result<Vec<PublishedRelease>, String> {
    match releases
        .iter()
        .find(|r| !plausible_release_time(r.published_at, now))
    {
        Some(bad) => Err(format!(
            "{} is dated {}, which cannot be a publish time",
            bad.version,
            chrono::DateTime::from_timestamp(bad.published_at, 0)
                .map(|t| t.to_rfc3339())
                .unwrap_or_else(|| bad.published_at.to_string())
        )),
        None => Ok(releases),
    }
}

fn header_i64(headers: &HeaderMap, name: &str) -> Option<i64> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
}

/// GitHub's JSON error `message`, or a body excerpt.
fn github_message(body: &[u8]) -> String {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_string))
        .map(|message| super::excerpt(message.as_bytes()))
        .unwrap_or_else(|| super::excerpt(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_header_next_page_is_found() {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::LINK,
            HeaderValue::from_static("<https://api.github.com/repositories/20580498/releases?per_page=100&page=2>; rel=\"next\", <https://api.github.com/repositories/20580498/releases?per_page=100&page=9>; rel=\"last\""),
        );
        assert_eq!(
            next_link(&headers).as_deref(),
            Some("https://api.github.com/repositories/20580498/releases?per_page=100&page=2")
        );
        assert_eq!(next_link(&HeaderMap::new()), None);
    }

    #[test]
    fn prow_padding_and_base_sha_are_parsed_not_shown() {
        let (text, sha) = parse_prow_description(
            "Job failed.\u{2001}\u{2001}\u{2001} BaseSHA:9d8c7b6a5f4e3d2c1b0a99887766554433221100",
        );
        assert_eq!(text, "Job failed.");
        assert_eq!(
            sha.as_deref(),
            Some("9d8c7b6a5f4e3d2c1b0a99887766554433221100")
        );
        let (text, sha) =
            parse_prow_description("EasyCLA check passed. You are authorized to contribute.");
        assert_eq!(
            text,
            "EasyCLA check passed. You are authorized to contribute."
        );
        assert_eq!(sha, None);
        let (_, sha) = parse_prow_description("Job succeeded. Basesha:ABCDEF0123");
        assert_eq!(sha.as_deref(), Some("abcdef0123"));
    }

    #[test]
    fn check_run_conclusions_map_to_states() {
        let run = |status: &str, conclusion: Option<&str>| {
            context_result(WireContext {
                typename: "CheckRun".into(),
                context: None,
                state: None,
                description: None,
                target_url: None,
                created_at: None,
                name: Some("build".into()),
                status: Some(status.into()),
                conclusion: conclusion.map(str::to_string),
                details_url: None,
                started_at: None,
                completed_at: Some("2026-11-20T10:00:00Z".into()),
            })
            .unwrap()
            .state
        };
        assert_eq!(run("COMPLETED", Some("SUCCESS")), ContextState::Success);
        assert_eq!(run("COMPLETED", Some("TIMED_OUT")), ContextState::Failure);
        assert_eq!(run("COMPLETED", Some("SKIPPED")), ContextState::Success);
        assert_eq!(run("IN_PROGRESS", None), ContextState::Pending);
    }
}
