//! The running daemon: poll loops keep the last good data while a source fails and recover on
//! their own; the HTTP endpoints serve the current snapshot and never leak the token.

use std::{sync::Arc, time::Duration};

use branchwatch::{
    daemon::Daemon,
    demo::{Fault, ReplayUpstream, Scenario},
    server,
    sources::Source,
};
use tokio_util::sync::CancellationToken;

/// Polls `check` every 100 ms until it holds, failing after `limit`.
async fn eventually(limit: Duration, what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + limit;
    while !check() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn get(address: std::net::SocketAddr, path: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_keeps_the_last_good_data_while_testgrid_fails_and_recovers_on_its_own() {
    let upstream = ReplayUpstream::start(Scenario::live()).await.unwrap();
    let mut config = branchwatch::demo::config(&upstream.url());
    config.poll_interval = Duration::from_secs(1);
    config.request_timeout = Duration::from_secs(1);
    let daemon = Arc::new(Daemon::new(config, false).unwrap());
    let token = CancellationToken::new();
    let pollers = tokio::spawn(Arc::clone(&daemon).run(token.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = server::router(Arc::clone(&daemon.shared));
    let server_token = token.clone();
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move { server_token.cancelled().await })
            .await
    });

    let shared = Arc::clone(&daemon.shared);
    let up = move |source: Source| shared.snapshot().source(source).is_some_and(|s| s.up);
    eventually(Duration::from_secs(20), "every source up", || {
        Source::ALL.iter().all(|s| up(*s))
    })
    .await;
    let (status, metrics) = get(address, "/metrics").await;
    assert_eq!(status, 200);
    assert!(metrics.contains("branchwatch_source_up{source=\"testgrid\"} 1"));
    let tab_lines = metrics
        .lines()
        .filter(|l| l.starts_with("branchwatch_testgrid_tab_status{"))
        .count();
    assert!(tab_lines > 1000, "{tab_lines}");

    upstream.set_fault(Source::Testgrid, Some(Fault::Html500));
    eventually(Duration::from_secs(10), "testgrid down", || {
        !up(Source::Testgrid)
    })
    .await;
    let (_, metrics) = get(address, "/metrics").await;
    assert!(metrics.contains("branchwatch_source_up{source=\"testgrid\"} 0"));
    assert_eq!(
        metrics
            .lines()
            .filter(|l| l.starts_with("branchwatch_testgrid_tab_status{"))
            .count(),
        tab_lines,
        "the last good tabs are still exported"
    );
    let (_, status_json) = get(address, "/api/v1/status").await;
    let status: serde_json::Value = serde_json::from_str(&status_json).unwrap();
    let testgrid = status["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["source"] == "testgrid")
        .unwrap();
    assert!(
        testgrid["last_error"]
            .as_str()
            .unwrap()
            .contains("500 Server Error")
    );
    assert!(
        !status_json.contains("demo-token"),
        "the token never reaches the status API"
    );
    assert!(!metrics.contains("demo-token"));

    upstream.set_fault(Source::Testgrid, None);
    eventually(Duration::from_secs(10), "testgrid recovered", || {
        up(Source::Testgrid)
    })
    .await;

    // Probes do not depend on upstreams.
    upstream.set_fault(Source::Github, Some(Fault::BadGateway));
    assert_eq!(get(address, "/livez").await.0, 200);
    assert_eq!(get(address, "/readyz").await.0, 200);

    token.cancel();
    tokio::time::timeout(Duration::from_secs(5), async {
        pollers.await.unwrap();
        server.await.unwrap().unwrap();
    })
    .await
    .expect("graceful shutdown within 5s");
}
