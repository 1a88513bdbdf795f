//! Page render times (run with `cargo bench --bench page`): `/` and `/branches/release-1.34`
//! rendered in-process from the demo's snapshot at the moment release-1.34 is red — the demo's
//! own load, then Kubernetes' (30 open PRs per branch). Prints mean and p99 per render against
//! the 5 ms budget (and the median and the slowest, since a 2-core machine shared with builds
//! pauses now and then); asserts nothing about time.

use std::time::{Duration, Instant};

use branchwatch::{
    app::App,
    config::TestgridApi,
    demo::{Moment, ReplayUpstream, Scenario},
    page,
};

const ROUNDS: usize = 2_000;

/// Median, mean, 99th percentile and slowest of `ROUNDS` calls of `render`, and the size of
/// what it rendered.
fn measure(mut render: impl FnMut() -> String) -> ([Duration; 4], usize) {
    for _ in 0..50 {
        std::hint::black_box(render());
    }
    let mut times = Vec::with_capacity(ROUNDS);
    let mut size = 0;
    for _ in 0..ROUNDS {
        let started = Instant::now();
        let html = std::hint::black_box(render());
        times.push(started.elapsed());
        size = html.len();
    }
    times.sort();
    let mean = times.iter().sum::<Duration>() / ROUNDS as u32;
    let figures = [
        times[ROUNDS / 2],
        mean,
        times[ROUNDS * 99 / 100],
        times[ROUNDS - 1],
    ];
    (figures, size)
}

fn report(what: &str, ([median, mean, p99, max], size): ([Duration; 4], usize)) {
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "{what}: mean {:.0} µs, p99 {:.0} µs per render (median {:.0} µs, slowest {:.0} µs; \
         {} KiB of HTML; budget 5 ms)",
        us(mean),
        us(p99),
        us(median),
        us(max),
        size / 1024
    );
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    for pulls_per_branch in [None, Some(30)] {
        let (app, snapshot) = runtime.block_on(async {
            let now = 1_795_608_000;
            let upstream = ReplayUpstream::start(Scenario::pinned(now, Moment::BranchRed))
                .await
                .expect("replay");
            if let Some(count) = pulls_per_branch {
                upstream.set_pull_requests_per_branch(count);
            }
            let mut config = branchwatch::demo::config(&upstream.url());
            config.testgrid.api = TestgridApi::V1;
            let app = App::with_clock(&config, std::sync::Arc::new(move || now)).expect("app");
            assert!(app.once().await.is_empty());
            let snapshot = app.snapshot();
            (app, snapshot)
        });
        let ctx = app.page_context();
        let load = match pulls_per_branch {
            None => "demo load".to_string(),
            Some(count) => format!("{count} PRs per branch"),
        };
        let open: usize = snapshot
            .branches
            .iter()
            .map(|b| b.pull_requests.len())
            .sum();
        println!(
            "{load}: {} branches, {open} open PRs",
            snapshot.branches.len()
        );
        report(
            &format!("  /                       ({load})"),
            measure(|| page::render_index(&snapshot, &ctx)),
        );
        report(
            &format!("  /branches/release-1.34  ({load})"),
            measure(|| page::render_branch(&snapshot, "release-1.34", &ctx).expect("watched")),
        );
    }
}
