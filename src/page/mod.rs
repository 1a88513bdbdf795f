//! The release manager's desk: `/`, every watched branch in one row, and `/branches/<branch>`,
//! the work of the day on one branch — server-rendered HTML, pure functions of one snapshot and
//! a [`PageContext`].
//!
//! Every string from upstream (titles, labels, authors, tab and job names, notes, error
//! messages, URLs) is hostile: it reaches the page only through maud, which escapes text and
//! attribute values, and a URL becomes a link only when it is plain `http(s)`. The page needs
//! nothing from elsewhere — the CSS is inline and the only thing its
//! [`content_security_policy`] allows, by hash; the figures are inline SVG — works without
//! JavaScript, and reloads itself about once per poll.

use std::{sync::LazyLock, time::Duration};

use maud::{DOCTYPE, Markup, PreEscaped, Render, html};

use crate::{
    k8s::timing::ReleaseWindow,
    snapshot::{BranchStatus, ReadinessBlocker, Snapshot, TabStatus, WindowState},
};

mod branch;
mod format;
mod health;
mod index;

#[cfg(test)]
mod fixture;

/// What a page needs besides the snapshot.
#[derive(Clone, Copy, Debug)]
pub struct PageContext {
    /// Unix seconds the page is rendered at (from the app's clock; the demo's is a scenario's).
    pub now: i64,
    /// How often the sources are polled: data older than two intervals is called out, and the
    /// page reloads itself about this often.
    pub poll_interval: Duration,
    /// The 2–4 week patch release window the days since the last release are drawn against.
    pub release_window: ReleaseWindow,
    /// `privacy.embargo`: titles, authors and notes are already emptied in the snapshot; the
    /// page says so.
    pub embargo: bool,
}

impl PageContext {
    /// Seconds between two reloads of a page: the poll interval, at least 30 s, at most 15 min.
    pub fn refresh_seconds(&self) -> u64 {
        self.poll_interval.as_secs().clamp(30, 900)
    }
}

/// `/`: every watched branch in one row, under a banner for each source that is down or late.
pub fn render_index(snapshot: &Snapshot, ctx: &PageContext) -> String {
    layout(
        snapshot,
        ctx,
        "Release branches",
        None,
        index::content(snapshot, ctx),
    )
}

/// `/branches/<branch>`: the work of the day on one branch; None when it is not watched.
pub fn render_branch(snapshot: &Snapshot, name: &str, ctx: &PageContext) -> Option<String> {
    let branch = snapshot.branch(name)?;
    Some(layout(
        snapshot,
        ctx,
        &branch.name,
        Some(&branch.name),
        branch::content(branch, ctx),
    ))
}

/// The page for a branch that is not watched (served with 404).
pub fn render_not_found(snapshot: &Snapshot, requested: &str, ctx: &PageContext) -> String {
    // The name came from the URL: shown escaped, and only its beginning.
    let shown: String = requested.chars().take(80).collect();
    layout(
        snapshot,
        ctx,
        "Not watched",
        None,
        html! {
            section {
                h2 { "No watched branch is named “" (shown) "”" }
                @if snapshot.branches.is_empty() {
                    p { "No branch is watched yet: the first poll has not finished." }
                } @else {
                    p { "Watched branches: "
                        @for (i, branch) in snapshot.branches.iter().enumerate() {
                            @if i > 0 { ", " }
                            a href=(branch_path(&branch.name)) { (branch.name) }
                        }
                    }
                }
            }
        },
    )
}

/// The stylesheet, inline in every page.
const STYLE: &str = include_str!("style.css");

/// The `Content-Security-Policy` of every page: nothing may load or run but the inline
/// stylesheet, allowed by its hash.
pub fn content_security_policy() -> &'static str {
    static POLICY: LazyLock<String> = LazyLock::new(|| {
        format!(
            "default-src 'none'; style-src '{}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
            sha256_source(STYLE)
        )
    });
    &POLICY
}

/// A CSP hash source, `sha256-<base64>`, of an inline element's exact text.
fn sha256_source(text: &str) -> String {
    use base64::Engine;
    let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    format!(
        "sha256-{}",
        base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
    )
}

