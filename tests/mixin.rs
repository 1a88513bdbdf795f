//! Checks the monitoring mixin and the deploy manifests that ship next to the crate.
//!
//! - Every metric that a dashboard or an alert queries is one branchwatch exports
//!   (`branchwatch::metrics::METRIC_NAMES`): peers ship dashboards and alerts on names their
//!   exporter never emits, and nothing notices until the panel is empty at 2 a.m.
//! - Dashboards follow the grafana/dashboard-linter rules, alerts the monitoring-mixins rules
//!   (mixtool lint), both re-implemented here because those tools are Go binaries.
//! - `promtool check rules` and `promtool test rules` pass. promtool comes from Debian's
//!   `prometheus` package; without it these tests fail rather than skip.
//! - `deploy/` agrees with itself and with the alerts: ports, probes, rule groups, config keys.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value as Json;
use serde_yaml_ng::Value as Yaml;

// === repository helpers ===

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(relative: &str) -> String {
    let path = repo().join(relative);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
}

fn yaml(relative: &str) -> Yaml {
    serde_yaml_ng::from_str(&read(relative))
        .unwrap_or_else(|error| panic!("{relative} is not valid YAML: {error}"))
}

/// Files in a repository directory whose name ends with one of `extensions`, sorted.
fn files_in(relative_dir: &str, extensions: &[&str]) -> Vec<PathBuf> {
    let dir = repo().join(relative_dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("cannot list {}: {error}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| {
            path.is_file()
                && path
                    .file_name()
                    .and_then(|name| name.to_str())
                    .is_some_and(|name| extensions.iter().any(|ext| name.ends_with(ext)))
        })
        .collect();
    files.sort();
    files
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .and_then(|name| name.to_str())
        .expect("utf-8 file name")
        .to_string()
}

/// Walks a dotted path (`spec.template.spec.containers.0.ports`) through YAML mappings and
/// sequences; `Null` when something on the way is missing.
fn at<'a>(value: &'a Yaml, path: &str) -> &'a Yaml {
    static NULL: Yaml = Yaml::Null;
    let mut current = value;
    for part in path.split('.') {
        current = match (part.parse::<usize>(), current) {
            (Ok(index), Yaml::Sequence(items)) => items.get(index).unwrap_or(&NULL),
            (_, Yaml::Mapping(map)) => map.get(part).unwrap_or(&NULL),
            _ => &NULL,
        };
    }
    current
}

fn str_at<'a>(value: &'a Yaml, path: &str) -> &'a str {
    at(value, path)
        .as_str()
        .unwrap_or_else(|| panic!("`{path}` is not a string in {value:?}"))
}

fn seq_at<'a>(value: &'a Yaml, path: &str) -> &'a [Yaml] {
    at(value, path)
        .as_sequence()
        .map(Vec::as_slice)
        .unwrap_or_else(|| panic!("`{path}` is not a list"))
}

// === the contract ===

/// Alert names fixed by DESIGN.md.
const DESIGN_ALERTS: &[&str] = &[
    "ReleaseBranchRed",
    "ReleaseBranchStale",
    "PresubmitFailingBranchWide",
    "CherryPicksBlockedByBranchFailure",
    "PatchReleaseOverdue",
    "PatchReleaseTargetMissed",
    "CherryPickDeadlineApproaching",
    "BranchwatchSourceDown",
    "BranchwatchDown",
    "BranchwatchGitHubRateLimitLow",
];

/// Alerts that DESIGN.md asks for without naming them. `BranchwatchSourceStale`: "a source whose
/// last success is older than a few poll intervals is alerted on whatever `source_up` says".
const EXTRA_ALERTS: &[&str] = &["BranchwatchSourceStale"];

/// Every alert the rules file must define: the design's names plus the extra ones.
fn expected_alerts() -> impl Iterator<Item = &'static str> {
    DESIGN_ALERTS.iter().chain(EXTRA_ALERTS).copied()
}

/// Metrics that branchwatch no longer exports, with what replaces them. Nothing shipped next to
/// the crate may mention them, not even in a comment or a runbook.
const RETIRED_METRICS: &[(&str, &str)] = &[(
    "branchwatch_days_since_last_patch_release",
    "(time() - branchwatch_last_patch_release_timestamp_seconds) / 86400",
)];

/// Config keys listed in DESIGN.md. `testgrid.dashboards` holds the templates (`blocking`,
/// `informing`), so anything below it is accepted here and checked by `check-config`.
const DESIGN_CONFIG_KEYS: &[&str] = &[
    "listen",
    "poll_interval",
    "request_timeout",
    "github.api_url",
    "github.repo",
    "github.token_file",
    "testgrid.url",
    "testgrid.api_url",
    "testgrid.api",
    "testgrid.dashboards",
    "testgrid.stale_after",
    "schedule.url",
    "branches",
    "release_window.min",
    "release_window.max",
    "branch_wide.min_failing_prs",
    "branch_wide.min_failing_fraction",
    "branch_wide.failure_window",
];

const DASHBOARD_UIDS: &[&str] = &[
    "branchwatch-overview",
    "branchwatch-branch",
    "branchwatch-cherry-picks",
    "branchwatch-health",
];

const RULES_FILE: &str = "alerts/branchwatch.rules.yaml";
const RUNBOOK_FILE: &str = "alerts/runbook.md";
const RUNBOOK_URL_PREFIX: &str =
    "https://github.com/kubernetes-sigs/branchwatch/blob/main/alerts/runbook.md#";
const HTTP_PORT: u64 = 9850;

// === PromQL metric names ===

/// Keywords and modifiers that look like identifiers but are not metric names.
const PROMQL_KEYWORDS: &[&str] = &[
    "and",
    "or",
    "unless",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "offset",
    "atan2",
    "inf",
    "nan",
    "start",
    "end", // `@ start()` / `@ end()`
    // Aggregation operators, which may be followed by `by (...)` before their `(`.
    "sum",
    "min",
    "max",
    "avg",
    "group",
    "stddev",
    "stdvar",
    "count",
    "count_values",
    "bottomk",
    "topk",
    "quantile",
    "limitk",
    "limit_ratio",
];

