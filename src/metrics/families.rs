//! The snapshot as gauge families, one function per area. A series exists exactly while its
//! object does (a closed PR, a removed tab or an unwatched branch takes its series along), and
//! state-like gauges are one-hot: every state exported, 1 for the current one.

use std::borrow::Cow;

use prometheus::proto::{Gauge, LabelPair, Metric, MetricFamily, MetricType};

use super::{
    BRANCH_STATUS, BRANCH_STATUS_SINCE, BUILD_INFO, CHERRY_PICK_DEADLINE, CHERRY_PICK_FREEZE,
    DASHBOARD_MISSING, Descriptor, END_OF_LIFE, FREEZE_WORKLIST, LAST_RELEASE,
    MERGED_SINCE_RELEASE, MILESTONE_DUE, NEXT_TARGET, PRESUBMIT_BRANCH_WIDE, PRESUBMIT_FAILING,
    PULL_REQUEST_CONDITION, PULL_REQUESTS, RATE_LIMIT_REMAINING, RATE_LIMIT_RESET,
    READINESS_BLOCKER, RELEASE_READY, RELEASE_WINDOW, RETIRED, SOURCE_LAST_SUCCESS,
    SOURCE_POLL_DURATION, SOURCE_UP, TAB_FAILING_TESTS, TAB_HEAD_GREEN, TAB_LAST_RUN,
    TAB_LAST_UPDATE, TAB_RUNS_AT_HEAD, TAB_STATUS, TARGET_MISSED,
};
use crate::snapshot::{
    BranchReport, BranchStatus, DashboardKind, ReadinessBlocker, Snapshot, TabStatus, WindowState,
};

/// Longest label value exported. Tab and context names come from upstream (a check run's name
/// from a workflow file a fork PR controls): a longer value is cut, with a hash of the whole so
/// that two long names stay two series.
const MAX_LABEL_BYTES: usize = 128;

/// `value`, or its first bytes (at a character boundary), `…` and 8 hex digits of its hash;
/// control characters (ESC, BEL...) become `�`, so that nobody's terminal runs them.
pub(super) fn label_value(value: &str) -> Cow<'_, str> {
    if value.chars().any(char::is_control) {
        let clean: String = value
            .chars()
            .map(|c| if c.is_control() { '\u{fffd}' } else { c })
            .collect();
        return Cow::Owned(label_value(&clean).into_owned());
    }
    if value.len() <= MAX_LABEL_BYTES {
        return Cow::Borrowed(value);
    }
    let mut cut = MAX_LABEL_BYTES - 12;
    while !value.is_char_boundary(cut) {
        cut -= 1;
    }
    // FNV-1a: stable across runs and builds, unlike the std hasher.
    let hash = value.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    Cow::Owned(format!("{}…{:08x}", &value[..cut], hash as u32))
}

/// Gauge samples of one family.
struct Family {
    descriptor: &'static Descriptor,
    metrics: Vec<Metric>,
}

impl Family {
    fn new(descriptor: &'static Descriptor) -> Family {
        Family {
            descriptor,
            metrics: Vec::new(),
        }
    }

    /// One sample; `values` in the order of the descriptor's label names.
    fn add(&mut self, values: &[&str], value: f64) {
        debug_assert_eq!(
            values.len(),
            self.descriptor.labels.len(),
            "{}",
            self.descriptor.name
        );
        let mut metric = Metric::default();
        metric.set_label(
            self.descriptor
                .labels
                .iter()
                .zip(values)
                .map(|(name, value)| {
                    let mut pair = LabelPair::default();
                    pair.set_name(name.to_string());
                    pair.set_value(label_value(value).into_owned());
                    pair
                })
                .collect(),
        );
        let mut gauge = Gauge::default();
        gauge.set_value(value);
        metric.set_gauge(gauge);
        self.metrics.push(metric);
    }

    fn flag(&mut self, values: &[&str], flag: bool) {
        self.add(values, if flag { 1.0 } else { 0.0 });
    }

    fn into_family(self) -> Option<MetricFamily> {
        if self.metrics.is_empty() {
            return None;
        }
        let mut family = MetricFamily::default();
        family.set_name(self.descriptor.name.to_string());
        family.set_help(self.descriptor.help.to_string());
        family.set_field_type(MetricType::GAUGE);
        family.set_metric(self.metrics);
        Some(family)
    }
}

