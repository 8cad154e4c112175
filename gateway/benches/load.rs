//! Loopback load benchmark (not a test): `cargo bench -p hookmap-gateway --bench load`.
//!
//! Measures, with 1 KB payloads:
//! - the ceiling: a trivial axum handler, closed loop;
//! - the gateway with durable acknowledgement (WAL, synchronous=FULL, group commit), closed loop;
//! - the gateway at a fixed 1,000 req/s (open loop; latency from each request's scheduled send
//!   time, so a stall counts against every request it delays);
//! - the same two in broker mode, against a 1-node JetStream (replicas 1) and a 3-node loopback
//!   cluster (replicas 3), each started by the benchmark (skipped without `nats-server`).
//!
//! `LOAD_SECS` (default 5) sets each phase's length, `LOAD_CONNS` (default 64) the closed-loop
//! connections. All traffic is to 127.0.0.1; every loop is bounded in time.

#[path = "../tests/common/client.rs"]
mod client;
#[path = "../tests/common/mappers.rs"]
mod mappers;
#[path = "../tests/common/nats.rs"]
mod nats;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use client::Conn;
use hookmap_gateway::auth::basic_header;
use hookmap_gateway::config::{Config, RateLimit, WorkspaceConfig};
use hookmap_gateway::{Gateway, Registry, SqliteStore};
use hyper::Method;
use tokio::sync::Mutex;

const PATH: &str = "/v1/partner/shop/events/?configName=events_v1";

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A ~1 KB event payload; customers cycle over 1,000 ids.
fn payload(n: u64) -> String {
    let base = format!(
        r#"{{"customer_id":"cust-{c}","event":"Order Placed","time":{t},"attr":{{"order_id":"ORD-{n}","total":149.50,"currency":"USD","items":3,"note":"#,
        c = n % 1000,
        t = 1_704_067_200_000_u64 + n,
    );
    let tail = r#"},"user":{"u_em":"someone@example.com","u_fn":"Some","u_ln":"One","plan":"gold"}}"#;
    let pad = 1024usize.saturating_sub(base.len() + tail.len() + 2);
    format!("{base}\"{}\"{tail}", "x".repeat(pad))
}

struct Stats {
    requests: u64,
    errors: u64,
    elapsed: Duration,
    latencies_us: Vec<u32>,
}

impl Stats {
    fn pct(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return f64::NAN;
        }
        let i = ((self.latencies_us.len() as f64 * p).ceil() as usize).clamp(1, self.latencies_us.len()) - 1;
        self.latencies_us[i] as f64 / 1000.0
    }

    fn row(&self, name: &str) -> String {
        format!(
            "| {name} | {:.0} | {:.2} | {:.2} | {:.2} | {} | {} |",
            self.requests as f64 / self.elapsed.as_secs_f64(),
            self.pct(0.50),
            self.pct(0.99),
            self.pct(1.0),
            self.requests,
            self.errors
        )
    }
}

/// `conns` connections, each sending back to back for `secs` seconds.
async fn closed_loop(addr: SocketAddr, conns: u64, secs: u64, auth: Arc<String>) -> Stats {
    let counter = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let tasks: Vec<_> = (0..conns)
        .map(|_| {
            let (counter, auth) = (counter.clone(), auth.clone());
            tokio::spawn(async move {
                let mut conn = Conn::open(addr).await.expect("connect");
                let (mut lat, mut errors) = (Vec::with_capacity(100_000), 0);
                while Instant::now() < deadline {
                    let n = counter.fetch_add(1, Ordering::Relaxed);
                    let sent = Instant::now();
                    let headers = [("authorization", auth.as_str()), ("content-type", "application/json")];
                    match conn.send(Method::POST, PATH, &headers, payload(n)).await {
                        Ok(r) if r.status == 200 => lat.push(sent.elapsed().as_micros() as u32),
                        _ => errors += 1,
                    }
                }
                (lat, errors)
            })
        })
        .collect();
    let mut stats = Stats { requests: 0, errors: 0, elapsed: Duration::ZERO, latencies_us: Vec::new() };
    for t in tasks {
        let (lat, errors) = t.await.expect("load task");
        stats.latencies_us.extend(lat);
        stats.errors += errors;
    }
    stats.elapsed = started.elapsed();
    stats.requests = stats.latencies_us.len() as u64;
    stats.latencies_us.sort_unstable();
    stats
}

