//! `hookmap-gateway [serve] --db PATH --listen ADDR [--config FILE] [--nats URL]`
//! `hookmap-gateway import --nats URL --db PATH --listen ADDR [--config FILE]`

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use hookmap_gateway::import::consumer::{DEFAULT_CONSUMER, Importer};
use hookmap_gateway::log::jetstream::Broker;
use hookmap_gateway::{Config, Gateway, SqliteStore};

/// The hookmap webhook gateway: receives partners' webhooks, maps them with the mappers
/// compiled into this binary, and keeps the records.
///
/// Without a subcommand it serves webhooks (`serve`). Logs go to stderr; HOOKMAP_LOG sets the
/// level (error, warn, info, debug, trace; default info). The one line on stdout,
/// `listening on ADDR`, tells scripts the address.
#[derive(Parser, Debug)]
#[command(name = "hookmap-gateway", version, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the webhook endpoints (the default). With --nats, accepted requests go to the
    /// broker's stream and an importer keeps the store; without, into the --db file.
    Serve(ServeArgs),
    /// Apply the broker's stream to a SQLite file and serve the look-ups from it.
    Import(ImportArgs),
}

#[derive(Args, Debug)]
struct Common {
    /// Address to listen on, such as 127.0.0.1:8080 (port 0 picks a free one).
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    /// JSON config file: workspaces, rate limits, idempotency, broker (docs/gateway.md).
    /// Credentials may also come from HOOKMAP_WORKSPACE_ID and HOOKMAP_API_KEY.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// NATS server URL of the broker, such as nats://127.0.0.1:4222 (overrides the config's
    /// broker.url).
    #[arg(long, value_name = "URL")]
    nats: Option<String>,
}

#[derive(Args, Debug)]
struct ServeArgs {
    /// SQLite database file (created if missing); not used with --nats.
    #[arg(long, value_name = "PATH")]
    db: Option<PathBuf>,
    #[command(flatten)]
    common: Common,
}

#[derive(Args, Debug)]
struct ImportArgs {
    /// SQLite database file the stream is applied to (created if missing).
    #[arg(long, value_name = "PATH")]
    db: PathBuf,
    /// Name of the durable consumer; importers with different names each read the whole
    /// stream (into their own files).
    #[arg(long, value_name = "NAME", default_value = DEFAULT_CONSUMER)]
    consumer: String,
    #[command(flatten)]
    common: Common,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let level = std::env::var("HOOKMAP_LOG").ok().and_then(|l| l.parse().ok());
    tracing_subscriber::fmt()
        .with_max_level(level.unwrap_or(tracing::Level::INFO))
        .with_writer(std::io::stderr)
        .init();
    let result = match cli.command {
        Some(Command::Serve(args)) => serve(args),
        Some(Command::Import(args)) => import(args),
        None => serve(cli.serve),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            eprintln!("hookmap-gateway: {message}\n\nSee hookmap-gateway --help.");
            ExitCode::from(2)
        }
        Err(Failure::Run(message)) => {
            eprintln!("hookmap-gateway: {message}");
            ExitCode::FAILURE
        }
    }
}

enum Failure {
    /// Wrong or missing arguments (exit code 2).
    Usage(String),
    /// Anything that stopped the gateway (exit code 1).
    Run(String),
}

fn run_err(e: impl ToString) -> Failure {
    Failure::Run(e.to_string())
}

/// The config file, the environment's credentials and the flags, validated.
fn load_config(common: &Common) -> Result<Config, Failure> {
    let mut config = match &common.config {
        Some(path) => Config::from_file(path).map_err(run_err)?,
        None => Config::default(),
    };
    config.apply_env(|name| std::env::var(name).ok()).map_err(run_err)?;
    if let Some(url) = &common.nats {
        config.set_broker_url(url.clone());
    }
    config.validate().map_err(run_err)?;
    Ok(config)
}

fn runtime(config: &Config) -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.http_threads())
        .enable_all()
        .build()
        .map_err(|e| Failure::Run(format!("cannot start the runtime: {e}")))
}

async fn bind(listen: &str) -> Result<(tokio::net::TcpListener, std::net::SocketAddr), Failure> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| Failure::Run(format!("cannot listen on {listen}: {e}")))?;
    let addr = listener.local_addr().map_err(run_err)?;
    Ok((listener, addr))
}

fn serve(args: ServeArgs) -> Result<(), Failure> {
    let listen = args.common.listen.clone().ok_or_else(|| Failure::Usage("--listen is required".into()))?;
    let config = load_config(&args.common)?;
    let registry = hookmap_gateway::registry().map_err(run_err)?;
    let store = match (&config.broker, &args.db) {
        (None, Some(db)) => Some(SqliteStore::open(db, config.idempotency_window()).map_err(run_err)?),
        _ => None,
    };
    runtime(&config)?.block_on(async {
        let (listener, addr) = bind(&listen).await?;
        let mut gateway = match (&config.broker, store) {
            (Some(broker), _) => {
                if args.db.is_some() {
                    tracing::warn!("--db is not used in broker mode: the importer keeps the store");
                }
                let broker = Broker::connect(broker).await.map_err(run_err)?;
                Gateway::with_broker(&config, registry, broker).map_err(run_err)?
            }
            (None, Some(store)) => Gateway::new(&config, registry, Arc::new(store)).map_err(run_err)?,
            (None, None) => return Err(Failure::Usage("--db is required (or --nats, for broker mode)".into())),
        };
        let ops_addr = gateway.bind_ops().await.map_err(run_err)?;
        // The first line on stdout: scripts and tests read the address from it.
        println!("listening on {addr}");
        if let Some(ops_addr) = ops_addr {
            println!("ops listening on {ops_addr}");
        }
        match &config.broker {
            Some(b) => tracing::info!(%addr, nats = %b.url, stream = %b.stream, "hookmap-gateway started (broker mode)"),
            None => tracing::info!(%addr, "hookmap-gateway started"),
        }
        gateway.serve(listener, shutdown_signal()).await.map_err(run_err)?;
        tracing::info!("stopped");
        Ok(())
    })
}

fn import(args: ImportArgs) -> Result<(), Failure> {
    let listen = args.common.listen.clone().ok_or_else(|| Failure::Usage("--listen is required".into()))?;
    let config = load_config(&args.common)?;
    let Some(broker_config) = config.broker.clone() else {
        return Err(Failure::Usage("import needs a broker: --nats URL or broker.url in the config".into()));
    };
    let store = SqliteStore::open(&args.db, config.idempotency_window()).map_err(run_err)?;
    runtime(&config)?.block_on(async {
        let (listener, addr) = bind(&listen).await?;
        let broker = Broker::connect(&broker_config).await.map_err(run_err)?;
        let importer =
            Importer::start(&config, broker, Arc::new(store), &args.db, &args.consumer).await.map_err(run_err)?;
        println!("listening on {addr}");
        tracing::info!(%addr, db = %args.db.display(), consumer = %args.consumer, "hookmap-gateway importer started");
        importer.serve(listener, shutdown_signal()).await.map_err(run_err)?;
        tracing::info!("stopped");
        Ok(())
    })
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    tracing::info!("shutting down");
}
