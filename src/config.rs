//! The YAML configuration: every key, its default, and validation that reports every problem at once.
//!
//! Loading is "parse, don't validate": [`Config::from_yaml`] walks the YAML document key by key,
//! collects every unknown key and every bad value into a [`ConfigError`], and only returns a
//! [`Config`] when there is nothing to complain about. Runtime code never sees an invalid value.

use std::{fmt, net::SocketAddr, path::PathBuf, time::Duration};

use secrecy::{ExposeSecret, SecretString};
use serde_yaml_ng::{Mapping, Value};

/// Where the real services live; every URL key defaults to one of these.
pub mod defaults {
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
}

/// The fully validated configuration.
#[derive(Clone, Debug)]
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
    pub release_window: ReleaseWindowConfig,
    /// Thresholds of the branch-wide presubmit failure rule.
    pub branch_wide: BranchWideConfig,
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

/// Which TestGrid surface to read summaries from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TestgridApi {
    /// `<testgrid.url>/<dashboard>/summary`, the JSON the TestGrid frontend serves.
    Legacy,
    /// `<testgrid.api_url>/api/v1/dashboards/<dashboard>/tab-summaries`.
    V1,
}

impl TestgridApi {
    /// The config spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TestgridApi::Legacy => "legacy",
            TestgridApi::V1 => "v1",
        }
    }
}

/// TestGrid settings (`testgrid.*`).
#[derive(Clone, Debug)]
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
#[derive(Clone, Debug)]
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
    /// Exactly these branches.
    Explicit(Vec<String>),
}

/// `release_window.*`.
#[derive(Clone, Copy, Debug)]
pub struct ReleaseWindowConfig {
    /// Fewer days than this since the last patch release is `too_soon`.
    pub min: Duration,
    /// More days than this is `overdue`.
    pub max: Duration,
}

/// `branch_wide.*`: when a failing presubmit is the branch's fault rather than the PR's.
#[derive(Clone, Copy, Debug)]
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
    /// Dotted key path, e.g. `testgrid.api`.
    pub key: String,
    /// What is wrong, in plain words.
    pub message: String,
}

/// Every problem found in a configuration file.
#[derive(Debug, thiserror::Error)]
pub struct ConfigError {
    /// Where the configuration came from (a path, or `<default>`).
    pub origin: String,
    /// All problems, in document order.
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
    pub fn defaults(env: &dyn Env) -> Config {
        match Config::from_yaml("", "<default>", env) {
            Ok(config) => config,
            Err(error) => unreachable!("the built-in defaults are valid: {error}"),
        }
    }

    /// Parses and validates a YAML document. `origin` names it in error messages.
    pub fn from_yaml(text: &str, origin: &str, env: &dyn Env) -> Result<Config, ConfigError> {
        let mut reader = Reader::default();
        let root = if text.trim().is_empty() {
            Mapping::new()
        } else {
            match serde_yaml_ng::from_str::<Value>(text) {
                Ok(Value::Mapping(mapping)) => mapping,
                Ok(Value::Null) => Mapping::new(),
                Ok(_) => {
                    reader.problem("<root>", "the configuration must be a YAML mapping of keys");
                    Mapping::new()
                }
                Err(error) => {
                    reader.problem("<root>", &format!("not valid YAML: {error}"));
                    Mapping::new()
                }
            }
        };
        let config = reader.read(&root, env);
        match config {
            Some(config) if reader.problems.is_empty() => Ok(config),
            _ => Err(ConfigError {
                origin: origin.to_string(),
                problems: reader.problems,
            }),
        }
    }

    /// Dashboard names for a branch's `{minor}` (`master` or `1.31`): (blocking, informing).
    pub fn dashboards_for(&self, minor: &str) -> (Vec<String>, Vec<String>) {
        let expand = |templates: &[String]| {
            templates
                .iter()
                .map(|template| template.replace("{minor}", minor))
                .collect::<Vec<_>>()
        };
        (
            expand(&self.testgrid.blocking_dashboards),
            expand(&self.testgrid.informing_dashboards),
        )
    }

