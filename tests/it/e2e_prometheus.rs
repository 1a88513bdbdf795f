//! End to end with a real Prometheus: `branchwatch demo` is scraped by Prometheus (Debian's
//! `prometheus` package, `/usr/bin/prometheus`), which loads `alerts/branchwatch.rules.yaml`.
//! Then, through Prometheus' HTTP API:
//!
//! - every PromQL expression of every dashboard panel returns data (template variables
//!   substituted the way Grafana would, with `$branch` = `release-1.34`);
//! - every alerting rule evaluates without error;
//! - `ReleaseBranchRed` goes pending (or firing) for `release-1.34`, which the demo scenario turns
//!   red about a minute into its loop (`--skip 50s` gets there in ~10 s);
//! - `branchwatch_source_up` is 1 for every source.
//!
//! Without `prometheus` on PATH the test fails rather than skips: install Debian's `prometheus`
//! package (`apt-get install prometheus`).

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value as Json;
use serde_yaml_ng::Value as Yaml;

/// Everything (start-up included) must be done by then.
const OVERALL_DEADLINE: Duration = Duration::from_secs(150);
/// The branch `$branch` stands for: the demo turns it red.
const BRANCH: &str = "release-1.34";
/// The `--skip` of the demo: release-1.34 turns red 60 s into the scenario.
const DEMO_SKIP: &str = "50s";
const SOURCES: [&str; 3] = ["testgrid", "github", "schedule"];

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

// === child processes ===

/// A child process that is killed (and reaped) when the guard goes out of scope, panics included.
/// On panic it also prints the tail of the process' logs.
struct ChildGuard {
    name: &'static str,
    child: Child,
    stdout: PathBuf,
    stderr: PathBuf,
}

impl ChildGuard {
    fn spawn(name: &'static str, command: &mut Command, logs: &Path) -> ChildGuard {
        let stdout = logs.join(format!("{name}.stdout.log"));
        let stderr = logs.join(format!("{name}.stderr.log"));
        let out = File::create(&stdout).expect("create stdout log");
        let err = File::create(&stderr).expect("create stderr log");
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {name} ({command:?}): {error}"));
        ChildGuard {
            name,
            child,
            stdout,
            stderr,
        }
    }

    /// Panics if the process has already exited.
    fn assert_running(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("{} exited early with {status}", self.name);
        }
    }

    fn print_log_tails(&self) {
        for path in [&self.stdout, &self.stderr] {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            let tail = &lines[lines.len().saturating_sub(40)..];
            eprintln!(
                "----- {} {} (last {} of {} lines) -----",
                self.name,
                path.display(),
                tail.len(),
                lines.len()
            );
            for line in tail {
                eprintln!("{line}");
            }
        }
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            self.print_log_tails();
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("bind an ephemeral port")
        .port()
}

/// `name` found on PATH.
fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

// === a minimal HTTP/1.1 client ===

struct Response {
    status: u16,
    body: String,
}

fn percent_encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn decode_chunked(mut body: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let line_end = body
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("chunk size line without CRLF")?;
        let size_text = std::str::from_utf8(&body[..line_end]).map_err(|e| e.to_string())?;
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|e| format!("bad chunk size {size_text:?}: {e}"))?;
        body = &body[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        if body.len() < size + 2 {
            return Err("truncated chunk".into());
        }
        out.extend_from_slice(&body[..size]);
        body = &body[size + 2..];
    }
}

