//! Kill -9 the gateway binary while requests are in flight; restart it on the same file; every
//! request that got a 200 must be there, exactly once.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::client::{Conn, send};
use common::process::Process;
use common::{KEY, WS, auth};
use hyper::Method;
use serde_json::json;

const REQUESTS: usize = 400;
const KILL_AFTER: usize = 100;
const WORKERS: usize = 32;
const PATH: &str = "/v1/partner/webforms/events/?configName=lead_form";

/// The gateway binary on `db` and `config`, killed when dropped.
fn start(db: &Path, config: &Path) -> (Process, SocketAddr) {
    let gateway = Process::embedded(db, config);
    let addr = gateway.addr;
    (gateway, addr)
}

fn email(i: usize) -> String {
    format!("crash-{i}@example.com")
}

fn payload(i: usize) -> String {
    json!({"email": email(i), "first_name": "Crash", "form_name": "Contact Us", "submitted_at": 1_704_067_200_000_i64 + i as i64})
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_request_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("gateway.db");
    let config = dir.path().join("gateway.json");
    let cfg = json!({"workspaces": [{"id": WS, "key": KEY}], "rate_limit": {"per_second": 1e6}});
    std::fs::write(&config, cfg.to_string()).unwrap();

    let (mut gateway, addr) = start(&db, &config);
    let next = Arc::new(AtomicUsize::new(0));
    let acked = Arc::new(Mutex::new(Vec::<(usize, String)>::new()));
    let (kill_tx, kill_rx) = tokio::sync::watch::channel(false);
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            let (next, acked, kill_tx) = (next.clone(), acked.clone(), kill_tx.clone());
            tokio::spawn(async move {
                let Ok(mut conn) = Conn::open(addr).await else { return };
                let auth = auth();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= REQUESTS {
                        return;
                    }
                    let headers = [("authorization", auth.as_str()), ("content-type", "application/json")];
                    // Once the gateway is gone every send fails; the worker stops.
                    let Ok(reply) = conn.send(Method::POST, PATH, &headers, payload(i)).await else { return };
                    assert_eq!(reply.status, 200, "{:?}", reply.body);
                    let rid = reply.json()["request_id"].as_str().unwrap().to_owned();
                    let mut acked = acked.lock().unwrap();
                    acked.push((i, rid));
                    if acked.len() == KILL_AFTER {
                        let _ = kill_tx.send(true);
                    }
                }
            })
        })
        .collect();
    drop(kill_tx);

    let mut kill_rx = kill_rx;
    tokio::time::timeout(Duration::from_secs(60), kill_rx.wait_for(|k| *k))
        .await
        .expect("enough requests acknowledged in time")
        .expect("a worker signals the kill");
    gateway.kill(); // SIGKILL
    for w in workers {
        tokio::time::timeout(Duration::from_secs(60), w).await.expect("workers stop").expect("worker");
    }
    let acked = std::mem::take(&mut *acked.lock().unwrap());
    assert!(acked.len() >= KILL_AFTER);
    eprintln!("{} of {REQUESTS} requests acknowledged before the kill", acked.len());

    // Restart on the same file.
    let (gateway, addr) = start(&db, &config);
    let auth = auth();
    let get = |path: String| {
        let auth = auth.clone();
        async move { send(addr, Method::GET, &path, &[("authorization", &auth)], "").await.unwrap() }
    };
    let mut acked_ids = vec![None; REQUESTS];
    for (i, rid) in &acked {
        acked_ids[*i] = Some(rid.clone());
    }
    for (i, rid) in acked_ids.iter().enumerate() {
        let customer = get(format!("/v1/customers/{}", email(i))).await;
        match rid {
            Some(rid) => {
                let request = get(format!("/v1/requests/{rid}")).await;
                assert_eq!(request.status, 200, "acknowledged request {i} ({rid}) lost");
                assert_eq!(request.json()["status"], "imported");
                assert_eq!(request.json()["records"], 1);
                assert_eq!(customer.status, 200, "acknowledged request {i}: profile lost");
                let events = customer.json()["events"].as_array().unwrap().clone();
                assert_eq!(events.len(), 1, "request {i} stored exactly once");
                assert_eq!(events[0]["request_id"], rid.as_str());
            }
            // Not acknowledged: stored at most once, or not at all.
            None if customer.status == 200 => {
                assert_eq!(customer.json()["events"].as_array().unwrap().len(), 1, "request {i}");
            }
            None => assert_eq!(customer.status, 404),
        }
    }
    drop(gateway);
}