/// `rate` requests a second for `secs` seconds over a pool of connections.
async fn open_loop(addr: SocketAddr, rate: u64, secs: u64, auth: Arc<String>) -> Stats {
    let mut pool = Vec::new();
    for _ in 0..32 {
        pool.push(Conn::open(addr).await.expect("connect"));
    }
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    for c in pool {
        tx.send(c).await.ok();
    }
    let rx = Arc::new(Mutex::new(rx));
    let total = rate * secs;
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(total as usize);
    for n in 0..total {
        let due = started + Duration::from_nanos(n * 1_000_000_000 / rate);
        tokio::time::sleep_until(due.into()).await;
        let (rx, tx, auth) = (rx.clone(), tx.clone(), auth.clone());
        tasks.push(tokio::spawn(async move {
            let mut conn = rx.lock().await.recv().await.expect("pool");
            let headers = [("authorization", auth.as_str()), ("content-type", "application/json")];
            let ok =
                matches!(conn.send(Method::POST, PATH, &headers, payload(n)).await, Ok(r) if r.status == 200);
            let latency = due.elapsed().as_micros() as u32;
            let _ = tx.send(conn).await;
            (ok, latency)
        }));
    }
    let mut stats = Stats { requests: 0, errors: 0, elapsed: Duration::ZERO, latencies_us: Vec::new() };
    for t in tasks {
        let (ok, latency) = t.await.expect("load task");
        if ok {
            stats.latencies_us.push(latency);
        } else {
            stats.errors += 1;
        }
    }
    stats.elapsed = started.elapsed();
    stats.requests = stats.latencies_us.len() as u64;
    stats.latencies_us.sort_unstable();
    stats
}

/// The store without HTTP: groups of 64 mapped requests committed back to back, as fast as
/// the writer thread can (shows the writer's own ceiling).
fn store_alone(path: &std::path::Path, secs: u64) -> String {
    use hookmap::Mapper;
    use hookmap_gateway::Store;
    use hookmap_gateway::log::{Content, Entry};
    let store = SqliteStore::open(path, Duration::from_secs(86_400)).unwrap();
    let ws: Arc<str> = "WS1".into();
    let started = Instant::now();
    let (mut n, mut groups) = (0u64, 0u64);
    while started.elapsed() < Duration::from_secs(secs) {
        let writes: Vec<Entry> = (0..64)
            .map(|_| {
                n += 1;
                let body = payload(n);
                let records = mappers::ShopEvents.map(body.as_bytes()).unwrap();
                Entry {
                    request_id: format!("r{n}"),
                    workspace: ws.clone(),
                    partner: "shop".into(),
                    mapping_type: hookmap::MappingType::Events,
                    config_name: "events_v1".into(),
                    received_at_ms: 0,
                    idempotency_key: None,
                    content: Content::Records(records.into_iter().map(|r| r.into_owned()).collect()),
                }
            })
            .collect();
        store.write_group(&writes).unwrap();
        store.maintain(0).unwrap(); // as the writer thread does between groups
        groups += 1;
    }
    let elapsed = started.elapsed().as_secs_f64();
    format!(
        "| store alone (no HTTP), groups of 64 | {:.0} | | | | {n} | 0 | 64 | {:.2} |",
        n as f64 / elapsed,
        elapsed * 1000.0 / groups as f64
    )
}