/// `GET path` on `address` with `Connection: close`.
fn http_get(address: SocketAddr, path: &str) -> Result<Response, String> {
    let timeout = Duration::from_secs(10);
    let mut stream = TcpStream::connect_timeout(&address, timeout).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|()| stream.set_write_timeout(Some(timeout)))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(|e| e.to_string())?;
    let head_end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("no end of headers in {} bytes", raw.len()))?;
    let head = String::from_utf8_lossy(&raw[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let chunked = lines.any(|line| {
        let lower = line.to_ascii_lowercase();
        lower.starts_with("transfer-encoding:") && lower.contains("chunked")
    });
    let body = &raw[head_end + 4..];
    let body = if chunked {
        decode_chunked(body)?
    } else {
        body.to_vec()
    };
    Ok(Response {
        status,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// `GET path` expecting 200 and a Prometheus API envelope with `status: success`; its `data`.
fn api_get(address: SocketAddr, path: &str) -> Result<Json, String> {
    let response = http_get(address, path)?;
    let json: Json = serde_json::from_str(&response.body).map_err(|e| {
        format!(
            "HTTP {}, not JSON ({e}): {}",
            response.status, response.body
        )
    })?;
    if response.status != 200 || json["status"] != "success" {
        return Err(format!("HTTP {}: {json}", response.status));
    }
    Ok(json["data"].clone())
}

/// An instant query; the result (a vector's samples, or a scalar/string as one element).
fn query(prometheus: SocketAddr, promql: &str) -> Result<Vec<Json>, String> {
    let data = api_get(
        prometheus,
        &format!("/api/v1/query?query={}", percent_encode(promql)),
    )?;
    match data["resultType"].as_str() {
        Some("vector" | "matrix") => Ok(data["result"].as_array().cloned().unwrap_or_default()),
        // A scalar or a string always has a value.
        _ => Ok(vec![data["result"].clone()]),
    }
}

/// Polls `url` until it answers 200 or `deadline` passes, checking that `child` still runs.
fn wait_until_ok(child: &mut ChildGuard, address: SocketAddr, path: &str, deadline: Instant) {
    let mut last = String::new();
    while Instant::now() < deadline {
        child.assert_running();
        match http_get(address, path) {
            Ok(response) if response.status == 200 => return,
            Ok(response) => last = format!("HTTP {}: {}", response.status, response.body),
            Err(error) => last = error,
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!(
        "{} did not answer 200 on http://{address}{path} before the deadline; last: {last}",
        child.name
    );
}

// === dashboards ===

/// A dashboard target: where it comes from and its expression with variables substituted.
struct DashboardQuery {
    origin: String,
    expr: String,
}

/// Replaces Grafana template variables (`$var`, `${var}`, `${var:format}`, `[[var]]`).
fn substitute(expr: &str, origin: &str) -> String {
    let value = |name: &str| -> String {
        match name {
            "branch" => BRANCH.to_string(),
            "__rate_interval" => "1m".to_string(),
            "__interval" => "15s".to_string(),
            "__range" => "5m".to_string(),
            // Only ever in datasource fields; harmless (and meaningless) in an expression.
            "datasource" => String::new(),
            other => panic!(
                "{origin}: unknown template variable `${other}` in expression {expr:?}; \
                 teach tests/e2e_prometheus.rs a value for it"
            ),
        }
    };
    let is_ident_start = |c: char| c.is_ascii_alphabetic() || c == '_';
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let chars: Vec<char> = expr.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let rest: String = chars[i..].iter().collect();
        if chars[i] == '$' && chars.get(i + 1) == Some(&'{') {
            if let Some(end) = rest.find('}') {
                let inner = &rest[2..end];
                let name = inner.split(':').next().unwrap_or("");
                out.push_str(&value(name));
                i += rest[..=end].chars().count();
                continue;
            }
        } else if chars[i] == '$' && chars.get(i + 1).is_some_and(|c| is_ident_start(*c)) {
            let name: String = chars[i + 1..]
                .iter()
                .take_while(|c| is_ident(**c))
                .collect();
            out.push_str(&value(&name));
            i += 1 + name.chars().count();
            continue;
        } else if rest.starts_with("[[") {
            if let Some(end) = rest.find("]]") {
                let inner = &rest[2..end];
                if !inner.is_empty() && inner.chars().all(|c| is_ident(c) || c == ':') {
                    out.push_str(&value(inner.split(':').next().unwrap_or("")));
                    i += rest[..end + 2].chars().count();
                    continue;
                }
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

fn collect_targets(panels: &Json, file: &str, out: &mut Vec<DashboardQuery>) {
    for panel in panels.as_array().into_iter().flatten() {
        let title = panel["title"].as_str().unwrap_or("(untitled)");
        for (index, target) in panel["targets"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let Some(expr) = target["expr"].as_str() else {
                continue;
            };
            let ref_id = target["refId"].as_str().unwrap_or("?");
            let origin = format!("{file} panel {title:?} target #{index} (refId {ref_id})");
            let expr = substitute(expr, &origin);
            out.push(DashboardQuery { origin, expr });
        }
        // Rows (and library-panel-free nesting) carry their collapsed panels here.
        collect_targets(&panel["panels"], file, out);
    }
}

fn dashboard_queries() -> Vec<DashboardQuery> {
    let dir = repo().join("dashboards");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("cannot list {}: {error}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no dashboards in {}", dir.display());
    let mut queries = Vec::new();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
        let json: Json = serde_json::from_str(&text)
            .unwrap_or_else(|error| panic!("{name} is not valid JSON: {error}"));
        let before = queries.len();
        collect_targets(&json["panels"], &name, &mut queries);
        // Pre-8 schema: rows[].panels.
        for row in json["rows"].as_array().into_iter().flatten() {
            collect_targets(&row["panels"], &name, &mut queries);
        }
        assert!(queries.len() > before, "{name} has no PromQL targets");
    }
    queries
}

fn alert_names() -> BTreeSet<String> {
    let path = repo().join("alerts/branchwatch.rules.yaml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    let rules: Yaml = serde_yaml_ng::from_str(&text).expect("rules file is YAML");
    rules["groups"]
        .as_sequence()
        .expect("groups")
        .iter()
        .flat_map(|group| group["rules"].as_sequence().expect("rules").iter())
        .map(|rule| {
            rule["alert"]
                .as_str()
                .or_else(|| rule["record"].as_str())
                .expect("rule name")
                .to_string()
        })
        .collect()
}

// === the checks ===

/// One condition polled until it holds; `Err` explains why it does not (yet).
type Check<'a> = Box<dyn FnMut() -> Result<(), String> + 'a>;

fn check_rules(prometheus: SocketAddr, expected: &BTreeSet<String>) -> Result<(), String> {
    let data = api_get(prometheus, "/api/v1/rules")?;
    let mut seen = BTreeSet::new();
    let mut problems = Vec::new();
    for group in data["groups"].as_array().into_iter().flatten() {
        for rule in group["rules"].as_array().into_iter().flatten() {
            let name = rule["name"].as_str().unwrap_or("?").to_string();
            let last = rule["lastEvaluation"].as_str().unwrap_or("");
            if last.is_empty() || last.starts_with("0001-01-01") {
                problems.push(format!("{name}: not evaluated yet"));
            } else if rule["health"] != "ok" {
                problems.push(format!(
                    "{name}: health {} lastError {}",
                    rule["health"], rule["lastError"]
                ));
            }
            seen.insert(name);
        }
    }
    let missing: Vec<&String> = expected.difference(&seen).collect();
    if !missing.is_empty() {
        problems.push(format!(
            "rules of alerts/branchwatch.rules.yaml not loaded: {missing:?}"
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

fn check_release_branch_red(prometheus: SocketAddr) -> Result<(), String> {
    let data = api_get(prometheus, "/api/v1/alerts")?;
    let alerts = data["alerts"].as_array().cloned().unwrap_or_default();
    let found = alerts.iter().any(|alert| {
        alert["labels"]["alertname"] == "ReleaseBranchRed"
            && alert["labels"]["branch"] == BRANCH
            && (alert["state"] == "pending" || alert["state"] == "firing")
    });
    if found {
        Ok(())
    } else {
        let active: Vec<String> = alerts
            .iter()
            .map(|a| format!("{}{} {}", a["labels"]["alertname"], a["labels"], a["state"]))
            .collect();
        Err(format!(
            "no pending/firing ReleaseBranchRed{{branch=\"{BRANCH}\"}}; alerts: {active:?}"
        ))
    }
}

fn check_sources_up(prometheus: SocketAddr) -> Result<(), String> {
    let samples = query(prometheus, "branchwatch_source_up")?;
    let mut values: BTreeMap<String, String> = BTreeMap::new();
    for sample in &samples {
        let source = sample["metric"]["source"]
            .as_str()
            .unwrap_or("?")
            .to_string();
        let value = sample["value"][1].as_str().unwrap_or("?").to_string();
        values.insert(source, value);
    }
    let bad: Vec<String> = SOURCES
        .iter()
        .filter(|source| values.get(**source).map(String::as_str) != Some("1"))
        .map(|source| format!("{source}={:?}", values.get(*source)))
        .collect();
    if bad.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "branchwatch_source_up not 1 for {bad:?} (all: {values:?})"
        ))
    }
}

#[test]
fn dashboards_and_alerts_work_against_a_real_prometheus() {
    let started = Instant::now();
    let deadline = started + OVERALL_DEADLINE;
    let prometheus_bin = on_path("prometheus").unwrap_or_else(|| {
        panic!(
            "`prometheus` is not on PATH: install Debian's `prometheus` package \
             (sudo apt-get install prometheus) to run this end-to-end test"
        )
    });
    let queries = dashboard_queries();
    let rule_names = alert_names();
    let tmp = tempfile::tempdir().expect("temporary directory");

    // branchwatch demo.
    let demo_address = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let mut demo = ChildGuard::spawn(
        "branchwatch",
        Command::new(env!("CARGO_BIN_EXE_branchwatch"))
            .args(["demo", "--listen", &demo_address.to_string()])
            .args(["--skip", DEMO_SKIP])
            .current_dir(tmp.path()),
        tmp.path(),
    );
    wait_until_ok(&mut demo, demo_address, "/readyz", deadline);
    eprintln!(
        "branchwatch demo ready on {demo_address} after {:?}",
        started.elapsed()
    );

    // Prometheus scraping it every second with the alerting rules.
    let rules_path = repo().join("alerts/branchwatch.rules.yaml");
    let quote = |text: &str| serde_json::to_string(text).expect("string"); // JSON strings are YAML.
    let config = format!(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
         rule_files:\n  - {}\n\
         scrape_configs:\n  - job_name: branchwatch\n    static_configs:\n      - targets: [{}]\n",
        quote(&rules_path.to_string_lossy()),
        quote(&demo_address.to_string()),
    );
    let config_path = tmp.path().join("prometheus.yml");
    std::fs::write(&config_path, &config).expect("write prometheus.yml");
    let prometheus_address = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let mut prometheus = ChildGuard::spawn(
        "prometheus",
        Command::new(&prometheus_bin)
            .arg(format!("--config.file={}", config_path.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                tmp.path().join("data").display()
            ))
            .arg(format!("--web.listen-address={prometheus_address}"))
            .current_dir(tmp.path()),
        tmp.path(),
    );
    wait_until_ok(&mut prometheus, prometheus_address, "/-/ready", deadline);
    eprintln!(
        "prometheus ready on {prometheus_address} after {:?}",
        started.elapsed()
    );

    // At least two successful scrapes before judging anything.
    let scrapes = "sum_over_time(up{job=\"branchwatch\"}[5m])";
    loop {
        demo.assert_running();
        prometheus.assert_running();
        let last = match query(prometheus_address, scrapes) {
            Ok(result) => {
                let count = result
                    .first()
                    .and_then(|sample| sample["value"][1].as_str())
                    .and_then(|value| value.parse::<f64>().ok())
                    .unwrap_or(0.0);
                if count >= 2.0 {
                    break;
                }
                format!("{count} successful scrapes")
            }
            Err(error) => error,
        };
        assert!(
            Instant::now() < deadline,
            "Prometheus did not scrape branchwatch twice successfully before the deadline; last: {last}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    eprintln!("two scrapes done after {:?}", started.elapsed());

    // Every check is retried until it holds or the deadline passes.
    let mut checks: Vec<(String, Check)> = Vec::new();
    for dashboard_query in &queries {
        let expr = dashboard_query.expr.clone();
        checks.push((
            format!("{}: {expr}", dashboard_query.origin),
            Box::new(move || match query(prometheus_address, &expr) {
                Ok(result) if result.is_empty() => Err("empty result".to_string()),
                Ok(_) => Ok(()),
                Err(error) => Err(error),
            }),
        ));
    }
    checks.push((
        "every rule evaluated with health ok".to_string(),
        Box::new(|| check_rules(prometheus_address, &rule_names)),
    ));
    checks.push((
        format!("ReleaseBranchRed pending or firing for {BRANCH}"),
        Box::new(|| check_release_branch_red(prometheus_address)),
    ));
    checks.push((
        format!("branchwatch_source_up == 1 for {SOURCES:?}"),
        Box::new(|| check_sources_up(prometheus_address)),
    ));
    let total = checks.len();
    let mut failures: BTreeMap<String, String> = BTreeMap::new();
    loop {
        demo.assert_running();
        prometheus.assert_running();
        failures.clear();
        checks.retain_mut(|(name, check)| match check() {
            Ok(()) => {
                eprintln!("ok after {:>5.1?}: {name}", started.elapsed());
                false
            }
            Err(error) => {
                failures.insert(name.clone(), error);
                true
            }
        });
        if checks.is_empty() || Instant::now() >= deadline {
            break;
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    if !failures.is_empty() {
        let report: Vec<String> = failures
            .iter()
            .map(|(name, error)| format!("  - {name}\n      -> {error}"))
            .collect();
        panic!(
            "{} of {total} checks still failing after {:?}:\n{}",
            failures.len(),
            started.elapsed(),
            report.join("\n")
        );
    }
    eprintln!(
        "all {total} checks ({} dashboard queries) passed after {:?}",
        queries.len(),
        started.elapsed()
    );
}
