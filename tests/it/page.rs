//! The release manager's desk in a real browser: the daemon's pages on the demo replay, loaded
//! in Debian's headless chromium and read as a person reads them (`innerText`) — the red branch
//! and since when, the picks stuck because of it, the next patch release, the banner during an
//! outage — and proved inert: hostile upstream text stays text, nothing loads from elsewhere,
//! it reads the same without JavaScript, and it reloads itself where the reader was.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicI64, Ordering},
    },
    time::{Duration, Instant},
};

use branchwatch::{
    Source,
    app::App,
    config::TestgridApi,
    demo::{self, Fault, Moment, ReplayUpstream},
    snapshot::{BranchStatus, NextAction, Snapshot},
};
use headless_chrome::protocol::cdp::{Emulation, Network, types::Event};

use crate::support::{
    NOW,
    browser::{self, Chromium, PHONE},
    config_for, get_response, replay,
};

/// The daemon's routes on the demo replay at `moment`, on a clock the test moves.
struct Desk {
    // Dropped first: the server and the replay stop with it.
    runtime: tokio::runtime::Runtime,
    upstream: ReplayUpstream,
    app: App,
    clock: Arc<AtomicI64>,
    base: String,
}

impl Desk {
    /// Polls once at [`NOW`] and serves on loopback.
    fn start(moment: Moment, setup: impl FnOnce(&ReplayUpstream)) -> Desk {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let clock = Arc::new(AtomicI64::new(NOW));
        let (upstream, app, base) = runtime.block_on(async {
            let upstream = replay(moment).await;
            setup(&upstream);
            let config = config_for(&upstream, TestgridApi::V1);
            let now = Arc::clone(&clock);
            let app = App::with_clock(&config, Arc::new(move || now.load(Ordering::SeqCst)))
                .expect("app");
            let failures = app.once().await;
            assert!(failures.is_empty(), "first poll: {failures:?}");
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let base = format!("http://{}", listener.local_addr().unwrap());
            let router = app.router();
            tokio::spawn(async move { axum::serve(listener, router).await });
            (upstream, app, base)
        });
        Desk {
            runtime,
            upstream,
            app,
            clock,
            base,
        }
    }

    /// Moves the app's clock `seconds` on and polls every source once.
    fn poll_after(&self, seconds: i64) -> Vec<(Source, String)> {
        self.clock.fetch_add(seconds, Ordering::SeqCst);
        self.runtime.block_on(self.app.once())
    }

