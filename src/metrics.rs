//! The Prometheus exposition: metric names and HELP texts, the scrape-time families rendered
//! from the current [`Snapshot`] (so a vanished tab, branch or closed PR vanishes from the output),
//! and the few real counters about branchwatch itself.

use prometheus::{
    Encoder, Gauge as GaugeMetric, IntCounter, IntCounterVec, Opts, Registry, TextEncoder,
    proto::{Gauge, LabelPair, Metric, MetricFamily, MetricType},
};

use crate::{
    snapshot::{BranchStatus, DashboardKind, Snapshot},
    sources::{RequestCounter, Source, testgrid::TabStatus},
};

/// Every metric name branchwatch exports (counters with their `_total`). Dashboards and alert
/// rules are tested against this list.
pub const METRIC_NAMES: &[&str] = &[
    "branchwatch_branch_status",
    "branchwatch_branch_status_since_timestamp_seconds",
    "branchwatch_testgrid_tab_status",
    "branchwatch_testgrid_tab_last_run_timestamp_seconds",
    "branchwatch_testgrid_tab_last_update_timestamp_seconds",
    "branchwatch_testgrid_tab_failing_tests",
    "branchwatch_testgrid_tab_runs_at_head",
    "branchwatch_testgrid_tab_head_green",
    "branchwatch_pull_requests",
    "branchwatch_pull_request_condition",
    "branchwatch_presubmit_failing_pull_requests",
    "branchwatch_presubmit_branch_wide_failure",
    "branchwatch_last_patch_release_timestamp_seconds",
    "branchwatch_patch_release_window",
    "branchwatch_next_patch_release_target_timestamp_seconds",
    "branchwatch_cherry_pick_deadline_timestamp_seconds",
    "branchwatch_cherry_pick_freeze",
    "branchwatch_patch_release_target_missed",
    "branchwatch_branch_end_of_life_timestamp_seconds",
    "branchwatch_source_up",
    "branchwatch_source_last_success_timestamp_seconds",
    "branchwatch_source_poll_duration_seconds",
    "branchwatch_upstream_requests_total",
    "branchwatch_github_rate_limit_remaining",
    "branchwatch_github_rate_limit_reset_timestamp_seconds",
    "branchwatch_github_graphql_points_total",
    "branchwatch_github_graphql_errors_total",
    "branchwatch_build_info",
    "branchwatch_poll_panics_total",
    "branchwatch_poll_interval_seconds",
    "branchwatch_testgrid_dashboard_missing",
    "branchwatch_branch_retired",
];

/// The registry of real counters plus the snapshot renderer.
pub struct Metrics {
    registry: Registry,
    /// `branchwatch_upstream_requests_total{source,outcome}`.
    pub requests: RequestCounter,
    /// `branchwatch_github_graphql_points_total`.
    pub graphql_points: IntCounter,
    /// `branchwatch_github_graphql_errors_total`.
    pub graphql_errors: IntCounter,
    /// `branchwatch_poll_panics_total{source}`.
    pub poll_panics: IntCounterVec,
    /// `branchwatch_poll_interval_seconds`.
    pub poll_interval: GaugeMetric,
}

