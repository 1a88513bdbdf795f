//! The playbook on the demo's replay: what each condition, note, list and verdict looks like on
//! realistic Kubernetes data, and how they change as the scenario moves — a freeze, the approval
//! a release manager takes off during it, the release that ends it, a slow job catching up.

use branchwatch::{
    config::TestgridApi,
    demo::{Moment, Scenario},
    snapshot::{
        BranchReport, ChangeKind, Condition, NextAction, NoteState, PatchVersion, ReadinessBlocker,
        Snapshot,
    },
};

use crate::support::{NOW, config_for, metric_value, pinned_app, replay};

fn branch<'a>(snapshot: &'a Snapshot, name: &str) -> &'a BranchReport {
    snapshot.branch(name).expect("watched")
}

fn with_condition(branch: &BranchReport, condition: Condition) -> Vec<u64> {
    branch
        .pull_requests
        .iter()
        .filter(|pr| pr.conditions.contains(&condition))
        .map(|pr| pr.number)
        .collect()
}

#[tokio::test]
async fn the_demo_shows_every_playbook_check() {
    let upstream = replay(Moment::Calm).await;
    let app = pinned_app(config_for(&upstream, TestgridApi::V1));
    assert!(app.once().await.is_empty());
    let snapshot = app.snapshot();

    // An enhancement proposed for a patch release: its next step is an exception.
    let r137 = branch(&snapshot, "release-1.37");
    let enhancements = with_condition(r137, Condition::Enhancement);
    assert_eq!(enhancements.len(), 1);
    let feature = r137
        .pull_requests
        .iter()
        .find(|pr| pr.number == enhancements[0])
        .unwrap();
    assert!(feature.labels.iter().any(|l| l == "kind/feature"));
    assert_eq!(feature.next_action, NextAction::NeedsException);
    assert_eq!(r137.queue[&NextAction::NeedsException], 1);

    // A PR outside the v1.37 milestone; the milestone exists with a due date, v1.35's has none.
    assert_eq!(with_condition(r137, Condition::NotInMilestone).len(), 1);
    let milestone = r137.milestone.as_ref().unwrap();
    assert!(milestone.exists && milestone.due_on.is_some());
    let m135 = branch(&snapshot, "release-1.35")
        .milestone
        .as_ref()
        .unwrap();
    assert!(m135.exists && m135.due_on.is_none());

    // Manual picks (no parent) without lgtm/approved need the usual review.
    for name in [
        "release-1.34",
        "release-1.35",
        "release-1.36",
        "release-1.37",
    ] {
        let b = branch(&snapshot, name);
        let manual = with_condition(b, Condition::ManualCherryPick);
        assert!(!manual.is_empty(), "{name}");
        assert_eq!(manual, with_condition(b, Condition::NeedsReview), "{name}");
        assert!(
            with_condition(
                &branch(&snapshot, "master").clone(),
                Condition::ManualCherryPick
            )
            .is_empty()
        );
    }

    // Notes: automated picks show their parents' notes, some written from the user's side
    // ("Fixed a bug where ..."), some from the code's ("... (adds a nil check ...)"); a parent
    // claiming a note over a NONE block makes the pick miss its note.
    let notes: Vec<&str> = snapshot
        .branches
        .iter()
        .flat_map(|b| &b.pull_requests)
        .flat_map(|pr| &pr.release_notes)
        .filter_map(|n| n.text.as_deref())
        .collect();
    assert!(notes.iter().any(|n| n.starts_with("Fixed a bug where")));
    assert!(
        notes
            .iter()
            .any(|n| n.ends_with("(adds a nil check and a unit test)"))
    );
    let r134 = branch(&snapshot, "release-1.34");
    let none_over_label = r134
        .pull_requests
        .iter()
        .find(|pr| {
            pr.release_notes
                .iter()
                .any(|n| n.from_pr != pr.number && n.state == NoteState::None)
        })
        .expect("a pick whose parent's block says NONE");
    assert!(
        none_over_label
            .conditions
            .contains(&Condition::MissingReleaseNote)
    );

    // The notes preview: every merge since v1.34.12, with its kind and the note it will carry.
    let preview = r134.release_notes_preview.as_ref().unwrap();
    assert_eq!(preview.since_release, PatchVersion::new(1, 34, 12));
    assert!(preview.complete);
    assert!(!preview.merged.is_empty());
    assert!(preview.merged.iter().any(|m| m.kind == ChangeKind::Bug));
    assert!(preview.merged.iter().any(|m| m.kind == ChangeKind::Other));
    assert!(preview.merged.iter().all(|m| m.merged_at >= preview.since));
    let exposition = app.render_metrics().unwrap();
    assert_eq!(
        metric_value(
            &exposition,
            "branchwatch_merged_pull_requests_since_release{branch=\"release-1.34\"}"
        ),
        Some(preview.merged.len() as f64)
    );

    // release-1.36 is frozen for v1.36.8: its approved picks that are not ready are to be
    // un-approved; release-1.34's pick un-approved in its last freeze is still to be re-approved.
    let r136 = branch(&snapshot, "release-1.36");
    assert!(r136.release.as_ref().unwrap().freeze);
    let unapprove = &r136.freeze_worklist.to_unapprove;
    assert!(!unapprove.is_empty());
    for number in unapprove {
        let pr = r136
            .pull_requests
            .iter()
            .find(|p| p.number == *number)
            .unwrap();
        assert!(pr.conditions.contains(&Condition::CherryPickApproved));
        assert!(!pr.conditions.contains(&Condition::Ready));
    }
    assert_eq!(r134.freeze_worklist.to_reapprove.len(), 1);
    assert_eq!(
        r134.freeze_worklist.ended_by,
        Some(PatchVersion::new(1, 34, 12))
    );
    assert_eq!(
        r134.freeze_worklist.to_reapprove[0].removed_by.as_deref(),
        Some("dave-release")
    );

    // release-1.37's slow scale job has not run at HEAD yet: no-go, for that reason only.
    assert!(!r137.readiness.ready);
    assert_eq!(
        r137.readiness.blockers,
        vec![ReadinessBlocker::TabNotRunAtHead]
    );
    assert_eq!(
        metric_value(
            &exposition,
            "branchwatch_release_ready{branch=\"release-1.37\"}"
        ),
        Some(0.0)
    );
    assert_eq!(
        metric_value(
            &exposition,
            "branchwatch_release_readiness_blocker{branch=\"release-1.37\",reason=\"tab_not_run_at_head\"}"
        ),
        Some(1.0)
    );
}

