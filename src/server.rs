//! The HTTP server: `/metrics`, `/livez`, `/readyz`, `/api/v1/status` and a landing page.
//! Every handler only reads the current snapshot; none waits on a poll or calls upstream.

use std::sync::Arc;

use axum::{
    Json, Router,
    extract::State,
    http::{StatusCode, header},
    response::{Html, IntoResponse},
    routing::get,
};

use crate::daemon::Shared;

/// The router, separate from the listener so tests can call it directly.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/metrics", get(metrics))
        .route("/livez", get(|| async { "ok\n" }))
        .route("/readyz", get(|| async { "ready\n" }))
        .route("/api/v1/status", get(status))
        .with_state(shared)
}

async fn metrics(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    match shared.render_metrics() {
        Ok(exposition) => (
            StatusCode::OK,
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            exposition,
        ),
        // Never an empty 200: Prometheus would take it as every series gone.
        Err(error) => {
            tracing::error!(%error, "Cannot render the metrics.");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                format!("cannot render the metrics: {error}\n"),
            )
        }
    }
}

async fn status(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    (StatusCode::OK, Json(shared.snapshot()))
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
