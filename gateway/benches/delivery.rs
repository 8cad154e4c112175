//! Delivery benchmark (not a test): `cargo bench -p hookmap-gateway --bench delivery`.
//!
//! Measures:
//! - the encoder (records → checked elements → bulk call bodies) next to the mapper (payload →
//!   records) on the same payload, single thread;
//! - records delivered per second from a filled outbox to a fake Data API on 127.0.0.1, with no
//!   latency and with 50 ms per call. The outbound rate limit is lifted for this (the Data
//!   API's own default, 60,000 events a minute, would cap it at 1,000 events a second).
//!
//! - the cost of queuing on the acknowledgement path: the store alone (no HTTP) writing groups
//!   of 64 requests, with and without the outbox, alternating, 4 s each.
//!
//! `DELIVERY_RECORDS` (default 20,000) sets the records per delivery run.

#[path = "../tests/common/client.rs"]
mod client;
#[path = "../tests/common/fake_data_api.rs"]
mod fake_data_api;

use std::sync::Arc;
use std::time::{Duration, Instant};

use client::Conn;
use fake_data_api::{Behaviour, FakeDataApi};
use hookmap::Record;
use hookmap_gateway::auth::basic_header;
use hookmap_gateway::config::{Config, DeliveryLimits, DestinationConfig, RateLimit, WorkspaceConfig};
use hookmap_gateway::{Gateway, SqliteStore};
use hyper::Method;

const PATH: &str = "/v1/partner/webforms/events/?configName=lead_form";

fn payload(n: u64) -> String {
    format!(
        r#"{{"email":"bench-{n}@example.com","first_name":"Ada","last_name":"Lovelace","phone":"+15550100{m:03}","form_name":"Contact Us","utm_source":"newsletter","submitted_at":{t}}}"#,
        m = n % 1000,
        t = 1_704_067_200_000_u64 + n
    )
}

fn encoder_vs_mapper() {
    let registry = hookmap_gateway::registry().expect("registry");
    let mapper = hookmap_gateway::mappers::MAPPERS
        .iter()
        .copied()
        .find(|m| m.info().config_name == "lead_form")
        .expect("the lead_form mapper");
    let _ = registry;
    let payloads: Vec<String> = (0..1000).map(payload).collect();
    let rounds = 200;
    let now = hookmap_gateway_now();

    let started = Instant::now();
    let mut records: Vec<Record<'static>> = Vec::with_capacity(payloads.len());
    for _ in 0..rounds {
        records.clear();
        for p in &payloads {
            let mapped = mapper.map(p.as_bytes()).expect("maps");
            records.extend(mapped.into_iter().map(Record::into_owned));
        }
    }
    let map_time = started.elapsed();

    let started = Instant::now();
    let mut bytes = 0usize;
    let mut calls = 0usize;
    for _ in 0..rounds {
        let (bodies, refused) = hookmap_gateway::delivery::elements::bulk_bodies(&records, now);
        assert_eq!(refused, 0);
        calls = bodies.len();
        bytes = bodies.iter().map(|c| c.body.len()).sum();
    }
    let encode_time = started.elapsed();
    let n = (payloads.len() * rounds) as f64;
    let payload_bytes: usize = payloads.iter().map(String::len).sum();
    println!(
        "payload {} bytes; {} records → {calls} bulk calls, {bytes} bytes of bodies",
        payloads[0].len(),
        payloads.len()
    );
    println!();
    println!("| step | records/s | µs/record | MB/s (of its output) |");
    println!("|---|---:|---:|---:|");
    println!(
        "| mapper (payload → records, owned) | {:.0} | {:.2} | {:.0} (payload in) |",
        n / map_time.as_secs_f64(),
        map_time.as_secs_f64() * 1e6 / n,
        (payload_bytes * rounds) as f64 / map_time.as_secs_f64() / 1e6
    );
    println!(
        "| encoder (records → checked elements → bulk bodies) | {:.0} | {:.2} | {:.0} |",
        n / encode_time.as_secs_f64(),
        encode_time.as_secs_f64() * 1e6 / n,
        (bytes * rounds) as f64 / encode_time.as_secs_f64() / 1e6
    );
}

fn hookmap_gateway_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

fn config(url: &str, key_file: &std::path::Path, stuck: bool) -> Config {
    let limits = DeliveryLimits {
        events_per_minute: 1_000_000_000,
        users_per_minute: 1_000_000_000,
        // While filling, the first call fails and waits long enough for the fill to finish.
        backoff_base_ms: if stuck { 3_600_000 } else { 1_000 },
        backoff_max_ms: 3_600_000,
        ..DeliveryLimits::default()
    };
    Config {
        workspaces: vec![WorkspaceConfig {
            id: "WS1".into(),
            key: "key".into(),
            rate_limit: None,
            destination: Some(DestinationConfig {
                url: url.into(),
                workspace_id: Some("MOE".into()),
                key_env: None,
                key_file: Some(key_file.to_owned()),
                enabled: true,
                limits,
            }),
        }],
        rate_limit: RateLimit { per_second: 1e9, burst: None },
        ..Config::default()
    }
}

