//! Reads a running branchwatch's snapshot from its `/api/v1/status`, for `report --from`: one
//! GET through the shared HTTP client (its timeout and body cap), the answer decoded into a
//! [`Snapshot`]. A URL with a user name, password, query or fragment is refused before any
//! request, so no message ever has a credential to print.

use std::time::Duration;

use http::{HeaderMap, HeaderValue, header::ACCEPT};

use crate::{
    snapshot::Snapshot,
    sources::http::{HttpClient, clean_line},
};

/// Where a branchwatch serves its snapshot.
const STATUS_PATH: &str = "/api/v1/status";

/// Why `--from` gave no snapshot.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RemoteError {
    /// The URL is not one to read. The message never repeats the URL: it may hold a secret.
    #[error("--from: {0}")]
    BadUrl(String),
    /// The instance could not be read, or did not answer with a status.
    #[error("cannot read {url}: {reason}")]
    Unreadable {
        /// The status URL (checked to hold no credentials).
        url: String,
        /// What went wrong, on one line.
        reason: String,
    },
}

/// The status URL of an instance: `http://host:9850`, `http://host/prefix/` or the full
/// `…/api/v1/status`.
pub(crate) fn status_url(text: &str) -> Result<reqwest::Url, RemoteError> {
    let bad = |why: &str| Err(RemoteError::BadUrl(why.to_string()));
    let mut url = match reqwest::Url::parse(text.trim()) {
        Ok(url) => url,
        Err(error) => {
            return Err(RemoteError::BadUrl(format!(
                "not a URL ({error}); give a running branchwatch's base URL, e.g. http://localhost:9850"
            )));
        }
    };
    if !matches!(url.scheme(), "http" | "https") {
        return bad("the URL's scheme is not http or https");
    }
    // Credentials in a URL end up in shell history, logs and error messages; the status API
    // needs none.
    if !url.username().is_empty() || url.password().is_some() {
        return bad(
            "the URL carries a user name or password; the status API needs none, and credentials do not belong in a URL",
        );
    }
    if url.query().is_some() || url.fragment().is_some() {
        return bad("the URL has a query or a fragment; give the base URL or its /api/v1/status");
    }
    let base = url.path().trim_end_matches('/');
    let base = base.strip_suffix(STATUS_PATH).unwrap_or(base).to_string();
    url.set_path(&format!("{base}{STATUS_PATH}"));
    Ok(url)
}

/// The snapshot a running instance serves at `text` (see [`status_url`]), within `timeout`.
pub(crate) async fn fetch_snapshot(text: &str, timeout: Duration) -> Result<Snapshot, RemoteError> {
    let url = status_url(text)?;
    let unreadable = |reason: String| RemoteError::Unreadable {
        url: url.to_string(),
        reason,
    };
    let client =
        HttpClient::new(timeout).map_err(|error| unreadable(format!("no HTTP client: {error}")))?;
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    let response = client
        .get(url.as_str(), headers)
        .await
        .map_err(|error| unreadable(error.to_string()))?;
    if !response.status.is_success() {
        return Err(unreadable(format!(
            "it answered {}: {}",
            response.status,
            response.excerpt()
        )));
    }
    serde_json::from_slice(&response.body).map_err(|error| {
        unreadable(format!(
            "the answer is not a branchwatch status ({})",
            clean_line(&error.to_string(), 200)
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> String {
        status_url(text).map(|url| url.to_string()).unwrap()
    }

    fn refusal(text: &str) -> String {
        status_url(text).unwrap_err().to_string()
    }

    #[test]
    fn a_base_url_or_the_status_url_both_read_the_status() {
        for base in [
            "http://localhost:9850",
            "http://localhost:9850/",
            " http://localhost:9850/api/v1/status ",
            "http://localhost:9850/api/v1/status/",
        ] {
            assert_eq!(url(base), "http://localhost:9850/api/v1/status", "{base}");
        }
        assert_eq!(
            url("https://branchwatch.example/prefix/"),
            "https://branchwatch.example/prefix/api/v1/status"
        );
    }

    #[test]
    fn urls_with_credentials_queries_or_other_schemes_are_refused_without_repeating_them() {
        for (text, expected) in [
            ("http://alice:s3cret@host:9850/", "user name or password"),
            ("https://ghp_tokenvalue@host/", "user name or password"),
            ("http://host/?token=s3cret", "query or a fragment"),
            ("http://host/#s3cret", "query or a fragment"),
            ("file:///etc/s3cret", "not http or https"),
            ("s3cret", "not a URL"),
            ("http://s3cret:99999999/", "not a URL"),
        ] {
            let message = refusal(text);
            assert!(message.contains(expected), "{text}: {message}");
            for secret in ["s3cret", "alice", "ghp_"] {
                assert!(!message.contains(secret), "{text}: {message}");
            }
        }
    }
}