/// Keywords followed by a parenthesised list of label names.
const PROMQL_LABEL_LIST_KEYWORDS: &[&str] = &[
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
];

/// A metric name referenced by a PromQL expression, and whether it is followed by a range
/// selector (`name[5m]`, `name{...}[$__rate_interval]`), which counters must be.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct MetricRef {
    name: String,
    ranged: bool,
}

/// Replaces string literals and `#` comments with spaces, so that label values, regexes and
/// prose never look like identifiers.
fn blank_strings_and_comments(expr: &str) -> Vec<char> {
    let chars: Vec<char> = expr.chars().collect();
    let mut out = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '"' || c == '\'' || c == '`' {
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != c {
                if chars[i] == '\\' && c != '`' {
                    out.push(' ');
                    i += 1;
                }
                if i < chars.len() {
                    out.push(' ');
                    i += 1;
                }
            }
            if i < chars.len() {
                out.push(' ');
                i += 1;
            }
        } else if c == '#' {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn skip_spaces(chars: &[char], mut i: usize) -> usize {
    while i < chars.len() && chars[i].is_whitespace() {
        i += 1;
    }
    i
}

/// Index just past the bracket that closes the one at `open`.
fn skip_group(chars: &[char], open: usize) -> usize {
    let (left, right) = match chars[open] {
        '(' => ('(', ')'),
        '{' => ('{', '}'),
        '[' => ('[', ']'),
        other => panic!("not an opening bracket: {other}"),
    };
    let mut depth = 0;
    let mut i = open;
    while i < chars.len() {
        if chars[i] == left {
            depth += 1;
        } else if chars[i] == right {
            depth -= 1;
            if depth == 0 {
                return i + 1;
            }
        }
        i += 1;
    }
    chars.len()
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == ':'
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == ':'
}

/// The metric names a PromQL expression selects: identifiers that are not functions (followed
/// by `(`), keywords, label names (inside `{}` or after `by`/`on`/...), durations, numbers,
/// strings, or Grafana variables (`$branch`, `${datasource}`, `$__rate_interval`).
fn promql_metric_refs(expr: &str) -> Vec<MetricRef> {
    let chars = blank_strings_and_comments(expr);
    let mut refs = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '{' || c == '[' {
            // Label matchers and range/subquery selectors hold no metric names.
            i = skip_group(&chars, i);
        } else if c == '$' {
            // Grafana variable: `$name` or `${name}`.
            i += 1;
            if i < chars.len() && chars[i] == '{' {
                i = skip_group(&chars, i);
            } else {
                while i < chars.len() && is_ident_char(chars[i]) {
                    i += 1;
                }
            }
        } else if c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            // Numbers, durations (5m, 1h30m), hex, exponents.
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || chars[i] == '.' || chars[i] == '_')
            {
                i += 1;
            }
        } else if is_ident_start(c) {
            let start = i;
            while i < chars.len() && is_ident_char(chars[i]) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let next = skip_spaces(&chars, i);
            let lower = word.to_ascii_lowercase();
            if PROMQL_LABEL_LIST_KEYWORDS.contains(&lower.as_str()) {
                if next < chars.len() && chars[next] == '(' {
                    i = skip_group(&chars, next);
                }
            } else if PROMQL_KEYWORDS.contains(&lower.as_str()) {
                // Nothing: the operator's arguments are scanned next.
            } else if next < chars.len() && chars[next] == '(' {
                // A function call.
            } else {
                let mut after = next;
                if after < chars.len() && chars[after] == '{' {
                    after = skip_spaces(&chars, skip_group(&chars, after));
                }
                let ranged = after < chars.len() && chars[after] == '[';
                refs.push(MetricRef { name: word, ranged });
            }
        } else {
            i += 1;
        }
    }
    refs
}

fn metric_names(expr: &str) -> BTreeSet<String> {
    promql_metric_refs(expr)
        .into_iter()
        .map(|r| r.name)
        .collect()
}

#[test]
fn promql_metric_extraction_skips_functions_keywords_labels_strings_and_variables() {
    let expr = r#"
        sum by (source, outcome) (rate(branchwatch_upstream_requests_total{outcome!~"ok|not_modified"}[$__rate_interval]))
        / on (source) group_left (version) max without (instance) (branchwatch_build_info)
        unless on (branch) (branchwatch_branch_end_of_life_timestamp_seconds{branch="$branch"} < time() - 48 * 3600)
        or label_replace(vector(1), "event", "up metric_in_string", "", "") # not_a_metric in a comment
        and topk(10, level:branchwatch_thing:rate5m offset 1h) > bool 1e3
    "#;
    let refs = promql_metric_refs(expr);
    assert_eq!(
        refs,
        vec![
            MetricRef {
                name: "branchwatch_upstream_requests_total".into(),
                ranged: true
            },
            MetricRef {
                name: "branchwatch_build_info".into(),
                ranged: false
            },
            MetricRef {
                name: "branchwatch_branch_end_of_life_timestamp_seconds".into(),
                ranged: false
            },
            MetricRef {
                name: "level:branchwatch_thing:rate5m".into(),
                ranged: false
            },
        ]
    );
}

// === alert rules ===

/// The rules file's rules, alerting and recording alike.
fn rules() -> Vec<Yaml> {
    let file = yaml(RULES_FILE);
    seq_at(&file, "groups")
        .iter()
        .flat_map(|group| seq_at(group, "rules").to_vec())
        .collect()
}

fn alerts() -> Vec<Yaml> {
    rules()
        .into_iter()
        .filter(|rule| !at(rule, "alert").is_null())
        .collect()
}

fn recording_rule_names() -> BTreeSet<String> {
    rules()
        .iter()
        .filter_map(|rule| at(rule, "record").as_str().map(str::to_string))
        .collect()
}

/// `^([A-Z]+[a-z0-9]+)+$`, mixtool's alert name rule.
fn is_camel_case(name: &str) -> bool {
    let chars: Vec<char> = name.chars().collect();
    let mut i = 0;
    if chars.is_empty() {
        return false;
    }
    while i < chars.len() {
        let upper_start = i;
        while i < chars.len() && chars[i].is_ascii_uppercase() {
            i += 1;
        }
        let lower_start = i;
        while i < chars.len() && (chars[i].is_ascii_lowercase() || chars[i].is_ascii_digit()) {
            i += 1;
        }
        if i == lower_start || lower_start == upper_start {
            return false;
        }
    }
    true
}

