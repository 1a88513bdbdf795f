//! The command line as a user meets it: `check-config` on good and bad files.

use std::process::Command;

fn branchwatch(args: &[&str], env_token: Option<&str>) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_branchwatch"));
    command.args(args).env_remove("GITHUB_TOKEN");
    if let Some(token) = env_token {
        command.env("GITHUB_TOKEN", token);
    }
    command.output().expect("the binary runs")
}

#[test]
fn check_config_lists_every_problem_with_its_key_and_exits_64() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.yaml");
    std::fs::write(
        &path,
        "poll_intervall: 5m\ntestgrid:\n  api: v2\n  stale_after: yesterday\nbranches: [release-1.x]\ngithub:\n  repo: kubernetes\n",
    )
    .unwrap();
    let output = branchwatch(&["check-config", path.to_str().unwrap()], None);
    assert_eq!(output.status.code(), Some(64));
    let stderr = String::from_utf8_lossy(&output.stderr);
    for expected in [
        "poll_intervall: unknown key (did you mean `poll_interval`?)",
        "testgrid.api: `v2` is not one of `legacy`, `v1`",
        "testgrid.stale_after: `yesterday` is not a duration",
        "branches[0]: `release-1.x` is not",
        "github.repo: `kubernetes` is not `owner/name`",
    ] {
        assert!(
            stderr.contains(expected),
            "missing {expected:?} in:\n{stderr}"
        );
    }
    assert!(output.stdout.is_empty(), "nothing starts");
}

#[test]
fn check_config_prints_the_effective_config_with_the_token_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("good.yaml");
    std::fs::write(
        &path,
        "branches: [master, release-1.36]\ntestgrid:\n  api: v1\n",
    )
    .unwrap();
    let output = branchwatch(
        &["check-config", path.to_str().unwrap()],
        Some("ghp_verysecretvalue"),
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("api: v1"));
    assert!(stdout.contains("- release-1.36"));
    assert!(stdout.contains("<redacted, from GITHUB_TOKEN>"));
    assert!(!stdout.contains("verysecret"));
}

#[test]
fn a_missing_config_file_is_a_clear_error() {
    let output = branchwatch(&["once", "--config", "/nonexistent/branchwatch.yaml"], None);
    assert_eq!(output.status.code(), Some(64));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("cannot read config /nonexistent/branchwatch.yaml")
    );
}
