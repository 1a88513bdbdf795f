//! The upstream sources (TestGrid, GitHub, the patch schedule) and the HTTP plumbing they share:
//! bounded response bodies, per-request timeouts, and counting every request by outcome.

pub mod github;
pub mod schedule;
pub mod testgrid;

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use http_body_util::BodyExt;
use prometheus::IntCounterVec;

/// Largest response body accepted from any upstream. TestGrid's biggest summary is a few hundred
/// KiB and a page of 50 PRs with bodies a few MiB; anything beyond this is garbage or an attack.
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// The `User-Agent` sent upstream, so operators can tell who is calling.
pub const USER_AGENT: &str = concat!(
    "branchwatch/",
    env!("CARGO_PKG_VERSION"),
    " (+https://github.com/kubernetes-sigs/branchwatch)"
);

/// An upstream, as named in the `source` metric label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// TestGrid summaries and column headers.
    Testgrid,
    /// GitHub GraphQL and REST (PRs, branch heads, releases).
    Github,
    /// kubernetes/website `schedule.yaml`.
    Schedule,
}

impl Source {
    /// Every source, in label order.
    pub const ALL: [Source; 3] = [Source::Testgrid, Source::Github, Source::Schedule];

    /// The `source` label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Testgrid => "testgrid",
            Source::Github => "github",
            Source::Schedule => "schedule",
        }
    }
}

/// How one upstream request ended (the bounded `outcome` label).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// 2xx and decoded.
    Ok,
    /// 304: the cached copy is still good (costs no GitHub rate limit).
    NotModified,
    /// 4xx other than rate limiting.
    ClientError,
    /// 5xx.
    ServerError,
    /// No complete answer within `request_timeout`.
    Timeout,
    /// Connection refused, reset, TLS failure, or a body over the size limit.
    TransportError,
    /// A 2xx whose body could not be decoded.
    DecodeError,
    /// GitHub said to slow down (primary or secondary limit).
    RateLimited,
}

impl Outcome {
    /// Every outcome, in label order.
    pub const ALL: [Outcome; 8] = [
        Outcome::Ok,
        Outcome::NotModified,
        Outcome::ClientError,
        Outcome::ServerError,
        Outcome::Timeout,
        Outcome::TransportError,
        Outcome::DecodeError,
        Outcome::RateLimited,
    ];

    /// The `outcome` label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::NotModified => "not_modified",
            Outcome::ClientError => "client_error",
            Outcome::ServerError => "server_error",
            Outcome::Timeout => "timeout",
            Outcome::TransportError => "transport_error",
            Outcome::DecodeError => "decode_error",
            Outcome::RateLimited => "rate_limited",
        }
    }
}

/// Counts upstream requests by source and outcome; cheap to clone and share.
#[derive(Clone)]
pub struct RequestCounter {
    counter: IntCounterVec,
    log: Option<RequestLog>,
}

/// Every request counted, in order (tests only).
type RequestLog = Arc<Mutex<Vec<(Source, Outcome)>>>;

impl RequestCounter {
    /// Wraps the `branchwatch_upstream_requests_total` counter.
    pub fn new(counter: IntCounterVec) -> RequestCounter {
        for source in Source::ALL {
            for outcome in Outcome::ALL {
                counter.with_label_values(&[source.as_str(), outcome.as_str()]);
            }
        }
        RequestCounter { counter, log: None }
    }

    /// A counter that also remembers each request, so tests can assert exact counts.
    pub fn recording(counter: IntCounterVec) -> RequestCounter {
        RequestCounter {
            log: Some(Arc::default()),
            ..RequestCounter::new(counter)
        }
    }

    /// Counts one request.
    pub fn record(&self, source: Source, outcome: Outcome) {
        self.counter
            .with_label_values(&[source.as_str(), outcome.as_str()])
            .inc();
        if let Some(log) = &self.log {
            if let Ok(mut log) = log.lock() {
                log.push((source, outcome));
            }
        }
    }

    /// Requests recorded so far (only for a [`RequestCounter::recording`] counter).
    pub fn recorded(&self) -> Vec<(Source, Outcome)> {
        self.log
            .as_ref()
            .and_then(|log| log.lock().ok().map(|log| log.clone()))
            .unwrap_or_default()
    }
}

/// A response read in full (within [`MAX_RESPONSE_BYTES`]).
#[derive(Debug)]
pub struct RawResponse {
    /// HTTP status.
    pub status: StatusCode,
    /// Response headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
}

impl RawResponse {
    /// A short, printable excerpt of the body for error messages (never the whole page).
    pub fn excerpt(&self) -> String {
        excerpt(&self.body)
    }
}

/// The first line or so of a body, trimmed and bounded, safe to put in a log line.
pub fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(400)]);
    let text = if text.trim_start().starts_with('<') {
        // An HTML error page: its <title> is the useful part.
        let lower = text.to_ascii_lowercase();
        match (lower.find("<title>"), lower.find("</title>")) {
            (Some(start), Some(end)) if end > start + 7 => text[start + 7..end].to_string(),
            _ => "an HTML page".to_string(),
        }
    } else {
        text.to_string()
    };
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut bounded: String = one_line.chars().take(160).collect();
    if one_line.chars().count() > 160 {
        bounded.push('…');
    }
    bounded
}

/// Why a request produced no response.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// The whole request took longer than the timeout.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// Connection-level failure.
    #[error("connection failed: {0}")]
    Connect(String),
    /// The body exceeded [`MAX_RESPONSE_BYTES`].
    #[error("response body larger than {MAX_RESPONSE_BYTES} bytes")]
    TooLarge,
}

