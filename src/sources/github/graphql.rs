//! Sending to GitHub: one exchange within the timeout, the rate limit read from every answer
//! (headers and GraphQL's `rateLimit`), the budget that keeps requests back until GitHub allows
//! them, and GraphQL's envelope with its partial errors.

use std::collections::BTreeMap;

use http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::json;

use super::{
    GithubClient,
    error::{GithubError, github_message},
    model::{RateLimit, Spend},
    wire::{Data, Envelope},
};
use crate::sources::{
    Outcome, Source,
    http::{
        MAX_HEADER_WAIT_SECONDS, RawResponse, TransportError, capped_wait_until, read_body,
        retry_after_at, retry_after_header, rfc3339, within,
    },
};

/// Points kept in reserve: no query is sent when fewer remain before the reset.
pub(super) const GRAPHQL_RESERVE_POINTS: i64 = 25;

/// What GitHub said about its limits, kept across polls.
#[derive(Default)]
pub(super) struct Budget {
    /// Last reading per resource (`core`, `graphql`, `search`).
    pub limits: BTreeMap<String, RateLimit>,
    /// While fewer than the reserve of GraphQL points is left: no query before this time (the
    /// reset, capped when it was read, so that a bogus reset cannot silence GitHub for good).
    graphql_until: Option<i64>,
    /// GitHub asked us not to send anything before this time (unix seconds), and why.
    not_before: Option<(i64, String)>,
}

impl Budget {
    fn note_graphql(&mut self, remaining: i64, reset_at: Option<i64>, now: i64) {
        self.graphql_until = (remaining < GRAPHQL_RESERVE_POINTS).then(|| {
            capped_wait_until(
                now,
                reset_at.unwrap_or(now.saturating_add(MAX_HEADER_WAIT_SECONDS)),
            )
        });
        self.limits.insert(
            "graphql".to_string(),
            RateLimit {
                remaining: remaining.max(0),
                reset_at,
            },
        );
    }

    /// The budget of `resource` is spent: exported as 0 left.
    fn exhausted(&mut self, resource: &str, reset_at: Option<i64>) {
        let limit = self
            .limits
            .entry(resource.to_string())
            .or_insert(RateLimit {
                remaining: 0,
                reset_at,
            });
        limit.remaining = 0;
        limit.reset_at = reset_at.or(limit.reset_at);
    }
}

/// A GraphQL answer: its data, and the errors that came with usable data.
pub(super) struct Answer<T> {
    pub body: T,
}

fn header_i64(headers: &HeaderMap, name: &str) -> Option<i64> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
}

fn retry_after_seconds(headers: &HeaderMap) -> Option<u64> {
    header_i64(headers, "retry-after").map(|s| s.max(0).unsigned_abs())
}

