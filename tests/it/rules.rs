//! The alert rules, their runbook and their promtool tests: the monitoring-mixins conventions
//! (mixtool lint, re-implemented: it is a Go binary), one runbook section per alert, and
//! `promtool check rules` / `promtool test rules` (Debian's `prometheus` package; without it these
//! tests fail rather than skip).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;

use serde_yaml_ng::Value as Yaml;

use crate::deploy::BASE;
use crate::repo::*;

// === alert rules ===

/// The rules file's rules, alerting and recording alike.
pub(crate) fn rules() -> Vec<Yaml> {
    let file = yaml(RULES_FILE);
    seq_at(&file, "groups")
        .iter()
        .flat_map(|group| seq_at(group, "rules").to_vec())
        .collect()
}

pub(crate) fn alerts() -> Vec<Yaml> {
    rules()
        .into_iter()
        .filter(|rule| !at(rule, "alert").is_null())
        .collect()
}

pub(crate) fn recording_rule_names() -> BTreeSet<String> {
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
