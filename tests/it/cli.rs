//! The command line as a user meets it: `check-config` on good and bad files, and operator
//! mistakes that must stop the process with exit code 64 (a bad configuration or command line)
//! or 69 (the listen address cannot be bound) rather than a panic, a silent default or a start.

use std::{
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

/// Exit code for a bad configuration (BSD `EX_USAGE`).
const EXIT_CONFIG: i32 = 64;
/// Exit code when the listen address cannot be bound (BSD `EX_UNAVAILABLE`).
const EXIT_BIND: i32 = 69;

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn branchwatch(args: &[&str], env_token: Option<&str>) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_branchwatch"));
    command
        .args(args)
        .env_remove("GITHUB_TOKEN")
        .env_remove("BRANCHWATCH_CONFIG");
    if let Some(token) = env_token {
        command.env("GITHUB_TOKEN", token);
    }
    let output = command.output().expect("the binary runs");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn check_config(path: &Path, env_token: Option<&str>) -> Run {
    branchwatch(&["check-config", path.to_str().unwrap()], env_token)
}

/// `check-config` on `yaml` written to a fresh file.
fn check_yaml(yaml: impl AsRef<[u8]>, env_token: Option<&str>) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("branchwatch.yaml");
    std::fs::write(&path, yaml).unwrap();
    check_config(&path, env_token)
}

