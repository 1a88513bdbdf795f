//! The fault suite: for each source, every way an upstream fails — connection refused, an HTML
//! 5xx, 429 and 503 with `Retry-After`, a truncated, garbage or wrong-shaped body, a body that
//! never ends, one that trickles, absurd headers — and each time: no panic, the source down with
//! a specific kind, the other sources untouched, the last good data still served, the wait the
//! upstream asked for honoured (capped at an hour), and recovery on the next poll by itself.

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicI64, Ordering},
    },
    time::Duration,
};

use branchwatch::{
    Outcome, Source,
    app::App,
    config::{BranchSelection, Config, TestgridApi},
    demo::{Fault, Moment, ReplayUpstream},
    snapshot::Snapshot,
};

use crate::support::{NOW, metric_value, replay};

/// A loopback TCP proxy in front of the replay upstream that can refuse connections (and cut
/// the ones the client keeps alive).
struct Proxy {
    address: SocketAddr,
    refusing: Arc<AtomicBool>,
    open: Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    async fn start(target: SocketAddr) -> Proxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let refusing = Arc::new(AtomicBool::new(false));
        let open: Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>> = Arc::default();
        let (refuse, forwarders) = (Arc::clone(&refusing), Arc::clone(&open));
        let task = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if refuse.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let forward = tokio::spawn(async move {
                    if let Ok(mut upstream) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                    }
                });
                forwarders.lock().unwrap().push(forward);
            }
        });
        Proxy {
            address,
            refusing,
            open,
            task,
        }
    }

    fn refuse(&self, refusing: bool) {
        self.refusing.store(refusing, Ordering::SeqCst);
        if refusing {
            for forward in self.open.lock().unwrap().drain(..) {
                forward.abort();
            }
        }
    }
}

/// What a fault should look like: the request outcome counted and the kind of the failure.
struct Case {
    name: &'static str,
    fault: Option<Fault>,
    outcome: Outcome,
    kind: &'static str,
    /// Seconds the source must wait, as the answer said (capped).
    wait: Option<i64>,
}

fn cases() -> Vec<Case> {
    let case = |name, fault, outcome, kind, wait| Case {
        name,
        fault,
        outcome,
        kind,
        wait,
    };
    vec![
        case(
            "refused",
            None,
            Outcome::TransportError,
            "transport_error",
            None,
        ),
        case(
            "html 500",
            Some(Fault::Html500),
            Outcome::ServerError,
            "server_error",
            None,
        ),
        case(
            "429 retry-after",
            Some(Fault::TooManyRequests { retry_after: 120 }),
            Outcome::RateLimited,
            "",
            Some(120),
        ),
        case(
            "503 retry-after",
            Some(Fault::Unavailable { retry_after: 120 }),
            Outcome::ServerError,
            "server_error",
            Some(120),
        ),
        case(
            "truncated",
            Some(Fault::Truncated),
            Outcome::DecodeError,
            "decode_error",
            None,
        ),
        case(
            "garbage",
            Some(Fault::Garbage),
            Outcome::DecodeError,
            "decode_error",
            None,
        ),
        case(
            "wrong shape",
            Some(Fault::WrongShape),
            Outcome::DecodeError,
            "decode_error",
            None,
        ),
        case(
            "endless body",
            Some(Fault::EndlessBody),
            Outcome::TransportError,
            "transport_error",
            None,
        ),
        case(
            "slow body",
            Some(Fault::SlowBody),
            Outcome::Timeout,
            "timeout",
            None,
        ),
        case(
            "absurd headers",
            Some(Fault::AbsurdHeaders),
            Outcome::ServerError,
            "server_error",
            Some(3600),
        ),
    ]
}

fn config(upstream: &ReplayUpstream, proxy: &Proxy, source: Source) -> Config {
    let mut config = branchwatch::demo::config(&upstream.url());
    config.testgrid.api = TestgridApi::V1;
    config.branches = BranchSelection::Explicit(vec!["release-1.35".into()]);
    config.request_timeout = Duration::from_secs(2);
    let through = format!("http://{}", proxy.address);
    let base = upstream.url();
    match source {
        Source::Testgrid => {
            config.testgrid.api_url = config.testgrid.api_url.replace(&base, &through);
        }
        Source::Github => config.github.api_url = config.github.api_url.replace(&base, &through),
        Source::Schedule => {
            config.schedule.url = config.schedule.url.replace(&base, &through);
            config.schedule.eol_url = config.schedule.eol_url.replace(&base, &through);
        }
    }
    config
}

