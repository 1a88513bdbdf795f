//! The replayed Kubernetes snapshot: master plus release-1.34 to release-1.37 with real-looking
//! TestGrid tabs, cherry-pick PRs with Prow statuses, a release history and a schedule — all a
//! deterministic function of the scenario clock, so tests can pin any moment.

use serde_json::{Value, json};

use crate::k8s::ci::TabStatus;

/// The scenario loops over this many seconds.
pub const LOOP_SECONDS: i64 = 600;
/// release-1.34's `verify` tab fails during this phase window (seconds into the loop).
pub(crate) const RED_WINDOW: (i64, i64) = (60, 360);
/// `pull-kubernetes-verify` fails on most release-1.34 PRs during this window.
pub(crate) const PRESUBMIT_WINDOW: (i64, i64) = (45, 360);
/// A release-1.36 scale tab is stale during this window.
pub(crate) const STALE_WINDOW: (i64, i64) = (180, 480);
/// release-1.36 is frozen for v1.36.8; at this phase its release manager takes
/// `cherry-pick-approved` off a held pick that cannot be ready in time.
pub(crate) const UNAPPROVE_AT: i64 = 180;
/// v1.36.8 is published at this phase, ending the freeze: the pick un-approved during it is to
/// be re-approved.
pub(crate) const RELEASE_AT: i64 = 420;
/// release-1.37's slow scale job, which needs two runs at HEAD (the demo's `readiness.tabs`).
pub const SLOW_TAB: &str = "gce-1.37-scale-performance-100";
/// Its runs at HEAD from these phases on: release-1.37 becomes ready at the last.
pub(crate) const SLOW_TAB_RUNS: [(i64, usize); 3] = [(0, 0), (150, 1), (300, 2)];
/// The held release-1.36 pick whose approval is taken off during the freeze (its index).
pub(crate) const UNAPPROVED_PICK: u64 = 3;

/// The branches the demo repository has open for development.
pub const BRANCHES: [&str; 5] = [
    "master",
    "release-1.34",
    "release-1.35",
    "release-1.36",
    "release-1.37",
];

/// Blocking tab names, as on `sig-release-master-blocking` (`{v}`: `master`/`1.37`, `{d}`: `master`/`1-37`).
const BLOCKING_TABS: [&str; 22] = [
    "Conformance - GCE - {v}",
    "build-{v}",
    "build-{v}-fast",
    "ci-kubernetes-unit-{d}",
    "ci-node-crio-conformance-{d}",
    "ci-node-e2e-{d}",
    "cmd-{v}",
    "conformance-ga-only-{v}",
    "gce-cos-alphafeatures-{v}",
    "gce-cos-default-{v}",
    "gce-cos-{v}-default",
    "gce-device-plugin-gpu-{v}",
    "gce-{v}-scale-performance-100",
    "gce-ubuntu-{v}-containerd",
    "integration-arm64-{v}",
    "integration-{v}",
    "kind-ipv6-{v}",
    "kind-{v}",
    "kind-{v}-beta-features",
    "sig-network-kind, loadbalancer-{v}",
    "skew-cluster-latest-kubectl-stable2-gce-{v}",
    "verify-{v}",
];

/// Informing tab names, as on `sig-release-master-informing`.
const INFORMING_TABS: [&str; 24] = [
    "Conformance - EC2 - {v}",
    "Conformance - EC2 - arm64 - {v}",
    "capz-windows-{v}",
    "ci-kind-dra-{d}",
    "ci-node-crio-dra-{d}",
    "ci-node-e2e-containerd-1-7-cos-dra-{d}",
    "ci-node-e2e-containerd-1-7-ubuntu-dra-{d}",
    "ci-node-e2e-containerd-2-0-cos-dra-{d}",
    "ci-node-e2e-containerd-2-0-ubuntu-dra-{d}",
    "ec2-{v}-scale-performance",
    "gce-cos-{v}-alpha-features",
    "gce-cos-{v}-serial",
    "gce-cos-{v}-slow",
    "gce-{v}-scale-correctness",
    "gce-{v}-scale-performance-5000",
    "kind-{v}-beta-enabled",
    "kind-{v}-beta-enabled-conformance",
    "kind-{v}-alpha-beta-features",
    "kind-{v}-alpha-beta-enabled",
    "kubeadm-kinder-{d}",
    "kubeadm-kinder-upgrade-{d}",
    "periodic-kubernetes-e2e-kind-kms-{d}",
    "gce-cos-reboot-{v}",
    "ci-crio-cgroupv2-node-e2e-conformance-{d}",
];

