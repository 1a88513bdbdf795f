//! TestGrid: fetches dashboard tab summaries (legacy `/summary` JSON or the `/api/v1` API) and
//! column headers, and decodes both surfaces into one model, quirks included.
//!
//! Quirks handled (see `shared/reference/testgrid-api.md`): `last_run_timestamp` in milliseconds
//! before late 2021 (a value above 1e11 is taken as ms), empty or missing `overall_status`,
//! unknown status strings (UNKNOWN, not an error), `latest_green: "no recent greens"`, epoch-zero
//! timestamps meaning "never", tab names with spaces and commas, HTML error pages and
//! `Dashboard X not found` bodies.

use std::collections::BTreeMap;

use http::HeaderMap;
use serde::{Deserialize, Serialize};

use super::{HttpClient, Outcome, RawResponse, RequestCounter, Source, TransportError};
use crate::config::TestgridApi;

/// A tab's overall status as TestGrid reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TabStatus {
    /// All recent columns green.
    Passing,
    /// Some non-passing cells in recent columns.
    Flaky,
    /// A row has an active alert (consecutive failures).
    Failing,
    /// No new results for too long.
    Stale,
    /// Too many failing cells in a column.
    Broken,
    /// Too few completed runs yet.
    Pending,
    /// Flaky within the accepted threshold.
    Acceptable,
    /// Empty, missing or unrecognised status.
    Unknown,
}

impl TabStatus {
    /// Every status, in label order.
    pub const ALL: [TabStatus; 8] = [
        TabStatus::Passing,
        TabStatus::Flaky,
        TabStatus::Failing,
        TabStatus::Stale,
        TabStatus::Broken,
        TabStatus::Pending,
        TabStatus::Acceptable,
        TabStatus::Unknown,
    ];

    /// Parses TestGrid's string; anything unrecognised (or empty) is `Unknown`.
    pub fn parse(text: &str) -> TabStatus {
        match text.trim().to_ascii_uppercase().as_str() {
            "PASSING" | "PASS" => TabStatus::Passing,
            "FLAKY" => TabStatus::Flaky,
            "FAILING" | "FAIL" => TabStatus::Failing,
            "STALE" => TabStatus::Stale,
            "BROKEN" => TabStatus::Broken,
            "PENDING" => TabStatus::Pending,
            "ACCEPTABLE" => TabStatus::Acceptable,
            _ => TabStatus::Unknown,
        }
    }

    /// TestGrid's spelling, used as the `status` label.
    pub fn as_str(self) -> &'static str {
        match self {
            TabStatus::Passing => "PASSING",
            TabStatus::Flaky => "FLAKY",
            TabStatus::Failing => "FAILING",
            TabStatus::Stale => "STALE",
            TabStatus::Broken => "BROKEN",
            TabStatus::Pending => "PENDING",
            TabStatus::Acceptable => "ACCEPTABLE",
            TabStatus::Unknown => "UNKNOWN",
        }
    }
}

/// One failing row of a tab.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FailingTest {
    /// Row name, e.g. `Overall` or a test name.
    pub name: String,
    /// Failures in the current streak.
    pub fail_count: u32,
    /// Unix seconds of the first failure in the streak.
    pub first_failure: Option<i64>,
}

/// One tab's summary, from either surface.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TabSummary {
    /// The tab name exactly as TestGrid shows it (may contain spaces and commas).
    pub name: String,
    /// Overall status.
    pub status: TabStatus,
    /// Start of the newest run, unix seconds; None when nothing ran.
    pub last_run: Option<i64>,
    /// When TestGrid last wrote the tab's data, unix seconds.
    pub last_update: Option<i64>,
    /// Commit (short SHA) of the newest all-green run; None for "no recent greens".
    pub latest_green: Option<String>,
    /// Number of failing (alerting) test rows.
    pub failing_tests: u32,
    /// Up to a few failing rows, for the status API.
    pub top_failures: Vec<FailingTest>,
    /// TestGrid's human status text, e.g. "Tab stats: 8 of 10 (80.0%) recent columns passed ...".
    pub message: String,
}

/// One dashboard's tabs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DashboardSummary {
    /// Dashboard name, e.g. `sig-release-1.34-blocking`.
    pub name: String,
    /// Tabs in display order (v1) or name order (legacy, whose JSON object is unordered).
    pub tabs: Vec<TabSummary>,
}

