//! The command line: `serve` (default), `once`, `report`, `demo` and `check-config`, and the
//! process edge — logging, config errors on stderr, exit codes.
//!
//! Exit codes: 0 success; 1 a source failed (`once`, `report`) or the daemon stopped on an
//! error; 64 a bad configuration or command line, an unknown `report --branch` (BSD
//! `EX_USAGE`); 69 the listen address cannot be bound, or `report --from` cannot read the
//! instance (`EX_UNAVAILABLE`); 130 a second SIGTERM/SIGINT during shutdown.

use std::{net::SocketAddr, path::PathBuf, process::ExitCode, time::Duration};

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};

use crate::{
    app::App,
    config::{Config, ProcessEnv},
    demo, remote, report,
    snapshot::Snapshot,
    sources::Source,
};

/// Exit code for a bad configuration or command line (BSD `EX_USAGE`).
const EXIT_CONFIG: u8 = 64;
/// Exit code when the listen address cannot be bound, or `report --from` cannot read the
/// instance (BSD `EX_UNAVAILABLE`).
const EXIT_UNAVAILABLE: u8 = 69;

/// Watches Kubernetes release branches: TestGrid health, cherry-pick PRs blocked by branch-wide
/// presubmit failures, and the patch release window, exported as Prometheus metrics.
#[derive(Parser, Debug)]
#[command(name = "branchwatch", version, about)]
pub struct Cli {
    /// YAML configuration file (every key has a default pointing at the real services).
    #[arg(long, global = true, env = "BRANCHWATCH_CONFIG")]
    config: Option<PathBuf>,
    /// Address to serve the pages, /metrics, /api/v1/status, /livez and /readyz on (overrides
    /// `listen`).
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
    /// Print the update a patch release manager gives at the sig-release meeting: per branch,
    /// health and what blocks it, cherry-picks merged, approved and stuck, the next target and
    /// deadline, freeze, go/no-go and risks. From one poll of every source (exit 1 if one
    /// failed, after printing what is known), or from a running instance with `--from`.
    Report {
        /// Only this branch (e.g. `release-1.34`); exit 64 if it is not watched.
        #[arg(long)]
        branch: Option<String>,
        /// `markdown` to paste into the meeting notes or Slack, `json` for a bot.
        #[arg(long, value_enum, default_value_t = ReportFormat::Markdown)]
        format: ReportFormat,
        /// Read a running branchwatch instead of polling: its base URL (`http://host:9850`)
        /// or its `/api/v1/status` URL. The report is dated by that snapshot.
        #[arg(long, value_name = "URL")]
        from: Option<String>,
        /// Withhold PR titles, authors and release-note text (security releases); on whenever
        /// the configuration sets `privacy.embargo: true`.
        #[arg(long)]
        embargo: bool,
    },
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

/// How `report` writes.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum ReportFormat {
    /// Headings per branch, short bullets, PR links.
    Markdown,
    /// A stable, versioned JSON document for bots (`format: branchwatch.report/v1`).
    Json,
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let code = if error.use_stderr() { EXIT_CONFIG } else { 0 };
            let _ = error.print();
            return ExitCode::from(code);
        }
    };
    init_tracing();
    install_panic_hook();
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

/// Panics are caught where they can happen (a poll, an analysis), but their text — which can
/// quote upstream data — is printed through the log, one clean line, never raw to stderr.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        tracing::error!(
            %location,
            panic = %crate::sources::http::clean_line(&message, 500),
            "Panicked (caught where it happened; the source is marked down)."
        );
    }));
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
        None => Config::from_yaml("", "<default>", &ProcessEnv),
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
        return finish(run_demo(cli.listen, skip).await);
    }
    let config = match load_config(cli.config.as_ref(), cli.listen) {
        Ok(config) => config,
        Err(code) => return code,
    };
    match command {
        Command::Once => run_once(&config).await,
        Command::Report {
            branch,
            format,
            from,
            embargo,
        } => {
            let format = match format {
                ReportFormat::Markdown => report::Format::Markdown,
                ReportFormat::Json => report::Format::Json,
            };
            let embargo = embargo || config.privacy.embargo;
            run_report(&config, branch.as_deref(), format, from.as_deref(), embargo).await
        }
        _ => finish(App::serve(&config, |_| {}).await),
    }
}

/// The exit code of a daemon run: a bind failure is the operator's to fix (69), the rest 1.
fn finish(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("branchwatch: {error:#}");
            let bind = error
                .chain()
                .any(|cause| cause.to_string().starts_with("cannot listen on"));
            ExitCode::from(if bind { EXIT_UNAVAILABLE } else { 1 })
        }
    }
}

