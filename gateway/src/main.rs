//! `hookmap-gateway --db PATH --listen ADDR [--config FILE]`

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use hookmap_gateway::{Config, Gateway, SqliteStore};

const USAGE: &str = "usage: hookmap-gateway --db PATH --listen ADDR [--config FILE]

  --db PATH       SQLite database file (created if missing)
  --listen ADDR   address to listen on, such as 127.0.0.1:8080 (port 0 picks a free one)
  --config FILE   JSON config (workspaces, rate limits, idempotency); credentials may also come
                  from HOOKMAP_WORKSPACE_ID and HOOKMAP_API_KEY
Logs go to stderr; HOOKMAP_LOG sets the level (error, warn, info, debug, trace; default info).";

struct Args {
    db: PathBuf,
    listen: String,
    config: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut db = None;
    let mut listen = None;
    let mut config = None;
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        let arg = arg.to_string_lossy().into_owned();
        if arg == "-h" || arg == "--help" {
            return Err(String::new());
        }
        let value = args.next().ok_or_else(|| format!("{arg} needs a value"))?;
        match arg.as_str() {
            "--db" => db = Some(PathBuf::from(value)),
            "--listen" => listen = Some(value.to_string_lossy().into_owned()),
            "--config" => config = Some(PathBuf::from(value)),
            _ => return Err(format!("unknown argument {arg}")),
        }
    }
    Ok(Args { db: db.ok_or("--db is required")?, listen: listen.ok_or("--listen is required")?, config })
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("hookmap-gateway: {message}\n");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let level = std::env::var("HOOKMAP_LOG").ok().and_then(|l| l.parse().ok());
    tracing_subscriber::fmt()
        .with_max_level(level.unwrap_or(tracing::Level::INFO))
        .with_writer(std::io::stderr)
        .init();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("hookmap-gateway: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<(), String> {
    let mut config = match &args.config {
        Some(path) => Config::from_file(path).map_err(|e| e.to_string())?,
        None => Config::default(),
    };
    config.apply_env(|name| std::env::var(name).ok()).map_err(|e| e.to_string())?;
    config.validate().map_err(|e| e.to_string())?;
    let registry = hookmap_gateway::registry().map_err(|e| e.to_string())?;
    let store = SqliteStore::open(&args.db, config.idempotency_window()).map_err(|e| e.to_string())?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.http_threads())
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let mut gateway = Gateway::new(&config, registry, Arc::new(store)).map_err(|e| e.to_string())?;
        let ops_addr = gateway.bind_ops().await.map_err(|e| e.to_string())?;
        // The first line on stdout: scripts and tests read the address from it.
        println!("listening on {addr}");
        if let Some(ops_addr) = ops_addr {
            println!("ops listening on {ops_addr}");
        }
        tracing::info!(%addr, db = %args.db.display(), "hookmap-gateway started");
        gateway.serve(listener, shutdown_signal()).await.map_err(|e| e.to_string())?;
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
