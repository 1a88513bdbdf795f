//! The report on hand-built snapshots: hostile upstream text, embargo, the playbook's fields
//! (readiness, notes preview, freeze worklist, milestone) and the calendar.

use std::collections::BTreeMap;

use super::*;
use crate::snapshot::{
    ContextState, DashboardReport, FailingContextReport, FreezeWorklist, MergedPullRequestReport,
    MilestoneReport, NotesPreview, PeriodicTwin, PrCounts, PresubmitReport, ReadinessReport,
    ReapprovalReport, ReleaseNoteReport, ReleaseReport, SourceReport, TabReadiness, TabReport,
};

/// 2026-11-25T12:00:00Z.
const NOW: i64 = 1_795_608_000;
const DAY: i64 = 86_400;
/// Midnight UTC of the report's day.
const TODAY: i64 = NOW - 12 * 3_600;

fn url(number: u64) -> String {
    format!("https://github.com/kubernetes/kubernetes/pull/{number}")
}

fn pr(number: u64, title: &str, conditions: &[Condition], next: NextAction) -> PullRequestReport {
    PullRequestReport {
        number,
        title: title.to_string(),
        url: url(number),
        author: Some("alice-dev".to_string()),
        conditions: conditions.to_vec(),
        failing_contexts: Vec::new(),
        parents: Vec::new(),
        labels: vec!["cherry-pick-approved".to_string()],
        milestone: Some("v1.34".to_string()),
        created_at: Some(NOW - 3 * DAY),
        updated_at: Some(NOW - DAY),
        next_action: next,
        release_notes: vec![ReleaseNoteReport {
            from_pr: number - 3000,
            state: NoteState::Written,
            text: Some("Fixed a panic in the kubelet.".to_string()),
        }],
    }
}

fn approved(number: u64, title: &str, next: NextAction) -> PullRequestReport {
    pr(number, title, &[Condition::CherryPickApproved], next)
}

fn tab(name: &str, status: TabStatus) -> TabReport {
    TabReport {
        name: name.to_string(),
        status,
        last_run: Some(NOW - 3_600),
        last_update: Some(NOW - 3_000),
        latest_green: None,
        failing_tests: if status.is_failing() { 3 } else { 0 },
        top_failures: Vec::new(),
        message: String::new(),
        url: format!("https://testgrid.k8s.io/sig-release-1.34-blocking#{name}"),
        runs_at_head: None,
        head_green: None,
    }
}

fn merged(number: u64, title: &str, kind: ChangeKind, note: NoteState) -> MergedPullRequestReport {
    MergedPullRequestReport {
        number,
        title: title.to_string(),
        url: url(number),
        author: Some("bob-k8s".to_string()),
        merged_at: NOW - 2 * DAY,
        kind,
        parents: vec![number - 3000],
        release_notes: vec![ReleaseNoteReport {
            from_pr: number - 3000,
            state: note,
            text: (note == NoteState::Written).then(|| "Fixed a leak.".to_string()),
        }],
    }
}

/// release-1.34, green for three hours, v1.34.12 out 26 days ago, v1.34.13 due 2026-12-12.
fn branch(prs: Vec<PullRequestReport>) -> BranchReport {
    let mut counts = PrCounts {
        open: Some(prs.len() as u32),
        ..PrCounts::default()
    };
    let mut queue: BTreeMap<NextAction, u32> = NextAction::ALL.iter().map(|a| (*a, 0)).collect();
    for pr in &prs {
        *queue.entry(pr.next_action).or_default() += 1;
        for condition in &pr.conditions {
            *counts.by_condition.entry(*condition).or_default() += 1;
        }
    }
    BranchReport {
        name: "release-1.34".to_string(),
        status: BranchStatus::Green,
        status_since: NOW - 3 * 3_600,
        status_reason: "all 2 blocking tabs with results passing".to_string(),
        head: Some("3f1c2e9a7b5d4c8e0f6a1b2c3d4e5f60718293a4".to_string()),
        dashboards: vec![DashboardReport {
            name: "sig-release-1.34-blocking".to_string(),
            kind: DashboardKind::Blocking,
            url: "https://testgrid.k8s.io/sig-release-1.34-blocking".to_string(),
            tabs: vec![
                tab("verify-1.34", TabStatus::Passing),
                tab("gce-1.34", TabStatus::Passing),
            ],
            error: None,
            missing: false,
        }],
        pull_requests: prs,
        pull_request_counts: counts,
        presubmits: Vec::new(),
        release: Some(ReleaseReport {
            last_release: Some(PatchVersion::new(1, 34, 12)),
            last_release_at: Some(TODAY - 26 * DAY + 10 * 3_600),
            days_since_last_release: Some(26),
            window: Some(WindowState::InWindow),
            next_target_version: Some(PatchVersion::new(1, 34, 13)),
            next_target_at: Some(TODAY + 17 * DAY),
            cherry_pick_deadline_at: Some(TODAY + 14 * DAY),
            end_of_life_at: Some(TODAY + 400 * DAY),
            ..ReleaseReport::default()
        }),
        queue,
        milestone: Some(MilestoneReport {
            title: "v1.34".to_string(),
            exists: true,
            state: Some("open".to_string()),
            due_on: Some(TODAY + 17 * DAY),
            url: Some("https://github.com/kubernetes/kubernetes/milestone/80".to_string()),
        }),
        readiness: ReadinessReport::default(),
        release_notes_preview: None,
        freeze_worklist: FreezeWorklist::default(),
    }
}

