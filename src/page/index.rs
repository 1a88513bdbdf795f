//! `/`: one row per watched branch — health and since when, go/no-go at HEAD, the patch
//! release clock, the freeze and the cherry-pick queue by next action.

use maud::{Markup, html};

use super::{
    PageContext, badge, blocker_text, branch_path, branch_status_class, format, window_bar,
    window_text,
};
use crate::snapshot::{
    BranchReport, BranchStatus, NextAction, ReadinessReport, ReleaseReport, Snapshot,
};

pub(super) fn content(snapshot: &Snapshot, ctx: &PageContext) -> Markup {
    html! {
        @if snapshot.branches.is_empty() {
            p { "No branch is watched yet: the first poll has not finished." }
        } @else {
            (headline(snapshot, ctx))
            div.scroll {
                table.board.cards {
                    thead { tr {
                        th { "Branch" }
                        th { "Status" }
                        th { "Go/no-go at HEAD" }
                        th { "Last patch release" }
                        th { "Next patch release" }
                        th { "Cherry-pick deadline" }
                        th { "Freeze" }
                        th { "Cherry-pick queue" }
                    } }
                    tbody {
                        @for branch in &snapshot.branches { (row(branch, ctx)) }
                    }
                }
            }
        }
    }
}

/// The answers first: which branch is red and since when, which picks are stuck because of
/// their branch, which target was missed, when the next patch release is due, what is frozen.
fn headline(snapshot: &Snapshot, ctx: &PageContext) -> Markup {
    let red: Vec<&BranchReport> = snapshot
        .branches
        .iter()
        .filter(|b| b.status == BranchStatus::Red)
        .collect();
    let blocked: Vec<(&BranchReport, u32)> = snapshot
        .branches
        .iter()
        .filter_map(|b| {
            let count = b
                .queue
                .get(&NextAction::BlockedByBranch)
                .copied()
                .unwrap_or(0);
            (count > 0).then_some((b, count))
        })
        .collect();
    let targets = || {
        snapshot.branches.iter().filter_map(|b| {
            let release = b.release.as_ref().filter(|r| !r.retired)?;
            Some((b, release, release.next_target_at?))
        })
    };
    let missed: Vec<_> = targets().filter(|(_, r, _)| r.target_missed).collect();
    let next = targets()
        .filter(|(_, r, _)| !r.target_missed)
        .min_by_key(|(_, _, at)| *at);
    let frozen: Vec<&BranchReport> = snapshot
        .branches
        .iter()
        .filter(|b| b.release.as_ref().is_some_and(|r| r.freeze))
        .collect();
    html! {
        ul.headline {
            @for branch in &red {
                li {
                    a href=(branch_path(&branch.name)) { strong { (branch.name) } } " is "
                    (badge(branch_status_class(branch.status), branch.status.as_str()))
                    " since " span.date { (format::clock(branch.status_since, ctx.now)) }
                    " (" (format::span(ctx.now.saturating_sub(branch.status_since))) ")"
                }
            }
            @if red.is_empty() { li { "No branch is red." } }
            @for (branch, count) in &blocked {
                li {
                    a.hot href={ (branch_path(&branch.name)) "#" (NextAction::BlockedByBranch.as_str()) } {
                        (format::plural(i64::from(*count), "cherry-pick")) " blocked by " (branch.name)
                    }
                }
            }
            @for (branch, release, at) in &missed {
                li {
                    (badge("s-red", "target missed")) " "
                    @if let Some(version) = &release.next_target_version { strong { (version) } " " }
                    "(" (branch.name) ") was due " span.date { (format::date(*at)) }
                    ", " (format::relative_day(*at, ctx.now))
                }
            }
            @if let Some((branch, release, at)) = next {
                li {
                    "Next patch release: "
                    @if let Some(version) = &release.next_target_version { strong { (version) } " " }
                    "(" (branch.name) ") on " span.date { (format::date(at)) }
                    ", " (format::relative_day(at, ctx.now))
                }
            }
            @if !frozen.is_empty() {
                li {
                    "Frozen: "
                    @for (i, branch) in frozen.iter().enumerate() {
                        @if i > 0 { ", " }
                        a href=(branch_path(&branch.name)) { (branch.name) }
                    }
                }
            }
        }
    }
}