/// What must survive a failure of `source`: its last good data.
fn last_good(snapshot: &Snapshot, source: Source) -> String {
    let branch = snapshot.branch("release-1.35").expect("watched");
    match source {
        Source::Testgrid => format!(
            "{} tabs, {:?}",
            branch
                .dashboards
                .iter()
                .map(|d| d.tabs.len())
                .sum::<usize>(),
            branch.status
        ),
        Source::Github => format!(
            "{:?} PRs, head {:?}, last release {:?}",
            branch.pull_request_counts.open,
            branch.head,
            branch.release.as_ref().and_then(|r| r.last_release)
        ),
        Source::Schedule => format!(
            "target {:?}",
            branch.release.as_ref().and_then(|r| r.next_target_at)
        ),
    }
}

async fn every_fault_of(source: Source) {
    for case in cases() {
        let upstream = replay(Moment::Calm).await;
        let target: SocketAddr = upstream
            .url()
            .trim_start_matches("http://")
            .parse()
            .unwrap();
        let proxy = Proxy::start(target).await;
        let clock = Arc::new(AtomicI64::new(NOW));
        let now = Arc::clone(&clock);
        let app = App::with_clock(
            &config(&upstream, &proxy, source),
            Arc::new(move || now.load(Ordering::SeqCst)),
        )
        .unwrap();
        let what = format!("{source:?}, {}", case.name);
        assert!(app.once().await.is_empty(), "{what}: first poll");
        let good = last_good(&app.snapshot(), source);

        match case.fault {
            Some(fault) => upstream.set_fault(source, Some(fault)),
            None => proxy.refuse(true),
        }
        let failures = app.once().await;
        let failed: Vec<Source> = failures.iter().map(|(s, _)| *s).collect();
        assert_eq!(
            failed,
            [source],
            "{what}: only the faulty source fails: {failures:?}"
        );
        let snapshot = app.snapshot();
        let report = snapshot.source(source).unwrap();
        assert!(!report.up, "{what}");
        if !case.kind.is_empty() {
            assert_eq!(
                report.error_kind.as_deref(),
                Some(case.kind),
                "{what}: {:?}",
                report.last_error
            );
        }
        assert!(
            app.requests(source, case.outcome) >= 1,
            "{what}: outcome {:?}",
            case.outcome
        );
        assert_eq!(
            last_good(&snapshot, source),
            good,
            "{what}: last good data kept"
        );
        assert_eq!(
            report.retry_at,
            case.wait.map(|w| NOW + w),
            "{what}: wait honoured"
        );
        let exposition = app.render_metrics().unwrap();
        assert_eq!(
            metric_value(
                &exposition,
                &format!(
                    "branchwatch_poll_panics_total{{source=\"{}\"}}",
                    source.as_str()
                )
            ),
            Some(0.0),
            "{what}: no panic"
        );
        let log = report.last_error.clone().unwrap_or_default();
        assert!(
            !log.chars().any(char::is_control) && log.chars().count() <= 501,
            "{what}: a clean, bounded reason: {log:?}"
        );

        // The upstream heals; after any wait it asked for, the next poll recovers by itself.
        upstream.set_fault(source, None);
        proxy.refuse(false);
        clock.store(NOW + case.wait.unwrap_or(0) + 1, Ordering::SeqCst);
        let failures = app.once().await;
        assert!(failures.is_empty(), "{what}: recovery: {failures:?}");
        assert!(app.snapshot().source(source).unwrap().up, "{what}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn testgrid_survives_every_fault() {
    every_fault_of(Source::Testgrid).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn github_survives_every_fault() {
    every_fault_of(Source::Github).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schedule_survives_every_fault() {
    every_fault_of(Source::Schedule).await;
}

#[tokio::test]
async fn a_dashboard_of_30000_tabs_is_refused_and_costs_no_header_request() {
    let upstream = replay(Moment::Calm).await;
    let mut config = branchwatch::demo::config(&upstream.url());
    config.testgrid.api = TestgridApi::V1;
    let app = App::with_clock(&config, Arc::new(|| NOW)).unwrap();
    assert!(app.once().await.is_empty());
    upstream.clear_requests();
    upstream.set_fault(Source::Testgrid, Some(Fault::ManyTabs { tabs: 30_000 }));
    let failures = app.once().await;
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(
        failures[0].1.contains("more than the 500"),
        "{}",
        failures[0].1
    );
    let headers = upstream
        .requests()
        .iter()
        .filter(|r| r.starts_with("testgrid headers"))
        .count();
    assert_eq!(headers, 0, "no header request for a refused dashboard");
    assert_eq!(
        app.snapshot().branch("release-1.35").unwrap().dashboards[0]
            .tabs
            .len(),
        22,
        "the last good tabs stay"
    );
}

#[tokio::test]
async fn header_requests_per_poll_are_bounded_and_the_rest_follow_at_the_next_poll() {
    let upstream = replay(Moment::Calm).await;
    upstream.set_fault(Source::Testgrid, Some(Fault::ManyTabs { tabs: 400 }));
    let mut config = branchwatch::demo::config(&upstream.url());
    config.testgrid.api = TestgridApi::V1;
    let app = App::with_clock(&config, Arc::new(|| NOW)).unwrap();
    assert!(app.once().await.is_empty());
    let headers = |u: &ReplayUpstream| {
        u.requests()
            .iter()
            .filter(|r| r.starts_with("testgrid headers"))
            .count()
    };
    assert_eq!(
        headers(&upstream),
        300,
        "5 branches x 400 blocking tabs, 300 a poll"
    );
    upstream.clear_requests();
    assert!(app.once().await.is_empty());
    assert_eq!(headers(&upstream), 300, "the next 300");
}

#[tokio::test]
async fn a_page_of_1000_prs_where_50_were_asked_for_is_refused() {
    let upstream = replay(Moment::Calm).await;
    let config = branchwatch::demo::config(&upstream.url());
    let app = App::with_clock(&config, Arc::new(|| NOW)).unwrap();
    assert!(app.once().await.is_empty());
    let open = app
        .snapshot()
        .branch("release-1.35")
        .unwrap()
        .pull_request_counts
        .open;
    upstream.set_fault(Source::Github, Some(Fault::OversizedPage));
    let failures = app.once().await;
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(
        failures[0].1.contains("a page of 50 PRs holds 1000"),
        "{}",
        failures[0].1
    );
    assert_eq!(
        app.snapshot()
            .branch("release-1.35")
            .unwrap()
            .pull_request_counts
            .open,
        open,
        "the last good PRs stay"
    );
}

#[tokio::test]
async fn mebibyte_names_become_short_distinct_clean_labels() {
    let upstream = replay(Moment::Calm).await;
    upstream.set_fault(Source::Testgrid, Some(Fault::LongNames));
    upstream.set_fault(Source::Github, Some(Fault::LongNames));
    let mut config = branchwatch::demo::config(&upstream.url());
    config.testgrid.api = TestgridApi::V1;
    config.branches = BranchSelection::Explicit(vec!["release-1.35".into()]);
    let app = App::with_clock(&config, Arc::new(|| NOW)).unwrap();
    assert!(app.once().await.is_empty());
    let exposition = app.render_metrics().unwrap();
    let longest = exposition.lines().map(str::len).max().unwrap();
    assert!(longest < 1024, "a line of {longest} bytes");
    assert!(!exposition.chars().any(|c| c.is_control() && c != '\n'));
    let tab_series: std::collections::BTreeSet<&str> = exposition
        .lines()
        .filter(|l| l.starts_with("branchwatch_testgrid_tab_failing_tests{"))
        .collect();
    assert_eq!(tab_series.len(), 22 + 24, "two long names stay two series");
    let contexts: std::collections::BTreeSet<&str> = exposition
        .lines()
        .filter(|l| {
            l.starts_with("branchwatch_presubmit_failing_pull_requests{") && l.contains("script")
        })
        .collect();
    assert_eq!(contexts.len(), 2, "{contexts:?}");
}
