//! One full poll (`App::once`, and the `branchwatch once` binary) against the replay upstream,
//! healthy and broken: the right metrics, clear errors, the last good data kept, no panics.

use std::{process::Command, sync::Arc, time::Duration};

use branchwatch::{
    Outcome, Source,
    app::App,
    config::{BranchSelection, TestgridApi},
    demo::{Fault, Moment, ReplayUpstream},
    snapshot::{BranchStatus, Condition, Snapshot},
};

use crate::support::{NOW, config_for, metric_value, pinned_app, replay, replay_config_file};

fn branch_status(snapshot: &Snapshot, branch: &str) -> BranchStatus {
    snapshot.branch(branch).expect("branch is watched").status
}

#[tokio::test]
async fn a_healthy_cycle_reports_every_branch_with_all_sources_up() {
    let upstream = replay(Moment::Calm).await;
    let app = pinned_app(config_for(&upstream, TestgridApi::V1));
    let failures = app.once().await;
    assert!(failures.is_empty(), "{failures:?}");
    let snapshot = app.snapshot();
    let names: Vec<&str> = snapshot.branches.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "master",
            "release-1.34",
            "release-1.35",
            "release-1.36",
            "release-1.37"
        ]
    );
    assert_eq!(branch_status(&snapshot, "master"), BranchStatus::Flaky);
    assert_eq!(
        branch_status(&snapshot, "release-1.34"),
        BranchStatus::Green
    );
    let exposition = app.render_metrics().unwrap();
    for source in ["testgrid", "github", "schedule"] {
        assert_eq!(
            metric_value(
                &exposition,
                &format!("branchwatch_source_up{{source=\"{source}\"}}")
            ),
            Some(1.0),
            "{source}"
        );
    }
    // 22 blocking + 24 informing tabs per branch, each with 8 status series.
    let tab_series = exposition
        .lines()
        .filter(|l| l.starts_with("branchwatch_testgrid_tab_status{branch=\"release-1.37\""))
        .count();
    assert_eq!(tab_series, (22 + 24) * 8);
    assert_eq!(
        metric_value(
            &exposition,
            "branchwatch_testgrid_tab_status{branch=\"master\",dashboard=\"sig-release-master-blocking\",tab=\"sig-network-kind, loadbalancer-master\",status=\"PASSING\"}"
        ),
        Some(1.0),
        "tab names with spaces and commas survive"
    );
}

#[tokio::test]
async fn the_red_phase_makes_release_1_34_red_and_its_approved_picks_only_blocked_by_branch() {
    let upstream = replay(Moment::BranchRed).await;
    for api in [TestgridApi::Legacy, TestgridApi::V1] {
        let app = pinned_app(config_for(&upstream, api));
        assert!(app.once().await.is_empty());
        let snapshot = app.snapshot();
        let branch = snapshot.branch("release-1.34").unwrap();
        assert_eq!(
            branch.status,
            BranchStatus::Red,
            "{api:?}: {}",
            branch.status_reason
        );
        assert!(branch.status_reason.contains("verify-1.34"));
        let verify = branch
            .presubmits
            .iter()
            .find(|p| p.context == "pull-kubernetes-verify")
            .unwrap();
        assert!(verify.branch_wide);
        let twin = verify
            .periodic_twin
            .as_ref()
            .expect("verify-1.34 is the periodic twin");
        assert_eq!(twin.tab, "verify-1.34");
        assert!(twin.failing);
        assert!(
            branch
                .pull_request_counts
                .get(Condition::OnlyBlockedByBranch)
                >= 2
        );
        let only_blocked: Vec<_> = branch
            .pull_requests
            .iter()
            .filter(|pr| pr.conditions.contains(&Condition::OnlyBlockedByBranch))
            .collect();
        for pr in &only_blocked {
            assert!(pr.conditions.contains(&Condition::CherryPickApproved));
            assert!(pr.failing_contexts.iter().all(|c| c.branch_wide));
            assert_eq!(
                pr.failing_contexts[0].description, "Job failed.",
                "padding and BaseSHA hidden"
            );
        }
        // Other branches are untouched by 1.34's trouble.
        assert_eq!(
            branch_status(&snapshot, "release-1.37"),
            BranchStatus::Green
        );
        assert_eq!(
            branch_status(&snapshot, "release-1.36"),
            BranchStatus::Green
        );
    }
}

