//! The banner over every page while a source is down or its data is late: which source, why,
//! until when it will not be asked again, and how old the data on the page is.

use maud::{Markup, html};

use super::{PageContext, format};
use crate::snapshot::{Snapshot, Source, SourceReport};

/// One banner per source that is down, or whose last success is older than two poll
/// intervals (a hung poller must not pass for fresh data).
pub(super) fn banners(snapshot: &Snapshot, ctx: &PageContext) -> Markup {
    html! {
        @for report in &snapshot.sources {
            @if let Some(banner) = banner(report, ctx) {
                div class=(if banner.down { "banner down" } else { "banner" }) role="alert" {
                    strong { (banner.headline) }
                    @if let Some(detail) = &banner.detail {
                        span.detail { (detail) }
                    }
                }
            }
        }
    }
}

struct Banner {
    /// Failing, rather than late or not polled yet.
    down: bool,
    headline: String,
    detail: Option<String>,
}

fn banner(report: &SourceReport, ctx: &PageContext) -> Option<Banner> {
    let late_after = i64::try_from(ctx.poll_interval.as_secs())
        .unwrap_or(i64::MAX)
        .saturating_mul(2);
    let age = report
        .last_success
        .map(|at| ctx.now.saturating_sub(at).max(0));
    let late = age.is_none_or(|age| age > late_after);
    if report.up && !late {
        return None;
    }
    let name = source_name(report.source);
    let data = data_name(report.source);
    let not_polled = report.error_kind.as_deref() == Some("not_polled");
    let mut headline = if not_polled && report.last_success.is_none() {
        format!("{name}: waiting for the first poll")
    } else if !report.up {
        let mut failing = format!("{name} {}", failing_phrase(report.error_kind.as_deref()));
        if let Some(at) = report.retry_at.filter(|at| *at > ctx.now) {
            let at = format::clock(at, ctx.now);
            if report.error_kind.as_deref() == Some("rate_limited") {
                failing.push_str(&format!(" until {at}"));
            } else {
                failing.push_str(&format!(" (next try at {at})"));
            }
        }
        failing
    } else {
        format!(
            "{name} has not finished a poll in {} (one is due every {})",
            format::span(age.unwrap_or_default()),
            format::span(i64::try_from(ctx.poll_interval.as_secs()).unwrap_or(i64::MAX)),
        )
    };
    match (report.last_success, age) {
        (Some(at), Some(age)) => headline.push_str(&format!(
            "; {data} is {} old (last good poll {})",
            format::span(age),
            format::clock(at, ctx.now)
        )),
        _ => headline.push_str(&format!("; no {data} yet")),
    }
    headline.push('.');
    let detail = report
        .last_error
        .as_ref()
        .filter(|_| !report.up && !not_polled)
        .map(|error| format!("Last error: {error}"));
    Some(Banner {
        down: !report.up && !not_polled,
        headline,
        detail,
    })
}

fn source_name(source: Source) -> &'static str {
    match source {
        Source::Testgrid => "TestGrid",
        Source::Github => "GitHub",
        Source::Schedule => "The release schedule",
    }
}

fn data_name(source: Source) -> &'static str {
    match source {
        Source::Testgrid => "tab data",
        Source::Github => "PR and release data",
        Source::Schedule => "schedule data",
    }
}

