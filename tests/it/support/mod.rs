//! What the integration tests share: a pinned clock, the replay upstream at a named moment, the
//! app on it, metric lookups, a plain HTTP GET, and a headless browser.

pub mod browser;
pub mod graphql_cost;

use std::sync::Arc;

use branchwatch::{
    app::App,
    config::{Config, TestgridApi},
    demo::{Moment, ReplayUpstream, Scenario},
};

/// 2026-11-25T12:00:00Z: a fixed moment so every figure is reproducible.
pub const NOW: i64 = 1_795_608_000;

pub async fn replay(moment: Moment) -> ReplayUpstream {
    ReplayUpstream::start(Scenario::pinned(NOW, moment))
        .await
        .expect("replay upstream starts")
}

pub fn config_for(upstream: &ReplayUpstream, api: TestgridApi) -> Config {
    let mut config = branchwatch::demo::config(&upstream.url());
    config.testgrid.api = api;
    config
}

/// The app with its clock pinned to [`NOW`].
pub fn pinned_app(config: Config) -> App {
    App::with_clock(&config, Arc::new(|| NOW)).expect("app builds")
}

/// A config file for the binary with every source on `upstream` (TestGrid's legacy API),
/// watching `branches` (`"[master, release-1.35]"`); it lives as long as the directory.
pub fn replay_config_file(
    upstream: &ReplayUpstream,
    branches: &str,
) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.yaml");
    let base = upstream.url();
    std::fs::write(
        &path,
        format!(
            "testgrid:\n  url: {base}/testgrid\n  api: legacy\nschedule:\n  url: {base}/schedule.yaml\ngithub:\n  api_url: {base}/github\nbranches: {branches}\nrequest_timeout: 5s\n"
        ),
    )
    .unwrap();
    (dir, path)
}

/// The value of one series (`name{labels}`) in an exposition.
pub fn metric_value(exposition: &str, series: &str) -> Option<f64> {
    exposition.lines().find_map(|line| {
        let (name, value) = line.rsplit_once(' ')?;
        (name == series).then(|| value.parse().ok()).flatten()
    })
}

/// A plain `GET` over a fresh connection: status and body.
pub async fn get(address: std::net::SocketAddr, path: &str) -> (u16, String) {
    let (status, _, body) = get_response(address, path).await;
    (status, body)
}

/// A plain `GET` over a fresh connection: status, headers (name, value) and body.
pub async fn get_response(
    address: std::net::SocketAddr,
    path: &str,
) -> (u16, Vec<(String, String)>, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let response = String::from_utf8_lossy(&response).into_owned();
    let status = response
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let headers = head
        .lines()
        .skip(1)
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_string(), value.trim().to_string()))
        .collect();
    (status, headers, body.to_string())
}