    fn snapshot(&self) -> Arc<Snapshot> {
        self.app.snapshot()
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// `YYYY-MM-DD` of a unix time, as the page writes dates.
fn date(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0)
        .unwrap()
        .format("%Y-%m-%d")
        .to_string()
}

#[test]
fn the_desk_shows_the_red_branch_since_when_its_stuck_picks_and_the_next_patch_release() {
    let desk = Desk::start(Moment::BranchRed, |_| {});
    // Two hours later, still red: "since" is when branchwatch first saw it red.
    assert!(desk.poll_after(2 * 3600).is_empty());
    let snapshot = desk.snapshot();
    let red = snapshot
        .branch("release-1.34")
        .expect("release-1.34 watched");
    assert_eq!(red.status, BranchStatus::Red, "the moment's premise");
    let blocked = red
        .queue
        .get(&NextAction::BlockedByBranch)
        .copied()
        .unwrap_or(0);
    assert!(blocked > 0, "the moment's premise: {:?}", red.queue);
    let release = red.release.as_ref().expect("release timing");
    let target = release.next_target_at.expect("a next target");
    let version = release.next_target_version.expect("a next version");

    let chromium = Chromium::launch();
    let tab = chromium.tab();
    browser::open(&tab, &desk.url("/"));
    let row = browser::visible_text(&tab, "tr[id='branch-release-1.34']");
    // Badges are set in capitals by the stylesheet; innerText is what is on screen.
    assert!(row.contains("RED"), "{row}");
    assert!(row.contains("since 12:00 UTC (2 hours ago)"), "{row}");
    assert!(
        row.contains("verify-1.34"),
        "the reason names the tab: {row}"
    );
    assert!(
        row.contains(&format!("{version} {}", date(target))),
        "next patch release {version} on {}: {row}",
        date(target)
    );
    assert!(
        row.contains(&format!("{blocked} blocked by the branch")),
        "{row}"
    );
    for other in ["release-1.35", "release-1.36", "release-1.37", "master"] {
        let text = browser::visible_text(&tab, &format!("tr[id='branch-{other}']"));
        assert!(!text.contains("RED"), "{other} is not red: {text}");
    }
    browser::screenshot(&tab, "index.png");

    // The count is a link to the picks it counts.
    tab.find_element("tr[id='branch-release-1.34'] a[href$='#blocked_by_branch']")
        .expect("the count is a link")
        .click()
        .expect("click");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !tab
        .get_url()
        .ends_with("/branches/release-1.34#blocked_by_branch")
    {
        assert!(Instant::now() < deadline, "still at {}", tab.get_url());
        std::thread::sleep(Duration::from_millis(100));
    }
    tab.wait_until_navigated().expect("branch page loads");
    tab.wait_for_element("#blocked_by_branch")
        .expect("the group");
    let group = browser::visible_text(&tab, "#blocked_by_branch");
    assert!(group.starts_with("blocked by the branch"), "{group}");
    let numbers: Vec<u64> = red
        .pull_requests
        .iter()
        .filter(|p| p.next_action == NextAction::BlockedByBranch)
        .map(|p| p.number)
        .collect();
    assert_eq!(numbers.len(), blocked as usize);
    for number in &numbers {
        assert!(
            group.contains(&format!("#{number}")),
            "#{number} in {group}"
        );
    }
    assert!(group.contains("pull-kubernetes-verify"), "{group}");
    assert!(group.contains("FAILS BRANCH-WIDE"), "{group}");
    let top = browser::eval(
        &tab,
        "document.getElementById('blocked_by_branch').getBoundingClientRect().top",
    );
    assert!(
        top.as_f64().unwrap().abs() < 5.0,
        "scrolled to the group: {top}"
    );
    let presubmits = browser::visible_text(&tab, "#presubmits");
    assert!(
        presubmits.contains("pull-kubernetes-verify"),
        "{presubmits}"
    );
    let timeline = browser::visible_text(&tab, "#release");
    assert!(
        timeline.contains(&format!("{version} on {}", date(target))),
        "{timeline}"
    );
    browser::eval(&tab, "window.scrollTo(0, 0)");
    browser::screenshot(&tab, "branch.png");

    // A phone: the same facts, nothing wider than the screen.
    browser::resize(&tab, PHONE, true);
    for (path, name) in [
        ("/", "index-phone.png"),
        ("/branches/release-1.34", "branch-phone.png"),
    ] {
        browser::open(&tab, &desk.url(path));
        let overflow = browser::eval(
            &tab,
            "document.documentElement.scrollWidth - document.documentElement.clientWidth",
        );
        let wide = browser::eval(
            &tab,
            "[...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
                .slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' + e.textContent.slice(0, 40))",
        );
        assert!(
            overflow.as_f64().unwrap() <= 0.0,
            "{path} is wider than a phone by {overflow}px: {wide}"
        );
        browser::screenshot(&tab, name);
    }
    let phone_row = {
        browser::open(&tab, &desk.url("/"));
        browser::visible_text(&tab, "tr[id='branch-release-1.34']")
    };
    assert!(
        phone_row.contains("RED") && phone_row.contains(&date(target)),
        "{phone_row}"
    );
}

#[test]
fn a_banner_names_the_source_that_is_down_how_old_its_data_is_and_why() {
    let desk = Desk::start(Moment::BranchRed, |_| {});
    let chromium = Chromium::launch();
    let tab = chromium.tab();
    browser::open(&tab, &desk.url("/"));
    assert_eq!(
        browser::eval(&tab, "document.querySelectorAll('.banner').length"),
        0,
        "no banner while every source is fresh"
    );

    desk.upstream.set_fault(
        Source::Github,
        Some(Fault::TooManyRequests { retry_after: 600 }),
    );
    desk.upstream
        .set_fault(Source::Testgrid, Some(Fault::Html500));
    let failures = desk.poll_after(12 * 60);
    assert_eq!(failures.len(), 2, "{failures:?}");
    for path in ["/", "/branches/release-1.34"] {
        browser::open(&tab, &desk.url(path));
        let banners = browser::eval(
            &tab,
            "[...document.querySelectorAll('.banner')].map(b => b.innerText)",
        );
        let banners: Vec<String> = serde_json::from_value(banners).unwrap();
        let github = banners
            .iter()
            .find(|b| b.starts_with("GitHub"))
            .expect("GitHub banner");
        // Asked to wait 600 s at 12:12: not asked again before 12:22.
        assert!(
            github.contains(
                "GitHub rate limited until 12:22 UTC; PR and release data is 12 minutes old (last good poll 12:00 UTC)."
            ),
            "{github}"
        );
        let testgrid = banners
            .iter()
            .find(|b| b.starts_with("TestGrid"))
            .expect("TestGrid banner");
        assert!(
            testgrid.contains("TestGrid failing with server errors")
                && testgrid.contains("tab data is 12 minutes old")
                && testgrid.contains("500 Server Error"),
            "{testgrid}"
        );
        // The last good data is still on the page under the banners.
        assert!(browser::visible_text(&tab, "main").contains("release-1.34"));
    }

    desk.upstream.set_fault(Source::Github, None);
    desk.upstream.set_fault(Source::Testgrid, None);
    // Past the wait GitHub asked for: both recover.
    assert!(desk.poll_after(11 * 60).is_empty());
    browser::open(&tab, &desk.url("/"));
    assert_eq!(
        browser::eval(&tab, "document.querySelectorAll('.banner').length"),
        0,
        "the banners go once the sources are back"
    );
}

#[test]
fn hostile_upstream_text_renders_as_text_and_runs_nothing() {
    let desk = Desk::start(Moment::BranchRed, |upstream| {
        upstream.set_hostile_text(true)
    });
    let snapshot = desk.snapshot();
    let branch = snapshot.branch("release-1.34").unwrap();
    assert!(
        branch
            .pull_requests
            .iter()
            .any(|p| p.title == demo::HOSTILE_TITLE),
        "the knob's premise"
    );
    let chromium = Chromium::launch();
    let tab = chromium.tab();
    let dialogs = Arc::new(AtomicBool::new(false));
    let opened = Arc::clone(&dialogs);
    tab.add_event_listener(Arc::new(move |event: &Event| {
        if let Event::PageJavascriptDialogOpening(_) = event {
            opened.store(true, Ordering::SeqCst);
        }
    }))
    .unwrap();
    for path in ["/", "/branches/release-1.34"] {
        browser::open(&tab, &desk.url(path));
        let inert = browser::eval(
            &tab,
            "({
                elements: document.querySelectorAll('img, script, iframe, object, embed, svg image').length,
                handlers: [...document.querySelectorAll('*')]
                    .filter(e => [...e.attributes].some(a => a.name.startsWith('on'))).length,
                xss: typeof window.__xss,
                links: [...document.links].filter(a => !['http:', 'https:'].includes(a.protocol)).length,
            })",
        );
        assert_eq!(
            inert,
            serde_json::json!({"elements": 0, "handlers": 0, "xss": "undefined", "links": 0}),
            "{path}"
        );
    }
    // On the branch page the markup is there to read, as text.
    let main = browser::visible_text(&tab, "main");
    assert!(main.contains(demo::HOSTILE_TITLE), "{main}");
    assert!(main.contains(demo::HOSTILE_LABEL), "{main}");
    assert!(
        main.contains(&format!("verify-1.34{}", demo::HOSTILE_TAB_SUFFIX)),
        "{main}"
    );
    assert!(!dialogs.load(Ordering::SeqCst), "a dialog opened");
}

