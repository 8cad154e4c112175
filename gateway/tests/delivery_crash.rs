//! Kill -9 the gateway binary while it is delivering; restart it on the same file; every
//! acknowledged request must reach the (fake) Data API, none more than twice.

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use common::client::{Conn, send};
use common::fake_data_api::FakeDataApi;
use common::process::Process;
use common::{KEY, WS, auth};
use hyper::Method;
use serde_json::json;

const REQUESTS: usize = 300;
const BATCH: usize = 10;
const PATH: &str = "/v1/partner/webforms/events/?configName=lead_form";

/// The gateway binary on `db` and `config`, killed when dropped.
fn start(db: &Path, config: &Path) -> (Process, SocketAddr) {
    let gateway = Process::embedded(db, config);
    let addr = gateway.addr;
    (gateway, addr)
}

fn email(i: usize) -> String {
    format!("deliver-{i}@example.com")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_request_is_delivered_across_kill_9() {
    let fake = FakeDataApi::start(&[("MOE_CRASH", "crash-key")]).await;
    // Slow calls, so the kill lands while the queue is still being delivered.
    fake.set_latency(Duration::from_millis(100));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("gateway.db");
    let config = dir.path().join("gateway.json");
    let key_file = dir.path().join("moe.key");
    std::fs::write(&key_file, "crash-key\n").unwrap();
    let cfg = json!({
        "workspaces": [{"id": WS, "key": KEY, "destination": {
            "url": fake.url(), "workspace_id": "MOE_CRASH", "key_file": key_file,
            "limits": {"batch_entries": BATCH, "backoff_base_ms": 50, "backoff_max_ms": 200, "timeout_ms": 5000}
        }}],
        "rate_limit": {"per_second": 1e6}
    });
    std::fs::write(&config, cfg.to_string()).unwrap();

    let (mut gateway, addr) = start(&db, &config);
    let mut conn = Conn::open(addr).await.unwrap();
    let auth = auth();
    let mut acked = HashMap::new();
    for i in 0..REQUESTS {
        let body = json!({"email": email(i), "first_name": "D", "form_name": "Contact Us", "submitted_at": 1_704_067_200_000_i64 + i as i64});
        let headers = [("authorization", auth.as_str()), ("content-type", "application/json")];
        let reply = conn.send(Method::POST, PATH, &headers, body.to_string()).await.unwrap();
        assert_eq!(reply.status, 200, "{:?}", reply.body);
        acked.insert(email(i), reply.json()["request_id"].as_str().unwrap().to_owned());
    }
    // Kill once delivery is under way and not finished.
    let events =
        |fake: &FakeDataApi| fake.accepted("MOE_CRASH").into_iter().filter(|e| e["type"] == "event").count();
    let until = tokio::time::Instant::now() + Duration::from_secs(60);
    while events(&fake) < 3 * BATCH {
        assert!(tokio::time::Instant::now() < until, "delivery did not start");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    gateway.kill(); // SIGKILL
    let before = events(&fake);
    eprintln!("{before} of {REQUESTS} events delivered before the kill");
    assert!(before < REQUESTS, "the kill came too late to test anything");

    fake.set_latency(Duration::ZERO);
    let (gateway, addr) = start(&db, &config);
    let accepted = fake
        .wait_for("MOE_CRASH", Duration::from_secs(60), |elements| {
            let ids: std::collections::HashSet<&str> = elements
                .iter()
                .filter(|e| e["type"] == "event")
                .filter_map(|e| e["customer_id"].as_str())
                .collect();
            acked.keys().all(|k| ids.contains(k.as_str()))
        })
        .await;
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for e in accepted.iter().filter(|e| e["type"] == "event") {
        *counts.entry(e["customer_id"].as_str().unwrap()).or_default() += 1;
    }
    let twice = counts.values().filter(|n| **n == 2).count();
    eprintln!("{twice} events delivered twice (sent before the kill, not yet recorded)");
    assert!(counts.values().all(|n| *n <= 2), "no event more than twice: {counts:?}");
    assert!(twice <= BATCH, "at most the batch in flight is sent again: {twice}");
    for (email, rid) in &acked {
        let auth = common::auth();
        let until = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let r = send(addr, Method::GET, &format!("/v1/requests/{rid}"), &[("authorization", &auth)], "")
                .await
                .unwrap();
            if r.json()["delivery"]["state"] == "delivered" {
                break;
            }
            assert!(tokio::time::Instant::now() < until, "{email}: {}", r.json());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    assert!(fake.dropped().is_empty(), "{:?}", fake.dropped());
    drop(gateway);
}