impl GithubClient {
    /// Sends a request through octocrab and reads the whole body, within the timeout.
    /// `resource` names the endpoint's budget when GitHub does not say.
    pub(super) async fn send(
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
            let body = read_body(body).await?;
            Ok(RawResponse {
                status: parts.status,
                headers: parts.headers,
                body,
            })
        };
        within(self.timeout, exchange).await.map_err(|error| {
            self.counter.record(Source::Github, error.outcome());
            GithubError::Transport(error)
        })
    }

    /// Rate limits by resource, as last reported (exported on every poll, failed ones too).
    pub fn rate_limits(&self) -> BTreeMap<String, RateLimit> {
        self.budget().limits.clone()
    }

    /// Reads `x-ratelimit-*` from any response.
    fn record_limits(&self, headers: &HeaderMap, resource: &'static str, now: i64) {
        let Some(remaining) = header_i64(headers, "x-ratelimit-remaining") else {
            return;
        };
        let named = headers
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
        let mut budget = self.budget();
        if named == "graphql" {
            budget.note_graphql(remaining, reset_at, now);
        } else {
            budget.limits.insert(
                named,
                RateLimit {
                    remaining: remaining.max(0),
                    reset_at,
                },
            );
        }
    }

    /// Turns a non-2xx answer into the specific error, counting it. A rate limit, or any
    /// `Retry-After`, holds every request back until GitHub allows it, whoever asks.
    pub(super) fn http_error(&self, response: &RawResponse, now: i64) -> GithubError {
        let outcome = Outcome::from_status(response.status, &response.headers);
        self.counter.record(Source::Github, outcome);
        let message = github_message(&response.body);
        if outcome == Outcome::RateLimited {
            let error = GithubError::RateLimited {
                message: message.clone(),
                reset_at: header_i64(&response.headers, "x-ratelimit-reset"),
                retry_after: retry_after_seconds(&response.headers),
            };
            let mut budget = self.budget();
            if let Some(at) = error.retry_not_before(now) {
                budget.not_before = Some((at, message));
            }
            let resource = response
                .headers
                .get("x-ratelimit-resource")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("graphql")
                .to_string();
            budget.exhausted(
                &resource,
                header_i64(&response.headers, "x-ratelimit-reset"),
            );
            return error;
        }
        let retry_at =
            retry_after_header(&response.headers).and_then(|value| retry_after_at(&value, now));
        if let Some(at) = retry_at {
            self.budget().not_before = Some((at, format!("HTTP {}", response.status.as_u16())));
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

    /// Refuses to send anything before GitHub allows it, or a query while the budget is spent.
    pub(super) fn check_budget(&self, now: i64) -> Result<(), GithubError> {
        let budget = self.budget();
        if let Some((at, message)) = &budget.not_before {
            if *at > now {
                return Err(GithubError::RateLimited {
                    message: format!("still waiting after: {message}"),
                    reset_at: Some(*at),
                    retry_after: None,
                });
            }
        }
        if let (Some(until), Some(limit)) = (budget.graphql_until, budget.limits.get("graphql")) {
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

    /// Sends one GraphQL document and decodes its data as `T`; errors that came with usable
    /// data are added to `spend`.
    pub(super) async fn graphql<T: DeserializeOwned>(
        &self,
        spend: &mut Spend,
        query: &str,
        variables: serde_json::Value,
        now: i64,
    ) -> Result<Answer<T>, GithubError> {
        self.check_budget(now)?;
        let octo = self.octo()?;
        let body = json!({ "query": query, "variables": variables });
        let url = format!("{}/graphql", self.api_url);
        spend.graphql_queries = spend.graphql_queries.saturating_add(1);
        let response = self
            .send(octo._post(url, Some(&body)), "graphql", now)
            .await?;
        if !response.status.is_success() {
            return Err(self.http_error(&response, now));
        }
        let decode_error = |what: String| {
            self.counter.record(Source::Github, Outcome::DecodeError);
            GithubError::Decode(what)
        };
        let envelope: Envelope = serde_json::from_slice(&response.body).map_err(|error| {
            decode_error(format!(
                "GraphQL response is not JSON ({error}): {}",
                response.excerpt()
            ))
        })?;
        let errors = envelope.errors.unwrap_or_default();
        if let Some(rate_limited) = errors.iter().find(|e| e.is_rate_limit()) {
            self.counter.record(Source::Github, Outcome::RateLimited);
            let message = crate::sources::http::excerpt(rate_limited.message.as_bytes());
            let mut budget = self.budget();
            let reset_at = header_i64(&response.headers, "x-ratelimit-reset")
                .or_else(|| budget.limits.get("graphql").and_then(|l| l.reset_at));
            budget.exhausted("graphql", reset_at);
            let error = GithubError::RateLimited {
                message: message.clone(),
                reset_at,
                retry_after: retry_after_seconds(&response.headers),
            };
            if let Some(at) = error.retry_not_before(now) {
                budget.not_before = Some((at, message));
            }
            return Err(error);
        }
        if let Some(forbidden) = errors.iter().find(|e| e.is_forbidden()) {
            self.counter.record(Source::Github, Outcome::ClientError);
            return Err(GithubError::Forbidden {
                repo: self.repo_name(),
                message: crate::sources::http::excerpt(forbidden.message.as_bytes()),
            });
        }
        let Some(data) = envelope.data.filter(serde_json::Value::is_object) else {
            let messages: Vec<String> = errors.iter().map(|e| e.message.clone()).collect();
            self.counter.record(Source::Github, Outcome::DecodeError);
            return Err(if messages.is_empty() {
                GithubError::Decode("GraphQL response has no data".to_string())
            } else {
                GithubError::Graphql(crate::sources::http::excerpt(
                    messages.join("; ").as_bytes(),
                ))
            });
        };
        let data: Data<T> = serde_json::from_value(data).map_err(|error| {
            decode_error(format!("GraphQL data of an unexpected shape: {error}"))
        })?;
        if let Some(rate) = data.rate_limit {
            let cost = u32::try_from(rate.cost.unwrap_or(0).max(0)).unwrap_or(u32::MAX);
            spend.graphql_points = spend.graphql_points.saturating_add(cost);
            self.points.inc_by(u64::from(cost));
            if let Some(remaining) = rate.remaining {
                self.budget()
                    .note_graphql(remaining, rfc3339(rate.reset_at.as_deref()), now);
            }
        }
        self.counter.record(Source::Github, Outcome::Ok);
        for error in errors {
            spend.partial_error(crate::sources::http::excerpt(error.describe().as_bytes()));
        }
        Ok(Answer { body: data.body })
    }
}
