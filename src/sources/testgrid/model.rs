//! What TestGrid says about a dashboard, from either surface: tab summaries and column
//! headers, decoded into one model.

use serde::Serialize;

pub use crate::k8s::ci::TabStatus;

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

/// One tab's summary.
#[derive(Clone, Debug, PartialEq)]
pub struct TabSummary {
    /// The tab name exactly as TestGrid shows it (may contain spaces and commas).
    pub name: String,
    pub status: TabStatus,
    /// Start of the newest run, unix seconds; None when nothing ran.
    pub last_run: Option<i64>,
    /// When TestGrid last wrote the tab's data, unix seconds.
    pub last_update: Option<i64>,
    /// Commit (short SHA) of the newest all-green run; None for "no recent greens".
    pub latest_green: Option<String>,
    /// Failing (alerting) test rows.
    pub failing_tests: u32,
    /// At most [`TOP_FAILURES`] failing rows, for the status API.
    pub top_failures: Vec<FailingTest>,
    /// TestGrid's human status text ("Tab stats: 8 of 10 (80.0%) recent columns passed ...").
    pub message: String,
}

/// Failing rows kept per tab: the API lists 5, the legacy summary all of them.
pub const TOP_FAILURES: usize = 5;

/// One dashboard's tabs, in TestGrid's order.
#[derive(Clone, Debug, PartialEq)]
pub struct DashboardSummary {
    pub name: String,
    pub tabs: Vec<TabSummary>,
}

/// One column (run) of a tab, newest first.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnHeader {
    pub build: String,
    /// Run start, unix seconds.
    pub started: Option<i64>,
    /// Commit the run tested (short or long SHA); None while unknown (e.g. still running).
    pub commit: Option<String>,
}

/// Removes every character outside `[a-zA-Z0-9]` and lowercases: TestGrid's own name
/// normalisation, which avoids URL-encoding trouble with spaces and commas in tab names.
pub fn normalize(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The human URL of a dashboard on the TestGrid frontend at `base`.
pub fn dashboard_url(base: &str, dashboard: &str) -> String {
    format!("{base}/{}", percent_encode(dashboard))
}

/// The human URL of a tab (`<dashboard>#<tab>`).
pub fn tab_url(base: &str, dashboard: &str, tab: &str) -> String {
    format!("{}#{}", dashboard_url(base, dashboard), percent_encode(tab))
}

/// Percent-encodes everything but unreserved characters, so that an upstream name can never
/// leave its URL component.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn tab_links_keep_spaces_and_hostile_names_inside_their_component() {
        assert_eq!(
            tab_url(
                "https://testgrid.k8s.io",
                "sig-release-1.37-blocking",
                "Conformance - GCE - 1.37"
            ),
            "https://testgrid.k8s.io/sig-release-1.37-blocking#Conformance%20-%20GCE%20-%201.37"
        );
        let url = tab_url("https://t", "d", "\"><script>x</script>/../?a=b#c");
        assert_eq!(
            url,
            "https://t/d#%22%3E%3Cscript%3Ex%3C%2Fscript%3E%2F..%2F%3Fa%3Db%23c"
        );
    }
}
