//! The end of the process: SIGTERM or SIGINT starts a graceful shutdown; a second one exits at
//! once (the operator means it).

use std::time::Duration;

/// How long in-flight work may take to finish after SIGTERM before the process exits anyway.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Completes on the first SIGTERM or SIGINT; the second one exits the process with code 130.
pub async fn signal() {
    first_signal().await;
    tokio::spawn(async {
        first_signal().await;
        eprintln!("branchwatch: second signal, exiting now");
        std::process::exit(130);
    });
}

async fn first_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "Cannot listen for Ctrl-C.");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "Cannot listen for SIGTERM.");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
