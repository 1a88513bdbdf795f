//! What the mixin checks share: reading the repository's own files, the contract DESIGN.md
//! fixes (alert names, config keys, dashboard UIDs), and PromQL metric-name extraction.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_yaml_ng::Value as Yaml;

// === repository helpers ===

pub(crate) fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub(crate) fn read(relative: &str) -> String {
    let path = repo().join(relative);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
}

pub(crate) fn yaml(relative: &str) -> Yaml {
    serde_yaml_ng::from_str(&read(relative))
        .unwrap_or_else(|error| panic!("{relative} is not valid YAML: {error}"))
}

/// Files in a repository directory whose name ends with one of `extensions`, sorted.
pub(crate) fn files_in(relative_dir: &str, extensions: &[&str]) -> Vec<PathBuf> {
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

pub(crate) fn file_name(path: &Path) -> String {
    path.file_name()
        .and_then(|name| name.to_str())
        .expect("utf-8 file name")
        .to_string()
}

/// Walks a dotted path (`spec.template.spec.containers.0.ports`) through YAML mappings and
/// sequences; `Null` when something on the way is missing.
pub(crate) fn at<'a>(value: &'a Yaml, path: &str) -> &'a Yaml {
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

pub(crate) fn str_at<'a>(value: &'a Yaml, path: &str) -> &'a str {
    at(value, path)
        .as_str()
        .unwrap_or_else(|| panic!("`{path}` is not a string in {value:?}"))
}

pub(crate) fn seq_at<'a>(value: &'a Yaml, path: &str) -> &'a [Yaml] {
    at(value, path)
        .as_sequence()
        .map(Vec::as_slice)
        .unwrap_or_else(|| panic!("`{path}` is not a list"))
}

// === the contract ===

/// Alert names fixed by DESIGN.md.
pub(crate) const DESIGN_ALERTS: &[&str] = &[
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
    // Second stage (the playbook).
    "PatchReleaseNotReady",
];

/// Alerts that DESIGN.md asks for without naming them. `BranchwatchSourceStale`: "a source whose
/// last success is older than a few poll intervals is alerted on whatever `source_up` says".
pub(crate) const EXTRA_ALERTS: &[&str] = &["BranchwatchSourceStale"];

/// Every alert the rules file must define: the design's names plus the extra ones.
pub(crate) fn expected_alerts() -> impl Iterator<Item = &'static str> {
    DESIGN_ALERTS.iter().chain(EXTRA_ALERTS).copied()
}

/// Metrics that branchwatch no longer exports, with what replaces them. Nothing shipped next to
/// the crate may mention them, not even in a comment or a runbook.
pub(crate) const RETIRED_METRICS: &[(&str, &str)] = &[(
    "branchwatch_days_since_last_patch_release",
    "(time() - branchwatch_last_patch_release_timestamp_seconds) / 86400",
)];

/// Config keys listed in DESIGN.md. `testgrid.dashboards` holds the templates (`blocking`,
/// `informing`), so anything below it is accepted here and checked by `check-config`.
pub(crate) const DESIGN_CONFIG_KEYS: &[&str] = &[
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
    "schedule.eol_url",
    // Second stage.
    "readiness.min_runs_at_head",
    "readiness.tabs",
    "privacy.embargo",
];

pub(crate) const DASHBOARD_UIDS: &[&str] = &[
    "branchwatch-overview",
    "branchwatch-branch",
    "branchwatch-cherry-picks",
    "branchwatch-health",
];

pub(crate) const RULES_FILE: &str = "alerts/branchwatch.rules.yaml";
pub(crate) const RUNBOOK_FILE: &str = "alerts/runbook.md";
pub(crate) const RUNBOOK_URL_PREFIX: &str =
    "https://github.com/kubernetes-sigs/branchwatch/blob/main/alerts/runbook.md#";
pub(crate) const HTTP_PORT: u64 = 9850;

// === PromQL metric names ===

/// Keywords and modifiers that look like identifiers but are not metric names.
pub(crate) const PROMQL_KEYWORDS: &[&str] = &[
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
pub(crate) const PROMQL_LABEL_LIST_KEYWORDS: &[&str] = &[
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
pub(crate) struct MetricRef {
    pub(crate) name: String,
    pub(crate) ranged: bool,
}

/// Replaces string literals and `#` comments with spaces, so that label values, regexes and
/// prose never look like identifiers.
pub(crate) fn blank_strings_and_comments(expr: &str) -> Vec<char> {
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

pub(crate) fn skip_spaces(chars: &[char], mut i: usize) -> usize {
    while i < chars.len() && chars[i].is_whitespace() {
        i += 1;
    }
    i
}

/// Index just past the bracket that closes the one at `open`.
pub(crate) fn skip_group(chars: &[char], open: usize) -> usize {
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

pub(crate) fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == ':'
}

pub(crate) fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == ':'
}

/// The metric names a PromQL expression selects: identifiers that are not functions (followed
/// by `(`), keywords, label names (inside `{}` or after `by`/`on`/...), durations, numbers,
/// strings, or Grafana variables (`$branch`, `${datasource}`, `$__rate_interval`).
pub(crate) fn promql_metric_refs(expr: &str) -> Vec<MetricRef> {
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

pub(crate) fn metric_names(expr: &str) -> BTreeSet<String> {
    promql_metric_refs(expr)
        .into_iter()
        .map(|r| r.name)
        .collect()
}

#[test]
pub(crate) fn promql_metric_extraction_skips_functions_keywords_labels_strings_and_variables() {
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