/// Every gauge of the snapshot.
pub(super) fn snapshot_families(snapshot: &Snapshot) -> Vec<MetricFamily> {
    let mut families = Vec::new();
    branch_families(snapshot, &mut families);
    tab_families(snapshot, &mut families);
    pull_request_families(snapshot, &mut families);
    release_families(snapshot, &mut families);
    playbook_families(snapshot, &mut families);
    source_families(snapshot, &mut families);
    let mut build_info = Family::new(&BUILD_INFO);
    build_info.add(
        &[
            env!("CARGO_PKG_VERSION"),
            option_env!("BRANCHWATCH_REVISION").unwrap_or("unknown"),
        ],
        1.0,
    );
    families.push(build_info);
    families
        .into_iter()
        .filter_map(Family::into_family)
        .collect()
}

fn branch_families(snapshot: &Snapshot, out: &mut Vec<Family>) {
    let mut status = Family::new(&BRANCH_STATUS);
    let mut since = Family::new(&BRANCH_STATUS_SINCE);
    for branch in &snapshot.branches {
        for candidate in BranchStatus::ALL {
            status.flag(
                &[&branch.name, candidate.as_str()],
                candidate == branch.status,
            );
        }
        since.add(&[&branch.name], branch.status_since as f64);
    }
    out.extend([status, since]);
}

fn tab_families(snapshot: &Snapshot, out: &mut Vec<Family>) {
    let mut status = Family::new(&TAB_STATUS);
    let mut last_run = Family::new(&TAB_LAST_RUN);
    let mut last_update = Family::new(&TAB_LAST_UPDATE);
    let mut failing = Family::new(&TAB_FAILING_TESTS);
    let mut runs_at_head = Family::new(&TAB_RUNS_AT_HEAD);
    let mut head_green = Family::new(&TAB_HEAD_GREEN);
    let mut missing = Family::new(&DASHBOARD_MISSING);
    for branch in &snapshot.branches {
        for dashboard in &branch.dashboards {
            missing.flag(&[&branch.name, &dashboard.name], dashboard.missing);
            for tab in &dashboard.tabs {
                let labels = [
                    branch.name.as_str(),
                    dashboard.name.as_str(),
                    tab.name.as_str(),
                ];
                for candidate in TabStatus::ALL {
                    status.flag(
                        &[labels[0], labels[1], labels[2], candidate.as_str()],
                        candidate == tab.status,
                    );
                }
                if let Some(at) = tab.last_run {
                    last_run.add(&labels, at as f64);
                }
                if let Some(at) = tab.last_update {
                    last_update.add(&labels, at as f64);
                }
                failing.add(&labels, f64::from(tab.failing_tests));
                if dashboard.kind == DashboardKind::Blocking {
                    if let Some(runs) = tab.runs_at_head {
                        runs_at_head.add(&labels, f64::from(runs));
                    }
                    if let Some(green) = tab.head_green {
                        head_green.flag(&labels, green);
                    }
                }
            }
        }
    }
    out.extend([
        status,
        last_run,
        last_update,
        failing,
        runs_at_head,
        head_green,
        missing,
    ]);
}

fn pull_request_families(snapshot: &Snapshot, out: &mut Vec<Family>) {
    let mut counts = Family::new(&PULL_REQUESTS);
    let mut conditions = Family::new(&PULL_REQUEST_CONDITION);
    let mut presubmit_failing = Family::new(&PRESUBMIT_FAILING);
    let mut presubmit_wide = Family::new(&PRESUBMIT_BRANCH_WIDE);
    for branch in &snapshot.branches {
        if let Some(open) = branch.pull_request_counts.open {
            counts.add(&[&branch.name, "open"], f64::from(open));
        }
        for (condition, count) in &branch.pull_request_counts.by_condition {
            counts.add(&[&branch.name, condition.as_str()], f64::from(*count));
        }
        for pr in &branch.pull_requests {
            let number = pr.number.to_string();
            for condition in &pr.conditions {
                conditions.add(&[&branch.name, &number, condition.as_str()], 1.0);
            }
        }
        for presubmit in &branch.presubmits {
            let labels = [branch.name.as_str(), presubmit.context.as_str()];
            presubmit_failing.add(&labels, f64::from(presubmit.failing_prs));
            presubmit_wide.flag(&labels, presubmit.branch_wide);
        }
    }
    out.extend([counts, conditions, presubmit_failing, presubmit_wide]);
}