fn row(branch: &BranchReport, ctx: &PageContext) -> Markup {
    let path = branch_path(&branch.name);
    html! {
        tr id={ "branch-" (branch.name) } {
            td data-label="Branch" {
                a.branch href=(path) { strong { (branch.name) } }
                @if let Some(head) = &branch.head {
                    div.small { "HEAD " code { (head.chars().take(10).collect::<String>()) } }
                }
            }
            td data-label="Status" { (status(branch, ctx)) }
            td data-label="Go/no-go" { (readiness(&branch.readiness)) }
            td data-label="Last patch" { (last_release(branch.release.as_ref(), ctx)) }
            td data-label="Next patch" { (next_target(branch.release.as_ref(), ctx)) }
            td data-label="Deadline" {
                @match branch.release.as_ref().and_then(|r| r.cherry_pick_deadline_at) {
                    Some(at) => {
                        span.date { (format::date(at)) } div.small { (format::relative_day(at, ctx.now)) }
                    }
                    None => span.muted { "—" },
                }
            }
            td data-label="Freeze" { (freeze(branch.release.as_ref())) }
            td data-label="Queue" { (queue(branch, &path)) }
        }
    }
}

/// The status badge, since when, and why.
pub(super) fn status(branch: &BranchReport, ctx: &PageContext) -> Markup {
    html! {
        (badge(branch_status_class(branch.status), branch.status.as_str()))
        @if branch.status_since > 0 {
            div.small title=(format::date_time(branch.status_since)) {
                "since " (format::clock(branch.status_since, ctx.now))
                " (" (format::relative(branch.status_since, ctx.now)) ")"
            }
        }
        @if !branch.status_reason.is_empty() {
            div.reason { (branch.status_reason) }
        }
    }
}

/// GO, or NO-GO with its blockers; "not judged" when analysis has said nothing.
pub(super) fn readiness(readiness: &ReadinessReport) -> Markup {
    html! {
        @if readiness.ready {
            (badge("s-green", "go"))
        } @else if readiness.blockers.is_empty() {
            span.muted { "not judged" }
        } @else {
            (badge("s-red", "no-go"))
            ul.plain.small {
                @for blocker in &readiness.blockers {
                    li { (blocker_text(*blocker, readiness.tabs.iter().filter(|t| t.blocker == Some(*blocker)).count())) }
                }
            }
        }
    }
}

fn last_release(release: Option<&ReleaseReport>, ctx: &PageContext) -> Markup {
    html! {
        @match release {
            None => span.muted { "no patch releases" },
            Some(release) => {
                @if let Some(version) = &release.last_release {
                    strong { (version) }
                    @if let Some(at) = release.last_release_at {
                        " " span.small.date title=(format::date_time(at)) { (format::date(at)) }
                    }
                    @if let Some(days) = release.days_since_last_release {
                        (window_bar(days, ctx.release_window, release.window))
                        span.small { (format::plural(days as i64, "day")) " ago" }
                    }
                    @if let Some(state) = release.window {
                        @let (class, text) = window_text(state);
                        " " (badge(class, text))
                    }
                } @else {
                    span.muted { "none yet" }
                }
                @if release.retired {
                    div.small { "retired"
                        @if let Some(last) = &release.final_patch { " (final " (last) ")" }
                    }
                } @else if release.past_planned_end_of_life {
                    div.small { "past planned end of life" }
                }
            }
        }
    }
}

fn next_target(release: Option<&ReleaseReport>, ctx: &PageContext) -> Markup {
    html! {
        @match release.map(|r| (r, r.next_target_at)) {
            Some((release, Some(at))) => {
                @if let Some(version) = &release.next_target_version { strong { (version) } " " }
                span.date { (format::date(at)) }
                div.small { (format::relative_day(at, ctx.now)) }
                @if release.target_missed { (badge("s-red", "target missed")) }
            }
            Some(_) => span.muted { "not scheduled" },
            None => span.muted { "—" },
        }
    }
}

fn freeze(release: Option<&ReleaseReport>) -> Markup {
    html! {
        @match release {
            Some(release) if release.freeze => (badge("s-amber", "frozen")),
            Some(_) => span.muted { "open" },
            None => span.muted { "—" },
        }
    }
}