    /// The effective configuration as YAML, with the token redacted.
    pub fn to_redacted_yaml(&self) -> String {
        let duration = |d: Duration| humantime::format_duration(d).to_string();
        let list = |items: &[String]| {
            items
                .iter()
                .map(|item| format!("\n      - {item:?}"))
                .collect::<String>()
        };
        let branches = match &self.branches {
            BranchSelection::Auto => "auto".to_string(),
            BranchSelection::Explicit(list) => list
                .iter()
                .map(|branch| format!("\n  - {branch}"))
                .collect::<String>(),
        };
        let token = match (&self.github.token, &self.github.token_file) {
            (Some(_), Some(path)) => format!("<redacted, from {}>", path.display()),
            (Some(_), None) => "<redacted, from GITHUB_TOKEN>".to_string(),
            (None, _) => "<none: the github source will be down>".to_string(),
        };
        format!(
            "listen: {listen}\npoll_interval: {poll}\nrequest_timeout: {timeout}\n\
             github:\n  api_url: {gh_api}\n  repo: {owner}/{repo}\n  token_file: {token_file}\n  # token: {token}\n\
             testgrid:\n  url: {tg_url}\n  api_url: {tg_api_url}\n  api: {tg_api}\n  dashboards:\n    blocking:{blocking}\n    informing:{informing}\n  stale_after: {stale}\n\
             schedule:\n  url: {schedule}\n  eol_url: {eol}\n\
             branches: {branches}\n\
             release_window:\n  min: {wmin}\n  max: {wmax}\n\
             branch_wide:\n  min_failing_prs: {min_prs}\n  min_failing_fraction: {fraction}\n  failure_window: {window}\n",
            listen = self.listen,
            poll = duration(self.poll_interval),
            timeout = duration(self.request_timeout),
            gh_api = self.github.api_url,
            owner = self.github.owner,
            repo = self.github.repo,
            token_file = self
                .github
                .token_file
                .as_ref()
                .map(|path| path.display().to_string())
                .unwrap_or_else(|| "null".to_string()),
            tg_url = self.testgrid.url,
            tg_api_url = self.testgrid.api_url,
            tg_api = self.testgrid.api.as_str(),
            blocking = list(&self.testgrid.blocking_dashboards),
            informing = list(&self.testgrid.informing_dashboards),
            stale = duration(self.testgrid.stale_after),
            schedule = self.schedule.url,
            eol = self.schedule.eol_url,
            wmin = duration(self.release_window.min),
            wmax = duration(self.release_window.max),
            min_prs = self.branch_wide.min_failing_prs,
            fraction = self.branch_wide.min_failing_fraction,
            window = duration(self.branch_wide.failure_window),
        )
    }
}

/// Walks the document, remembering every problem instead of stopping at the first.
#[derive(Default)]
struct Reader {
    problems: Vec<ConfigProblem>,
}

impl Reader {
    fn problem(&mut self, key: &str, message: &str) {
        self.problems.push(ConfigProblem {
            key: key.to_string(),
            message: message.to_string(),
        });
    }