fn release_families(snapshot: &Snapshot, out: &mut Vec<Family>) {
    let mut last_release = Family::new(&LAST_RELEASE);
    let mut window = Family::new(&RELEASE_WINDOW);
    let mut next_target = Family::new(&NEXT_TARGET);
    let mut deadline = Family::new(&CHERRY_PICK_DEADLINE);
    let mut freeze = Family::new(&CHERRY_PICK_FREEZE);
    let mut missed = Family::new(&TARGET_MISSED);
    let mut end_of_life = Family::new(&END_OF_LIFE);
    let mut retired = Family::new(&RETIRED);
    for BranchReport { name, release, .. } in &snapshot.branches {
        let Some(release) = release else { continue };
        if let (Some(version), Some(at)) = (release.last_release, release.last_release_at) {
            last_release.add(&[name, &version.to_string()], at as f64);
        }
        if let Some(state) = release.window {
            for candidate in WindowState::ALL {
                window.flag(&[name, candidate.as_str()], candidate == state);
            }
        }
        if let (Some(version), Some(at)) = (release.next_target_version, release.next_target_at) {
            let version = version.to_string();
            next_target.add(&[name, &version], at as f64);
            if let Some(deadline_at) = release.cherry_pick_deadline_at {
                deadline.add(&[name, &version], deadline_at as f64);
            }
        }
        freeze.flag(&[name], release.freeze);
        missed.flag(&[name], release.target_missed);
        if let Some(at) = release.end_of_life_at {
            end_of_life.add(&[name], at as f64);
        }
        retired.flag(&[name], release.retired);
    }
    out.extend([
        last_release,
        window,
        next_target,
        deadline,
        freeze,
        missed,
        end_of_life,
        retired,
    ]);
}

fn playbook_families(snapshot: &Snapshot, out: &mut Vec<Family>) {
    let mut ready = Family::new(&RELEASE_READY);
    let mut blocker = Family::new(&READINESS_BLOCKER);
    let mut merged = Family::new(&MERGED_SINCE_RELEASE);
    let mut milestone_due = Family::new(&MILESTONE_DUE);
    let mut worklist = Family::new(&FREEZE_WORKLIST);
    for branch in &snapshot.branches {
        let name = branch.name.as_str();
        ready.flag(&[name], branch.readiness.ready);
        for reason in ReadinessBlocker::ALL {
            blocker.flag(
                &[name, reason.as_str()],
                branch.readiness.blockers.contains(&reason),
            );
        }
        if let Some(preview) = &branch.release_notes_preview {
            merged.add(&[name], preview.merged.len() as f64);
        }
        if let Some(milestone) = &branch.milestone {
            if let Some(due) = milestone.due_on.filter(|_| milestone.exists) {
                milestone_due.add(&[name, &milestone.title], due as f64);
            }
        }
        for pr in &branch.freeze_worklist.to_unapprove {
            worklist.add(&[name, &pr.to_string(), "unapprove"], 1.0);
        }
        for item in &branch.freeze_worklist.to_reapprove {
            worklist.add(&[name, &item.number.to_string(), "reapprove"], 1.0);
        }
    }
    out.extend([ready, blocker, merged, milestone_due, worklist]);
}

