//! Memory at ten times Kubernetes' load (run with `cargo bench --bench scale`): 5 branches with
//! 300 open PRs each (Kubernetes has about 30) and 10 dashboards of 230 tabs (Kubernetes' have
//! 22 and 24), polled like the daemon polls — the replay's clock moves 15 s a cycle through its
//! ten-minute loop, so runs land, release-1.34 turns red and recovers, a tab goes stale, PRs
//! change condition and column headers are read again (up to the 300-a-poll cap) — for 300
//! cycles, each followed by a gzip `/metrics` scrape and an `/api/v1/status` read; RSS is
//! printed six times along the way.
//!
//! The replay upstream runs in a child process (this binary again, with `SCALE_REPLAY` set), so
//! the RSS printed is branchwatch's own: its runtime, clients, caches, last good data, the two
//! snapshots and their renderings. `SCALE_PRS`, `SCALE_TABS`, `SCALE_BODY_BYTES` (PR bodies
//! padded to this size; GitHub's limit is 65,536 characters) and `SCALE_CYCLES` change the run.
//! Asserts only that every poll succeeds and that the load is the one asked for.

use std::{
    io::{BufRead, BufReader, Write},
    process::{Child, ChildStdin, ChildStdout, Command, Stdio},
    sync::{
        Arc,
        atomic::{AtomicI64, Ordering},
    },
    time::{Duration, Instant},
};

use branchwatch::{
    app::App,
    demo::{Moment, ReplayUpstream, Scenario},
};
use tower::ServiceExt;

/// 2026-11-25T12:00:00Z, as in the tests.
const NOW: i64 = 1_795_608_000;
/// Seconds the clocks move per cycle (the demo's poll interval).
const STEP: i64 = 15;
/// Set in the child that serves the replay.
const REPLAY_ENV: &str = "SCALE_REPLAY";

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `VmRSS` and `VmHWM` (peak) of this process, KiB.
fn rss_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next().and_then(|n| n.parse().ok()))
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// The child: the replay upstream at the scale asked for, driven over stdin — `at <cycle>` moves
/// its clock (and refills the GraphQL budget: this run packs hours of polls into minutes),
/// `stats` answers `<graphql points so far> <header requests since the last stats>`.
fn replay_child() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let upstream = runtime
        .block_on(ReplayUpstream::start(Scenario::pinned(NOW, Moment::Calm)))
        .expect("replay");
    upstream.set_pull_requests_per_branch(env_number("SCALE_PRS", 300));
    upstream.set_tabs_per_dashboard(env_number("SCALE_TABS", 230) as usize);
    let body = env_number("SCALE_BODY_BYTES", 0) as usize;
    if body > 0 {
        upstream.set_pull_request_body_bytes(body);
    }
    println!("{}", upstream.url());
    for line in std::io::stdin().lock().lines() {
        let line = line.expect("stdin");
        if let Some(cycle) = line.strip_prefix("at ") {
            let cycle: i64 = cycle.parse().expect("a cycle number");
            upstream.refill_rate_limit();
            upstream.pin(
                Scenario::pinned(NOW + STEP * cycle, Moment::Calm)
                    .skip(Duration::from_secs((STEP * cycle) as u64)),
            );
            println!("ok");
        } else {
            let headers = upstream
                .requests()
                .iter()
                .filter(|r| r.starts_with("testgrid headers"))
                .count();
            upstream.clear_requests();
            println!("{} {headers}", upstream.graphql_points());
        }
    }
}