fn snapshot(branches: Vec<BranchReport>) -> Snapshot {
    Snapshot {
        generated_at: NOW,
        branches,
        sources: Source::ALL
            .iter()
            .map(|source| SourceReport {
                source: *source,
                up: true,
                last_success: Some(NOW),
                last_poll_duration_seconds: Some(0.2),
                last_error: None,
                error_kind: None,
                retry_at: None,
            })
            .collect(),
        github_rate_limits: Vec::new(),
    }
}

fn markdown_of(snapshot: &Snapshot, embargo: bool) -> String {
    render(snapshot, NOW, Format::Markdown, None, embargo).unwrap()
}

fn json_of(snapshot: &Snapshot, embargo: bool) -> serde_json::Value {
    serde_json::from_str(&render(snapshot, NOW, Format::Json, None, embargo).unwrap()).unwrap()
}

/// Characters that are markup wherever they stand, and that the report itself never writes
/// unescaped.
fn unescaped_markup(markdown: &str) -> Vec<(usize, char)> {
    let mut found = Vec::new();
    let mut previous = ' ';
    for (at, c) in markdown.char_indices() {
        if matches!(c, '<' | '>' | '&' | '$' | '|' | '~' | '_') && previous != '\\' {
            found.push((at, c));
        }
        previous = if previous == '\\' && c == '\\' {
            ' '
        } else {
            c
        };
    }
    found
}

/// The destinations of the links in `markdown` that are not http(s): every `](` not escaped
/// opens a destination.
fn non_http_links(markdown: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = markdown;
    while let Some(at) = rest.find("](") {
        let escaped = rest[..at].ends_with('\\') && !rest[..at].ends_with("\\\\");
        let destination: String = rest[at + 2..].chars().take_while(|c| *c != ')').collect();
        if !escaped && !destination.starts_with("https://") && !destination.starts_with("http://") {
            found.push(destination);
        }
        rest = &rest[at + 2..];
    }
    found
}