#[test]
fn the_desk_loads_nothing_from_elsewhere_and_reads_the_same_without_javascript() {
    let desk = Desk::start(Moment::BranchRed, |_| {});
    let chromium = Chromium::launch();
    let tab = chromium.tab();
    let requested = Arc::new(Mutex::new(Vec::<String>::new()));
    let log = Arc::clone(&requested);
    tab.add_event_listener(Arc::new(move |event: &Event| {
        if let Event::NetworkRequestWillBeSent(sent) = event {
            log.lock().unwrap().push(sent.params.request.url.clone());
        }
    }))
    .unwrap();
    tab.call_method(Network::Enable {
        max_total_buffer_size: None,
        max_resource_buffer_size: None,
        max_post_data_size: None,
        report_direct_socket_traffic: None,
        enable_durable_messages: None,
    })
    .unwrap();
    for path in ["/", "/branches/release-1.34", "/branches/release-1.36"] {
        browser::open(&tab, &desk.url(path));
        // The inline stylesheet applies (its hash is in the policy): a red badge is red.
        let background = browser::eval(
            &tab,
            "getComputedStyle(document.querySelector('.badge')).backgroundColor",
        );
        assert_ne!(
            background, "rgba(0, 0, 0, 0)",
            "{path}: the stylesheet was refused"
        );
    }
    let requested = requested.lock().unwrap().clone();
    assert!(requested.len() >= 3, "{requested:?}");
    for url in &requested {
        assert!(url.starts_with(&desk.base), "a request elsewhere: {url}");
    }

    tab.call_method(Emulation::SetScriptExecutionDisabled { value: true })
        .unwrap();
    browser::open(&tab, &desk.url("/"));
    assert_eq!(
        browser::eval(&tab, "1 + 1"),
        2,
        "DevTools still reads the page"
    );
    let row = browser::visible_text(&tab, "tr[id='branch-release-1.34']");
    assert!(
        row.contains("RED") && row.contains("blocked by the branch"),
        "{row}"
    );
    browser::open(&tab, &desk.url("/branches/release-1.34"));
    let group = browser::visible_text(&tab, "#blocked_by_branch");
    assert!(group.contains("FAILS BRANCH-WIDE"), "{group}");
}

