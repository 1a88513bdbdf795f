//! What every upstream client shares: the reqwest client with its one timeout, bounded
//! bodies, error text safe for logs, `Retry-After`, RFC 3339 timestamps, and the ETag cache
//! that makes an unchanged document free to read again.

use std::{collections::HashMap, sync::Mutex, time::Duration};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};
use http_body_util::BodyExt;

use super::Outcome;

/// Largest response body accepted from any upstream. TestGrid's biggest summary is a few hundred
/// KiB and a page of 50 PRs with bodies a few MiB; anything beyond this is garbage or an attack.
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// The `User-Agent` sent upstream, so operators can tell who is calling.
pub const USER_AGENT: &str = concat!(
    "branchwatch/",
    env!("CARGO_PKG_VERSION"),
    " (+https://github.com/kubernetes-sigs/branchwatch)"
);

/// The longest wait any upstream header can impose (`Retry-After`, `x-ratelimit-reset`): a
/// bogus value must not silence a source until the process restarts.
pub const MAX_HEADER_WAIT_SECONDS: i64 = 3600;

/// A response read in full (within [`MAX_RESPONSE_BYTES`]).
#[derive(Debug)]
pub struct RawResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl RawResponse {
    /// A short, printable excerpt of the body for error messages (never the whole page).
    pub fn excerpt(&self) -> String {
        excerpt(&self.body)
    }
}

/// The first line or so of an upstream text, bounded and safe to log: an HTML page gives its
/// `<title>`, whitespace collapses, control characters (ESC, BEL...) are dropped.
pub fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(400)]);
    let text = if text.trim_start().starts_with('<') {
        let lower = text.to_ascii_lowercase();
        match (lower.find("<title>"), lower.find("</title>")) {
            // ASCII lowercasing keeps byte offsets, and both tags are ASCII.
            (Some(start), Some(end)) if end > start + 7 => text[start + 7..end].to_string(),
            _ => "an HTML page".to_string(),
        }
    } else {
        text.to_string()
    };
    clean_line(&text, 160)
}

/// Upstream text made safe for one log line or the status API: control characters (ESC, BEL,
/// newlines) dropped, whitespace collapsed, at most `max` characters.
pub fn clean_line(text: &str, max: usize) -> String {
    let one_line: String = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    let mut bounded: String = one_line.chars().take(max).collect();
    if one_line.chars().count() > max {
        bounded.push('…');
    }
    bounded
}

/// Why a request produced no response.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// The whole request took longer than the timeout.
    #[error("no answer within {}", humantime::format_duration(*.0))]
    Timeout(Duration),
    /// Connection-level failure.
    #[error("connection failed: {0}")]
    Connect(String),
    /// The body exceeded [`MAX_RESPONSE_BYTES`].
    #[error("response body larger than {MAX_RESPONSE_BYTES} bytes")]
    TooLarge,
}

impl TransportError {
    /// `Timeout` when anything in the error chain timed out (connecting or reading), else a
    /// connection failure.
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

/// Whether anything in `error`'s chain is a timeout (reqwest's connect timeout, an I/O
/// `TimedOut`, tokio's elapsed deadline).
pub fn is_timeout(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(error) = current {
        if error
            .downcast_ref::<reqwest::Error>()
            .is_some_and(reqwest::Error::is_timeout)
            || error
                .downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::TimedOut)
            || error.is::<tokio::time::error::Elapsed>()
        {
            return true;
        }
        current = error.source();
    }
    false
}

/// An error and its causes on one line (`outer: inner: root`), for logs and the status API.
/// reqwest's own text names the URL, which the caller already names once: it is replaced by
/// what went wrong. Request headers (and so the token) are never part of these messages.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let describe =
        |error: &(dyn std::error::Error + 'static)| match error.downcast_ref::<reqwest::Error>() {
            Some(e) if e.is_connect() => "cannot connect".to_string(),
            Some(e) if e.is_body() || e.is_decode() => "error reading the body".to_string(),
            Some(e) if e.is_request() => "error sending the request".to_string(),
            Some(_) => "request failed".to_string(),
            None => excerpt(error.to_string().as_bytes()),
        };
    let mut text = describe(error);
    let mut source = error.source();
    while let Some(cause) = source {
        let next = describe(cause);
        if !text.ends_with(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = cause.source();
    }
    text
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

/// A plain HTTP GET client for TestGrid and the schedule (GitHub goes through octocrab on the
/// same reqwest client).
#[derive(Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    timeout: Duration,
}

impl HttpClient {
    /// A client whose every request, body included, is bounded by `timeout`.
    pub fn new(timeout: Duration) -> anyhow::Result<HttpClient> {
        // rustls needs one process-wide crypto provider; ring is the small, fast-building one.
        // Installing twice returns Err, which only means someone already did.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .build()?;
        Ok(HttpClient { client, timeout })
    }

    /// The underlying reqwest client (shared with octocrab).
    pub fn reqwest(&self) -> &reqwest::Client {
        &self.client
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
        within(self.timeout, request).await
    }
}

/// Runs a whole exchange within `timeout`: the one bound on a request, body included (reqwest
/// only bounds connecting), which yields a clean `Timeout` however far the request got.
pub async fn within<T>(
    timeout: Duration,
    exchange: impl std::future::Future<Output = Result<T, TransportError>>,
) -> Result<T, TransportError> {
    match tokio::time::timeout(timeout, exchange).await {
        Ok(Err(TransportError::Timeout(_))) | Err(_) => Err(TransportError::Timeout(timeout)),
        Ok(result) => result,
    }
}