#[test]
fn hostile_upstream_strings_read_as_themselves_and_never_become_markup() {
    let img = "<img src=x onerror=alert(1)>";
    let link = "**bold** [link](javascript:x)";
    let mut blocked = approved(131_325, img, NextAction::BlockedByBranch);
    blocked.conditions.push(Condition::BlockedByBranchFailure);
    blocked.failing_contexts.push(FailingContextReport {
        context: "pull-kubernetes-verify".to_string(),
        state: ContextState::Failure,
        description: "<b>Job failed.</b>".to_string(),
        target_url: Some("javascript:alert(3)".to_string()),
        branch_wide: true,
    });
    blocked.labels.push("<script>alert(1)</script>".to_string());
    let mut sneaky = approved(131_332, link, NextAction::Ready);
    sneaky.url = "javascript:alert(2)".to_string();
    let mut branch = branch(vec![
        blocked,
        sneaky,
        approved(
            131_339,
            "a_b ~~gone~~ $x$ | &lt; `tick` \\ end",
            NextAction::Ready,
        ),
        approved(
            131_346,
            "\u{202E}evil\u{202C} line\nbreak\r# heading",
            NextAction::Held,
        ),
    ]);
    branch.status = BranchStatus::Red;
    branch.status_reason = "1 blocking tab failing: <script>alert(1)</script>".to_string();
    branch.dashboards[0].tabs.push(TabReport {
        url: "https://testgrid.k8s.io/sig-release-1.34-blocking#x) [y](javascript:z".to_string(),
        ..tab("[tab](javascript:x) <b>", TabStatus::Failing)
    });
    branch.presubmits.push(PresubmitReport {
        context: "pull-`kubernetes`-<verify>".to_string(),
        failing_prs: 3,
        prs_with_result: 4,
        counted_failures: 3,
        branch_wide: true,
        periodic_twin: Some(PeriodicTwin {
            dashboard: "sig-release-1.34-blocking".to_string(),
            tab: "**verify**".to_string(),
            status: TabStatus::Failing,
            failing: true,
            url: "data:text/html,<script>alert(1)</script>".to_string(),
        }),
    });
    branch.release.as_mut().unwrap().schedule_note =
        Some("<iframe src=x> [n](javascript:n)".into());
    branch.release_notes_preview = Some(NotesPreview {
        since_release: PatchVersion::new(1, 34, 12),
        since: NOW - 26 * DAY,
        complete: true,
        merged: vec![merged(131_200, img, ChangeKind::Bug, NoteState::Written)],
    });
    let mut snapshot = snapshot(vec![branch]);
    snapshot.sources[1].up = false;
    snapshot.sources[1].last_error = Some("<h1>502 Bad Gateway</h1> & [x](javascript:x)".into());

    let markdown = markdown_of(&snapshot, false);
    assert_eq!(unescaped_markup(&markdown), vec![], "{markdown}");
    assert_eq!(
        non_http_links(&markdown),
        Vec::<String>::new(),
        "{markdown}"
    );
    for raw in ["**bold**", "~~gone", "\u{202E}"] {
        assert!(!markdown.contains(raw), "{raw:?} in:\n{markdown}");
    }
    assert!(
        markdown.contains(r"\<img src=x onerror=alert(1)\>"),
        "{markdown}"
    );
    assert!(
        markdown.contains(r"\*\*bold\*\* \[link\](javascript:x)"),
        "{markdown}"
    );
    assert!(markdown.contains(r"a\_b \~\~gone\~\~ \$x\$ \| \&lt; \`tick\` \\ end"));
    assert!(
        markdown.contains("evil line break # heading"),
        "one line: {markdown}"
    );
    // A PR whose link is not http(s) is named without a link; a tab URL that tries to close
    // its destination is percent-encoded.
    assert!(markdown.contains("  - #131332 "), "{markdown}");
    assert!(
        markdown.contains(
            r"[\[tab\](javascript:x) \<b\>](https://testgrid.k8s.io/sig-release-1.34-blocking#x%29%20%5By%5D%28javascript:z) (FAILING, 3 failing tests)"
        ),
        "{markdown}"
    );
    // A job name with a backtick cannot end its code span early; the twin's data: URL is no link.
    assert!(
        markdown.contains(r"pull-\`kubernetes\`-\<verify\> on 3 of 4 PRs; its periodic twin \*\*verify\*\* fails too"),
        "{markdown}"
    );
}

#[test]
fn cherry_pick_prefixes_are_left_to_the_link_and_the_heading() {
    for (title, shown) in [
        (
            "Automated cherry pick of #128391: apiserver: avoid leaking watch goroutines",
            "apiserver: avoid leaking watch goroutines",
        ),
        (
            "Automated cherry pick of #1, #2: Fix a thing: twice",
            "Fix a thing: twice",
        ),
        (
            "[release-1.34] scheduler: fix preemption",
            "scheduler: fix preemption",
        ),
        (
            "Automated cherry pick of #12 and more: x",
            "Automated cherry pick of #12 and more: x",
        ),
        (
            "Automated cherry pick of #12: ",
            "Automated cherry pick of #12: ",
        ),
        ("[release-1.34]", "[release-1.34]"),
        ("Fix a thing", "Fix a thing"),
    ] {
        assert_eq!(markdown::short_title(title), shown, "{title}");
    }
}

#[test]
fn only_http_and_https_urls_become_links() {
    assert_eq!(markdown::safe_url("javascript:alert(1)"), None);
    assert_eq!(markdown::safe_url("JavaScript:alert(1)"), None);
    assert_eq!(markdown::safe_url("data:text/html,x"), None);
    assert_eq!(markdown::safe_url("//evil.example/x"), None);
    assert_eq!(
        markdown::safe_url(" HTTPS://github.com/k/k/pull/1 "),
        Some("HTTPS://github.com/k/k/pull/1".to_string())
    );
    assert_eq!(
        markdown::safe_url("https://testgrid.k8s.io/d#sig-network-kind, lb (ipv6) <x> \"q\""),
        Some(
            "https://testgrid.k8s.io/d#sig-network-kind,%20lb%20%28ipv6%29%20%3Cx%3E%20%22q%22"
                .into()
        )
    );
    assert_eq!(
        markdown::safe_url("https://example.com/ü"),
        Some("https://example.com/%C3%BC".to_string())
    );
}