#[tokio::test]
async fn the_stale_phase_makes_release_1_36_stale() {
    let upstream = replay(Moment::TabStale).await;
    let app = pinned_app(config_for(&upstream, TestgridApi::Legacy));
    assert!(app.once().await.is_empty());
    let snapshot = app.snapshot();
    assert_eq!(
        branch_status(&snapshot, "release-1.36"),
        BranchStatus::Stale
    );
    assert_eq!(
        branch_status(&snapshot, "release-1.34"),
        BranchStatus::Green
    );
}

#[tokio::test]
async fn release_timing_comes_from_releases_and_the_schedule() {
    let upstream = replay(Moment::Calm).await;
    let app = pinned_app(config_for(&upstream, TestgridApi::V1));
    assert!(app.once().await.is_empty());
    let exposition = app.render_metrics().unwrap();
    let value = |series: &str| metric_value(&exposition, series);
    let published = exposition
        .lines()
        .find_map(|line| {
            line.strip_prefix("branchwatch_last_patch_release_timestamp_seconds{branch=\"release-1.37\",version=\"v1.37.3\"} ")
        })
        .and_then(|v| v.parse::<f64>().ok())
        .expect("last release of 1.37");
    assert_eq!(
        ((NOW as f64 - published) / 86400.0).floor(),
        11.0,
        "published 11 days 18 hours ago"
    );
    assert!(
        !exposition.contains("branchwatch_days_since_last_patch_release"),
        "retired: promtool's lint wants seconds"
    );
    assert_eq!(
        value("branchwatch_patch_release_window{branch=\"release-1.37\",state=\"too_soon\"}"),
        Some(1.0)
    );
    assert_eq!(
        value("branchwatch_patch_release_window{branch=\"release-1.35\",state=\"overdue\"}"),
        Some(1.0)
    );
    assert_eq!(
        value("branchwatch_patch_release_target_missed{branch=\"release-1.35\"}"),
        Some(1.0)
    );
    assert_eq!(
        value("branchwatch_cherry_pick_freeze{branch=\"release-1.36\"}"),
        Some(1.0)
    );
    assert_eq!(
        value("branchwatch_cherry_pick_freeze{branch=\"release-1.37\"}"),
        Some(0.0)
    );
    assert!(exposition.contains("branchwatch_last_patch_release_timestamp_seconds{branch=\"release-1.37\",version=\"v1.37.3\"}"));
    assert!(exposition.contains("branchwatch_testgrid_tab_runs_at_head{branch=\"release-1.37\",dashboard=\"sig-release-1.37-blocking\""));
    assert!(
        !exposition.contains("branch=\"master\",version="),
        "master has no patch releases"
    );
}

#[tokio::test]
async fn an_html_500_from_testgrid_marks_it_down_keeps_the_last_good_data_and_recovers() {
    let upstream = replay(Moment::Calm).await;
    let app = pinned_app(config_for(&upstream, TestgridApi::Legacy));
    assert!(app.once().await.is_empty());
    let tabs_before = app.snapshot().branch("release-1.35").unwrap().dashboards[0]
        .tabs
        .len();

    upstream.set_fault(Source::Testgrid, Some(Fault::Html500));
    let failures = app.once().await;
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].0, Source::Testgrid);
    assert!(
        failures[0].1.contains("HTTP 500") && failures[0].1.contains("500 Server Error"),
        "{}",
        failures[0].1
    );
    let snapshot = app.snapshot();
    assert!(!snapshot.source(Source::Testgrid).unwrap().up);
    assert!(
        snapshot.source(Source::Github).unwrap().up,
        "GitHub is unaffected"
    );
    assert_eq!(
        snapshot.branch("release-1.35").unwrap().dashboards[0]
            .tabs
            .len(),
        tabs_before,
        "the last good tabs are still served"
    );
    let exposition = app.render_metrics().unwrap();
    assert_eq!(
        metric_value(&exposition, "branchwatch_source_up{source=\"testgrid\"}"),
        Some(0.0)
    );
    assert!(
        metric_value(
            &exposition,
            "branchwatch_upstream_requests_total{outcome=\"server_error\",source=\"testgrid\"}"
        )
        .unwrap()
            >= 10.0
    );

    upstream.set_fault(Source::Testgrid, None);
    assert!(app.once().await.is_empty());
    assert!(app.snapshot().source(Source::Testgrid).unwrap().up);
}

