//! The patch release schedule: fetches kubernetes/website `schedule.yaml` (with ETags, so an
//! unchanged file costs nothing to re-read) and parses it with [`crate::release::schedule`].

use std::sync::Mutex;

use http::{HeaderMap, HeaderValue, StatusCode};

use super::{HttpClient, Outcome, RequestCounter, Source, TransportError, classify_status};
use crate::release::schedule::{Schedule, ScheduleError, parse_schedule};

/// Everything that can go wrong reading the schedule.
#[derive(Debug, thiserror::Error)]
pub enum ScheduleFetchError {
    /// No usable response.
    #[error("schedule: {0}")]
    Transport(#[from] TransportError),
    /// A non-2xx answer.
    #[error("schedule: HTTP {status} ({excerpt})")]
    Status {
        /// Status code.
        status: u16,
        /// Body excerpt.
        excerpt: String,
    },
    /// Not a schedule.
    #[error("schedule: {0}")]
    Parse(#[from] ScheduleError),
}

impl ScheduleFetchError {
    /// A short, bounded kind for logs and the status API.
    pub fn kind(&self) -> &'static str {
        match self {
            ScheduleFetchError::Transport(error) => error.outcome().as_str(),
            ScheduleFetchError::Status { status, .. } if *status >= 500 => "server_error",
            ScheduleFetchError::Status { .. } => "client_error",
            ScheduleFetchError::Parse(_) => "decode_error",
        }
    }
}

/// Reads the schedule over HTTP, remembering the last good copy and its ETag.
pub struct ScheduleClient {
    http: HttpClient,
    url: String,
    counter: RequestCounter,
    cached: Mutex<Option<(HeaderValue, Schedule)>>,
}

impl ScheduleClient {
    /// A client for `url`.
    pub fn new(http: HttpClient, url: &str, counter: RequestCounter) -> ScheduleClient {
        ScheduleClient {
            http,
            url: url.to_string(),
            counter,
            cached: Mutex::new(None),
        }
    }

    /// Fetches and parses the schedule (a 304 returns the cached copy).
    pub async fn fetch(&self) -> Result<Schedule, ScheduleFetchError> {
        let cached = self
            .cached
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        let mut headers = HeaderMap::new();
        if let Some((etag, _)) = &cached {
            headers.insert(http::header::IF_NONE_MATCH, etag.clone());
        }
        let response = self
            .http
            .get(&self.url, headers)
            .await
            .inspect_err(|error| {
                self.counter.record(Source::Schedule, error.outcome());
            })?;
        if response.status == StatusCode::NOT_MODIFIED {
            if let Some((_, schedule)) = cached {
                self.counter.record(Source::Schedule, Outcome::NotModified);
                return Ok(schedule);
            }
        }
        if !response.status.is_success() {
            self.counter.record(
                Source::Schedule,
                classify_status(response.status, &response.headers),
            );
            return Err(ScheduleFetchError::Status {
                status: response.status.as_u16(),
                excerpt: response.excerpt(),
            });
        }
        let text = String::from_utf8_lossy(&response.body);
        let schedule = parse_schedule(&text).inspect_err(|_| {
            self.counter.record(Source::Schedule, Outcome::DecodeError);
        })?;
        self.counter.record(Source::Schedule, Outcome::Ok);
        if let Some(etag) = response.headers.get(http::header::ETAG) {
            *self
                .cached
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()) =
                Some((etag.clone(), schedule.clone()));
        }
        Ok(schedule)
    }
}
