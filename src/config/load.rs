//! The YAML walker: document → [`Config`], one function per section, every problem collected
//! under its dotted key, and the one table of keys that unknown-key errors are judged against.
//!
//! Not serde: serde stops at the first type error, and an operator fixing a ConfigMap wants every
//! problem in one `check-config` run.

use std::{
    io::Read,
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use secrecy::SecretString;
use serde_yaml_ng::{Mapping, Value};

use super::{
    BranchSelection, BranchWideConfig, Config, ConfigProblem, Env, GithubConfig, PrivacyConfig,
    ReadinessConfig, ScheduleConfig, TestgridApi, TestgridConfig, defaults, show::duration_text,
};
use crate::k8s::{timing::ReleaseWindow, version::BranchKind};

/// Every key, section by section, in the order of DESIGN.md. Unknown keys and "did you mean"
/// hints are judged against this table; [`Section::get`] refuses (in debug builds) to read a key
/// that is not in it, and `check-config` is tested to print exactly these keys in this order.
pub(super) const KEYS: &[(&str, &[&str])] = &[
    (
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
            "readiness",
            "privacy",
        ],
    ),
    ("github", &["api_url", "repo", "token_file"]),
    (
        "testgrid",
        &["url", "api_url", "api", "dashboards", "stale_after"],
    ),
    ("testgrid.dashboards", &["blocking", "informing"]),
    ("schedule", &["url", "eol_url"]),
    ("release_window", &["min", "max"]),
    (
        "branch_wide",
        &["min_failing_prs", "min_failing_fraction", "failure_window"],
    ),
    ("readiness", &["min_runs_at_head", "tabs"]),
    ("privacy", &["embargo"]),
];

/// More runs at HEAD than this is a typo: no tab runs that often between two merges.
const MAX_RUNS_AT_HEAD: u64 = 100;
/// Enough overrides for every blocking tab of a branch.
const MAX_READINESS_OVERRIDES: usize = 100;

/// The environment variable the token comes from when `github.token_file` is not set.
const TOKEN_ENV: &str = "GITHUB_TOKEN";

/// A token is ~40–100 bytes; anything this big is the wrong file, and reading it whole (a
/// mounted disk image, `/dev/zero`) could exhaust memory before the first poll.
const MAX_TOKEN_FILE_BYTES: u64 = 64 * 1024;

/// GitHub's own limit for owner and repository names.
const MAX_REPO_PART_CHARS: usize = 100;

/// The range a duration key accepts, and why.
struct Limits {
    min: Duration,
    /// Why shorter is refused; `None` when the floor only excludes zero.
    too_short: Option<&'static str>,
    max: Duration,
    max_words: &'static str,
}

/// A poll costs ~15 GraphQL points and dozens of TestGrid requests, so the floor keeps a typo like
/// `100ms` from hammering both; a year without polling is a typo too.
const POLL_INTERVAL_LIMITS: Limits = Limits {
    min: Duration::from_secs(10),
    too_short: Some("every poll sends dozens of requests to GitHub and TestGrid"),
    max: Duration::from_secs(365 * 86_400),
    max_words: "one year",
};

const REQUEST_TIMEOUT_LIMITS: Limits = Limits {
    min: Duration::from_secs(1),
    too_short: Some("GitHub's GraphQL answers alone often take longer"),
    max: Duration::from_secs(365 * 86_400),
    max_words: "one year",
};

/// Windows and ages: zero makes no sense, and past ten years the key was surely mistyped.
const SPAN_LIMITS: Limits = Limits {
    min: Duration::from_nanos(1),
    too_short: None,
    max: Duration::from_secs(3650 * 86_400),
    max_words: "ten years",
};

/// Parses and validates `text`; every problem found, or the config.
pub(super) fn load(text: &str, env: &dyn Env) -> Result<Config, Vec<ConfigProblem>> {
    let mut loader = Loader {
        env,
        problems: Vec::new(),
    };
    let root = loader.document(text);
    let config = loader.top(&root);
    if loader.problems.is_empty() {
        Ok(config)
    } else {
        Err(loader.problems)
    }
}

/// `master`, `release-1.NN` or a hotfix branch `release-1.NN.P`, spelt the way GitHub names it
/// (`release-1.034` would be the same minor, and no branch at all).
pub fn valid_branch(branch: &str) -> bool {
    BranchKind::parse(branch).is_some_and(|kind| kind.to_string() == branch)
}

/// Walks the document, remembering every problem instead of stopping at the first; a bad value
/// is replaced by its default so that the sections after it are still checked.
struct Loader<'e> {
    env: &'e dyn Env,
    problems: Vec<ConfigProblem>,
}

/// One mapping of the document and its dotted path; `map` is `None` when it is absent, so every
/// key takes its default.
struct Section<'a> {
    path: &'static str,
    map: Option<&'a Mapping>,
    known: &'static [&'static str],
}

impl<'a> Section<'a> {
    fn get(&self, key: &str) -> Option<&'a Value> {
        debug_assert!(
            self.known.contains(&key),
            "`{key}` is read but missing from KEYS[{:?}]",
            self.path
        );
        match self.map?.get(key) {
            None | Some(Value::Null) => None,
            Some(value) => Some(value),
        }
    }

    fn key(&self, key: &str) -> String {
        join_key(self.path, key)
    }
}

/// Whether a URL is a root that paths are appended to, or the address of one file.
#[derive(Clone, Copy, PartialEq, Eq)]
enum UrlKind {
    Root,
    File,
}

