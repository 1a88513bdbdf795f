//! `check-config` output: the effective configuration, emitted by a YAML serializer from a
//! redacted view so that it loads back to the same config (quoting is the emitter's job, not
//! ours), with the token replaced by a comment.

use std::time::Duration;

use serde::Serialize;

use super::{BranchSelection, Config};

/// Field order is the order of DESIGN.md's key list (and of `load::KEYS`, which a test checks).
#[derive(Serialize)]
struct View<'a> {
    listen: String,
    poll_interval: String,
    request_timeout: String,
    github: GithubView<'a>,
    testgrid: TestgridView<'a>,
    schedule: ScheduleView<'a>,
    branches: BranchesView<'a>,
    release_window: ReleaseWindowView,
    branch_wide: BranchWideView,
    readiness: ReadinessView,
    privacy: PrivacyView,
}

#[derive(Serialize)]
struct ReadinessView {
    min_runs_at_head: u32,
    /// A map in file order (first match wins), so not a `BTreeMap`.
    tabs: serde_yaml_ng::Mapping,
}

#[derive(Serialize)]
struct PrivacyView {
    embargo: bool,
}

#[derive(Serialize)]
struct GithubView<'a> {
    api_url: &'a str,
    repo: String,
    token_file: Option<String>,
}

#[derive(Serialize)]
struct TestgridView<'a> {
    url: &'a str,
    api_url: &'a str,
    api: &'static str,
    dashboards: DashboardsView<'a>,
    stale_after: String,
}

#[derive(Serialize)]
struct DashboardsView<'a> {
    blocking: &'a [String],
    informing: &'a [String],
}

#[derive(Serialize)]
struct ScheduleView<'a> {
    url: &'a str,
    eol_url: &'a str,
}

#[derive(Serialize)]
#[serde(untagged)]
enum BranchesView<'a> {
    Auto(&'static str),
    Explicit(&'a [String]),
}

#[derive(Serialize)]
struct ReleaseWindowView {
    min: String,
    max: String,
}

#[derive(Serialize)]
struct BranchWideView {
    min_failing_prs: u32,
    min_failing_fraction: f64,
    failure_window: String,
}

pub(super) fn redacted_yaml(config: &Config) -> String {
    let yaml = match serde_yaml_ng::to_string(&view(config)) {
        Ok(yaml) => yaml,
        // Only maps with non-string keys fail to serialize, and the view has none.
        Err(error) => return format!("# cannot print the configuration: {error}\n"),
    };
    let token = match (&config.github.token, &config.github.token_file) {
        (Some(_), Some(_)) => "<redacted, from github.token_file>",
        (Some(_), None) => "<redacted, from GITHUB_TOKEN>",
        (None, Some(_)) => {
            "<none: github.token_file does not exist; the github source will be down>"
        }
        (None, None) => "<none: the github source will be down>",
    };
    // A comment, not a key: the output must load again, and `token` is not a key.
    let mut out = String::with_capacity(yaml.len() + 64);
    for line in yaml.lines() {
        out.push_str(line);
        out.push('\n');
        if line == "github:" {
            out.push_str("  # token: ");
            out.push_str(token);
            out.push('\n');
        }
    }
    out
}

fn view(config: &Config) -> View<'_> {
    let github = &config.github;
    let testgrid = &config.testgrid;
    View {
        listen: config.listen.to_string(),
        poll_interval: duration_text(config.poll_interval),
        request_timeout: duration_text(config.request_timeout),
        github: GithubView {
            api_url: &github.api_url,
            repo: format!("{}/{}", github.owner, github.repo),
            token_file: github
                .token_file
                .as_ref()
                .map(|path| path.to_string_lossy().into_owned()),
        },
        testgrid: TestgridView {
            url: &testgrid.url,
            api_url: &testgrid.api_url,
            api: testgrid.api.as_str(),
            dashboards: DashboardsView {
                blocking: &testgrid.blocking_dashboards,
                informing: &testgrid.informing_dashboards,
            },
            stale_after: duration_text(testgrid.stale_after),
        },
        schedule: ScheduleView {
            url: &config.schedule.url,
            eol_url: &config.schedule.eol_url,
        },
        branches: match &config.branches {
            BranchSelection::Auto => BranchesView::Auto("auto"),
            BranchSelection::Explicit(branches) => BranchesView::Explicit(branches),
        },
        release_window: ReleaseWindowView {
            min: duration_text(config.release_window.min),
            max: duration_text(config.release_window.max),
        },
        branch_wide: BranchWideView {
            min_failing_prs: config.branch_wide.min_failing_prs,
            min_failing_fraction: config.branch_wide.min_failing_fraction,
            failure_window: duration_text(config.branch_wide.failure_window),
        },
        readiness: ReadinessView {
            min_runs_at_head: config.readiness.min_runs_at_head,
            tabs: config
                .readiness
                .tabs
                .iter()
                .map(|(pattern, runs)| {
                    (
                        serde_yaml_ng::Value::String(pattern.clone()),
                        serde_yaml_ng::Value::Number((*runs).into()),
                    )
                })
                .collect(),
        },
        privacy: PrivacyView {
            embargo: config.privacy.embargo,
        },
    }
}

