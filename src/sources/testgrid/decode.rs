//! Decoding TestGrid's two surfaces — the legacy frontend's `/<dashboard>/summary` and the API's
//! `/api/v1/dashboards/<d>/tab-summaries` — and column headers into one model, quirks included.
//!
//! Quirks handled (see `shared/reference/testgrid-api.md`): `last_run_timestamp` in milliseconds
//! before late 2021 (a value above 1e11 is taken as ms), empty or missing `overall_status`,
//! unknown status strings (UNKNOWN, not an error), `latest_green: "no recent greens"`, epoch-zero
//! timestamps meaning "never", tab names with spaces and commas, HTML error pages and
//! `Dashboard X not found` bodies. A well-formed answer that cannot be a summary (no tab
//! summaries, a tab without a name, more than [`MAX_TABS_PER_DASHBOARD`] tabs) is an error, so
//! that it never replaces the last good data.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use super::{
    TestgridError,
    model::{ColumnHeader, DashboardSummary, FailingTest, TOP_FAILURES, TabStatus, TabSummary},
};
use crate::sources::http::excerpt;

/// More tabs than any real dashboard has (sig-release's have 20 to 70): past this, the answer
/// is garbage or an attack, and would cost a header request per tab.
pub const MAX_TABS_PER_DASHBOARD: usize = 500;
/// Column headers kept per tab: readiness looks at recent runs only.
pub const MAX_HEADERS_PER_TAB: usize = 100;

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
    too_many_tabs(dashboard, tabs.len())?;
    // A well-formed answer that is not a summary (`{"foo": {}}`) is not "a tab named foo".
    if let Some((name, _)) = tabs.iter().find(|(_, tab)| !tab.looks_like_a_summary()) {
        return Err(TestgridError::Decode {
            dashboard: dashboard.to_string(),
            reason: format!(
                "entry {:?} has none of the fields of a tab summary",
                excerpt(name.as_bytes())
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
                failing_tests: u32::try_from(tests.len()).unwrap_or(u32::MAX),
                top_failures: tests
                    .iter()
                    .take(TOP_FAILURES)
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
fn rfc3339_seconds(value: Option<&str>) -> Option<i64> {
    plausible_time(crate::sources::http::rfc3339(value)?)
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
                excerpt(keys.join(", ").as_bytes())
            )));
        }
    };
    too_many_tabs(dashboard, summaries.len())?;
    if let Some(index) = summaries
        .iter()
        .position(|tab| tab.tab_name.trim().is_empty())
    {
        return Err(implausible(format!(
            "tab_summaries[{index}] has no tab_name"
        )));
    }
    let mut seen = BTreeSet::new();
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
                        .take(TOP_FAILURES)
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
        .take(MAX_HEADERS_PER_TAB)
        .map(|header| ColumnHeader {
            build: header.build,
            started: rfc3339_seconds(header.started.as_deref()),
            commit: header
                .extra
                .into_iter()
                .next()
                .map(|commit| commit.trim().to_string())
                // A commit is at most a 64-hex SHA-256; anything longer is not one.
                .filter(|commit| !commit.is_empty() && commit.len() <= 64),
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
            excerpt: excerpt(body),
        });
    }
    Err(TestgridError::Decode {
        dashboard: dashboard.to_string(),
        reason: if trimmed.is_empty() {
            "empty body".to_string()
        } else {
            format!("not JSON: {}", excerpt(body))
        },
    })
}

/// TestGrid's own "no such dashboard" answers: legacy `Dashboard X not found` (as text, any
/// status) and the API's `dashboard {"x"} not found` (text/plain 404). Never an HTML page.
pub(super) fn says_not_found(body: &[u8]) -> bool {
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

fn too_many_tabs(dashboard: &str, tabs: usize) -> Result<(), TestgridError> {
    if tabs > MAX_TABS_PER_DASHBOARD {
        return Err(TestgridError::Decode {
            dashboard: dashboard.to_string(),
            reason: format!(
                "{tabs} tabs, more than the {MAX_TABS_PER_DASHBOARD} any real dashboard has"
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEGACY_137: &str =
        include_str!("../../../tests/fixtures/testgrid/legacy-sig-release-1.37-blocking.json");
    const V1_137: &str =
        include_str!("../../../tests/fixtures/testgrid/v1-sig-release-1.37-blocking.json");

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
    fn a_well_formed_answer_that_is_not_a_summary_is_a_decode_error() {
        for (body, reason) in [
            (&br#"{"foo":"bar"}"#[..], "no tab_summaries"),
            (
                br#"{"tab_summaries":[{"overall_status":"PASSING"}]}"#,
                "no tab_name",
            ),
        ] {
            let error = decode_v1("d", body).unwrap_err();
            assert_eq!(error.kind(), "decode_error");
            assert!(error.to_string().contains(reason), "{error}");
        }
        // A real empty dashboard: protojson omits the empty list.
        assert!(decode_v1("d", b"{}").unwrap().tabs.is_empty());
        let error = decode_legacy("d", br#"{"foo":{}}"#).unwrap_err();
        assert!(error.to_string().contains("none of the fields"), "{error}");
        assert!(decode_legacy("d", br#"{"foo":"bar"}"#).is_err());
    }

    #[test]
    fn more_tabs_than_any_dashboard_has_is_refused_before_a_header_request_is_spent() {
        let tabs: Vec<String> = (0..=MAX_TABS_PER_DASHBOARD)
            .map(|i| format!(r#"{{"tab_name":"t{i}","overall_status":"PASSING"}}"#))
            .collect();
        let body = format!(r#"{{"tab_summaries":[{}]}}"#, tabs.join(","));
        let error = decode_v1("d", body.as_bytes()).unwrap_err();
        assert!(error.to_string().contains("more than the 500"), "{error}");
        let body = format!(r#"{{"tab_summaries":[{}]}}"#, tabs[..10].join(","));
        assert_eq!(decode_v1("d", body.as_bytes()).unwrap().tabs.len(), 10);
    }

    #[test]
    fn repeated_tabs_are_kept_once_and_absurd_timestamps_are_dropped() {
        let body = br#"{"tab_summaries":[
            {"tab_name":"kind","overall_status":"PASSING","last_run_timestamp":"9999-12-31T23:59:59Z"},
            {"tab_name":"kind","overall_status":"FAILING"}]}"#;
        let summary = decode_v1("d", body).unwrap();
        assert_eq!(summary.tabs.len(), 1);
        assert_eq!(summary.tabs[0].status, TabStatus::Passing);
        assert_eq!(summary.tabs[0].last_run, None, "year 9999 is no time");
    }

    #[test]
    fn only_testgrid_s_own_answer_says_not_found() {
        assert!(says_not_found(
            b"Dashboard sig-release-1.99-blocking not found"
        ));
        assert!(says_not_found(
            b"dashboard {\"sigrelease199blocking\"} not found\n"
        ));
        assert!(!says_not_found(
            b"<html><title>404 Not Found</title></html>"
        ));
        assert!(!says_not_found(b"Internal error: file not found"));
    }
}
