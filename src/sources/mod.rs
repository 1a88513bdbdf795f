//! The upstreams: fetch and decode only — no domain rules, no orchestration, no clock. Each
//! client counts its requests by outcome; `http` holds what they share.

pub mod github;
pub mod http;
pub mod schedule;
pub mod testgrid;

use ::http::{HeaderMap, StatusCode};
use prometheus::{IntCounter, IntCounterVec};

/// An upstream, as named in the `source` metric label.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// TestGrid summaries and column headers.
    Testgrid,
    /// GitHub GraphQL and REST (PRs, branch heads, releases).
    Github,
    /// kubernetes/website `schedule.yaml` and `eol.yaml`.
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
    /// No complete answer within `request_timeout`, connecting or reading.
    Timeout,
    /// Connection refused, reset, TLS failure, or a body over the size limit.
    TransportError,
    /// A 2xx whose body could not be decoded, or was implausible.
    DecodeError,
    /// Told to slow down (GitHub's primary or secondary limit, a 429).
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

    /// The `outcome` label value, also used as the kind of an error.
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

    /// The outcome of an answer by its status: a 429, or a 403 with `x-ratelimit-remaining: 0`
    /// or `Retry-After` (GitHub's primary and secondary limits), is rate limiting.
    pub fn from_status(status: StatusCode, headers: &HeaderMap) -> Outcome {
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
                && (remaining_zero || headers.contains_key(::http::header::RETRY_AFTER)))
        {
            return Outcome::RateLimited;
        }
        if status.is_server_error() {
            Outcome::ServerError
        } else {
            Outcome::ClientError
        }
    }
}

/// Counts upstream requests by source and outcome (`branchwatch_upstream_requests_total`);
/// cheap to clone and share.
#[derive(Clone)]
pub struct RequestCounter {
    counter: IntCounterVec,
}

impl RequestCounter {
    /// Wraps the counter, with every (source, outcome) pair exported from the start.
    pub fn new(counter: IntCounterVec) -> RequestCounter {
        for source in Source::ALL {
            for outcome in Outcome::ALL {
                counter.with_label_values(&[source.as_str(), outcome.as_str()]);
            }
        }
        RequestCounter { counter }
    }

    /// Counts one request.
    pub fn record(&self, source: Source, outcome: Outcome) {
        self.counter
            .with_label_values(&[source.as_str(), outcome.as_str()])
            .inc();
    }

    /// Requests counted so far for `source` and `outcome` (tests assert exact numbers).
    pub fn count(&self, source: Source, outcome: Outcome) -> u64 {
        self.counter
            .with_label_values(&[source.as_str(), outcome.as_str()])
            .get()
    }
}

/// The counters the poller and the clients increment (registered and exported by `metrics`).
#[derive(Clone)]
pub struct Counters {
    /// `branchwatch_upstream_requests_total{source,outcome}`.
    pub requests: RequestCounter,
    /// `branchwatch_github_graphql_points_total`.
    pub graphql_points: IntCounter,
    /// `branchwatch_github_graphql_errors_total`.
    pub graphql_errors: IntCounter,
    /// `branchwatch_poll_panics_total{source}`.
    pub poll_panics: IntCounterVec,
}
