//! The branch status rule (red / stale / flaky / green / unknown from the blocking tabs) and
//! readiness at HEAD (how many runs tested the branch tip, and whether the newest was green).

use std::time::Duration;

use crate::{
    k8s::ci::same_commit,
    snapshot::{BranchStatus, TabReport},
    sources::testgrid::model::{ColumnHeader, TabStatus, TabSummary},
};

/// Applies DESIGN.md's rule to a branch's blocking tabs.
///
/// `oldest_fetch` is when the least recently fetched blocking dashboard was last read
/// successfully: if TestGrid has been unreachable for longer than `stale_after`, the data we
/// still show is stale too.
pub(super) fn branch_status(
    blocking_tabs: &[&TabReport],
    oldest_fetch: Option<i64>,
    stale_after: Duration,
    now: i64,
) -> (BranchStatus, String) {
    if blocking_tabs.is_empty() {
        return (
            BranchStatus::Unknown,
            "no data from the blocking dashboards yet".to_string(),
        );
    }
    let names_with = |statuses: &[TabStatus]| -> Vec<&str> {
        blocking_tabs
            .iter()
            .filter(|tab| statuses.contains(&tab.status))
            .map(|tab| tab.name.as_str())
            .collect()
    };
    let describe = |what: &str, names: &[&str]| {
        let shown: Vec<&str> = names.iter().take(5).copied().collect();
        let more = names.len().saturating_sub(shown.len());
        let suffix = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        format!(
            "{} blocking tab{} {what}: {}{suffix}",
            names.len(),
            if names.len() == 1 { "" } else { "s" },
            shown.join(", ")
        )
    };

    let failing: Vec<&str> = blocking_tabs
        .iter()
        .filter(|tab| tab.status.is_failing())
        .map(|tab| tab.name.as_str())
        .collect();
    if !failing.is_empty() {
        return (BranchStatus::Red, describe("failing", &failing));
    }
    let stale = names_with(&[TabStatus::Stale]);
    if !stale.is_empty() {
        return (BranchStatus::Stale, describe("stale", &stale));
    }
    let stale_secs = i64::try_from(stale_after.as_secs()).unwrap_or(i64::MAX);
    let age = |at: i64| Duration::from_secs(now.saturating_sub(at).max(0).unsigned_abs());
    let newest_update = blocking_tabs.iter().filter_map(|tab| tab.last_update).max();
    if let Some(newest) = newest_update {
        if now.saturating_sub(newest) > stale_secs {
            return (
                BranchStatus::Stale,
                format!(
                    "TestGrid has not updated the blocking tabs for {} (more than testgrid.stale_after)",
                    humantime::format_duration(age(newest))
                ),
            );
        }
    }
    if let Some(fetched) = oldest_fetch {
        if now.saturating_sub(fetched) > stale_secs {
            return (
                BranchStatus::Stale,
                format!(
                    "TestGrid could not be read for {}; showing old data",
                    humantime::format_duration(age(fetched))
                ),
            );
        }
    }
    let flaky = names_with(&[TabStatus::Flaky]);
    if !flaky.is_empty() {
        return (BranchStatus::Flaky, describe("flaky", &flaky));
    }
    // Tabs that never ran (UNKNOWN) or have too few runs (PENDING) say nothing either way:
    // they are named, and they do not hide the verdict of the tabs that have results.
    let without_results: Vec<&str> = blocking_tabs
        .iter()
        .filter(|tab| tab.status.has_no_results())
        .map(|tab| tab.name.as_str())
        .collect();
    let with_results = blocking_tabs.len() - without_results.len();
    if with_results == 0 {
        return (
            BranchStatus::Unknown,
            describe("without results yet", &without_results),
        );
    }
    let mut reason = format!(
        "all {with_results} blocking tab{} with results passing",
        if with_results == 1 { "" } else { "s" }
    );
    if !without_results.is_empty() {
        reason.push_str("; ");
        reason.push_str(&describe("without results yet", &without_results));
    }
    (BranchStatus::Green, reason)
}