/// A duration in the largest unit that holds it exactly (`14d`, `90s`, `1500ms`), the way an
/// operator writes it; humantime's own format (`1month 4days 13h 26m 24s` for 35 days) is exact
/// too, but nobody would recognise their `35d` in it.
pub(super) fn duration_text(duration: Duration) -> String {
    const UNITS: [(u128, &str); 7] = [
        (86_400_000_000_000, "d"),
        (3_600_000_000_000, "h"),
        (60_000_000_000, "m"),
        (1_000_000_000, "s"),
        (1_000_000, "ms"),
        (1_000, "us"),
        (1, "ns"),
    ];
    let nanos = duration.as_nanos();
    if nanos == 0 {
        return "0s".to_string();
    }
    let (unit, suffix) = UNITS
        .into_iter()
        .find(|(unit, _)| nanos % unit == 0)
        .unwrap_or((1, "ns"));
    format!("{}{suffix}", nanos / unit)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_yaml_ng::Value;

    use super::duration_text;
    use crate::config::{Config, Env, load::KEYS};

    const NO_ENV: [(&str, &str); 0] = [];

    fn load(yaml: &str, env: &dyn Env) -> Config {
        Config::from_yaml(yaml, "test.yaml", env)
            .unwrap_or_else(|error| panic!("should load:\n{yaml}\n{error}"))
    }

    /// Loads what `config` prints and checks that nothing was lost or changed.
    fn assert_round_trip(config: &Config, env: &dyn Env) {
        let printed = config.to_redacted_yaml();
        let again = Config::from_yaml(&printed, "check-config output", env)
            .unwrap_or_else(|error| panic!("the output does not load:\n{printed}\n{error}"));
        assert_eq!(&again, config, "changed on the way through:\n{printed}");
        assert_eq!(again.to_redacted_yaml(), printed, "not a fixed point");
    }

    /// Every key of the table changed from its default, with values that trip a hand-written
    /// emitter: IPv6, ` #` and `: ` in a path, templates starting with YAML indicators.
    fn every_key_changed(token_file: &str) -> String {
        format!(
            r##"listen: "[::]:9851"
poll_interval: 90s
request_timeout: 1500ms
github:
  api_url: "https://ghe.example:8443/api/v3"
  repo: my-org.io/k_8.s
  token_file: '{token_file}'
testgrid:
  url: http://127.0.0.1:8080/tg
  api_url: http://[::1]:8081
  api: v1
  dashboards:
    blocking: ["{{minor}}-blocking", "*{{minor}}", "#{{minor}} x"]
    informing: ["- {{minor}}", "{{minor}}: informing", "yes-{{minor}}", "'{{minor}}'"]
  stale_after: 36h
schedule:
  url: https://mirror.example/releases/schedule.yaml?ref=main
  eol_url: https://other.example/eol.yaml
branches: [release-1.34, master, release-1.33.2]
release_window:
  min: 10d
  max: 35d
branch_wide:
  min_failing_prs: 10000
  min_failing_fraction: 0.3333333333333333
  failure_window: 1h30m
readiness:
  min_runs_at_head: 2
  tabs:
    "serial$": 3
    "- #x: [y]": 1
privacy:
  embargo: true
"##
        )
    }

    fn lookup<'v>(value: &'v Value, path: &str) -> &'v Value {
        path.split('.').fold(value, |value, key| &value[key])
    }

    fn leaf_keys() -> Vec<String> {
        let mut leaves = Vec::new();
        for (section, keys) in KEYS {
            for key in *keys {
                let path = if section.is_empty() {
                    key.to_string()
                } else {
                    format!("{section}.{key}")
                };
                if !KEYS.iter().any(|(other, _)| *other == path) {
                    leaves.push(path);
                }
            }
        }
        leaves
    }

    #[test]
    fn the_defaults_round_trip() {
        assert_round_trip(&Config::defaults(&NO_ENV), &NO_ENV);
        let env = [("GITHUB_TOKEN", "ghp_x")];
        assert_round_trip(&Config::defaults(&env), &env);
    }

    #[test]
    fn every_key_changed_round_trips_and_the_secret_stays_out() {
        let dir = tempfile::tempdir().unwrap();
        let token_file = dir.path().join("to #ken: file's");
        std::fs::write(&token_file, "ghp_sekrit\n").unwrap();
        let yaml = every_key_changed(&token_file.display().to_string().replace('\'', "''"));
        let env = [("GITHUB_TOKEN", "ghp_unused")];
        let config = load(&yaml, &env);
        assert_eq!(config.github.token_text(), Some("ghp_sekrit"));
        assert_eq!(config.listen.to_string(), "[::]:9851");
        assert_round_trip(&config, &env);

        // Each key of the table shows a value other than its default: the loader read them all.
        let printed: Value = serde_yaml_ng::from_str(&config.to_redacted_yaml()).unwrap();
        let default: Value =
            serde_yaml_ng::from_str(&Config::defaults(&NO_ENV).to_redacted_yaml()).unwrap();
        for key in leaf_keys() {
            let value = lookup(&printed, &key);
            assert!(!value.is_null(), "{key} is not printed");
            assert_ne!(value, lookup(&default, &key), "{key} kept its default");
        }

        let printed = config.to_redacted_yaml();
        assert!(
            !printed.contains("sekrit") && !printed.contains("unused"),
            "{printed}"
        );
        assert!(
            printed.contains("github:\n  # token: <redacted, from github.token_file>\n"),
            "{printed}"
        );
    }

    #[test]
    fn check_config_prints_every_key_in_the_design_order() {
        let printed: Value =
            serde_yaml_ng::from_str(&Config::defaults(&NO_ENV).to_redacted_yaml()).unwrap();
        for (section, keys) in KEYS {
            let mapping = if section.is_empty() {
                &printed
            } else {
                lookup(&printed, section)
            };
            let printed_keys: Vec<&str> = mapping
                .as_mapping()
                .unwrap_or_else(|| panic!("{section} is not printed as a mapping"))
                .keys()
                .map(|key| key.as_str().unwrap())
                .collect();
            assert_eq!(&printed_keys, keys, "section `{section}`");
        }
    }

    #[test]
    fn the_token_is_a_comment_saying_where_it_came_from() {
        for (env, line) in [
            (
                &[("GITHUB_TOKEN", "ghp_verysecret")][..],
                "  # token: <redacted, from GITHUB_TOKEN>",
            ),
            (&[][..], "  # token: <none: the github source will be down>"),
        ] {
            let env: Vec<(&str, &str)> = env.to_vec();
            let config = match env.as_slice() {
                [pair] => Config::defaults(&[*pair]),
                _ => Config::defaults(&NO_ENV),
            };
            let printed = config.to_redacted_yaml();
            assert!(printed.lines().any(|l| l == line), "{printed}");
            assert!(!printed.contains("verysecret"), "{printed}");
            assert!(!format!("{config:?}").contains("verysecret"));
        }
    }

    #[test]
    fn awkward_values_print_as_yaml_that_loads_back() {
        for yaml in [
            "listen: '[::1]:0'\n",
            "listen: 127.0.0.1:1\n",
            "branches: auto\n",
            "branches: [master]\n",
            "github:\n  repo: a.b/c_d\n",
            "testgrid:\n  dashboards:\n    informing: []\n",
            "testgrid:\n  dashboards:\n    blocking: ['&{minor}', '!{minor}', '%{minor}', '@{minor}', '`{minor}', '|{minor}', '>{minor}', '? {minor}', 'null{minor}', '{minor} #x', \"{minor}\\tx\"]\n",
            "branch_wide:\n  min_failing_fraction: 1\n",
            "branch_wide:\n  min_failing_fraction: 0.1\n",
            "branch_wide:\n  failure_window: 1ns\n",
            "release_window:\n  min: 1s\n  max: 3650d\n",
            "schedule:\n  url: https://m/schedule.yaml\n",
        ] {
            assert_round_trip(&load(yaml, &NO_ENV), &NO_ENV);
        }
    }

    #[test]
    fn durations_are_written_in_the_largest_exact_unit() {
        for (duration, text) in [
            (Duration::ZERO, "0s"),
            (Duration::from_secs(14 * 86_400), "14d"),
            (Duration::from_secs(35 * 86_400), "35d"),
            (Duration::from_secs(36 * 3600), "36h"),
            (Duration::from_secs(300), "5m"),
            (Duration::from_secs(90), "90s"),
            (Duration::from_millis(1500), "1500ms"),
            (Duration::from_micros(7), "7us"),
            (Duration::new(1, 1), "1000000001ns"),
        ] {
            assert_eq!(duration_text(duration), text);
            assert_eq!(humantime::parse_duration(text).unwrap(), duration, "{text}");
        }
    }
}
