//! Speed and cost figures (run with `cargo bench`): scrape rendering, a full poll cycle against
//! the loopback replay, GitHub points per cycle at Kubernetes scale, and memory over many polls.
//! Prints figures; asserts nothing about time (timing belongs here, not in tests).

use std::time::Instant;

use branchwatch::{
    config::TestgridApi,
    daemon::Daemon,
    demo::{ReplayUpstream, Scenario},
};

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|p| p.parse::<u64>().ok())
        })
        .map(|pages| pages * 4)
        .unwrap_or(0)
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let now = 1_795_608_000;
        let upstream = ReplayUpstream::start(Scenario::pinned(now, 120)).await.expect("replay");
        upstream.set_pull_requests_per_branch(30);
        let mut config = branchwatch::demo::config(&upstream.url());
        config.testgrid.api = TestgridApi::V1;
        let daemon = Daemon::with_clock(config, false, std::sync::Arc::new(move || now)).expect("daemon");

        let started = Instant::now();
        assert!(daemon.once().await.is_empty());
        println!("first full cycle (schedule, GitHub, 10 dashboards + headers over loopback): {:?}", started.elapsed());
        println!("GitHub GraphQL points, first cycle (5 branches x 30 PRs): {}", upstream.graphql_points());
        let before = upstream.graphql_points();
        assert!(daemon.once().await.is_empty());
        println!("GitHub GraphQL points, steady-state cycle: {}", upstream.graphql_points() - before);

        let exposition = daemon.shared.render_metrics().expect("render");
        let series = exposition.lines().filter(|l| !l.starts_with('#') && !l.is_empty()).count();
        let rounds = 200;
        let started = Instant::now();
        for _ in 0..rounds {
            let _ = std::hint::black_box(daemon.shared.render_metrics());
        }
        let per_scrape = started.elapsed() / rounds;
        println!(
            "/metrics render: {series} series, {} KiB, {:?} per scrape ({:.2} us per series)",
            exposition.len() / 1024,
            per_scrape,
            per_scrape.as_secs_f64() * 1e6 / series as f64
        );

        let cycles = 600;
        let mut rss_after_warmup = 0;
        let mut rss_mid = 0;
        let started = Instant::now();
        for cycle in 1..=cycles {
            assert!(daemon.once().await.is_empty());
            // The replay upstream lives in this process too; its request log is test-only state.
            upstream.clear_requests();
            if cycle == 50 {
                rss_after_warmup = rss_kib();
            }
            if cycle == 300 {
                rss_mid = rss_kib();
            }
        }
        println!(
            "{cycles} full cycles: {:?} per cycle; RSS after 50 cycles {} KiB, after 300 {} KiB, after {cycles} {} KiB",
            started.elapsed() / cycles,
            rss_after_warmup,
            rss_mid,
            rss_kib()
        );
    });
}