#[test]
fn camel_case_check_follows_mixtool() {
    assert!(is_camel_case("ReleaseBranchRed"));
    assert!(is_camel_case("BranchwatchGitHubRateLimitLow"));
    assert!(!is_camel_case("releaseBranchRed"));
    assert!(!is_camel_case("Release_Branch"));
    assert!(!is_camel_case("ReleaseBranchRED"));
}

#[test]
fn the_alert_file_defines_exactly_the_alerts_of_the_design() {
    let names: Vec<String> = alerts()
        .iter()
        .map(|a| str_at(a, "alert").to_string())
        .collect();
    let unique: BTreeSet<&str> = names.iter().map(String::as_str).collect();
    assert_eq!(
        unique.len(),
        names.len(),
        "an alert is defined twice: {names:?}"
    );
    let expected: BTreeSet<&str> = expected_alerts().collect();
    assert_eq!(
        unique, expected,
        "alerts differ from DESIGN.md (DESIGN_ALERTS plus EXTRA_ALERTS)"
    );
    assert!(
        DESIGN_ALERTS
            .iter()
            .all(|name| !EXTRA_ALERTS.contains(name)),
        "an alert is listed both in DESIGN_ALERTS and EXTRA_ALERTS"
    );
}

#[test]
fn alerts_follow_the_mixin_conventions() {
    let mut problems = Vec::new();
    for alert in alerts() {
        let name = str_at(&alert, "alert");
        if !is_camel_case(name) {
            problems.push(format!("{name}: not CamelCase"));
        }
        let severity = at(&alert, "labels.severity").as_str().unwrap_or("");
        if !["critical", "warning", "info"].contains(&severity) {
            problems.push(format!(
                "{name}: severity {severity:?} is not critical|warning|info"
            ));
        }
        let summary = at(&alert, "annotations.summary").as_str().unwrap_or("");
        if summary.contains("{{") || summary.contains('$') {
            problems.push(format!("{name}: summary must be static: {summary:?}"));
        }
        if !summary.starts_with(|c: char| c.is_uppercase()) || !summary.ends_with('.') {
            problems.push(format!(
                "{name}: summary must be a sentence with a capital and a full stop: {summary:?}"
            ));
        }
        if summary.trim_end_matches('.').contains(". ") {
            problems.push(format!("{name}: summary must be one sentence: {summary:?}"));
        }
        let description = at(&alert, "annotations.description").as_str().unwrap_or("");
        if !(description.contains("{{ $labels.") || description.contains("{{ $value")) {
            problems.push(format!(
                "{name}: description must be templated with $labels or $value"
            ));
        }
        let runbook = at(&alert, "annotations.runbook_url").as_str().unwrap_or("");
        if !runbook.starts_with(RUNBOOK_URL_PREFIX) {
            problems.push(format!(
                "{name}: runbook_url {runbook:?} must start with {RUNBOOK_URL_PREFIX}"
            ));
        }
        if at(&alert, "for").as_str().is_none() {
            problems.push(format!(
                "{name}: needs a `for` duration so a blip does not notify"
            ));
        }
        if at(&alert, "expr")
            .as_str()
            .is_none_or(|expr| expr.trim().is_empty())
        {
            problems.push(format!("{name}: empty expr"));
        }
    }
    assert!(
        problems.is_empty(),
        "alert lint problems:\n{}",
        problems.join("\n")
    );
}

#[test]
fn only_release_branch_red_pages() {
    for alert in alerts() {
        let name = str_at(&alert, "alert");
        let severity = str_at(&alert, "labels.severity");
        assert_eq!(
            severity == "critical",
            name == "ReleaseBranchRed",
            "{name} has severity {severity}: only ReleaseBranchRed pages (DESIGN.md)"
        );
    }
}

#[test]
fn alert_expressions_aggregate_away_the_replica_labels() {
    // Two replicas must not double-page: every alert aggregates with `by (...)` over the
    // object's labels (deploy/OPERATING.md), never keeping `instance` or `pod`.
    for alert in alerts() {
        let name = str_at(&alert, "alert");
        let expr = str_at(&alert, "expr");
        assert!(expr.contains(" by ("), "{name} does not aggregate: {expr}");
        for label in ["instance", "pod"] {
            assert!(!expr.contains(label), "{name} keeps `{label}`: {expr}");
        }
    }
}