fn layout(
    snapshot: &Snapshot,
    ctx: &PageContext,
    title: &str,
    branch: Option<&str>,
    content: Markup,
) -> String {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta http-equiv="refresh" content=(ctx.refresh_seconds());
                meta name="referrer" content="no-referrer";
                title { (title) " · branchwatch" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header.top {
                    h1 {
                        a href="/" { "branchwatch" }
                        @if let Some(branch) = branch { " / " (branch) }
                    }
                    span.meta {
                        @if snapshot.generated_at > 0 {
                            "data as of " (format::date_time(snapshot.generated_at))
                            " (" (format::relative(snapshot.generated_at, ctx.now)) ")"
                        } @else {
                            "no data yet"
                        }
                        " · reloads every " (format::span(ctx.refresh_seconds() as i64))
                    }
                }
                @if ctx.embargo {
                    p.embargo role="note" { "Embargo mode: titles and notes hidden" }
                }
                (health::banners(snapshot, ctx))
                main { (content) }
                footer {
                    a href="/" { "All branches" }
                    a href="/api/v1/status" { "/api/v1/status" }
                    a href="/metrics" { "/metrics" }
                    span { "branchwatch " (env!("CARGO_PKG_VERSION")) }
                }
            }
        }
    };
    markup.into_string()
}

/// The page of a branch; any byte outside `[A-Za-z0-9._-]` is percent-encoded.
pub(crate) fn branch_path(name: &str) -> String {
    let mut path = String::from("/branches/");
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'-') {
            path.push(char::from(byte));
        } else {
            path.push_str(&format!("%{byte:02X}"));
        }
    }
    path
}

/// The URL itself when it is a plain `http(s)` URL a link may point at; None for anything
/// else (`javascript:`, `data:`, relative, with spaces or control characters).
pub(crate) fn http_url(url: &str) -> Option<&str> {
    let scheme_ok = ["https://", "http://"].iter().any(|scheme| {
        url.get(..scheme.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(scheme))
    });
    let clean = !url.chars().any(|c| c.is_whitespace() || c.is_control());
    (scheme_ok && clean && url.len() <= 4096).then_some(url)
}

/// `content` as a link to `url`, or as plain text when `url` is not a plain `http(s)` URL.
pub(crate) fn link(url: &str, content: impl Render) -> Markup {
    html! {
        @if let Some(href) = http_url(url) {
            a href=(href) rel="noreferrer" { (content) }
        } @else {
            (content)
        }
    }
}

/// Status text on a colour: the colour is never the only sign.
pub(crate) fn badge(class: &str, text: &str) -> Markup {
    html! { span class={ "badge " (class) } { (text) } }
}

pub(crate) fn branch_status_class(status: BranchStatus) -> &'static str {
    match status {
        BranchStatus::Green => "s-green",
        BranchStatus::Flaky => "s-amber",
        BranchStatus::Stale => "s-blue",
        BranchStatus::Red => "s-red",
        BranchStatus::Unknown => "s-grey",
    }
}

pub(crate) fn tab_status_class(status: TabStatus) -> &'static str {
    match status {
        TabStatus::Passing | TabStatus::Acceptable => "s-green",
        TabStatus::Flaky => "s-amber",
        TabStatus::Failing | TabStatus::Broken => "s-red",
        TabStatus::Stale => "s-blue",
        TabStatus::Pending | TabStatus::Unknown => "s-grey",
    }
}

/// A readiness blocker in words; `tabs` is how many tabs it concerns (0: not counted).
pub(crate) fn blocker_text(blocker: ReadinessBlocker, tabs: usize) -> String {
    match (blocker, tabs) {
        (ReadinessBlocker::BranchNotGreen | ReadinessBlocker::StaleData, _) => {
            tab_blocker_text(blocker).to_string()
        }
        (_, 0) => format!("tabs {}", tab_blocker_text(blocker)),
        (_, 1) => format!("1 tab {}", tab_blocker_text(blocker)),
        (_, n) => format!("{n} tabs {}", tab_blocker_text(blocker)),
    }
}

/// What a readiness blocker says of one tab (or of the branch).
pub(crate) fn tab_blocker_text(blocker: ReadinessBlocker) -> &'static str {
    match blocker {
        ReadinessBlocker::BranchNotGreen => "branch not green",
        ReadinessBlocker::StaleData => "TestGrid data or HEAD stale",
        ReadinessBlocker::TabNotRunAtHead => "not run at HEAD",
        ReadinessBlocker::TabHeadNotGreen => "not green at HEAD",
        ReadinessBlocker::RunsAtHeadBelowMinimum => "short of runs at HEAD",
    }
}

