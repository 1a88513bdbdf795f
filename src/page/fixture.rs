//! Snapshots built by hand for the page's tests: one branch at a time, each field set by the
//! test that cares about it.

use std::{collections::BTreeMap, time::Duration};

use super::PageContext;
use crate::snapshot::{
    BranchReport, BranchStatus, Condition, FreezeWorklist, NextAction, NoteState, PrCounts,
    PullRequestReport, ReadinessReport, ReleaseNoteReport, Snapshot,
};

/// 2026-11-25T12:00:00Z.
pub const NOW: i64 = 1_795_608_000;

/// Rendered at [`NOW`], polls every 5 minutes, the default window, no embargo.
pub fn context() -> PageContext {
    PageContext {
        now: NOW,
        poll_interval: Duration::from_secs(300),
        release_window: Default::default(),
        embargo: false,
    }
}

/// A branch with `status` since an hour ago and nothing else known.
pub fn branch(name: &str, status: BranchStatus) -> BranchReport {
    BranchReport {
        name: name.to_string(),
        status,
        status_since: NOW - 3600,
        status_reason: String::new(),
        head: None,
        dashboards: Vec::new(),
        pull_requests: Vec::new(),
        pull_request_counts: PrCounts::default(),
        presubmits: Vec::new(),
        release: None,
        queue: BTreeMap::new(),
        milestone: None,
        readiness: ReadinessReport::default(),
        release_notes_preview: None,
        freeze_worklist: FreezeWorklist::default(),
    }
}

/// An open PR of kubernetes/kubernetes opened three days ago, waiting for `action`.
pub fn pull(number: u64, title: &str, action: NextAction) -> PullRequestReport {
    PullRequestReport {
        number,
        title: title.to_string(),
        url: format!("https://github.com/kubernetes/kubernetes/pull/{number}"),
        author: Some("alice".to_string()),
        conditions: vec![Condition::CherryPickApproved],
        failing_contexts: Vec::new(),
        parents: Vec::new(),
        labels: vec!["kind/bug".to_string()],
        milestone: None,
        created_at: Some(NOW - 3 * 86_400),
        updated_at: Some(NOW - 3600),
        next_action: action,
        release_notes: vec![ReleaseNoteReport {
            from_pr: number,
            state: NoteState::Written,
            text: Some(format!("Fixed bug {number}.")),
        }],
    }
}

/// Adds `pulls` to `branch` with the queue and the open count they make.
pub fn with_pulls(mut branch: BranchReport, pulls: Vec<PullRequestReport>) -> BranchReport {
    branch.queue = NextAction::ALL.iter().map(|a| (*a, 0)).collect();
    for pull in &pulls {
        *branch.queue.entry(pull.next_action).or_default() += 1;
    }
    branch.pull_request_counts.open = Some(pulls.len() as u32);
    branch.pull_requests = pulls;
    branch
}

/// A snapshot of `branches` generated at [`NOW`], every source fresh.
pub fn snapshot(branches: Vec<BranchReport>) -> Snapshot {
    Snapshot {
        generated_at: NOW,
        branches,
        sources: crate::snapshot::Source::ALL
            .iter()
            .map(|source| crate::snapshot::SourceReport {
                source: *source,
                up: true,
                last_success: Some(NOW - 30),
                last_poll_duration_seconds: Some(0.5),
                last_error: None,
                error_kind: None,
                retry_at: None,
            })
            .collect(),
        github_rate_limits: Vec::new(),
    }
}