#[tokio::test]
async fn truncated_and_not_found_testgrid_bodies_are_clear_errors() {
    let upstream = replay(Moment::Calm).await;
    for (api, fault, expected) in [
        (TestgridApi::Legacy, Fault::Truncated, "truncated JSON"),
        (TestgridApi::V1, Fault::Truncated, "truncated JSON"),
    ] {
        upstream.set_fault(Source::Testgrid, Some(fault));
        let app = pinned_app(config_for(&upstream, api));
        let failures = app.once().await;
        let testgrid = failures
            .iter()
            .find(|(s, _)| *s == Source::Testgrid)
            .expect("testgrid failed");
        assert!(
            testgrid.1.contains(expected),
            "{api:?} {fault:?}: {}",
            testgrid.1
        );
        // Nothing decoded, so every branch is unknown rather than wrongly green.
        assert_eq!(
            branch_status(&app.snapshot(), "release-1.34"),
            BranchStatus::Unknown
        );
    }
}

#[tokio::test]
async fn a_dashboard_testgrid_does_not_know_is_missing_not_an_outage() {
    let upstream = replay(Moment::Calm).await;
    upstream.set_fault(Source::Testgrid, Some(Fault::DashboardNotFound));
    for api in [TestgridApi::Legacy, TestgridApi::V1] {
        let app = pinned_app(config_for(&upstream, api));
        let failures = app.once().await;
        assert!(failures.is_empty(), "{api:?}: {failures:?}");
        let snapshot = app.snapshot();
        assert!(snapshot.source(Source::Testgrid).unwrap().up);
        let branch = snapshot.branch("release-1.34").unwrap();
        assert_eq!(branch.status, BranchStatus::Unknown);
        assert!(
            branch.status_reason.contains("sig-release-1.34-blocking"),
            "{}",
            branch.status_reason
        );
        let exposition = app.render_metrics().unwrap();
        assert_eq!(
            metric_value(
                &exposition,
                "branchwatch_testgrid_dashboard_missing{branch=\"release-1.34\",dashboard=\"sig-release-1.34-blocking\"}"
            ),
            Some(1.0)
        );
        assert_eq!(
            metric_value(&exposition, "branchwatch_source_up{source=\"testgrid\"}"),
            Some(1.0)
        );
    }
    // Found again: not missing any more, and the branch has its status back.
    upstream.set_fault(Source::Testgrid, None);
    let app = pinned_app(config_for(&upstream, TestgridApi::V1));
    assert!(app.once().await.is_empty());
    let exposition = app.render_metrics().unwrap();
    assert_eq!(
        metric_value(
            &exposition,
            "branchwatch_testgrid_dashboard_missing{branch=\"release-1.34\",dashboard=\"sig-release-1.34-blocking\"}"
        ),
        Some(0.0)
    );
}

#[tokio::test]
async fn github_failures_each_give_a_specific_reason_and_testgrid_keeps_working() {
    let upstream = replay(Moment::Calm).await;
    let cases = [
        (Fault::Unauthorized, "rejected the token (401"),
        (
            Fault::Forbidden,
            "refused access to kubernetes/kubernetes (403",
        ),
        (
            Fault::RateLimited {
                reset_at: NOW + 1800,
            },
            "rate limit reached",
        ),
        (Fault::SecondaryLimit { retry_after: 90 }, "Retry-After 90s"),
        (Fault::BadGateway, "HTTP 502"),
        (Fault::GraphqlErrors, "GraphQL errors: Something went wrong"),
    ];
    for (fault, expected) in cases {
        upstream.set_fault(Source::Github, Some(fault));
        let app = pinned_app(config_for(&upstream, TestgridApi::V1));
        let failures = app.once().await;
        assert_eq!(failures.len(), 1, "{fault:?}: {failures:?}");
        assert_eq!(failures[0].0, Source::Github);
        assert!(
            failures[0].1.contains(expected),
            "{fault:?}: {}",
            failures[0].1
        );
        assert!(
            !failures[0].1.contains("demo-token"),
            "the token never appears"
        );
        let exposition = app.render_metrics().unwrap();
        assert_eq!(
            metric_value(&exposition, "branchwatch_source_up{source=\"github\"}"),
            Some(0.0)
        );
        assert_eq!(
            metric_value(&exposition, "branchwatch_source_up{source=\"testgrid\"}"),
            Some(1.0)
        );
        assert!(exposition.contains("branchwatch_testgrid_tab_status{branch=\"release-1.37\""));
    }
    upstream.set_fault(Source::Github, None);
}