/// FNV-1a: a stable hash so the snapshot is the same on every run.
pub fn hash(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain([0xff]) {
            h ^= u64::from(byte);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// A 40-hex commit SHA derived from `seed`.
pub fn sha(seed: &str) -> String {
    format!(
        "{:016x}{:016x}{:08x}",
        hash(&[seed, "a"]),
        hash(&[seed, "b"]),
        hash(&[seed, "c"]) as u32
    )
}

/// The HEAD commit of a demo branch.
pub fn head(branch: &str) -> String {
    sha(&format!("head/{branch}"))
}

/// `1.37` for `release-1.37`, `master` for master.
fn version_of(branch: &str) -> &str {
    branch.strip_prefix("release-").unwrap_or(branch)
}

/// The dashboards of a branch: (name, is_blocking).
pub fn dashboards(branch: &str) -> [(String, bool); 2] {
    let v = version_of(branch);
    [
        (format!("sig-release-{v}-blocking"), true),
        (format!("sig-release-{v}-informing"), false),
    ]
}

/// Finds the branch and kind of a dashboard by name (also accepts TestGrid-normalised names).
pub fn dashboard_by_name(name: &str) -> Option<(&'static str, bool, String)> {
    let normalized = crate::sources::testgrid::model::normalize(name);
    BRANCHES.iter().find_map(|branch| {
        dashboards(branch)
            .into_iter()
            .find_map(|(dashboard, blocking)| {
                (dashboard == name
                    || crate::sources::testgrid::model::normalize(&dashboard) == normalized)
                    .then_some((*branch, blocking, dashboard))
            })
    })
}

/// One tab at one moment.
#[derive(Clone)]
pub struct Tab {
    /// Tab name.
    pub name: String,
    /// Status.
    pub status: TabStatus,
    /// Newest run start.
    pub last_run: i64,
    /// TestGrid's last update.
    pub last_update: i64,
    /// Short SHA of the newest green column, or None.
    pub latest_green: Option<String>,
    /// Failing rows: (name, fail count, first failure).
    pub failing: Vec<(String, u32, i64)>,
    /// Columns that tested HEAD.
    pub runs_at_head: usize,
    /// Minutes between runs.
    pub interval_minutes: i64,
    /// Alert text for stale tabs.
    pub alert: String,
}

fn in_window(phase: i64, window: (i64, i64)) -> bool {
    phase >= window.0 && phase < window.1
}

/// The tabs of `dashboard` of `branch` at `now`, `phase` seconds into the loop.
pub fn tabs(branch: &str, blocking: bool, dashboard: &str, now: i64, phase: i64) -> Vec<Tab> {
    let v = version_of(branch);
    let d = v.replace('.', "-");
    let templates: &[&str] = if blocking {
        &BLOCKING_TABS
    } else {
        &INFORMING_TABS
    };
    let head_short = &head(branch)[..9];
    let old_short = &sha(&format!("old/{branch}"))[..9];
    templates
        .iter()
        .map(|template| {
            let name = if v == "master" && template.starts_with("ci-kubernetes-unit") {
                "ci-kubernetes-unit".to_string()
            } else {
                template.replace("{v}", v).replace("{d}", &d)
            };
            let h = hash(&[dashboard, &name]);
            let interval_minutes = [30, 60, 120, 180, 360][(h % 5) as usize];
            let last_run = now - (h % (interval_minutes as u64 * 60)) as i64 - 300;
            let last_update = now - (h % 240) as i64 - 60;
            let mut runs_at_head = (h % 4) as usize + usize::from(interval_minutes <= 60);
            // release-1.37 is being prepared: every blocking job has run at HEAD but the slow
            // scale job, which gets there during the loop.
            let mut last_run = last_run;
            if branch == "release-1.37" && blocking {
                runs_at_head = if name == SLOW_TAB {
                    let (from, runs) = SLOW_TAB_RUNS
                        .iter()
                        .filter(|(from, _)| phase >= *from)
                        .copied()
                        .next_back()
                        .unwrap_or((0, 0));
                    // Each run at HEAD is a new column: the tab's newest run moves with it.
                    if runs > 0 {
                        last_run = now - phase + from;
                    }
                    runs
                } else {
                    runs_at_head.max(1)
                };
            }
            let mut tab = Tab {
                name: name.clone(),
                status: TabStatus::Passing,
                last_run,
                last_update,
                latest_green: Some(if runs_at_head > 0 || (branch == "release-1.37" && blocking) { head_short } else { old_short }.to_string()),
                failing: Vec::new(),
                runs_at_head,
                interval_minutes,
                alert: String::new(),
            };
            // Master's blocking board and the informing boards carry some flakes, as they do.
            let flaky = (v == "master" && name == "kind-master-beta-features")
                || (!blocking && h % 5 == 0);
            if flaky {
                tab.status = TabStatus::Flaky;
            }
            if !blocking && h % 11 == 3 {
                tab.status = TabStatus::Failing;
                tab.latest_green = None;
                tab.failing = vec![
                    ("Overall".to_string(), 4, now - 4 * interval_minutes * 60),
                    (
                        "Kubernetes e2e suite.[It] [sig-node] [DRA] kubelet must retry NodePrepareResources".to_string(),
                        4,
                        now - 4 * interval_minutes * 60,
                    ),
                ];
            }
            if branch == "release-1.34" && name == "verify-1.34" && in_window(phase, RED_WINDOW) {
                let streak = 3 + ((phase - RED_WINDOW.0) / 60) as u32;
                tab.status = TabStatus::Failing;
                tab.latest_green = Some(old_short.to_string());
                tab.failing = vec![
                    ("Overall".to_string(), streak, now - (phase - RED_WINDOW.0) - 3600),
                    (
                        "verify.govet-levee".to_string(),
                        streak,
                        now - (phase - RED_WINDOW.0) - 3600,
                    ),
                ];
            }
            if branch == "release-1.36"
                && name == "gce-1.36-scale-performance-100"
                && in_window(phase, STALE_WINDOW)
            {
                tab.status = TabStatus::Stale;
                tab.last_run = now - 30 * 3600;
                tab.alert = format!(
                    "latest column from {} (30h0m0s old)",
                    chrono::DateTime::from_timestamp(tab.last_run, 0)
                        .map(|t| t.format("%Y-%m-%d %H:%M:%S +0000 UTC").to_string())
                        .unwrap_or_default()
                );
            }
            tab
        })
        .collect()
}

fn tab_stats(tab: &Tab) -> String {
    match tab.status {
        TabStatus::Passing => {
            "Tab stats: 10 of 10 (100.0%) recent columns passed (7420 of 7420 or 100.0% cells)"
                .to_string()
        }
        TabStatus::Flaky => {
            "Tab stats: 8 of 10 (80.0%) recent columns passed (9981 of 9984 or 100.0% cells)"
                .to_string()
        }
        TabStatus::Failing => format!(
            "Tab stats: {} of 10 (0.0%) recent columns passed (251870 of 251880 or 100.0% cells)",
            0
        ),
        _ => "Tab stats: 10 of 10 (100.0%) recent columns passed (4120 of 4120 or 100.0% cells)"
            .to_string(),
    }
}

/// The legacy `/<dashboard>/summary` JSON object.
pub fn legacy_summary(dashboard: &str, tabs: &[Tab]) -> Value {
    let mut map = serde_json::Map::new();
    for tab in tabs {
        let tests: Vec<Value> = tab
            .failing
            .iter()
            .map(|(name, count, since)| {
                json!({
                    "display_name": name, "test_name": name, "fail_count": count,
                    "fail_timestamp": since, "pass_timestamp": since - tab.interval_minutes * 60,
                    "build_link": "", "build_url_text": "", "build_link_text": "",
                    "failure_message": "", "linked_bugs": [],
                    "fail_test_link": format!(" {}", name.replace(' ', "%20")),
                })
            })
            .collect();
        map.insert(
            tab.name.clone(),
            json!({
                "alert": tab.alert,
                "last_run_timestamp": tab.last_run,
                "last_update_timestamp": tab.last_update,
                "latest_green": tab.latest_green.clone().unwrap_or_else(|| "no recent greens".to_string()),
                "overall_status": tab.status.as_str(),
                "overall_status_icon": match tab.status {
                    TabStatus::Passing => "done",
                    TabStatus::Flaky => "remove_circle_outline",
                    TabStatus::Failing => "warning",
                    _ => "",
                },
                "status": tab_stats(tab),
                "tests": tests,
                "dashboard_name": dashboard,
                "bug_url": "https://github.com/kubernetes/kubernetes/issues/",
            }),
        );
    }
    Value::Object(map)
}

fn rfc3339(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_string())
}

/// The `/api/v1/dashboards/<d>/tab-summaries` JSON.
pub fn v1_summaries(dashboard: &str, tabs: &[Tab]) -> Value {
    let summaries: Vec<Value> = tabs
        .iter()
        .map(|tab| {
            let mut summary = json!({
                "dashboard_name": dashboard,
                "tab_name": tab.name,
                "overall_status": tab.status.as_str(),
                "detailed_status_message": tab_stats(tab),
                "last_run_timestamp": rfc3339(tab.last_run),
                "last_update_timestamp": rfc3339(tab.last_update),
                "latest_passing_build": tab.latest_green.clone().unwrap_or_else(|| "no recent greens".to_string()),
            });
            if !tab.failing.is_empty() {
                summary["failures_summary"] = json!({
                    "top_failing_tests": tab.failing.iter().map(|(name, count, since)| json!({
                        "display_name": name, "fail_count": count,
                        "pass_timestamp": rfc3339(since - tab.interval_minutes * 60),
                        "fail_timestamp": rfc3339(*since),
                    })).collect::<Vec<_>>(),
                    "failure_stats": {"num_failing_tests": tab.failing.len()},
                });
            }
            summary
        })
        .collect();
    json!({ "tab_summaries": summaries })
}

/// The `/api/v1/dashboards/<d>/tabs/<t>/headers` JSON: newest column first.
pub fn headers(branch: &str, tab: &Tab) -> Value {
    let head_short = &head(branch)[..9];
    let old_short = &sha(&format!("old/{branch}"))[..9];
    let running = hash(&[branch, &tab.name, "running"]) % 3 == 0;
    let mut columns = Vec::new();
    if running {
        columns.push(json!({
            "build": format!("{}", 1_990_000_000_000_000_000u64 + hash(&[&tab.name]) % 1_000_000),
            "started": rfc3339(tab.last_run + tab.interval_minutes * 60),
            "extra": [""],
        }));
    }
    for column in 0..10 {
        let commit = if column < tab.runs_at_head {
            head_short
        } else {
            old_short
        };
        columns.push(json!({
            "build": format!("{}", 1_980_000_000_000_000_000u64 + hash(&[&tab.name]) % 1_000_000 - column as u64 * 1000),
            "started": rfc3339(tab.last_run - column as i64 * tab.interval_minutes * 60),
            "extra": [commit],
        }));
    }
    json!({ "headers": columns })
}

// === GitHub ===

const FIXES: [&str; 14] = [
    "kubelet: fix panic when pod has no status",
    "Fix kube-proxy nftables cleanup on restart",
    "apiserver: avoid leaking watch goroutines on timeout",
    "scheduler: fix preemption with PodDisruptionBudget",
    "Bump golang.org/x/net to v0.38.0",
    "kubectl: fix describe for ephemeral containers",
    "Fix CSI volume expansion for ReadWriteMany volumes",
    "DRA: fix allocation of devices with shared counters",
    "kubeadm: fix upgrade with external etcd",
    "Fix race in endpointslice controller",
    "client-go: fix informer resync after a watch error",
    "Update Go to 1.24.9",
    "Fix job controller tracking of terminating pods",
    "node: restore cgroup v1 memory accounting",
];

const AUTHORS: [&str; 5] = [
    "alice-dev",
    "bob-k8s",
    "carol-sig-node",
    "dave-release",
    "erin-api",
];

/// Presubmit contexts Prow reports on release-branch PRs (plus EasyCLA and tide).
pub const CONTEXTS: [&str; 10] = [
    "pull-kubernetes-cmd",
    "pull-kubernetes-conformance-kind-ga-only-parallel",
    "pull-kubernetes-dependencies",
    "pull-kubernetes-e2e-gce",
    "pull-kubernetes-e2e-kind",
    "pull-kubernetes-integration",
    "pull-kubernetes-node-e2e-containerd",
    "pull-kubernetes-typecheck",
    "pull-kubernetes-unit",
    "pull-kubernetes-verify",
];

/// Prow's description: text, U+2001 padding to 140 characters, ` BaseSHA:<sha>`.
fn prow_description(text: &str, base: &str) -> String {
    let suffix = format!(" BaseSHA:{base}");
    let pad = 140usize.saturating_sub(text.chars().count() + suffix.len());
    format!("{text}{}{suffix}", "\u{2001}".repeat(pad))
}

/// A demo PR and what its parent looks like.
pub struct DemoPr {
    /// The PR as GraphQL returns it.
    pub node: Value,
    /// Parent PR number.
    pub parent: u64,
    /// Whether the parent merged.
    pub parent_merged: bool,
    /// Whether the parent has a release-note label.
    pub parent_note: bool,
    /// Its parent's release-note block says `NONE` while the label claims a note.
    pub parent_says_none: bool,
}

/// Whether the release manager has taken the held release-1.36 pick's approval off yet.
pub(crate) fn unapproved(phase: i64) -> bool {
    phase >= UNAPPROVE_AT
}

/// What the release notes say of a fix, from the user's side (what changes for them) and from the
/// code's side (what the patch does) — the difference the release manager judges.
fn notes_of(fix: &str) -> (String, String) {
    let subject = fix.split_once(": ").map(|(_, s)| s).unwrap_or(fix);
    (
        format!(
            "Fixed a bug where {}: clusters upgraded to this patch no longer hit it.",
            subject
                .trim_start_matches("fix ")
                .trim_start_matches("Fix ")
        ),
        format!("{fix} (adds a nil check and a unit test)"),
    )
}

/// The body of a PR merged into master, from the PR template: CRLF line ends, the comments kept,
/// `note` in the release-note block.
fn master_body(fix: &str, note: &str) -> String {
    [
        "<!--  Thanks for sending a pull request!  Here are some tips for you:",
        "1. If this is your first time, please read our contributor guidelines: https://git.k8s.io/community/contributors/guide/first-contribution.md",
        "-->",
        "",
        "#### What type of PR is this?",
        "/kind bug",
        "",
        "#### What this PR does / why we need it:",
        fix,
        "",
        "#### Does this PR introduce a user-facing change?",
        "<!--",
        "If no, just write \"NONE\" in the release-note block below.",
        "If yes, a release note is required:",
        "Enter your extended release note in the block below. If the PR requires additional action from users switching to the new release, include the string \"action required\".",
        "-->",
        "```release-note",
        note,
        "```",
        "",
        "#### Additional documentation e.g., KEPs (Kubernetes Enhancement Proposals), usage docs, etc.:",
        "",
        "<!--",
        "This section can be blank if this pull request does not require a release note.",
        "-->",
        "```docs",
        "",
        "```",
    ]
    .join("\r\n")
}

/// A PR merged into master that a demo cherry-pick names as its parent, as the
/// `ParentPullRequests` query answers it; None for a number no demo PR names.
pub fn parent_node(
    number: u64,
    anchor: i64,
    now: i64,
    phase: i64,
    counts: (Option<u64>, Option<u64>),
) -> Option<Value> {
    let (open, merged) = counts;
    let from_open = BRANCHES.iter().find_map(|b| {
        pull_requests(b, now, phase, open)
            .into_iter()
            .find(|pr| pr.parent == number)
            .map(|pr| {
                let fix = pr.node["title"]
                    .as_str()
                    .unwrap_or("")
                    .split_once(": ")
                    .map(|(_, f)| f.to_string())
                    .unwrap_or_default();
                let (user, code) = notes_of(&fix);
                let note = if pr.parent_says_none {
                    "NONE".to_string()
                } else if number % 2 == 0 {
                    user
                } else {
                    code
                };
                let mut labels = vec!["kind/bug", "sig/node", "lgtm", "approved", "cncf-cla: yes"];
                if pr.parent_note {
                    labels.push("release-note");
                } else {
                    labels.push("do-not-merge/release-note-label-needed");
                }
                (fix, note, pr.parent_merged, labels)
            })
    });
    let from_merged = || {
        BRANCHES.iter().find_map(|b| {
            merged_pull_requests(b, anchor, now, phase, merged)
                .into_iter()
                .find(|m| m.parent == Some(number))
                .map(|m| {
                    (
                        m.fix.clone(),
                        m.parent_note.clone(),
                        true,
                        m.parent_labels.clone(),
                    )
                })
        })
    };
    let (fix, note, merged_yet, labels) = from_open.or_else(from_merged)?;
    Some(json!({
        "number": number,
        "url": format!("https://github.com/kubernetes/kubernetes/pull/{number}"),
        "state": if merged_yet { "MERGED" } else { "OPEN" },
        "merged": merged_yet,
        "mergedAt": if merged_yet { json!("2026-10-01T10:00:00Z") } else { Value::Null },
        "baseRefName": "master",
        "body": master_body(&fix, &note),
        "labels": {"nodes": labels.iter().map(|l| json!({"name": l})).collect::<Vec<_>>()},
    }))
}

/// A PR merged into a release branch since its last patch release.
pub struct DemoMerged {
    /// The PR as the `MergedPullRequests` search returns it.
    pub node: Value,
    /// Unix seconds.
    pub merged_at: i64,
    /// Its parent on master (automated cherry-picks).
    pub parent: Option<u64>,
    fix: String,
    parent_note: String,
    parent_labels: Vec<&'static str>,
}

/// Unix seconds when the last patch release of `branch`'s minor was published.
pub fn last_release_at(branch: &str, anchor: i64, now: i64, phase: i64) -> Option<i64> {
    let minor = version_of(branch);
    release_history_at(anchor, now, phase)
        .into_iter()
        .filter(|(tag, _)| {
            tag.strip_prefix('v')
                .is_some_and(|t| t.starts_with(&format!("{minor}.")) && !t.contains('-'))
        })
        .map(|(_, published)| published)
        .max()
        .map(|published| published.min(now).max(anchor - 400 * 86400))
}

/// PRs merged into `branch` since its last patch release (`count` overrides the usual 3–5),
/// newest first: automated picks whose parents wrote their note from the user's side or the
/// code's side, a manual pick with its own note, and a cleanup whose parent has none.
pub fn merged_pull_requests(
    branch: &str,
    anchor: i64,
    now: i64,
    phase: i64,
    count: Option<u64>,
) -> Vec<DemoMerged> {
    if branch == "master" {
        return Vec::new();
    }
    let Some(since) = last_release_at(branch, anchor, now, phase) else {
        return Vec::new();
    };
    let branch_index = BRANCHES.iter().position(|b| *b == branch).unwrap_or(0) as u64;
    let count = count.unwrap_or(3 + hash(&[branch, "merged"]) % 3);
    let mut merged: Vec<DemoMerged> = (0..count)
        .filter_map(|k| {
            let merged_at = since + 3600 + (k as i64) * 7 * 3600;
            if merged_at >= now {
                return None;
            }
            let number = 130_400 + branch_index * 60 + k;
            let fix = FIXES[((branch_index * 3 + k) as usize) % FIXES.len()].to_string();
            let (user, code) = notes_of(&fix);
            let style = k % 4;
            let parent = (style != 2).then_some(129_000 + branch_index * 60 + k);
            let (title, body, head_ref, mut labels) = match parent {
                Some(parent) => (
                    format!("Automated cherry pick of #{parent}: {fix}"),
                    format!("Cherry pick of #{parent} on {branch}.\n\n#{parent}: {fix}\n\nFor details on the cherry pick process, see the [cherry pick requests](https://git.k8s.io/community/contributors/devel/sig-release/cherry-picks.md) page."),
                    format!("automated-cherry-pick-of-#{parent}-upstream-{branch}"),
                    vec!["cherry-pick-approved", "lgtm", "approved", "cncf-cla: yes", "release-note"],
                ),
                None => (
                    format!("[{branch}] {fix}"),
                    master_body(&fix, &user),
                    format!("manual-fix-{k}"),
                    vec!["cherry-pick-approved", "lgtm", "approved", "cncf-cla: yes", "release-note", "kind/bug"],
                ),
            };
            let (parent_note, parent_labels) = match style {
                0 => (user, vec!["kind/bug", "release-note", "lgtm", "approved"]),
                1 => (code, vec!["kind/regression", "release-note", "lgtm", "approved"]),
                // The manual pick carries its own note (in its body); no parent.
                2 => (String::new(), Vec::new()),
                _ => {
                    labels.retain(|l| *l != "release-note");
                    labels.push("release-note-none");
                    ("NONE".to_string(), vec!["kind/cleanup", "release-note-none", "lgtm", "approved"])
                }
            };
            Some(DemoMerged {
                node: json!({
                    "__typename": "PullRequest",
                    "number": number,
                    "title": title,
                    "url": format!("https://github.com/kubernetes/kubernetes/pull/{number}"),
                    "body": body,
                    "mergedAt": rfc3339(merged_at),
                    "baseRefName": branch,
                    "headRefName": head_ref,
                    "author": {"login": AUTHORS[((k + branch_index) % 5) as usize]},
                    "labels": {"nodes": labels.iter().map(|l| json!({"name": l})).collect::<Vec<_>>()},
                }),
                merged_at,
                parent,
                fix,
                parent_note,
                parent_labels,
            })
        })
        .collect();
    merged.sort_by_key(|m| std::cmp::Reverse(m.merged_at));
    merged
}

/// The label removals of a demo PR: release-1.36's held pick loses its approval during the
/// freeze (at [`UNAPPROVE_AT`]), release-1.34's lost it the day before its last release.
pub fn label_removals(number: u64, anchor: i64, now: i64, phase: i64) -> Vec<Value> {
    let held = |branch: &str| {
        pull_requests(branch, now, phase, None)
            .into_iter()
            .nth(UNAPPROVED_PICK as usize)
            .and_then(|pr| pr.node["number"].as_u64())
    };
    let at = if held("release-1.36") == Some(number) && unapproved(phase) {
        now - phase + UNAPPROVE_AT
    } else if held("release-1.34") == Some(number) {
        match last_release_at("release-1.34", anchor, now, phase) {
            Some(released) => released - 86_400,
            None => return Vec::new(),
        }
    } else {
        return Vec::new();
    };
    vec![
        json!({"__typename": "UnlabeledEvent", "createdAt": rfc3339(at - 7200), "actor": {"login": "k8s-ci-robot"}, "label": {"name": "needs-rebase"}}),
        json!({"__typename": "UnlabeledEvent", "createdAt": rfc3339(at), "actor": {"login": "dave-release"}, "label": {"name": "cherry-pick-approved"}}),
    ]
}

/// Open PRs of `branch` at `now` (`count` overrides the usual 7–12 per branch).
pub fn pull_requests(branch: &str, now: i64, phase: i64, count: Option<u64>) -> Vec<DemoPr> {
    let branch_index = BRANCHES.iter().position(|b| *b == branch).unwrap_or(0) as u64;
    let count = count.unwrap_or(if branch == "master" {
        12
    } else {
        7 + hash(&[branch]) % 4
    });
    let base = head(branch);
    (0..count)
        .map(|i| {
            let number = 131_200 + branch_index * 97 + i * 7;
            let parent = number - 2_900 - i * 13;
            let fix = FIXES[((branch_index + i) as usize) % FIXES.len()];
            let kind = i % 7;
            let automated = branch != "master" && kind != 2;
            let title = if branch == "master" {
                fix.to_string()
            } else if automated {
                format!("Automated cherry pick of #{parent}: {fix}")
            } else {
                format!("[{branch}] {fix}")
            };
            let body = if automated {
                format!("Cherry pick of #{parent} on {branch}.\n\n#{parent}: {fix}\n\nFor details on the cherry pick process, see the [cherry pick requests](https://git.k8s.io/community/contributors/devel/sig-release/cherry-picks.md) page.\n\n```release-note\n{fix}.\n```")
            } else {
                format!("#### What type of PR is this?\n/kind bug\n\n#### What this PR does / why we need it:\n{fix}.\n")
            };
            let head_ref = if automated {
                format!("automated-cherry-pick-of-#{parent}-upstream-{branch}")
            } else {
                format!("fix-{}", i)
            };
            let mut labels = vec!["kind/bug", "cncf-cla: yes", "priority/critical-urgent", "sig/node", "size/S"];
            let approved = ["lgtm", "approved"];
            match kind {
                0 => labels.extend(["do-not-merge/cherry-pick-not-approved", "release-note", "lgtm", "approved"]),
                1 => labels.extend(approved.into_iter().chain(["cherry-pick-approved", "release-note"])),
                2 => labels.extend(["do-not-merge/release-note-label-needed", "do-not-merge/cherry-pick-not-approved", "needs-priority"]),
                3 => labels.extend(["do-not-merge/hold", "cherry-pick-approved", "release-note", "lgtm"]),
                _ => labels.extend(approved.into_iter().chain(["cherry-pick-approved", "release-note"])),
            }
            if branch == "master" {
                labels.retain(|l| !l.contains("cherry-pick"));
            }
            // The release manager took the approval off during release-1.36's freeze, and during
            // release-1.34's last one (nobody has approved it again since).
            if i == UNAPPROVED_PICK
                && (branch == "release-1.34" || (branch == "release-1.36" && unapproved(phase)))
            {
                labels.retain(|l| *l != "cherry-pick-approved");
            }
            // A new feature proposed for a patch release: it needs an exception.
            if branch == "release-1.37" && i == 0 {
                labels.push("kind/feature");
            }
            if fix.starts_with("Bump") || fix.starts_with("Update Go") {
                labels.push("area/dependency");
            }
            let verify_broken = branch == "release-1.34" && in_window(phase, PRESUBMIT_WINDOW) && i % 4 != 3;
            let own_unit_failure = branch == "release-1.35" && i == 4;
            let contexts: Vec<Value> = CONTEXTS
                .iter()
                .map(|context| {
                    let (state, text) = if (*context == "pull-kubernetes-verify" && verify_broken)
                        || (*context == "pull-kubernetes-unit" && own_unit_failure)
                    {
                        ("FAILURE", "Job failed.")
                    } else if *context == "pull-kubernetes-e2e-gce" && i % 5 == 2 {
                        ("PENDING", "Job triggered.")
                    } else {
                        ("SUCCESS", "Job succeeded.")
                    };
                    let build = 1_990_000_000_000_000_000u64 + hash(&[branch, context, &i.to_string()]) % 10_000_000;
                    json!({
                        "__typename": "StatusContext",
                        "context": context,
                        "state": state,
                        "description": prow_description(text, &base),
                        "targetUrl": format!("https://prow.k8s.io/view/gs/kubernetes-ci-logs/pr-logs/pull/{number}/{context}/{build}/"),
                        "createdAt": rfc3339(now - 1800 - (i as i64) * 60),
                    })
                })
                .chain([
                    json!({"__typename": "StatusContext", "context": "EasyCLA", "state": "SUCCESS",
                        "description": "EasyCLA check passed. You are authorized to contribute.",
                        "targetUrl": "https://easycla.lfx.linuxfoundation.org/#/?version=2", "createdAt": rfc3339(now - 86400)}),
                    json!({"__typename": "StatusContext", "context": "tide", "state": "PENDING",
                        "description": "Not mergeable. Needs cherry-pick-approved label.",
                        "targetUrl": "https://prow.k8s.io/pr?query=is%3Apr+repo%3Akubernetes%2Fkubernetes", "createdAt": rfc3339(now - 600)}),
                ])
                .collect();
            let node = json!({
                "__typename": "PullRequest",
                "number": number,
                "title": title,
                "url": format!("https://github.com/kubernetes/kubernetes/pull/{number}"),
                "body": body,
                "isDraft": branch == "master" && i == 5,
                // release-1.34's un-approved pick is older than its last release's freeze.
                "createdAt": rfc3339(now - if branch == "release-1.34" && i == UNAPPROVED_PICK { 40 } else { (i as i64 + 1) * 2 } * 86400),
                "updatedAt": rfc3339(now - (i as i64 + 1) * 3600),
                "mergeable": if i == 6 { "CONFLICTING" } else { "MERGEABLE" },
                "baseRefName": branch,
                "headRefName": head_ref,
                "headRefOid": sha(&format!("pr/{number}")),
                "author": {"login": AUTHORS[(i % 5) as usize]},
                "milestone": if branch == "master" { json!({"title": "v1.38"}) } else if branch == "release-1.37" && i == 1 { Value::Null } else { json!({"title": format!("v{}", version_of(branch))}) },
                "labels": {"nodes": labels.iter().map(|l| json!({"name": l})).collect::<Vec<_>>()},
                "statusCheckRollup": {"contexts": {"nodes": contexts}},
            });
            DemoPr {
                node,
                parent,
                parent_merged: kind != 1,
                parent_note: kind != 2,
                parent_says_none: kind == 5,
            }
        })
        .collect()
}

/// The paths a demo PR changes: dependency bumps touch `go.mod`, `go.sum` and `vendor/`.
pub fn changed_files(pr: &DemoPr) -> Vec<String> {
    let title = pr.node["title"].as_str().unwrap_or("");
    if title.contains("Bump golang.org/x/net") {
        vec![
            "go.mod".into(),
            "go.sum".into(),
            "vendor/golang.org/x/net/http2/frame.go".into(),
            "vendor/modules.txt".into(),
        ]
    } else if title.contains("Update Go") {
        vec![
            "build/build-image/cross/VERSION".into(),
            "build/dependencies.yaml".into(),
            "staging/publishing/rules.yaml".into(),
        ]
    } else {
        let area = title
            .split(':')
            .next()
            .filter(|a| !a.contains(' '))
            .unwrap_or("controller");
        vec![
            format!("pkg/{area}/{area}.go"),
            format!("pkg/{area}/{area}_test.go"),
        ]
    }
}

/// `eol.yaml` of the demo: every minor before 1.34 is retired.
pub fn eol_yaml() -> String {
    let mut out = String::from(
        "# Use \"schedule-builder\" to maintain this file:\n# https://github.com/kubernetes/release/tree/master/cmd/schedule-builder\n---\nbranches:\n",
    );
    for (minor, final_patch, date) in [
        ("1.33", 13, "2026-06-28"),
        ("1.32", 13, "2026-02-28"),
        ("1.31", 14, "2025-11-11"),
        ("1.30", 14, "2025-07-15"),
    ] {
        out.push_str(&format!(
            "- endOfLifeDate: \"{date}\"\n  finalPatchRelease: {minor}.{final_patch}\n  release: \"{minor}\"\n"
        ));
    }
    out
}

/// Patch releases (version, days before `anchor`) per minor, newest last. Real cadence: roughly
/// monthly, with the demo's "now" landing in different parts of each branch's window.
pub fn release_history() -> Vec<(String, i64)> {
    let mut releases = Vec::new();
    for (minor, latest_patch, latest_age) in [
        ("1.33", 13, 180),
        ("1.34", 12, 27),
        ("1.35", 9, 34),
        ("1.36", 7, 20),
        ("1.37", 3, 12),
    ] {
        for patch in 0..=latest_patch {
            let age = latest_age + (latest_patch - patch) * 28;
            releases.push((format!("v{minor}.{patch}"), age));
        }
    }
    for (tag, age) in [
        ("v1.38.0-alpha.3", 9),
        ("v1.38.0-beta.0", 2),
        ("v1.37.0-rc.1", 100),
    ] {
        releases.push((tag.to_string(), age));
    }
    releases
}

/// Every release (tag, publish time), with v1.36.8 once the loop has published it.
pub fn release_history_at(anchor: i64, now: i64, phase: i64) -> Vec<(String, i64)> {
    let mut releases: Vec<(String, i64)> = release_history()
        .into_iter()
        .map(|(tag, age)| (tag, anchor - age * 86400 + 18 * 3600))
        .collect();
    if phase >= RELEASE_AT {
        releases.push(("v1.36.8".to_string(), now - phase + RELEASE_AT));
    }
    releases
}

fn date(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// The REST `GET /releases` page (one page: fewer than 100 releases).
pub fn releases_json(anchor: i64, now: i64, phase: i64) -> Value {
    let mut items: Vec<(i64, Value)> = release_history_at(anchor, now, phase)
        .into_iter()
        .enumerate()
        .map(|(index, (tag, published))| {
            let id = 190_000_000 + index as u64;
            (
                published,
                json!({
                    "url": format!("https://api.github.com/repos/kubernetes/kubernetes/releases/{id}"),
                    "html_url": format!("https://github.com/kubernetes/kubernetes/releases/tag/{tag}"),
                    "id": id, "node_id": format!("RE_kwDOAToIks4L{id}"),
                    "tag_name": tag, "target_commitish": "master", "name": tag,
                    "draft": false, "prerelease": tag.contains('-'),
                    "created_at": rfc3339(published - 9 * 3600), "published_at": rfc3339(published),
                    "assets": [], "body": "See [kubernetes-announce@](https://groups.google.com/forum/#!forum/kubernetes-announce).",
                }),
            )
        })
        .collect();
    items.sort_by_key(|(published, _)| std::cmp::Reverse(*published));
    Value::Array(items.into_iter().map(|(_, item)| item).collect())
}

/// The schedule.yaml of the demo, in schedule-builder's format (quoted dates, unquoted versions).
pub fn schedule_yaml(anchor: i64) -> String {
    let day = |offset: i64| date(anchor + offset * 86400);
    // (minor, next patch, deadline offset, target offset, EOL offset, release date offset)
    let rows = [
        ("1.37", "1.37.4", 13, 16, 430, -90),
        ("1.36", "1.36.8", -2, 1, 305, -215),
        ("1.35", "1.35.10", -5, -2, 95, -340),
        ("1.34", "1.34.13", 13, 16, 20, -455),
    ];
    let mut out = String::from(
        "# Use \"schedule-builder\" to maintain this file:\n# https://github.com/kubernetes/release/tree/master/cmd/schedule-builder\n---\nschedules:\n",
    );
    for (minor, next, deadline, target, eol, released) in rows {
        // The latest release, with the freeze that preceded it (its re-approvals come from there).
        let (latest, age) = release_history()
            .into_iter()
            .filter(|(tag, _)| tag.starts_with(&format!("v{minor}.")) && !tag.contains('-'))
            .min_by_key(|(_, age)| *age)
            .unwrap_or_default();
        let latest = latest.trim_start_matches('v').to_string();
        out.push_str(&format!(
            "- endOfLifeDate: \"{}\"\n  maintenanceModeStartDate: \"{}\"\n  next:\n    cherryPickDeadline: \"{}\"\n    release: {next}\n    targetDate: \"{}\"\n  previousPatches:\n  - cherryPickDeadline: \"{}\"\n    release: {latest}\n    targetDate: \"{}\"\n  - cherryPickDeadline: \"{}\"\n    release: {minor}.1\n    targetDate: \"{}\"\n  - release: {minor}.0\n    targetDate: \"{}\"\n  release: \"{minor}\"\n  releaseDate: \"{}\"\n",
            day(eol),
            day(eol - 60),
            day(deadline),
            day(target),
            day(-age - 3),
            day(-age),
            day(released + 18),
            day(released + 21),
            day(released),
            day(released),
        ));
    }
    out.push_str(&format!(
        "upcoming_releases:\n- cherryPickDeadline: \"{}\"\n  targetDate: \"{}\"\n- cherryPickDeadline: \"{}\"\n  targetDate: \"{}\"\n",
        day(13),
        day(16),
        day(41),
        day(44)
    ));
    out
}