    /// Returns the sub-mapping at `key`, reporting unknown keys inside it.
    fn section<'a>(
        &mut self,
        root: &'a Mapping,
        key: &str,
        allowed: &[&str],
    ) -> Option<&'a Mapping> {
        match root.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Mapping(mapping)) => {
                self.unknown_keys(mapping, key, allowed);
                Some(mapping)
            }
            Some(_) => {
                self.problem(key, "must be a mapping of keys");
                None
            }
        }
    }

    fn unknown_keys(&mut self, mapping: &Mapping, prefix: &str, allowed: &[&str]) {
        for key in mapping.keys() {
            let name = scalar_text(key).unwrap_or_else(|| format!("{key:?}"));
            if !allowed.contains(&name.as_str()) {
                let full = if prefix.is_empty() {
                    name.clone()
                } else {
                    format!("{prefix}.{name}")
                };
                let hint = allowed
                    .iter()
                    .find(|candidate| edit_distance(candidate, &name) <= 2)
                    .map(|candidate| format!(" (did you mean `{candidate}`?)"))
                    .unwrap_or_default();
                self.problem(
                    &full,
                    &format!(
                        "unknown key{hint}; known keys here are: {}",
                        allowed.join(", ")
                    ),
                );
            }
        }
    }

    fn string(&mut self, section: Option<&Mapping>, prefix: &str, key: &str) -> Option<String> {
        let full = join_key(prefix, key);
        match section?.get(key) {
            None | Some(Value::Null) => None,
            Some(value) => match scalar_text(value) {
                Some(text) if !text.trim().is_empty() => Some(text),
                Some(_) => {
                    self.problem(&full, "must not be empty");
                    None
                }
                None => {
                    self.problem(&full, "must be a string");
                    None
                }
            },
        }
    }

    fn url(&mut self, section: Option<&Mapping>, prefix: &str, key: &str, default: &str) -> String {
        let full = join_key(prefix, key);
        match self.string(section, prefix, key) {
            None => default.to_string(),
            Some(text) => match reqwest::Url::parse(&text) {
                Ok(url) if matches!(url.scheme(), "http" | "https") => {
                    text.trim_end_matches('/').to_string()
                }
                Ok(url) => {
                    self.problem(
                        &full,
                        &format!("`{text}` has scheme `{}`; use http or https", url.scheme()),
                    );
                    default.to_string()
                }
                Err(error) => {
                    self.problem(&full, &format!("`{text}` is not a URL: {error}"));
                    default.to_string()
                }
            },
        }
    }

    fn duration(
        &mut self,
        section: Option<&Mapping>,
        prefix: &str,
        key: &str,
        default: Duration,
    ) -> Duration {
        let full = join_key(prefix, key);
        match self.string(section, prefix, key) {
            None => default,
            Some(text) => match humantime::parse_duration(&text) {
                Ok(duration) if duration.is_zero() => {
                    self.problem(&full, "must be longer than zero");
                    default
                }
                Ok(duration) => duration,
                Err(error) => {
                    self.problem(
                        &full,
                        &format!(
                            "`{text}` is not a duration ({error}); write e.g. `90s`, `5m`, `14d`"
                        ),
                    );
                    default
                }
            },
        }
    }

    fn string_list(
        &mut self,
        section: Option<&Mapping>,
        prefix: &str,
        key: &str,
    ) -> Option<Vec<String>> {
        let full = join_key(prefix, key);
        match section?.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Sequence(items)) => {
                let mut out = Vec::new();
                for (index, item) in items.iter().enumerate() {
                    match scalar_text(item) {
                        Some(text) if !text.trim().is_empty() => out.push(text.trim().to_string()),
                        _ => {
                            self.problem(&format!("{full}[{index}]"), "must be a non-empty string")
                        }
                    }
                }
                Some(out)
            }
            Some(_) => {
                self.problem(&full, "must be a list of strings");
                None
            }
        }
    }

    fn read(&mut self, root: &Mapping, env: &dyn Env) -> Option<Config> {
        self.unknown_keys(
            root,
            "",
            &[
                "listen",
                "poll_interval",
                "request_timeout",
                "github",
                "testgrid",
                "schedule",
                "branches",
                "release_window",
                "branch_wide",
            ],
        );
        let top = Some(root);

        let listen_text = self
            .string(top, "", "listen")
            .unwrap_or_else(|| defaults::LISTEN.to_string());
        let listen = match listen_text.parse::<SocketAddr>() {
            Ok(addr) => Some(addr),
            Err(_) => {
                self.problem(
                    "listen",
                    &format!("`{listen_text}` is not an address like `0.0.0.0:9850`"),
                );
                None
            }
        };
        let poll_interval = self.duration(top, "", "poll_interval", Duration::from_secs(300));
        let request_timeout = self.duration(top, "", "request_timeout", Duration::from_secs(30));
        if request_timeout > poll_interval {
            self.problem(
                "request_timeout",
                &format!(
                    "{} is longer than poll_interval ({}); a request must finish before the next poll",
                    humantime::format_duration(request_timeout),
                    humantime::format_duration(poll_interval)
                ),
            );
        }

        let github = self.section(root, "github", &["api_url", "repo", "token_file"]);
        let api_url = self.url(github, "github", "api_url", defaults::GITHUB_API_URL);
        let repo_text = self
            .string(github, "github", "repo")
            .unwrap_or_else(|| defaults::GITHUB_REPO.to_string());
        let (owner, repo) = match repo_text.split_once('/') {
            Some((owner, repo))
                if valid_repo_part(owner) && valid_repo_part(repo) && !repo.contains('/') =>
            {
                (owner.to_string(), repo.to_string())
            }
            _ => {
                self.problem(
                    "github.repo",
                    &format!("`{repo_text}` is not `owner/name`, e.g. `kubernetes/kubernetes`"),
                );
                (String::new(), String::new())
            }
        };
        let token_file = self
            .string(github, "github", "token_file")
            .map(PathBuf::from);
        let token = match &token_file {
            Some(path) => match std::fs::read_to_string(path) {
                Ok(text) if !text.trim().is_empty() => Some(SecretString::from(text.trim())),
                Ok(_) => {
                    self.problem("github.token_file", &format!("{} is empty", path.display()));
                    None
                }
                Err(error) => {
                    self.problem(
                        "github.token_file",
                        &format!("cannot read {}: {error}", path.display()),
                    );
                    None
                }
            },
            None => env.var("GITHUB_TOKEN").map(SecretString::from),
        };

        let testgrid = self.section(
            root,
            "testgrid",
            &["url", "api_url", "api", "dashboards", "stale_after"],
        );
        let tg_url = self.url(testgrid, "testgrid", "url", defaults::TESTGRID_URL);
        let tg_api_url = self.url(testgrid, "testgrid", "api_url", defaults::TESTGRID_API_URL);
        let api = match self.string(testgrid, "testgrid", "api").as_deref() {
            None | Some("legacy") => TestgridApi::Legacy,
            Some("v1") => TestgridApi::V1,
            Some(other) => {
                self.problem(
                    "testgrid.api",
                    &format!("`{other}` is not one of `legacy`, `v1`"),
                );
                TestgridApi::Legacy
            }
        };
        let dashboards = match testgrid {
            Some(section) => self.section(section, "dashboards", &["blocking", "informing"]),
            None => None,
        };
        let blocking = self
            .string_list(dashboards, "testgrid.dashboards", "blocking")
            .unwrap_or_else(|| vec!["sig-release-{minor}-blocking".to_string()]);
        let informing = self
            .string_list(dashboards, "testgrid.dashboards", "informing")
            .unwrap_or_else(|| vec!["sig-release-{minor}-informing".to_string()]);
        for (kind, templates) in [("blocking", &blocking), ("informing", &informing)] {
            for template in templates {
                if !template.contains("{minor}") {
                    self.problem(
                        &format!("testgrid.dashboards.{kind}"),
                        &format!("template `{template}` has no `{{minor}}` placeholder"),
                    );
                }
            }
        }
        if blocking.is_empty() {
            self.problem(
                "testgrid.dashboards.blocking",
                "needs at least one template: the branch status comes from blocking dashboards",
            );
        }
        let stale_after = self.duration(
            testgrid,
            "testgrid",
            "stale_after",
            Duration::from_secs(24 * 3600),
        );

        let schedule = self.section(root, "schedule", &["url", "eol_url"]);
        let schedule_url = self.url(schedule, "schedule", "url", defaults::SCHEDULE_URL);
        // `eol.yaml` lives beside `schedule.yaml`: a mirrored schedule implies a mirrored list.
        let eol_beside = match schedule_url.rsplit_once('/') {
            Some((dir, _)) if schedule_url != defaults::SCHEDULE_URL => format!("{dir}/eol.yaml"),
            _ => defaults::EOL_URL.to_string(),
        };
        let eol_url = self.url(schedule, "schedule", "eol_url", &eol_beside);

        let branches = match root.get("branches") {
            None | Some(Value::Null) => BranchSelection::Auto,
            Some(Value::String(text)) if text == "auto" => BranchSelection::Auto,
            Some(Value::Sequence(_)) => {
                let list = self.string_list(top, "", "branches").unwrap_or_default();
                for (index, branch) in list.iter().enumerate() {
                    if !valid_branch(branch) {
                        self.problem(
                            &format!("branches[{index}]"),
                            &format!(
                                "`{branch}` is not `master`, `release-1.NN` or a hotfix `release-1.NN.P`"
                            ),
                        );
                    }
                }
                if list.is_empty() {
                    self.problem("branches", "the list is empty; use `auto` or name branches");
                }
                BranchSelection::Explicit(list)
            }
            Some(_) => {
                self.problem(
                    "branches",
                    "must be `auto` or a list like [master, release-1.34]",
                );
                BranchSelection::Auto
            }
        };

        let window = self.section(root, "release_window", &["min", "max"]);
        let window_min = self.duration(
            window,
            "release_window",
            "min",
            Duration::from_secs(14 * 86400),
        );
        let window_max = self.duration(
            window,
            "release_window",
            "max",
            Duration::from_secs(28 * 86400),
        );
        if window_min >= window_max {
            self.problem(
                "release_window.min",
                "must be shorter than release_window.max",
            );
        }

        let wide = self.section(
            root,
            "branch_wide",
            &["min_failing_prs", "min_failing_fraction", "failure_window"],
        );
        let min_failing_prs = match wide.and_then(|w| w.get("min_failing_prs")) {
            None | Some(Value::Null) => 3,
            Some(value) => match value.as_u64() {
                Some(n) if (1..=10_000).contains(&n) => n as u32,
                _ => {
                    self.problem(
                        "branch_wide.min_failing_prs",
                        "must be a whole number of at least 1",
                    );
                    3
                }
            },
        };
        let min_failing_fraction = match wide.and_then(|w| w.get("min_failing_fraction")) {
            None | Some(Value::Null) => 0.5,
            Some(value) => match value.as_f64() {
                Some(f) if f > 0.0 && f <= 1.0 => f,
                _ => {
                    self.problem(
                        "branch_wide.min_failing_fraction",
                        "must be a number in (0, 1], e.g. 0.5",
                    );
                    0.5
                }
            },
        };
        let failure_window = self.duration(
            wide,
            "branch_wide",
            "failure_window",
            Duration::from_secs(72 * 3600),
        );

        Some(Config {
            listen: listen?,
            poll_interval,
            request_timeout,
            github: GithubConfig {
                api_url,
                owner,
                repo,
                token_file,
                token,
            },
            testgrid: TestgridConfig {
                url: tg_url,
                api_url: tg_api_url,
                api,
                blocking_dashboards: blocking,
                informing_dashboards: informing,
                stale_after,
            },
            schedule: ScheduleConfig {
                url: schedule_url,
                eol_url,
            },
            branches,
            release_window: ReleaseWindowConfig {
                min: window_min,
                max: window_max,
            },
            branch_wide: BranchWideConfig {
                min_failing_prs,
                min_failing_fraction,
                failure_window,
            },
        })
    }
}