impl Metrics {
    /// A fresh set of counters. `recording` keeps a log of requests for exact test assertions.
    pub fn new(recording: bool) -> Metrics {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "branchwatch_upstream_requests_total",
                "Upstream HTTP requests by source and outcome (ok, not_modified, client_error, server_error, timeout, transport_error, decode_error, rate_limited).",
            ),
            &["source", "outcome"],
        )
        .expect("static metric definition is valid");
        let graphql_points = IntCounter::new(
            "branchwatch_github_graphql_points_total",
            "GitHub GraphQL rate-limit points spent, as reported by rateLimit.cost on each response.",
        )
        .expect("static metric definition is valid");
        let graphql_errors = IntCounter::new(
            "branchwatch_github_graphql_errors_total",
            "GitHub GraphQL errors that came with usable partial data (the valid part was used).",
        )
        .expect("static metric definition is valid");
        let poll_panics = IntCounterVec::new(
            Opts::new(
                "branchwatch_poll_panics_total",
                "Polls or analyses that panicked, by source: the panic was caught, the source marked down and the poll loop went on.",
            ),
            &["source"],
        )
        .expect("static metric definition is valid");
        for source in Source::ALL {
            poll_panics.with_label_values(&[source.as_str()]);
        }
        let poll_interval = GaugeMetric::new(
            "branchwatch_poll_interval_seconds",
            "The configured time between two polls of each source (poll_interval), in seconds.",
        )
        .expect("static metric definition is valid");
        registry
            .register(Box::new(poll_panics.clone()))
            .expect("registered once");
        registry
            .register(Box::new(poll_interval.clone()))
            .expect("registered once");
        registry
            .register(Box::new(graphql_errors.clone()))
            .expect("registered once");
        registry
            .register(Box::new(requests.clone()))
            .expect("registered once");
        registry
            .register(Box::new(graphql_points.clone()))
            .expect("registered once");
        Metrics {
            registry,
            requests: if recording {
                RequestCounter::recording(requests)
            } else {
                RequestCounter::new(requests)
            },
            graphql_points,
            graphql_errors,
            poll_panics,
            poll_interval,
        }
    }

    /// The text exposition of the counters plus everything in `snapshot`. An error (never
    /// an empty exposition): an empty 200 would make Prometheus drop every series while `up`
    /// stays 1.
    pub fn render(&self, snapshot: &Snapshot) -> Result<String, prometheus::Error> {
        let mut families = self.registry.gather();
        families.extend(snapshot_families(snapshot));
        families.sort_by(|a, b| a.name().cmp(b.name()));
        let mut out = Vec::new();
        TextEncoder::new().encode(&families, &mut out)?;
        String::from_utf8(out).map_err(|error| prometheus::Error::Msg(error.to_string()))
    }
}

/// Collects gauge samples for one family.
struct Family {
    name: &'static str,
    help: &'static str,
    metrics: Vec<Metric>,
}

impl Family {
    fn new(name: &'static str, help: &'static str) -> Family {
        Family {
            name,
            help,
            metrics: Vec::new(),
        }
    }

    fn add(&mut self, labels: &[(&str, &str)], value: f64) {
        let mut metric = Metric::default();
        metric.set_label(
            labels
                .iter()
                .map(|(name, value)| {
                    let mut pair = LabelPair::default();
                    pair.set_name(name.to_string());
                    pair.set_value(value.to_string());
                    pair
                })
                .collect(),
        );
        let mut gauge = Gauge::default();
        gauge.set_value(value);
        metric.set_gauge(gauge);
        self.metrics.push(metric);
    }

    fn into_family(self) -> Option<MetricFamily> {
        if self.metrics.is_empty() {
            return None;
        }
        let mut family = MetricFamily::default();
        family.set_name(self.name.to_string());
        family.set_help(self.help.to_string());
        family.set_field_type(MetricType::GAUGE);
        family.set_metric(self.metrics);
        Some(family)
    }
}

fn bool_value(flag: bool) -> f64 {
    if flag { 1.0 } else { 0.0 }
}

