//! The report as JSON for a bot: not the raw snapshot but the [`Report`](super::Report) — what
//! the meeting discusses, already judged (verdicts, risks, relative days), in a structure that
//! stays stable: `format` names its version (`branchwatch.report/v1`), fields are only ever
//! added within a version, enums are snake_case strings (TestGrid statuses as TestGrid spells
//! them), and every time is `{"unix", "utc", "days_from_now"}` (calendar days, UTC, from the day
//! of the report; negative in the past).
//!
//! ```text
//! format, generated_at, snapshot_at, embargo
//! sources[]:   source, up, last_success, error, error_kind, retry_at
//! branches[]:  name, status, status_since, status_reason,
//!   blocked_by:    failing_tabs[] {dashboard, tab, status, failing_tests, url},
//!                  branch_wide_presubmits[] {context, failing_prs, prs_with_result,
//!                                            periodic_twin {dashboard, tab, status, failing, url}}
//!   pull_requests: open, queue {next_action: count},
//!                  merged_since_release {since_release, since, complete,
//!                                        pull_requests[] {number, url, title, author, kind,
//!                                                         merged_at, release_notes[]}},
//!                  approved_waiting[], blocked_by_branch[]   (PR: number, url, title, next_action)
//!   release:       last_release, last_release_at, days_since_last_release, window,
//!                  next_target_version, next_target, cherry_pick_deadline, target_missed,
//!                  end_of_life, retired, final_patch, past_planned_end_of_life   (null: master)
//!   freeze:        on, to_unapprove[], to_reapprove[], ended_by
//!   readiness:     verdict (go | no_go | not_assessed), blockers[], head,
//!                  tabs[] {dashboard, tab, blocker, runs_at_head, required, url}
//!   risks[]:       kind, message, pull_requests[]
//! ```
//!
//! In embargo mode every `title`, `author` and note `text` is null. Strings are upstream text,
//! unescaped: a consumer that renders them escapes them for its own markup.

use super::Report;

/// The report as pretty-printed JSON, one trailing newline.
pub fn render(report: &Report) -> String {
    // Every field is a plain string, number, bool, list or string-keyed map: serialising
    // cannot fail.
    let mut text = serde_json::to_string_pretty(report)
        .unwrap_or_else(|error| serde_json::json!({ "error": error.to_string() }).to_string());
    text.push('\n');
    text
}
