//! The wiring: one poller, the metrics it feeds, the snapshot cell the outputs read, and the
//! HTTP server — run together, so that whichever ends unexpectedly is noticed.

use std::{net::SocketAddr, sync::Arc};

use anyhow::Context;
use tokio_util::sync::CancellationToken;

use crate::{
    clock::{self, Clock},
    config::Config,
    metrics::Metrics,
    page::PageContext,
    poll::Poller,
    server::{self, PageSettings},
    shutdown::SHUTDOWN_GRACE,
    snapshot::{Snapshot, SnapshotCell},
    sources::{Outcome, Source},
};

/// branchwatch assembled for one configuration.
pub struct App {
    clock: Clock,
    poller: Arc<Poller>,
    metrics: Arc<Metrics>,
    cell: Arc<SnapshotCell>,
    pages: PageSettings,
}

impl App {
    /// Builds everything for `config`, on the system clock.
    pub fn new(config: &Config) -> anyhow::Result<App> {
        App::with_clock(config, clock::system())
    }

    /// Like [`App::new`], reading the time from `clock` (tests pin or move it).
    pub fn with_clock(config: &Config, clock: Clock) -> anyhow::Result<App> {
        let metrics = Arc::new(Metrics::new(config.poll_interval));
        let cell = Arc::new(SnapshotCell::default());
        let publisher = Arc::clone(&metrics);
        let pages = PageSettings {
            clock: Arc::clone(&clock),
            poll_interval: config.poll_interval,
            release_window: config.release_window,
            embargo: config.privacy.embargo,
        };
        let poller = Poller::new(
            config,
            Arc::clone(&clock),
            metrics.counters(),
            Arc::clone(&cell),
            Box::new(move |snapshot: &Arc<Snapshot>| publisher.publish(snapshot)),
        )?;
        Ok(App {
            clock,
            poller: Arc::new(poller),
            metrics,
            cell,
            pages,
        })
    }

    /// One full poll of every source; the failures by source.
    pub async fn once(&self) -> Vec<(Source, String)> {
        self.poller.once().await
    }

    /// The time on this app's clock, unix seconds (what a report made now is dated).
    pub fn now(&self) -> i64 {
        (self.clock)()
    }

    /// The current snapshot.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.cell.load()
    }

    /// The HTTP routes, on this app's snapshots and metrics (benchmarks call it in-process).
    pub fn router(&self) -> axum::Router {
        server::router(
            Arc::clone(&self.cell),
            Arc::clone(&self.metrics),
            self.pages.clone(),
        )
    }

    /// What a page rendered now is given besides the snapshot (benchmarks render in-process).
    pub fn page_context(&self) -> PageContext {
        self.pages.context()
    }

    /// Where the snapshots are published: keeps reading them after [`App::run_until`] took
    /// the app.
    pub fn snapshots(&self) -> Arc<SnapshotCell> {
        Arc::clone(&self.cell)
    }

    /// The current Prometheus exposition, as a scrape gets it.
    pub fn render_metrics(&self) -> Result<String, String> {
        match self.metrics.exposition().as_ref() {
            Ok(exposition) => Ok(String::from_utf8_lossy(&exposition.plain).into_owned()),
            Err(error) => Err(error.clone()),
        }
    }

    /// Upstream requests counted so far for `source` and `outcome`.
    pub fn requests(&self, source: Source, outcome: Outcome) -> u64 {
        self.metrics.counters().requests.count(source, outcome)
    }

    /// Serves on `listener` and polls until `shutdown` completes, then drains both for at
    /// most the grace period. The server and the poller are watched together: should the
    /// server stop by itself, the error is returned (and the process exits non-zero so that
    /// Kubernetes restarts it); the poller restarts its own loops.
    pub async fn run_until(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> anyhow::Result<()> {
        let token = CancellationToken::new();
        let mut pollers = tokio::spawn(Arc::clone(&self.poller).run(token.clone()));
        let router = self.router();
        let mut server = tokio::spawn(server::serve(
            listener,
            router,
            token.clone(),
            server::MAX_CONNECTIONS,
        ));
        let unexpected = tokio::select! {
            _ = shutdown => None,
            ended = &mut server => Some(match ended {
                Ok(()) => anyhow::anyhow!("the HTTP server stopped by itself"),
                Err(error) => anyhow::Error::new(error).context("the HTTP server task died"),
            }),
            ended = &mut pollers => Some(match ended {
                Ok(()) => anyhow::anyhow!("the poller stopped by itself"),
                Err(error) => anyhow::Error::new(error).context("the poller died"),
            }),
        };
        if unexpected.is_none() {
            tracing::info!("Shutting down.");
        }
        token.cancel();
        let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
            if !pollers.is_finished() {
                let _ = (&mut pollers).await;
            }
            if !server.is_finished() {
                let _ = (&mut server).await;
            }
        })
        .await;
        if drained.is_err() {
            tracing::warn!(grace = ?SHUTDOWN_GRACE, "Shutdown did not complete in time; exiting anyway.");
        }
        match unexpected {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    /// Binds `config.listen`, tells `on_listening` the address, and runs until SIGTERM/SIGINT.
    pub async fn serve(
        config: &Config,
        on_listening: impl FnOnce(SocketAddr),
    ) -> anyhow::Result<()> {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let address = listener.local_addr()?;
        let app = App::new(config)?;
        tracing::info!(%address, "Serving /, /metrics, /api/v1/status, /livez, /readyz.");
        on_listening(address);
        app.run_until(listener, crate::shutdown::signal()).await
    }
}
