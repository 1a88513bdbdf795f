//! The patch schedule and the end-of-life list: fetches kubernetes/website `schedule.yaml` and
//! `eol.yaml` (with ETags, so an unchanged file costs nothing to re-read) and parses them with
//! [`crate::k8s::schedule`] and [`crate::k8s::eol`].

use http::{HeaderMap, StatusCode};

use super::{
    Outcome, RequestCounter, Source,
    http::{EtagCache, HttpClient, TransportError, retry_after_header},
};
use crate::k8s::{
    eol::{EndOfLife, parse_eol},
    schedule::{Schedule, ScheduleError, parse_schedule},
};

/// Everything that can go wrong reading the schedule or the end-of-life list.
#[derive(Debug, thiserror::Error)]
pub enum ScheduleFetchError {
    /// No usable response.
    #[error("{file}: {source}")]
    Transport {
        /// `schedule.yaml` or `eol.yaml`.
        file: &'static str,
        /// What failed.
        source: TransportError,
    },
    /// A non-2xx answer.
    #[error("{file}: HTTP {status} ({excerpt})")]
    Status {
        /// `schedule.yaml` or `eol.yaml`.
        file: &'static str,
        /// Status code.
        status: u16,
        /// Body excerpt.
        excerpt: String,
        /// The `Retry-After` header, if any.
        retry_after: Option<String>,
    },
    /// Not a schedule (or not an end-of-life list).
    #[error("{file}: {source}")]
    Parse {
        /// `schedule.yaml` or `eol.yaml`.
        file: &'static str,
        /// Why.
        source: ScheduleError,
    },
}

impl ScheduleFetchError {
    /// A short, bounded kind for logs and the status API.
    pub fn kind(&self) -> &'static str {
        match self {
            ScheduleFetchError::Transport { source, .. } => source.outcome().as_str(),
            ScheduleFetchError::Status { status, .. } if *status >= 500 => "server_error",
            ScheduleFetchError::Status { .. } => "client_error",
            ScheduleFetchError::Parse { .. } => "decode_error",
        }
    }

    /// The `Retry-After` the answer carried.
    pub fn retry_after(&self) -> Option<&str> {
        match self {
            ScheduleFetchError::Status { retry_after, .. } => retry_after.as_deref(),
            _ => None,
        }
    }
}

/// Reads both files over HTTP, remembering the last good copy of each and its ETag.
pub struct ScheduleClient {
    http: HttpClient,
    url: String,
    eol_url: String,
    counter: RequestCounter,
    schedule: EtagCache<Schedule>,
    eol: EtagCache<EndOfLife>,
}

impl ScheduleClient {
    /// A client for the schedule at `url` and the end-of-life list at `eol_url`.
    pub fn new(
        http: HttpClient,
        url: &str,
        eol_url: &str,
        counter: RequestCounter,
    ) -> ScheduleClient {
        ScheduleClient {
            http,
            url: url.to_string(),
            eol_url: eol_url.to_string(),
            counter,
            schedule: EtagCache::new(1),
            eol: EtagCache::new(1),
        }
    }

    /// Fetches and parses `schedule.yaml` (a 304 returns the cached copy).
    pub async fn fetch(&self) -> Result<Schedule, ScheduleFetchError> {
        self.conditional("schedule.yaml", &self.url, &self.schedule, parse_schedule)
            .await
    }

    /// Fetches and parses `eol.yaml` (a 304 returns the cached copy).
    pub async fn fetch_eol(&self) -> Result<EndOfLife, ScheduleFetchError> {
        self.conditional("eol.yaml", &self.eol_url, &self.eol, parse_eol)
            .await
    }

    async fn conditional<T: Clone>(
        &self,
        file: &'static str,
        url: &str,
        cache: &EtagCache<T>,
        parse: fn(&str) -> Result<T, ScheduleError>,
    ) -> Result<T, ScheduleFetchError> {
        let mut headers = HeaderMap::new();
        cache.condition(url, &mut headers);
        let response = self.http.get(url, headers).await.map_err(|source| {
            self.counter.record(Source::Schedule, source.outcome());
            ScheduleFetchError::Transport { file, source }
        })?;
        if response.status == StatusCode::NOT_MODIFIED {
            if let Some(value) = cache.not_modified(url) {
                self.counter.record(Source::Schedule, Outcome::NotModified);
                return Ok(value);
            }
        }
        if !response.status.is_success() {
            self.counter.record(
                Source::Schedule,
                Outcome::from_status(response.status, &response.headers),
            );
            return Err(ScheduleFetchError::Status {
                file,
                status: response.status.as_u16(),
                excerpt: response.excerpt(),
                retry_after: retry_after_header(&response.headers),
            });
        }
        // A UTF-8 BOM is no part of the YAML (some editors add one).
        let text = String::from_utf8_lossy(&response.body);
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        let value = parse(text).map_err(|source| {
            self.counter.record(Source::Schedule, Outcome::DecodeError);
            ScheduleFetchError::Parse { file, source }
        })?;
        self.counter.record(Source::Schedule, Outcome::Ok);
        cache.store(url, &response.headers, value.clone());
        Ok(value)
    }
}