#[tokio::test]
async fn a_rate_limit_is_waited_out_instead_of_retried() {
    let upstream = replay(Moment::Calm).await;
    let app = pinned_app(config_for(&upstream, TestgridApi::V1));
    upstream.set_fault(
        Source::Github,
        Some(Fault::RateLimited {
            reset_at: NOW + 1800,
        }),
    );
    app.once().await;
    let github_requests = |u: &ReplayUpstream| {
        u.requests()
            .iter()
            .filter(|r| r.starts_with("github"))
            .count()
    };
    assert_eq!(github_requests(&upstream), 1, "one request, then stop");
    // Even with GitHub healthy again, nothing is sent before the reset time.
    upstream.set_fault(Source::Github, None);
    let failures = app.once().await;
    assert!(failures[0].1.contains("rate limit"), "{failures:?}");
    assert_eq!(github_requests(&upstream), 1, "no request before the reset");
}

#[tokio::test]
async fn partial_graphql_data_is_used_and_the_error_counted() {
    let upstream = replay(Moment::Calm).await;
    upstream.set_fault(Source::Github, Some(Fault::GraphqlPartial));
    let app = pinned_app(config_for(&upstream, TestgridApi::V1));
    let failures = app.once().await;
    assert!(failures.is_empty(), "{failures:?}");
    let snapshot = app.snapshot();
    assert!(snapshot.source(Source::Github).unwrap().up);
    let exposition = app.render_metrics().unwrap();
    assert!(metric_value(&exposition, "branchwatch_github_graphql_errors_total").unwrap() >= 1.0);
    assert!(
        snapshot
            .branch("release-1.35")
            .unwrap()
            .pull_request_counts
            .open
            .unwrap()
            > 0
    );
    upstream.set_fault(Source::Github, None);
}

#[tokio::test]
async fn without_a_token_github_is_down_with_the_reason_and_nothing_is_sent() {
    let upstream = replay(Moment::Calm).await;
    let mut config = config_for(&upstream, TestgridApi::V1);
    config.github.token = None;
    config.branches = BranchSelection::Explicit(vec!["master".into(), "release-1.35".into()]);
    let app = pinned_app(config);
    let failures = app.once().await;
    assert_eq!(failures.len(), 1);
    assert!(
        failures[0].1.contains("no GitHub token"),
        "{}",
        failures[0].1
    );
    assert!(upstream.requests().iter().all(|r| !r.starts_with("github")));
    assert_eq!(
        branch_status(&app.snapshot(), "release-1.35"),
        BranchStatus::Green
    );
}

