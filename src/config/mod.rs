//! The typed configuration and its defaults, and the [`Env`] seam to the process environment.
//!
//! [`Config::from_yaml`] is the only way in from a file: `load` walks the document and reports
//! every problem at once, and `show` prints the effective configuration back as YAML that loads
//! again. The fields stay `pub` so that the demo and the tests can point a loaded config at a
//! replay server; a value set that way skips validation, which is why nothing else should.

use std::{fmt, net::SocketAddr, path::PathBuf, time::Duration};

use secrecy::{ExposeSecret, SecretString};

use crate::k8s::timing::ReleaseWindow;

mod load;
mod show;

pub use load::valid_branch;

/// Every default, written once; the release window's are `ReleaseWindow::default()`.
pub mod defaults {
    use std::time::Duration;

    /// GitHub's REST root; GraphQL is `<api_url>/graphql`.
    pub const GITHUB_API_URL: &str = "https://api.github.com";
    /// The repository whose release branches are watched.
    pub const GITHUB_REPO: &str = "kubernetes/kubernetes";
    /// The legacy TestGrid frontend (`<url>/<dashboard>/summary`).
    pub const TESTGRID_URL: &str = "https://testgrid.k8s.io";
    /// The open-source TestGrid API (`<api_url>/api/v1/...`).
    pub const TESTGRID_API_URL: &str = "https://testgrid-api.prow.k8s.io";
    /// The published patch release schedule.
    pub const SCHEDULE_URL: &str =
        "https://raw.githubusercontent.com/kubernetes/website/main/data/releases/schedule.yaml";
    /// The list of retired minors, beside the schedule.
    pub const EOL_URL: &str =
        "https://raw.githubusercontent.com/kubernetes/website/main/data/releases/eol.yaml";
    /// Default listen address of the HTTP server.
    pub const LISTEN: &str = "0.0.0.0:9850";
    /// One full poll every five minutes: about 15 GraphQL points a cycle, far inside the budget.
    pub const POLL_INTERVAL: Duration = Duration::from_secs(5 * 60);
    /// Upper bound on one upstream request, body included.
    pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
    /// The blocking dashboard template of SIG Release.
    pub const BLOCKING_DASHBOARD: &str = "sig-release-{minor}-blocking";
    /// The informing dashboard template of SIG Release.
    pub const INFORMING_DASHBOARD: &str = "sig-release-{minor}-informing";
    /// TestGrid updates every few hours; a day without an update means a stuck job or updater.
    pub const STALE_AFTER: Duration = Duration::from_secs(24 * 3600);
    /// One or two failing PRs can be the PRs' own fault; three rarely are.
    pub const MIN_FAILING_PRS: u32 = 3;
    /// Half of the PRs with a result.
    pub const MIN_FAILING_FRACTION: f64 = 0.5;
    /// Failures against a base older than this say nothing about today's branch.
    pub const FAILURE_WINDOW: Duration = Duration::from_secs(72 * 3600);
    /// One green run of every blocking tab at HEAD.
    pub const MIN_RUNS_AT_HEAD: u32 = 1;
}

/// The fully validated configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Address of the HTTP server (`/metrics`, `/api/v1/status`, probes).
    pub listen: SocketAddr,
    /// How long to wait between two polls of a source.
    pub poll_interval: Duration,
    /// Upper bound on one upstream request, body included.
    pub request_timeout: Duration,
    /// GitHub settings.
    pub github: GithubConfig,
    /// TestGrid settings.
    pub testgrid: TestgridConfig,
    /// Patch release schedule settings.
    pub schedule: ScheduleConfig,
    /// Which branches to watch.
    pub branches: BranchSelection,
    /// The 2–4 week patch release window.
    pub release_window: ReleaseWindow,
    /// Thresholds of the branch-wide presubmit failure rule.
    pub branch_wide: BranchWideConfig,
    /// When a branch is ready to be cut from HEAD.
    pub readiness: ReadinessConfig,
    /// What may be shown.
    pub privacy: PrivacyConfig,
}

/// `readiness.*`: how many completed runs at HEAD each blocking tab needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadinessConfig {
    /// Every tab, unless an override matches.
    pub min_runs_at_head: u32,
    /// `tab regex → runs`, first match wins, in file order (each a valid regex).
    pub tabs: Vec<(String, u32)>,
}