#[test]
fn the_desk_reloads_itself_about_once_per_poll_where_the_reader_was() {
    let desk = Desk::start(Moment::BranchRed, |_| {});
    let chromium = Chromium::launch();
    let tab = chromium.tab();
    browser::open(&tab, &desk.url("/branches/release-1.34"));
    // The demo polls every 15 s: the page reloads every 30 s, its floor.
    let refresh = browser::eval(
        &tab,
        "document.querySelector('meta[http-equiv=refresh]').content",
    );
    assert_eq!(refresh, "30");
    browser::eval(&tab, "window.scrollTo(0, 700)");
    assert_eq!(browser::eval(&tab, "Math.round(window.scrollY)"), 700);
    // A mark that only this load of the page has.
    browser::eval(&tab, "window.__loaded_before = true");
    // New data for the reload to show.
    assert!(desk.poll_after(60).is_empty());
    let deadline = Instant::now() + Duration::from_secs(45);
    loop {
        std::thread::sleep(Duration::from_millis(250));
        let reloaded = browser::eval(
            &tab,
            "window.__loaded_before !== true && document.readyState === 'complete'",
        );
        if reloaded == true {
            break;
        }
        assert!(Instant::now() < deadline, "the page did not reload itself");
    }
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let y = browser::eval(&tab, "Math.round(window.scrollY)");
        if y == 700 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "scroll position after the reload: {y}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(browser::visible_text(&tab, "header").contains("data as of 2026-11-25 12:01 UTC"));
}

#[tokio::test]
async fn pages_carry_a_strict_policy_and_an_unknown_branch_is_a_404_page() {
    let upstream = replay(Moment::BranchRed).await;
    let app = crate::support::pinned_app(config_for(&upstream, TestgridApi::V1));
    assert!(app.once().await.is_empty());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let router = app.router();
    let server = tokio::spawn(async move { axum::serve(listener, router).await });

    let (status, headers, body) = get_response(address, "/").await;
    assert_eq!(status, 200);
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    assert_eq!(header("content-type"), "text/html; charset=utf-8");
    let policy = header("content-security-policy");
    assert!(
        policy.starts_with("default-src 'none'; style-src 'sha256-"),
        "{policy}"
    );
    assert!(
        !policy.contains("unsafe") && !policy.contains("script-src"),
        "{policy}"
    );
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert!(body.contains("<a href=\"/metrics\">") && body.contains("<a href=\"/api/v1/status\">"));

    let (status, _, body) = get_response(address, "/branches/release-9.99").await;
    assert_eq!(status, 404);
    assert!(
        body.contains("No watched branch is named “release-9.99”"),
        "{body}"
    );
    let (status, headers404, body) =
        get_response(address, "/branches/%3Cscript%3Ealert(1)%3C%2Fscript%3E").await;
    assert_eq!(status, 404);
    assert!(
        body.contains("“&lt;script&gt;alert(1)&lt;/script&gt;”"),
        "{body}"
    );
    assert!(!body.contains("<script"), "{body}");
    assert!(
        headers404
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-security-policy"))
    );

    // The API and the metrics are what they were.
    let (status, headers, body) = get_response(address, "/api/v1/status").await;
    assert_eq!(status, 200);
    assert!(
        headers
            .iter()
            .any(|(n, v)| n.eq_ignore_ascii_case("content-type") && v == "application/json")
    );
    let status_json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(
        status_json["branches"]
            .as_array()
            .is_some_and(|b| b.len() == 5)
    );
    let (status, _, metrics) = get_response(address, "/metrics").await;
    assert_eq!(status, 200);
    assert!(
        metrics.contains("branchwatch_branch_status{branch=\"release-1.34\",status=\"red\"} 1")
    );
    server.abort();
}