/// `at`, but never earlier than `now` and never more than [`MAX_HEADER_WAIT_SECONDS`] ahead.
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

/// When a `Retry-After` value allows the next request, capped at [`MAX_HEADER_WAIT_SECONDS`]
/// from `now`; None when it is neither seconds nor a date.
pub fn retry_after_at(value: &str, now: i64) -> Option<i64> {
    let value = value.trim();
    let at = if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Digits beyond i64 are "a very long time": capped below like any other wait.
        let seconds = value.parse::<i64>().unwrap_or(i64::MAX);
        now.saturating_add(seconds)
    } else {
        chrono::DateTime::parse_from_rfc2822(value)
            .ok()?
            .timestamp()
    };
    Some(capped_wait_until(now, at))
}

/// Unix seconds of an RFC 3339 timestamp (GitHub's and TestGrid's API spell time this way).
pub fn rfc3339(text: Option<&str>) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(text?.trim())
        .ok()
        .map(|t| t.timestamp())
}

/// Conditional GETs: the last good value of each URL with its ETag. A `304 Not Modified` has no
/// body (and no `Link` header), so whatever was derived from the page — its decoded value, its
/// next-page link — comes from here.
pub struct EtagCache<T> {
    entries: Mutex<HashMap<String, (HeaderValue, T)>>,
    capacity: usize,
}

impl<T: Clone> EtagCache<T> {
    /// A cache of at most `capacity` URLs (past that, it starts over: a cold cache only costs
    /// one full read per URL).
    pub fn new(capacity: usize) -> Self {
        EtagCache {
            entries: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, (HeaderValue, T)>> {
        // A poisoned lock only means a poll panicked mid-update; the cache is still usable.
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds `If-None-Match` for `url` when its value is cached.
    pub fn condition(&self, url: &str, headers: &mut HeaderMap) {
        if let Some((etag, _)) = self.entries().get(url) {
            headers.insert(http::header::IF_NONE_MATCH, etag.clone());
        }
    }

    /// The cached value, for a `304` answer.
    pub fn not_modified(&self, url: &str) -> Option<T> {
        self.entries().get(url).map(|(_, value)| value.clone())
    }

    /// Remembers `value` for `url` when the answer had an ETag.
    pub fn store(&self, url: &str, headers: &HeaderMap, value: T) {
        let Some(etag) = headers
            .get(http::header::ETAG)
            .filter(|etag| !etag.is_empty())
        else {
            return;
        };
        let mut entries = self.entries();
        if entries.len() >= self.capacity && !entries.contains_key(url) {
            entries.clear();
        }
        entries.insert(url.to_string(), (etag.clone(), value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_one_bounded_line_without_control_bytes() {
        assert_eq!(
            excerpt(b"<html><head><title>500 Server Error</title></head><body>x</body></html>"),
            "500 Server Error"
        );
        assert_eq!(excerpt(b"oops\x1b[31mred\x07\n  next"), "oops[31mred next");
        let long = "a".repeat(1000);
        assert_eq!(excerpt(long.as_bytes()).chars().count(), 161);
        assert_eq!(
            excerpt("\u{20ac}".repeat(300).as_bytes()).chars().count(),
            134
        );
    }

    #[test]
    fn retry_after_is_seconds_or_a_date_and_capped() {
        let now = 1_795_608_000;
        assert_eq!(retry_after_at("120", now), Some(now + 120));
        assert_eq!(
            retry_after_at("99999999999999999999", now),
            Some(now + 3600)
        );
        assert_eq!(
            retry_after_at("Wed, 25 Nov 2026 12:01:00 GMT", now),
            Some(now + 60)
        );
        assert_eq!(
            retry_after_at("Fri, 31 Dec 9999 23:59:59 GMT", now),
            Some(now + 3600)
        );
        assert_eq!(retry_after_at("-5", now), None);
        assert_eq!(retry_after_at("soon", now), None);
        assert_eq!(capped_wait_until(now, i64::MIN), now);
        assert_eq!(capped_wait_until(i64::MAX, i64::MAX), i64::MAX);
    }

    #[test]
    fn a_304_gives_back_the_cached_value_and_the_cache_is_bounded() {
        let cache: EtagCache<u32> = EtagCache::new(2);
        let mut etag = HeaderMap::new();
        etag.insert(http::header::ETAG, HeaderValue::from_static("\"v1\""));
        cache.store("a", &etag, 1);
        cache.store("b", &HeaderMap::new(), 2);
        let mut headers = HeaderMap::new();
        cache.condition("a", &mut headers);
        assert_eq!(headers.get(http::header::IF_NONE_MATCH).unwrap(), "\"v1\"");
        assert_eq!(cache.not_modified("a"), Some(1));
        assert_eq!(
            cache.not_modified("b"),
            None,
            "no ETag, nothing to revalidate"
        );
        cache.store("b", &etag, 2);
        cache.store("c", &etag, 3);
        assert_eq!(cache.not_modified("a"), None, "over capacity: starts over");
        assert_eq!(cache.not_modified("c"), Some(3));
    }
}