#[tokio::test]
async fn a_freeze_a_release_that_ends_it_and_a_slow_tab_catching_up_play_out_in_order() {
    let upstream = replay(Moment::Calm).await;
    let app = pinned_app(config_for(&upstream, TestgridApi::V1));
    assert!(app.once().await.is_empty());
    let held = {
        let snapshot = app.snapshot();
        let r136 = branch(&snapshot, "release-1.36");
        assert!(r136.freeze_worklist.to_reapprove.is_empty());
        r136.pull_requests
            .iter()
            .find(|pr| pr.conditions.contains(&Condition::Held))
            .map(|pr| pr.number)
            .expect("a held, approved pick")
    };
    assert!(
        app.snapshot()
            .branch("release-1.36")
            .unwrap()
            .freeze_worklist
            .to_unapprove
            .contains(&held)
    );

    // The release manager takes the approval off; the slow job runs once at HEAD.
    upstream.pin(Scenario::pinned(NOW, Moment::SlowTabHalfway));
    app.once().await;
    let snapshot = app.snapshot();
    let r136 = branch(&snapshot, "release-1.36");
    assert!(
        !r136.freeze_worklist.to_unapprove.contains(&held),
        "no longer approved"
    );
    assert_eq!(
        branch(&snapshot, "release-1.37").readiness.blockers,
        vec![ReadinessBlocker::RunsAtHeadBelowMinimum],
        "one run of the two readiness.tabs asks of scale-performance"
    );

    // v1.36.8 is out: the freeze is over and the pick is to be re-approved; 1.37 is ready.
    upstream.clear_requests();
    upstream.pin(Scenario::pinned(NOW, Moment::FreezeEnded));
    assert!(app.once().await.is_empty());
    let snapshot = app.snapshot();
    let r136 = branch(&snapshot, "release-1.36");
    let release = r136.release.as_ref().unwrap();
    assert_eq!(release.last_release, Some(PatchVersion::new(1, 36, 8)));
    assert!(!release.freeze);
    assert!(r136.freeze_worklist.to_unapprove.is_empty());
    let reapprove: Vec<u64> = r136
        .freeze_worklist
        .to_reapprove
        .iter()
        .map(|r| r.number)
        .collect();
    assert_eq!(reapprove, vec![held]);
    assert_eq!(
        r136.freeze_worklist.ended_by,
        Some(PatchVersion::new(1, 36, 8))
    );
    assert!(
        upstream
            .requests()
            .iter()
            .any(|r| r == "github graphql LabelRemovals"),
        "a new freeze ended: the unapproved PRs' removals are read for it"
    );
    assert!(
        r136.release_notes_preview
            .as_ref()
            .unwrap()
            .merged
            .is_empty(),
        "nothing merged since v1.36.8"
    );
    let r137 = branch(&snapshot, "release-1.37");
    assert!(r137.readiness.ready, "{:?}", r137.readiness.blockers);
    let exposition = app.render_metrics().unwrap();
    assert_eq!(
        metric_value(
            &exposition,
            "branchwatch_release_ready{branch=\"release-1.37\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        metric_value(
            &exposition,
            &format!(
                "branchwatch_freeze_worklist{{branch=\"release-1.36\",pr=\"{held}\",action=\"reapprove\"}}"
            )
        ),
        Some(1.0)
    );
}
