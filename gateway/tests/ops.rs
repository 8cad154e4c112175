//! The operational endpoints: a token, and a listener of their own.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;

use common::{TestGateway, auth, send};
use hookmap_gateway::{Gateway, Registry, SqliteStore};
use hyper::Method;
use serde_json::json;

const TOKEN: &str = "ops-token-0123456789";

fn with_token_file(dir: &tempfile::TempDir) -> hookmap_gateway::Config {
    let path = dir.path().join("ops-token");
    std::fs::write(&path, format!("{TOKEN}\n")).unwrap();
    let mut config = common::config();
    config.ops = serde_json::from_value(json!({"token": {"file": path}})).unwrap();
    config
}

fn event(customer: &str) -> String {
    json!({"customer_id": customer, "event": "E", "time": 1}).to_string()
}

#[tokio::test]
async fn a_configured_token_is_required_on_metrics_and_look_ups() {
    let dir = tempfile::tempdir().unwrap();
    let gw = TestGateway::with_config(with_token_file(&dir)).await;
    // Webhooks are not ops endpoints: Basic alone, as before.
    let r = gw.post("events", "events_v1", &event("ops-1")).await;
    assert_eq!(r.status, 200);
    let rid = r.request_id().to_owned();

    let bearer = format!("Bearer {TOKEN}");
    let basic = auth();
    let m = send(gw.addr, Method::GET, "/metrics", &[], "").await.unwrap();
    assert_eq!(m.status, 401);
    assert_eq!(m.json()["error"]["type"], "Authentication required");
    assert!(m.header("www-authenticate").unwrap().starts_with("Bearer"));
    let m = send(gw.addr, Method::GET, "/metrics", &[("authorization", "Bearer wrong")], "").await.unwrap();
    assert_eq!(m.status, 401);
    let m = send(gw.addr, Method::GET, "/metrics", &[("authorization", &bearer)], "").await.unwrap();
    assert_eq!(m.status, 200);
    assert!(String::from_utf8_lossy(&m.body).contains("hookmap_requests_total"));

    // Look-ups: Basic names the workspace, the token goes in its own header.
    let path = format!("/v1/requests/{rid}");
    let r = gw.get(&path).await;
    assert_eq!(r.status, 401, "Basic alone is not enough");
    let r =
        send(gw.addr, Method::GET, &path, &[("authorization", &basic), ("x-hookmap-ops-token", "nope")], "")
            .await
            .unwrap();
    assert_eq!(r.status, 401);
    let r =
        send(gw.addr, Method::GET, &path, &[("authorization", &basic), ("x-hookmap-ops-token", TOKEN)], "")
            .await
            .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["status"], "imported");
    let r = send(
        gw.addr,
        Method::GET,
        "/v1/customers/ops-1",
        &[("authorization", &basic), ("x-hookmap-ops-token", TOKEN)],
        "",
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200);
    // The token does not stand in for the workspace's credentials.
    let r = send(gw.addr, Method::GET, &path, &[("authorization", &bearer)], "").await.unwrap();
    assert_eq!(r.status, 401);
    // Health checks stay open.
    assert_eq!(send(gw.addr, Method::GET, "/healthz", &[], "").await.unwrap().status, 200);
    gw.stop().await;
}

#[tokio::test]
async fn ops_endpoints_can_listen_on_their_own_address() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = common::config();
    config.ops.listen = Some("127.0.0.1:0".into());
    let store = SqliteStore::open(&dir.path().join("gateway.db"), config.idempotency_window()).unwrap();
    let registry = Registry::new(common::mappers::ALL.iter().copied()).unwrap();
    let mut gateway = Gateway::new(&config, registry, Arc::new(store)).unwrap();
    let ops: SocketAddr = gateway.bind_ops().await.unwrap().expect("an ops address");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(gateway.serve(listener, async {
        let _ = stopped.await;
    }));

    let basic = auth();
    let r = send(
        addr,
        Method::POST,
        "/v1/partner/shop/events/?configName=events_v1",
        &[("authorization", &basic)],
        event("sep-1"),
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200);
    let path = format!("/v1/requests/{}", r.request_id());

    // The webhook address no longer serves the ops endpoints...
    assert_eq!(send(addr, Method::GET, "/metrics", &[], "").await.unwrap().status, 404);
    assert_eq!(send(addr, Method::GET, &path, &[("authorization", &basic)], "").await.unwrap().status, 404);
    // ...the ops address does, and serves no webhooks.
    assert_eq!(send(ops, Method::GET, "/metrics", &[], "").await.unwrap().status, 200);
    let r = send(ops, Method::GET, &path, &[("authorization", &basic)], "").await.unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["status"], "imported");
    let r = send(
        ops,
        Method::POST,
        "/v1/partner/shop/events/?configName=events_v1",
        &[("authorization", &basic)],
        event("sep-2"),
    )
    .await
    .unwrap();
    assert_eq!(r.status, 404);
    // Both answer health checks.
    assert_eq!(send(addr, Method::GET, "/healthz", &[], "").await.unwrap().status, 200);
    assert_eq!(send(ops, Method::GET, "/healthz", &[], "").await.unwrap().status, 200);

    let _ = stop.send(());
    tokio::time::timeout(common::client::TIMEOUT, task).await.expect("stops").unwrap().unwrap();
}

#[test]
fn an_unreadable_token_file_is_a_startup_error() {
    let mut config = common::config();
    config.ops = serde_json::from_value(json!({"token": {"file": "/nonexistent/ops-token"}})).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("gateway.db"), config.idempotency_window()).unwrap();
    let registry = Registry::new(common::mappers::ALL.iter().copied()).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let _guard = runtime.enter();
    let e = Gateway::new(&config, registry, Arc::new(store)).unwrap_err();
    assert!(e.to_string().contains("ops.token"), "{e}");
}
