//! Embargo-safe mode (`privacy.embargo: true`): the daemon runs against the replay with the
//! embargo on, GitHub fails once with a cut-off answer (whose excerpt would quote PR text), and
//! every output — the page, the status API, the metrics, the report (from one poll and from the
//! running instance), and the logs at debug level — is searched for the demo's PR titles,
//! authors and release notes. None may appear; numbers, states and labels still do.

use std::{collections::BTreeSet, process::Stdio, time::Duration};

use branchwatch::{
    Source,
    config::TestgridApi,
    demo::{Fault, Moment},
    snapshot::Snapshot,
};
use tokio::io::AsyncReadExt;

use crate::support::{config_for, get, pinned_app, replay, replay_config_file};

/// What GitHub users wrote in the demo, as the snapshot shows it without the embargo: titles
/// (and their subjects without the cherry-pick prefix), authors, note texts, who took labels off.
fn secrets(snapshot: &Snapshot) -> BTreeSet<String> {
    let mut secrets = BTreeSet::new();
    let mut title = |title: &str| {
        secrets.insert(title.to_string());
        let subject = title
            .split_once(": ")
            .filter(|(prefix, _)| prefix.starts_with("Automated cherry pick"))
            .map(|(_, subject)| subject)
            .or_else(|| title.split_once("] ").map(|(_, subject)| subject))
            .unwrap_or(title);
        secrets.insert(subject.to_string());
    };
    for branch in &snapshot.branches {
        for pr in &branch.pull_requests {
            title(&pr.title);
        }
        for pr in branch.release_notes_preview.iter().flat_map(|p| &p.merged) {
            title(&pr.title);
        }
    }
    for branch in &snapshot.branches {
        let open = branch
            .pull_requests
            .iter()
            .map(|pr| (&pr.author, &pr.release_notes));
        let merged = branch
            .release_notes_preview
            .iter()
            .flat_map(|p| &p.merged)
            .map(|pr| (&pr.author, &pr.release_notes));
        for (author, notes) in open.chain(merged) {
            secrets.extend(author.clone());
            secrets.extend(notes.iter().filter_map(|n| n.text.clone()));
        }
        secrets.extend(
            branch
                .freeze_worklist
                .to_reapprove
                .iter()
                .filter_map(|r| r.removed_by.clone()),
        );
    }
    secrets.retain(|s| s.len() >= 6);
    secrets
}

async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(40);
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test]
async fn no_output_shows_what_github_users_wrote() {
    let upstream = replay(Moment::BranchRed).await;
    let open = {
        let app = pinned_app(config_for(&upstream, TestgridApi::V1));
        assert!(app.once().await.is_empty());
        secrets(&app.snapshot())
    };
    assert!(
        open.len() > 40,
        "the demo has titles, authors and notes: {open:?}"
    );
    assert!(
        open.iter().any(|s| s.starts_with("Fixed a bug where")),
        "notes are searched"
    );
    assert!(open.contains("alice-dev"), "authors are searched");

    let (dir, config) = replay_config_file(&upstream, "auto");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        format!("{text}poll_interval: 10s\nprivacy:\n  embargo: true\n"),
    )
    .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let address: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    // GitHub's first answers are cut off mid-JSON: the error path must not quote them.
    upstream.set_fault(Source::Github, Some(Fault::Truncated));
    let mut daemon = tokio::process::Command::new(env!("CARGO_BIN_EXE_branchwatch"))
        .args(["serve", "--config"])
        .arg(&config)
        .args(["--listen", &address.to_string()])
        .env("GITHUB_TOKEN", "ghp_embargo_test_token")
        .env("RUST_LOG", "branchwatch=debug")
        .env_remove("BRANCHWATCH_CONFIG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the daemon starts");
    eventually("the daemon listening", async || {
        tokio::net::TcpStream::connect(address).await.is_ok()
    })
    .await;
    let status_of = async |address| -> serde_json::Value {
        let (_, body) = get(address, "/api/v1/status").await;
        serde_json::from_str(&body).unwrap_or_default()
    };
    eventually("GitHub down with a reason", async || {
        let status = status_of(address).await;
        status["sources"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|s| s["source"] == "github" && s["last_error"].is_string())
    })
    .await;
    let failed = status_of(address).await.to_string();
    let github = status_of(address).await["sources"][1].to_string();
    assert!(
        github.contains("privacy.embargo"),
        "the withheld reason says why: {github}"
    );
    upstream.set_fault(Source::Github, None);
    eventually("GitHub's PRs read", async || {
        let status = status_of(address).await;
        status["sources"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|s| s["source"] == "github" && s["up"] == true)
            && status["branches"][1]["pull_requests"]
                .as_array()
                .is_some_and(|prs| !prs.is_empty())
    })
    .await;

    let mut outputs: Vec<(String, String)> = vec![("failed status".into(), failed)];
    let mut paths = vec!["/".to_string(), "/api/v1/status".into(), "/metrics".into()];
    paths.extend(
        [
            "master",
            "release-1.34",
            "release-1.35",
            "release-1.36",
            "release-1.37",
        ]
        .map(|b| format!("/branches/{b}")),
    );
    for path in paths {
        let (code, body) = get(address, &path).await;
        assert_eq!(code, 200, "{path}");
        outputs.push((path, body));
    }
    let status = &outputs
        .iter()
        .find(|(p, _)| p == "/api/v1/status")
        .unwrap()
        .1;
    assert!(status.contains("\"number\":131297"), "numbers stay");
    assert!(
        status.contains("cherry-pick-approved"),
        "public labels stay"
    );
    let page = &outputs
        .iter()
        .find(|(p, _)| p == "/branches/release-1.34")
        .unwrap()
        .1;
    assert!(page.contains("131297") && page.to_lowercase().contains("embargo"));

    let base = format!("http://{address}");
    for args in [
        vec!["report", "--from", base.as_str()],
        vec!["report", "--from", base.as_str(), "--format", "json"],
    ] {
        let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_branchwatch"))
            .args(&args)
            .env_remove("GITHUB_TOKEN")
            .output()
            .await
            .unwrap();
        outputs.push((
            args.join(" "),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        ));
        outputs.push((
            format!("{} (stderr)", args.join(" ")),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        ));
    }
    // From one poll of its own, embargoed by the configuration alone.
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_branchwatch"))
        .args(["report", "--config"])
        .arg(&config)
        .env("GITHUB_TOKEN", "ghp_embargo_test_token")
        .env("RUST_LOG", "branchwatch=debug")
        .output()
        .await
        .unwrap();
    let poll_report = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(poll_report.contains("Embargo"), "{poll_report}");
    assert!(poll_report.contains("#131297"));
    outputs.push(("report (one poll)".into(), poll_report));
    outputs.push((
        "report (one poll) stderr".into(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    ));

    daemon.start_kill().unwrap();
    let _ = daemon.wait().await;
    let mut logs = String::new();
    daemon
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .await
        .unwrap();
    daemon
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .await
        .unwrap();
    assert!(logs.contains("DEBUG"), "debug logs were on");
    outputs.push(("daemon logs".into(), logs));
    drop(dir);

    let leaks: Vec<String> = outputs
        .iter()
        .flat_map(|(origin, text)| {
            open.iter()
                .filter(|secret| text.contains(secret.as_str()))
                .map(move |secret| format!("{origin}: {secret:?}"))
        })
        .collect();
    assert!(
        leaks.is_empty(),
        "embargoed text leaked:\n{}",
        leaks.join("\n")
    );
}