impl TransportError {
    /// A failed exchange: `Timeout` when anything in the error chain timed out (connecting or
    /// reading), else a connection failure.
    pub fn from_error(error: &(dyn std::error::Error + 'static), timeout: Duration) -> Self {
        if is_timeout(error) {
            TransportError::Timeout(timeout)
        } else {
            TransportError::Connect(error_chain(error))
        }
    }

    /// The outcome to count.
    pub fn outcome(&self) -> Outcome {
        match self {
            TransportError::Timeout(_) => Outcome::Timeout,
            TransportError::Connect(_) | TransportError::TooLarge => Outcome::TransportError,
        }
    }
}

/// Reads a body up to [`MAX_RESPONSE_BYTES`].
pub async fn read_body<B>(body: B) -> Result<Bytes, TransportError>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let limited = http_body_util::Limited::new(body, MAX_RESPONSE_BYTES);
    match limited.collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) => {
            if error
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                Err(TransportError::TooLarge)
            } else if is_timeout(error.as_ref()) {
                Err(TransportError::Timeout(Duration::ZERO))
            } else {
                Err(TransportError::Connect(error_chain(error.as_ref())))
            }
        }
    }
}

/// A plain HTTP GET client for TestGrid and the schedule (GitHub goes through octocrab).
#[derive(Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    timeout: Duration,
}

impl HttpClient {
    /// A client whose every request, body included, is bounded by `timeout`.
    pub fn new(timeout: Duration) -> anyhow::Result<HttpClient> {
        Ok(HttpClient {
            client: build_reqwest(timeout)?,
            timeout,
        })
    }

    /// The underlying reqwest client (shared with octocrab).
    pub fn reqwest(&self) -> &reqwest::Client {
        &self.client
    }

    /// The per-request timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// GETs `url` with extra headers and reads the whole body.
    pub async fn get(&self, url: &str, headers: HeaderMap) -> Result<RawResponse, TransportError> {
        let request = async {
            let response = self
                .client
                .get(url)
                .headers(headers)
                .send()
                .await
                .map_err(|error| TransportError::from_error(&error, self.timeout))?;
            let status = response.status();
            let headers = response.headers().clone();
            let response: http::Response<reqwest::Body> = response.into();
            let body = read_body(response.into_body()).await?;
            Ok(RawResponse {
                status,
                headers,
                body,
            })
        };
        // The one bound on the whole exchange, body included (reqwest only bounds connecting):
        // it yields a clean `Timeout` however far the request got.
        match tokio::time::timeout(self.timeout, request).await {
            Ok(Err(TransportError::Timeout(_))) | Err(_) => {
                Err(TransportError::Timeout(self.timeout))
            }
            Ok(result) => result,
        }
    }
}

/// Builds the reqwest client used for every upstream.
pub fn build_reqwest(timeout: Duration) -> anyhow::Result<reqwest::Client> {
    install_crypto_provider();
    Ok(reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .build()?)
}

/// Whether anything in `error`'s chain is a timeout (reqwest's connect timeout, an I/O
/// `TimedOut`, tokio's elapsed deadline).
pub fn is_timeout(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(error) = error.downcast_ref::<reqwest::Error>() {
            if error.is_timeout() {
                return true;
            }
        }
        if let Some(error) = error.downcast_ref::<std::io::Error>() {
            if error.kind() == std::io::ErrorKind::TimedOut {
                return true;
            }
        }
        if error.is::<tokio::time::error::Elapsed>() {
            return true;
        }
        current = error.source();
    }
    false
}

/// The longest wait any upstream header can impose (`Retry-After`, `x-ratelimit-reset`): a
/// bogus value must not silence a source until the process restarts.
pub const MAX_HEADER_WAIT_SECONDS: i64 = 3600;

/// `now + seconds`, saturating, and never more than [`MAX_HEADER_WAIT_SECONDS`] ahead.
pub fn capped_wait_until(now: i64, at: i64) -> i64 {
    at.clamp(now, now.saturating_add(MAX_HEADER_WAIT_SECONDS))
}

/// The `Retry-After` header of a response, as sent (delay-seconds or an HTTP date).
pub fn retry_after_header(headers: &HeaderMap) -> Option<String> {
    let value = headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    (!value.is_empty()).then(|| value.chars().take(64).collect())
}

/// When a `Retry-After` value allows the next request, capped at
/// [`MAX_HEADER_WAIT_SECONDS`] from `now`; None when it is neither seconds nor a date.
pub fn retry_after_at(value: &str, now: i64) -> Option<i64> {
    let value = value.trim();
    let at = match value.parse::<u64>() {
        Ok(seconds) => now.saturating_add(i64::try_from(seconds).unwrap_or(i64::MAX)),
        Err(_) => chrono::DateTime::parse_from_rfc2822(value)
            .ok()?
            .timestamp(),
    };
    Some(capped_wait_until(now, at))
}

/// rustls needs one process-wide crypto provider; ring is the small, fast-building one.
fn install_crypto_provider() {
    // Installing twice returns Err, which is fine: someone already did it.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// An error and its causes on one line (`outer: inner: root`), for logs and the status API.
/// Request headers (and so the token) are never part of these messages.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Classifies a status code (GitHub rate limiting is recognised from its headers).
pub fn classify_status(status: StatusCode, headers: &HeaderMap) -> Outcome {
    if status == StatusCode::NOT_MODIFIED {
        return Outcome::NotModified;
    }
    if status.is_success() {
        return Outcome::Ok;
    }
    let remaining_zero = headers
        .get("x-ratelimit-remaining")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim() == "0");
    if status == StatusCode::TOO_MANY_REQUESTS
        || (status == StatusCode::FORBIDDEN
            && (remaining_zero || headers.contains_key("retry-after")))
    {
        return Outcome::RateLimited;
    }
    if status.is_server_error() {
        Outcome::ServerError
    } else {
        Outcome::ClientError
    }
}