fn source_families(snapshot: &Snapshot, out: &mut Vec<Family>) {
    let mut up = Family::new(&SOURCE_UP);
    let mut last_success = Family::new(&SOURCE_LAST_SUCCESS);
    let mut duration = Family::new(&SOURCE_POLL_DURATION);
    for report in &snapshot.sources {
        let labels = [report.source.as_str()];
        up.flag(&labels, report.up);
        if let Some(at) = report.last_success {
            last_success.add(&labels, at as f64);
        }
        if let Some(seconds) = report.last_poll_duration_seconds {
            duration.add(&labels, seconds);
        }
    }
    let mut remaining = Family::new(&RATE_LIMIT_REMAINING);
    let mut reset = Family::new(&RATE_LIMIT_RESET);
    for limit in &snapshot.github_rate_limits {
        remaining.add(&[&limit.resource], limit.remaining as f64);
        if let Some(at) = limit.reset_at {
            reset.add(&[&limit.resource], at as f64);
        }
    }
    out.extend([up, last_success, duration, remaining, reset]);
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use std::collections::BTreeMap;

    use crate::snapshot::{
        Condition, DashboardReport, FreezeWorklist, MilestoneReport, NextAction, NotesPreview,
        PatchVersion, PrCounts, PresubmitReport, PullRequestReport, RateLimitReport,
        ReadinessReport, ReleaseReport, Source, SourceReport, TabReport,
    };

    /// A snapshot in which every family has at least one series.
    pub(crate) fn full_snapshot() -> Snapshot {
        let tab = |name: &str| TabReport {
            name: name.to_string(),
            status: TabStatus::Failing,
            last_run: Some(1_795_600_000),
            last_update: Some(1_795_600_100),
            latest_green: None,
            failing_tests: 2,
            top_failures: Vec::new(),
            message: String::new(),
            url: String::new(),
            runs_at_head: Some(2),
            head_green: Some(false),
        };
        let mut counts = PrCounts {
            open: Some(1),
            ..PrCounts::default()
        };
        counts.by_condition.insert(Condition::Ready, 1);
        Snapshot {
            generated_at: 1_795_608_000,
            branches: vec![BranchReport {
                name: "release-1.34".into(),
                status: BranchStatus::Red,
                status_since: 1_795_600_000,
                status_reason: String::new(),
                head: None,
                dashboards: vec![DashboardReport {
                    name: "sig-release-1.34-blocking".into(),
                    kind: DashboardKind::Blocking,
                    url: String::new(),
                    tabs: vec![tab("verify-1.34")],
                    error: None,
                    missing: false,
                }],
                pull_requests: vec![PullRequestReport {
                    number: 131201,
                    title: "t".into(),
                    url: String::new(),
                    author: None,
                    conditions: vec![Condition::Ready],
                    failing_contexts: Vec::new(),
                    parents: Vec::new(),
                    labels: Vec::new(),
                    milestone: None,
                    created_at: None,
                    updated_at: None,
                    next_action: NextAction::Ready,
                    release_notes: Vec::new(),
                }],
                pull_request_counts: counts,
                presubmits: vec![PresubmitReport {
                    context: "pull-kubernetes-verify".into(),
                    failing_prs: 1,
                    prs_with_result: 1,
                    counted_failures: 1,
                    branch_wide: false,
                    periodic_twin: None,
                }],
                release: Some(ReleaseReport {
                    last_release: Some(PatchVersion::new(1, 34, 3)),
                    last_release_at: Some(1_795_000_000),
                    days_since_last_release: Some(7),
                    window: Some(WindowState::TooSoon),
                    next_target_version: Some(PatchVersion::new(1, 34, 4)),
                    next_target_at: Some(1_796_000_000),
                    cherry_pick_deadline_at: Some(1_795_700_000),
                    end_of_life_at: Some(1_800_000_000),
                    ..ReleaseReport::default()
                }),
                queue: BTreeMap::new(),
                milestone: Some(MilestoneReport {
                    title: "v1.34".into(),
                    exists: true,
                    state: Some("open".into()),
                    due_on: Some(1_796_000_000),
                    url: None,
                }),
                readiness: ReadinessReport {
                    ready: false,
                    blockers: vec![ReadinessBlocker::BranchNotGreen],
                    ..ReadinessReport::default()
                },
                release_notes_preview: Some(NotesPreview {
                    since_release: PatchVersion::new(1, 34, 3),
                    since: 1_795_000_000,
                    complete: true,
                    merged: Vec::new(),
                }),
                freeze_worklist: FreezeWorklist {
                    to_unapprove: vec![131201],
                    ..FreezeWorklist::default()
                },
            }],
            sources: vec![SourceReport {
                source: Source::Github,
                up: true,
                last_success: Some(1_795_608_000),
                last_poll_duration_seconds: Some(0.5),
                last_error: None,
                error_kind: None,
                retry_at: None,
            }],
            github_rate_limits: vec![RateLimitReport {
                resource: "graphql".into(),
                remaining: 4990,
                reset_at: Some(1_795_610_000),
            }],
        }
    }

    #[test]
    fn long_label_values_are_cut_with_a_hash_that_keeps_them_apart() {
        let a = format!("{}a", "x".repeat(1 << 20));
        let b = format!("{}b", "x".repeat(1 << 20));
        let (la, lb) = (label_value(&a), label_value(&b));
        assert!(la.len() <= MAX_LABEL_BYTES);
        assert_ne!(la, lb);
        assert_eq!(label_value("kind-1.37"), "kind-1.37");
        let wide = "\u{20ac}".repeat(100);
        assert!(label_value(&wide).len() <= MAX_LABEL_BYTES);
        assert_eq!(label_value("a\u{1b}[31mb\u{7}"), "a\u{fffd}[31mb\u{fffd}");
    }

    #[test]
    fn one_hot_states_export_every_state_and_one_is_current() {
        let families = snapshot_families(&full_snapshot());
        let status = families
            .iter()
            .find(|f| f.name() == "branchwatch_branch_status")
            .unwrap();
        assert_eq!(status.get_metric().len(), BranchStatus::ALL.len());
        let ones = status
            .get_metric()
            .iter()
            .filter(|m| m.get_gauge().get_value() == 1.0)
            .count();
        assert_eq!(ones, 1);
    }

    #[test]
    fn a_branch_without_release_data_exports_no_release_series() {
        let mut snapshot = full_snapshot();
        snapshot.branches[0].release = None;
        let families = snapshot_families(&snapshot);
        assert!(
            families
                .iter()
                .all(|f| f.name() != "branchwatch_cherry_pick_freeze")
        );
    }
}