#[tokio::test]
async fn a_cycle_costs_an_exact_number_of_requests_and_points_and_etags_make_releases_free() {
    let upstream = replay(Moment::Calm).await;
    let app = pinned_app(config_for(&upstream, TestgridApi::V1));
    assert!(app.once().await.is_empty());
    let ops = |u: &ReplayUpstream, prefix: &str| {
        u.requests()
            .iter()
            .filter(|r| r.starts_with(prefix))
            .count()
    };
    // 1 BranchHeads (with milestones) + 5 branches × 1 page + 1 release tags + 1 merged
    // search of the 4 release branches (2 points) + 1 parents batch (open and merged picks') +
    // 1 changed-files batch (the release branches' PRs) + 1 batch of label removals (the
    // unapproved open PRs of branches whose last release ended a freeze).
    assert_eq!(ops(&upstream, "github graphql"), 11);
    assert_eq!(ops(&upstream, "github graphql MergedPullRequests"), 1);
    assert_eq!(ops(&upstream, "github graphql ChangedFiles"), 1);
    assert_eq!(ops(&upstream, "github graphql LabelRemovals"), 1);
    assert_eq!(upstream.graphql_points(), 12);
    assert_eq!(ops(&upstream, "github releases"), 1);
    assert_eq!(ops(&upstream, "testgrid tab-summaries"), 10);
    assert_eq!(ops(&upstream, "schedule schedule.yaml"), 1);
    assert_eq!(ops(&upstream, "schedule eol.yaml"), 1);

    let header_requests = ops(&upstream, "testgrid headers");
    assert_eq!(
        header_requests,
        5 * 22,
        "every blocking tab of the 5 branches (all HEADs known)"
    );

    upstream.clear_requests();
    assert!(app.once().await.is_empty());
    assert_eq!(
        ops(&upstream, "testgrid headers"),
        0,
        "no run changed: headers are not read again"
    );
    assert_eq!(
        app.requests(Source::Github, Outcome::NotModified),
        1,
        "the unchanged release list is a free 304"
    );
    assert_eq!(
        app.requests(Source::Schedule, Outcome::NotModified),
        2,
        "schedule.yaml and eol.yaml unchanged"
    );
    // Merged parents are cached; only the unmerged ones are asked again.
    assert_eq!(ops(&upstream, "github graphql ParentPullRequests"), 1);
    // No head moved: changed files and merged PRs come from the cache; so do the label removals
    // (the past does not change).
    assert_eq!(ops(&upstream, "github graphql ChangedFiles"), 0);
    assert_eq!(ops(&upstream, "github graphql MergedPullRequests"), 0);
    assert_eq!(ops(&upstream, "github graphql LabelRemovals"), 0);
}