/// One full poll on a new app: the app and the failures by source; the exit code when the app
/// cannot be built or a signal interrupts the poll.
async fn poll_once(config: &Config) -> Result<(App, Vec<(Source, String)>), ExitCode> {
    let app = match App::new(config) {
        Ok(app) => app,
        Err(error) => {
            eprintln!("branchwatch: {error:#}");
            return Err(ExitCode::FAILURE);
        }
    };
    // SIGTERM during a poll stops it cleanly: nothing half-printed, exit code 143 like a shell.
    tokio::select! {
        failures = app.once() => Ok((app, failures)),
        _ = crate::shutdown::signal() => {
            eprintln!("branchwatch: interrupted");
            Err(ExitCode::from(143))
        }
    }
}

/// Names each failed source on stderr; exit 1 when there is one.
fn exit_for(failures: &[(Source, String)]) -> ExitCode {
    for (source, message) in failures {
        eprintln!("branchwatch: source {} failed: {message}", source.as_str());
    }
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

async fn run_once(config: &Config) -> ExitCode {
    let (app, failures) = match poll_once(config).await {
        Ok(polled) => polled,
        Err(code) => return code,
    };
    match app.render_metrics() {
        Ok(exposition) => print!("{exposition}"),
        Err(error) => {
            eprintln!("branchwatch: cannot render the metrics: {error}");
            return ExitCode::FAILURE;
        }
    }
    exit_for(&failures)
}

async fn run_report(
    config: &Config,
    branch: Option<&str>,
    format: report::Format,
    from: Option<&str>,
    embargo: bool,
) -> ExitCode {
    // What is printed is dated by the snapshot's own clock: the app's for a poll, the remote
    // instance's for `--from` (its `generated_at`), never this machine's.
    let (snapshot, now, failures) = match from {
        Some(from) => match remote::fetch_snapshot(from, config.request_timeout).await {
            Ok(snapshot) => {
                let down = down_sources(&snapshot);
                let now = snapshot.generated_at;
                (std::sync::Arc::new(snapshot), now, down)
            }
            Err(error) => {
                eprintln!("branchwatch: {error}");
                return ExitCode::from(match error {
                    remote::RemoteError::BadUrl(_) => EXIT_CONFIG,
                    remote::RemoteError::Unreadable { .. } => EXIT_UNAVAILABLE,
                });
            }
        },
        None => {
            let (app, failures) = match poll_once(config).await {
                Ok(polled) => polled,
                Err(code) => return code,
            };
            (app.snapshot(), app.now(), failures)
        }
    };
    match report::render(&snapshot, now, format, branch, embargo) {
        Ok(text) => print!("{text}"),
        Err(unknown) => {
            let _ = exit_for(&failures);
            eprintln!(
                "branchwatch: report --branch: {}",
                crate::sources::http::clean_line(&unknown.to_string(), 2000)
            );
            return ExitCode::from(EXIT_CONFIG);
        }
    }
    exit_for(&failures)
}

/// The sources a remote snapshot reports down, with why.
fn down_sources(snapshot: &Snapshot) -> Vec<(Source, String)> {
    snapshot
        .sources
        .iter()
        .filter(|source| !source.up)
        .map(|source| {
            let why = source.last_error.as_deref().unwrap_or("no reason given");
            (source.source, crate::sources::http::clean_line(why, 300))
        })
        .collect()
}

async fn run_demo(listen: Option<SocketAddr>, skip: Duration) -> anyhow::Result<()> {
    let upstream = demo::ReplayUpstream::start(demo::Scenario::live().skip(skip))
        .await
        .context("cannot start the replay upstream")?;
    let mut config = demo::config(&upstream.url());
    config.listen = listen.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 9850)));
    let replay = upstream.url();
    App::serve(&config, move |address| {
        let base = format!("http://{address}");
        println!("branchwatch demo is running against an offline replay of Kubernetes' release branches ({replay}).");
        println!("The scenario loops every 10 minutes: release-1.34 goes red after ~1 minute and recovers after ~6,");
        println!("a presubmit fails across release-1.34's cherry-picks meanwhile, and a tab on release-1.36 goes stale.");
        println!("release-1.36 is frozen for v1.36.8: its release manager un-approves a held pick at ~3 minutes,");
        println!("v1.36.8 ships at ~7 (the pick is then to re-approve), and release-1.37 turns go as its slow");
        println!("scale job runs twice at HEAD (~2.5 and ~5 minutes).");
        println!();
        println!("  the desk:     {base}/   (every branch in one row; click a branch for its work)");
        println!("  metrics:      {base}/metrics");
        println!("  status JSON:  {base}/api/v1/status");
        println!("  probes:       {base}/livez  {base}/readyz");
        println!();
        println!("Press Ctrl-C to stop.");
    })
    .await
}
