//! The Prometheus exposition: every metric described once in [`METRICS`], branchwatch's own
//! counters, and the exposition rendered once per published snapshot (plain and gzipped) so
//! that a scrape is a copy of bytes.

mod families;

use std::{io::Write, sync::Arc};

use arc_swap::ArcSwap;
use bytes::Bytes;
use prometheus::{
    Encoder, Gauge, IntCounter, IntCounterVec, Opts, Registry, TextEncoder, proto::MetricFamily,
};

use crate::{
    snapshot::Snapshot,
    sources::{Counters, RequestCounter, Source},
};

/// Whether a metric only goes up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A value from the snapshot (or the configuration).
    Gauge,
    /// branchwatch's own counter (name ends in `_total`).
    Counter,
}

/// One metric: its name, help text, kind and label names (in the order values are given).
#[derive(Debug)]
pub struct Descriptor {
    /// The full name, `branchwatch_...`.
    pub name: &'static str,
    /// The HELP text.
    pub help: &'static str,
    /// Gauge or counter.
    pub kind: Kind,
    /// Label names.
    pub labels: &'static [&'static str],
}

macro_rules! metrics {
    ($($id:ident: $kind:ident $name:literal [$($label:literal),*] $help:literal;)*) => {
        $(
            #[doc = $help]
            pub const $id: Descriptor = Descriptor {
                name: $name,
                help: $help,
                kind: Kind::$kind,
                labels: &[$($label),*],
            };
        )*
        /// Every metric branchwatch exports. Dashboards, alerts and a test of what `render`
        /// emits are checked against this one table.
        pub const METRICS: &[&Descriptor] = &[$(&$id),*];
        /// The names of [`METRICS`], in the same order.
        pub const METRIC_NAMES: &[&str] = &[$($name),*];
    };
}