#[tokio::test]
async fn the_binary_exits_non_zero_and_names_the_failed_source() {
    let upstream = replay(Moment::Calm).await;
    upstream.set_fault(Source::Testgrid, Some(Fault::Html500));
    let (_dir, config) = replay_config_file(&upstream, "[master, release-1.35]");
    let binary = env!("CARGO_BIN_EXE_branchwatch");
    let output = tokio::task::spawn_blocking(move || {
        Command::new(binary)
            .args(["once", "--config"])
            .arg(&config)
            .env_remove("GITHUB_TOKEN")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("source testgrid failed") && stderr.contains("500 Server Error"),
        "{stderr}"
    );
    assert!(
        stderr.contains("source github failed") && stderr.contains("no GitHub token"),
        "{stderr}"
    );
    assert!(
        stdout.contains("branchwatch_source_up{source=\"testgrid\"} 0"),
        "{stdout}"
    );
    assert!(
        stdout.contains("branchwatch_source_up{source=\"schedule\"} 1"),
        "{stdout}"
    );
    assert!(!stderr.contains("panicked"));
    let _ = Duration::ZERO;
}

#[tokio::test]
async fn the_demo_exposition_passes_promtool_check_metrics() {
    let upstream = replay(Moment::BranchRed).await;
    let app = pinned_app(config_for(&upstream, TestgridApi::V1));
    assert!(app.once().await.is_empty());
    let exposition = app.render_metrics().unwrap();
    let output = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut child = Command::new("promtool")
            .args(["check", "metrics"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("promtool is on PATH (Debian package `prometheus`; the README's test command installs it)");
        child.stdin.take().unwrap().write_all(exposition.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let complaints: Vec<&str> = report.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(
        complaints.is_empty(),
        "promtool complaints: {complaints:#?}"
    );
}

#[tokio::test]
async fn kubernetes_load_costs_seventeen_points_first_then_eight() {
    // Kubernetes' load: 5 branches × 30 open PRs, 20 PRs merged into each release branch since
    // its last patch release (release notes preview), milestones, release readiness.
    let upstream = replay(Moment::Calm).await;
    upstream.set_pull_requests_per_branch(30);
    upstream.set_merged_per_branch(20);
    let app = pinned_app(config_for(&upstream, TestgridApi::V1));
    assert!(app.once().await.is_empty());
    let snapshot = app.snapshot();
    let open: u32 = snapshot
        .branches
        .iter()
        .map(|b| b.pull_request_counts.open.unwrap())
        .sum();
    assert_eq!(open, 150);
    for branch in [
        "release-1.34",
        "release-1.35",
        "release-1.36",
        "release-1.37",
    ] {
        let preview = snapshot
            .branch(branch)
            .unwrap()
            .release_notes_preview
            .as_ref()
            .unwrap();
        assert_eq!(preview.merged.len(), 20, "{branch}");
        assert!(preview.complete, "{branch}");
    }
    let graphql = |u: &ReplayUpstream, op: &str| {
        u.requests()
            .iter()
            .filter(|r| r.as_str() == format!("github graphql {op}"))
            .count()
    };
    // Costs by GitHub's formula (tests/graphql_schema.rs): 1 point each, but the merged search
    // of four branches in one document, which is 2.
    assert_eq!(
        graphql(&upstream, "BranchHeads"),
        1,
        "milestones come along"
    );
    assert_eq!(graphql(&upstream, "BranchPullRequests"), 5);
    assert_eq!(graphql(&upstream, "ReleaseTags"), 1);
    assert_eq!(
        graphql(&upstream, "MergedPullRequests"),
        1,
        "the four release branches' merged PRs in one document"
    );
    assert_eq!(
        graphql(&upstream, "ParentPullRequests"),
        4,
        "the parents of 104 automated open picks (26 a release branch: 1 in 7 is a manual pick) \
         and of 60 automated merged ones (15 a branch), 164 in batches of 50"
    );
    assert_eq!(
        graphql(&upstream, "ChangedFiles"),
        3,
        "120 release-branch PRs in batches of 50 (master's PRs are not checked)"
    );
    assert_eq!(
        graphql(&upstream, "LabelRemovals"),
        1,
        "the open PRs without cherry-pick-approval that existed when each branch's last release \
         ended its freeze, in one batch"
    );
    assert_eq!(upstream.graphql_points(), 1 + 5 + 1 + 2 + 4 + 3 + 1);
    // Steady state: merged PRs and merged parents come from the cache (the demo leaves 1 open
    // pick in 7 with an unmerged parent), no head moved (no merged search, no changed files).
    for cycle in 1..=3 {
        upstream.clear_requests();
        let before = upstream.graphql_points();
        assert!(app.once().await.is_empty());
        assert_eq!(graphql(&upstream, "ParentPullRequests"), 1, "cycle {cycle}");
        assert_eq!(graphql(&upstream, "MergedPullRequests"), 0, "cycle {cycle}");
        assert_eq!(graphql(&upstream, "ChangedFiles"), 0, "cycle {cycle}");
        assert_eq!(graphql(&upstream, "LabelRemovals"), 0, "cycle {cycle}");
        let spent = upstream.graphql_points() - before;
        assert_eq!(spent, 8, "cycle {cycle}");
        assert!(
            spent <= 12,
            "DESIGN.md's budget for the playbook at Kubernetes' load"
        );
    }
}

#[tokio::test]
async fn releases_follow_link_pages_until_every_minor_is_found_and_pages_are_then_free() {
    let upstream = replay(Moment::Calm).await;
    let mut config = config_for(&upstream, TestgridApi::V1);
    config.branches = BranchSelection::Explicit(vec!["release-1.33".into()]);
    let app = pinned_app(config);
    // release-1.33 is retired: TestGrid no longer has its dashboards (missing, not a
    // failure), GitHub still has its releases.
    let failures = app.once().await;
    assert!(
        failures.iter().all(|(s, _)| *s == Source::Testgrid),
        "{failures:?}"
    );
    let pages = upstream
        .requests()
        .iter()
        .filter(|r| r.starts_with("github releases"))
        .count();
    assert!(
        pages >= 2,
        "v1.33's releases are past the first page ({pages} fetched)"
    );
    let release = app
        .snapshot()
        .branch("release-1.33")
        .unwrap()
        .release
        .clone()
        .unwrap();
    assert_eq!(
        release.last_release.map(|v| v.to_string()).as_deref(),
        Some("v1.33.13")
    );
    upstream.clear_requests();
    assert!(app.once().await.iter().all(|(s, _)| *s == Source::Testgrid));
    assert_eq!(
        app.requests(Source::Github, Outcome::NotModified),
        pages as u64,
        "every unchanged page is a free 304"
    );
}

fn count(app: &App, source: Source, outcome: Outcome) -> u64 {
    app.requests(source, outcome)
}

fn github_requests(upstream: &ReplayUpstream) -> usize {
    upstream
        .requests()
        .iter()
        .filter(|r| r.starts_with("github"))
        .count()
}

#[tokio::test]
async fn a_rate_limit_said_in_a_200_graphql_answer_is_rate_limited_and_exports_zero_left() {
    let upstream = replay(Moment::Calm).await;
    let app = pinned_app(config_for(&upstream, TestgridApi::V1));
    upstream.set_fault(
        Source::Github,
        Some(Fault::GraphqlRateLimited {
            reset_at: NOW + 1800,
        }),
    );
    let failures = app.once().await;
    let github = failures.iter().find(|(s, _)| *s == Source::Github).unwrap();
    assert!(github.1.contains("rate limit"), "{}", github.1);
    assert_eq!(count(&app, Source::Github, Outcome::RateLimited), 1);
    assert_eq!(count(&app, Source::Github, Outcome::DecodeError), 0);
    let exposition = app.render_metrics().unwrap();
    assert_eq!(
        metric_value(
            &exposition,
            "branchwatch_github_rate_limit_remaining{resource=\"graphql\"}"
        ),
        Some(0.0),
        "the series exists exactly when the budget is exhausted"
    );
    assert_eq!(
        metric_value(
            &exposition,
            "branchwatch_github_rate_limit_reset_timestamp_seconds{resource=\"graphql\"}"
        ),
        Some((NOW + 1800) as f64)
    );
    let snapshot = app.snapshot();
    assert_eq!(
        snapshot.source(Source::Github).unwrap().retry_at,
        Some(NOW + 1800)
    );
    // Nothing is sent before the reset, even once GitHub answers again.
    upstream.set_fault(Source::Github, None);
    let sent = github_requests(&upstream);
    app.once().await;
    assert_eq!(github_requests(&upstream), sent);
}

#[tokio::test]
async fn a_403_rate_limit_exports_zero_left_although_the_poll_failed() {
    let upstream = replay(Moment::Calm).await;
    let app = pinned_app(config_for(&upstream, TestgridApi::V1));
    upstream.set_fault(
        Source::Github,
        Some(Fault::RateLimited {
            reset_at: NOW + 600,
        }),
    );
    app.once().await;
    let exposition = app.render_metrics().unwrap();
    assert_eq!(
        metric_value(
            &exposition,
            "branchwatch_github_rate_limit_remaining{resource=\"graphql\"}"
        ),
        Some(0.0)
    );
    assert_eq!(
        metric_value(
            &exposition,
            "branchwatch_github_rate_limit_reset_timestamp_seconds{resource=\"graphql\"}"
        ),
        Some((NOW + 600) as f64)
    );
}

#[tokio::test]
async fn a_reset_in_the_year_9999_silences_github_for_an_hour_not_forever() {
    use std::sync::atomic::{AtomicI64, Ordering};
    let upstream = replay(Moment::Calm).await;
    let clock = Arc::new(AtomicI64::new(NOW));
    let now = Arc::clone(&clock);
    let app = App::with_clock(
        &config_for(&upstream, TestgridApi::V1),
        Arc::new(move || now.load(Ordering::SeqCst)),
    )
    .unwrap();
    upstream.set_fault(
        Source::Github,
        Some(Fault::RateLimited {
            reset_at: 253_402_300_799,
        }),
    );
    app.once().await;
    assert_eq!(
        app.snapshot().source(Source::Github).unwrap().retry_at,
        Some(NOW + 3600)
    );
    upstream.set_fault(Source::Github, None);
    let sent = github_requests(&upstream);
    clock.store(NOW + 3599, Ordering::SeqCst);
    app.once().await;
    assert_eq!(github_requests(&upstream), sent, "still waiting");
    clock.store(NOW + 3601, Ordering::SeqCst);
    let failures = app.once().await;
    assert!(failures.is_empty(), "{failures:?}");
    assert!(
        github_requests(&upstream) > sent,
        "asked again after an hour"
    );
}

#[tokio::test]
async fn a_503_with_retry_after_is_honoured_for_every_source() {
    let upstream = replay(Moment::Calm).await;
    let mut config = config_for(&upstream, TestgridApi::V1);
    config.branches = BranchSelection::Explicit(vec!["release-1.35".into()]);
    let app = pinned_app(config);
    for source in Source::ALL {
        upstream.set_fault(source, Some(Fault::Unavailable { retry_after: 120 }));
    }
    let failures = app.once().await;
    assert_eq!(failures.len(), 3, "{failures:?}");
    let snapshot = app.snapshot();
    for source in Source::ALL {
        let report = snapshot.source(source).unwrap();
        assert!(!report.up);
        assert_eq!(report.retry_at, Some(NOW + 120), "{source:?}");
        assert!(count(&app, source, Outcome::ServerError) >= 1, "{source:?}");
    }
}

#[tokio::test]
async fn an_answer_slower_than_the_request_timeout_is_a_timeout() {
    let upstream = replay(Moment::Calm).await;
    let mut config = config_for(&upstream, TestgridApi::V1);
    config.branches = BranchSelection::Explicit(vec!["release-1.35".into()]);
    config.request_timeout = Duration::from_secs(1);
    let app = pinned_app(config);
    for source in Source::ALL {
        upstream.set_fault(source, Some(Fault::Stall { seconds: 3 }));
    }
    let failures = app.once().await;
    assert_eq!(failures.len(), 3, "{failures:?}");
    for source in Source::ALL {
        assert!(count(&app, source, Outcome::Timeout) >= 1, "{source:?}");
        assert_eq!(
            count(&app, source, Outcome::TransportError),
            0,
            "{source:?}"
        );
    }
    let exposition = app.render_metrics().unwrap();
    assert!(
        metric_value(
            &exposition,
            "branchwatch_upstream_requests_total{outcome=\"timeout\",source=\"testgrid\"}"
        )
        .unwrap()
            >= 1.0
    );
}

#[tokio::test]
async fn well_formed_wrong_answers_are_decode_errors_and_the_last_good_data_stays() {
    let upstream = replay(Moment::Calm).await;
    let app = pinned_app(config_for(&upstream, TestgridApi::V1));
    assert!(app.once().await.is_empty());
    let before = app.snapshot();
    for source in Source::ALL {
        upstream.set_fault(source, Some(Fault::WrongShape));
    }
    let failures = app.once().await;
    let failed: Vec<Source> = failures.iter().map(|(s, _)| *s).collect();
    assert_eq!(
        failed,
        [Source::Schedule, Source::Github, Source::Testgrid],
        "{failures:?}"
    );
    let after = app.snapshot();
    for source in Source::ALL {
        let report = after.source(source).unwrap();
        assert_eq!(
            report.error_kind.as_deref(),
            Some("decode_error"),
            "{source:?}: {:?}",
            report.last_error
        );
    }
    for name in ["release-1.35", "release-1.37"] {
        let (old, new) = (before.branch(name).unwrap(), after.branch(name).unwrap());
        assert_eq!(new.dashboards[0].tabs.len(), 22, "{name}: tabs kept");
        assert_eq!(new.status, old.status);
        let (old, new) = (old.release.as_ref().unwrap(), new.release.as_ref().unwrap());
        assert_eq!(new.last_release, old.last_release, "{name}: releases kept");
        assert_eq!(
            new.next_target_at, old.next_target_at,
            "{name}: schedule kept"
        );
    }
    assert_eq!(
        after.branches.len(),
        before.branches.len(),
        "no branch dropped"
    );
    assert!(count(&app, Source::Testgrid, Outcome::DecodeError) >= 1);
    assert!(count(&app, Source::Github, Outcome::DecodeError) >= 1);
    assert!(count(&app, Source::Schedule, Outcome::DecodeError) >= 1);
}

/// `report --from` reads a running instance's `/api/v1/status` back into a snapshot: what the
/// status API writes, the snapshot type reads, and writes again unchanged.
#[tokio::test]
async fn the_status_json_reads_back_into_the_same_snapshot() {
    let upstream = replay(Moment::BranchRed).await;
    let app = pinned_app(config_for(&upstream, TestgridApi::V1));
    assert!(app.once().await.is_empty());
    let written = serde_json::to_value(&*app.snapshot()).unwrap();
    assert!(written["branches"][1]["pull_requests"][0]["next_action"].is_string());
    let read: Snapshot = serde_json::from_value(written.clone()).expect("status JSON reads back");
    assert_eq!(serde_json::to_value(&read).unwrap(), written);
    assert_eq!(read.branches.len(), 5);
}