impl Default for ReadinessConfig {
    fn default() -> Self {
        ReadinessConfig {
            min_runs_at_head: defaults::MIN_RUNS_AT_HEAD,
            tabs: Vec::new(),
        }
    }
}

/// `privacy.*`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PrivacyConfig {
    /// Security releases: no PR title, author, body or note text anywhere.
    pub embargo: bool,
}

/// GitHub settings (`github.*`).
#[derive(Clone)]
pub struct GithubConfig {
    /// REST root; GraphQL lives at `<api_url>/graphql`.
    pub api_url: String,
    /// Repository owner, e.g. `kubernetes`.
    pub owner: String,
    /// Repository name, e.g. `kubernetes`.
    pub repo: String,
    /// File the token was read from, if any (shown by `check-config`).
    pub token_file: Option<PathBuf>,
    /// The token, from `github.token_file` or `GITHUB_TOKEN`. Never printed.
    pub token: Option<SecretString>,
}

impl GithubConfig {
    /// The token's text, for the HTTP client only.
    pub fn token_text(&self) -> Option<&str> {
        self.token.as_ref().map(|token| token.expose_secret())
    }
}

// By hand because `SecretString` has neither: Debug must not show the token, and equality must
// still see it (a reloaded config is only equal if it authenticates the same way).
impl fmt::Debug for GithubConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GithubConfig")
            .field("api_url", &self.api_url)
            .field("owner", &self.owner)
            .field("repo", &self.repo)
            .field("token_file", &self.token_file)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl PartialEq for GithubConfig {
    fn eq(&self, other: &Self) -> bool {
        self.api_url == other.api_url
            && self.owner == other.owner
            && self.repo == other.repo
            && self.token_file == other.token_file
            && self.token_text() == other.token_text()
    }
}

/// Which TestGrid surface to read summaries from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TestgridApi {
    /// `<testgrid.url>/<dashboard>/summary`, the JSON the TestGrid frontend serves.
    Legacy,
    /// `<testgrid.api_url>/api/v1/dashboards/<dashboard>/tab-summaries`.
    V1,
}

impl TestgridApi {
    /// Every value, in the order the "is not one of" message lists them.
    pub const ALL: [TestgridApi; 2] = [TestgridApi::Legacy, TestgridApi::V1];

    /// The config spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TestgridApi::Legacy => "legacy",
            TestgridApi::V1 => "v1",
        }
    }
}

/// TestGrid settings (`testgrid.*`).
#[derive(Clone, Debug, PartialEq)]
pub struct TestgridConfig {
    /// Legacy frontend root.
    pub url: String,
    /// Open-source API root (also used for column headers).
    pub api_url: String,
    /// Which summary surface to poll.
    pub api: TestgridApi,
    /// Dashboard name templates whose tabs set the branch status; `{minor}` is `1.31` or `master`.
    pub blocking_dashboards: Vec<String>,
    /// Dashboard name templates that are exported but do not set the branch status.
    pub informing_dashboards: Vec<String>,
    /// TestGrid data older than this marks the branch stale.
    pub stale_after: Duration,
}

/// Schedule settings (`schedule.*`).
#[derive(Clone, Debug, PartialEq)]
pub struct ScheduleConfig {
    /// URL of kubernetes/website `data/releases/schedule.yaml`.
    pub url: String,
    /// URL of kubernetes/website `data/releases/eol.yaml`.
    pub eol_url: String,
}

/// The branches to watch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BranchSelection {
    /// master plus the supported minors from the schedule (fallback: GitHub), plus hotfix branches.
    Auto,
    /// Exactly these branches, each once.
    Explicit(Vec<String>),
}

/// `branch_wide.*`: when a failing presubmit is the branch's fault rather than the PR's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BranchWideConfig {
    /// At least this many open PRs must fail the context.
    pub min_failing_prs: u32,
    /// And they must be at least this fraction of the PRs that have a result for it.
    pub min_failing_fraction: f64,
    /// A failure against an old base older than this does not count.
    pub failure_window: Duration,
}

/// One problem with the configuration, tied to the key it concerns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigProblem {
    /// Dotted key path, e.g. `testgrid.api` or `branches[2]`; `GITHUB_TOKEN` for the environment.
    pub key: String,
    /// What is wrong, in plain words. Never contains a secret.
    pub message: String,
}