metrics! {
    BRANCH_STATUS: Gauge "branchwatch_branch_status" ["branch", "status"]
        "1 for the branch's current status (green, flaky, stale, red, unknown) from its blocking TestGrid dashboards, 0 for the others.";
    BRANCH_STATUS_SINCE: Gauge "branchwatch_branch_status_since_timestamp_seconds" ["branch"]
        "Unix time since when the branch has had its current status, as observed by branchwatch.";
    TAB_STATUS: Gauge "branchwatch_testgrid_tab_status" ["branch", "dashboard", "tab", "status"]
        "1 for the TestGrid tab's overall status (PASSING, FLAKY, FAILING, STALE, BROKEN, PENDING, ACCEPTABLE, UNKNOWN), 0 for the others.";
    TAB_LAST_RUN: Gauge "branchwatch_testgrid_tab_last_run_timestamp_seconds" ["branch", "dashboard", "tab"]
        "Start time of the tab's newest run, unix seconds.";
    TAB_LAST_UPDATE: Gauge "branchwatch_testgrid_tab_last_update_timestamp_seconds" ["branch", "dashboard", "tab"]
        "When TestGrid last updated the tab's data, unix seconds.";
    TAB_FAILING_TESTS: Gauge "branchwatch_testgrid_tab_failing_tests" ["branch", "dashboard", "tab"]
        "Failing (alerting) test rows of the tab.";
    TAB_RUNS_AT_HEAD: Gauge "branchwatch_testgrid_tab_runs_at_head" ["branch", "dashboard", "tab"]
        "Completed runs of a blocking tab that tested the branch's current HEAD commit.";
    TAB_HEAD_GREEN: Gauge "branchwatch_testgrid_tab_head_green" ["branch", "dashboard", "tab"]
        "1 when the newest completed run of a blocking tab at the branch HEAD was green.";
    DASHBOARD_MISSING: Gauge "branchwatch_testgrid_dashboard_missing" ["branch", "dashboard"]
        "1 when TestGrid says the dashboard does not exist (a missing blocking dashboard makes the branch unknown), 0 otherwise.";
    PULL_REQUESTS: Gauge "branchwatch_pull_requests" ["branch", "condition"]
        "Open PRs against the branch that meet the condition (condition=\"open\" counts all open PRs).";
    PULL_REQUEST_CONDITION: Gauge "branchwatch_pull_request_condition" ["branch", "pr", "condition"]
        "1 for each condition an open PR against a watched branch meets; the series disappears when the PR closes.";
    PRESUBMIT_FAILING: Gauge "branchwatch_presubmit_failing_pull_requests" ["branch", "context"]
        "Open PRs of the branch whose latest result for the presubmit context is failure or error.";
    PRESUBMIT_BRANCH_WIDE: Gauge "branchwatch_presubmit_branch_wide_failure" ["branch", "context"]
        "1 when the presubmit context is failing branch-wide (enough open PRs fail it that it is the branch's fault).";
    LAST_RELEASE: Gauge "branchwatch_last_patch_release_timestamp_seconds" ["branch", "version"]
        "Publish time of the branch's latest patch release (highest non-prerelease vX.Y.Z), unix seconds.";
    RELEASE_WINDOW: Gauge "branchwatch_patch_release_window" ["branch", "state"]
        "1 for the branch's patch release window state (too_soon, in_window, overdue), 0 for the others.";
    NEXT_TARGET: Gauge "branchwatch_next_patch_release_target_timestamp_seconds" ["branch", "version"]
        "Target date of the next scheduled patch release (schedule.yaml), unix seconds.";
    CHERRY_PICK_DEADLINE: Gauge "branchwatch_cherry_pick_deadline_timestamp_seconds" ["branch", "version"]
        "Cherry-pick deadline of the next scheduled patch release (schedule.yaml), unix seconds.";
    CHERRY_PICK_FREEZE: Gauge "branchwatch_cherry_pick_freeze" ["branch"]
        "1 while cherry-picks are frozen: the deadline passed and the release is not out yet.";
    TARGET_MISSED: Gauge "branchwatch_patch_release_target_missed" ["branch"]
        "1 when the scheduled target date passed with no newer patch release.";
    END_OF_LIFE: Gauge "branchwatch_branch_end_of_life_timestamp_seconds" ["branch"]
        "End of life of the branch's minor, unix seconds: the actual date from eol.yaml once retired, else the schedule's planned date.";
    RETIRED: Gauge "branchwatch_branch_retired" ["branch"]
        "1 when kubernetes/website eol.yaml lists the branch's minor (support ended; not alerted on), 0 while it is supported, even past its planned end of life.";
    RELEASE_READY: Gauge "branchwatch_release_ready" ["branch"]
        "1 when the branch could be cut from HEAD now: green, TestGrid's data fresh, every blocking tab run at HEAD often enough (readiness.min_runs_at_head, readiness.tabs) with the newest run green.";
    READINESS_BLOCKER: Gauge "branchwatch_release_readiness_blocker" ["branch", "reason"]
        "1 for each reason the branch is not ready to be cut from HEAD (branch_not_green, stale_data, tab_not_run_at_head, tab_head_not_green, runs_at_head_below_minimum), 0 for the others.";
    MERGED_SINCE_RELEASE: Gauge "branchwatch_merged_pull_requests_since_release" ["branch"]
        "PRs merged into the release branch since its last patch release: what the next patch release will contain.";
    MILESTONE_DUE: Gauge "branchwatch_milestone_due_timestamp_seconds" ["branch", "milestone"]
        "Due date of the branch's vX.Y milestone, unix seconds (absent when the milestone does not exist or has no due date).";
    FREEZE_WORKLIST: Gauge "branchwatch_freeze_worklist" ["branch", "pr", "action"]
        "1 for each open PR the freeze asks the release manager to act on: action=\"unapprove\" (approved but not ready while frozen), action=\"reapprove\" (approval removed during the freeze the last release ended).";
    SOURCE_UP: Gauge "branchwatch_source_up" ["source"]
        "1 if the latest poll of the source (testgrid, github, schedule) succeeded, 0 if it failed (the last good data is still served).";
    SOURCE_LAST_SUCCESS: Gauge "branchwatch_source_last_success_timestamp_seconds" ["source"]
        "Unix time of the source's latest successful poll.";
    SOURCE_POLL_DURATION: Gauge "branchwatch_source_poll_duration_seconds" ["source"]
        "Duration of the source's latest poll in seconds.";
    RATE_LIMIT_REMAINING: Gauge "branchwatch_github_rate_limit_remaining" ["resource"]
        "GitHub rate limit left per resource (core, graphql, search), from the last response of any kind; 0 while rate limited.";
    RATE_LIMIT_RESET: Gauge "branchwatch_github_rate_limit_reset_timestamp_seconds" ["resource"]
        "When the GitHub rate limit of the resource resets, unix seconds.";
    BUILD_INFO: Gauge "branchwatch_build_info" ["version", "revision"]
        "Always 1; the labels carry branchwatch's version and git revision.";
    POLL_INTERVAL: Gauge "branchwatch_poll_interval_seconds" []
        "The configured time between two polls of each source (poll_interval), in seconds.";
    UPSTREAM_REQUESTS: Counter "branchwatch_upstream_requests_total" ["source", "outcome"]
        "Upstream HTTP requests by source and outcome (ok, not_modified, client_error, server_error, timeout, transport_error, decode_error, rate_limited).";
    GRAPHQL_POINTS: Counter "branchwatch_github_graphql_points_total" []
        "GitHub GraphQL rate-limit points spent, as reported by rateLimit.cost on each response.";
    GRAPHQL_ERRORS: Counter "branchwatch_github_graphql_errors_total" []
        "GitHub GraphQL errors that came with usable partial data (the valid part was used).";
    POLL_PANICS: Counter "branchwatch_poll_panics_total" ["source"]
        "Polls or analyses that panicked, by source: the panic was caught, the source marked down and the poll loop went on.";
}

