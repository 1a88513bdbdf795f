//! The running daemon: poll loops keep the last good data while a source fails and recover on
//! their own; the HTTP endpoints serve the current snapshot and never leak the token.

use std::time::Duration;

use branchwatch::{
    Source,
    app::App,
    demo::{Fault, ReplayUpstream, Scenario},
};
use tokio_util::sync::CancellationToken;

use crate::support::get;

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_keeps_the_last_good_data_while_testgrid_fails_and_recovers_on_its_own() {
    let upstream = ReplayUpstream::start(Scenario::live()).await.unwrap();
    let mut config = branchwatch::demo::config(&upstream.url());
    config.poll_interval = Duration::from_secs(1);
    config.request_timeout = Duration::from_secs(1);
    let app = App::new(&config).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let token = CancellationToken::new();
    let shutdown = token.clone();
    let snapshots = app.snapshots();
    let running = tokio::spawn(app.run_until(listener, async move { shutdown.cancelled().await }));

    let up = move |source: Source| snapshots.load().source(source).is_some_and(|s| s.up);
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

    // While every upstream hangs (polls stuck until their timeout), the probes and a scrape
    // answer at once: nothing an HTTP handler does waits on a poll.
    for source in Source::ALL {
        upstream.set_fault(source, Some(Fault::Stall { seconds: 30 }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    for path in ["/livez", "/readyz", "/metrics", "/api/v1/status"] {
        let answered = tokio::time::timeout(Duration::from_millis(500), get(address, path))
            .await
            .unwrap_or_else(|_| panic!("{path} waited on a stuck poll"));
        assert_eq!(answered.0, 200, "{path}");
    }
    for source in Source::ALL {
        upstream.set_fault(source, None);
    }

    token.cancel();
    tokio::time::timeout(Duration::from_secs(5), running)
        .await
        .expect("graceful shutdown within 5s")
        .unwrap()
        .unwrap();
}

/// `branchwatch serve` as a child process on a free port of loopback, against `upstream`, its
/// file descriptors limited to `nofile` (a container's usual 1,024).
async fn spawn_serve(
    upstream: &ReplayUpstream,
    dir: &std::path::Path,
    nofile: u32,
) -> (tokio::process::Child, std::net::SocketAddr) {
    let config = dir.join("config.yaml");
    let base = upstream.url();
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    std::fs::write(
        &config,
        format!(
            "listen: 127.0.0.1:{port}\npoll_interval: 10s\nrequest_timeout: 1s\ntestgrid:\n  url: {base}/testgrid\nschedule:\n  url: {base}/schedule.yaml\ngithub:\n  api_url: {base}/github\nbranches: [master, release-1.36]\n"
        ),
    )
    .unwrap();
    let child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -n {nofile} && exec \"$0\" serve --config \"$1\""
        ))
        .arg(env!("CARGO_BIN_EXE_branchwatch"))
        .arg(&config)
        .env_remove("GITHUB_TOKEN")
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let address: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if tokio::net::TcpStream::connect(address).await.is_ok()
            && get(address, "/readyz").await.0 == 200
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "branchwatch serve did not come up"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (child, address)
}

async fn terminate(child: &tokio::process::Child) {
    let pid = child.id().unwrap().to_string();
    let killed = tokio::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .unwrap();
    assert!(killed.success());
}

#[tokio::test]
async fn livez_and_metrics_answer_under_a_flood_of_half_open_connections() {
    use tokio::io::AsyncWriteExt;
    let upstream = ReplayUpstream::start(Scenario::live()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (child, address) = spawn_serve(&upstream, dir.path(), 1024).await;
    // More half-open connections than the process has file descriptors: each sends part of a
    // request line and then nothing.
    let mut flood = Vec::new();
    for _ in 0..1100 {
        if let Ok(mut stream) = tokio::net::TcpStream::connect(address).await {
            let _ = stream.write_all(b"GET /metrics HTTP/1.1\r\nHo").await;
            flood.push(stream);
        }
    }
    for path in ["/livez", "/metrics"] {
        let answered = tokio::time::timeout(Duration::from_secs(3), get(address, path))
            .await
            .unwrap_or_else(|_| panic!("{path} did not answer under the flood"));
        assert_eq!(answered.0, 200, "{path}");
    }
    // The half-open connections are closed by the header-read timeout, not kept for ever.
    drop(child);
    drop(flood);
}

#[tokio::test]
async fn a_half_sent_request_does_not_hold_sigterm() {
    use tokio::io::AsyncWriteExt;
    let upstream = ReplayUpstream::start(Scenario::live()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (child, address) = spawn_serve(&upstream, dir.path(), 1024).await;
    let mut half = tokio::net::TcpStream::connect(address).await.unwrap();
    half.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = tokio::time::Instant::now();
    terminate(&child).await;
    let output = tokio::time::timeout(Duration::from_secs(12), child.wait_with_output())
        .await
        .expect("exits")
        .unwrap();
    assert!(output.status.success());
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "held for {:?} by a half-sent request",
        started.elapsed()
    );
    drop(half);
}

#[tokio::test]
async fn the_binary_shuts_down_gracefully_on_sigterm() {
    let upstream = ReplayUpstream::start(Scenario::live()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (child, _) = spawn_serve(&upstream, dir.path(), 1024).await;
    terminate(&child).await;
    let output = tokio::time::timeout(Duration::from_secs(12), child.wait_with_output())
        .await
        .expect("exits within the shutdown grace period")
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "exit {:?}: {stderr}",
        output.status
    );
    assert!(stderr.contains("Shutting down."), "{stderr}");
}

#[tokio::test]
async fn once_stops_cleanly_on_sigterm() {
    let upstream = ReplayUpstream::start(Scenario::live()).await.unwrap();
    for source in Source::ALL {
        upstream.set_fault(source, Some(Fault::Stall { seconds: 30 }));
    }
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yaml");
    let base = upstream.url();
    std::fs::write(
        &config,
        format!(
            "poll_interval: 10s\nrequest_timeout: 10s\ntestgrid:\n  url: {base}/testgrid\nschedule:\n  url: {base}/schedule.yaml\ngithub:\n  api_url: {base}/github\nbranches: [release-1.36]\n"
        ),
    )
    .unwrap();
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_branchwatch"))
        .args(["once", "--config"])
        .arg(&config)
        .env_remove("GITHUB_TOKEN")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    let started = tokio::time::Instant::now();
    terminate(&child).await;
    let output = tokio::time::timeout(Duration::from_secs(5), child.wait_with_output())
        .await
        .expect("once stops on SIGTERM")
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(output.status.code(), Some(143));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("interrupted") && !stderr.contains("panicked"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty(), "nothing half-printed");
}
