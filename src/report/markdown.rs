//! The report as markdown to paste into the meeting notes, a GitHub comment or Slack: a
//! heading per branch, short bullets, PRs as `[#123](url)`, long lists cut with "and N more".
//!
//! Every upstream string (titles, tab and job names, reasons, errors, schedule notes) goes
//! through [`text`] or [`code`], and every link destination through [`safe_url`]: a title like
//! `<img src=x onerror=alert(1)>` or `**bold** [link](javascript:x)` reads as itself and never
//! becomes markup.

use std::fmt::Write;

use super::{
    BranchSection, EMBARGO_LINE, Merged, MergedLine, PrLine, Readiness, Release, Report, Risk,
    SourceLine, Verdict, date, dated, datetime, elapsed, relative_day, source_name,
};
use crate::snapshot::{BranchStatus, ChangeKind, NextAction, ReadinessBlocker, WindowState};

/// At most this many PRs as bullets under one heading; the rest are counted.
const LIST_CAP: usize = 8;
/// At most this many PR links on one line.
const REFS_CAP: usize = 10;
/// At most this many tabs named for one readiness blocker.
const TABS_CAP: usize = 5;
/// Titles are cut to this many characters.
const TITLE_CHARS: usize = 80;
/// Any other upstream text (reasons, errors, notes) is cut to this many characters.
const TEXT_CHARS: usize = 300;
/// An end of life this close (days) gets its own line.
const END_OF_LIFE_NOTICE_DAYS: i64 = 60;

/// The whole report as markdown.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Patch release update, {}",
        datetime(report.generated_at.unix)
    );
    out.push('\n');
    if report.embargo {
        let _ = writeln!(out, "**{EMBARGO_LINE}**\n");
    }
    if !report.branches.is_empty() {
        let _ = writeln!(out, "At a glance: {}\n", at_a_glance(&report.branches));
    }
    sources(&mut out, report);
    for branch in &report.branches {
        out.push('\n');
        branch_section(&mut out, branch, report.generated_at.unix);
    }
    out
}

fn emoji(status: BranchStatus) -> &'static str {
    match status {
        BranchStatus::Green => "🟢",
        BranchStatus::Flaky => "🟡",
        BranchStatus::Stale => "🟠",
        BranchStatus::Red => "🔴",
        BranchStatus::Unknown => "⚪",
    }
}