#[test]
fn embargo_withholds_titles_authors_and_notes_even_when_the_snapshot_has_them() {
    let mut branch = branch(vec![
        approved(131_325, "Secret fix for CVE", NextAction::BlockedByBranch),
        pr(
            131_311,
            "Secret other fix",
            &[Condition::MissingReleaseNote],
            NextAction::Triage,
        ),
    ]);
    branch.release_notes_preview = Some(NotesPreview {
        since_release: PatchVersion::new(1, 34, 12),
        since: NOW - 26 * DAY,
        complete: true,
        merged: vec![merged(
            131_200,
            "Secret merged fix",
            ChangeKind::Bug,
            NoteState::Written,
        )],
    });
    let snapshot = snapshot(vec![branch]);

    let markdown = markdown_of(&snapshot, true);
    assert!(markdown.contains(EMBARGO_LINE), "{markdown}");
    for secret in ["Secret", "alice-dev", "bob-k8s", "Fixed a"] {
        assert!(!markdown.contains(secret), "{secret} in:\n{markdown}");
    }
    assert!(markdown.contains(&format!(
        "  - [#131325]({}) — blocked by the branch\n",
        url(131_325)
    )));
    assert!(markdown.contains(&format!(
        "  - [#131200]({}) — Bug or Regression\n",
        url(131_200)
    )));

    let json = json_of(&snapshot, true);
    let text = json.to_string();
    for secret in ["Secret", "alice-dev", "bob-k8s", "Fixed a"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    assert_eq!(json["embargo"], true);
    let merged = &json["branches"][0]["pull_requests"]["merged_since_release"]["pull_requests"][0];
    assert_eq!(merged["title"], serde_json::Value::Null);
    assert_eq!(merged["author"], serde_json::Value::Null);
    assert_eq!(merged["release_notes"][0]["text"], serde_json::Value::Null);
    assert_eq!(merged["release_notes"][0]["state"], "written");

    let open = markdown_of(&snapshot, false);
    assert!(!open.contains(EMBARGO_LINE));
    assert!(
        open.contains("Secret fix for CVE — blocked by the branch"),
        "{open}"
    );
}

#[test]
fn an_embargoed_snapshot_reads_cleanly_without_empty_titles() {
    let mut blocked = approved(131_325, "", NextAction::BlockedByBranch);
    blocked.author = None;
    blocked.release_notes[0].text = None;
    let mut branch = branch(vec![blocked]);
    let mut quiet = merged(131_200, "", ChangeKind::Uncategorized, NoteState::Written);
    quiet.author = None;
    quiet.release_notes[0].text = None;
    branch.release_notes_preview = Some(NotesPreview {
        since_release: PatchVersion::new(1, 34, 12),
        since: NOW - 26 * DAY,
        complete: true,
        merged: vec![quiet],
    });
    let markdown = markdown_of(&snapshot(vec![branch]), false);
    assert!(markdown.contains(&format!(
        "  - [#131325]({}) — blocked by the branch\n",
        url(131_325)
    )));
    assert!(
        markdown.contains(&format!("  - [#131200]({})\n", url(131_200))),
        "{markdown}"
    );
    for noise in ["\"\"", "''", "()", "  —", " \n", ": \n"] {
        assert!(!markdown.contains(noise), "{noise:?} in:\n{markdown}");
    }
}

#[test]
fn readiness_reads_as_go_no_go_or_not_assessed() {
    let line = |readiness: ReadinessReport| {
        let mut branch = branch(Vec::new());
        branch.readiness = readiness;
        let markdown = markdown_of(&snapshot(vec![branch]), false);
        markdown
            .lines()
            .find(|line| line.starts_with("- **Readiness:**"))
            .unwrap()
            .to_string()
    };
    assert_eq!(
        line(ReadinessReport::default()),
        "- **Readiness:** not assessed yet"
    );
    assert_eq!(
        line(ReadinessReport {
            ready: true,
            blockers: Vec::new(),
            head: Some("3f1c2e9a7b5d4c8e0f6a".to_string()),
            tabs: Vec::new(),
        }),
        "- **Readiness:** ✅ go: HEAD `3f1c2e9a7b5d` can be cut"
    );
    let tab = |name: &str, runs: Option<u32>, required: u32, blocker| TabReadiness {
        dashboard: "sig-release-1.34-blocking".to_string(),
        tab: name.to_string(),
        runs_at_head: runs,
        required,
        head_green: None,
        blocker,
        url: format!("https://testgrid.k8s.io/sig-release-1.34-blocking#{name}"),
    };
    let mut tabs = vec![
        tab(
            "gce-serial",
            Some(1),
            2,
            Some(ReadinessBlocker::RunsAtHeadBelowMinimum),
        ),
        tab(
            "verify-1.34",
            Some(1),
            1,
            Some(ReadinessBlocker::TabHeadNotGreen),
        ),
        tab("gce-1.34", Some(3), 1, None),
    ];
    for i in 0..7 {
        tabs.push(tab(
            &format!("kind-{i}"),
            Some(0),
            1,
            Some(ReadinessBlocker::TabNotRunAtHead),
        ));
    }
    assert_eq!(
        line(ReadinessReport {
            ready: false,
            blockers: vec![
                ReadinessBlocker::BranchNotGreen,
                ReadinessBlocker::TabNotRunAtHead,
                ReadinessBlocker::TabHeadNotGreen,
                ReadinessBlocker::RunsAtHeadBelowMinimum,
            ],
            head: None,
            tabs,
        }),
        "- **Readiness:** ⛔ no-go: branch not green; not run at HEAD: \
         [kind-0](https://testgrid.k8s.io/sig-release-1.34-blocking#kind-0), \
         [kind-1](https://testgrid.k8s.io/sig-release-1.34-blocking#kind-1), \
         [kind-2](https://testgrid.k8s.io/sig-release-1.34-blocking#kind-2), \
         [kind-3](https://testgrid.k8s.io/sig-release-1.34-blocking#kind-3), \
         [kind-4](https://testgrid.k8s.io/sig-release-1.34-blocking#kind-4) and 2 more; \
         newest run at HEAD not green: \
         [verify-1.34](https://testgrid.k8s.io/sig-release-1.34-blocking#verify-1.34); \
         too few runs at HEAD: \
         [gce-serial](https://testgrid.k8s.io/sig-release-1.34-blocking#gce-serial) (1 of 2)"
    );
}

#[test]
fn dates_are_utc_days_and_relative_to_the_day_of_the_report() {
    let markdown = markdown_of(&snapshot(vec![branch(Vec::new())]), false);
    assert!(markdown.starts_with("# Patch release update, 2026-11-25 12:00 UTC\n"));
    assert!(
        markdown.contains("## 🟢 release-1.34: green since 2026-11-25 09:00 UTC (3 h)\n"),
        "{markdown}"
    );
    assert!(
        markdown.contains("- **Last release:** v1.34.12 on 2026-10-30 (26 days ago, in window)\n"),
        "{markdown}"
    );
    assert!(
        markdown.contains(
            "- **Next release:** v1.34.13 on 2026-12-12 (in 17 days); cherry-pick deadline 2026-12-09 (in 14 days)\n"
        ),
        "{markdown}"
    );
    assert!(markdown.contains("- **Freeze:** off\n"));
    assert!(markdown.contains("- **Risks:** none\n"));

    // Half a day before midnight is tomorrow; midnight today is today.
    let mut close = branch(Vec::new());
    let release = close.release.as_mut().unwrap();
    release.next_target_at = Some(TODAY + DAY);
    release.cherry_pick_deadline_at = Some(TODAY);
    let report = build(&snapshot(vec![close]), NOW, None, false).unwrap();
    let section = &report.branches[0];
    let release = section.release.as_ref().unwrap();
    assert_eq!(release.next_target.as_ref().unwrap().days_from_now, 1);
    assert_eq!(
        release.next_target.as_ref().unwrap().utc,
        "2026-11-26T00:00:00Z"
    );
    assert_eq!(
        release.cherry_pick_deadline.as_ref().unwrap().days_from_now,
        0
    );
    let messages: Vec<&str> = section.risks.iter().map(|r| r.message.as_str()).collect();
    assert_eq!(
        messages,
        vec![
            "v1.34.13 is due tomorrow and readiness at HEAD is not assessed.",
            "Cherry-pick deadline for v1.34.13 is today (2026-11-25).",
        ]
    );

    assert_eq!(elapsed(NOW, NOW - 59), "just now");
    assert_eq!(elapsed(NOW, NOW - 25 * 60), "25 min");
    assert_eq!(elapsed(NOW, NOW - 47 * 3_600), "47 h");
    assert_eq!(elapsed(NOW, NOW - 3 * DAY), "3 days");
    assert_eq!(
        elapsed(NOW, NOW + 60),
        "just now",
        "a clock skew is not negative"
    );
}

#[test]
fn long_lists_are_cut_with_and_n_more() {
    let prs: Vec<PullRequestReport> = (0..20)
        .map(|i| {
            let mut pr = approved(131_300 + i, "Fix a thing", NextAction::BlockedByBranch);
            pr.conditions.push(Condition::BlockedByBranchFailure);
            pr.conditions.push(Condition::OnlyBlockedByBranch);
            pr
        })
        .collect();
    let mut branch = branch(prs);
    branch.release_notes_preview = Some(NotesPreview {
        since_release: PatchVersion::new(1, 34, 12),
        since: NOW - 26 * DAY,
        complete: false,
        merged: (0..15)
            .map(|i| merged(131_100 + i, "Fix", ChangeKind::Bug, NoteState::Written))
            .collect(),
    });
    let markdown = markdown_of(&snapshot(vec![branch]), false);
    assert!(markdown.contains("- **Approved and waiting (20):**\n"));
    assert!(markdown.contains("  - and 12 more\n"), "{markdown}");
    assert!(markdown.contains("- **Merged since v1.34.12 (15) (list incomplete):**\n"));
    assert!(markdown.contains("  - and 7 more\n"), "{markdown}");
    let blocked = markdown
        .lines()
        .find(|l| l.starts_with("- **Blocked by the branch (20):**"))
        .unwrap();
    assert!(
        blocked.ends_with(" and 10 more: 20 would merge once the branch is fixed"),
        "{blocked}"
    );
    assert_eq!(blocked.matches("](https://").count(), 10);
    assert!(markdown.lines().count() < 60, "compact:\n{markdown}");
}

#[test]
fn the_playbook_risks_are_named_with_their_prs() {
    let mut enhancement = approved(131_400, "Add a feature", NextAction::NeedsException);
    enhancement.conditions.push(Condition::Enhancement);
    let manual = pr(
        131_401,
        "Manual patch",
        &[Condition::ManualCherryPick, Condition::NeedsReview],
        NextAction::NeedsReview,
    );
    let mut stray = approved(131_402, "Outside the milestone", NextAction::Ready);
    stray
        .conditions
        .extend([Condition::NotInMilestone, Condition::DependencyBump]);
    let mut branch = branch(vec![enhancement, manual, stray]);
    let release = branch.release.as_mut().unwrap();
    release.window = Some(WindowState::Overdue);
    release.days_since_last_release = Some(33);
    release.next_target_at = Some(TODAY - 3 * DAY);
    release.target_missed = true;
    release.freeze = true;
    release.past_planned_end_of_life = true;
    release.end_of_life_at = Some(TODAY - 5 * DAY);
    release.schedule_note = Some("schedule.yaml lists v1.34.13 twice".to_string());
    branch.milestone.as_mut().unwrap().due_on = None;
    branch.freeze_worklist = FreezeWorklist {
        to_unapprove: vec![131_400],
        to_reapprove: vec![ReapprovalReport {
            number: 131_999,
            removed_at: NOW - DAY,
            removed_by: Some("carol".to_string()),
        }],
        ended_by: Some(PatchVersion::new(1, 34, 12)),
    };
    branch.release_notes_preview = Some(NotesPreview {
        since_release: PatchVersion::new(1, 34, 12),
        since: NOW - 26 * DAY,
        complete: true,
        merged: vec![
            merged(131_200, "Noted", ChangeKind::Bug, NoteState::Written),
            merged(131_201, "Unnoted", ChangeKind::Feature, NoteState::Absent),
        ],
    });
    let snapshot = snapshot(vec![branch]);
    let json = json_of(&snapshot, false);
    let kinds: Vec<&str> = json["branches"][0]["risks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|risk| risk["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        vec![
            "target_missed",
            "release_overdue",
            "needs_exception",
            "needs_review",
            "merged_without_release_note",
            "not_in_milestone",
            "milestone_without_due_date",
            "dependency_bump",
            "past_planned_end_of_life",
            "schedule_note",
        ]
    );
    let markdown = markdown_of(&snapshot, false);
    for line in [
        "- **Next release:** v1.34.13, target 2026-11-22 (3 days ago) missed; cherry-pick deadline 2026-12-09 (in 14 days)",
        "- **Last release:** v1.34.12 on 2026-10-30 (26 days ago, overdue)",
        "  - v1.34.13 was due 2026-11-22 (3 days ago) and is not out.",
        "  - Overdue for a patch release (33 days since v1.34.12).",
        "  - Enhancement on a release branch, needs an exception from the code's owners: [#131400](https://github.com/kubernetes/kubernetes/pull/131400)",
        "  - Manual cherry-pick needing lgtm and approval: [#131401](https://github.com/kubernetes/kubernetes/pull/131401)",
        "  - Merged without a release note the notes tool will find: [#131201](https://github.com/kubernetes/kubernetes/pull/131201)",
        "  - Not in milestone v1.34 (no merge-queue priority): [#131402](https://github.com/kubernetes/kubernetes/pull/131402)",
        "  - Milestone v1.34 has no due date.",
        "  - Past its planned end of life (2026-11-20) and not retired yet: the final patch may still be in preparation.",
        "  - schedule.yaml lists v1.34.13 twice",
        "  - [#131200](https://github.com/kubernetes/kubernetes/pull/131200) Noted — Bug or Regression",
        "  - [#131201](https://github.com/kubernetes/kubernetes/pull/131201) Unnoted — Feature",
    ] {
        assert!(
            markdown.lines().any(|l| l == line),
            "missing {line:?} in:\n{markdown}"
        );
    }
    let freeze = markdown
        .lines()
        .find(|l| l.starts_with("- **Freeze:**"))
        .unwrap();
    assert_eq!(
        freeze,
        "- **Freeze:** ❄️ on: the cherry-pick deadline passed; approved but not ready, to un-approve: \
         [#131400](https://github.com/kubernetes/kubernetes/pull/131400); approval removed during \
         the freeze before v1.34.12, to re-approve: #131999"
    );
    assert_eq!(
        json["branches"][0]["freeze"]["to_reapprove"][0]["url"],
        serde_json::Value::Null
    );
}

#[test]
fn a_missing_milestone_and_dashboard_problems_are_risks() {
    let mut branch = branch(Vec::new());
    branch.milestone.as_mut().unwrap().exists = false;
    branch.dashboards[0].error = Some("500 Server Error".to_string());
    branch.dashboards.push(DashboardReport {
        name: "sig-release-1.34-informing".to_string(),
        kind: DashboardKind::Informing,
        url: "https://testgrid.k8s.io/sig-release-1.34-informing".to_string(),
        tabs: Vec::new(),
        error: None,
        missing: true,
    });
    let report = build(&snapshot(vec![branch]), NOW, None, false).unwrap();
    let messages: Vec<&str> = report.branches[0]
        .risks
        .iter()
        .map(|r| r.message.as_str())
        .collect();
    assert_eq!(
        messages,
        vec![
            "sig-release-1.34-blocking could not be read (500 Server Error); its tabs are from the last good read.",
            "TestGrid has no dashboard sig-release-1.34-informing.",
            "Milestone v1.34 does not exist on GitHub: cherry-picks get no merge-queue priority.",
        ]
    );
}

#[test]
fn a_down_source_is_said_at_the_top_and_as_a_risk_of_every_branch() {
    let mut master = branch(Vec::new());
    master.name = "master".to_string();
    master.release = None;
    master.milestone = None;
    let mut snapshot = snapshot(vec![master, branch(Vec::new())]);
    let github = &mut snapshot.sources[1];
    github.up = false;
    github.last_success = Some(NOW - 12 * 60);
    github.last_error = Some("rate limited until 12:10".to_string());
    github.retry_at = Some(NOW + 10 * 60);
    let markdown = markdown_of(&snapshot, false);
    assert!(
        markdown.contains(
            "⚠️ **GitHub is down**: rate limited until 12:10. Its data is as of 2026-11-25 11:48 UTC (12 min old); next try 2026-11-25 12:10 UTC.\n"
        ),
        "{markdown}"
    );
    assert_eq!(
        markdown
            .matches("  - GitHub is down: pull requests and releases as of 2026-11-25 11:48 UTC.\n")
            .count(),
        2,
        "{markdown}"
    );
    // master has no release lines, no cherry-pick approval lists.
    let master = markdown.split("## ").nth(1).unwrap();
    assert!(master.starts_with("🟢 master: green"));
    for absent in [
        "Last release",
        "Freeze",
        "Approved and waiting",
        "Merged since",
    ] {
        assert!(!master.contains(absent), "{absent} in {master}");
    }

    let all_up = markdown_of(&self::snapshot(vec![]), false);
    assert!(
        all_up.contains("\nSources: all up (TestGrid, GitHub, schedule.yaml).\n"),
        "{all_up}"
    );
    let nothing = Snapshot::default();
    assert!(markdown_of(&nothing, false).contains("No source has been polled yet"));
}

#[test]
fn branch_wide_failures_name_their_periodic_twin_and_the_picks_they_block() {
    let mut only = approved(131_325, "Fix A", NextAction::BlockedByBranch);
    only.conditions.extend([
        Condition::BlockedByBranchFailure,
        Condition::OnlyBlockedByBranch,
    ]);
    let untriaged = pr(
        131_297,
        "Fix B",
        &[
            Condition::Untriaged,
            Condition::Failing,
            Condition::BlockedByBranchFailure,
        ],
        NextAction::Triage,
    );
    let mut branch = branch(vec![untriaged, only]);
    branch.status = BranchStatus::Red;
    branch.status_since = NOW - 26 * 3_600;
    branch.status_reason = "1 blocking tab failing: verify-1.34".to_string();
    branch.dashboards[0].tabs[0].status = TabStatus::Failing;
    branch.dashboards[0].tabs[0].failing_tests = 1;
    for (context, twin_failing) in [
        ("pull-kubernetes-verify", true),
        ("pull-kubernetes-unit", false),
    ] {
        branch.presubmits.push(PresubmitReport {
            context: context.to_string(),
            failing_prs: 2,
            prs_with_result: 2,
            counted_failures: 2,
            branch_wide: true,
            periodic_twin: Some(PeriodicTwin {
                dashboard: "sig-release-1.34-blocking".to_string(),
                tab: "verify-1.34".to_string(),
                status: if twin_failing {
                    TabStatus::Failing
                } else {
                    TabStatus::Passing
                },
                failing: twin_failing,
                url: "https://testgrid.k8s.io/sig-release-1.34-blocking#verify-1.34".to_string(),
            }),
        });
    }
    let markdown = markdown_of(&snapshot(vec![branch]), false);
    let verify = "[verify-1.34](https://testgrid.k8s.io/sig-release-1.34-blocking#verify-1.34)";
    for line in [
        "## 🔴 release-1.34: red since 2026-11-24 10:00 UTC (26 h)".to_string(),
        "- **Why:** 1 blocking tab failing: verify-1.34".to_string(),
        format!("- **Failing blocking tabs:** {verify} (FAILING, 1 failing test)"),
        format!(
            "- **Failing across the branch:** `pull-kubernetes-verify` on 2 of 2 PRs; its periodic twin {verify} fails too: fix the branch, not the PRs"
        ),
        format!(
            "- **Failing across the branch:** `pull-kubernetes-unit` on 2 of 2 PRs; its periodic twin {verify} is PASSING: the presubmit itself may be broken"
        ),
        "- **Open PRs:** 2: 1 triage, 1 blocked by the branch".to_string(),
        format!(
            "- **Blocked by the branch (2):** [#131297]({}), [#131325]({}): 1 would merge once the branch is fixed",
            url(131_297),
            url(131_325)
        ),
        "At a glance: 🔴 release-1.34 red".to_string(),
    ] {
        assert!(
            markdown.lines().any(|l| l == line),
            "missing {line:?} in:\n{markdown}"
        );
    }
}

#[test]
fn an_unknown_branch_is_an_error_that_lists_the_watched_ones() {
    let mut master = branch(Vec::new());
    master.name = "master".to_string();
    let snapshot = snapshot(vec![master, branch(Vec::new())]);
    let error = render(
        &snapshot,
        NOW,
        Format::Markdown,
        Some("release-1.99"),
        false,
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "`release-1.99` is not a watched branch; watched: master, release-1.34"
    );
    let one = render(
        &snapshot,
        NOW,
        Format::Markdown,
        Some("release-1.34"),
        false,
    )
    .unwrap();
    assert!(one.contains("## 🟢 release-1.34"));
    assert!(!one.contains("master"), "{one}");
    assert_eq!(
        render(&Snapshot::default(), NOW, Format::Json, Some("x"), false)
            .unwrap_err()
            .to_string(),
        "`x` is not a watched branch; watched: none yet (no source has named a branch)"
    );
}

#[test]
fn the_json_has_the_documented_shape() {
    let mut branch = branch(vec![approved(131_325, "Fix A", NextAction::Ready)]);
    branch.readiness = ReadinessReport {
        ready: false,
        blockers: vec![ReadinessBlocker::StaleData],
        head: None,
        tabs: Vec::new(),
    };
    let json = json_of(&snapshot(vec![branch]), false);
    assert_eq!(json["format"], "branchwatch.report/v1");
    assert_eq!(
        json["generated_at"],
        serde_json::json!({"unix": NOW, "utc": "2026-11-25T12:00:00Z", "days_from_now": 0})
    );
    assert_eq!(json["sources"][0]["source"], "testgrid");
    let branch = &json["branches"][0];
    let keys: Vec<&str> = branch
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = vec![
        "name",
        "status",
        "status_since",
        "status_reason",
        "blocked_by",
        "pull_requests",
        "release",
        "freeze",
        "readiness",
        "risks",
    ];
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    expected.sort_unstable();
    assert_eq!(sorted, expected);
    assert_eq!(branch["status"], "green");
    assert_eq!(branch["readiness"]["verdict"], "no_go");
    assert_eq!(branch["readiness"]["blockers"][0], "stale_data");
    assert_eq!(branch["pull_requests"]["queue"]["ready"], 1);
    assert_eq!(branch["pull_requests"]["queue"]["triage"], 0);
    assert_eq!(
        branch["pull_requests"]["approved_waiting"][0],
        serde_json::json!({"number": 131_325, "url": url(131_325), "title": "Fix A", "next_action": "ready"})
    );
    assert_eq!(branch["release"]["next_target"]["days_from_now"], 17);
    assert_eq!(branch["release"]["window"], "in_window");
    assert_eq!(
        branch["pull_requests"]["merged_since_release"],
        serde_json::Value::Null
    );
}
