//! A branch's patch release report: its minor's timing (see [`crate::k8s::timing`]) in the
//! snapshot's words.

use super::Inputs;
use crate::{
    k8s::{
        timing::{EndedFreeze, ReleaseWindow, release_timing},
        version::BranchKind,
    },
    snapshot::ReleaseReport,
};

/// The release timing of `branch`, and the freeze its last release ended; None for master, and
/// before any release data arrived.
pub(super) fn release_report(
    branch: &str,
    inputs: &Inputs,
    window: &ReleaseWindow,
    now: i64,
) -> Option<(ReleaseReport, Option<EndedFreeze>)> {
    let minor = BranchKind::parse(branch)?.minor()?;
    if inputs.releases.is_empty() && inputs.schedule.is_none() {
        return None;
    }
    let schedule = inputs.schedule.as_ref();
    let timing = release_timing(
        minor,
        &inputs.releases,
        schedule.and_then(|s| s.branch(minor)),
        schedule.map(|s| s.upcoming.as_slice()).unwrap_or(&[]),
        inputs.eol.as_ref().and_then(|eol| eol.retired(minor)),
        window,
        now,
    );
    let report = ReleaseReport {
        last_release: timing.last_release.map(|r| r.version),
        last_release_at: timing.last_release.map(|r| r.published_at),
        days_since_last_release: timing.days_since_last_release,
        window: timing.window,
        next_target_version: timing.next_target.map(|(v, _)| v),
        next_target_at: timing.next_target.map(|(_, at)| at),
        cherry_pick_deadline_at: timing.cherry_pick_deadline.map(|(_, at)| at),
        freeze: timing.freeze,
        target_missed: timing.target_missed,
        end_of_life_at: timing.end_of_life,
        retired: timing.retired,
        final_patch: timing.final_patch,
        past_planned_end_of_life: timing.past_planned_end_of_life,
        schedule_note: timing.schedule_note,
    };
    Some((report, timing.ended_freeze))
}