/// The error kind as what a person would say of the source.
fn failing_phrase(kind: Option<&str>) -> String {
    match kind {
        Some("rate_limited") => "rate limited".to_string(),
        Some("timeout") => "timing out".to_string(),
        Some("server_error") => "failing with server errors".to_string(),
        Some("client_error") => "refusing requests".to_string(),
        Some("transport_error") => "unreachable".to_string(),
        Some("decode_error") => "answering with data that cannot be read".to_string(),
        Some("graphql_error") => "answering with GraphQL errors".to_string(),
        Some("missing_token") => "not polled: no token".to_string(),
        Some("unauthorized") => "refusing the token".to_string(),
        Some("forbidden") => "refusing access".to_string(),
        Some("not_found") => "cannot find the repository".to_string(),
        Some("panic") => "failing inside branchwatch (a panic)".to_string(),
        // Kinds are bounded labels; one this version does not know is still shown.
        Some(other) => format!("failing ({})", other.replace('_', " ")),
        None => "failing".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::page::fixture::{self, NOW};

    fn source(source: Source) -> SourceReport {
        SourceReport {
            source,
            up: true,
            last_success: Some(NOW - 60),
            last_poll_duration_seconds: Some(0.4),
            last_error: None,
            error_kind: None,
            retry_at: None,
        }
    }

    fn text(report: SourceReport) -> Option<String> {
        let snapshot = Snapshot {
            sources: vec![report],
            ..Snapshot::default()
        };
        let html = banners(&snapshot, &fixture::context()).into_string();
        (!html.is_empty()).then_some(html)
    }

    #[test]
    fn fresh_sources_show_no_banner() {
        for s in Source::ALL {
            assert_eq!(text(source(s)), None);
        }
    }

    #[test]
    fn a_rate_limit_says_until_when_and_how_old_the_data_is() {
        let html = text(SourceReport {
            up: false,
            last_success: Some(NOW - 12 * 60),
            last_error: Some("API rate limit exceeded for user ID 1.".into()),
            error_kind: Some("rate_limited".into()),
            retry_at: Some(NOW + 11 * 3600 + 10 * 60),
            ..source(Source::Github)
        })
        .unwrap();
        assert!(
            html.contains("GitHub rate limited until 23:10 UTC; PR and release data is 12 minutes old (last good poll 11:48 UTC)."),
            "{html}"
        );
        assert!(
            html.contains("Last error: API rate limit exceeded"),
            "{html}"
        );
        assert!(html.contains("class=\"banner down\""), "{html}");
    }

    #[test]
    fn an_up_source_whose_poll_hangs_is_called_late() {
        // Two poll intervals (5 min in the fixture) and a bit: late.
        let html = text(SourceReport {
            last_success: Some(NOW - 11 * 60),
            ..source(Source::Testgrid)
        })
        .unwrap();
        assert!(
            html.contains("TestGrid has not finished a poll in 11 minutes (one is due every 5 minutes); tab data is 11 minutes old"),
            "{html}"
        );
        assert!(html.contains("class=\"banner\""), "late, not down: {html}");
        assert_eq!(
            text(SourceReport {
                last_success: Some(NOW - 10 * 60),
                ..source(Source::Testgrid)
            }),
            None,
            "exactly two intervals is still on time"
        );
    }

    #[test]
    fn a_source_that_never_answered_has_no_data_and_says_why() {
        let html = text(SourceReport {
            up: false,
            last_success: None,
            last_error: Some("500 Server Error <b>oops</b>".into()),
            error_kind: Some("server_error".into()),
            retry_at: Some(NOW + 30),
            ..source(Source::Schedule)
        })
        .unwrap();
        assert!(
            html.contains("The release schedule failing with server errors (next try at 12:00 UTC); no schedule data yet."),
            "{html}"
        );
        assert!(
            html.contains("500 Server Error &lt;b&gt;oops&lt;/b&gt;"),
            "{html}"
        );
        let waiting = text(SourceReport {
            up: false,
            last_success: None,
            last_error: Some("not polled yet".into()),
            error_kind: Some("not_polled".into()),
            ..source(Source::Github)
        })
        .unwrap();
        assert!(
            waiting.contains("GitHub: waiting for the first poll; no PR and release data yet."),
            "{waiting}"
        );
        assert!(!waiting.contains("down"), "{waiting}");
    }

    #[test]
    fn an_unknown_kind_is_still_named() {
        let html = text(SourceReport {
            up: false,
            error_kind: Some("brand_new".into()),
            last_error: Some("x".into()),
            ..source(Source::Github)
        })
        .unwrap();
        assert!(
            html.contains("GitHub failing (brand new); PR and release data is 1 minute old"),
            "{html}"
        );
    }
}