impl Loader<'_> {
    fn problem(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.problems.push(ConfigProblem {
            key: key.into(),
            message: message.into(),
        });
    }

    fn document(&mut self, text: &str) -> Value {
        // Editors on Windows save a BOM, which the YAML parser reads as the start of a second
        // document.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        if text.trim().is_empty() {
            return Value::Null;
        }
        match serde_yaml_ng::from_str::<Value>(text) {
            Ok(value @ (Value::Mapping(_) | Value::Null)) => value,
            Ok(_) => {
                self.problem("<root>", "the configuration must be a YAML mapping of keys");
                Value::Null
            }
            Err(error) => {
                self.problem("<root>", format!("not valid YAML: {error}"));
                Value::Null
            }
        }
    }

    /// The section at `path`, its unknown keys reported.
    fn open<'a>(&mut self, value: Option<&'a Value>, path: &'static str) -> Section<'a> {
        let known = KEYS
            .iter()
            .find(|(section, _)| *section == path)
            .map(|(_, keys)| *keys);
        debug_assert!(known.is_some(), "section `{path}` is missing from KEYS");
        let known = known.unwrap_or_default();
        let map = match value {
            None | Some(Value::Null) => None,
            Some(Value::Mapping(map)) => {
                self.unknown_keys(map, path, known);
                Some(map)
            }
            Some(_) => {
                self.problem(display_key(path), "must be a mapping of keys");
                None
            }
        };
        Section { path, map, known }
    }

    fn unknown_keys(&mut self, map: &Mapping, path: &str, known: &[&str]) {
        for key in map.keys() {
            let name = scalar_text(key).unwrap_or_else(|| format!("{key:?}"));
            if known.contains(&name.as_str()) {
                continue;
            }
            let hint = suggestion(&name, known)
                .map(|candidate| format!(" (did you mean `{candidate}`?)"))
                .unwrap_or_default();
            self.problem(
                join_key(path, &name),
                format!(
                    "unknown key{hint}; known keys here are: {}",
                    known.join(", ")
                ),
            );
        }
    }

    // ---- sections ----

    fn top(&mut self, root: &Value) -> Config {
        let top = self.open(Some(root), "");
        let listen = self.listen(&top);
        let poll_interval = self.duration(
            &top,
            "poll_interval",
            defaults::POLL_INTERVAL,
            &POLL_INTERVAL_LIMITS,
        );
        let request_timeout = self.duration(
            &top,
            "request_timeout",
            defaults::REQUEST_TIMEOUT,
            &REQUEST_TIMEOUT_LIMITS,
        );
        if let (Some(interval), Some(timeout)) = (poll_interval, request_timeout) {
            if timeout > interval {
                self.problem(
                    "request_timeout",
                    format!(
                        "{} is longer than poll_interval ({}); a request must finish before the next poll",
                        duration_text(timeout),
                        duration_text(interval)
                    ),
                );
            }
        }
        let github = self.open(top.get("github"), "github");
        let github = self.github(&github);
        let testgrid = self.open(top.get("testgrid"), "testgrid");
        let testgrid = self.testgrid(&testgrid);
        let schedule = self.open(top.get("schedule"), "schedule");
        let schedule = self.schedule(&schedule);
        let branches = self.branches(&top);
        let release_window = self.open(top.get("release_window"), "release_window");
        let release_window = self.release_window(&release_window);
        let branch_wide = self.open(top.get("branch_wide"), "branch_wide");
        let branch_wide = self.branch_wide(&branch_wide);
        let readiness = self.open(top.get("readiness"), "readiness");
        let readiness = self.readiness(&readiness);
        let privacy = self.open(top.get("privacy"), "privacy");
        let privacy = self.privacy(&privacy);
        Config {
            listen,
            poll_interval: poll_interval.unwrap_or(defaults::POLL_INTERVAL),
            request_timeout: request_timeout.unwrap_or(defaults::REQUEST_TIMEOUT),
            github,
            testgrid,
            schedule,
            branches,
            release_window,
            branch_wide,
            readiness,
            privacy,
        }
    }

    fn listen(&mut self, top: &Section) -> SocketAddr {
        let default = || {
            defaults::LISTEN
                .parse()
                .expect("defaults::LISTEN is a socket address")
        };
        let Some(text) = self.string(top, "listen") else {
            return default();
        };
        match text.trim().parse() {
            Ok(address) => address,
            Err(_) => {
                self.problem(
                    "listen",
                    format!("`{text}` is not an address like `0.0.0.0:9850` or `[::]:9850`"),
                );
                default()
            }
        }
    }

    fn github(&mut self, github: &Section) -> GithubConfig {
        let api_url = self.url(github, "api_url", defaults::GITHUB_API_URL, UrlKind::Root);
        let (owner, repo) = self.repo(github);
        let token_file = self.string(github, "token_file").map(PathBuf::from);
        let token = match &token_file {
            Some(path) => self.token_from_file(path),
            None => self.token_from_env(),
        };
        GithubConfig {
            api_url,
            owner,
            repo,
            token_file,
            token,
        }
    }

    /// Owner and name end up in REST paths and GraphQL variables: `a/..` would address
    /// `/repos/a/..`, i.e. some other endpoint, so only names GitHub itself allows pass.
    fn repo(&mut self, github: &Section) -> (String, String) {
        let text = self
            .string(github, "repo")
            .unwrap_or_else(|| defaults::GITHUB_REPO.to_string());
        let shape = || format!("`{text}` is not `owner/name`, e.g. `kubernetes/kubernetes`");
        let Some((owner, name)) = text.split_once('/') else {
            self.problem("github.repo", shape());
            return (String::new(), String::new());
        };
        if owner.is_empty() || name.is_empty() || name.contains('/') {
            self.problem("github.repo", shape());
            return (String::new(), String::new());
        }
        for part in [owner, name] {
            if let Some(why) = repo_part_problem(part) {
                self.problem(
                    "github.repo",
                    format!("`{text}` is not `owner/name`: `{part}` {why}"),
                );
                return (String::new(), String::new());
            }
        }
        (owner.to_string(), name.to_string())
    }

    fn token_from_file(&mut self, path: &Path) -> Option<SecretString> {
        const KEY: &str = "github.token_file";
        let shown = path.display();
        let too_big = || {
            format!(
                "{shown} holds more than 64 KiB, and a token file holds one token: is this the right file?"
            )
        };
        match std::fs::metadata(path) {
            Ok(metadata) if metadata.len() > MAX_TOKEN_FILE_BYTES => {
                self.problem(KEY, too_big());
                return None;
            }
            Ok(_) => {}
            // An optional Secret that is not there yet (a Deployment mounting it as a file):
            // the GitHub source reports itself down, naming the file, and the rest works.
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return None,
            Err(error) => {
                self.problem(KEY, format!("cannot read {shown}: {error}"));
                return None;
            }
        }
        // Devices and pipes report a length of 0, so the read is bounded as well.
        let mut bytes = Vec::new();
        let read = std::fs::File::open(path)
            .and_then(|file| file.take(MAX_TOKEN_FILE_BYTES + 1).read_to_end(&mut bytes));
        if let Err(error) = read {
            self.problem(KEY, format!("cannot read {shown}: {error}"));
            return None;
        }
        if bytes.len() as u64 > MAX_TOKEN_FILE_BYTES {
            self.problem(KEY, too_big());
            return None;
        }
        let Ok(text) = String::from_utf8(bytes) else {
            self.problem(KEY, format!("{shown} is not UTF-8 text"));
            return None;
        };
        let token = text.strip_prefix('\u{feff}').unwrap_or(&text).trim();
        if token.is_empty() {
            self.problem(KEY, format!("{shown} is empty"));
            return None;
        }
        self.usable_token(KEY, token)
    }

    /// Trimmed like the file: `echo token | kubectl create secret --from-file` and `$(cat f)`
    /// habits leave a newline that GitHub would otherwise see as part of the token.
    fn token_from_env(&mut self) -> Option<SecretString> {
        let value = self.env.var(TOKEN_ENV)?;
        let token = value.trim();
        if token.is_empty() {
            return None;
        }
        self.usable_token(TOKEN_ENV, token)
    }

    /// A token the HTTP client cannot put in a header would make it fail at start-up (octocrab
    /// panics on it), so it is a config error. The message says where, never what.
    fn usable_token(&mut self, key: &str, token: &str) -> Option<SecretString> {
        // Stricter than the header rule, which lets spaces and tabs through: inside a token they
        // are a paste error, and GitHub would answer 401 on every poll.
        let bad = token
            .chars()
            .enumerate()
            .find(|(_, c)| !c.is_ascii_graphic());
        let header_ok = http::HeaderValue::from_str(&format!("Bearer {token}")).is_ok();
        if bad.is_none() && header_ok {
            return Some(SecretString::from(token));
        }
        let what = match bad {
            Some((at, c)) => {
                let kind = if c.is_control() {
                    "a control character"
                } else if c.is_whitespace() {
                    "whitespace"
                } else {
                    "a non-ASCII character"
                };
                format!("{kind} at character {}", at + 1)
            }
            None => "a character HTTP headers cannot carry".to_string(),
        };
        self.problem(
            key,
            format!(
                "the token contains {what}, which an HTTP header cannot carry; check how the secret was written (the token itself is not shown)"
            ),
        );
        None
    }

    fn testgrid(&mut self, testgrid: &Section) -> TestgridConfig {
        let url = self.url(testgrid, "url", defaults::TESTGRID_URL, UrlKind::Root);
        let api_url = self.url(
            testgrid,
            "api_url",
            defaults::TESTGRID_API_URL,
            UrlKind::Root,
        );
        let api = self.testgrid_api(testgrid);
        let dashboards = self.open(testgrid.get("dashboards"), "testgrid.dashboards");
        let (blocking_dashboards, informing_dashboards) = self.dashboards(&dashboards);
        let stale_after = self
            .duration(testgrid, "stale_after", defaults::STALE_AFTER, &SPAN_LIMITS)
            .unwrap_or(defaults::STALE_AFTER);
        TestgridConfig {
            url,
            api_url,
            api,
            blocking_dashboards,
            informing_dashboards,
            stale_after,
        }
    }

    fn testgrid_api(&mut self, testgrid: &Section) -> TestgridApi {
        let Some(text) = self.string(testgrid, "api") else {
            return TestgridApi::Legacy;
        };
        if let Some(api) = TestgridApi::ALL
            .into_iter()
            .find(|api| api.as_str() == text)
        {
            return api;
        }
        let known: Vec<String> = TestgridApi::ALL
            .iter()
            .map(|api| format!("`{}`", api.as_str()))
            .collect();
        self.problem(
            "testgrid.api",
            format!("`{text}` is not one of {}", known.join(", ")),
        );
        TestgridApi::Legacy
    }

    /// (blocking, informing). A dashboard listed twice would export every tab's series twice.
    fn dashboards(&mut self, dashboards: &Section) -> (Vec<String>, Vec<String>) {
        let blocking = self.templates(dashboards, "blocking", defaults::BLOCKING_DASHBOARD);
        let informing = self.templates(dashboards, "informing", defaults::INFORMING_DASHBOARD);
        if matches!(dashboards.get("blocking"), Some(Value::Sequence(items)) if items.is_empty()) {
            self.problem(
                "testgrid.dashboards.blocking",
                "needs at least one template: the branch status comes from blocking dashboards",
            );
        }
        self.refuse_duplicates(&dashboards.key("blocking"), &blocking);
        self.refuse_duplicates(&dashboards.key("informing"), &informing);
        for (index, template) in &informing {
            if let Some((first, _)) = blocking.iter().find(|(_, other)| other == template) {
                self.problem(
                    format!("testgrid.dashboards.informing[{index}]"),
                    format!(
                        "`{template}` is already blocking (testgrid.dashboards.blocking[{first}]); a dashboard is either blocking or informing"
                    ),
                );
            }
        }
        let strip = |items: Vec<(usize, String)>| items.into_iter().map(|(_, t)| t).collect();
        (strip(blocking), strip(informing))
    }

    fn templates(
        &mut self,
        dashboards: &Section,
        key: &str,
        default: &str,
    ) -> Vec<(usize, String)> {
        let Some(templates) = self.string_list(dashboards, key) else {
            return vec![(0, default.to_string())];
        };
        for (index, template) in &templates {
            // Without it every branch would read the same dashboard and look alike.
            if !template.contains("{minor}") {
                self.problem(
                    format!("{}[{index}]", dashboards.key(key)),
                    format!("template `{template}` has no `{{minor}}` placeholder"),
                );
            }
        }
        templates
    }

    fn schedule(&mut self, schedule: &Section) -> ScheduleConfig {
        let url = self.url(schedule, "url", defaults::SCHEDULE_URL, UrlKind::File);
        let eol_beside = eol_beside(&url);
        let eol_url = self.url(schedule, "eol_url", &eol_beside, UrlKind::File);
        ScheduleConfig { url, eol_url }
    }

    fn branches(&mut self, top: &Section) -> BranchSelection {
        match top.get("branches") {
            None => BranchSelection::Auto,
            Some(Value::String(text)) if text == "auto" => BranchSelection::Auto,
            Some(Value::Sequence(items)) => {
                if items.is_empty() {
                    self.problem("branches", "the list is empty; use `auto` or name branches");
                }
                let list = self.string_list(top, "branches").unwrap_or_default();
                for (index, branch) in &list {
                    if !valid_branch(branch) {
                        self.problem(
                            format!("branches[{index}]"),
                            format!(
                                "`{branch}` is not `master`, `release-1.NN` or a hotfix `release-1.NN.P`"
                            ),
                        );
                    }
                }
                // Each branch's series would be exported twice, which Prometheus rejects.
                self.refuse_duplicates("branches", &list);
                BranchSelection::Explicit(list.into_iter().map(|(_, branch)| branch).collect())
            }
            Some(_) => {
                self.problem(
                    "branches",
                    "must be `auto` or a list like [master, release-1.34]",
                );
                BranchSelection::Auto
            }
        }
    }

    fn release_window(&mut self, window: &Section) -> ReleaseWindow {
        let default = ReleaseWindow::default();
        let min = self.duration(window, "min", default.min, &SPAN_LIMITS);
        let max = self.duration(window, "max", default.max, &SPAN_LIMITS);
        if let (Some(min), Some(max)) = (min, max) {
            if min >= max {
                self.problem(
                    "release_window.min",
                    "must be shorter than release_window.max",
                );
            }
        }
        ReleaseWindow {
            min: min.unwrap_or(default.min),
            max: max.unwrap_or(default.max),
        }
    }

    fn branch_wide(&mut self, wide: &Section) -> BranchWideConfig {
        let min_failing_prs = match wide.get("min_failing_prs") {
            None => defaults::MIN_FAILING_PRS,
            Some(value) => match value.as_u64().map(u32::try_from) {
                Some(Ok(n)) if (1..=10_000).contains(&n) => n,
                _ => {
                    self.problem(
                        "branch_wide.min_failing_prs",
                        "must be a whole number of at least 1 and at most 10000",
                    );
                    defaults::MIN_FAILING_PRS
                }
            },
        };
        let min_failing_fraction = match wide.get("min_failing_fraction") {
            None => defaults::MIN_FAILING_FRACTION,
            Some(value) => match value.as_f64() {
                Some(f) if f > 0.0 && f <= 1.0 => f,
                _ => {
                    self.problem(
                        "branch_wide.min_failing_fraction",
                        "must be a number in (0, 1], e.g. 0.5",
                    );
                    defaults::MIN_FAILING_FRACTION
                }
            },
        };
        let failure_window = self
            .duration(
                wide,
                "failure_window",
                defaults::FAILURE_WINDOW,
                &SPAN_LIMITS,
            )
            .unwrap_or(defaults::FAILURE_WINDOW);
        BranchWideConfig {
            min_failing_prs,
            min_failing_fraction,
            failure_window,
        }
    }

    fn runs(&mut self, key: String, value: &Value) -> Option<u32> {
        match value.as_u64() {
            Some(n) if (1..=MAX_RUNS_AT_HEAD).contains(&n) => u32::try_from(n).ok(),
            _ => {
                self.problem(
                    key,
                    format!(
                        "must be a whole number of runs, at least 1 and at most {MAX_RUNS_AT_HEAD}"
                    ),
                );
                None
            }
        }
    }

    fn readiness(&mut self, section: &Section) -> ReadinessConfig {
        let min_runs_at_head = section
            .get("min_runs_at_head")
            .and_then(|value| self.runs(section.key("min_runs_at_head"), value))
            .unwrap_or(defaults::MIN_RUNS_AT_HEAD);
        let mut tabs = Vec::new();
        match section.get("tabs") {
            None => {}
            Some(Value::Mapping(map)) => {
                if map.len() > MAX_READINESS_OVERRIDES {
                    self.problem(
                        section.key("tabs"),
                        format!("at most {MAX_READINESS_OVERRIDES} overrides"),
                    );
                }
                for (pattern, runs) in map.iter().take(MAX_READINESS_OVERRIDES) {
                    let Some(pattern) = scalar_text(pattern).filter(|p| !p.trim().is_empty())
                    else {
                        self.problem(
                            section.key("tabs"),
                            "each key must be a regular expression matching tab names",
                        );
                        continue;
                    };
                    let key = format!("{}[{pattern:?}]", section.key("tabs"));
                    if let Err(error) = regex::RegexBuilder::new(&pattern)
                        .size_limit(1 << 20)
                        .build()
                    {
                        let first_line = error.to_string();
                        let first_line = first_line.lines().last().unwrap_or("").trim().to_string();
                        self.problem(key, format!("not a valid regular expression: {first_line}"));
                        continue;
                    }
                    if let Some(runs) = self.runs(key, runs) {
                        tabs.push((pattern, runs));
                    }
                }
            }
            Some(_) => self.problem(
                section.key("tabs"),
                "must be a mapping of tab-name regular expressions to runs, e.g. {'serial': 2}",
            ),
        }
        ReadinessConfig {
            min_runs_at_head,
            tabs,
        }
    }

    fn privacy(&mut self, section: &Section) -> PrivacyConfig {
        let embargo = match section.get("embargo") {
            None => false,
            Some(Value::Bool(flag)) => *flag,
            Some(_) => {
                self.problem(section.key("embargo"), "must be true or false");
                false
            }
        };
        PrivacyConfig { embargo }
    }

    // ---- values ----

    fn string(&mut self, section: &Section, key: &str) -> Option<String> {
        let value = section.get(key)?;
        match scalar_text(value) {
            Some(text) if !text.trim().is_empty() => Some(text),
            Some(_) => {
                self.problem(section.key(key), "must not be empty");
                None
            }
            None => {
                self.problem(section.key(key), "must be a string");
                None
            }
        }
    }

    fn url(&mut self, section: &Section, key: &str, default: &str, kind: UrlKind) -> String {
        let Some(text) = self.string(section, key) else {
            return default.to_string();
        };
        let text = text.trim();
        match url_problem(text, kind) {
            None if kind == UrlKind::Root => text.trim_end_matches('/').to_string(),
            None => text.to_string(),
            Some(message) => {
                self.problem(section.key(key), message);
                default.to_string()
            }
        }
    }

    /// `None` when the value is refused (the problem is recorded); the default when absent.
    fn duration(
        &mut self,
        section: &Section,
        key: &str,
        default: Duration,
        limits: &Limits,
    ) -> Option<Duration> {
        let Some(text) = self.string(section, key) else {
            return Some(default);
        };
        let full = section.key(key);
        let duration = match humantime::parse_duration(text.trim()) {
            Ok(duration) => duration,
            Err(error) => {
                self.problem(
                    full,
                    format!("`{text}` is not a duration ({error}); write e.g. `90s`, `5m`, `14d`"),
                );
                return None;
            }
        };
        if duration < limits.min {
            let message = match limits.too_short {
                None => "must be longer than zero".to_string(),
                Some(why) => format!(
                    "`{text}` is shorter than the minimum of {}: {why}",
                    duration_text(limits.min)
                ),
            };
            self.problem(full, message);
            return None;
        }
        if duration > limits.max {
            self.problem(
                full,
                format!(
                    "`{text}` is longer than the maximum of {} ({}); check the unit",
                    duration_text(limits.max),
                    limits.max_words
                ),
            );
            return None;
        }
        Some(duration)
    }

    /// The non-empty strings of a list with their indexes (so later problems name the right
    /// item); the others are reported.
    fn string_list(&mut self, section: &Section, key: &str) -> Option<Vec<(usize, String)>> {
        let full = section.key(key);
        match section.get(key)? {
            Value::Sequence(items) => {
                let mut out = Vec::new();
                for (index, item) in items.iter().enumerate() {
                    match item {
                        Value::String(text) if !text.trim().is_empty() => {
                            out.push((index, text.trim().to_string()))
                        }
                        _ => self.problem(format!("{full}[{index}]"), "must be a non-empty string"),
                    }
                }
                Some(out)
            }
            _ => {
                self.problem(full, "must be a list of strings");
                None
            }
        }
    }

    fn refuse_duplicates(&mut self, path: &str, items: &[(usize, String)]) {
        for (position, (index, item)) in items.iter().enumerate() {
            if let Some((first, _)) = items[..position].iter().find(|(_, other)| other == item) {
                self.problem(
                    format!("{path}[{index}]"),
                    format!("`{item}` is already listed at {path}[{first}]"),
                );
            }
        }
    }
}