/// Readiness of one blocking tab at the branch HEAD.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Readiness {
    /// Completed runs that tested HEAD.
    pub runs_at_head: u32,
    /// Whether the newest completed run at HEAD was green.
    pub newest_green: bool,
}

/// Counts the columns that tested `head`, from a tab's column headers (newest first).
///
/// A column whose commit is not yet known is still running and is not counted. TestGrid's
/// headers carry no result, so "the newest run at HEAD is green" comes from the summary:
/// TestGrid's newest all-green column (`latest_green`) tested HEAD, and the tab is not
/// currently failing (a failing streak newer than that green run would make it FAILING).
pub(super) fn readiness_at_head(
    tab: &TabSummary,
    headers: &[ColumnHeader],
    head: &str,
) -> Readiness {
    let runs_at_head = headers
        .iter()
        .filter(|column| {
            column
                .commit
                .as_deref()
                .is_some_and(|commit| same_commit(commit, head))
        })
        .count();
    let runs_at_head = u32::try_from(runs_at_head).unwrap_or(u32::MAX);
    let green_at_head = tab
        .latest_green
        .as_deref()
        .is_some_and(|green| same_commit(green, head));
    let newest_green = runs_at_head > 0 && green_at_head && !tab.status.is_failing();
    Readiness {
        runs_at_head,
        newest_green,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_787_312_200;

    fn tab(name: &str, status: TabStatus, last_update: i64) -> TabReport {
        TabReport {
            name: name.to_string(),
            status,
            last_run: Some(last_update - 600),
            last_update: Some(last_update),
            latest_green: Some("3f9c2a71b".to_string()),
            failing_tests: 0,
            top_failures: vec![],
            message: String::new(),
            url: String::new(),
            runs_at_head: None,
            head_green: None,
        }
    }

    fn summary(name: &str, status: TabStatus) -> TabSummary {
        crate::fixtures::tab(name)
            .status(status)
            .green("3f9c2a71b")
            .build()
    }

    fn status_of(tabs: &[TabReport]) -> BranchStatus {
        let refs: Vec<&TabReport> = tabs.iter().collect();
        branch_status(&refs, Some(NOW), Duration::from_secs(86400), NOW).0
    }

    #[test]
    fn any_failing_or_broken_tab_makes_the_branch_red_even_if_others_are_stale() {
        let tabs = [
            tab("kind-1.37", TabStatus::Stale, NOW),
            tab("ci-kubernetes-unit-1-37", TabStatus::Failing, NOW),
        ];
        assert_eq!(status_of(&tabs), BranchStatus::Red);
        let tabs = [
            tab("a", TabStatus::Broken, NOW),
            tab("b", TabStatus::Passing, NOW),
        ];
        assert_eq!(status_of(&tabs), BranchStatus::Red);
    }

    #[test]
    fn stale_beats_flaky_and_old_testgrid_data_is_stale() {
        let tabs = [
            tab("a", TabStatus::Flaky, NOW),
            tab("b", TabStatus::Stale, NOW),
        ];
        assert_eq!(status_of(&tabs), BranchStatus::Stale);
        let old = NOW - 25 * 3600;
        let tabs = [
            tab("a", TabStatus::Passing, old),
            tab("b", TabStatus::Passing, old),
        ];
        assert_eq!(status_of(&tabs), BranchStatus::Stale);
    }

    #[test]
    fn unreachable_testgrid_for_longer_than_stale_after_is_stale() {
        let tabs = [tab("a", TabStatus::Passing, NOW)];
        let refs: Vec<&TabReport> = tabs.iter().collect();
        let (status, reason) = branch_status(
            &refs,
            Some(NOW - 2 * 86400),
            Duration::from_secs(86400),
            NOW + 10,
        );
        assert_eq!(status, BranchStatus::Stale);
        assert!(reason.contains("could not be read"));
    }

    #[test]
    fn flaky_then_green_then_unknown() {
        let tabs = [
            tab("a", TabStatus::Flaky, NOW),
            tab("b", TabStatus::Passing, NOW),
        ];
        assert_eq!(status_of(&tabs), BranchStatus::Flaky);
        let tabs = [
            tab("a", TabStatus::Acceptable, NOW),
            tab("b", TabStatus::Passing, NOW),
        ];
        assert_eq!(status_of(&tabs), BranchStatus::Green);
        assert_eq!(status_of(&[]), BranchStatus::Unknown);
    }

    #[test]
    fn tabs_without_results_among_passing_ones_leave_the_branch_green_and_are_named() {
        let tabs = [
            tab("integration-arm64-1.37", TabStatus::Unknown, NOW),
            tab("kind-1.37", TabStatus::Passing, NOW),
            tab("gce-cos-default-1.37", TabStatus::Acceptable, NOW),
        ];
        let refs: Vec<&TabReport> = tabs.iter().collect();
        let (status, reason) = branch_status(&refs, Some(NOW), Duration::from_secs(86400), NOW);
        assert_eq!(status, BranchStatus::Green);
        assert!(
            reason.starts_with("all 2 blocking tabs with results passing"),
            "{reason}"
        );
        assert!(reason.contains("integration-arm64-1.37"), "{reason}");
        // Only tabs without results: nothing is known.
        let tabs = [
            tab("a", TabStatus::Unknown, NOW),
            tab("b", TabStatus::Pending, NOW),
        ];
        assert_eq!(status_of(&tabs), BranchStatus::Unknown);
        // A tab without results never hides a flaky or failing one.
        let tabs = [
            tab("a", TabStatus::Unknown, NOW),
            tab("b", TabStatus::Flaky, NOW),
        ];
        assert_eq!(status_of(&tabs), BranchStatus::Flaky);
    }

    #[test]
    fn a_column_commit_with_a_multibyte_character_across_the_cut_is_not_a_run_at_head() {
        let head = "3f9c2a71b5d4c8e0f6a1b2c3d4e5f60718293a4";
        // HEAD is 39 bytes; 38 of them, then a 3-byte character across byte 39.
        let column = format!("{}\u{20ac}tail", &head[..38]);
        let tab = summary("kind-1.37", TabStatus::Passing);
        let headers = vec![ColumnHeader {
            build: "1".into(),
            started: Some(NOW),
            commit: Some(column),
        }];
        assert_eq!(readiness_at_head(&tab, &headers, head).runs_at_head, 0);
    }

    #[test]
    fn runs_at_head_counts_completed_columns_for_the_tip() {
        let head = "3f9c2a71b5d4c8e0f6a1b2c3d4e5f60718293a4";
        let headers = vec![
            ColumnHeader {
                build: "4".into(),
                started: Some(NOW),
                commit: None,
            },
            ColumnHeader {
                build: "3".into(),
                started: Some(NOW - 100),
                commit: Some("3f9c2a71b".into()),
            },
            ColumnHeader {
                build: "2".into(),
                started: Some(NOW - 200),
                commit: Some("3f9c2a71b".into()),
            },
            ColumnHeader {
                build: "1".into(),
                started: Some(NOW - 300),
                commit: Some("8b1e0c4d2".into()),
            },
        ];
        let passing = summary("kind-1.37", TabStatus::Passing);
        assert_eq!(
            readiness_at_head(&passing, &headers, head),
            Readiness {
                runs_at_head: 2,
                newest_green: true
            }
        );
        let failing = summary("kind-1.37", TabStatus::Failing);
        assert!(!readiness_at_head(&failing, &headers, head).newest_green);
        assert_eq!(
            readiness_at_head(&passing, &headers, "8b1e0c4d2aaaaaaa").runs_at_head,
            1
        );
    }
}
