//! Scrape load (run with `cargo bench --bench load`): `branchwatch demo` as a child process,
//! 200 concurrent scrapers (each on its own keep-alive connection, asking for gzip like
//! Prometheus) for 60 s, then the latency percentiles, the errors and the child's peak RSS.
//! `LOAD_SECONDS` and `LOAD_CLIENTS` change the run; `LOAD_COMPARE_URL` runs the same load
//! against another exporter's `/metrics` (e.g. Debian's `prometheus-node-exporter`) for a
//! side-by-side figure, and `LOAD_COMPARE_PID` (that exporter's process) adds its peak RSS.
//! Client and server share this machine's cores. Asserts nothing.

use std::{
    process::{Command, Stdio},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next().and_then(|n| n.parse().ok()))
        })
        .unwrap_or(0)
}

struct Figures {
    requests: usize,
    errors: u64,
    p50: Duration,
    p99: Duration,
    max: Duration,
    bytes: u64,
}

async fn load(url: &str, clients: u64, seconds: u64) -> Figures {
    let stop = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(AtomicU64::new(0));
    let bytes = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (stop, errors, bytes, url) = (
            Arc::clone(&stop),
            Arc::clone(&errors),
            Arc::clone(&bytes),
            url.to_string(),
        );
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .timeout(Duration::from_secs(10))
                .build()
                .expect("client");
            let mut latencies = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                let result = async {
                    let response = client
                        .get(&url)
                        .header("accept-encoding", "gzip")
                        .send()
                        .await?
                        .error_for_status()?;
                    response.bytes().await
                }
                .await;
                match result {
                    Ok(body) => {
                        bytes.fetch_add(body.len() as u64, Ordering::Relaxed);
                        latencies.push(started.elapsed());
                    }
                    Err(_) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            latencies
        }));
    }
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.expect("client task"));
    }
    all.sort();
    let at = |q: f64| {
        all.get(((all.len() as f64 * q) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Figures {
        requests: all.len(),
        errors: errors.load(Ordering::Relaxed),
        p50: at(0.50),
        p99: at(0.99),
        max: all.last().copied().unwrap_or_default(),
        bytes: bytes.load(Ordering::Relaxed),
    }
}

fn report(what: &str, figures: &Figures, seconds: u64, rss: Option<u64>) {
    println!(
        "{what}: {} scrapes in {seconds} s ({:.0}/s), {} errors, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms, {:.1} KiB per scrape{}",
        figures.requests,
        figures.requests as f64 / seconds as f64,
        figures.errors,
        figures.p50.as_secs_f64() * 1e3,
        figures.p99.as_secs_f64() * 1e3,
        figures.max.as_secs_f64() * 1e3,
        figures.bytes as f64 / figures.requests.max(1) as f64 / 1024.0,
        rss.map(|kib| format!(", server peak RSS {:.1} MiB", kib as f64 / 1024.0))
            .unwrap_or_default()
    );
}

/// Runs `work` while sampling the RSS of `pid` every 250 ms; the work's result and the peak.
async fn sampled<T>(pid: u32, work: impl std::future::Future<Output = T>) -> (T, u64) {
    let peak = Arc::new(AtomicU64::new(rss_kib(pid)));
    let sampler_peak = Arc::clone(&peak);
    let sampler = tokio::spawn(async move {
        loop {
            sampler_peak.fetch_max(rss_kib(pid), Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    });
    let result = work.await;
    sampler.abort();
    (result, peak.load(Ordering::Relaxed))
}

fn main() {
    // reqwest is built without a default TLS provider; plain HTTP still needs one installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let clients = env_number("LOAD_CLIENTS", 200);
    let seconds = env_number("LOAD_SECONDS", 60);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_branchwatch"))
        .args(["demo", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("branchwatch demo starts");
    let pid = child.id();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let url = format!("http://127.0.0.1:{port}/metrics");
        let client = reqwest::Client::new();
        // Until the first full poll has been published (every source reports up).
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let body = match client.get(&url).send().await {
                Ok(response) => response.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if body.contains("branchwatch_source_up{source=\"testgrid\"} 1")
                && body.contains("branchwatch_source_up{source=\"github\"} 1")
            {
                break;
            }
            assert!(Instant::now() < deadline, "the demo did not come up");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let (figures, peak) = sampled(pid, load(&url, clients, seconds)).await;
        report(
            &format!("branchwatch /metrics, {clients} scrapers"),
            &figures,
            seconds,
            Some(peak),
        );
        if let Ok(other) = std::env::var("LOAD_COMPARE_URL") {
            let compare_pid = std::env::var("LOAD_COMPARE_PID")
                .ok()
                .and_then(|p| p.parse::<u32>().ok());
            let (figures, peak) = match compare_pid {
                Some(pid) => {
                    let (figures, peak) = sampled(pid, load(&other, clients, seconds)).await;
                    (figures, Some(peak))
                }
                None => (load(&other, clients, seconds).await, None),
            };
            report(
                &format!("{other}, {clients} scrapers"),
                &figures,
                seconds,
                peak,
            );
        }
    });
    let _ = child.kill();
    let _ = child.wait();
}