fn assert_refused(run: &Run, expected: &[&str]) {
    assert_eq!(run.code, Some(EXIT_CONFIG), "stderr:\n{}", run.stderr);
    for expected in expected {
        assert!(
            run.stderr.contains(expected),
            "missing {expected:?} in:\n{}",
            run.stderr
        );
    }
    assert!(run.stdout.is_empty(), "nothing is printed on stdout");
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

#[test]
fn check_config_lists_every_problem_with_its_key_and_exits_64() {
    let run = check_yaml(
        "poll_intervall: 5m\ntestgrid:\n  api: v2\n  stale_after: yesterday\nbranches: [release-1.x]\ngithub:\n  repo: kubernetes\n",
        None,
    );
    assert_refused(
        &run,
        &[
            "poll_intervall: unknown key (did you mean `poll_interval`?)",
            "testgrid.api: `v2` is not one of `legacy`, `v1`",
            "testgrid.stale_after: `yesterday` is not a duration",
            "branches[0]: `release-1.x` is not",
            "github.repo: `kubernetes` is not `owner/name`",
        ],
    );
}

#[test]
fn check_config_prints_the_effective_config_with_the_token_redacted() {
    let run = check_yaml(
        "branches: [master, release-1.36]\ntestgrid:\n  api: v1\n",
        Some("ghp_verysecretvalue"),
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stdout.contains("api: v1"));
    assert!(run.stdout.contains("- release-1.36"));
    assert!(run.stdout.contains("<redacted, from GITHUB_TOKEN>"));
    assert!(run.stdout.contains("eol_url: https://"), "{}", run.stdout);
    assert!(!run.stdout.contains("verysecret"));
}

#[test]
fn a_missing_config_file_is_a_clear_error() {
    let run = branchwatch(&["once", "--config", "/nonexistent/branchwatch.yaml"], None);
    assert_eq!(run.code, Some(EXIT_CONFIG));
    assert!(
        run.stderr
            .contains("cannot read config /nonexistent/branchwatch.yaml")
    );
}

#[test]
fn a_token_with_a_trailing_newline_is_trimmed() {
    let run = check_yaml("branches: [master]\n", Some("ghp_trailingnewline\n"));
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stdout
            .contains("# token: <redacted, from GITHUB_TOKEN>"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("trailingnewline"), "{}", run.stdout);
    assert!(!run.stderr.contains("trailingnewline"), "{}", run.stderr);
}

#[test]
fn a_token_with_a_trailing_newline_does_not_crash_the_daemon() {
    // Untrimmed, the newline reached octocrab's header builder, which panicked at start-up.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("unreachable.yaml");
    let nowhere = "http://127.0.0.1:1";
    std::fs::write(
        &path,
        format!(
            "github:\n  api_url: {nowhere}\ntestgrid:\n  url: {nowhere}\n  api_url: {nowhere}\nschedule:\n  url: {nowhere}/schedule.yaml\nbranches: [master]\nrequest_timeout: 2s\n"
        ),
    )
    .unwrap();
    let run = branchwatch(
        &["once", "--config", path.to_str().unwrap()],
        Some("ghp_trailingnewline\n"),
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert_eq!(
        run.code,
        Some(1),
        "every source is down, nothing else: {}",
        run.stderr
    );
    assert!(!run.stderr.contains("trailingnewline"), "{}", run.stderr);
}

#[test]
fn a_token_with_a_control_character_is_refused_without_printing_it() {
    let run = check_yaml("branches: [master]\n", Some("ghp_abc\u{7}defsecret"));
    assert_refused(
        &run,
        &["GITHUB_TOKEN: the token contains a control character at character 8"],
    );
    assert!(
        !run.stderr.contains("ghp_abc") && !run.stderr.contains("defsecret"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_huge_token_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::File::create(&token)
        .unwrap()
        .set_len(64 << 20)
        .unwrap();
    let run = check_yaml(
        format!("github:\n  token_file: '{}'\n", token.display()),
        None,
    );
    assert_refused(&run, &["github.token_file: ", "holds more than 64 KiB"]);
}

#[test]
fn a_file_saved_with_a_byte_order_mark_passes() {
    let run = check_yaml("\u{feff}poll_interval: 2m\nbranches: [master]\n", None);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stdout.contains("poll_interval: 2m"), "{}", run.stdout);
}

#[test]
fn a_poll_interval_below_the_floor_is_refused() {
    let run = check_yaml("poll_interval: 100ms\nrequest_timeout: 50ms\n", None);
    assert_refused(
        &run,
        &[
            "poll_interval: `100ms` is shorter than the minimum of 10s",
            "request_timeout: `50ms` is shorter than the minimum of 1s",
        ],
    );
    let run = check_yaml("poll_interval: 500000y\n", None);
    assert_refused(
        &run,
        &["poll_interval: `500000y` is longer than the maximum of 365d"],
    );
}

#[test]
fn a_duplicate_branch_and_a_path_as_repository_are_refused() {
    let run = check_yaml(
        "branches: [master, release-1.35, master]\ngithub:\n  repo: a/..\n",
        None,
    );
    assert_refused(
        &run,
        &[
            "github.repo: `a/..` is not `owner/name`: `..` starts with `.`",
            "branches[2]: `master` is already listed at branches[0]",
        ],
    );
}

#[test]
fn a_url_with_a_password_is_refused_without_printing_the_password() {
    let run = check_yaml(
        "github:\n  api_url: http://alice:s3cret@ghe.example/api/v3\ntestgrid:\n  url: https://testgrid.k8s.io/#frag\n",
        None,
    );
    assert_refused(
        &run,
        &[
            "github.api_url: `http://***@ghe.example/api/v3` carries a user name or password",
            "put the GitHub token in GITHUB_TOKEN or github.token_file",
            "testgrid.url: `https://testgrid.k8s.io/#frag` has a `#` fragment",
        ],
    );
    assert!(!run.stderr.contains("s3cret"), "{}", run.stderr);
    assert!(!run.stderr.contains("alice"), "{}", run.stderr);
}

#[test]
fn bad_dashboard_templates_are_named_by_their_full_key() {
    let run = check_yaml(
        "testgrid:\n  dashboards:\n    blocking:\n    - sig-release-{minor}-blocking\n    - fixed-name\n    informing: {a: b}\n",
        None,
    );
    assert_refused(
        &run,
        &[
            "testgrid.dashboards.blocking[1]: template `fixed-name` has no `{minor}` placeholder",
            "testgrid.dashboards.informing: must be a list of strings",
        ],
    );
}

#[test]
fn the_check_config_output_is_itself_a_valid_config() {
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("to #ken: file");
    std::fs::write(&token, "ghp_fromthefile\n").unwrap();
    let first = dir.path().join("first.yaml");
    std::fs::write(
        &first,
        format!(
            "listen: \"[::]:9850\"\npoll_interval: 90s\nrequest_timeout: 1500ms\ngithub:\n  repo: my-org/my.repo\n  token_file: '{}'\ntestgrid:\n  api: v1\n  dashboards:\n    blocking: [\"{{minor}}-blocking\"]\n    informing: []\n  stale_after: 36h\nschedule:\n  url: https://mirror.example/schedule.yaml\nbranches: [master, release-1.36, release-1.35.2]\nrelease_window:\n  min: 10d\n  max: 35d\nbranch_wide:\n  min_failing_prs: 4\n  min_failing_fraction: 0.75\n  failure_window: 1h30m\n",
            token.display()
        ),
    )
    .unwrap();
    let run = check_config(&first, None);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(!run.stdout.contains("fromthefile"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("eol_url: https://mirror.example/eol.yaml"),
        "{}",
        run.stdout
    );

    let second = dir.path().join("second.yaml");
    std::fs::write(&second, &run.stdout).unwrap();
    let again = check_config(&second, None);
    assert_eq!(
        again.code,
        Some(0),
        "the output of check-config does not pass check-config:\n{}\n{}",
        run.stdout,
        again.stderr
    );
    assert_eq!(again.stdout, run.stdout, "the effective config changed");
}

/// Runs the binary with `args` and a config whose every upstream is a closed loopback port (so
/// that a daemon that starts by mistake never reaches the internet), plus `extra_yaml`; a
/// process still running after 30 s is killed and the test fails: it started where it should
/// have refused to.
fn refused_start(args: &[&str], extra_yaml: &str) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("nowhere.yaml");
    let nowhere = "http://127.0.0.1:1";
    std::fs::write(
        &config,
        format!(
            "github:\n  api_url: {nowhere}\ntestgrid:\n  url: {nowhere}\n  api_url: {nowhere}\nschedule:\n  url: {nowhere}/schedule.yaml\nbranches: [master]\nrequest_timeout: 2s\n{extra_yaml}"
        ),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_branchwatch"))
        .args(args)
        .arg("--config")
        .arg(&config)
        .env_remove("GITHUB_TOKEN")
        .env_remove("BRANCHWATCH_CONFIG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let output = child.wait_with_output().expect("output");
            panic!(
                "`branchwatch {}` was still running after 30 s instead of refusing to start:\n{}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().expect("output");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[test]
fn a_listen_flag_that_is_not_an_address_exits_64_naming_it() {
    for command in ["serve", "once", "demo"] {
        let run = refused_start(&[command, "--listen", "garbage"], "");
        let what = format!("`{command} --listen garbage`");
        assert_eq!(run.code, Some(EXIT_CONFIG), "{what}: {}", run.stderr);
        assert!(
            run.stderr.contains("--listen") && run.stderr.contains("'garbage'"),
            "{what}: the message names the flag and the value:\n{}",
            run.stderr
        );
        assert!(run.stdout.is_empty(), "{what}: {}", run.stdout);
        assert!(
            !run.stderr.contains("Serving") && !run.stderr.contains("panicked"),
            "{what}: {}",
            run.stderr
        );
    }
}

#[test]
fn a_listen_key_that_is_not_an_address_exits_64_naming_it() {
    let run = refused_start(&["serve"], "listen: garbage:port\n");
    assert_refused(
        &run,
        &["listen: `garbage:port` is not an address like `0.0.0.0:9850`"],
    );
    assert!(!run.stderr.contains("Serving"), "{}", run.stderr);
}

#[test]
fn a_listen_address_already_in_use_exits_69_naming_it() {
    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = held.local_addr().unwrap().to_string();
    for command in ["serve", "demo"] {
        let run = refused_start(&[command, "--listen", &address], "");
        let what = format!("`{command} --listen {address}` while the port is taken");
        assert_eq!(run.code, Some(EXIT_BIND), "{what}: {}", run.stderr);
        assert!(
            run.stderr
                .contains(&format!("branchwatch: cannot listen on {address}: ")),
            "{what}: the message names the address:\n{}",
            run.stderr
        );
        assert!(
            run.stderr.to_lowercase().contains("address already in use"),
            "{what}: and why:\n{}",
            run.stderr
        );
        assert!(
            run.stdout.is_empty(),
            "{what}: the demo banner is not printed: {}",
            run.stdout
        );
        assert!(!run.stderr.contains("panicked"), "{what}: {}", run.stderr);
    }
    drop(held);
}
