//! The Grafana dashboards (grafana/dashboard-linter's rules, re-implemented), and every metric a
//! dashboard or an alert queries being one branchwatch exports: peers ship panels on names their
//! exporter never emits, and nothing notices until the panel is empty at 2 a.m.

use std::collections::BTreeSet;

use serde_json::Value as Json;

use crate::repo::*;
use crate::rules::{recording_rule_names, rules};

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