/// The exposition of one snapshot, rendered once: what a scrape copies out.
#[derive(Clone, Debug, Default)]
pub struct Exposition {
    /// The text exposition.
    pub plain: Bytes,
    /// The same, gzip-compressed (for scrapers that accept it).
    pub gzip: Bytes,
}

/// The registry of branchwatch's own counters, and the latest rendered exposition.
pub struct Metrics {
    registry: Registry,
    counters: Counters,
    /// `Err` when the latest render failed: scrapes then answer 500, never an empty 200
    /// (which Prometheus would take as every series gone while `up` stays 1).
    latest: ArcSwap<Result<Exposition, String>>,
}

impl Metrics {
    /// Fresh counters, and the configured poll interval.
    pub fn new(poll_interval: std::time::Duration) -> Metrics {
        let registry = Registry::new();
        let counter_vec = |d: &Descriptor| {
            IntCounterVec::new(Opts::new(d.name, d.help), d.labels)
                .expect("static metric definition is valid")
        };
        let counter = |d: &Descriptor| {
            IntCounter::new(d.name, d.help).expect("static metric definition is valid")
        };
        let requests = counter_vec(&UPSTREAM_REQUESTS);
        let graphql_points = counter(&GRAPHQL_POINTS);
        let graphql_errors = counter(&GRAPHQL_ERRORS);
        let poll_panics = counter_vec(&POLL_PANICS);
        for source in Source::ALL {
            poll_panics.with_label_values(&[source.as_str()]);
        }
        let poll_interval_gauge = Gauge::new(POLL_INTERVAL.name, POLL_INTERVAL.help)
            .expect("static metric definition is valid");
        poll_interval_gauge.set(poll_interval.as_secs_f64());
        for collector in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(graphql_points.clone()),
            Box::new(graphql_errors.clone()),
            Box::new(poll_panics.clone()),
            Box::new(poll_interval_gauge.clone()),
        ] {
            registry.register(collector).expect("registered once");
        }
        Metrics {
            registry,
            counters: Counters {
                requests: RequestCounter::new(requests),
                graphql_points,
                graphql_errors,
                poll_panics,
            },
            latest: ArcSwap::from_pointee(Ok(Exposition::default())),
        }
    }

    /// The counters, for the poller and its clients.
    pub fn counters(&self) -> Counters {
        self.counters.clone()
    }

    /// Renders `snapshot` plus the counters; kept as the exposition scrapes serve.
    pub fn publish(&self, snapshot: &Snapshot) {
        let rendered = self.render(snapshot).map(|plain| Exposition {
            gzip: gzip(&plain),
            plain: Bytes::from(plain),
        });
        if let Err(error) = &rendered {
            tracing::error!(%error, "Cannot render the metrics.");
        }
        self.latest.store(Arc::new(rendered));
    }

    /// The latest exposition (a cheap `Arc` clone), or why it could not be rendered.
    pub fn exposition(&self) -> Arc<Result<Exposition, String>> {
        self.latest.load_full()
    }

    /// The text exposition of the counters plus everything in `snapshot`.
    pub fn render(&self, snapshot: &Snapshot) -> Result<String, String> {
        let mut all: Vec<MetricFamily> = self.registry.gather();
        all.extend(families::snapshot_families(snapshot));
        all.sort_by(|a, b| a.name().cmp(b.name()));
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&all, &mut out)
            .map_err(|error| error.to_string())?;
        String::from_utf8(out).map_err(|error| error.to_string())
    }
}

fn gzip(text: &str) -> Bytes {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(text.as_bytes());
    Bytes::from(encoder.finish().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_names_every_family_render_emits_and_nothing_else() {
        let snapshot = families::tests::full_snapshot();
        let metrics = Metrics::new(std::time::Duration::from_secs(300));
        let text = metrics.render(&snapshot).unwrap();
        let emitted: std::collections::BTreeSet<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# TYPE "))
            .filter_map(|l| l.split_whitespace().next())
            .collect();
        let table: std::collections::BTreeSet<&str> = METRICS.iter().map(|d| d.name).collect();
        assert_eq!(emitted, table);
        for d in METRICS {
            assert_eq!(
                d.kind == Kind::Counter,
                d.name.ends_with("_total"),
                "{}",
                d.name
            );
            assert!(d.name.starts_with("branchwatch_"));
        }
    }

    #[test]
    fn the_published_exposition_is_the_render_and_its_gzip() {
        let snapshot = families::tests::full_snapshot();
        let metrics = Metrics::new(std::time::Duration::from_secs(300));
        metrics.publish(&snapshot);
        let exposition = metrics.exposition();
        let exposition = exposition.as_ref().as_ref().unwrap();
        let mut unzipped = String::new();
        std::io::Read::read_to_string(
            &mut flate2::read::GzDecoder::new(&exposition.gzip[..]),
            &mut unzipped,
        )
        .unwrap();
        assert_eq!(unzipped.as_bytes(), &exposition.plain[..]);
        assert!(
            unzipped
                .contains("branchwatch_branch_status{branch=\"release-1.34\",status=\"red\"} 1")
        );
    }
}