impl GithubConfig {
    /// The token's text, for the HTTP client only.
    pub fn token_text(&self) -> Option<&str> {
        self.token.as_ref().map(|token| token.expose_secret())
    }
}

fn join_key(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

/// The text of a YAML scalar (strings, numbers, booleans), or None for collections.
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

fn valid_repo_part(part: &str) -> bool {
    !part.is_empty()
        && part
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// `master`, `release-1.NN` or a hotfix branch `release-1.NN.P`.
pub fn valid_branch(branch: &str) -> bool {
    if branch == "master" {
        return true;
    }
    let Some(version) = branch.strip_prefix("release-") else {
        return false;
    };
    let parts: Vec<&str> = version.split('.').collect();
    (parts.len() == 2 || parts.len() == 3)
        && parts
            .iter()
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_digit()))
}

/// Levenshtein distance, for "did you mean" hints on misspelt keys.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const NO_ENV: [(&str, &str); 0] = [];

    fn problems(yaml: &str) -> Vec<ConfigProblem> {
        Config::from_yaml(yaml, "test.yaml", &NO_ENV)
            .expect_err("config should be rejected")
            .problems
    }

    #[test]
    fn empty_file_gives_defaults_pointing_at_real_services() {
        let config = Config::from_yaml("", "test.yaml", &NO_ENV).unwrap();
        assert_eq!(config.github.api_url, "https://api.github.com");
        assert_eq!(config.testgrid.url, "https://testgrid.k8s.io");
        assert_eq!(config.testgrid.api_url, "https://testgrid-api.prow.k8s.io");
        assert_eq!(config.testgrid.api, TestgridApi::Legacy);
        assert_eq!(config.poll_interval, Duration::from_secs(300));
        assert_eq!(config.testgrid.stale_after, Duration::from_secs(86400));
        assert_eq!(config.release_window.min, Duration::from_secs(14 * 86400));
        assert_eq!(config.branch_wide.min_failing_prs, 3);
        assert_eq!(config.branches, BranchSelection::Auto);
        assert!(config.github.token.is_none());
        assert_eq!(
            config.dashboards_for("1.34").0,
            vec!["sig-release-1.34-blocking"]
        );
    }

    #[test]
    fn unknown_key_is_named_with_a_hint() {
        let found = problems("poll_intervall: 5m\ntestgrid:\n  stale_afer: 2h\n");
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].key, "poll_intervall");
        assert!(found[0].message.contains("did you mean `poll_interval`"));
        assert_eq!(found[1].key, "testgrid.stale_afer");
    }

    #[test]
    fn every_problem_is_reported_not_just_the_first() {
        let found = problems(
            "listen: nowhere\npoll_interval: soon\ntestgrid:\n  api: v2\n  url: ftp://x\nbranches: [release-1.x]\nbranch_wide:\n  min_failing_fraction: 2\n",
        );
        let keys: Vec<&str> = found.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            vec![
                "listen",
                "poll_interval",
                "testgrid.url",
                "testgrid.api",
                "branches[0]",
                "branch_wide.min_failing_fraction"
            ]
        );
    }

    #[test]
    fn timeout_longer_than_interval_is_rejected() {
        let found = problems("poll_interval: 30s\nrequest_timeout: 1m\n");
        assert_eq!(found[0].key, "request_timeout");
    }

    #[test]
    fn explicit_branches_and_durations_parse() {
        let config = Config::from_yaml(
            "branches: [master, release-1.34, release-1.33.2]\nrelease_window: {min: 10d, max: 35d}\ntestgrid: {api: v1}\n",
            "t",
            &NO_ENV,
        )
        .unwrap();
        assert_eq!(
            config.branches,
            BranchSelection::Explicit(vec![
                "master".into(),
                "release-1.34".into(),
                "release-1.33.2".into()
            ])
        );
        assert_eq!(config.release_window.max, Duration::from_secs(35 * 86400));
        assert_eq!(config.testgrid.api, TestgridApi::V1);
    }

    #[test]
    fn token_comes_from_env_and_is_never_printed() {
        let env = [("GITHUB_TOKEN", "ghp_supersecret123")];
        let config = Config::from_yaml("", "t", &env).unwrap();
        assert_eq!(config.github.token_text(), Some("ghp_supersecret123"));
        assert!(!config.to_redacted_yaml().contains("supersecret"));
        assert!(!format!("{config:?}").contains("supersecret"));
    }

    #[test]
    fn token_file_is_read_and_missing_file_is_a_problem() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "ghp_fromfile\n").unwrap();
        let yaml = format!("github:\n  token_file: {}\n", path.display());
        let config = Config::from_yaml(&yaml, "t", &NO_ENV).unwrap();
        assert_eq!(config.github.token_text(), Some("ghp_fromfile"));
        let found = problems("github:\n  token_file: /nonexistent/token\n");
        assert_eq!(found[0].key, "github.token_file");
    }

    #[test]
    fn redacted_yaml_round_trips_through_the_parser() {
        let config = Config::defaults(&NO_ENV);
        let again = Config::from_yaml(&config.to_redacted_yaml(), "t", &NO_ENV).unwrap();
        assert_eq!(
            again.testgrid.blocking_dashboards,
            config.testgrid.blocking_dashboards
        );
        assert_eq!(again.release_window.max, config.release_window.max);
    }
}