/// One column (run) header of a tab: which commit it tested.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ColumnHeader {
    /// Build ID.
    pub build: String,
    /// Run start, unix seconds.
    pub started: Option<i64>,
    /// Commit the run tested (short or long SHA); None while unknown (e.g. still running).
    pub commit: Option<String>,
}

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

// === decoding: legacy /summary ===

#[derive(Deserialize)]
struct LegacyTab {
    #[serde(default)]
    alert: Option<String>,
    #[serde(default)]
    last_run_timestamp: Option<f64>,
    #[serde(default)]
    last_update_timestamp: Option<f64>,
    #[serde(default)]
    latest_green: Option<String>,
    #[serde(default)]
    overall_status: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    tests: Option<Vec<LegacyTest>>,
}

impl LegacyTab {
    fn looks_like_a_summary(&self) -> bool {
        self.overall_status.is_some()
            || self.last_run_timestamp.is_some()
            || self.last_update_timestamp.is_some()
            || self.latest_green.is_some()
            || self.status.is_some()
            || self.tests.is_some()
            || self.alert.is_some()
    }
}

#[derive(Deserialize)]
struct LegacyTest {
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    test_name: Option<String>,
    #[serde(default)]
    fail_count: Option<f64>,
    #[serde(default)]
    fail_timestamp: Option<f64>,
}

/// Unix seconds from a legacy numeric timestamp: 0 means never; above 1e11 it is milliseconds.
fn legacy_seconds(value: Option<f64>) -> Option<i64> {
    let value = value?;
    if !value.is_finite() || value <= 0.0 {
        return None;
    }
    let seconds = if value > 1e11 { value / 1000.0 } else { value };
    plausible_time(seconds.floor() as i64)
}

/// TestGrid did not exist before 2014 and this code will not run past 2100: a timestamp
/// outside that range is garbage, not a time (and must not mask staleness).
fn plausible_time(seconds: i64) -> Option<i64> {
    const EARLIEST: i64 = 1_388_534_400; // 2014-01-01
    const LATEST: i64 = 4_102_444_800; // 2100-01-01
    (EARLIEST..LATEST).contains(&seconds).then_some(seconds)
}

fn latest_green(value: Option<String>) -> Option<String> {
    value
        .map(|text| text.trim().to_string())
        .filter(|text| !text.is_empty() && text != "no recent greens" && text != "missing")
}

/// Decodes a legacy `/<dashboard>/summary` body.
pub fn decode_legacy(dashboard: &str, body: &[u8]) -> Result<DashboardSummary, TestgridError> {
    check_not_html(dashboard, body)?;
    let tabs: BTreeMap<String, LegacyTab> =
        serde_json::from_slice(body).map_err(|error| decode_error(dashboard, body, &error))?;
    // A well-formed answer that is not a summary (`{"foo": {}}`) is not "a tab named foo".
    if let Some((name, _)) = tabs.iter().find(|(_, tab)| !tab.looks_like_a_summary()) {
        return Err(TestgridError::Decode {
            dashboard: dashboard.to_string(),
            reason: format!(
                "entry {:?} has none of the fields of a tab summary",
                super::excerpt(name.as_bytes())
            ),
        });
    }
    let tabs = tabs
        .into_iter()
        .map(|(name, tab)| {
            let tests = tab.tests.unwrap_or_default();
            let status = TabStatus::parse(tab.overall_status.as_deref().unwrap_or(""));
            let mut message = tab.status.unwrap_or_default();
            if let Some(alert) = tab.alert.filter(|alert| !alert.is_empty()) {
                if !message.contains(&alert) {
                    message = if message.is_empty() {
                        alert
                    } else {
                        format!("{message} ({alert})")
                    };
                }
            }
            TabSummary {
                name,
                status,
                last_run: legacy_seconds(tab.last_run_timestamp),
                last_update: legacy_seconds(tab.last_update_timestamp),
                latest_green: latest_green(tab.latest_green),
                failing_tests: tests.len() as u32,
                top_failures: tests
                    .iter()
                    .take(5)
                    .map(|test| FailingTest {
                        name: test
                            .display_name
                            .clone()
                            .or_else(|| test.test_name.clone())
                            .unwrap_or_default(),
                        fail_count: test.fail_count.unwrap_or(0.0).max(0.0) as u32,
                        first_failure: legacy_seconds(test.fail_timestamp),
                    })
                    .collect(),
                message,
            }
        })
        .collect();
    Ok(DashboardSummary {
        name: dashboard.to_string(),
        tabs,
    })
}

