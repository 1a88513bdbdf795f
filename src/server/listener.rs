//! Serving HTTP/1 connections so that careless or hostile clients cannot take the process down:
//! a connection must send its request headers within [`HEADER_READ_TIMEOUT`], a request must be
//! answered within [`REQUEST_TIMEOUT`], and at most [`MAX_CONNECTIONS`] are open — when a new
//! one arrives at the cap, the oldest connection that is not serving a request is closed to make
//! room, so that a flood of half-open connections can never lock out `/livez` or a scrape.
//! Shutdown closes idle and half-sent connections at once and waits only for requests in flight.

use std::{
    collections::BTreeMap,
    convert::Infallible,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use axum::{Router, body::Body};
use hyper::{Request, body::Incoming};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::{net::TcpListener, task::JoinSet};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

/// A client that has not sent its request headers by then is cut off (a slow-loris client
/// would otherwise hold a connection, and a file descriptor, for ever).
pub(crate) const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);
/// No handler waits on anything, so a request still running after this is a bug: 503.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Open connections at most, far below the usual 1,024 file descriptors of a container.
pub(crate) const MAX_CONNECTIONS: usize = 512;
/// In-flight requests get this long to finish after a shutdown signal.
const DRAIN: Duration = Duration::from_secs(5);

/// One open connection: whether it is serving a request, and how to close it.
struct Open {
    busy: Arc<AtomicBool>,
    close: CancellationToken,
}

/// Open connections by arrival order (the key), so that the oldest idle one is found first.
type Registry = Arc<Mutex<BTreeMap<u64, Open>>>;

fn lock(registry: &Registry) -> std::sync::MutexGuard<'_, BTreeMap<u64, Open>> {
    registry
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Serves `router` on `listener` until `shutdown` is cancelled.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
    max_connections: usize,
) {
    let registry: Registry = Arc::default();
    let mut connections = JoinSet::new();
    let mut next_id: u64 = 0;
    let mut accept_error_logged = false;
    loop {
        let accepted = tokio::select! {
            _ = shutdown.cancelled() => break,
            // Reap finished connections as they end, so the set stays small.
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => {
                accept_error_logged = false;
                stream
            }
            Err(error) => {
                // Out of file descriptors, or the like: say so once, and do not spin.
                if !accept_error_logged {
                    tracing::warn!(%error, "Cannot accept a connection.");
                    accept_error_logged = true;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        make_room(&registry, max_connections);
        let id = next_id;
        next_id = next_id.wrapping_add(1);
        let busy = Arc::new(AtomicBool::new(false));
        let close = shutdown.child_token();
        lock(&registry).insert(
            id,
            Open {
                busy: Arc::clone(&busy),
                close: close.clone(),
            },
        );
        let registry = Arc::clone(&registry);
        let router = router.clone();
        connections.spawn(async move {
            serve_connection(stream, router, busy, close).await;
            lock(&registry).remove(&id);
        });
    }
    // Shutdown: every connection was told to close (child tokens); requests in flight finish.
    let drained = tokio::time::timeout(DRAIN, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        connections.abort_all();
    }
}

/// At the cap, closes the oldest connection that is not serving a request (or, should every one
/// be busy, the oldest of all).
fn make_room(registry: &Registry, max_connections: usize) {
    let registry = lock(registry);
    if registry.len() < max_connections {
        return;
    }
    let victim = registry
        .values()
        .find(|open| !open.busy.load(Ordering::Relaxed))
        .or_else(|| registry.values().next());
    if let Some(open) = victim {
        open.close.cancel();
    }
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    router: Router,
    busy: Arc<AtomicBool>,
    close: CancellationToken,
) {
    let serving = Arc::clone(&busy);
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let router = router.clone();
        let busy = Arc::clone(&serving);
        async move {
            busy.store(true, Ordering::Relaxed);
            let response =
                tokio::time::timeout(REQUEST_TIMEOUT, router.oneshot(request.map(Body::new))).await;
            busy.store(false, Ordering::Relaxed);
            Ok::<_, Infallible>(match response {
                Ok(Ok(response)) => response,
                Ok(Err(never)) => match never {},
                Err(_) => axum::response::IntoResponse::into_response((
                    axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    "request timed out\n",
                )),
            })
        }
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => {}
        _ = close.cancelled() => {
            // A request in flight is answered first; an idle or half-sent connection is
            // dropped now (hyper would wait for the rest of its headers).
            if busy.load(Ordering::Relaxed) {
                connection.as_mut().graceful_shutdown();
                let _ = connection.await;
            }
        }
    }
}