/// Every problem found in a configuration file.
#[derive(Debug, thiserror::Error)]
pub struct ConfigError {
    /// Where the configuration came from (a path, or `<default>`).
    pub origin: String,
    /// All problems, section by section in the order of the design's key list.
    pub problems: Vec<ConfigProblem>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "invalid configuration in {}:", self.origin)?;
        for problem in &self.problems {
            writeln!(f, "  {}: {}", problem.key, problem.message)?;
        }
        Ok(())
    }
}

/// Reads environment variables; a trait so tests never touch the process environment.
pub trait Env {
    /// The value of `key`, if set and non-empty.
    fn var(&self, key: &str) -> Option<String>;
}

/// The real process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, key: &str) -> Option<String> {
        std::env::var(key).ok().filter(|value| !value.is_empty())
    }
}

impl<const N: usize> Env for [(&str, &str); N] {
    fn var(&self, key: &str) -> Option<String> {
        self.iter()
            .find(|(name, _)| *name == key)
            .map(|(_, value)| value.to_string())
    }
}

impl Config {
    /// The configuration with every key at its default (no token unless `GITHUB_TOKEN` is set).
    ///
    /// Cannot fail, so an unusable `GITHUB_TOKEN` is dropped with a warning here; callers that
    /// must refuse it load `""` with [`Config::from_yaml`] instead.
    pub fn defaults(env: &dyn Env) -> Config {
        match Config::from_yaml("", "<default>", env) {
            Ok(config) => config,
            Err(error) => {
                for problem in &error.problems {
                    tracing::warn!(key = %problem.key, "Ignoring the GitHub token: {}", problem.message);
                }
                let no_env: [(&str, &str); 0] = [];
                match Config::from_yaml("", "<default>", &no_env) {
                    Ok(config) => config,
                    Err(error) => unreachable!("the built-in defaults are valid: {error}"),
                }
            }
        }
    }

    /// Parses and validates a YAML document. `origin` names it in error messages.
    pub fn from_yaml(text: &str, origin: &str, env: &dyn Env) -> Result<Config, ConfigError> {
        load::load(text, env).map_err(|problems| ConfigError {
            origin: origin.to_string(),
            problems,
        })
    }

    /// The effective configuration as YAML that loads back to the same config, token redacted.
    pub fn to_redacted_yaml(&self) -> String {
        show::redacted_yaml(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NO_ENV: [(&str, &str); 0] = [];

    #[test]
    fn defaults_do_not_panic_on_an_unusable_token_and_drop_it() {
        let config = Config::defaults(&[("GITHUB_TOKEN", "ghp_a\u{1}b")]);
        assert!(config.github.token.is_none());
        assert_eq!(config, Config::defaults(&NO_ENV));
        // From a file, the same token is an error, not a silent drop.
        let error = Config::from_yaml("", "<default>", &[("GITHUB_TOKEN", "ghp_a\u{1}b")])
            .expect_err("refused");
        assert_eq!(error.problems[0].key, "GITHUB_TOKEN");
    }

    #[test]
    fn the_default_listen_address_parses() {
        let config = Config::defaults(&NO_ENV);
        assert_eq!(config.listen.to_string(), defaults::LISTEN);
    }

    #[test]
    fn equality_sees_the_token_and_debug_does_not() {
        let with = Config::defaults(&[("GITHUB_TOKEN", "ghp_one")]);
        let other = Config::defaults(&[("GITHUB_TOKEN", "ghp_two")]);
        assert_ne!(with, other);
        assert_ne!(with, Config::defaults(&NO_ENV));
        let debug = format!("{with:?}");
        assert!(
            debug.contains("<redacted>") && !debug.contains("ghp_one"),
            "{debug}"
        );
    }

    #[test]
    fn the_error_lists_every_problem_with_its_key() {
        let error = Config::from_yaml("poll_interval: 1s\nbranches: [x]\n", "bad.yaml", &NO_ENV)
            .expect_err("refused");
        assert_eq!(
            error.to_string(),
            "invalid configuration in bad.yaml:\n  poll_interval: `1s` is shorter than the minimum of 10s: every poll sends dozens of requests to GitHub and TestGrid\n  branches[0]: `x` is not `master`, `release-1.NN` or a hotfix `release-1.NN.P`\n"
        );
    }
}
