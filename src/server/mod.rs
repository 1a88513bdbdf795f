//! The HTTP server: `/metrics` (the exposition rendered at the last publish, a copy of bytes;
//! gzipped when the scraper accepts it), `/api/v1/status`, the probes, and the release
//! manager's pages `/` and `/branches/<branch>`. No handler waits on a poll or calls upstream.

use std::{sync::Arc, time::Duration};

use axum::{
    Json, Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};

use crate::{
    clock::Clock,
    config::valid_branch,
    k8s::timing::ReleaseWindow,
    metrics::Metrics,
    page::{self, PageContext},
    snapshot::SnapshotCell,
};

mod listener;

pub(crate) use listener::{MAX_CONNECTIONS, serve};

/// What the pages need besides the snapshot: the app's clock (the demo's follows its
/// scenario; a page never reads the system clock) and the settings they show.
#[derive(Clone)]
pub(crate) struct PageSettings {
    pub clock: Clock,
    pub poll_interval: Duration,
    pub release_window: ReleaseWindow,
    pub embargo: bool,
}

impl PageSettings {
    /// The context of a page rendered now.
    pub fn context(&self) -> PageContext {
        PageContext {
            now: (self.clock)(),
            poll_interval: self.poll_interval,
            release_window: self.release_window,
            embargo: self.embargo,
        }
    }
}

/// What every handler reads.
#[derive(Clone)]
struct Outputs {
    snapshot: Arc<SnapshotCell>,
    metrics: Arc<Metrics>,
    pages: PageSettings,
}

/// The router, separate from the listener so tests can call it directly.
pub(crate) fn router(
    snapshot: Arc<SnapshotCell>,
    metrics: Arc<Metrics>,
    pages: PageSettings,
) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/branches/{branch}", get(branch))
        .route("/metrics", get(metrics_handler))
        .route("/livez", get(|| async { "ok\n" }))
        .route("/readyz", get(|| async { "ready\n" }))
        .route("/api/v1/status", get(status))
        .with_state(Outputs {
            snapshot,
            metrics,
            pages,
        })
}

const EXPOSITION_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

async fn metrics_handler(State(outputs): State<Outputs>, headers: HeaderMap) -> Response {
    let exposition = outputs.metrics.exposition();
    match exposition.as_ref() {
        Ok(exposition) => {
            if accepts_gzip(&headers) {
                (
                    [
                        (header::CONTENT_TYPE, EXPOSITION_TYPE),
                        (header::CONTENT_ENCODING, "gzip"),
                        (header::VARY, "accept-encoding"),
                    ],
                    exposition.gzip.clone(),
                )
                    .into_response()
            } else {
                (
                    [
                        (header::CONTENT_TYPE, EXPOSITION_TYPE),
                        (header::VARY, "accept-encoding"),
                    ],
                    exposition.plain.clone(),
                )
                    .into_response()
            }
        }
        // Never an empty 200: Prometheus would take it as every series gone.
        Err(error) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("cannot render the metrics: {error}\n"),
        )
            .into_response(),
    }
}

/// `Accept-Encoding` lists gzip with a non-zero quality.
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|part| {
            let mut fields = part.split(';').map(str::trim);
            let coding = fields.next().unwrap_or("");
            let q_zero = fields.any(|f| {
                f.strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !q_zero
        })
}

async fn status(State(outputs): State<Outputs>) -> impl IntoResponse {
    (StatusCode::OK, Json(outputs.snapshot.load()))
}

async fn index(State(outputs): State<Outputs>) -> Response {
    let html = page::render_index(&outputs.snapshot.load(), &outputs.pages.context());
    page_response(StatusCode::OK, html)
}

async fn branch(State(outputs): State<Outputs>, Path(name): Path<String>) -> Response {
    let snapshot = outputs.snapshot.load();
    let ctx = outputs.pages.context();
    // Only a name a watched branch can have is looked up; anything else is not watched.
    let found = valid_branch(&name)
        .then(|| page::render_branch(&snapshot, &name, &ctx))
        .flatten();
    match found {
        Some(html) => page_response(StatusCode::OK, html),
        None => page_response(
            StatusCode::NOT_FOUND,
            page::render_not_found(&snapshot, &name, &ctx),
        ),
    }
}

/// A page with the headers that keep it to itself: its own policy (nothing loads or runs but
/// its inline stylesheet), no sniffing, no referrer, no framing, never cached.
fn page_response(status: StatusCode, html: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                page::content_security_policy(),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::X_FRAME_OPTIONS, "DENY"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        html,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_ENCODING, value.parse().unwrap());
        headers
    }

    #[test]
    fn gzip_is_served_only_to_scrapers_that_accept_it() {
        assert!(accepts_gzip(&with("gzip")));
        assert!(accepts_gzip(&with("deflate, gzip;q=0.8")));
        assert!(accepts_gzip(&with("*")));
        assert!(!accepts_gzip(&with("gzip;q=0")));
        assert!(!accepts_gzip(&with("identity")));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }
}