/// The disk's own fsync latency (4 KB append + fdatasync, 200 times) in the benchmark's
/// directory: the floor under every commit, and what other work on the disk slows down.
fn fsync_probe(dir: &std::path::Path) -> String {
    use std::io::Write as _;
    let mut file = std::fs::File::create(dir.join("fsync-probe")).unwrap();
    let mut times: Vec<f64> = (0..200)
        .map(|_| {
            let started = Instant::now();
            file.write_all(&[0u8; 4096]).unwrap();
            file.sync_data().unwrap();
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    format!("disk fsync (4 KB append + fdatasync): p50 {:.2} ms, p99 {:.2} ms", times[100], times[197])
}

/// CPU and I/O pressure (Linux PSI, share of the last 60 s some task waited), so a run on a
/// machine shared with other work says so.
fn pressure() -> String {
    let read = |what: &str| {
        std::fs::read_to_string(format!("/proc/pressure/{what}"))
            .ok()
            .and_then(|t| {
                t.lines().next()?.split_whitespace().find_map(|f| f.strip_prefix("avg60=").map(str::to_owned))
            })
            .unwrap_or_else(|| "n/a".into())
    };
    format!("pressure (PSI some avg60): cpu {}%, io {}%", read("cpu"), read("io"))
}

/// Group-commit counters read from `/metrics`.
struct CommitStats {
    groups: f64,
    writes: f64,
    seconds: f64,
}

impl CommitStats {
    fn since(&self, earlier: &CommitStats) -> String {
        let groups = self.groups - earlier.groups;
        format!(
            "{:.1} | {:.2}",
            (self.writes - earlier.writes) / groups,
            (self.seconds - earlier.seconds) * 1000.0 / groups
        )
    }
}

async fn commit_stats(addr: SocketAddr) -> CommitStats {
    let metrics = client::send(addr, Method::GET, "/metrics", &[], "").await.expect("metrics");
    let text = String::from_utf8_lossy(&metrics.body);
    let value = |name: &str| {
        text.lines().find_map(|l| l.strip_prefix(name)?.trim().parse::<f64>().ok()).unwrap_or(f64::NAN)
    };
    CommitStats {
        groups: value("hookmap_commit_group_size_count"),
        writes: value("hookmap_commit_group_size_sum"),
        seconds: value("hookmap_commit_duration_seconds_sum"),
    }
}

fn main() {
    let secs = env_or("LOAD_SECS", 5);
    let conns = env_or("LOAD_CONNS", 64);
    let pressure_at_start = pressure();
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        // As the binary does: one core left to the writer thread.
        .worker_threads(Config::default().http_threads())
        .enable_all()
        .build()
        .unwrap();
    let client_rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let auth = Arc::new(basic_header("WS1", "key"));
    println!("payload {} bytes, {secs} s per phase, {conns} connections (closed loop)", payload(0).len());

    // Ceiling: trivial handler.
    let ceiling_addr = server_rt.block_on(async {
        let router = axum::Router::new().route(
            "/v1/partner/shop/events/",
            axum::routing::post(|body: axum::body::Bytes| async move { format!("{}", body.len()) }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        addr
    });
    let ceiling = client_rt.block_on(closed_loop(ceiling_addr, conns, secs, auth.clone()));

    // The gateway.
    let dir = tempfile::tempdir_in(
        std::env::var("LOAD_DIR").unwrap_or_else(|_| std::env::temp_dir().display().to_string()),
    )
    .unwrap();
    let config = Config {
        workspaces: vec![WorkspaceConfig {
            id: "WS1".into(),
            key: "key".into(),
            rate_limit: None,
            destination: None,
        }],
        rate_limit: RateLimit { per_second: 1e9, burst: None },
        ..Config::default()
    };
    let store = SqliteStore::open(&dir.path().join("bench.db"), config.idempotency_window()).unwrap();
    let registry = Registry::new(mappers::ALL.iter().copied()).unwrap();
    let gateway_addr = server_rt.block_on(async {
        let gateway = Gateway::new(&config, registry, Arc::new(store)).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(gateway.serve(listener, std::future::pending()));
        addr
    });
    let store_only = store_alone(&dir.path().join("store-alone.db"), secs);
    // The fixed rate first, on a fresh file: run after the closed loop it would also measure
    // the background checkpoint of the log the closed loop left behind.
    let before = client_rt.block_on(commit_stats(gateway_addr));
    let fixed = client_rt.block_on(open_loop(gateway_addr, 1000, secs.max(5) * 2, auth.clone()));
    let middle = client_rt.block_on(commit_stats(gateway_addr));
    let durable = client_rt.block_on(closed_loop(gateway_addr, conns, secs, auth.clone()));
    let after = client_rt.block_on(commit_stats(gateway_addr));

    let broker_rows: Vec<(usize, Vec<(&str, Stats)>)> = [1, 3]
        .into_iter()
        .filter_map(|servers| {
            let cluster = nats::Cluster::start(servers)?;
            let mut config = config.clone();
            config.set_broker_url(cluster.url());
            if let Some(broker) = &mut config.broker {
                broker.replicas = servers;
            }
            config.validate().unwrap();
            let registry = Registry::new(mappers::ALL.iter().copied()).unwrap();
            let addr = server_rt.block_on(async {
                let broker =
                    hookmap_gateway::log::jetstream::Broker::connect(config.broker.as_ref().unwrap())
                        .await
                        .expect("broker");
                let gateway = Gateway::with_broker(&config, registry, broker).expect("gateway");
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr = listener.local_addr().unwrap();
                tokio::spawn(gateway.serve(listener, std::future::pending()));
                addr
            });
            let fixed = client_rt.block_on(open_loop(addr, 1000, secs.max(5) * 2, auth.clone()));
            let closed = client_rt.block_on(closed_loop(addr, conns, secs, auth.clone()));
            drop(cluster);
            Some((servers, vec![("closed loop", closed), ("fixed 1,000 req/s", fixed)]))
        })
        .collect();

    println!("{}", fsync_probe(dir.path()));
    println!("{} at the start; {} at the end", pressure_at_start, pressure());
    println!();
    println!(
        "| scenario | req/s | p50 ms | p99 ms | max ms | requests | errors | requests/commit | ms/commit |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    println!("{} | | |", ceiling.row("trivial axum handler (ceiling)"));
    println!("{}", store_only);
    println!("{} {} |", durable.row("gateway, durable ack, closed loop"), after.since(&middle));
    println!("{} {} |", fixed.row("gateway, durable ack, fixed 1,000 req/s"), middle.since(&before));
    for (servers, rows) in &broker_rows {
        for (name, stats) in rows {
            println!(
                "{} | | |",
                stats.row(&format!("broker mode, {servers} node(s), replicas {servers}, {name}"))
            );
        }
    }
    let wal = std::fs::metadata(dir.path().join("bench.db-wal")).map_or(0, |m| m.len());
    let db = std::fs::metadata(dir.path().join("bench.db")).map_or(0, |m| m.len());
    println!("database {:.1} MB, write-ahead log {:.1} MB at the end", db as f64 / 1e6, wal as f64 / 1e6);
    server_rt.shutdown_timeout(Duration::from_secs(1));
}
