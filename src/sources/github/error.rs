//! Everything that can go wrong talking to GitHub, with a bounded kind for logs and the status
//! API and the earliest time GitHub allows the next attempt. Messages never contain the token.

use serde_json::Value;

use crate::sources::http::{TransportError, capped_wait_until, excerpt};

/// Everything that can go wrong talking to GitHub.
#[derive(Debug, thiserror::Error)]
pub enum GithubError {
    /// No token configured, or `github.token_file` names a file that does not exist.
    #[error(
        "no GitHub token: {}set GITHUB_TOKEN or github.token_file (GitHub's GraphQL API refuses anonymous calls)",
        file.as_ref().map(|f| format!("github.token_file {f} does not exist (is the Secret mounted?); ")).unwrap_or_default()
    )]
    MissingToken {
        /// The configured token file that is not there.
        file: Option<String>,
    },
    #[error(
        "GitHub rejected the token (401 {message}); check that GITHUB_TOKEN / github.token_file holds a valid, unexpired token"
    )]
    Unauthorized { message: String },
    /// A 403 that is not rate limiting, or a GraphQL FORBIDDEN error.
    #[error(
        "GitHub refused access to {repo} (403 {message}); the token needs read access to the repository (and SSO authorisation for its org)"
    )]
    Forbidden { repo: String, message: String },
    /// The repository does not exist or the token cannot see it.
    #[error("repository {repo} not found, or the token cannot see it ({message})")]
    RepoNotFound { repo: String, message: String },
    /// Primary or secondary rate limit, however GitHub said it.
    #[error("GitHub rate limit reached ({message}); waiting until {}", describe_reset(*reset_at, *retry_after))]
    RateLimited {
        message: String,
        /// When the limit resets, unix seconds.
        reset_at: Option<i64>,
        /// `Retry-After` seconds on a secondary limit.
        retry_after: Option<u64>,
    },
    /// Another non-2xx answer.
    #[error("HTTP {status} from GitHub ({excerpt})")]
    Status {
        status: u16,
        excerpt: String,
        /// When `Retry-After` allows the next request (capped), if the answer had one.
        retry_at: Option<i64>,
    },
    /// No usable answer.
    #[error("GitHub request failed: {0}")]
    Transport(#[from] TransportError),
    /// A body that is not what the query asked for, or is implausible.
    #[error("GitHub answered with something unexpected: {0}")]
    Decode(String),
    /// GraphQL errors and no usable data.
    #[error("GitHub GraphQL errors: {0}")]
    Graphql(String),
}

impl GithubError {
    /// The message to show in embargo-safe mode: what could carry text from PR bodies or titles
    /// (an excerpt of an undecodable answer, a GraphQL error message, a status page) is
    /// withheld; the kind of failure and the rate-limit timing stay.
    pub fn embargo_safe_message(&self) -> String {
        match self {
            GithubError::Decode(_) => {
                "GitHub answered with something unexpected (details withheld: privacy.embargo)"
                    .to_string()
            }
            GithubError::Graphql(_) => {
                "GitHub GraphQL errors (details withheld: privacy.embargo)".to_string()
            }
            GithubError::Status {
                status, retry_at, ..
            } => GithubError::Status {
                status: *status,
                excerpt: "body withheld: privacy.embargo".to_string(),
                retry_at: *retry_at,
            }
            .to_string(),
            other => other.to_string(),
        }
    }
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
            GithubError::MissingToken { .. } => "missing_token",
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
    /// never more than an hour ahead, whatever the headers say.
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
        Some(capped_wait_until(now, at))
    }
}

/// GitHub's JSON error `message`, or a body excerpt.
pub(super) fn github_message(body: &[u8]) -> String {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_string))
        .map(|message| excerpt(message.as_bytes()))
        .unwrap_or_else(|| excerpt(body))
}
