//! The command line: `serve` (default), `once`, `demo` and `check-config`, and the process edge
//! (logging, config errors to stderr with exit code 64, signals).

use std::{net::SocketAddr, path::PathBuf, process::ExitCode, sync::Arc, time::Duration};

use anyhow::Context;
use clap::{Parser, Subcommand};
use tokio_util::sync::CancellationToken;

use crate::{
    config::{Config, ProcessEnv},
    daemon::Daemon,
    demo, server,
};

/// Exit code for a bad configuration or command line (BSD `EX_USAGE`).
const EXIT_CONFIG: u8 = 64;
/// How long in-flight work may take to finish after SIGTERM before the process exits anyway.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Watches Kubernetes release branches: TestGrid health, cherry-pick PRs blocked by branch-wide
/// presubmit failures, and the patch release window, exported as Prometheus metrics.
#[derive(Parser, Debug)]
#[command(name = "branchwatch", version, about)]
pub struct Cli {
    /// YAML configuration file (every key has a default pointing at the real services).
    #[arg(long, global = true, env = "BRANCHWATCH_CONFIG")]
    config: Option<PathBuf>,
    /// Address to serve /metrics, /api/v1/status, /livez and /readyz on (overrides `listen`).
    #[arg(long, global = true)]
    listen: Option<SocketAddr>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the daemon (the default).
    Serve,
    /// Poll every source once, print the Prometheus exposition on stdout, and exit non-zero if a
    /// source failed (which, and why, goes to stderr).
    Once,
    /// Run the real daemon against a built-in offline replay of a Kubernetes snapshot that
    /// changes over ten minutes. No network needed.
    Demo {
        /// Start this far into the ten-minute scenario (e.g. `55s`: release-1.34 turns red at once).
        #[arg(long, value_parser = humantime::parse_duration, default_value = "0s")]
        skip: Duration,
    },
    /// Validate a configuration file and print the effective configuration (secrets redacted).
    CheckConfig {
        /// The file to check.
        file: PathBuf,
    },
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("branchwatch: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(cli))
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "branchwatch=info".into());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

/// Loads the config from `path` (or defaults), applying `--listen`; prints problems on failure.
fn load_config(path: Option<&PathBuf>, listen: Option<SocketAddr>) -> Result<Config, ExitCode> {
    let result = match path {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) => Config::from_yaml(&text, &path.display().to_string(), &ProcessEnv),
            Err(error) => {
                eprintln!(
                    "branchwatch: cannot read config {}: {error}",
                    path.display()
                );
                return Err(ExitCode::from(EXIT_CONFIG));
            }
        },
        None => Ok(Config::defaults(&ProcessEnv)),
    };
    match result {
        Ok(mut config) => {
            if let Some(listen) = listen {
                config.listen = listen;
            }
            Ok(config)
        }
        Err(error) => {
            eprint!("branchwatch: {error}");
            Err(ExitCode::from(EXIT_CONFIG))
        }
    }
}

async fn run(cli: Cli) -> ExitCode {
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::CheckConfig { file } = &command {
        return match load_config(Some(file), cli.listen) {
            Ok(config) => {
                print!("{}", config.to_redacted_yaml());
                ExitCode::SUCCESS
            }
            Err(code) => code,
        };
    }
    if let Command::Demo { skip } = command {
        return match run_demo(cli.listen, skip).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("branchwatch demo: {error:#}");
                ExitCode::FAILURE
            }
        };
    }
    let config = match load_config(cli.config.as_ref(), cli.listen) {
        Ok(config) => config,
        Err(code) => return code,
    };
    match command {
        Command::Once => run_once(config).await,
        _ => match serve(config, |_| {}).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("branchwatch: {error:#}");
                ExitCode::FAILURE
            }
        },
    }
}

async fn run_once(config: Config) -> ExitCode {
    let daemon = match Daemon::new(config, false) {
        Ok(daemon) => daemon,
        Err(error) => {
            eprintln!("branchwatch: {error:#}");
            return ExitCode::FAILURE;
        }
    };
    let failures = daemon.once().await;
    match daemon.shared.render_metrics() {
        Ok(exposition) => print!("{exposition}"),
        Err(error) => {
            eprintln!("branchwatch: cannot render the metrics: {error}");
            return ExitCode::FAILURE;
        }
    }
    if failures.is_empty() {
        return ExitCode::SUCCESS;
    }
    for (source, message) in &failures {
        eprintln!("branchwatch: source {} failed: {message}", source.as_str());
    }
    ExitCode::FAILURE
}

/// Runs the daemon and the HTTP server until SIGTERM/SIGINT. `on_listening` sees the bound address.
pub async fn serve(config: Config, on_listening: impl FnOnce(SocketAddr)) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let address = listener.local_addr()?;
    let daemon = Arc::new(Daemon::new(config, false)?);
    tracing::info!(%address, "Serving /metrics, /api/v1/status, /livez, /readyz.");
    on_listening(address);
    run_until(daemon, listener, shutdown_signal()).await
}

/// Runs `daemon`'s poll loops and the HTTP server on `listener` until `shutdown` completes, then
/// drains both for at most the shutdown grace period. Tests pass their own `shutdown`.
pub async fn run_until(
    daemon: Arc<Daemon>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let token = CancellationToken::new();
    let pollers = tokio::spawn(Arc::clone(&daemon).run(token.clone()));
    let app = server::router(Arc::clone(&daemon.shared));
    let server_token = token.clone();
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move { server_token.cancelled().await })
            .await
    });
    shutdown.await;
    tracing::info!("Shutting down.");
    token.cancel();
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        let _ = pollers.await;
        server.await
    })
    .await;
    match drained {
        Ok(Ok(result)) => result.context("HTTP server failed")?,
        Ok(Err(error)) => return Err(error).context("HTTP server task failed"),
        Err(_) => {
            tracing::warn!(grace = ?SHUTDOWN_GRACE, "Shutdown did not complete in time; exiting anyway.")
        }
    }
    Ok(())
}

async fn run_demo(listen: Option<SocketAddr>, skip: Duration) -> anyhow::Result<()> {
    let upstream = demo::ReplayUpstream::start(demo::Scenario::live().skip(skip))
        .await
        .context("cannot start the replay upstream")?;
    let mut config = demo::config(&upstream.url());
    config.listen = listen.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 9850)));
    let replay = upstream.url();
    serve(config, move |address| {
        let base = format!("http://{address}");
        println!("branchwatch demo is running against an offline replay of Kubernetes' release branches ({replay}).");
        println!("The scenario loops every 10 minutes: release-1.34 goes red after ~1 minute and recovers after ~6,");
        println!("a presubmit fails across release-1.34's cherry-picks meanwhile, and a tab on release-1.36 goes stale.");
        println!();
        println!("  metrics:      {base}/metrics");
        println!("  status JSON:  {base}/api/v1/status");
        println!("  probes:       {base}/livez  {base}/readyz");
        println!();
        println!("Press Ctrl-C to stop.");
    })
    .await
}

async fn shutdown_signal() {
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