/// Renders every gauge from the snapshot. Called on each scrape; never blocks on a poll.
pub fn snapshot_families(snapshot: &Snapshot) -> Vec<MetricFamily> {
    let mut branch_status = Family::new(
        "branchwatch_branch_status",
        "1 for the branch's current status (green, flaky, stale, red, unknown) from its blocking TestGrid dashboards, 0 for the others. Refreshed every poll (cached).",
    );
    let mut status_since = Family::new(
        "branchwatch_branch_status_since_timestamp_seconds",
        "Unix time since when the branch has had its current status, as observed by branchwatch.",
    );
    let mut tab_status = Family::new(
        "branchwatch_testgrid_tab_status",
        "1 for the TestGrid tab's overall status (PASSING, FLAKY, FAILING, STALE, BROKEN, PENDING, ACCEPTABLE, UNKNOWN), 0 for the others.",
    );
    let mut tab_last_run = Family::new(
        "branchwatch_testgrid_tab_last_run_timestamp_seconds",
        "Start time of the tab's newest run, unix seconds.",
    );
    let mut tab_last_update = Family::new(
        "branchwatch_testgrid_tab_last_update_timestamp_seconds",
        "When TestGrid last updated the tab's data, unix seconds.",
    );
    let mut tab_failing = Family::new(
        "branchwatch_testgrid_tab_failing_tests",
        "Failing (alerting) test rows of the tab.",
    );
    let mut runs_at_head = Family::new(
        "branchwatch_testgrid_tab_runs_at_head",
        "Completed runs of a blocking tab that tested the branch's current HEAD commit.",
    );
    let mut head_green = Family::new(
        "branchwatch_testgrid_tab_head_green",
        "1 when the newest completed run of a blocking tab at the branch HEAD was green.",
    );
    let mut pull_requests = Family::new(
        "branchwatch_pull_requests",
        "Open PRs against the branch that meet the condition (condition=\"open\" counts all open PRs).",
    );
    let mut pr_condition = Family::new(
        "branchwatch_pull_request_condition",
        "1 for each condition an open PR against a watched branch meets; the series disappears when the PR closes.",
    );
    let mut presubmit_failing = Family::new(
        "branchwatch_presubmit_failing_pull_requests",
        "Open PRs of the branch whose latest result for the presubmit context is failure or error.",
    );
    let mut presubmit_wide = Family::new(
        "branchwatch_presubmit_branch_wide_failure",
        "1 when the presubmit context is failing branch-wide (enough open PRs fail it that it is the branch's fault).",
    );
    let mut last_release = Family::new(
        "branchwatch_last_patch_release_timestamp_seconds",
        "Publish time of the branch's latest patch release (highest non-prerelease vX.Y.Z), unix seconds.",
    );
    let mut window = Family::new(
        "branchwatch_patch_release_window",
        "1 for the branch's patch release window state (too_soon, in_window, overdue), 0 for the others.",
    );
    let mut next_target = Family::new(
        "branchwatch_next_patch_release_target_timestamp_seconds",
        "Target date of the next scheduled patch release (schedule.yaml), unix seconds.",
    );
    let mut deadline = Family::new(
        "branchwatch_cherry_pick_deadline_timestamp_seconds",
        "Cherry-pick deadline of the next scheduled patch release (schedule.yaml), unix seconds.",
    );
    let mut freeze = Family::new(
        "branchwatch_cherry_pick_freeze",
        "1 while cherry-picks are frozen: the deadline passed and the release is not out yet.",
    );
    let mut missed = Family::new(
        "branchwatch_patch_release_target_missed",
        "1 when the scheduled target date passed with no newer patch release.",
    );
    let mut end_of_life = Family::new(
        "branchwatch_branch_end_of_life_timestamp_seconds",
        "End of life of the branch's minor, unix seconds: the actual date from eol.yaml once retired, else the schedule's planned date.",
    );
    let mut retired = Family::new(
        "branchwatch_branch_retired",
        "1 when kubernetes/website eol.yaml lists the branch's minor (support ended; not alerted on), 0 while it is supported, even past its planned end of life.",
    );
    let mut dashboard_missing = Family::new(
        "branchwatch_testgrid_dashboard_missing",
        "1 when TestGrid says the dashboard does not exist (a missing blocking dashboard makes the branch unknown), 0 otherwise.",
    );

    for branch in &snapshot.branches {
        let name = branch.name.as_str();
        for status in BranchStatus::ALL {
            branch_status.add(
                &[("branch", name), ("status", status.as_str())],
                bool_value(status == branch.status),
            );
        }
        status_since.add(&[("branch", name)], branch.status_since as f64);
        for dashboard in &branch.dashboards {
            dashboard_missing.add(
                &[("branch", name), ("dashboard", dashboard.name.as_str())],
                bool_value(dashboard.missing),
            );
            for tab in &dashboard.tabs {
                let labels = [
                    ("branch", name),
                    ("dashboard", dashboard.name.as_str()),
                    ("tab", tab.summary.name.as_str()),
                ];
                for status in TabStatus::ALL {
                    tab_status.add(
                        &[labels[0], labels[1], labels[2], ("status", status.as_str())],
                        bool_value(status == tab.summary.status),
                    );
                }
                if let Some(at) = tab.summary.last_run {
                    tab_last_run.add(&labels, at as f64);
                }
                if let Some(at) = tab.summary.last_update {
                    tab_last_update.add(&labels, at as f64);
                }
                tab_failing.add(&labels, f64::from(tab.summary.failing_tests));
                if dashboard.kind == DashboardKind::Blocking {
                    if let Some(runs) = tab.runs_at_head {
                        runs_at_head.add(&labels, f64::from(runs));
                    }
                    if let Some(green) = tab.head_green {
                        head_green.add(&labels, bool_value(green));
                    }
                }
            }
        }
        for (condition, count) in &branch.pull_request_counts {
            pull_requests.add(
                &[("branch", name), ("condition", condition.as_str())],
                f64::from(*count),
            );
        }
        for pr in &branch.pull_requests {
            let number = pr.number.to_string();
            for condition in &pr.conditions {
                pr_condition.add(
                    &[
                        ("branch", name),
                        ("pr", number.as_str()),
                        ("condition", condition.as_str()),
                    ],
                    1.0,
                );
            }
        }
        for presubmit in &branch.presubmits {
            let labels = [("branch", name), ("context", presubmit.context.as_str())];
            presubmit_failing.add(&labels, f64::from(presubmit.failing_prs));
            presubmit_wide.add(&labels, bool_value(presubmit.branch_wide));
        }
        if let Some(release) = &branch.release {
            if let (Some(version), Some(at)) = (&release.last_release, release.last_release_at) {
                last_release.add(
                    &[("branch", name), ("version", version.as_str())],
                    at as f64,
                );
            }
            if let Some(state) = &release.window {
                for candidate in ["too_soon", "in_window", "overdue"] {
                    window.add(
                        &[("branch", name), ("state", candidate)],
                        bool_value(candidate == state),
                    );
                }
            }
            if let (Some(version), Some(at)) =
                (&release.next_target_version, release.next_target_at)
            {
                next_target.add(
                    &[("branch", name), ("version", version.as_str())],
                    at as f64,
                );
                if let Some(deadline_at) = release.cherry_pick_deadline_at {
                    deadline.add(
                        &[("branch", name), ("version", version.as_str())],
                        deadline_at as f64,
                    );
                }
            }
            freeze.add(&[("branch", name)], bool_value(release.freeze));
            missed.add(&[("branch", name)], bool_value(release.target_missed));
            if let Some(at) = release.end_of_life_at {
                end_of_life.add(&[("branch", name)], at as f64);
            }
            retired.add(&[("branch", name)], bool_value(release.retired));
        }
    }

    let mut source_up = Family::new(
        "branchwatch_source_up",
        "1 if the latest poll of the source (testgrid, github, schedule) succeeded, 0 if it failed (the last good data is still served).",
    );
    let mut last_success = Family::new(
        "branchwatch_source_last_success_timestamp_seconds",
        "Unix time of the source's latest successful poll.",
    );
    let mut poll_duration = Family::new(
        "branchwatch_source_poll_duration_seconds",
        "Duration of the source's latest poll in seconds.",
    );
    for source in Source::ALL {
        let Some(report) = snapshot.source(source) else {
            continue;
        };
        let labels = [("source", source.as_str())];
        source_up.add(&labels, bool_value(report.up));
        if let Some(at) = report.last_success {
            last_success.add(&labels, at as f64);
        }
        if let Some(seconds) = report.last_poll_duration_seconds {
            poll_duration.add(&labels, seconds);
        }
    }

    let mut rate_remaining = Family::new(
        "branchwatch_github_rate_limit_remaining",
        "GitHub rate limit left per resource (core, graphql, search), as last reported by GitHub.",
    );
    let mut rate_reset = Family::new(
        "branchwatch_github_rate_limit_reset_timestamp_seconds",
        "When the GitHub rate limit of the resource resets, unix seconds.",
    );
    for limit in &snapshot.github_rate_limits {
        let labels = [("resource", limit.resource.as_str())];
        rate_remaining.add(&labels, limit.remaining as f64);
        if let Some(at) = limit.reset_at {
            rate_reset.add(&labels, at as f64);
        }
    }

    let mut build_info = Family::new(
        "branchwatch_build_info",
        "Always 1; the labels carry branchwatch's version and git revision.",
    );
    build_info.add(
        &[
            ("version", env!("CARGO_PKG_VERSION")),
            (
                "revision",
                option_env!("BRANCHWATCH_REVISION").unwrap_or("unknown"),
            ),
        ],
        1.0,
    );

    [
        branch_status,
        status_since,
        tab_status,
        tab_last_run,
        tab_last_update,
        tab_failing,
        runs_at_head,
        head_green,
        pull_requests,
        pr_condition,
        presubmit_failing,
        presubmit_wide,
        last_release,
        window,
        next_target,
        deadline,
        freeze,
        missed,
        end_of_life,
        retired,
        dashboard_missing,
        source_up,
        last_success,
        poll_duration,
        rate_remaining,
        rate_reset,
        build_info,
    ]
    .into_iter()
    .filter_map(Family::into_family)
    .collect()
}