// === decoding: /api/v1 ===

#[derive(Deserialize)]
struct V1Summaries {
    /// Absent only when the dashboard has no tabs: protojson omits empty lists, so a real
    /// empty dashboard is exactly `{}`.
    tab_summaries: Option<Vec<V1Tab>>,
    #[serde(flatten)]
    other: BTreeMap<String, serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
struct V1Tab {
    #[serde(default)]
    tab_name: String,
    #[serde(default)]
    overall_status: Option<String>,
    #[serde(default)]
    detailed_status_message: Option<String>,
    #[serde(default)]
    last_run_timestamp: Option<String>,
    #[serde(default)]
    last_update_timestamp: Option<String>,
    #[serde(default)]
    latest_passing_build: Option<String>,
    #[serde(default)]
    failures_summary: Option<V1Failures>,
}

#[derive(Deserialize)]
struct V1Failures {
    #[serde(default)]
    top_failing_tests: Vec<V1FailingTest>,
    #[serde(default)]
    failure_stats: Option<V1FailureStats>,
}

#[derive(Deserialize)]
struct V1FailingTest {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    fail_count: Option<f64>,
    #[serde(default)]
    fail_timestamp: Option<String>,
}

#[derive(Deserialize)]
struct V1FailureStats {
    #[serde(default)]
    num_failing_tests: Option<f64>,
}

/// Unix seconds from an RFC 3339 protojson timestamp; the epoch itself means "never".
pub fn rfc3339_seconds(value: Option<&str>) -> Option<i64> {
    let parsed = chrono::DateTime::parse_from_rfc3339(value?.trim()).ok()?;
    plausible_time(parsed.timestamp())
}

/// Decodes a `/api/v1/dashboards/<d>/tab-summaries` body.
pub fn decode_v1(dashboard: &str, body: &[u8]) -> Result<DashboardSummary, TestgridError> {
    check_not_html(dashboard, body)?;
    let decoded: V1Summaries =
        serde_json::from_slice(body).map_err(|error| decode_error(dashboard, body, &error))?;
    let implausible = |reason: String| TestgridError::Decode {
        dashboard: dashboard.to_string(),
        reason,
    };
    let summaries = match decoded.tab_summaries {
        Some(summaries) => summaries,
        None if decoded.other.is_empty() => Vec::new(),
        None => {
            let keys: Vec<&str> = decoded.other.keys().take(3).map(String::as_str).collect();
            return Err(implausible(format!(
                "no tab_summaries, only {}",
                super::excerpt(keys.join(", ").as_bytes())
            )));
        }
    };
    if let Some(index) = summaries
        .iter()
        .position(|tab| tab.tab_name.trim().is_empty())
    {
        return Err(implausible(format!(
            "tab_summaries[{index}] has no tab_name"
        )));
    }
    let mut seen = std::collections::BTreeSet::new();
    let tabs = summaries
        .into_iter()
        // A repeated tab would be a duplicate series, which Prometheus rejects: keep the first.
        .filter(|tab| seen.insert(tab.tab_name.clone()))
        .map(|tab| {
            let failures = tab.failures_summary;
            let top: Vec<FailingTest> = failures
                .as_ref()
                .map(|f| {
                    f.top_failing_tests
                        .iter()
                        .map(|test| FailingTest {
                            name: test.display_name.clone(),
                            fail_count: test.fail_count.unwrap_or(0.0).max(0.0) as u32,
                            first_failure: rfc3339_seconds(test.fail_timestamp.as_deref()),
                        })
                        .collect()
                })
                .unwrap_or_default();
            let failing = failures
                .as_ref()
                .and_then(|f| f.failure_stats.as_ref())
                .and_then(|stats| stats.num_failing_tests)
                .map(|n| n.max(0.0) as u32)
                .unwrap_or(top.len() as u32);
            TabSummary {
                name: tab.tab_name,
                status: TabStatus::parse(tab.overall_status.as_deref().unwrap_or("")),
                last_run: rfc3339_seconds(tab.last_run_timestamp.as_deref()),
                last_update: rfc3339_seconds(tab.last_update_timestamp.as_deref()),
                latest_green: latest_green(tab.latest_passing_build),
                failing_tests: failing,
                top_failures: top,
                message: tab.detailed_status_message.unwrap_or_default(),
            }
        })
        .collect();
    Ok(DashboardSummary {
        name: dashboard.to_string(),
        tabs,
    })
}

#[derive(Deserialize)]
struct V1Headers {
    #[serde(default)]
    headers: Vec<V1Header>,
}

#[derive(Deserialize)]
struct V1Header {
    #[serde(default)]
    build: String,
    #[serde(default)]
    started: Option<String>,
    #[serde(default)]
    extra: Vec<String>,
}

/// Decodes `/api/v1/dashboards/<d>/tabs/<t>/headers` (newest column first).
pub fn decode_headers(dashboard: &str, body: &[u8]) -> Result<Vec<ColumnHeader>, TestgridError> {
    check_not_html(dashboard, body)?;
    let decoded: V1Headers =
        serde_json::from_slice(body).map_err(|error| decode_error(dashboard, body, &error))?;
    Ok(decoded
        .headers
        .into_iter()
        .map(|header| ColumnHeader {
            build: header.build,
            started: rfc3339_seconds(header.started.as_deref()),
            commit: header
                .extra
                .into_iter()
                .next()
                .map(|commit| commit.trim().to_string())
                .filter(|commit| !commit.is_empty()),
        })
        .collect())
}

/// TestGrid answers unknown dashboards with a text body and outages with HTML pages, sometimes
/// with a 200: recognise both before trying JSON.
fn check_not_html(dashboard: &str, body: &[u8]) -> Result<(), TestgridError> {
    let head = String::from_utf8_lossy(&body[..body.len().min(2048)]);
    let trimmed = head.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return Ok(());
    }
    if says_not_found(body) {
        return Err(TestgridError::DashboardNotFound {
            dashboard: dashboard.to_string(),
            excerpt: super::excerpt(body),
        });
    }
    Err(TestgridError::Decode {
        dashboard: dashboard.to_string(),
        reason: if trimmed.is_empty() {
            "empty body".to_string()
        } else {
            format!("not JSON: {}", super::excerpt(body))
        },
    })
}

