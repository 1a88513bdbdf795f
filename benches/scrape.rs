//! Speed and cost figures (run with `cargo bench --bench scrape`): rendering the exposition
//! (once per published snapshot), what a scrape then costs (a copy of bytes, in-process and
//! over loopback), a full poll cycle against the loopback replay, GitHub points per cycle at
//! Kubernetes' load, and memory over many polls. Prints figures; asserts nothing about time.

use std::time::{Duration, Instant};

use branchwatch::{
    app::App,
    config::TestgridApi,
    demo::{Moment, ReplayUpstream, Scenario},
};
use tower::ServiceExt;

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

fn per(total: Duration, rounds: u32) -> String {
    format!("{:.1} µs", total.as_secs_f64() * 1e6 / f64::from(rounds))
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let now = 1_795_608_000;
        let upstream = ReplayUpstream::start(Scenario::pinned(now, Moment::BranchRed))
            .await
            .expect("replay");
        upstream.set_pull_requests_per_branch(30);
        let mut config = branchwatch::demo::config(&upstream.url());
        config.testgrid.api = TestgridApi::V1;
        let app = App::with_clock(&config, std::sync::Arc::new(move || now)).expect("app");

        let started = Instant::now();
        assert!(app.once().await.is_empty());
        println!(
            "first full cycle (schedule, GitHub, 10 dashboards + headers over loopback): {:?}",
            started.elapsed()
        );
        println!(
            "GitHub GraphQL points, first cycle (5 branches x 30 PRs): {}",
            upstream.graphql_points()
        );
        let before = upstream.graphql_points();
        assert!(app.once().await.is_empty());
        println!(
            "GitHub GraphQL points, steady-state cycle: {}",
            upstream.graphql_points() - before
        );

        let exposition = app.render_metrics().expect("render");
        let series = exposition
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .count();
        let snapshot = app.snapshot();
        let metrics = branchwatch::metrics::Metrics::new(config.poll_interval);
        let rounds = 200;
        let started = Instant::now();
        for _ in 0..rounds {
            metrics.publish(std::hint::black_box(&snapshot));
        }
        println!(
            "render once per publish (text + gzip): {series} series, {} KiB, {} per publish",
            exposition.len() / 1024,
            per(started.elapsed(), rounds)
        );

        let router = app.router();
        let scrape = |gzip: bool| {
            let mut request = axum::http::Request::get("/metrics");
            if gzip {
                request = request.header("accept-encoding", "gzip");
            }
            request.body(axum::body::Body::empty()).expect("request")
        };
        for gzip in [false, true] {
            let rounds = 2_000;
            let started = Instant::now();
            for _ in 0..rounds {
                let response = router.clone().oneshot(scrape(gzip)).await.expect("served");
                let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                    .await
                    .expect("body");
                std::hint::black_box(body);
            }
            println!(
                "scrape in-process ({}): {} per scrape",
                if gzip { "gzip" } else { "plain" },
                per(started.elapsed(), rounds)
            );
        }

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        tokio::spawn(async move { axum::serve(listener, router).await });
        let client = reqwest::Client::new();
        let url = format!("http://{address}/metrics");
        let rounds = 2_000;
        let started = Instant::now();
        for _ in 0..rounds {
            let body = client.get(&url).send().await.expect("get").bytes().await;
            std::hint::black_box(body.expect("body"));
        }
        println!(
            "scrape over loopback HTTP (keep-alive, plain): {} per scrape",
            per(started.elapsed(), rounds)
        );

        let cycles = 600;
        let mut rss_after_warmup = 0;
        let mut rss_mid = 0;
        let started = Instant::now();
        for cycle in 1..=cycles {
            assert!(app.once().await.is_empty());
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
