//! The HTTP server: `/metrics` (the exposition rendered at the last publish, a copy of bytes;
//! gzipped when the scraper accepts it), `/api/v1/status`, the probes and a landing page. No
//! handler waits on a poll or calls upstream.

use std::sync::Arc;

use axum::{
    Json, Router,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{Html, IntoResponse, Response},
    routing::get,
};

use crate::{metrics::Metrics, snapshot::SnapshotCell};

mod listener;

pub(crate) use listener::{MAX_CONNECTIONS, serve};

/// What every handler reads.
#[derive(Clone)]
struct Outputs {
    snapshot: Arc<SnapshotCell>,
    metrics: Arc<Metrics>,
}

/// The router, separate from the listener so tests can call it directly.
pub fn router(snapshot: Arc<SnapshotCell>, metrics: Arc<Metrics>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/metrics", get(metrics_handler))
        .route("/livez", get(|| async { "ok\n" }))
        .route("/readyz", get(|| async { "ready\n" }))
        .route("/api/v1/status", get(status))
        .with_state(Outputs { snapshot, metrics })
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

async fn index() -> Html<&'static str> {
    Html(concat!(
        "<!doctype html><title>branchwatch</title><h1>branchwatch ",
        env!("CARGO_PKG_VERSION"),
        "</h1><ul><li><a href=\"/metrics\">/metrics</a> — Prometheus exposition</li>",
        "<li><a href=\"/api/v1/status\">/api/v1/status</a> — branches, tabs, cherry-picks (JSON)</li>",
        "<li><a href=\"/livez\">/livez</a>, <a href=\"/readyz\">/readyz</a> — probes</li></ul>"
    ))
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