/// TestGrid's own "no such dashboard" answers: legacy `Dashboard X not found` (as text, any
/// status) and the API's `dashboard {"x"} not found` (text/plain 404). Never an HTML page.
fn says_not_found(body: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&body[..body.len().min(512)]).to_ascii_lowercase();
    let text = head.trim_start();
    !text.starts_with('<') && text.starts_with("dashboard") && text.contains("not found")
}

fn decode_error(dashboard: &str, body: &[u8], error: &serde_json::Error) -> TestgridError {
    let reason = if error.is_eof() {
        format!("truncated JSON ({} bytes): {error}", body.len())
    } else {
        format!("unexpected JSON: {error}")
    };
    TestgridError::Decode {
        dashboard: dashboard.to_string(),
        reason,
    }
}

/// Removes every character outside `[a-zA-Z0-9]` and lowercases: TestGrid's own name
/// normalisation, which avoids URL-encoding trouble with spaces and commas in tab names.
pub fn normalize(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The human URL of a tab on testgrid.k8s.io.
pub fn tab_url(base: &str, dashboard: &str, tab: &str) -> String {
    format!("{base}/{dashboard}#{}", tab.replace(' ', "%20"))
}

// === client ===

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
            let outcome = super::classify_status(response.status, &response.headers);
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
                retry_after: super::retry_after_header(&response.headers),
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

#[cfg(test)]
mod tests {
    use super::*;

    const LEGACY_137: &str =
        include_str!("../../tests/fixtures/testgrid/legacy-sig-release-1.37-blocking.json");
    const V1_137: &str =
        include_str!("../../tests/fixtures/testgrid/v1-sig-release-1.37-blocking.json");

    #[test]
    fn legacy_summary_decodes_every_status_and_quirk() {
        let summary = decode_legacy("sig-release-1.37-blocking", LEGACY_137.as_bytes()).unwrap();
        let by_name: BTreeMap<_, _> = summary.tabs.iter().map(|t| (t.name.as_str(), t)).collect();
        assert_eq!(by_name["kind-1.37"].status, TabStatus::Passing);
        assert_eq!(by_name["kind-1.37"].last_run, Some(1787310133));
        assert_eq!(by_name["gce-cos-default-1.37"].status, TabStatus::Flaky);
        let unit = by_name["ci-kubernetes-unit-1-37"];
        assert_eq!(unit.status, TabStatus::Failing);
        assert_eq!(unit.failing_tests, 2);
        assert_eq!(unit.latest_green, None, "\"no recent greens\" is no commit");
        assert_eq!(unit.top_failures[0].first_failure, Some(1787288400));
        assert_eq!(by_name["Conformance - GCE - 1.37"].status, TabStatus::Stale);
        let never = by_name["integration-arm64-1.37"];
        assert_eq!(never.status, TabStatus::Unknown);
        assert_eq!(never.last_run, None);
    }

    #[test]
    fn v1_summary_decodes_the_same_tabs() {
        let summary = decode_v1("sig-release-1.37-blocking", V1_137.as_bytes()).unwrap();
        let names: Vec<_> = summary.tabs.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            vec![
                "kind-1.37",
                "ci-kubernetes-unit-1-37",
                "Conformance - GCE - 1.37",
                "integration-arm64-1.37"
            ]
        );
        assert_eq!(summary.tabs[0].last_run, Some(1787310133));
        assert_eq!(summary.tabs[1].failing_tests, 2);
        assert_eq!(summary.tabs[3].status, TabStatus::Unknown);
        assert_eq!(summary.tabs[3].last_update, None, "epoch zero means never");
    }

    #[test]
    fn millisecond_era_timestamps_are_converted() {
        let body = br#"{"aks-engine-windows-containerd-master": {"alert": "", "last_run_timestamp": 1619632613000,
          "last_update_timestamp": 1619639102, "latest_green": "dc6b04c14", "overall_status": "FLAKY",
          "overall_status_icon": "remove_circle_outline", "status": "7 of 10 (70.0%) recent columns passed (2425 of 2432 or 99.7% cells)",
          "tests": [], "dashboard_name": "sig-windows-signal", "healthiness": {"tests": [], "previousFlakiness": -1}}}"#;
        let summary = decode_legacy("sig-windows-signal", body).unwrap();
        assert_eq!(summary.tabs[0].last_run, Some(1619632613));
        assert_eq!(summary.tabs[0].last_update, Some(1619639102));
        assert_eq!(summary.tabs[0].latest_green.as_deref(), Some("dc6b04c14"));
    }

    #[test]
    fn unknown_status_strings_are_unknown_not_errors() {
        let body = br#"{"weird tab, with comma": {"overall_status": "SOMETHING_NEW", "last_run_timestamp": 1787310133.5}}"#;
        let summary = decode_legacy("d", body).unwrap();
        assert_eq!(summary.tabs[0].status, TabStatus::Unknown);
        assert_eq!(summary.tabs[0].name, "weird tab, with comma");
        assert_eq!(summary.tabs[0].last_run, Some(1787310133));
    }

    #[test]
    fn html_error_page_is_a_clear_decode_error() {
        let body = b"<html><head><title>500 Server Error</title></head><body>Please try again in 30 seconds.</body></html>";
        let error = decode_legacy("sig-release-1.34-blocking", body).unwrap_err();
        assert_eq!(error.kind(), "decode_error");
        assert!(error.to_string().contains("500 Server Error"), "{error}");
    }

    #[test]
    fn dashboard_not_found_body_is_recognised() {
        let error = decode_legacy(
            "sig-release-1.99-blocking",
            b"Dashboard sig-release-1.99-blocking not found",
        )
        .unwrap_err();
        assert_eq!(error.kind(), "not_found");
    }

    #[test]
    fn truncated_body_says_truncated() {
        let cut = &LEGACY_137.as_bytes()[..LEGACY_137.len() / 2];
        let error = decode_legacy("d", cut).unwrap_err();
        assert!(error.to_string().contains("truncated"), "{error}");
    }

    #[test]
    fn headers_decode_commit_from_extra() {
        let body = br#"{"headers":[{"build":"2016584716093755392","started":"2026-01-28T18:50:37Z","extra":[""]},
            {"build":"2016569868328898560","started":"2026-01-28T17:51:37Z","extra":["a57b4befd"]}]}"#;
        let headers = decode_headers("d", body).unwrap();
        assert_eq!(headers[0].commit, None);
        assert_eq!(headers[1].commit.as_deref(), Some("a57b4befd"));
        assert_eq!(headers[1].started, Some(1769622697));
    }

    #[test]
    fn normalize_matches_testgrid() {
        assert_eq!(
            normalize("sig-network-kind, loadbalancer"),
            "signetworkkindloadbalancer"
        );
        assert_eq!(
            normalize("sig-release-1.37-blocking"),
            "sigrelease137blocking"
        );
    }
}