/// Open PRs by next action, each count a link to its group on the branch page.
fn queue(branch: &BranchReport, path: &str) -> Markup {
    html! {
        @match branch.pull_request_counts.open {
            None => span.muted { "no GitHub data yet" },
            Some(0) => span.muted { "no open PRs" },
            Some(open) => {
                div.small { (open) " open" }
                ul.plain.queue {
                    @for action in NextAction::ALL {
                        @let count = branch.queue.get(&action).copied().unwrap_or(0);
                        @if count > 0 {
                            li {
                                a class=[hot(action)] href={ (path) "#" (action.as_str()) } {
                                    (count) " " (action.title())
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The actions a release manager should see first: picks stuck because of the branch.
fn hot(action: NextAction) -> Option<&'static str> {
    (action == NextAction::BlockedByBranch).then_some("hot")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        page::{
            fixture::{self, NOW},
            render_index,
        },
        snapshot::{BranchStatus, PatchVersion, ReadinessBlocker, TabReadiness, WindowState},
    };

    fn release_134() -> ReleaseReport {
        ReleaseReport {
            last_release: Some(PatchVersion::new(1, 34, 3)),
            last_release_at: Some(NOW - 12 * 86_400),
            days_since_last_release: Some(12),
            window: Some(WindowState::TooSoon),
            next_target_version: Some(PatchVersion::new(1, 34, 4)),
            next_target_at: Some(NOW - 12 * 3600 + 14 * 86_400),
            cherry_pick_deadline_at: Some(NOW - 12 * 3600 + 3 * 86_400),
            ..ReleaseReport::default()
        }
    }

    #[test]
    fn a_row_says_status_since_when_why_and_the_release_clock() {
        let mut red = fixture::branch("release-1.34", BranchStatus::Red);
        red.status_reason = "sig-release-1.34-blocking/verify-1.34 is FAILING".into();
        red.release = Some(release_134());
        let red = fixture::with_pulls(
            red,
            vec![
                fixture::pull(1, "a", NextAction::BlockedByBranch),
                fixture::pull(2, "b", NextAction::BlockedByBranch),
                fixture::pull(3, "c", NextAction::Triage),
            ],
        );
        let html = render_index(&fixture::snapshot(vec![red]), &fixture::context());
        assert!(html.contains(">red</span>"), "{html}");
        assert!(html.contains("since 11:00 UTC (1 hour ago)"), "{html}");
        assert!(html.contains("verify-1.34 is FAILING"));
        assert!(
            html.contains("<strong>v1.34.4</strong> <span class=\"date\">2026-12-09</span>"),
            "{html}"
        );
        assert!(html.contains("in 14 days"), "{html}");
        assert!(
            html.contains("2026-11-28</span><div class=\"small\">in 3 days</div>"),
            "{html}"
        );
        assert!(html.contains("12 days ago"));
        assert!(html.contains(">too soon<"));
        assert!(html.contains(">3 open<"));
        assert!(
            html.contains(
                "<a class=\"hot\" href=\"/branches/release-1.34#blocked_by_branch\">2 blocked by the branch</a>"
            ),
            "{html}"
        );
        assert!(html.contains("<a href=\"/branches/release-1.34#triage\">1 triage</a>"));
        assert!(!html.contains("#ready\""), "zero counts are not listed");
        assert!(
            html.contains("<span class=\"muted\">open</span>"),
            "no freeze"
        );
    }

    #[test]
    fn the_headline_answers_what_is_red_what_is_stuck_and_what_is_due() {
        let mut red = fixture::branch("release-1.34", BranchStatus::Red);
        red.release = Some(release_134());
        let red = fixture::with_pulls(
            red,
            vec![
                fixture::pull(1, "a", NextAction::BlockedByBranch),
                fixture::pull(2, "b", NextAction::BlockedByBranch),
            ],
        );
        let mut late = fixture::branch("release-1.35", BranchStatus::Green);
        late.release = Some(ReleaseReport {
            next_target_version: Some(PatchVersion::new(1, 35, 10)),
            next_target_at: Some(NOW - 12 * 3600 - 2 * 86_400),
            target_missed: true,
            freeze: true,
            ..ReleaseReport::default()
        });
        let mut soon = fixture::branch("release-1.36", BranchStatus::Green);
        soon.release = Some(ReleaseReport {
            next_target_version: Some(PatchVersion::new(1, 36, 8)),
            next_target_at: Some(NOW - 12 * 3600 + 86_400),
            ..ReleaseReport::default()
        });
        let snapshot = fixture::snapshot(vec![red, late, soon]);
        let html = headline(&snapshot, &fixture::context()).into_string();
        for needed in [
            "<strong>release-1.34</strong></a> is <span class=\"badge s-red\">red</span> since <span class=\"date\">11:00 UTC</span> (1 hour)",
            "<a class=\"hot\" href=\"/branches/release-1.34#blocked_by_branch\">2 cherry-picks blocked by release-1.34</a>",
            "<strong>v1.35.10</strong> (release-1.35) was due <span class=\"date\">2026-11-23</span>, 2 days ago",
            "Next patch release: <strong>v1.36.8</strong> (release-1.36) on <span class=\"date\">2026-11-26</span>, tomorrow",
            "Frozen: <a href=\"/branches/release-1.35\">release-1.35</a>",
        ] {
            assert!(html.contains(needed), "missing {needed:?} in {html}");
        }
        let calm = fixture::snapshot(vec![fixture::branch("master", BranchStatus::Flaky)]);
        let html = headline(&calm, &fixture::context()).into_string();
        assert!(html.contains("No branch is red."));
        assert!(!html.contains("Next patch release"), "{html}");
    }

    #[test]
    fn readiness_shows_go_or_no_go_with_blockers_per_tab() {
        let tab = |name: &str, blocker| TabReadiness {
            dashboard: "sig-release-1.34-blocking".into(),
            tab: name.into(),
            runs_at_head: Some(0),
            required: 1,
            head_green: None,
            blocker,
            url: "https://testgrid.k8s.io/x".into(),
        };
        let no_go = ReadinessReport {
            ready: false,
            blockers: vec![
                ReadinessBlocker::BranchNotGreen,
                ReadinessBlocker::TabNotRunAtHead,
            ],
            head: Some("abc".into()),
            tabs: vec![
                tab("a", Some(ReadinessBlocker::TabNotRunAtHead)),
                tab("b", Some(ReadinessBlocker::TabNotRunAtHead)),
                tab("c", None),
            ],
        };
        let html = readiness(&no_go).into_string();
        assert!(html.contains(">no-go<"), "{html}");
        assert!(html.contains("<li>branch not green</li>"), "{html}");
        assert!(html.contains("<li>2 tabs not run at HEAD</li>"), "{html}");
        let go = ReadinessReport {
            ready: true,
            ..ReadinessReport::default()
        };
        assert!(readiness(&go).into_string().contains(">go<"));
        assert!(
            readiness(&ReadinessReport::default())
                .into_string()
                .contains("not judged")
        );
    }

    #[test]
    fn a_frozen_branch_that_missed_its_target_says_so() {
        let mut branch = fixture::branch("release-1.33", BranchStatus::Green);
        branch.release = Some(ReleaseReport {
            freeze: true,
            target_missed: true,
            window: Some(WindowState::Overdue),
            days_since_last_release: Some(40),
            ..release_134()
        });
        let html = render_index(&fixture::snapshot(vec![branch]), &fixture::context());
        assert!(html.contains(">frozen<"));
        assert!(html.contains(">target missed<"));
        assert!(html.contains(">overdue<"));
        assert!(html.contains("class=\"window overdue\""));
    }

    #[test]
    fn master_and_branches_without_github_data_read_plainly() {
        let master = fixture::branch("master", BranchStatus::Flaky);
        let html = render_index(&fixture::snapshot(vec![master]), &fixture::context());
        assert!(html.contains("no patch releases"));
        assert!(html.contains("no GitHub data yet"));
        let empty = render_index(&crate::snapshot::Snapshot::default(), &fixture::context());
        assert!(empty.contains("the first poll has not finished"));
        assert!(empty.contains("no data yet"));
    }
}