/// `text` with every run of whitespace turned into one space.
fn squeeze_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn branch_alerts_are_suppressed_for_retired_branches_only() {
    // Retired = listed in eol.yaml. A branch only past the schedule's planned end of life is still
    // supported (its last cherry-picks are being prepared) and must still be alerted on, so no
    // alert may compare the end-of-life date with time().
    let suppression = "unless on (branch) (max by (branch) (branchwatch_branch_retired) == 1)";
    let file = yaml(RULES_FILE);
    let mut checked = 0;
    for group in seq_at(&file, "groups") {
        let group_name = str_at(group, "name");
        for rule in seq_at(group, "rules") {
            let Some(name) = at(rule, "alert").as_str() else {
                continue;
            };
            let expr = squeeze_whitespace(str_at(rule, "expr"));
            assert!(
                !metric_names(&expr).contains("branchwatch_branch_end_of_life_timestamp_seconds"),
                "{name}: suppress with branchwatch_branch_retired, not the end-of-life date: {expr}"
            );
            if ["branchwatch-branches", "branchwatch-patch-releases"].contains(&group_name) {
                assert!(
                    expr.ends_with(suppression),
                    "{name}: a branch alert must end with `{suppression}`: {expr}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 7, "only {checked} branch alerts found");
}

#[test]
fn nothing_shipped_mentions_a_retired_metric() {
    let mut files: Vec<PathBuf> = vec![repo().join(RUNBOOK_FILE), repo().join(RULES_FILE)];
    for dir in ["alerts/tests", "dashboards", BASE, "deploy/compose"] {
        files.extend(files_in(dir, &[".yaml", ".yml", ".json", ".md"]));
    }
    files.push(repo().join("deploy/OPERATING.md"));
    let mut problems = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
        for (metric, replacement) in RETIRED_METRICS {
            if text.contains(metric) {
                problems.push(format!(
                    "{}: mentions {metric}; use {replacement}",
                    path.display()
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    for (metric, _) in RETIRED_METRICS {
        assert!(
            !branchwatch::metrics::METRIC_NAMES.contains(metric),
            "{metric} is retired but still in METRIC_NAMES"
        );
    }
}

// === runbook ===

/// GitHub's heading anchors: lowercase, drop punctuation except `-` and `_`, spaces to `-`.
fn github_anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// Headings of a markdown file (outside code fences), level and text.
fn markdown_headings(text: &str) -> Vec<(usize, String)> {
    let mut in_fence = false;
    let mut headings = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        let level = line.chars().take_while(|c| *c == '#').count();
        if (1..=6).contains(&level) && line[level..].starts_with(' ') {
            headings.push((level, line[level..].trim().to_string()));
        }
    }
    headings
}

#[test]
fn github_anchors_follow_github_rules() {
    assert_eq!(github_anchor("ReleaseBranchRed"), "releasebranchred");
    assert_eq!(github_anchor("Alert Name: Foo Bar"), "alert-name-foo-bar");
    assert_eq!(github_anchor("What to do (now)?"), "what-to-do-now");
}

#[test]
fn every_runbook_url_points_at_a_heading_of_the_runbook() {
    let anchors: BTreeSet<String> = markdown_headings(&read(RUNBOOK_FILE))
        .iter()
        .map(|(_, text)| github_anchor(text))
        .collect();
    for alert in alerts() {
        let name = str_at(&alert, "alert");
        let url = str_at(&alert, "annotations.runbook_url");
        let anchor = url
            .strip_prefix(RUNBOOK_URL_PREFIX)
            .unwrap_or_else(|| panic!("{name}: bad runbook_url {url}"));
        assert!(
            anchors.contains(anchor),
            "{name}: no heading in {RUNBOOK_FILE} has anchor #{anchor}"
        );
        assert_eq!(
            anchor,
            github_anchor(name),
            "{name}: the runbook section should be named after the alert"
        );
    }
}

#[test]
fn the_runbook_has_one_complete_section_per_alert() {
    let text = read(RUNBOOK_FILE);
    let sections: Vec<String> = markdown_headings(&text)
        .into_iter()
        .filter(|(level, _)| *level == 2)
        .map(|(_, t)| t)
        .collect();
    let alerts: BTreeSet<String> = alerts()
        .iter()
        .map(|a| str_at(a, "alert").to_string())
        .collect();
    assert_eq!(
        sections.iter().cloned().collect::<BTreeSet<_>>(),
        alerts,
        "runbook sections != alerts"
    );
    // Each section says how to confirm, what to do and when to escalate.
    for (index, section) in sections.iter().enumerate() {
        let start = text
            .find(&format!("## {section}\n"))
            .expect("section heading");
        let end = sections
            .get(index + 1)
            .map(|next| text.find(&format!("## {next}\n")).expect("next heading"))
            .unwrap_or(text.len());
        let body = &text[start..end];
        for part in ["**Confirm**", "**Act", "**Escalate**", "**Severity**"] {
            assert!(
                body.contains(part),
                "runbook section {section} lacks {part}"
            );
        }
    }
}

// === promtool ===

fn promtool() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("promtool"))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!(
                "promtool is not on PATH. Install Debian's `prometheus` package \
                 (`apt-get install prometheus`, which ships /usr/bin/promtool) and run the tests again."
            )
        })
}

fn run_promtool(args: &[&str]) {
    let output = Command::new(promtool())
        .args(args)
        .current_dir(repo())
        .output()
        .expect("promtool runs");
    assert!(
        output.status.success(),
        "promtool {} failed ({}):\n{}\n{}",
        args.join(" "),
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn rule_test_files() -> Vec<String> {
    let files: Vec<String> = files_in("alerts/tests", &[".yaml", ".yml"])
        .iter()
        .map(|path| format!("alerts/tests/{}", file_name(path)))
        .collect();
    assert!(!files.is_empty(), "no promtool tests in alerts/tests");
    files
}

#[test]
fn promtool_check_rules_accepts_the_alert_file() {
    run_promtool(&["check", "rules", RULES_FILE]);
}

#[test]
fn promtool_unit_tests_of_the_alerts_pass() {
    let files = rule_test_files();
    let mut args = vec!["test", "rules"];
    args.extend(files.iter().map(String::as_str));
    run_promtool(&args);
}

#[test]
fn every_alert_is_tested_quiet_and_firing_with_its_runbook_url() {
    // alertname -> (cases expecting no alert, cases expecting alerts with a runbook_url)
    let mut cases: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for file in rule_test_files() {
        let doc = yaml(&file);
        for test in seq_at(&doc, "tests") {
            for case in at(test, "alert_rule_test")
                .as_sequence()
                .map(Vec::as_slice)
                .unwrap_or(&[])
            {
                let name = str_at(case, "alertname").to_string();
                let expected = at(case, "exp_alerts")
                    .as_sequence()
                    .map(Vec::as_slice)
                    .unwrap_or(&[]);
                let entry = cases.entry(name.clone()).or_default();
                if expected.is_empty() {
                    entry.0 += 1;
                } else {
                    for alert in expected {
                        assert!(
                            at(alert, "exp_annotations.runbook_url").as_str().is_some(),
                            "{file}: a firing case of {name} does not check runbook_url"
                        );
                    }
                    entry.1 += 1;
                }
            }
        }
    }
    for name in expected_alerts() {
        let (quiet, firing) = cases.get(name).copied().unwrap_or_default();
        // Quiet: before `for` and after resolution.
        assert!(
            quiet >= 2,
            "{name}: needs cases where it does not fire (before `for`, resolved), has {quiet}"
        );
        assert!(firing >= 1, "{name}: needs a case where it fires");
    }
}

// === dashboards ===

fn dashboards() -> Vec<(String, Json)> {
    files_in("dashboards", &[".json"])
        .into_iter()
        .map(|path| {
            let name = file_name(&path);
            let text = std::fs::read_to_string(&path).expect("dashboard readable");
            let json = serde_json::from_str(&text)
                .unwrap_or_else(|error| panic!("{name}: invalid JSON: {error}"));
            (name, json)
        })
        .collect()
}

/// Every panel, rows' nested panels included.
fn panels(dashboard: &Json) -> Vec<&Json> {
    let mut out = Vec::new();
    for panel in dashboard["panels"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
    {
        out.push(panel);
        for nested in panel["panels"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
            out.push(nested);
        }
    }
    out
}

fn is_row(panel: &Json) -> bool {
    panel["type"] == "row"
}

fn variables(dashboard: &Json) -> &[Json] {
    dashboard["templating"]["list"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// (panel title, expr) of every Prometheus target of a dashboard.
fn dashboard_exprs(dashboard: &Json) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for panel in panels(dashboard) {
        for target in panel["targets"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or(&[])
        {
            if let Some(expr) = target["expr"].as_str() {
                out.push((
                    panel["title"].as_str().unwrap_or("?").to_string(),
                    expr.to_string(),
                ));
            }
        }
    }
    out
}

/// The PromQL inside a query variable (`label_values(metric, label)` or a plain query).
fn variable_query(variable: &Json) -> Option<String> {
    if variable["type"] != "query" {
        return None;
    }
    let query = match &variable["query"] {
        Json::String(text) => text.clone(),
        other => other["query"].as_str()?.to_string(),
    };
    let inner = query
        .strip_prefix("label_values(")
        .and_then(|rest| rest.strip_suffix(')'))
        .map(|args| {
            args.rsplit_once(',')
                .map_or(args, |(selector, _label)| selector)
                .to_string()
        })
        .or_else(|| {
            query
                .strip_prefix("query_result(")
                .and_then(|r| r.strip_suffix(')'))
                .map(str::to_string)
        })
        .unwrap_or(query);
    Some(inner)
}

fn expected_datasource() -> Json {
    serde_json::json!({"type": "prometheus", "uid": "${datasource}"})
}

#[test]
fn there_are_the_four_dashboards_with_stable_uids_titles_and_tags() {
    let dashboards = dashboards();
    let uids: BTreeSet<&str> = dashboards
        .iter()
        .map(|(_, d)| d["uid"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        uids,
        DASHBOARD_UIDS.iter().copied().collect(),
        "dashboard uids changed: links would break"
    );
    for (name, dashboard) in &dashboards {
        let uid = dashboard["uid"].as_str().unwrap_or("");
        assert_eq!(
            name.as_str(),
            format!("{uid}.json"),
            "{name}: file name should be <uid>.json"
        );
        assert!(
            dashboard["title"].as_str().is_some_and(|t| !t.is_empty()),
            "{name}: no title"
        );
        assert_eq!(
            dashboard["editable"],
            Json::Bool(false),
            "{name}: the JSON in git is the source of truth"
        );
        let tags: Vec<&str> = dashboard["tags"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Json::as_str)
            .collect();
        assert!(
            tags.contains(&"branchwatch"),
            "{name}: needs the `branchwatch` tag, has {tags:?}"
        );
        assert!(
            dashboard["schemaVersion"].as_u64().is_some_and(|v| v >= 36),
            "{name}: old schemaVersion"
        );
        let ids: Vec<u64> = panels(dashboard)
            .iter()
            .filter_map(|p| p["id"].as_u64())
            .collect();
        assert_eq!(
            ids.len(),
            ids.iter().collect::<BTreeSet<_>>().len(),
            "{name}: duplicate panel ids"
        );
    }
}

#[test]
fn dashboards_query_prometheus_only_through_the_datasource_variable() {
    let expected = expected_datasource();
    for (name, dashboard) in dashboards() {
        let vars = variables(&dashboard);
        let datasource = vars
            .iter()
            .find(|v| v["name"] == "datasource")
            .unwrap_or_else(|| panic!("{name}: no `datasource` variable"));
        assert_eq!(
            datasource["type"], "datasource",
            "{name}: `datasource` must be a datasource variable"
        );
        assert_eq!(
            datasource["query"], "prometheus",
            "{name}: `datasource` must list Prometheus data sources"
        );
        assert_eq!(
            vars.iter().filter(|v| v["type"] == "datasource").count(),
            1,
            "{name}: one datasource variable"
        );
        for variable in vars.iter().filter(|v| v["type"] == "query") {
            assert_eq!(
                variable["datasource"], expected,
                "{name}: variable {} datasource",
                variable["name"]
            );
        }
        for panel in panels(&dashboard).into_iter().filter(|p| !is_row(p)) {
            let title = panel["title"].as_str().unwrap_or("?");
            assert_eq!(
                panel["datasource"], expected,
                "{name}: panel {title:?} datasource"
            );
            let targets = panel["targets"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            assert!(!targets.is_empty(), "{name}: panel {title:?} has no query");
            for target in targets {
                assert_eq!(
                    target["datasource"], expected,
                    "{name}: panel {title:?} target datasource"
                );
            }
        }
        // No hard-coded data source uid anywhere in panels or variables.
        let text =
            serde_json::to_string(&(dashboard["panels"].clone(), dashboard["templating"].clone()))
                .unwrap();
        let mut rest = text.as_str();
        while let Some(position) = rest.find("\"uid\":\"") {
            rest = &rest[position + 7..];
            let value = &rest[..rest.find('"').unwrap_or(rest.len())];
            assert_eq!(value, "${datasource}", "{name}: hard-coded uid {value:?}");
        }
    }
}

#[test]
fn every_dashboard_panel_has_a_description_and_a_unit() {
    let mut problems = Vec::new();
    for (name, dashboard) in dashboards() {
        for panel in panels(&dashboard).into_iter().filter(|p| !is_row(p)) {
            let title = panel["title"].as_str().unwrap_or("");
            if title.is_empty() {
                problems.push(format!("{name}: a panel has no title"));
            }
            if panel["description"].as_str().is_none_or(str::is_empty) {
                problems.push(format!("{name}: panel {title:?} has no description"));
            }
            if panel["fieldConfig"]["defaults"]["unit"]
                .as_str()
                .is_none_or(str::is_empty)
            {
                problems.push(format!("{name}: panel {title:?} has no unit"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "dashboard lint problems:\n{}",
        problems.join("\n")
    );
}

#[test]
fn every_dashboard_range_uses_rate_interval_and_counters_go_through_rate() {
    for (name, dashboard) in dashboards() {
        for (title, expr) in dashboard_exprs(&dashboard) {
            // Every range selector is [$__rate_interval] (dashboard-linter target-rate-interval-rule);
            // rate(), irate() and increase() need one, so they all use it.
            let mut rest = expr.as_str();
            while let Some(open) = rest.find('[') {
                let close = rest[open..]
                    .find(']')
                    .map(|c| open + c)
                    .expect("closed range");
                let range = &rest[open + 1..close];
                assert_eq!(
                    range, "$__rate_interval",
                    "{name}: panel {title:?} uses [{range}]: {expr}"
                );
                rest = &rest[close + 1..];
            }
            // Counters are only read through rate()/increase() (target-counter-agg-rule).
            for metric in promql_metric_refs(&expr) {
                if metric.name.ends_with("_total") {
                    assert!(
                        metric.ranged,
                        "{name}: panel {title:?} reads counter {} raw: {expr}",
                        metric.name
                    );
                }
            }
        }
    }
}

#[test]
fn dashboard_queries_use_only_defined_variables_and_job_consistently() {
    for (name, dashboard) in dashboards() {
        let defined: BTreeSet<String> = variables(&dashboard)
            .iter()
            .filter_map(|v| v["name"].as_str().map(str::to_string))
            .collect();
        let exprs = dashboard_exprs(&dashboard);
        for (title, expr) in &exprs {
            let chars: Vec<char> = expr.chars().collect();
            let mut i = 0;
            while i < chars.len() {
                if chars[i] == '$' {
                    let start = i + 1 + usize::from(chars.get(i + 1) == Some(&'{'));
                    let mut end = start;
                    while end < chars.len() && is_ident_char(chars[end]) {
                        end += 1;
                    }
                    let variable: String = chars[start..end].iter().collect();
                    assert!(
                        variable.starts_with("__") || defined.contains(&variable),
                        "{name}: panel {title:?} uses undefined variable ${variable}"
                    );
                    i = end;
                } else {
                    i += 1;
                }
            }
        }
        // A `job` variable is optional; when present every query must filter on it.
        if defined.contains("job") {
            for (title, expr) in &exprs {
                assert!(
                    expr.contains("$job"),
                    "{name}: panel {title:?} ignores the job variable: {expr}"
                );
            }
        }
    }
}

// === metric names ===

#[test]
fn every_metric_queried_by_dashboards_and_alerts_is_exported() {
    let exported: BTreeSet<&str> = branchwatch::metrics::METRIC_NAMES.iter().copied().collect();
    let recorded = recording_rule_names();
    let known =
        |metric: &str| metric == "up" || exported.contains(metric) || recorded.contains(metric);
    let mut unknown = Vec::new();
    let mut seen = BTreeSet::new();

    for rule in rules() {
        let name = at(&rule, "alert")
            .as_str()
            .or(at(&rule, "record").as_str())
            .unwrap_or("?")
            .to_string();
        for metric in metric_names(str_at(&rule, "expr")) {
            if !known(&metric) {
                unknown.push(format!("{RULES_FILE}: {name}: {metric}"));
            }
            seen.insert(metric);
        }
    }
    for (file, dashboard) in dashboards() {
        let mut exprs = dashboard_exprs(&dashboard);
        for variable in variables(&dashboard) {
            if let Some(query) = variable_query(variable) {
                exprs.push((format!("variable {}", variable["name"]), query));
            }
        }
        for (title, expr) in exprs {
            for metric in metric_names(&expr) {
                if !known(&metric) {
                    unknown.push(format!("{file}: {title}: {metric}"));
                }
                seen.insert(metric);
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "queried but not exported by branchwatch:\n{}",
        unknown.join("\n")
    );
    // Guard against an extractor that silently finds nothing.
    for metric in [
        "branchwatch_branch_status",
        "branchwatch_upstream_requests_total",
        "up",
    ] {
        assert!(seen.contains(metric), "extractor did not find {metric}");
    }
}

// === deploy ===

const BASE: &str = "deploy/base";

fn manifest(name: &str) -> Yaml {
    yaml(&format!("{BASE}/{name}"))
}

fn container(deployment: &Yaml) -> &Yaml {
    let containers = seq_at(deployment, "spec.template.spec.containers");
    containers
        .iter()
        .find(|c| at(c, "name").as_str() == Some("branchwatch"))
        .expect("a container named branchwatch")
}

fn labels(value: &Yaml) -> BTreeMap<String, String> {
    value
        .as_mapping()
        .map(|map| {
            map.iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

fn is_subset(selector: &BTreeMap<String, String>, labels: &BTreeMap<String, String>) -> bool {
    !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

#[test]
fn the_prometheus_rule_carries_the_alert_file_groups_verbatim() {
    let rule = manifest("prometheusrule.yaml");
    assert_eq!(str_at(&rule, "kind"), "PrometheusRule");
    assert_eq!(
        at(&rule, "spec.groups"),
        at(&yaml(RULES_FILE), "groups"),
        "deploy/base/prometheusrule.yaml spec.groups differs from {RULES_FILE}: copy the groups again"
    );
}

#[test]
fn deployment_service_and_service_monitor_agree_on_the_http_port() {
    let deployment = manifest("deployment.yaml");
    let service = manifest("service.yaml");
    let monitor = manifest("servicemonitor.yaml");

    let ports = seq_at(container(&deployment), "ports");
    let http = ports
        .iter()
        .find(|p| at(p, "name").as_str() == Some("http"))
        .expect("container port `http`");
    assert_eq!(at(http, "containerPort").as_u64(), Some(HTTP_PORT));

    let service_ports = seq_at(&service, "spec.ports");
    let service_http = service_ports
        .iter()
        .find(|p| at(p, "name").as_str() == Some("http"))
        .expect("service port `http`");
    assert_eq!(at(service_http, "port").as_u64(), Some(HTTP_PORT));
    let target = at(service_http, "targetPort");
    assert!(
        target.as_str() == Some("http") || target.as_u64() == Some(HTTP_PORT),
        "service targetPort must be `http` or {HTTP_PORT}: {target:?}"
    );

    let endpoints = seq_at(&monitor, "spec.endpoints");
    assert_eq!(endpoints.len(), 1);
    assert_eq!(str_at(&endpoints[0], "port"), "http");
    assert_eq!(str_at(&endpoints[0], "path"), "/metrics");
    assert_eq!(str_at(&endpoints[0], "interval"), "60s");

    // Selectors: Service -> pods, ServiceMonitor -> Service; the job label becomes "branchwatch",
    // the job name the alerts (up{job="branchwatch"}) and dashboards use.
    let pod_labels = labels(at(&deployment, "spec.template.metadata.labels"));
    assert!(
        is_subset(&labels(at(&service, "spec.selector")), &pod_labels),
        "service does not select the pods"
    );
    assert!(
        is_subset(
            &labels(at(&deployment, "spec.selector.matchLabels")),
            &pod_labels
        ),
        "deployment selector does not match its template"
    );
    let service_labels = labels(at(&service, "metadata.labels"));
    assert!(
        is_subset(
            &labels(at(&monitor, "spec.selector.matchLabels")),
            &service_labels
        ),
        "service monitor does not select the service"
    );
    let job_label = str_at(&monitor, "spec.jobLabel");
    assert_eq!(
        service_labels.get(job_label).map(String::as_str),
        Some("branchwatch"),
        "job would not be `branchwatch`"
    );
}

#[test]
fn probes_use_livez_and_readyz_on_the_http_port() {
    let deployment = manifest("deployment.yaml");
    let container = container(&deployment);
    for (probe, path) in [("livenessProbe", "/livez"), ("readinessProbe", "/readyz")] {
        assert_eq!(str_at(container, &format!("{probe}.httpGet.path")), path);
        let port = at(container, &format!("{probe}.httpGet.port"));
        assert!(
            port.as_str() == Some("http") || port.as_u64() == Some(HTTP_PORT),
            "{probe} port: {port:?}"
        );
    }
}

#[test]
fn the_deployment_security_context_is_restricted() {
    let deployment = manifest("deployment.yaml");
    let pod = at(&deployment, "spec.template.spec.securityContext");
    assert_eq!(at(pod, "runAsNonRoot").as_bool(), Some(true));
    assert_eq!(
        at(pod, "runAsUser").as_u64(),
        Some(65532),
        "distroless nonroot uid"
    );
    assert_eq!(str_at(pod, "seccompProfile.type"), "RuntimeDefault");
    let container = at(container(&deployment), "securityContext");
    assert_eq!(
        at(container, "readOnlyRootFilesystem").as_bool(),
        Some(true)
    );
    assert_eq!(
        at(container, "allowPrivilegeEscalation").as_bool(),
        Some(false)
    );
    let dropped: Vec<&str> = seq_at(container, "capabilities.drop")
        .iter()
        .filter_map(Yaml::as_str)
        .collect();
    assert_eq!(dropped, ["ALL"]);
    assert!(
        at(container, "capabilities.add").is_null(),
        "no capabilities may be added"
    );
    assert!(at(container, "privileged").as_bool() != Some(true));
    assert_eq!(
        at(
            &deployment,
            "spec.template.spec.terminationGracePeriodSeconds"
        )
        .as_u64(),
        Some(30)
    );
    for resource in [
        "requests.cpu",
        "requests.memory",
        "limits.cpu",
        "limits.memory",
    ] {
        assert!(
            !at(container_resources(&deployment), resource).is_null(),
            "resources.{resource} missing"
        );
    }
}

fn container_resources(deployment: &Yaml) -> &Yaml {
    at(container(deployment), "resources")
}

#[test]
fn the_deployment_reads_an_optional_token_secret_and_mounts_the_config() {
    let deployment = manifest("deployment.yaml");
    let container = container(&deployment);
    let env = seq_at(container, "env");
    let token = env
        .iter()
        .find(|e| at(e, "name").as_str() == Some("GITHUB_TOKEN"))
        .expect("GITHUB_TOKEN env");
    assert_eq!(
        str_at(token, "valueFrom.secretKeyRef.name"),
        "branchwatch-github"
    );
    assert_eq!(str_at(token, "valueFrom.secretKeyRef.key"), "token");
    assert_eq!(
        at(token, "valueFrom.secretKeyRef.optional").as_bool(),
        Some(true)
    );

    let args: Vec<&str> = seq_at(container, "args")
        .iter()
        .filter_map(Yaml::as_str)
        .collect();
    assert_eq!(args, ["serve", "--config", "/etc/branchwatch/config.yaml"]);
    let mount = seq_at(container, "volumeMounts")
        .iter()
        .find(|m| at(m, "mountPath").as_str() == Some("/etc/branchwatch"))
        .expect("config mounted at /etc/branchwatch");
    let volume_name = str_at(mount, "name");
    let volume = seq_at(&deployment, "spec.template.spec.volumes")
        .iter()
        .find(|v| at(v, "name").as_str() == Some(volume_name))
        .expect("config volume");
    assert_eq!(str_at(volume, "configMap.name"), "branchwatch-config");
    let configmap = manifest("configmap.yaml");
    assert_eq!(str_at(&configmap, "metadata.name"), "branchwatch-config");
}

#[test]
fn the_kustomization_lists_every_manifest_in_the_base() {
    let kustomization = manifest("kustomization.yaml");
    let listed: BTreeSet<String> = seq_at(&kustomization, "resources")
        .iter()
        .filter_map(|r| r.as_str().map(str::to_string))
        .collect();
    let present: BTreeSet<String> = files_in(BASE, &[".yaml", ".yml"])
        .iter()
        .map(|path| file_name(path))
        .filter(|name| name != "kustomization.yaml")
        .collect();
    assert_eq!(
        listed, present,
        "kustomization.yaml resources differ from the files in {BASE}"
    );
}

/// `config.yaml` of the ConfigMap.
fn shipped_config() -> String {
    let configmap = manifest("configmap.yaml");
    let data = at(&configmap, "data").as_mapping().expect("configmap data");
    data.get("config.yaml")
        .and_then(Yaml::as_str)
        .expect("data.config.yaml")
        .to_string()
}

/// Dotted keys of a config document, stopping at keys the design lists.
fn config_keys(value: &Yaml, prefix: &str, out: &mut Vec<String>) {
    let Some(map) = value.as_mapping() else {
        return;
    };
    for (key, child) in map {
        let key = key.as_str().expect("string keys");
        let path = if prefix.is_empty() {
            key.to_string()
        } else {
            format!("{prefix}.{key}")
        };
        if DESIGN_CONFIG_KEYS.contains(&path.as_str()) || !child.is_mapping() {
            out.push(path);
        } else {
            config_keys(child, &path, out);
        }
    }
}

#[test]
fn the_configmap_uses_only_documented_config_keys() {
    let config: Yaml = serde_yaml_ng::from_str(&shipped_config()).expect("config.yaml is YAML");
    let mut keys = Vec::new();
    config_keys(&config, "", &mut keys);
    let unknown: Vec<&String> = keys
        .iter()
        .filter(|k| !DESIGN_CONFIG_KEYS.contains(&k.as_str()))
        .collect();
    assert!(unknown.is_empty(), "keys not in DESIGN.md: {unknown:?}");
    assert_eq!(str_at(&config, "listen"), format!("0.0.0.0:{HTTP_PORT}"));
    assert!(
        at(&config, "github.token").is_null(),
        "the token belongs in the Secret"
    );
}

#[test]
fn the_shipped_config_passes_check_config() {
    let Some(binary) = option_env!("CARGO_BIN_EXE_branchwatch") else {
        panic!("the `branchwatch` binary target is missing: cannot run `branchwatch check-config`");
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("config.yaml");
    std::fs::write(&path, shipped_config()).expect("write config");
    let output = Command::new(binary)
        .arg("check-config")
        .arg(&path)
        .env_remove("GITHUB_TOKEN")
        .output()
        .expect("branchwatch runs");
    assert!(
        output.status.success(),
        "branchwatch check-config rejects deploy/base/configmap.yaml:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn compose_prometheus_scrapes_branchwatch_on_9850_and_loads_the_rule_file() {
    let prometheus = yaml("deploy/compose/prometheus.yml");
    let job = seq_at(&prometheus, "scrape_configs")
        .iter()
        .find(|job| at(job, "job_name").as_str() == Some("branchwatch"))
        .expect("scrape job `branchwatch`");
    let targets: Vec<&str> = seq_at(job, "static_configs.0.targets")
        .iter()
        .filter_map(Yaml::as_str)
        .collect();
    assert_eq!(targets, [format!("branchwatch:{HTTP_PORT}")]);
    assert!(matches!(
        at(job, "metrics_path").as_str(),
        None | Some("/metrics")
    ));

    let compose = yaml("deploy/compose/docker-compose.yaml");
    let mounts: Vec<&str> = seq_at(&compose, "services.prometheus.volumes")
        .iter()
        .filter_map(Yaml::as_str)
        .collect();
    let rule_mount = mounts
        .iter()
        .find_map(|m| m.strip_prefix("../../alerts/branchwatch.rules.yaml:"))
        .expect("prometheus mounts ../../alerts/branchwatch.rules.yaml");
    let rule_path = rule_mount.trim_end_matches(":ro");
    let rule_files: Vec<&str> = seq_at(&prometheus, "rule_files")
        .iter()
        .filter_map(Yaml::as_str)
        .collect();
    assert_eq!(
        rule_files,
        [rule_path],
        "prometheus.yml must load the mounted rule file"
    );
    assert!(
        !seq_at(&prometheus, "alerting.alertmanagers").is_empty(),
        "prometheus must send alerts to alertmanager"
    );

    let command: Vec<&str> = seq_at(&compose, "services.branchwatch.command")
        .iter()
        .filter_map(Yaml::as_str)
        .collect();
    let listen = format!("0.0.0.0:{HTTP_PORT}");
    assert_eq!(command, ["demo", "--listen", listen.as_str()]);
    assert_eq!(
        str_at(&compose, "services.branchwatch.build.dockerfile"),
        "deploy/Dockerfile"
    );
    assert_eq!(
        str_at(&compose, "services.branchwatch.build.context"),
        "../.."
    );

    let grafana: Vec<&str> = seq_at(&compose, "services.grafana.volumes")
        .iter()
        .filter_map(Yaml::as_str)
        .collect();
    assert!(
        grafana.iter().any(|m| m.starts_with("../../dashboards:")),
        "grafana must mount ../../dashboards"
    );
    let datasources = yaml("deploy/compose/grafana/provisioning/datasources/prometheus.yaml");
    assert_eq!(str_at(&datasources, "datasources.0.uid"), "prometheus");
    assert_eq!(str_at(&datasources, "datasources.0.name"), "Prometheus");

    let alertmanager = yaml("deploy/compose/alertmanager.yml");
    let group_by: Vec<&str> = seq_at(&alertmanager, "route.group_by")
        .iter()
        .filter_map(Yaml::as_str)
        .collect();
    assert_eq!(group_by, ["alertname", "branch"]);
}

#[test]
fn the_dockerfile_builds_locked_and_runs_as_nonroot_on_distroless() {
    let dockerfile = read("deploy/Dockerfile");
    for needle in [
        "FROM rust:1-bookworm AS builder",
        "cargo build --release --locked",
        "FROM gcr.io/distroless/cc-debian12:nonroot",
        "USER nonroot",
        "EXPOSE 9850",
        "ENTRYPOINT [\"/usr/local/bin/branchwatch\"]",
        "CMD [\"serve\", \"--config\", \"/etc/branchwatch/config.yaml\"]",
    ] {
        assert!(
            dockerfile.contains(needle),
            "deploy/Dockerfile lacks `{needle}`"
        );
    }
}
