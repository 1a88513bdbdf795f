//! TestGrid: one dashboard's tab summaries (legacy `/summary` JSON or the `/api/v1` API) and a
//! tab's column headers, fetched and decoded (see [`decode`]).

pub mod decode;
pub mod model;

use http::HeaderMap;

use self::{
    decode::{decode_headers, decode_legacy, decode_v1, says_not_found},
    model::{ColumnHeader, DashboardSummary, normalize},
};
use super::{
    Outcome, RequestCounter, Source,
    http::{HttpClient, RawResponse, TransportError, retry_after_header},
};
use crate::config::TestgridApi;

/// Everything that can go wrong reading TestGrid.
#[derive(Debug, thiserror::Error)]
pub enum TestgridError {
    /// No usable response.
    #[error("{dashboard}: {source}")]
    Transport {
        /// Dashboard being read.
        dashboard: String,
        /// What failed.
        source: TransportError,
    },
    /// TestGrid does not know the dashboard.
    #[error("{dashboard}: TestGrid says the dashboard does not exist ({excerpt})")]
    DashboardNotFound {
        /// Dashboard being read.
        dashboard: String,
        /// Body excerpt.
        excerpt: String,
    },
    /// A non-2xx answer.
    #[error("{dashboard}: HTTP {status} from TestGrid ({excerpt})")]
    Status {
        /// Dashboard being read.
        dashboard: String,
        /// HTTP status code.
        status: u16,
        /// Body excerpt.
        excerpt: String,
        /// The `Retry-After` header, if TestGrid (or a proxy) sent one.
        retry_after: Option<String>,
    },
    /// A 2xx answer that is not the JSON we expect (an HTML page, a truncated body...).
    #[error("{dashboard}: TestGrid answered with something that is not a tab summary: {reason}")]
    Decode {
        /// Dashboard being read.
        dashboard: String,
        /// Why decoding failed, with a body excerpt.
        reason: String,
    },
}

impl TestgridError {
    /// A short, bounded kind for logs and the status API.
    pub fn kind(&self) -> &'static str {
        match self {
            TestgridError::Transport { source, .. } => source.outcome().as_str(),
            TestgridError::DashboardNotFound { .. } => "not_found",
            TestgridError::Status { status, .. } if *status >= 500 => "server_error",
            TestgridError::Status { .. } => "client_error",
            TestgridError::Decode { .. } => "decode_error",
        }
    }

    /// The `Retry-After` the answer carried, to be honoured before the next poll.
    pub fn retry_after(&self) -> Option<&str> {
        match self {
            TestgridError::Status { retry_after, .. } => retry_after.as_deref(),
            _ => None,
        }
    }
}

/// Reads TestGrid over HTTP.
#[derive(Clone)]
pub struct TestgridClient {
    http: HttpClient,
    url: String,
    api_url: String,
    api: TestgridApi,
    counter: RequestCounter,
}

impl TestgridClient {
    /// A client for the configured surface.
    pub fn new(
        http: HttpClient,
        url: &str,
        api_url: &str,
        api: TestgridApi,
        counter: RequestCounter,
    ) -> TestgridClient {
        TestgridClient {
            http,
            url: url.trim_end_matches('/').to_string(),
            api_url: api_url.trim_end_matches('/').to_string(),
            api,
            counter,
        }
    }

    async fn get(&self, dashboard: &str, url: &str) -> Result<RawResponse, TestgridError> {
        let response = self
            .http
            .get(url, HeaderMap::new())
            .await
            .map_err(|source| {
                self.counter.record(Source::Testgrid, source.outcome());
                TestgridError::Transport {
                    dashboard: dashboard.to_string(),
                    source,
                }
            })?;
        if !response.status.is_success() {
            let outcome = Outcome::from_status(response.status, &response.headers);
            self.counter.record(Source::Testgrid, outcome);
            // Only a 404 that says so is "no such dashboard": a 500 page mentioning "file not
            // found", or a proxy's HTML 404, is an outage.
            if response.status == http::StatusCode::NOT_FOUND && says_not_found(&response.body) {
                return Err(TestgridError::DashboardNotFound {
                    dashboard: dashboard.to_string(),
                    excerpt: response.excerpt(),
                });
            }
            return Err(TestgridError::Status {
                dashboard: dashboard.to_string(),
                status: response.status.as_u16(),
                excerpt: response.excerpt(),
                retry_after: retry_after_header(&response.headers),
            });
        }
        Ok(response)
    }

    fn count_decode<T>(&self, result: Result<T, TestgridError>) -> Result<T, TestgridError> {
        let outcome = match &result {
            Ok(_) => Outcome::Ok,
            Err(TestgridError::DashboardNotFound { .. }) => Outcome::ClientError,
            Err(_) => Outcome::DecodeError,
        };
        self.counter.record(Source::Testgrid, outcome);
        result
    }

    /// Fetches one dashboard's tab summaries.
    pub async fn dashboard(&self, dashboard: &str) -> Result<DashboardSummary, TestgridError> {
        let url = match self.api {
            TestgridApi::Legacy => format!("{}/{}/summary", self.url, dashboard),
            TestgridApi::V1 => format!(
                "{}/api/v1/dashboards/{}/tab-summaries",
                self.api_url, dashboard
            ),
        };
        let response = self.get(dashboard, &url).await?;
        self.count_decode(match self.api {
            TestgridApi::Legacy => decode_legacy(dashboard, &response.body),
            TestgridApi::V1 => decode_v1(dashboard, &response.body),
        })
    }

    /// Fetches a tab's column headers (always from the v1 API).
    pub async fn headers(
        &self,
        dashboard: &str,
        tab: &str,
    ) -> Result<Vec<ColumnHeader>, TestgridError> {
        let url = format!(
            "{}/api/v1/dashboards/{}/tabs/{}/headers",
            self.api_url,
            normalize(dashboard),
            normalize(tab)
        );
        let response = self.get(dashboard, &url).await?;
        self.count_decode(decode_headers(dashboard, &response.body))
    }
}