async fn start(
    config: &Config,
    db: &std::path::Path,
) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<std::io::Result<()>>) {
    let store = SqliteStore::open(db, config.idempotency_window()).unwrap();
    let gateway = Gateway::new(config, hookmap_gateway::registry().unwrap(), Arc::new(store)).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(gateway.serve(listener, async {
        let _ = rx.await;
    }));
    (addr, tx, task)
}

/// Fills an outbox with `records` requests (the destination failing), then starts a gateway on
/// it with the destination up and times the delivery.
async fn delivery_run(records: u64, latency: Duration) -> (f64, usize) {
    let fake = FakeDataApi::start(&[("MOE", "moe-key")]).await;
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key");
    std::fs::write(&key, "moe-key").unwrap();
    let db = dir.path().join("bench.db");

    fake.always("MOE", Behaviour::Status(503, vec![]));
    let (addr, stop, task) = start(&config(&fake.url(), &key, true), &db).await;
    let auth = basic_header("WS1", "key");
    let conns = 16;
    let per = records / conns;
    let senders: Vec<_> = (0..conns)
        .map(|c| {
            let auth = auth.clone();
            tokio::spawn(async move {
                let mut conn = Conn::open(addr).await.unwrap();
                for i in 0..per {
                    let headers = [("authorization", auth.as_str()), ("content-type", "application/json")];
                    let r = conn.send(Method::POST, PATH, &headers, payload(c * per + i)).await.unwrap();
                    assert_eq!(r.status, 200);
                }
            })
        })
        .collect();
    for s in senders {
        s.await.unwrap();
    }
    let _ = stop.send(());
    task.await.unwrap().unwrap();

    fake.always("MOE", Behaviour::Accept);
    fake.set_latency(latency);
    let total = (per * conns) as usize;
    let started = Instant::now();
    let (_addr, stop, task) = start(&config(&fake.url(), &key, false), &db).await;
    // Each record is a customer element and an event element.
    let until = tokio::time::Instant::now() + Duration::from_secs(600);
    while fake.accepted_count() < 2 * total {
        assert!(tokio::time::Instant::now() < until, "delivery did not finish");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let elapsed = started.elapsed();
    let calls = fake.calls("MOE").iter().filter(|c| c.status == Some(200)).count();
    assert!(fake.dropped().is_empty());
    let _ = stop.send(());
    let _ = task.await;
    (total as f64 / elapsed.as_secs_f64(), calls)
}

/// Requests per second the store commits in groups of 64 for `secs`, queuing for delivery or not.
fn store_rate(dir: &std::path::Path, name: &str, outbox: bool, secs: u64) -> f64 {
    use hookmap_gateway::Store;
    use hookmap_gateway::log::{Content, Entry};
    let store = SqliteStore::open(&dir.join(name), Duration::from_secs(86_400)).unwrap();
    if outbox {
        store.enable_outbox(&["WS1".to_owned()]).unwrap();
    }
    let mapper = hookmap_gateway::mappers::MAPPERS
        .iter()
        .copied()
        .find(|m| m.info().config_name == "lead_form")
        .unwrap();
    let ws: Arc<str> = "WS1".into();
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed() < Duration::from_secs(secs) {
        let writes: Vec<Entry> = (0..64)
            .map(|_| {
                n += 1;
                let body = payload(n);
                let records: Vec<Record<'static>> =
                    mapper.map(body.as_bytes()).unwrap().into_iter().map(Record::into_owned).collect();
                Entry {
                    request_id: format!("r{n}"),
                    workspace: ws.clone(),
                    partner: "webforms".into(),
                    mapping_type: hookmap::MappingType::Events,
                    config_name: "lead_form".into(),
                    received_at_ms: 0,
                    idempotency_key: None,
                    content: Content::Records(records),
                }
            })
            .collect();
        store.write_group(&writes).unwrap();
        store.maintain(0).unwrap();
    }
    n as f64 / started.elapsed().as_secs_f64()
}

fn outbox_cost() {
    let dir = tempfile::tempdir().unwrap();
    let mut without = Vec::new();
    let mut with = Vec::new();
    for round in 0..2 {
        without.push(store_rate(dir.path(), &format!("plain-{round}.db"), false, 4));
        with.push(store_rate(dir.path(), &format!("outbox-{round}.db"), true, 4));
    }
    println!();
    println!("| store alone, groups of 64 (2 rounds of 4 s, alternating) | requests/s |");
    println!("|---|---:|");
    println!("| import only | {:.0} / {:.0} |", without[0], without[1]);
    println!("| import + outbox row + delivery_requests row | {:.0} / {:.0} |", with[0], with[1]);
}

fn main() {
    encoder_vs_mapper();
    outbox_cost();
    let records: u64 = std::env::var("DELIVERY_RECORDS").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    println!();
    println!("| delivery, {records} records (2 elements each) | records/s | bulk calls |");
    println!("|---|---:|---:|");
    for latency in [Duration::ZERO, Duration::from_millis(50)] {
        let (rate, calls) = rt.block_on(delivery_run(records, latency));
        println!("| fake Data API, {} ms per call | {rate:.0} | {calls} |", latency.as_millis());
    }
}
