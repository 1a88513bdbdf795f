//! `branchwatch report`: the meeting update from one poll of the replay at the red moment,
//! compared with golden files; the same report read back from a running instance with
//! `--from`; and the refusals a user meets (an unknown branch, an unreadable or credentialed
//! URL, a failed source).
//!
//! The golden files are `tests/golden/report-*`. When the report changes on purpose — or the
//! snapshot's playbook fields (readiness, notes preview, milestone, freeze worklist) start being
//! filled — rewrite them with
//!
//! ```sh
//! UPDATE_GOLDEN=1 cargo test --locked --test it report::
//! ```
//!
//! and read the diff: each must still read well as a meeting update.

use std::{path::Path, process::Output};

use branchwatch::{
    Source,
    config::TestgridApi,
    demo::{Fault, Moment},
    report::{self, Format},
    snapshot::Condition,
};

use crate::support::{config_for, pinned_app, replay, replay_config_file};

/// The replay's loopback address changes every run; the golden files name it this way.
const REPLAY: &str = "http://replay.invalid";

/// Compares `actual` with `tests/golden/<name>`, or rewrites the file under `UPDATE_GOLDEN=1`.
fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|value| value == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|error| {
        panic!("{}: {error}; write it with UPDATE_GOLDEN=1", path.display())
    });
    if expected == actual {
        return;
    }
    let (line, golden_line, actual_line) = expected
        .lines()
        .chain(std::iter::repeat("<end of file>"))
        .zip(actual.lines().chain(std::iter::repeat("<end of file>")))
        .enumerate()
        .find(|(_, (a, b))| a != b)
        .map(|(i, (a, b))| (i + 1, a, b))
        .unwrap_or((0, "", ""));
    panic!(
        "{name} differs from its golden file at line {line}:\n  golden: {golden_line}\n  actual: {actual_line}\n\
         If the change is intended, rewrite with UPDATE_GOLDEN=1 and review the diff.\n\nactual:\n{actual}"
    );
}