/// The days since the last patch release against the window: an inline SVG bar (the window
/// shaded, the day marked) that needs no image or script.
pub(crate) fn window_bar(days: u64, window: ReleaseWindow, state: Option<WindowState>) -> Markup {
    let min = window.min.as_secs() / 86_400;
    let max = (window.max.as_secs() / 86_400).max(min);
    let scale = (max + max / 2).max(days.saturating_add(1)).max(1) as f64;
    let x = |day: u64| day as f64 * 100.0 / scale;
    let class = match state {
        Some(WindowState::Overdue) => "window overdue",
        _ => "window",
    };
    let label =
        format!("{days} days since the last patch release; the window is {min} to {max} days");
    html! {
        svg class=(class) viewBox="0 0 100 10" preserveAspectRatio="none" role="img"
            aria-label=(label) {
            rect.track x="0" y="2.5" width="100" height="5" {}
            rect.band x=(format!("{:.2}", x(min))) y="2.5"
                width=(format!("{:.2}", x(max) - x(min))) height="5" {}
            rect.mark x=(format!("{:.2}", x(days).min(98.5))) y="0" width="1.5" height="10" {}
        }
    }
}

pub(crate) fn window_text(state: WindowState) -> (&'static str, &'static str) {
    match state {
        WindowState::TooSoon => ("s-blue", "too soon"),
        WindowState::InWindow => ("s-green", "in window"),
        WindowState::Overdue => ("s-red", "overdue"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_http_urls_become_links() {
        assert_eq!(
            http_url("https://github.com/kubernetes/kubernetes/pull/1"),
            Some("https://github.com/kubernetes/kubernetes/pull/1")
        );
        assert!(http_url("HTTP://testgrid.k8s.io/x").is_some());
        for hostile in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            " https://x",
            "data:text/html,<script>alert(1)</script>",
            "//evil.example/x",
            "/branches/x",
            "https://x\u{0}y",
            "https://x y",
            "",
            "é",
        ] {
            assert_eq!(http_url(hostile), None, "{hostile:?}");
        }
        assert_eq!(
            link("javascript:alert(1)", "run").into_string(),
            "run",
            "no link, the text alone"
        );
        assert_eq!(
            link("https://x/\"><script>", "t").into_string(),
            "<a href=\"https://x/&quot;&gt;&lt;script&gt;\" rel=\"noreferrer\">t</a>"
        );
    }

    #[test]
    fn branch_paths_encode_everything_but_name_characters() {
        assert_eq!(branch_path("release-1.34"), "/branches/release-1.34");
        assert_eq!(branch_path("a/../b\"<x>"), "/branches/a%2F..%2Fb%22%3Cx%3E");
    }

    #[test]
    fn the_policy_allows_exactly_the_inline_stylesheet() {
        let policy = content_security_policy();
        assert!(policy.starts_with("default-src 'none'; "), "{policy}");
        assert!(!policy.contains("unsafe"), "{policy}");
        assert!(!policy.contains("script-src"), "{policy}");
        // The hash of the exact text between <style> and </style> in a rendered page.
        let page = render_index(&Snapshot::default(), &fixture::context());
        let css = page
            .split_once("<style>")
            .and_then(|(_, rest)| rest.split_once("</style>"))
            .map(|(css, _)| css)
            .unwrap();
        assert!(policy.contains(&format!("style-src '{}'", sha256_source(css))));
        // A known vector (`echo -n abc | openssl dgst -sha256 -binary | base64`).
        assert_eq!(
            sha256_source("abc"),
            "sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
        );
    }

    #[test]
    fn the_page_reloads_about_once_per_poll_but_not_faster_than_every_30_seconds() {
        let mut ctx = fixture::context();
        ctx.poll_interval = Duration::from_secs(15);
        assert_eq!(ctx.refresh_seconds(), 30);
        ctx.poll_interval = Duration::from_secs(300);
        assert_eq!(ctx.refresh_seconds(), 300);
        let page = render_index(&Snapshot::default(), &ctx);
        assert!(page.contains("<meta http-equiv=\"refresh\" content=\"300\">"));
    }

    #[test]
    fn the_window_bar_marks_the_day_inside_its_scale() {
        let window = ReleaseWindow::default();
        let bar = window_bar(21, window, Some(WindowState::InWindow)).into_string();
        // Scale 42 days: the window from 14 to 28 days, the marker at day 21.
        assert!(
            bar.contains("x=\"33.33\" y=\"2.5\" width=\"33.33\""),
            "{bar}"
        );
        assert!(bar.contains("class=\"mark\" x=\"50.00\""), "{bar}");
        let late = window_bar(90, window, Some(WindowState::Overdue)).into_string();
        assert!(late.contains("class=\"window overdue\""), "{late}");
        assert!(late.contains("class=\"mark\" x=\"98.50\""), "{late}");
    }
}