/// The known key `name` was probably meant to be. Jaro-Winkler favours a shared start, which
/// catches `token` → `token_file` and `eol` → `eol_url`; a single edit or swap catches short
/// keys (`mni` → `min`) that it scores low.
fn suggestion<'k>(name: &str, known: &[&'k str]) -> Option<&'k str> {
    let name = name.to_lowercase();
    known
        .iter()
        .map(|candidate| (strsim::jaro_winkler(candidate, &name), *candidate))
        .filter(|(score, candidate)| *score >= 0.8 || strsim::osa_distance(candidate, &name) <= 1)
        .max_by(|(a, _), (b, _)| a.total_cmp(b))
        .map(|(_, candidate)| candidate)
}

fn join_key(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

fn display_key(path: &str) -> &str {
    if path.is_empty() { "<root>" } else { path }
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

fn repo_part_problem(part: &str) -> Option<&'static str> {
    if part.chars().count() > MAX_REPO_PART_CHARS {
        Some("is longer than 100 characters")
    } else if part.starts_with('.') {
        Some("starts with `.`, which GitHub does not allow (`.` and `..` are paths)")
    } else if !part
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        Some("may hold only letters, digits, `-`, `_` and `.`")
    } else {
        None
    }
}

/// What is wrong with a URL, if anything. Messages show it with any user info masked.
fn url_problem(text: &str, kind: UrlKind) -> Option<String> {
    let shown = mask_userinfo(text);
    let url = match reqwest::Url::parse(text) {
        Ok(url) => url,
        Err(error) => return Some(format!("`{shown}` is not a URL: {error}")),
    };
    if !matches!(url.scheme(), "http" | "https") {
        return Some(format!(
            "`{shown}` has scheme `{}`; use http or https",
            url.scheme()
        ));
    }
    // Credentials in a URL end up in logs, error messages and `check-config` output.
    if !url.username().is_empty() || url.password().is_some() {
        return Some(format!(
            "`{shown}` carries a user name or password; credentials do not belong in a URL, where logs and check-config would show them: put the GitHub token in GITHUB_TOKEN or github.token_file"
        ));
    }
    if url.fragment().is_some() {
        return Some(format!(
            "`{shown}` has a `#` fragment, which is never sent to the server; remove it"
        ));
    }
    if kind == UrlKind::Root && url.query().is_some() {
        return Some(format!(
            "`{shown}` has a `?` query; this is a root that paths are appended to, so the query would not reach the server where meant"
        ));
    }
    None
}

