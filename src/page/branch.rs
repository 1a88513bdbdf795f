//! `/branches/<branch>`: the work of the day — the cherry-picks grouped by what each needs
//! next, the presubmits failing across the branch, the blocking tabs that keep it from a cut,
//! the release timeline, the release-notes preview, the freeze worklist and the milestone.

use maud::{Markup, html};

use super::{PageContext, badge, format, index, link, tab_status_class, window_bar, window_text};
use crate::snapshot::{
    BranchReport, ChangeKind, Condition, DashboardKind, MilestoneReport, NextAction, NoteState,
    NotesPreview, PullRequestReport, ReleaseNoteReport, ReleaseReport, TabReadiness, TabReport,
};

pub(super) fn content(branch: &BranchReport, ctx: &PageContext) -> Markup {
    let attention = tabs_needing_attention(branch);
    let branch_wide = branch.presubmits.iter().filter(|p| p.branch_wide).count();
    html! {
        div.summary {
            div { div.small { "Status" } (index::status(branch, ctx)) }
            div { div.small { "Go/no-go at HEAD" } (index::readiness(&branch.readiness)) }
            @if let Some(head) = branch.head.as_ref().or(branch.readiness.head.as_ref()) {
                div { div.small { "HEAD" } code { (head) } }
            }
        }
        nav.jump {
            a href="#picks" { "Cherry-picks" @if let Some(open) = branch.pull_request_counts.open { " (" (open) ")" } }
            a href="#presubmits" { "Failing branch-wide (" (branch_wide) ")" }
            a href="#tabs" { "Blocking tabs (" (attention.len()) ")" }
            a href="#release" { "Release timeline" }
            a href="#notes" { "Release notes preview" }
            a href="#freeze" { "Freeze worklist" }
            a href="#milestone" { "Milestone" }
        }
        (picks(branch, ctx))
        (presubmits(branch))
        (tabs(branch, &attention, ctx))
        (timeline(branch.release.as_ref(), ctx))
        (notes_preview(branch.release_notes_preview.as_ref(), ctx))
        (freeze_worklist(branch, ctx))
        (milestone(branch.milestone.as_ref(), ctx))
    }
}