/// `🔴 release-1.34 red · 🟢 release-1.35, release-1.36 green`: worst first.
fn at_a_glance(branches: &[BranchSection]) -> String {
    let worst_first = [
        BranchStatus::Red,
        BranchStatus::Stale,
        BranchStatus::Flaky,
        BranchStatus::Unknown,
        BranchStatus::Green,
    ];
    worst_first
        .iter()
        .filter_map(|status| {
            let names: Vec<String> = branches
                .iter()
                .filter(|branch| branch.status == *status)
                .map(|branch| text(&branch.name, TEXT_CHARS))
                .collect();
            (!names.is_empty()).then(|| {
                format!(
                    "{} {} {}",
                    emoji(*status),
                    names.join(", "),
                    status.as_str()
                )
            })
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

fn sources(out: &mut String, report: &Report) {
    let now = report.generated_at.unix;
    if report.snapshot_at.unix != now {
        let _ = writeln!(
            out,
            "Data as of {} ({} before this report).\n",
            datetime(report.snapshot_at.unix),
            elapsed(now, report.snapshot_at.unix)
        );
    }
    if report.sources.is_empty() {
        let _ = writeln!(
            out,
            "⚠️ **No source has been polled yet**: nothing below is known."
        );
        return;
    }
    let down: Vec<&SourceLine> = report.sources.iter().filter(|s| !s.up).collect();
    if down.is_empty() {
        let names: Vec<&str> = report
            .sources
            .iter()
            .map(|s| source_name(s.source))
            .collect();
        let _ = writeln!(out, "Sources: all up ({}).", names.join(", "));
        return;
    }
    for source in down {
        let mut line = format!("⚠️ **{} is down**", source_name(source.source));
        if let Some(error) = &source.error {
            let _ = write!(line, ": {}", text(error, TEXT_CHARS));
        }
        match &source.last_success {
            Some(at) => {
                let _ = write!(
                    line,
                    ". Its data is as of {} ({} old)",
                    datetime(at.unix),
                    elapsed(now, at.unix)
                );
            }
            None => line.push_str(". It has not answered yet"),
        }
        if let Some(retry) = source.retry_at.as_ref().filter(|r| r.unix > now) {
            let _ = write!(line, "; next try {}", datetime(retry.unix));
        }
        let _ = writeln!(out, "{line}.");
    }
}

fn branch_section(out: &mut String, branch: &BranchSection, now: i64) {
    let _ = writeln!(
        out,
        "## {} {}: {} since {} ({})\n",
        emoji(branch.status),
        text(&branch.name, TEXT_CHARS),
        branch.status.as_str(),
        datetime(branch.status_since.unix),
        elapsed(now, branch.status_since.unix)
    );
    if !branch.status_reason.trim().is_empty() {
        bullet(out, "Why", &text(&branch.status_reason, TEXT_CHARS));
    }
    let failing_tabs = &branch.blocked_by.failing_tabs;
    if !failing_tabs.is_empty() {
        let tabs: Vec<String> = failing_tabs
            .iter()
            .map(|tab| {
                let tests = match tab.failing_tests {
                    0 => String::new(),
                    1 => ", 1 failing test".to_string(),
                    n => format!(", {n} failing tests"),
                };
                format!(
                    "{} ({}{tests})",
                    link(&tab.tab, &tab.url),
                    tab.status.as_str()
                )
            })
            .collect();
        bullet(out, "Failing blocking tabs", &capped(&tabs, REFS_CAP));
    }
    for presubmit in &branch.blocked_by.branch_wide_presubmits {
        let mut line = format!(
            "{} on {} of {} PRs",
            code(&presubmit.context),
            presubmit.failing_prs,
            presubmit.prs_with_result
        );
        if let Some(twin) = &presubmit.periodic_twin {
            let tab = link(&twin.tab, &twin.url);
            if twin.failing {
                let _ = write!(
                    line,
                    "; its periodic twin {tab} fails too: fix the branch, not the PRs"
                );
            } else {
                let _ = write!(
                    line,
                    "; its periodic twin {tab} is {}: the presubmit itself may be broken",
                    twin.status.as_str()
                );
            }
        }
        bullet(out, "Failing across the branch", &line);
    }
    if let Some(release) = &branch.release {
        bullet(out, "Readiness", &readiness(&branch.readiness));
        release_lines(out, release);
        freeze(out, branch);
    }
    bullet(out, "Open PRs", &open_prs(branch));
    if branch.release.is_some() {
        merged(out, branch.pull_requests.merged_since_release.as_ref());
        let approved = &branch.pull_requests.approved_waiting;
        if approved.is_empty() {
            bullet(out, "Approved and waiting", "none");
        } else {
            let _ = writeln!(out, "- **Approved and waiting ({}):**", approved.len());
            pr_list(out, approved.iter().map(pr_item));
        }
    }
    let blocked = &branch.pull_requests.blocked_by_branch;
    if !blocked.is_empty() {
        let only_branch = branch.pull_requests.would_merge_once_fixed;
        let mut line = refs(blocked);
        if only_branch > 0 {
            let _ = write!(line, ": {only_branch} would merge once the branch is fixed");
        }
        let _ = writeln!(
            out,
            "- **Blocked by the branch ({}):** {line}",
            blocked.len()
        );
    }
    risks(out, &branch.risks);
}

fn bullet(out: &mut String, label: &str, body: &str) {
    let _ = writeln!(out, "- **{label}:** {body}");
}

fn readiness(readiness: &Readiness) -> String {
    match readiness.verdict {
        Verdict::NotAssessed => "not assessed yet".to_string(),
        Verdict::Go => match &readiness.head {
            Some(head) => format!("✅ go: HEAD {} can be cut", code(short_sha(head))),
            None => "✅ go".to_string(),
        },
        Verdict::NoGo => {
            let mut reasons: Vec<String> = Vec::new();
            for blocker in &readiness.blockers {
                let tabs: Vec<String> = readiness
                    .tabs
                    .iter()
                    .filter(|tab| tab.blocker == *blocker)
                    .map(|tab| {
                        let tab_link = link(&tab.tab, &tab.url);
                        match (blocker, tab.runs_at_head) {
                            (ReadinessBlocker::RunsAtHeadBelowMinimum, Some(runs)) => {
                                format!("{tab_link} ({runs} of {})", tab.required)
                            }
                            _ => tab_link,
                        }
                    })
                    .collect();
                let reason = blocker_text(*blocker);
                reasons.push(if tabs.is_empty() {
                    reason.to_string()
                } else {
                    format!("{reason}: {}", capped(&tabs, TABS_CAP))
                });
            }
            format!("⛔ no-go: {}", reasons.join("; "))
        }
    }
}

fn blocker_text(blocker: ReadinessBlocker) -> &'static str {
    match blocker {
        ReadinessBlocker::BranchNotGreen => "branch not green",
        ReadinessBlocker::StaleData => "TestGrid data is stale",
        ReadinessBlocker::TabNotRunAtHead => "not run at HEAD",
        ReadinessBlocker::TabHeadNotGreen => "newest run at HEAD not green",
        ReadinessBlocker::RunsAtHeadBelowMinimum => "too few runs at HEAD",
    }
}

fn short_sha(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

fn release_lines(out: &mut String, release: &Release) {
    let last = match (release.last_release, &release.last_release_at) {
        (Some(version), Some(at)) => {
            let window = match release.window {
                Some(WindowState::TooSoon) => ", too soon for the next",
                Some(WindowState::InWindow) => ", in window",
                Some(WindowState::Overdue) => ", overdue",
                None => "",
            };
            format!(
                "{version} on {} ({}{window})",
                date(at.unix),
                relative_day(at)
            )
        }
        (Some(version), None) => version.to_string(),
        (None, _) => "none known".to_string(),
    };
    bullet(out, "Last release", &last);
    let mut next = match (release.next_target_version, &release.next_target) {
        (Some(version), Some(at)) if release.target_missed => {
            format!("{version}, target {} missed", dated(at))
        }
        (Some(version), Some(at)) => format!("{version} on {}", dated(at)),
        (Some(version), None) => format!("{version}, no date yet"),
        (None, _) => "none scheduled".to_string(),
    };
    if let Some(deadline) = &release.cherry_pick_deadline {
        let _ = write!(next, "; cherry-pick deadline {}", dated(deadline));
    }
    bullet(out, "Next release", &next);
    if let Some(eol) = &release.end_of_life {
        if !release.retired && (0..=END_OF_LIFE_NOTICE_DAYS).contains(&eol.days_from_now) {
            bullet(out, "End of life", &dated(eol));
        }
    }
}

fn freeze(out: &mut String, branch: &BranchSection) {
    let freeze = &branch.freeze;
    let mut line = if freeze.on {
        "❄️ on: the cherry-pick deadline passed".to_string()
    } else {
        "off".to_string()
    };
    if !freeze.to_unapprove.is_empty() {
        let _ = write!(
            line,
            "; approved but not ready, to un-approve: {}",
            refs(&freeze.to_unapprove)
        );
    }
    if !freeze.to_reapprove.is_empty() {
        let during = freeze
            .ended_by
            .map(|version| format!(" during the freeze before {version}"))
            .unwrap_or_default();
        let _ = write!(
            line,
            "; approval removed{during}, to re-approve: {}",
            refs(&freeze.to_reapprove)
        );
    }
    bullet(out, "Freeze", &line);
}

fn open_prs(branch: &BranchSection) -> String {
    let Some(open) = branch.pull_requests.open else {
        return "not known yet (GitHub has not answered)".to_string();
    };
    let by_action: Vec<String> = NextAction::ALL
        .iter()
        .filter_map(|action| {
            let count = branch.pull_requests.queue.get(action).copied().unwrap_or(0);
            (count > 0).then(|| format!("{count} {}", action.title()))
        })
        .collect();
    match (open, by_action.is_empty()) {
        (0, _) => "none".to_string(),
        (open, true) => open.to_string(),
        (open, false) => format!("{open}: {}", by_action.join(", ")),
    }
}

fn merged(out: &mut String, merged: Option<&Merged>) {
    let Some(merged) = merged else {
        bullet(out, "Merged since the last release", "not known yet");
        return;
    };
    let incomplete = if merged.complete {
        ""
    } else {
        " (list incomplete)"
    };
    if merged.pull_requests.is_empty() {
        let _ = writeln!(
            out,
            "- **Merged since {}:** none{incomplete}",
            merged.since_release
        );
        return;
    }
    let _ = writeln!(
        out,
        "- **Merged since {} ({}){incomplete}:**",
        merged.since_release,
        merged.pull_requests.len()
    );
    pr_list(out, merged.pull_requests.iter().map(merged_item));
}

fn merged_item(pr: &MergedLine) -> String {
    let mut item = pr_link(pr.number, Some(&pr.url));
    if let Some(title) = &pr.title {
        let _ = write!(item, " {}", text(short_title(title), TITLE_CHARS));
    }
    if pr.kind != ChangeKind::Uncategorized {
        let _ = write!(item, " — {}", pr.kind.title());
    }
    item
}

/// `[#123](url) title — waiting for parent merge`.
fn pr_item(pr: &PrLine) -> String {
    let mut item = pr_link(pr.number, pr.url.as_deref());
    if let Some(title) = &pr.title {
        let _ = write!(item, " {}", text(short_title(title), TITLE_CHARS));
    }
    if let Some(action) = pr.next_action {
        let _ = write!(item, " — {}", action.title());
    }
    item
}

/// A title as the meeting reads it: without the cherry-pick script's `Automated cherry pick of
/// #1, #2: ` or a `[release-1.34] ` prefix, which the link and the heading already say; the
/// whole title when nothing else is left.
pub(super) fn short_title(title: &str) -> &str {
    let mut rest = title.trim_start();
    if let Some((refs, tail)) = rest
        .strip_prefix("Automated cherry pick of ")
        .and_then(|after| after.split_once(": "))
    {
        let is_ref = |r: &str| {
            r.trim()
                .strip_prefix('#')
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        };
        if refs.split(',').all(is_ref) {
            rest = tail;
        }
    }
    if let Some(end) = rest
        .strip_prefix("[release-")
        .and_then(|after| after.find("] "))
    {
        rest = &rest["[release-".len() + end + 2..];
    }
    if rest.trim().is_empty() { title } else { rest }
}

/// Nested bullets, at most [`LIST_CAP`], then "and N more".
fn pr_list(out: &mut String, items: impl ExactSizeIterator<Item = String>) {
    let total = items.len();
    for item in items.take(LIST_CAP) {
        let _ = writeln!(out, "  - {item}");
    }
    if total > LIST_CAP {
        let _ = writeln!(out, "  - and {} more", total - LIST_CAP);
    }
}

/// `[#1](u), [#2](u) and 3 more`.
fn refs(prs: &[PrLine]) -> String {
    let links: Vec<String> = prs
        .iter()
        .map(|pr| pr_link(pr.number, pr.url.as_deref()))
        .collect();
    capped(&links, REFS_CAP)
}

/// `a, b, c and 4 more`.
fn capped(items: &[String], cap: usize) -> String {
    let mut line = items
        .iter()
        .take(cap)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > cap {
        let _ = write!(line, " and {} more", items.len() - cap);
    }
    line
}

fn risks(out: &mut String, risks: &[Risk]) {
    if risks.is_empty() {
        bullet(out, "Risks", "none");
        return;
    }
    let _ = writeln!(out, "- **Risks:**");
    for risk in risks {
        let mut item = text(&risk.message, TEXT_CHARS);
        if !risk.pull_requests.is_empty() {
            let _ = write!(item, " {}", refs(&risk.pull_requests));
        }
        let _ = writeln!(out, "  - {item}");
    }
}

/// `[#123](https://github.com/...)`, or `#123` when there is no safe link.
fn pr_link(number: u64, url: Option<&str>) -> String {
    let label = format!("#{number}");
    match url.and_then(safe_url) {
        Some(url) => format!("[{label}]({url})"),
        None => label,
    }
}

/// `[label](url)` with `label` escaped; the escaped label alone when `url` is not a safe link.
fn link(label: &str, url: &str) -> String {
    let label = text(label, TEXT_CHARS);
    match safe_url(url) {
        Some(url) => format!("[{label}]({url})"),
        None => label,
    }
}

/// `url` as a link destination: http or https only (no `javascript:`), and every byte that
/// could end the destination or read as markup (parentheses, brackets, angle brackets, quotes,
/// backslashes, spaces, controls, non-ASCII) percent-encoded.
pub(super) fn safe_url(url: &str) -> Option<String> {
    let url = url.trim();
    let scheme = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    if !(scheme.starts_with("https://") || scheme.starts_with("http://")) {
        return None;
    }
    let mut safe = String::with_capacity(url.len());
    for byte in url.bytes() {
        let keep = byte.is_ascii_alphanumeric() || b"-._~:/?#@!$&'*+,;=%".contains(&byte);
        if keep {
            safe.push(char::from(byte));
        } else {
            let _ = write!(safe, "%{byte:02X}");
        }
    }
    Some(safe)
}

/// Upstream text on one line: whitespace collapsed, control and bidi characters dropped, at
/// most `max` characters (then `…`).
fn one_line(raw: &str, max: usize) -> String {
    let clean: String = raw
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control() && !is_bidi_control(*c))
        .collect();
    let mut bounded: String = clean.chars().take(max).collect();
    if clean.chars().count() > max {
        bounded.push('…');
    }
    bounded
}

/// Directional overrides and isolates, which can make text read differently from what it is.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Upstream text as literal markdown: [`one_line`], and every character that could open
/// markup — emphasis, links, images, HTML, entities, code, strikethrough, tables, math —
/// backslash-escaped, as CommonMark allows for any ASCII punctuation. Text never starts a line
/// here, so block markers (`#`, `-`, `1.`) need no escape.
pub(super) fn text(raw: &str, max: usize) -> String {
    let line = one_line(raw, max);
    let mut escaped = String::with_capacity(line.len());
    for c in line.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '&' | '|' | '~' | '$'
        ) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// A job name as a code span, where nothing is markup; escaped text when it holds a backtick
/// (which would end the span).
pub(super) fn code(raw: &str) -> String {
    if raw.contains('`') {
        text(raw, TEXT_CHARS)
    } else {
        format!("`{}`", one_line(raw, TEXT_CHARS))
    }
}