async fn branchwatch(args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_branchwatch"))
        .args(args)
        .env_remove("GITHUB_TOKEN")
        .env_remove("BRANCHWATCH_CONFIG")
        .output()
        .await
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn the_red_moment_reads_as_the_golden_meeting_update() {
    let upstream = replay(Moment::BranchRed).await;
    let app = pinned_app(config_for(&upstream, TestgridApi::V1));
    assert!(app.once().await.is_empty());
    let snapshot = app.snapshot();
    let render = |format, branch| {
        report::render(&snapshot, app.now(), format, branch, false)
            .unwrap()
            .replace(&upstream.url(), REPLAY)
    };

    let markdown = render(Format::Markdown, None);
    // What the meeting must hear whatever the golden file says.
    for line in [
        "At a glance: 🔴 release-1.34 red · 🟡 master flaky · 🟢 release-1.35, release-1.36, release-1.37 green",
        "## 🔴 release-1.34: red since 2026-11-25 12:00 UTC (just now)",
        "- **Failing across the branch:** `pull-kubernetes-verify` on 7 of 9 PRs; its periodic twin [verify-1.34](http://replay.invalid/testgrid/sig-release-1.34-blocking#verify-1.34) fails too: fix the branch, not the PRs",
    ] {
        assert!(
            markdown.lines().any(|l| l == line),
            "missing {line:?} in:\n{markdown}"
        );
    }
    let blocked = markdown
        .lines()
        .find(|l| l.starts_with("- **Blocked by the branch (7):**"))
        .expect("release-1.34's picks blocked by the branch");
    assert!(
        blocked.ends_with(": 2 would merge once the branch is fixed"),
        "{blocked}"
    );
    golden("report-branch-red.md", &markdown);
    golden("report-branch-red.json", &render(Format::Json, None));
    let one = render(Format::Markdown, Some("release-1.34"));
    assert!(!one.contains("## 🟢"), "only release-1.34:\n{one}");
    golden("report-branch-red-release-1.34.md", &one);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_from_a_running_instance_is_the_report_of_the_direct_poll() {
    let upstream = replay(Moment::BranchRed).await;
    let app = pinned_app(config_for(&upstream, TestgridApi::V1));
    assert!(app.once().await.is_empty());
    let snapshot = app.snapshot();
    let direct = |format| report::render(&snapshot, app.now(), format, None, false).unwrap();
    let (markdown, json) = (direct(Format::Markdown), direct(Format::Json));
    let one_branch = report::render(
        &snapshot,
        app.now(),
        Format::Markdown,
        Some("release-1.34"),
        false,
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, app.router()).await });

    for from in [base.clone(), format!("{base}/api/v1/status")] {
        let run = branchwatch(&["report", "--from", &from]).await;
        assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
        assert_eq!(text(&run.stdout), markdown, "--from {from}");
    }
    let run = branchwatch(&["report", "--from", &base, "--format", "json"]).await;
    assert_eq!(text(&run.stdout), json);
    let run = branchwatch(&["report", "--from", &base, "--branch", "release-1.34"]).await;
    assert_eq!(text(&run.stdout), one_branch);

    let run = branchwatch(&["report", "--from", &base, "--embargo"]).await;
    let embargoed = text(&run.stdout);
    assert!(embargoed.contains(report::EMBARGO_LINE), "{embargoed}");
    for pr in &snapshot.branches[1].pull_requests {
        if pr.conditions.contains(&Condition::CherryPickApproved) {
            let listed = format!(
                "[#{}]({}) — {}\n",
                pr.number,
                pr.url,
                pr.next_action.title()
            );
            assert!(embargoed.contains(&listed), "{listed} in:\n{embargoed}");
        }
        assert!(
            !embargoed.contains(&pr.title),
            "{} in:\n{embargoed}",
            pr.title
        );
    }
    for withheld in [
        "kubectl: fix describe",
        "alice-dev",
        "Automated cherry pick",
    ] {
        assert!(!embargoed.contains(withheld), "{withheld} in:\n{embargoed}");
    }

    let run = branchwatch(&["report", "--from", &base, "--branch", "release-1.99"]).await;
    assert_eq!(run.status.code(), Some(64));
    assert!(run.stdout.is_empty());
    assert_eq!(
        text(&run.stderr),
        "branchwatch: report --branch: `release-1.99` is not a watched branch; watched: master, release-1.34, release-1.35, release-1.36, release-1.37\n"
    );

    // Something that is not branchwatch: the replay upstream answers 404 there.
    let run = branchwatch(&["report", "--from", &upstream.url()]).await;
    assert_eq!(run.status.code(), Some(69));
    let stderr = text(&run.stderr);
    assert!(
        stderr.starts_with(&format!(
            "branchwatch: cannot read {}/api/v1/status: it answered 404 Not Found",
            upstream.url()
        )),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    server.abort();
}

#[tokio::test]
async fn report_from_an_unreachable_or_credentialed_url_fails_in_one_line_and_prints_no_secret() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let nowhere = format!("http://127.0.0.1:{port}");
    let run = branchwatch(&["report", "--from", &nowhere]).await;
    let stderr = text(&run.stderr);
    assert_eq!(run.status.code(), Some(69), "{stderr}");
    assert!(run.stdout.is_empty());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "branchwatch: cannot read {nowhere}/api/v1/status: connection failed"
        )),
        "{stderr}"
    );

    for url in [
        format!("http://alice:s3cret@127.0.0.1:{port}/"),
        "https://ghp_s3cret@branchwatch.example/api/v1/status".to_string(),
        format!("http://127.0.0.1:{port}/?token=s3cret"),
    ] {
        let run = branchwatch(&["report", "--from", &url]).await;
        let (stdout, stderr) = (text(&run.stdout), text(&run.stderr));
        assert_eq!(run.status.code(), Some(64), "{url}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with("branchwatch: --from: the URL "),
            "{stderr}"
        );
        for secret in ["s3cret", "alice", "ghp_"] {
            assert!(
                !stdout.contains(secret) && !stderr.contains(secret),
                "{stderr}"
            );
        }
    }
}

#[tokio::test]
async fn a_failed_source_still_prints_the_report_says_which_and_exits_1() {
    let upstream = replay(Moment::BranchRed).await;
    upstream.set_fault(Source::Testgrid, Some(Fault::Html500));
    let (_dir, config) = replay_config_file(&upstream, "[master, release-1.34]");
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_branchwatch"))
        .args(["report", "--config"])
        .arg(&config)
        .env("GITHUB_TOKEN", "demo-token-not-a-secret")
        .env_remove("BRANCHWATCH_CONFIG")
        .output()
        .await
        .unwrap();
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("branchwatch: source testgrid failed: ") && stderr.contains("500"),
        "{stderr}"
    );
    assert!(!stderr.contains("source github failed"), "{stderr}");
    assert!(
        stdout.contains("⚠️ **TestGrid is down**: "),
        "the report says it too:\n{stdout}"
    );
    assert!(
        stdout.contains("  - TestGrid is down: health and tabs not known yet.\n"),
        "{stdout}"
    );
    // What GitHub and the schedule said is still there.
    assert!(
        stdout.contains("## ⚪ release-1.34: unknown since "),
        "{stdout}"
    );
    assert!(
        stdout.contains("- **Blocked by the branch (7):**"),
        "{stdout}"
    );
    assert!(stdout.contains("- **Next release:** v1.34."), "{stdout}");
}