fn picks(branch: &BranchReport, ctx: &PageContext) -> Markup {
    html! {
        section #picks {
            h2 { "Cherry-picks by next action"
                @if let Some(open) = branch.pull_request_counts.open { " " span.count { "(" (open) " open)" } } }
            @if branch.pull_request_counts.open.is_none() && branch.pull_requests.is_empty() {
                p.muted { "GitHub has not answered yet." }
            } @else if branch.pull_requests.is_empty() {
                p.muted { "No open pull requests." }
            }
            @for action in NextAction::ALL {
                @let group: Vec<&PullRequestReport> = branch.pull_requests.iter().filter(|p| p.next_action == action).collect();
                @if !group.is_empty() {
                    section.group id=(action.as_str()) {
                        h3 { (action.title()) " " span.count { "(" (group.len()) ")" } }
                        div.scroll {
                            table.cards.picks {
                                colgroup {
                                    col.c-pr; col.c-title; col.c-author; col.c-age;
                                    col.c-labels; col.c-note; col.c-links;
                                }
                                thead { tr {
                                    th { "PR" } th { "Title" } th { "Author" } th { "Age" }
                                    th { "Labels" } th { "Release note" } th { "Parents and failing runs" }
                                } }
                                tbody { @for pr in group { (pick(pr, ctx)) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Conditions worth a word beside the title: the group heading already says the rest.
const NOTABLE: [(Condition, &str); 5] = [
    (Condition::DependencyBump, "dependency bump"),
    (Condition::Draft, "draft"),
    (Condition::ManualCherryPick, "manual pick"),
    (Condition::Enhancement, "enhancement"),
    (Condition::NotInMilestone, "not in milestone"),
];

fn pick(pr: &PullRequestReport, ctx: &PageContext) -> Markup {
    html! {
        tr {
            td.num data-label="PR" { (link(&pr.url, html! { "#" (pr.number) })) }
            td.title data-label="Title" {
                @if pr.title.is_empty() {
                    span.muted { (if ctx.embargo { "title hidden" } else { "no title" }) }
                } @else {
                    (pr.title)
                }
                @for (condition, text) in NOTABLE {
                    @if pr.conditions.contains(&condition) { " " (badge("s-grey", text)) }
                }
            }
            td data-label="Author" {
                @match &pr.author {
                    Some(author) if !author.is_empty() => (author),
                    _ => span.muted { "—" },
                }
            }
            td.num data-label="Age" {
                @match pr.created_at {
                    Some(at) => span title={ "opened " (format::date_time(at)) } { (format::age(at, ctx.now)) },
                    None => span.muted { "—" },
                }
            }
            td data-label="Labels" {
                @for label in &pr.labels { span.chip title=(label) { (label) } }
            }
            td data-label="Release note" { (notes(pr.number, &pr.release_notes, ctx)) }
            td.wrap data-label="Links" {
                @for parent in &pr.parents {
                    div {
                        "parent " (link(&parent.url, html! { "#" (parent.number) }))
                        " " @match parent.merged {
                            Some(true) => span.small { "merged" },
                            Some(false) => (badge("s-amber", "not merged")),
                            None => span.small { "merge unknown" },
                        }
                    }
                }
                @for failing in &pr.failing_contexts {
                    div {
                        @match failing.target_url.as_deref() {
                            Some(url) => (link(url, &failing.context)),
                            None => (failing.context),
                        }
                        " "
                        @if failing.branch_wide {
                            (badge("s-red", "fails branch-wide"))
                        } @else {
                            (badge("s-amber", "fails here"))
                        }
                        @if !failing.description.is_empty() {
                            div.small { (failing.description) }
                        }
                    }
                }
            }
        }
    }
}

/// The notes of a PR (its own, or its parents'): the text, or what the block says instead.
fn notes(own: u64, notes: &[ReleaseNoteReport], ctx: &PageContext) -> Markup {
    html! {
        @if notes.is_empty() { span.muted { "—" } }
        @for note in notes {
            div.note {
                @if note.from_pr != own { span.small { "#" (note.from_pr) ": " } }
                @match (note.state, note.text.as_deref()) {
                    (NoteState::Written, Some(text)) if !text.is_empty() => (text),
                    (NoteState::Written, _) => span.muted {
                        (if ctx.embargo { "written (text hidden)" } else { "written" })
                    },
                    (NoteState::None, _) => { (badge("s-grey", "none")) " " span.small { "no user-facing change" } }
                    (NoteState::Absent, _) => (badge("s-amber", "no release-note block")),
                    (NoteState::Unknown, _) => span.muted { "not read yet" },
                }
            }
        }
    }
}

fn presubmits(branch: &BranchReport) -> Markup {
    let failing: Vec<_> = branch.presubmits.iter().filter(|p| p.branch_wide).collect();
    html! {
        section #presubmits {
            h2 { "Presubmits failing branch-wide" " " span.count { "(" (failing.len()) ")" } }
            @if failing.is_empty() {
                p.muted { "No presubmit is failing across the branch." }
            } @else {
                div.scroll { table.cards {
                    thead { tr { th { "Job" } th { "Failing PRs" } th { "Periodic twin on TestGrid" } } }
                    tbody { @for presubmit in failing {
                        tr {
                            td.wrap data-label="Job" { strong { (presubmit.context) } }
                            td data-label="Failing PRs" {
                                (presubmit.failing_prs) " of " (presubmit.prs_with_result) " with a result"
                                @if presubmit.counted_failures != presubmit.failing_prs {
                                    div.small { (presubmit.counted_failures) " against a recent base" }
                                }
                            }
                            td.wrap data-label="Twin" {
                                @match &presubmit.periodic_twin {
                                    Some(twin) => {
                                        (link(&twin.url, html! { (twin.dashboard) " / " (twin.tab) }))
                                        " " (badge(tab_status_class(twin.status), twin.status.as_str()))
                                        div.small {
                                            @if twin.failing { "failing too: the branch itself is broken" }
                                            @else { "passing: the presubmit or its environment is at fault" }
                                        }
                                    }
                                    None => span.muted { "no twin found" },
                                }
                            }
                        }
                    } }
                } }
            }
        }
    }
}

/// A blocking tab that keeps the branch from a cut, with its part in the go/no-go.
struct Attention<'a> {
    dashboard: &'a str,
    tab: &'a TabReport,
    readiness: Option<&'a TabReadiness>,
}

/// Blocking tabs that are failing, flaky, stale, without results, or not (enough, or not
/// green) at HEAD.
fn tabs_needing_attention(branch: &BranchReport) -> Vec<Attention<'_>> {
    branch
        .dashboards
        .iter()
        .filter(|d| d.kind == DashboardKind::Blocking)
        .flat_map(|dashboard| {
            dashboard.tabs.iter().map(move |tab| Attention {
                dashboard: &dashboard.name,
                tab,
                readiness: branch
                    .readiness
                    .tabs
                    .iter()
                    .find(|r| r.dashboard == dashboard.name && r.tab == tab.name),
            })
        })
        .filter(|a| {
            !matches!(
                a.tab.status,
                crate::snapshot::TabStatus::Passing | crate::snapshot::TabStatus::Acceptable
            ) || a.tab.runs_at_head == Some(0)
                || a.tab.head_green == Some(false)
                || a.readiness.is_some_and(|r| r.blocker.is_some())
        })
        .collect()
}

fn tabs(branch: &BranchReport, attention: &[Attention<'_>], ctx: &PageContext) -> Markup {
    let blocking: Vec<_> = branch
        .dashboards
        .iter()
        .filter(|d| d.kind == DashboardKind::Blocking)
        .collect();
    let total: usize = blocking.iter().map(|d| d.tabs.len()).sum();
    html! {
        section #tabs {
            h2 { "Blocking tabs that need attention" " " span.count { "(" (attention.len()) " of " (total) ")" } }
            @for dashboard in &blocking {
                @if dashboard.missing {
                    p { (badge("s-grey", "missing")) " TestGrid has no dashboard "
                        strong { (dashboard.name) } "." }
                }
                @if let Some(error) = &dashboard.error {
                    p { (badge("s-amber", "fetch failed")) " " (link(&dashboard.url, &dashboard.name)) ": " (error) }
                }
            }
            @if blocking.is_empty() {
                p.muted { "No blocking dashboard read for this branch." }
            } @else if attention.is_empty() {
                p.muted { "Every blocking tab is passing and green at HEAD." }
            } @else {
                div.scroll { table.cards {
                    thead { tr {
                        th { "Tab" } th { "Status" } th { "Runs at HEAD" } th { "Last run" } th { "Failing tests" }
                    } }
                    tbody { @for item in attention { (tab_row(item, ctx)) } }
                } }
                @if total > attention.len() {
                    p.small { (total - attention.len()) " other blocking tabs are passing and green at HEAD." }
                }
            }
        }
    }
}

fn tab_row(item: &Attention<'_>, ctx: &PageContext) -> Markup {
    let tab = item.tab;
    let required = item.readiness.map(|r| r.required);
    html! {
        tr {
            td.wrap data-label="Tab" {
                (link(&tab.url, html! { strong { (tab.name) } }))
                div.small { (item.dashboard) }
            }
            td data-label="Status" {
                (badge(tab_status_class(tab.status), tab.status.as_str()))
                @if !tab.message.is_empty() { div.small.wrap { (tab.message) } }
            }
            td data-label="At HEAD" {
                @match tab.runs_at_head.or(item.readiness.and_then(|r| r.runs_at_head)) {
                    Some(0) => (badge("s-amber", "not run at HEAD")),
                    Some(runs) => {
                        (format::plural(i64::from(runs), "run"))
                        @if let Some(required) = required { " " span.small { "(needs " (required) ")" } }
                    }
                    None => span.muted { "unknown" },
                }
                @let runs = tab.runs_at_head.or(item.readiness.and_then(|r| r.runs_at_head));
                @match tab.head_green.or(item.readiness.and_then(|r| r.head_green)) {
                    // Without a run at HEAD there is no newest run to speak of.
                    _ if runs == Some(0) => {},
                    Some(true) => div.small { "newest at HEAD green" },
                    Some(false) => div { (badge("s-red", "newest at HEAD failed")) },
                    None => {},
                }
                @if let Some(blocker) = item.readiness.and_then(|r| r.blocker) {
                    div.small { "blocks the cut: " (super::tab_blocker_text(blocker)) }
                }
            }
            td.num data-label="Last run" {
                @match tab.last_run {
                    Some(at) => span title=(format::date_time(at)) { (format::relative(at, ctx.now)) },
                    None => span.muted { "never" },
                }
            }
            td.wrap data-label="Failing tests" {
                @if tab.failing_tests == 0 { span.muted { "—" } }
                @else {
                    (tab.failing_tests)
                    ul.plain.small { @for failure in &tab.top_failures {
                        li { (failure.name) " — " (format::plural(i64::from(failure.fail_count), "failure"))
                            @if let Some(first) = failure.first_failure { ", since " (format::relative(first, ctx.now)) } }
                    } }
                }
            }
        }
    }
}

fn timeline(release: Option<&ReleaseReport>, ctx: &PageContext) -> Markup {
    html! {
        section #release {
            h2 { "Release timeline" }
            @match release {
                None => p.muted { "No patch releases on this branch." },
                Some(release) => dl.facts {
                    dt { "Last patch release" }
                    dd {
                        @match (&release.last_release, release.last_release_at) {
                            (Some(version), Some(at)) => {
                                strong { (version) } " on " (format::date_time(at))
                            }
                            (Some(version), None) => strong { (version) },
                            _ => span.muted { "none yet" },
                        }
                        @if let Some(days) = release.days_since_last_release {
                            (window_bar(days, ctx.release_window, release.window))
                            (format::plural(days as i64, "day")) " since; window "
                            (ctx.release_window.min.as_secs() / 86_400) "–" (ctx.release_window.max.as_secs() / 86_400) " days"
                            @if let Some(state) = release.window {
                                @let (class, text) = window_text(state);
                                " " (badge(class, text))
                            }
                        }
                    }
                    dt { "Next target" }
                    dd {
                        @match release.next_target_at {
                            Some(at) => {
                                @if let Some(version) = &release.next_target_version { strong { (version) } " on " }
                                (format::date(at)) " (" (format::relative_day(at, ctx.now)) ")"
                                @if release.target_missed { " " (badge("s-red", "target missed")) }
                            }
                            None => span.muted { "not scheduled" },
                        }
                    }
                    dt { "Cherry-pick deadline" }
                    dd {
                        @match release.cherry_pick_deadline_at {
                            Some(at) => { (format::date(at)) " (" (format::relative_day(at, ctx.now)) ")" }
                            None => span.muted { "—" },
                        }
                    }
                    dt { "Freeze" }
                    dd {
                        @if release.freeze { (badge("s-amber", "frozen")) " the deadline has passed and the release is not out" }
                        @else { "open" }
                    }
                    dt { "End of life" }
                    dd {
                        @match release.end_of_life_at {
                            Some(at) => {
                                (format::date(at)) " (" (format::relative_day(at, ctx.now)) ")"
                                @if release.retired {
                                    " " (badge("s-grey", "retired"))
                                    @if let Some(last) = &release.final_patch { " final patch " (last) }
                                } @else if release.past_planned_end_of_life {
                                    " " (badge("s-amber", "past planned end of life"))
                                }
                            }
                            None => span.muted { "not published" },
                        }
                    }
                    @if let Some(note) = &release.schedule_note {
                        dt { "Schedule note" }
                        dd.wrap { (note) }
                    }
                },
            }
        }
    }
}

fn notes_preview(preview: Option<&NotesPreview>, ctx: &PageContext) -> Markup {
    html! {
        section #notes {
            h2 { "Release notes preview" }
            @match preview {
                None => p.muted { "No preview: the branch has no patch release yet, or the merged PRs are not read yet." },
                Some(preview) => {
                    p {
                        (preview.merged.len()) " PRs merged since " strong { (preview.since_release) }
                        " (" (format::date(preview.since)) ")"
                        @if !preview.complete { " " (badge("s-amber", "incomplete")) " more may follow" }
                    }
                    @for kind in kinds(preview) {
                        section.group {
                            h3 { (kind.title()) }
                            ul {
                                @for merged in preview.merged.iter().filter(|m| m.kind == kind) {
                                    li {
                                        (link(&merged.url, html! { "#" (merged.number) }))
                                        @if !merged.title.is_empty() { " " (merged.title) }
                                        @if let Some(author) = merged.author.as_deref().filter(|a| !a.is_empty()) {
                                            span.small { " by " (author) }
                                        }
                                        span.small { " merged " (format::date(merged.merged_at)) }
                                        (notes(merged.number, &merged.release_notes, ctx))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The kinds of change in the preview, in the order the release notes list them.
fn kinds(preview: &NotesPreview) -> Vec<ChangeKind> {
    let mut kinds: Vec<ChangeKind> = preview.merged.iter().map(|m| m.kind).collect();
    kinds.sort();
    kinds.dedup();
    kinds
}

fn freeze_worklist(branch: &BranchReport, ctx: &PageContext) -> Markup {
    let list = &branch.freeze_worklist;
    let frozen = branch.release.as_ref().is_some_and(|r| r.freeze);
    html! {
        section #freeze {
            h2 { "Freeze worklist" }
            @if list.to_unapprove.is_empty() && list.to_reapprove.is_empty() {
                p.muted {
                    @if frozen { "Frozen, and no approved cherry-pick is waiting: nothing to un-approve." }
                    @else { "Nothing to un-approve or re-approve." }
                }
            }
            @if !list.to_unapprove.is_empty() {
                h3 { "Un-approve for the freeze " span.count { "(" (list.to_unapprove.len()) ")" } }
                p.small { "Approved cherry-picks that are not ready to merge." }
                ul { @for number in &list.to_unapprove { li { (pr_reference(branch, *number)) } } }
            }
            @if !list.to_reapprove.is_empty() {
                h3 {
                    "Re-approve after "
                    @match &list.ended_by { Some(version) => (version), None => "the release" }
                    " " span.count { "(" (list.to_reapprove.len()) ")" }
                }
                ul { @for item in &list.to_reapprove {
                    li {
                        (pr_reference(branch, item.number))
                        " " span.small {
                            "approval removed " (format::date_time(item.removed_at))
                            " (" (format::relative(item.removed_at, ctx.now)) ")"
                            @if let Some(by) = item.removed_by.as_deref().filter(|b| !b.is_empty()) { " by " (by) }
                        }
                    }
                } }
            }
        }
    }
}

/// `#123` linked to the PR and followed by its title, when the branch's open PRs have it.
fn pr_reference(branch: &BranchReport, number: u64) -> Markup {
    let open = branch.pull_requests.iter().find(|p| p.number == number);
    html! {
        @match open {
            Some(pr) => {
                (link(&pr.url, html! { "#" (number) }))
                @if !pr.title.is_empty() { " " (pr.title) }
                " " span.small { "(" (pr.next_action.title()) ")" }
            }
            None => { "#" (number) }
        }
    }
}

fn milestone(milestone: Option<&MilestoneReport>, ctx: &PageContext) -> Markup {
    html! {
        section #milestone {
            h2 { "Milestone" }
            @match milestone {
                None => p.muted { "Not read (master, or GitHub has not answered yet)." },
                Some(m) if !m.exists => p { (badge("s-amber", "missing")) " milestone " strong { (m.title) } " does not exist" },
                Some(m) => p {
                    @match m.url.as_deref() {
                        Some(url) => (link(url, html! { strong { (m.title) } })),
                        None => strong { (m.title) },
                    }
                    @if let Some(state) = &m.state { " " span.small { "(" (state) ")" } }
                    " — "
                    @match m.due_on {
                        Some(due) => { "due " (format::date(due)) " (" (format::relative_day(due, ctx.now)) ")" }
                        None => "no due date",
                    }
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        page::{
            fixture::{self, NOW},
            render_branch, render_not_found,
        },
        snapshot::{
            BranchStatus, ContextState, DashboardReport, FailingContextReport, FailingTestReport,
            FreezeWorklist, MergedPullRequestReport, ParentReport, PatchVersion, PeriodicTwin,
            PresubmitReport, ReadinessBlocker, ReadinessReport, ReapprovalReport, TabStatus,
            WindowState,
        },
    };

    fn tab(name: &str, status: TabStatus, runs_at_head: Option<u32>) -> TabReport {
        TabReport {
            name: name.to_string(),
            status,
            last_run: Some(NOW - 2 * 3600),
            last_update: Some(NOW - 3600),
            latest_green: None,
            failing_tests: 0,
            top_failures: Vec::new(),
            message: String::new(),
            url: format!("https://testgrid.k8s.io/sig-release-1.34-blocking#{name}"),
            runs_at_head,
            head_green: runs_at_head.map(|runs| runs > 0),
        }
    }

    fn dashboard(tabs: Vec<TabReport>) -> DashboardReport {
        DashboardReport {
            name: "sig-release-1.34-blocking".into(),
            kind: DashboardKind::Blocking,
            url: "https://testgrid.k8s.io/sig-release-1.34-blocking".into(),
            tabs,
            error: None,
            missing: false,
        }
    }

    fn render(branch: BranchReport) -> String {
        let name = branch.name.clone();
        render_branch(&fixture::snapshot(vec![branch]), &name, &fixture::context()).unwrap()
    }

    /// The markup from `id="<id>"` to the next top-level section (groups nest inside one).
    fn section<'a>(html: &'a str, id: &str) -> &'a str {
        let start = html
            .find(&format!("id=\"{id}\""))
            .unwrap_or_else(|| panic!("no #{id}"));
        let rest = &html[start..];
        let end = ["<section id=", "</main>"]
            .iter()
            .filter_map(|next| rest.find(next))
            .min()
            .unwrap_or(rest.len());
        &rest[..end]
    }

    #[test]
    fn picks_are_grouped_by_next_action_in_working_order_with_everything_a_row_needs() {
        let mut blocked = fixture::pull(
            131_297,
            "Automated cherry pick of #128400: Fix kubelet",
            NextAction::BlockedByBranch,
        );
        blocked.author = Some("bob".into());
        blocked.labels = vec!["cherry-pick-approved".into(), "kind/bug".into()];
        blocked.parents = vec![ParentReport {
            number: 128_400,
            merged: Some(true),
            url: "https://github.com/kubernetes/kubernetes/pull/128400".into(),
        }];
        blocked.release_notes = vec![ReleaseNoteReport {
            from_pr: 128_400,
            state: NoteState::Written,
            text: Some("Fixed a kubelet crash.\nOn restart.".into()),
        }];
        blocked.failing_contexts = vec![FailingContextReport {
            context: "pull-kubernetes-verify".into(),
            state: ContextState::Failure,
            description: "Job failed.".into(),
            target_url: Some("https://prow.k8s.io/view/gs/x/131297/verify/1/".into()),
            branch_wide: true,
        }];
        let mut triage = fixture::pull(131_304, "[release-1.34] Fix proxy", NextAction::Triage);
        triage.release_notes = vec![ReleaseNoteReport {
            from_pr: 131_304,
            state: NoteState::Absent,
            text: None,
        }];
        triage.conditions.push(Condition::DependencyBump);
        let ready = fixture::pull(131_311, "Ready one", NextAction::Ready);
        let branch = fixture::with_pulls(
            fixture::branch("release-1.34", BranchStatus::Red),
            vec![ready, blocked, triage],
        );
        let html = render(branch);
        let picks = section(&html, "picks");
        // Working order: triage before blocked by the branch before ready.
        let triage_at = picks.find("id=\"triage\"").unwrap();
        let blocked_at = picks.find("id=\"blocked_by_branch\"").unwrap();
        let ready_at = picks.find("id=\"ready\"").unwrap();
        assert!(triage_at < blocked_at && blocked_at < ready_at, "{picks}");
        assert!(!picks.contains("id=\"held\""), "empty groups are left out");
        assert!(
            picks.contains("<h3>blocked by the branch <span class=\"count\">(1)</span></h3>"),
            "{picks}"
        );
        let row = &picks[blocked_at..ready_at];
        for needed in [
            "<a href=\"https://github.com/kubernetes/kubernetes/pull/131297\" rel=\"noreferrer\">#131297</a>",
            "Automated cherry pick of #128400: Fix kubelet",
            ">bob<",
            ">3 d<",
            "<span class=\"chip\" title=\"cherry-pick-approved\">cherry-pick-approved</span>",
            "#128400: </span>Fixed a kubelet crash.\nOn restart.",
            "parent <a href=\"https://github.com/kubernetes/kubernetes/pull/128400\" rel=\"noreferrer\">#128400</a>",
            ">merged<",
            "<a href=\"https://prow.k8s.io/view/gs/x/131297/verify/1/\" rel=\"noreferrer\">pull-kubernetes-verify</a>",
            ">fails branch-wide<",
        ] {
            assert!(row.contains(needed), "missing {needed:?} in {row}");
        }
        assert!(picks.contains(">no release-note block<"));
        assert!(picks.contains(">dependency bump<"));
        assert!(html.contains("href=\"#picks\">Cherry-picks (3)</a>"));
    }

    #[test]
    fn every_upstream_string_is_escaped_and_only_http_urls_are_links() {
        let hostile = "<img src=x onerror=alert(1)>";
        let script = "\"><script>alert(2)</script>";
        let mut pr = fixture::pull(1, hostile, NextAction::Failing);
        pr.url = "javascript:alert(3)".into();
        pr.author = Some(script.into());
        pr.labels = vec![script.into()];
        pr.release_notes[0].text = Some(hostile.into());
        pr.failing_contexts = vec![FailingContextReport {
            context: script.into(),
            state: ContextState::Error,
            description: hostile.into(),
            target_url: Some("data:text/html,<script>alert(4)</script>".into()),
            branch_wide: false,
        }];
        let mut branch = fixture::with_pulls(fixture::branch(script, BranchStatus::Red), vec![pr]);
        branch.status_reason = hostile.into();
        let mut bad_tab = tab(script, TabStatus::Failing, Some(0));
        bad_tab.url = "javascript:alert(5)".into();
        bad_tab.message = hostile.into();
        bad_tab.failing_tests = 1;
        bad_tab.top_failures = vec![FailingTestReport {
            name: script.into(),
            fail_count: 2,
            first_failure: Some(NOW - 86_400),
        }];
        let mut board = dashboard(vec![bad_tab]);
        board.error = Some(hostile.into());
        branch.dashboards = vec![board];
        branch.release = Some(ReleaseReport {
            schedule_note: Some(hostile.into()),
            ..ReleaseReport::default()
        });
        branch.milestone = Some(MilestoneReport {
            title: script.into(),
            exists: true,
            state: Some(hostile.into()),
            due_on: None,
            url: Some("javascript:alert(6)".into()),
        });
        let html = render(branch);
        let body = html.split_once("</style>").unwrap().1;
        assert!(!body.contains("<img"), "{body}");
        assert!(!body.contains("<script"), "{body}");
        assert!(!body.contains("javascript:"), "{body}");
        assert!(!body.contains("data:text"), "{body}");
        assert!(body.contains("&lt;img src=x onerror=alert(1)&gt;"));
        assert!(body.contains("&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;"));
        // The texts are still there, unlinked.
        assert!(body.contains(">#1<"));
    }

    #[test]
    fn an_embargoed_snapshot_shows_numbers_and_states_without_empty_quotes() {
        let mut pr = fixture::pull(123, "", NextAction::MissingReleaseNote);
        pr.author = None;
        pr.release_notes = vec![ReleaseNoteReport {
            from_pr: 120,
            state: NoteState::Written,
            text: None,
        }];
        let branch = fixture::with_pulls(
            fixture::branch("release-1.34", BranchStatus::Green),
            vec![pr],
        );
        let mut ctx = fixture::context();
        ctx.embargo = true;
        let html = render_branch(&fixture::snapshot(vec![branch]), "release-1.34", &ctx).unwrap();
        assert!(html.contains("Embargo mode: titles and notes hidden"));
        let row = section(&html, "missing_release_note");
        assert!(row.contains(">#123<"), "{row}");
        assert!(row.contains("title hidden"), "{row}");
        assert!(row.contains("written (text hidden)"), "{row}");
        assert!(
            !row.contains("“”") && !row.contains("\"\"") && !row.contains("by <"),
            "{row}"
        );
    }

    #[test]
    fn branch_wide_presubmits_come_with_their_periodic_twin() {
        let mut branch = fixture::branch("release-1.34", BranchStatus::Red);
        let twin = PeriodicTwin {
            dashboard: "sig-release-1.34-blocking".into(),
            tab: "verify-1.34".into(),
            status: TabStatus::Failing,
            failing: true,
            url: "https://testgrid.k8s.io/sig-release-1.34-blocking#verify-1.34".into(),
        };
        branch.presubmits = vec![
            PresubmitReport {
                context: "pull-kubernetes-verify".into(),
                failing_prs: 5,
                prs_with_result: 7,
                counted_failures: 5,
                branch_wide: true,
                periodic_twin: Some(twin),
            },
            PresubmitReport {
                context: "pull-kubernetes-unit".into(),
                failing_prs: 1,
                prs_with_result: 7,
                counted_failures: 1,
                branch_wide: false,
                periodic_twin: None,
            },
        ];
        let html = render(branch);
        let presubmits = section(&html, "presubmits");
        assert!(presubmits.contains("pull-kubernetes-verify"));
        assert!(presubmits.contains("5 of 7 with a result"));
        assert!(
            presubmits.contains("sig-release-1.34-blocking / verify-1.34</a>"),
            "{presubmits}"
        );
        assert!(presubmits.contains("failing too: the branch itself is broken"));
        assert!(
            !presubmits.contains("pull-kubernetes-unit"),
            "not branch-wide"
        );
    }

    #[test]
    fn blocking_tabs_listed_are_those_that_keep_the_branch_from_a_cut() {
        let mut branch = fixture::branch("release-1.34", BranchStatus::Red);
        let mut failing = tab("verify-1.34", TabStatus::Failing, Some(2));
        failing.head_green = Some(false);
        failing.failing_tests = 3;
        failing.top_failures = vec![FailingTestReport {
            name: "verify.gofmt".into(),
            fail_count: 4,
            first_failure: Some(NOW - 5 * 3600),
        }];
        branch.dashboards = vec![
            dashboard(vec![
                failing,
                tab("gce-cos-1.34-default", TabStatus::Flaky, Some(1)),
                tab("kind-1.34", TabStatus::Passing, Some(0)),
                tab("build-1.34", TabStatus::Passing, Some(3)),
                tab("integration-1.34", TabStatus::Passing, Some(1)),
            ]),
            DashboardReport {
                kind: DashboardKind::Informing,
                name: "sig-release-1.34-informing".into(),
                ..dashboard(vec![tab("informing-red", TabStatus::Failing, None)])
            },
        ];
        branch.readiness = ReadinessReport {
            ready: false,
            blockers: vec![
                ReadinessBlocker::BranchNotGreen,
                ReadinessBlocker::TabNotRunAtHead,
            ],
            head: Some("0123456789abcdef".into()),
            tabs: vec![TabReadiness {
                dashboard: "sig-release-1.34-blocking".into(),
                tab: "kind-1.34".into(),
                runs_at_head: Some(0),
                required: 1,
                head_green: None,
                blocker: Some(ReadinessBlocker::TabNotRunAtHead),
                url: String::new(),
            }],
        };
        let html = render(branch);
        let tabs = section(&html, "tabs");
        assert!(tabs.contains("(3 of 5)"), "{tabs}");
        assert!(
            tabs.contains("verify-1.34")
                && tabs.contains("gce-cos-1.34-default")
                && tabs.contains("kind-1.34")
        );
        assert!(
            !tabs.contains("build-1.34") && !tabs.contains("informing-red"),
            "{tabs}"
        );
        assert!(tabs.contains(">not run at HEAD<"), "{tabs}");
        assert!(tabs.contains("blocks the cut: not run at HEAD"), "{tabs}");
        assert!(tabs.contains(">newest at HEAD failed<"));
        assert!(
            tabs.contains("verify.gofmt — 4 failures, since 5 hours ago"),
            "{tabs}"
        );
        assert!(tabs.contains("2 other blocking tabs are passing"));
        assert!(
            tabs.contains("href=\"https://testgrid.k8s.io/sig-release-1.34-blocking#verify-1.34\"")
        );
        // The summary above: no-go and why.
        assert!(
            html.contains(">no-go<") && html.contains("<li>1 tab not run at HEAD</li>"),
            "{html}"
        );
    }

    #[test]
    fn the_timeline_has_every_date_of_the_release_cycle() {
        let mut branch = fixture::branch("release-1.31", BranchStatus::Green);
        let midnight = NOW - 12 * 3600;
        branch.release = Some(ReleaseReport {
            last_release: Some(PatchVersion::new(1, 31, 13)),
            last_release_at: Some(midnight - 30 * 86_400),
            days_since_last_release: Some(30),
            window: Some(WindowState::Overdue),
            next_target_version: Some(PatchVersion::new(1, 31, 14)),
            next_target_at: Some(midnight - 2 * 86_400),
            cherry_pick_deadline_at: Some(midnight - 5 * 86_400),
            freeze: true,
            target_missed: true,
            end_of_life_at: Some(midnight - 28 * 86_400),
            past_planned_end_of_life: true,
            schedule_note: Some("1.31.14 is listed twice".into()),
            ..ReleaseReport::default()
        });
        let html = render(branch);
        let timeline = section(&html, "release");
        for needed in [
            "<strong>v1.31.13</strong> on 2026-10-26 00:00 UTC",
            "30 days since; window 14–28 days",
            ">overdue<",
            "<strong>v1.31.14</strong> on 2026-11-23 (2 days ago)",
            ">target missed<",
            "2026-11-20 (5 days ago)",
            ">frozen<",
            "2026-10-28 (28 days ago)",
            ">past planned end of life<",
            "1.31.14 is listed twice",
        ] {
            assert!(
                timeline.contains(needed),
                "missing {needed:?} in {timeline}"
            );
        }
    }

    #[test]
    fn the_notes_preview_groups_merged_prs_by_kind_in_release_notes_order() {
        let merged = |number: u64, kind: ChangeKind, note: &str| MergedPullRequestReport {
            number,
            title: format!("Change {number}"),
            url: format!("https://github.com/kubernetes/kubernetes/pull/{number}"),
            author: Some("carol".into()),
            merged_at: NOW - 86_400,
            kind,
            parents: Vec::new(),
            release_notes: vec![ReleaseNoteReport {
                from_pr: number,
                state: NoteState::Written,
                text: Some(note.into()),
            }],
        };
        let mut branch = fixture::branch("release-1.34", BranchStatus::Green);
        branch.release_notes_preview = Some(NotesPreview {
            since_release: PatchVersion::new(1, 34, 3),
            since: NOW - 10 * 86_400,
            complete: false,
            merged: vec![
                merged(3, ChangeKind::Bug, "Fixed C."),
                merged(1, ChangeKind::Uncategorized, "Did A."),
                merged(2, ChangeKind::ApiChange, "Changed B."),
            ],
        });
        let html = render(branch);
        let notes = section(&html, "notes");
        assert!(
            notes.contains("3 PRs merged since <strong>v1.34.3</strong> (2026-11-15)"),
            "{notes}"
        );
        assert!(notes.contains(">incomplete<"));
        let api = notes.find("<h3>API Change</h3>").unwrap();
        let bug = notes.find("<h3>Bug or Regression</h3>").unwrap();
        let none = notes.find("<h3>Uncategorized</h3>").unwrap();
        assert!(api < bug && bug < none, "{notes}");
        assert!(notes[bug..none].contains("Fixed C."));
    }

    #[test]
    fn the_freeze_worklist_and_the_milestone_say_what_to_do() {
        let open = fixture::pull(7, "Seven", NextAction::Failing);
        let mut branch = fixture::with_pulls(
            fixture::branch("release-1.34", BranchStatus::Green),
            vec![open],
        );
        branch.freeze_worklist = FreezeWorklist {
            to_unapprove: vec![7, 9],
            to_reapprove: vec![ReapprovalReport {
                number: 11,
                removed_at: NOW - 2 * 86_400,
                removed_by: Some("dave".into()),
            }],
            ended_by: Some(PatchVersion::new(1, 34, 3)),
        };
        branch.milestone = Some(MilestoneReport {
            title: "v1.34".into(),
            exists: true,
            state: Some("open".into()),
            due_on: None,
            url: Some("https://github.com/kubernetes/kubernetes/milestone/90".into()),
        });
        let html = render(branch.clone());
        let freeze = section(&html, "freeze");
        assert!(freeze.contains("#7</a> Seven"), "{freeze}");
        assert!(freeze.contains("<li>#9</li>"), "{freeze}");
        assert!(freeze.contains("Re-approve after v1.34.3"), "{freeze}");
        assert!(freeze.contains("#11 <span class=\"small\">approval removed 2026-11-23 12:00 UTC (2 days ago) by dave"), "{freeze}");
        assert!(section(&html, "milestone").contains("no due date"));

        branch.milestone = Some(MilestoneReport {
            title: "v1.34".into(),
            exists: false,
            state: None,
            due_on: None,
            url: None,
        });
        assert!(
            section(&render(branch.clone()), "milestone")
                .contains("milestone <strong>v1.34</strong> does not exist")
        );
        branch.milestone = Some(MilestoneReport {
            due_on: Some(NOW - 12 * 3600 + 4 * 86_400),
            exists: true,
            ..branch.milestone.clone().unwrap()
        });
        assert!(section(&render(branch), "milestone").contains("due 2026-11-29 (in 4 days)"));
    }

    #[test]
    fn an_unknown_branch_has_no_page_and_the_not_found_page_escapes_the_name() {
        let snapshot =
            fixture::snapshot(vec![fixture::branch("release-1.34", BranchStatus::Green)]);
        assert!(render_branch(&snapshot, "release-9.99", &fixture::context()).is_none());
        let html = render_not_found(&snapshot, "<script>x</script>", &fixture::context());
        assert!(html.contains("“&lt;script&gt;x&lt;/script&gt;”"));
        assert!(html.contains("<a href=\"/branches/release-1.34\">release-1.34</a>"));
    }
}