/// `http://alice:s3cret@host/x` → `http://***@host/x`, also for text that is not a valid URL
/// and for the backslashes the URL parser accepts in place of slashes.
fn mask_userinfo(text: &str) -> String {
    let Some(colon) = text.find(':') else {
        return text.to_string();
    };
    let after_scheme = &text[colon + 1..];
    let authority_start =
        colon + 1 + (after_scheme.len() - after_scheme.trim_start_matches(['/', '\\']).len());
    let rest = &text[authority_start..];
    let authority_len = rest.find(['/', '\\', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_len].rfind('@') {
        Some(at) => format!("{}***{}", &text[..authority_start], &rest[at..]),
        None => text.to_string(),
    }
}

/// `eol.yaml` lives beside `schedule.yaml`: a mirrored schedule implies a mirrored list.
fn eol_beside(schedule_url: &str) -> String {
    if schedule_url == defaults::SCHEDULE_URL {
        return defaults::EOL_URL.to_string();
    }
    reqwest::Url::parse(schedule_url)
        .and_then(|url| url.join("eol.yaml"))
        .map(|url| url.to_string())
        .unwrap_or_else(|_| defaults::EOL_URL.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ConfigError;

    const NO_ENV: [(&str, &str); 0] = [];

    fn load_ok(yaml: &str) -> Config {
        Config::from_yaml(yaml, "test.yaml", &NO_ENV)
            .unwrap_or_else(|error| panic!("{yaml:?} should load:\n{error}"))
    }

    fn problems(yaml: &str) -> Vec<ConfigProblem> {
        problems_with(yaml, &NO_ENV)
    }

    fn problems_with(yaml: &str, env: &dyn Env) -> Vec<ConfigProblem> {
        match Config::from_yaml(yaml, "test.yaml", env) {
            Ok(_) => panic!("{yaml:?} should be rejected"),
            Err(error) => error.problems,
        }
    }

    /// The one problem `yaml` has: (key, message).
    fn only_problem(yaml: &str) -> (String, String) {
        let found = problems(yaml);
        assert_eq!(found.len(), 1, "{yaml:?} gave {found:#?}");
        (found[0].key.clone(), found[0].message.clone())
    }

    #[test]
    fn empty_file_gives_defaults_pointing_at_real_services() {
        let config = load_ok("");
        assert_eq!(config.listen.to_string(), "0.0.0.0:9850");
        assert_eq!(config.github.api_url, "https://api.github.com");
        assert_eq!(
            (config.github.owner.as_str(), config.github.repo.as_str()),
            ("kubernetes", "kubernetes")
        );
        assert_eq!(config.testgrid.url, "https://testgrid.k8s.io");
        assert_eq!(config.testgrid.api_url, "https://testgrid-api.prow.k8s.io");
        assert_eq!(config.testgrid.api, TestgridApi::Legacy);
        assert_eq!(config.schedule.eol_url, defaults::EOL_URL);
        assert_eq!(config.poll_interval, Duration::from_secs(300));
        assert_eq!(config.request_timeout, Duration::from_secs(30));
        assert_eq!(config.testgrid.stale_after, Duration::from_secs(86400));
        assert_eq!(config.release_window, ReleaseWindow::default());
        assert_eq!(config.release_window.min, Duration::from_secs(14 * 86400));
        assert_eq!(config.branch_wide.min_failing_prs, 3);
        assert_eq!(
            config.branch_wide.failure_window,
            Duration::from_secs(72 * 3600)
        );
        assert_eq!(config.branches, BranchSelection::Auto);
        assert!(config.github.token.is_none());
        assert_eq!(
            (
                config.testgrid.blocking_dashboards.clone(),
                config.testgrid.informing_dashboards.clone()
            ),
            (
                vec!["sig-release-{minor}-blocking".to_string()],
                vec!["sig-release-{minor}-informing".to_string()]
            )
        );
        // A comment-only or `null` document is an empty one.
        assert_eq!(load_ok("# nothing here\n"), config);
        assert_eq!(load_ok("~\n"), config);
    }

    #[test]
    fn unknown_key_is_named_with_a_hint() {
        let found = problems("poll_intervall: 5m\ntestgrid:\n  stale_afer: 2h\n");
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].key, "poll_intervall");
        assert!(found[0].message.contains("did you mean `poll_interval`"));
        assert!(
            found[0]
                .message
                .ends_with("known keys here are: listen, poll_interval, request_timeout, github, testgrid, schedule, branches, release_window, branch_wide, readiness, privacy"),
            "{}",
            found[0].message
        );
        assert_eq!(found[1].key, "testgrid.stale_afer");
        assert!(found[1].message.contains("did you mean `stale_after`"));
    }

    #[test]
    fn unknown_keys_are_found_in_every_section_and_hint_only_when_close() {
        for (yaml, key, hint) in [
            ("github:\n  token: x\n", "github.token", Some("token_file")),
            ("github:\n  owner: x\n", "github.owner", None),
            ("github:\n  repos: a/b\n", "github.repos", Some("repo")),
            (
                "testgrid:\n  dashboards:\n    blokcing: []\n",
                "testgrid.dashboards.blokcing",
                Some("blocking"),
            ),
            ("schedule:\n  eol: x\n", "schedule.eol", Some("eol_url")),
            ("testgrid:\n  URL: x\n", "testgrid.URL", Some("url")),
            ("release_window:\n  x: 1d\n", "release_window.x", None),
            (
                "schedule:\n  eolurl: x\n",
                "schedule.eolurl",
                Some("eol_url"),
            ),
            (
                "release_window:\n  mni: 1d\n",
                "release_window.mni",
                Some("min"),
            ),
            (
                "branch_wide:\n  min_failing_pr: 2\n",
                "branch_wide.min_failing_pr",
                Some("min_failing_prs"),
            ),
            (
                "readiness:\n  min_run_at_head: 2\n",
                "readiness.min_run_at_head",
                Some("min_runs_at_head"),
            ),
            (
                "privacy:\n  embargoed: true\n",
                "privacy.embargoed",
                Some("embargo"),
            ),
        ] {
            let (found, message) = only_problem(yaml);
            assert_eq!(found, key, "{yaml:?}");
            match hint {
                Some(hint) => assert!(
                    message.starts_with(&format!("unknown key (did you mean `{hint}`?)")),
                    "{yaml:?}: {message}"
                ),
                None => assert!(
                    message.starts_with("unknown key; known keys"),
                    "{yaml:?}: {message}"
                ),
            }
        }
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
    fn the_existing_messages_keep_their_words() {
        for (yaml, key, message) in [
            (
                "testgrid:\n  api: v2\n",
                "testgrid.api",
                "`v2` is not one of `legacy`, `v1`",
            ),
            (
                "testgrid:\n  stale_after: yesterday\n",
                "testgrid.stale_after",
                "`yesterday` is not a duration",
            ),
            (
                "github:\n  repo: kubernetes\n",
                "github.repo",
                "`kubernetes` is not `owner/name`, e.g. `kubernetes/kubernetes`",
            ),
            (
                "github:\n  repo: a/b/c\n",
                "github.repo",
                "`a/b/c` is not `owner/name`",
            ),
            (
                "github:\n  repo: /b\n",
                "github.repo",
                "`/b` is not `owner/name`",
            ),
            (
                "branches: [release-1.x]\n",
                "branches[0]",
                "`release-1.x` is not `master`, `release-1.NN` or a hotfix `release-1.NN.P`",
            ),
            (
                "branches: []\n",
                "branches",
                "the list is empty; use `auto` or name branches",
            ),
            (
                "branches: master\n",
                "branches",
                "must be `auto` or a list like [master, release-1.34]",
            ),
            (
                "listen: nowhere\n",
                "listen",
                "`nowhere` is not an address like `0.0.0.0:9850`",
            ),
            (
                "testgrid:\n  url: ftp://x\n",
                "testgrid.url",
                "`ftp://x` has scheme `ftp`; use http or https",
            ),
            (
                "testgrid:\n  url: not a url\n",
                "testgrid.url",
                "`not a url` is not a URL",
            ),
            ("github: [a]\n", "github", "must be a mapping of keys"),
            ("github:\n  repo: ''\n", "github.repo", "must not be empty"),
            (
                "github:\n  repo: [a, b]\n",
                "github.repo",
                "must be a string",
            ),
            (
                "release_window: {min: 30d, max: 20d}\n",
                "release_window.min",
                "must be shorter than release_window.max",
            ),
            (
                "branch_wide:\n  min_failing_prs: 0\n",
                "branch_wide.min_failing_prs",
                "must be a whole number of at least 1",
            ),
            (
                "branch_wide:\n  min_failing_prs: 10001\n",
                "branch_wide.min_failing_prs",
                "must be a whole number of at least 1 and at most 10000",
            ),
            (
                "branch_wide:\n  min_failing_prs: 2.5\n",
                "branch_wide.min_failing_prs",
                "must be a whole number of at least 1",
            ),
            (
                "branch_wide:\n  min_failing_fraction: 0\n",
                "branch_wide.min_failing_fraction",
                "must be a number in (0, 1], e.g. 0.5",
            ),
            (
                "branch_wide:\n  min_failing_fraction: .nan\n",
                "branch_wide.min_failing_fraction",
                "must be a number in (0, 1]",
            ),
            (
                "- a\n- b\n",
                "<root>",
                "the configuration must be a YAML mapping of keys",
            ),
            ("a: [\n", "<root>", "not valid YAML"),
        ] {
            let (found, text) = only_problem(yaml);
            assert_eq!(found, key, "{yaml:?}: {text}");
            assert!(text.starts_with(message), "{yaml:?}: {text}");
        }
    }

    #[test]
    fn timeout_longer_than_interval_is_rejected() {
        let (key, message) = only_problem("poll_interval: 30s\nrequest_timeout: 1m\n");
        assert_eq!(key, "request_timeout");
        assert_eq!(
            message,
            "1m is longer than poll_interval (30s); a request must finish before the next poll"
        );
        // Only between two valid values: a bad interval is not compared with a good timeout.
        let (key, _) = only_problem("poll_interval: soon\nrequest_timeout: 10m\n");
        assert_eq!(key, "poll_interval");
    }

    #[test]
    fn durations_outside_their_range_are_refused_with_the_reason() {
        for (yaml, key, message) in [
            (
                "poll_interval: 100ms\n",
                "poll_interval",
                "`100ms` is shorter than the minimum of 10s: every poll sends dozens of requests to GitHub and TestGrid",
            ),
            (
                "poll_interval: 9s\n",
                "poll_interval",
                "`9s` is shorter than the minimum of 10s",
            ),
            (
                "poll_interval: 0s\n",
                "poll_interval",
                "`0s` is shorter than the minimum of 10s",
            ),
            (
                "poll_interval: 500000y\n",
                "poll_interval",
                "`500000y` is longer than the maximum of 365d (one year); check the unit",
            ),
            (
                "poll_interval: 366d\nrequest_timeout: 1s\n",
                "poll_interval",
                "`366d` is longer than the maximum of 365d",
            ),
            (
                "request_timeout: 500ms\n",
                "request_timeout",
                "`500ms` is shorter than the minimum of 1s: GitHub's GraphQL answers alone often take longer",
            ),
            (
                "poll_interval: 365d\nrequest_timeout: 400d\n",
                "request_timeout",
                "`400d` is longer than the maximum of 365d",
            ),
            (
                "testgrid:\n  stale_after: 500000y\n",
                "testgrid.stale_after",
                "`500000y` is longer than the maximum of 3650d (ten years)",
            ),
            (
                "testgrid:\n  stale_after: 0s\n",
                "testgrid.stale_after",
                "must be longer than zero",
            ),
            (
                "release_window:\n  max: 11y\n",
                "release_window.max",
                "`11y` is longer than the maximum of 3650d",
            ),
            (
                "release_window:\n  min: 0d\n",
                "release_window.min",
                "must be longer than zero",
            ),
            (
                "branch_wide:\n  failure_window: 0s\n",
                "branch_wide.failure_window",
                "must be longer than zero",
            ),
            (
                "branch_wide:\n  failure_window: 100000d\n",
                "branch_wide.failure_window",
                "`100000d` is longer than the maximum of 3650d",
            ),
            (
                "poll_interval: 300\n",
                "poll_interval",
                "`300` is not a duration",
            ),
        ] {
            let (found, text) = only_problem(yaml);
            assert_eq!(found, key, "{yaml:?}: {text}");
            assert!(text.starts_with(message), "{yaml:?}: {text}");
        }
        // The edges themselves are fine.
        let config = load_ok(
            "poll_interval: 10s\nrequest_timeout: 1s\ntestgrid:\n  stale_after: 3650d\nbranch_wide:\n  failure_window: 1ns\n",
        );
        assert_eq!(config.poll_interval, Duration::from_secs(10));
        assert_eq!(config.request_timeout, Duration::from_secs(1));
        let config = load_ok("poll_interval: 365d\n");
        assert_eq!(config.poll_interval, Duration::from_secs(365 * 86400));
    }

    #[test]
    fn explicit_branches_and_durations_parse() {
        let config = load_ok(
            "branches: [master, release-1.34, release-1.33.2]\nrelease_window: {min: 10d, max: 35d}\ntestgrid: {api: v1}\n",
        );
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
        assert_eq!(load_ok("branches: auto\n").branches, BranchSelection::Auto);
    }

    #[test]
    fn a_branch_listed_twice_is_refused_where_it_repeats() {
        let found =
            problems("branches: [master, release-1.34, master, release-1.34, release-1.x]\n");
        let found: Vec<(&str, &str)> = found
            .iter()
            .map(|p| (p.key.as_str(), p.message.as_str()))
            .collect();
        assert_eq!(
            found,
            vec![
                (
                    "branches[4]",
                    "`release-1.x` is not `master`, `release-1.NN` or a hotfix `release-1.NN.P`"
                ),
                ("branches[2]", "`master` is already listed at branches[0]"),
                (
                    "branches[3]",
                    "`release-1.34` is already listed at branches[1]"
                ),
            ]
        );
    }

    #[test]
    fn valid_branch_names() {
        for good in ["master", "release-1.34", "release-1.33.2"] {
            assert!(valid_branch(good), "{good}");
        }
        for bad in [
            "release-1.034",
            "release-v1.34",
            " master",
            "main",
            "release-1",
            "release-1.x",
            "release-1..2",
            "release-1.2.3.4",
            "release-",
        ] {
            assert!(!valid_branch(bad), "{bad}");
        }
    }

    #[test]
    fn repository_names_that_are_paths_or_too_long_are_refused() {
        let long = "a".repeat(101);
        for (repo, message) in [
            ("a/..", "`a/..` is not `owner/name`: `..` starts with `.`"),
            ("a/.", "`a/.` is not `owner/name`: `.` starts with `.`"),
            ("../b", "`../b` is not `owner/name`: `..` starts with `.`"),
            (
                "a/.hidden",
                "`a/.hidden` is not `owner/name`: `.hidden` starts with `.`",
            ),
            (
                "a/b c",
                "`a/b c` is not `owner/name`: `b c` may hold only letters, digits, `-`, `_` and `.`",
            ),
            (
                "a/b?x=1",
                "`a/b?x=1` is not `owner/name`: `b?x=1` may hold only",
            ),
            (&format!("a/{long}"), "is longer than 100 characters"),
            (&format!("{long}/b"), "is longer than 100 characters"),
        ] {
            let (key, text) = only_problem(&format!("github:\n  repo: '{repo}'\n"));
            assert_eq!(key, "github.repo");
            assert!(text.contains(message), "{repo}: {text}");
        }
        let config = load_ok(&format!(
            "github:\n  repo: kubernetes-sigs/{}\n",
            "a.b_c-d".repeat(14)
        ));
        assert_eq!(config.github.owner, "kubernetes-sigs");
        assert_eq!(config.github.repo.len(), 98);
    }

    #[test]
    fn urls_with_credentials_are_refused_without_echoing_the_password() {
        for (key, url, shown) in [
            (
                "github.api_url",
                "http://alice:s3cret@host",
                "`http://***@host`",
            ),
            (
                "testgrid.url",
                "https://alice:s3cret@host:8443/x?y",
                "`https://***@host:8443/x?y`",
            ),
            (
                "testgrid.api_url",
                "https://s3cret@host",
                "`https://***@host`",
            ),
            (
                "schedule.url",
                "https://a:s3cret@b@host/schedule.yaml",
                "`https://***@host/schedule.yaml`",
            ),
            (
                "schedule.eol_url",
                "http:\\\\alice:s3cret@host\\eol.yaml",
                "`http:\\\\***@host\\eol.yaml`",
            ),
        ] {
            let (section, leaf) = key.split_once('.').unwrap();
            let yaml = format!("{section}:\n  {leaf}: '{url}'\n");
            let (found, message) = only_problem(&yaml);
            assert_eq!(found, key, "{url}");
            assert!(!message.contains("s3cret"), "{message}");
            assert!(message.starts_with(shown), "{url}: {message}");
            assert!(
                message.contains("credentials do not belong in a URL, where logs and check-config would show them: put the GitHub token in GITHUB_TOKEN or github.token_file"),
                "{message}"
            );
        }
        // Unparseable text is masked too.
        let (_, message) = only_problem("github:\n  api_url: 'http://alice:s3cret@ho st'\n");
        assert!(
            message.starts_with("`http://***@ho st` is not a URL"),
            "{message}"
        );
    }

    #[test]
    fn queries_and_fragments_are_refused_where_they_cannot_work() {
        for (key, url, message) in [
            (
                "github.api_url",
                "https://api.github.com?x=1",
                "has a `?` query; this is a root that paths are appended to",
            ),
            (
                "testgrid.url",
                "https://testgrid.k8s.io/?x",
                "has a `?` query",
            ),
            (
                "testgrid.api_url",
                "https://h/#top",
                "has a `#` fragment, which is never sent to the server",
            ),
            (
                "schedule.url",
                "https://h/schedule.yaml#x",
                "has a `#` fragment",
            ),
            (
                "schedule.eol_url",
                "https://h/eol.yaml#",
                "has a `#` fragment",
            ),
        ] {
            let (section, leaf) = key.split_once('.').unwrap();
            let (found, text) = only_problem(&format!("{section}:\n  {leaf}: '{url}'\n"));
            assert_eq!(found, key);
            assert!(text.starts_with(&format!("`{url}` {message}")), "{text}");
        }
        // A file may well be addressed with a query (a signed or cache-busting URL).
        let config =
            load_ok("schedule:\n  url: 'https://mirror/releases/schedule.yaml?ref=main'\n");
        assert_eq!(
            config.schedule.url,
            "https://mirror/releases/schedule.yaml?ref=main"
        );
        assert_eq!(config.schedule.eol_url, "https://mirror/releases/eol.yaml");
    }

    #[test]
    fn root_urls_lose_their_trailing_slash_and_eol_follows_a_mirrored_schedule() {
        let config = load_ok(
            "github:\n  api_url: https://ghe.example/api/v3/\nschedule:\n  url: http://127.0.0.1:1234/schedule.yaml\n",
        );
        assert_eq!(config.github.api_url, "https://ghe.example/api/v3");
        assert_eq!(config.schedule.eol_url, "http://127.0.0.1:1234/eol.yaml");
        let config = load_ok("schedule:\n  url: https://m/s.yaml\n  eol_url: https://n/e.yaml\n");
        assert_eq!(config.schedule.eol_url, "https://n/e.yaml");
    }

    #[test]
    fn bad_dashboards_are_reported_under_their_full_key() {
        for (yaml, key, message) in [
            (
                "testgrid:\n  dashboards: [a]\n",
                "testgrid.dashboards",
                "must be a mapping of keys",
            ),
            (
                "testgrid:\n  dashboards: sig-release\n",
                "testgrid.dashboards",
                "must be a mapping of keys",
            ),
            (
                "testgrid:\n  dashboards:\n    blocking: []\n",
                "testgrid.dashboards.blocking",
                "needs at least one template: the branch status comes from blocking dashboards",
            ),
            (
                "testgrid:\n  dashboards:\n    blocking: sig-release-{minor}-blocking\n",
                "testgrid.dashboards.blocking",
                "must be a list of strings",
            ),
            (
                "testgrid:\n  dashboards:\n    blocking:\n    - sig-release-{minor}-blocking\n    - fixed\n",
                "testgrid.dashboards.blocking[1]",
                "template `fixed` has no `{minor}` placeholder",
            ),
            (
                "testgrid:\n  dashboards:\n    informing:\n    - x-{minor}\n    - 5\n",
                "testgrid.dashboards.informing[1]",
                "must be a non-empty string",
            ),
            (
                "testgrid:\n  dashboards:\n    informing:\n    - x-{minor}\n    - {a: b}\n",
                "testgrid.dashboards.informing[1]",
                "must be a non-empty string",
            ),
            (
                "testgrid:\n  dashboards:\n    informing:\n    - x-{minor}\n    - ''\n",
                "testgrid.dashboards.informing[1]",
                "must be a non-empty string",
            ),
            (
                "testgrid:\n  dashboards:\n    blocking: [\"a-{minor}\", \"b-{minor}\", \"a-{minor}\"]\n",
                "testgrid.dashboards.blocking[2]",
                "`a-{minor}` is already listed at testgrid.dashboards.blocking[0]",
            ),
            (
                "testgrid:\n  dashboards:\n    blocking: [\"a-{minor}\", \"b-{minor}\"]\n    informing: [\"c-{minor}\", \"b-{minor}\"]\n",
                "testgrid.dashboards.informing[1]",
                "`b-{minor}` is already blocking (testgrid.dashboards.blocking[1]); a dashboard is either blocking or informing",
            ),
        ] {
            let (found, text) = only_problem(yaml);
            assert_eq!(found, key, "{yaml:?}: {text}");
            assert!(text.starts_with(message), "{yaml:?}: {text}");
        }
        // Indexes stay those of the document when an earlier item was refused.
        let keys: Vec<String> =
            problems("testgrid:\n  dashboards:\n    blocking: [7, \"a-{minor}\", fixed]\n")
                .into_iter()
                .map(|p| p.key)
                .collect();
        assert_eq!(
            keys,
            [
                "testgrid.dashboards.blocking[0]",
                "testgrid.dashboards.blocking[2]"
            ]
        );
        // No informing dashboards at all is a choice, not a mistake.
        let config = load_ok("testgrid:\n  dashboards:\n    informing: []\n");
        assert!(config.testgrid.informing_dashboards.is_empty());
    }

    #[test]
    fn a_byte_order_mark_is_not_a_second_document() {
        let config = load_ok("\u{feff}poll_interval: 1m\nbranches: [master]\n");
        assert_eq!(config.poll_interval, Duration::from_secs(60));
        assert_eq!(load_ok("\u{feff}"), load_ok(""));
    }

    #[test]
    fn token_comes_from_env_trimmed_and_is_never_printed() {
        let env = [("GITHUB_TOKEN", "ghp_supersecret123")];
        let config = Config::from_yaml("", "t", &env).unwrap();
        assert_eq!(config.github.token_text(), Some("ghp_supersecret123"));
        assert!(!config.to_redacted_yaml().contains("supersecret"));
        assert!(!format!("{config:?}").contains("supersecret"));
        for raw in [
            "ghp_supersecret123\n",
            "ghp_supersecret123\r\n",
            "  ghp_supersecret123\t",
        ] {
            let config = Config::from_yaml("", "t", &[("GITHUB_TOKEN", raw)]).unwrap();
            assert_eq!(
                config.github.token_text(),
                Some("ghp_supersecret123"),
                "{raw:?}"
            );
        }
        // Blank is unset, as empty is.
        let config = Config::from_yaml("", "t", &[("GITHUB_TOKEN", " \n")]).unwrap();
        assert!(config.github.token.is_none());
    }

    #[test]
    fn a_token_that_cannot_be_a_header_is_refused_without_printing_it() {
        for (raw, what) in [
            ("ghp_ABC\u{1}XYZ", "a control character at character 8"),
            ("ghp_ABC\nXYZ", "a control character at character 8"),
            ("ghp_ABC\u{7f}XYZ", "a control character at character 8"),
            ("ghp_ABC XYZ", "whitespace at character 8"),
            ("ghp_ABC\tXYZ", "a control character at character 8"),
            ("ghp_ÉABCXYZ", "a non-ASCII character at character 5"),
            ("ghp_ABC\u{a0}XYZ", "whitespace at character 8"),
        ] {
            let found = problems_with("", &[("GITHUB_TOKEN", raw)]);
            assert_eq!(found.len(), 1, "{raw:?}: {found:?}");
            assert_eq!(found[0].key, "GITHUB_TOKEN");
            assert_eq!(
                found[0].message,
                format!(
                    "the token contains {what}, which an HTTP header cannot carry; check how the secret was written (the token itself is not shown)"
                ),
                "{raw:?}"
            );
            let shown = ConfigError {
                origin: "t".into(),
                problems: found,
            }
            .to_string();
            assert!(!shown.contains("ghp_") && !shown.contains("XYZ"), "{shown}");
        }
    }

    #[test]
    fn token_file_is_read_trimmed_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        let yaml = format!("github:\n  token_file: '{}'\n", path.display());
        for content in [
            "ghp_fromfile\n",
            "\u{feff}ghp_fromfile\r\n",
            "  ghp_fromfile  ",
        ] {
            std::fs::write(&path, content).unwrap();
            let config = load_ok(&yaml);
            assert_eq!(
                config.github.token_text(),
                Some("ghp_fromfile"),
                "{content:?}"
            );
            assert_eq!(config.github.token_file.as_deref(), Some(path.as_path()));
        }
        // The file wins over the environment.
        let config = Config::from_yaml(&yaml, "t", &[("GITHUB_TOKEN", "ghp_env")]).unwrap();
        assert_eq!(config.github.token_text(), Some("ghp_fromfile"));

        for (content, message) in [
            (&b"\n \n"[..], format!("{} is empty", path.display())),
            (
                b"ghp_from\x1bfile",
                "the token contains a control character at character 9".to_string(),
            ),
            (
                b"ghp_\xff\xfe",
                format!("{} is not UTF-8 text", path.display()),
            ),
        ] {
            std::fs::write(&path, content).unwrap();
            let (key, text) = only_problem(&yaml);
            assert_eq!(key, "github.token_file");
            assert!(text.starts_with(&message), "{text}");
            assert!(!text.contains("ghp_"), "{text}");
        }
        // A file that does not exist is no token (an optional Secret not mounted yet); one
        // that cannot be read is a problem.
        let config = load_ok("github:\n  token_file: /nonexistent/token\n");
        assert!(config.github.token.is_none());
        let dir = tempfile::tempdir().unwrap();
        let (key, text) = only_problem(&format!(
            "github:\n  token_file: '{}'\n",
            dir.path().display()
        ));
        assert_eq!(key, "github.token_file");
        assert!(text.starts_with("cannot read "), "{text}");
    }

    #[test]
    fn a_huge_token_file_is_refused_without_reading_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("disk.img");
        // Sparse: 64 MiB on the metadata, nothing on the disk.
        std::fs::File::create(&path)
            .unwrap()
            .set_len(64 << 20)
            .unwrap();
        let (key, text) = only_problem(&format!("github:\n  token_file: '{}'\n", path.display()));
        assert_eq!(key, "github.token_file");
        assert_eq!(
            text,
            format!(
                "{} holds more than 64 KiB, and a token file holds one token: is this the right file?",
                path.display()
            )
        );
        // Just over the limit is over; at the limit is a (long) token.
        std::fs::write(&path, vec![b'a'; 64 * 1024 + 1]).unwrap();
        assert_eq!(
            only_problem(&format!("github:\n  token_file: '{}'\n", path.display())).0,
            "github.token_file"
        );
        std::fs::write(&path, vec![b'a'; 64 * 1024]).unwrap();
        load_ok(&format!("github:\n  token_file: '{}'\n", path.display()));
    }

    #[cfg(unix)]
    #[test]
    fn an_endless_token_file_is_read_only_up_to_the_limit() {
        // A device reports length 0, so only the bounded read stops this.
        let (key, text) = only_problem("github:\n  token_file: /dev/zero\n");
        assert_eq!(key, "github.token_file");
        assert!(text.contains("holds more than 64 KiB"), "{text}");
    }

    #[test]
    fn the_key_table_lists_each_section_and_key_once() {
        // Whether the readers read exactly these keys is checked by `Section::get` (a key read
        // but not listed) and by show's round trip with every key changed (a key listed but not
        // read).
        let mut sections: Vec<&str> = KEYS.iter().map(|(section, _)| *section).collect();
        sections.sort_unstable();
        sections.dedup();
        assert_eq!(sections.len(), KEYS.len(), "a section is listed twice");
        for (section, keys) in KEYS {
            let mut unique = keys.to_vec();
            unique.sort_unstable();
            unique.dedup();
            assert_eq!(
                unique.len(),
                keys.len(),
                "a key of `{section}` is listed twice"
            );
        }
    }

    #[test]
    fn mask_userinfo_hides_everything_before_the_last_at_of_the_authority() {
        for (text, masked) in [
            ("http://host/a@b", "http://host/a@b"),
            ("http://u:p@host/a@b", "http://***@host/a@b"),
            ("http://u:p@host?q@x", "http://***@host?q@x"),
            ("u:p@host", "u:***@host"),
            ("no scheme", "no scheme"),
            ("https://", "https://"),
        ] {
            assert_eq!(mask_userinfo(text), masked, "{text}");
        }
    }

    #[test]
    fn readiness_and_privacy_load_with_their_defaults_and_overrides_in_file_order() {
        let config = load_ok("");
        assert_eq!(config.readiness.min_runs_at_head, 1);
        assert!(config.readiness.tabs.is_empty());
        assert!(!config.privacy.embargo);
        let config = load_ok(
            "readiness:\n  min_runs_at_head: 2\n  tabs:\n    'serial': 3\n    '^gce-.*-scale': 4\n    '.*': 1\nprivacy:\n  embargo: true\n",
        );
        assert_eq!(config.readiness.min_runs_at_head, 2);
        assert_eq!(
            config.readiness.tabs,
            vec![
                ("serial".to_string(), 3),
                ("^gce-.*-scale".to_string(), 4),
                (".*".to_string(), 1)
            ]
        );
        assert!(config.privacy.embargo);
    }

    #[test]
    fn bad_readiness_and_privacy_values_name_their_key() {
        for (yaml, key, words) in [
            (
                "readiness:\n  min_runs_at_head: 0\n",
                "readiness.min_runs_at_head",
                "at least 1",
            ),
            (
                "readiness:\n  min_runs_at_head: 1000\n",
                "readiness.min_runs_at_head",
                "at most 100",
            ),
            (
                "readiness:\n  min_runs_at_head: two\n",
                "readiness.min_runs_at_head",
                "whole number",
            ),
            (
                "readiness:\n  tabs: [serial]\n",
                "readiness.tabs",
                "mapping",
            ),
            (
                "readiness:\n  tabs:\n    'serial(': 2\n",
                "readiness.tabs[\"serial(\"]",
                "not a valid regular expression",
            ),
            (
                "readiness:\n  tabs:\n    serial: 0\n",
                "readiness.tabs[\"serial\"]",
                "at least 1",
            ),
            (
                "privacy:\n  embargo: sometimes\n",
                "privacy.embargo",
                "true or false",
            ),
            ("privacy: true\n", "privacy", "mapping"),
        ] {
            let (found, message) = only_problem(yaml);
            assert_eq!(found, key, "{yaml:?}");
            assert!(message.contains(words), "{yaml:?}: {message}");
        }
    }
}