struct Replay {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Replay {
    fn start() -> (Replay, String) {
        let mut child = Command::new(std::env::current_exe().expect("this binary"))
            .env(REPLAY_ENV, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the replay child starts");
        let stdin = child.stdin.take().expect("stdin");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut url = String::new();
        stdout.read_line(&mut url).expect("the replay's URL");
        (
            Replay {
                child,
                stdin,
                stdout,
            },
            url.trim().to_string(),
        )
    }

    fn ask(&mut self, command: &str) -> String {
        writeln!(self.stdin, "{command}").expect("to the replay");
        let mut answer = String::new();
        self.stdout.read_line(&mut answer).expect("from the replay");
        answer.trim().to_string()
    }

    /// GraphQL points so far, and header requests since the last call.
    fn stats(&mut self) -> (u64, usize) {
        let answer = self.ask("stats");
        let (points, headers) = answer.split_once(' ').expect("two numbers");
        (
            points.parse().expect("points"),
            headers.parse().expect("headers"),
        )
    }
}

fn main() {
    if std::env::var_os(REPLAY_ENV).is_some() {
        replay_child();
        return;
    }
    let prs = env_number("SCALE_PRS", 300);
    let tabs = env_number("SCALE_TABS", 230) as usize;
    let body = env_number("SCALE_BODY_BYTES", 0);
    let cycles = env_number("SCALE_CYCLES", 300) as i64;
    let (mut replay, url) = Replay::start();
    let clock = Arc::new(AtomicI64::new(NOW));
    let mut config = branchwatch::demo::config(&url);
    // The production defaults: a poll may take up to three intervals (the replay, not
    // branchwatch, is slow at the bounds), and one request must fit a page of padded PRs.
    config.poll_interval = Duration::from_secs(300);
    config.request_timeout = Duration::from_secs(30);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    // The GitHub client spawns a task when it is built.
    let _entered = runtime.enter();
    let now = Arc::clone(&clock);
    let app = App::with_clock(&config, Arc::new(move || now.load(Ordering::SeqCst))).expect("app");
    let router = app.router();
    println!(
        "load: 5 branches x {prs} open PRs, 10 dashboards x {tabs} tabs{}, {cycles} cycles of {STEP} s",
        if body > 0 {
            format!(", PR bodies of {body} bytes")
        } else {
            String::new()
        }
    );
    println!("RSS before the first poll: {}", mib(rss_kib().0));
    runtime.block_on(async {
        let scrape = |path: &'static str| {
            let request = axum::http::Request::get(path)
                .header("accept-encoding", "gzip")
                .body(axum::body::Body::empty())
                .expect("request");
            let router = router.clone();
            async move {
                let response = router.oneshot(request).await.expect("served");
                assert!(response.status().is_success(), "{path}");
                axum::body::to_bytes(response.into_body(), usize::MAX)
                    .await
                    .expect("body")
                    .len()
            }
        };

        let mut cycle_time = Duration::ZERO;
        let (mut most_headers, mut total_headers) = (0, 0);
        let (mut last_points, mut steady_points) = (0, 0);
        for cycle in 0..=cycles {
            replay.ask(&format!("at {cycle}"));
            clock.store(NOW + STEP * cycle, Ordering::SeqCst);
            let started = Instant::now();
            let failures = app.once().await;
            let took = started.elapsed();
            assert!(failures.is_empty(), "cycle {cycle}: {failures:?}");
            let (points, headers) = replay.stats();
            let spent = points - last_points;
            last_points = points;
            let gzip = scrape("/metrics").await;
            let status = scrape("/api/v1/status").await;
            if cycle == 0 {
                let snapshot = app.snapshot();
                assert_eq!(snapshot.branches.len(), 5);
                for branch in &snapshot.branches {
                    assert_eq!(branch.pull_request_counts.open, Some(prs as u32));
                    assert_eq!(branch.dashboards.len(), 2, "{}", branch.name);
                    for dashboard in &branch.dashboards {
                        assert_eq!(dashboard.tabs.len(), tabs, "{}", dashboard.name);
                    }
                }
                let exposition = app.render_metrics().expect("render");
                let series = exposition
                    .lines()
                    .filter(|l| !l.starts_with('#') && !l.is_empty())
                    .count();
                println!(
                    "first cycle: {took:?}, {spent} GraphQL points, {headers} header requests; {series} series, /metrics {} KiB plain, {} KiB gzip; /api/v1/status {} KiB gzip",
                    exposition.len() / 1024,
                    gzip / 1024,
                    status / 1024
                );
                println!("RSS after the first cycle: {}", mib(rss_kib().0));
                continue;
            }
            cycle_time += took;
            most_headers = most_headers.max(headers);
            total_headers += headers;
            steady_points += spent;
            if cycle % (cycles / 6).max(1) == 0 {
                let (rss, peak) = rss_kib();
                println!(
                    "after {cycle} cycles: RSS {}, peak so far {}",
                    mib(rss),
                    mib(peak)
                );
            }
        }
        let later = cycles.max(1);
        println!(
            "cycles 1..={cycles}: {:?} per cycle, {:.1} GraphQL points per cycle, header requests {:.0} per cycle on average and {most_headers} at most",
            cycle_time / later as u32,
            steady_points as f64 / later as f64,
            total_headers as f64 / later as f64
        );
    });
    let (rss, peak) = rss_kib();
    println!("end: RSS {}, peak {}", mib(rss), mib(peak));
    drop(replay.stdin);
    let _ = replay.child.wait();
}
