//! Delivery to a fake Data API: the elements an accepted request becomes, the checks, the
//! retries, rate limits and pauses, the dead-letter list, and isolation between workspaces.

mod common;

use std::time::Duration;

use common::fake_data_api::{Behaviour, FakeDataApi};
use common::{KEY2, TestGateway, WS, WS2, send};
use hookmap_gateway::auth::basic_header;
use hookmap_gateway::config::{Config, DeliveryLimits, DestinationConfig};
use hyper::Method;
use serde_json::{Value, json};

const MOE1: &str = "MOE_WS1";
const MOE2: &str = "MOE_WS2";
const MOE_KEY1: &str = "data-api-key-1";
const MOE_KEY2: &str = "data-api-key-2";
const DEADLINE: Duration = Duration::from_secs(20);
/// 2024-01-01T00:00:00Z
const T0: i64 = 1_704_067_200_000;

struct Setup {
    gw: TestGateway,
    fake: FakeDataApi,
    _keys: tempfile::TempDir,
}

/// Short delays, so retries happen within a test's time.
fn fast() -> DeliveryLimits {
    DeliveryLimits {
        max_attempts: 4,
        backoff_base_ms: 20,
        backoff_max_ms: 100,
        timeout_ms: 1_000,
        pause_ms: 200,
        ..DeliveryLimits::default()
    }
}

fn destination(
    url: &str,
    remote: &str,
    key_file: std::path::PathBuf,
    limits: DeliveryLimits,
) -> DestinationConfig {
    DestinationConfig {
        url: url.to_owned(),
        workspace_id: Some(remote.to_owned()),
        key_env: None,
        key_file: Some(key_file),
        enabled: true,
        limits,
    }
}

async fn setup_with(limits: DeliveryLimits, both: bool) -> Setup {
    let fake = FakeDataApi::start(&[(MOE1, MOE_KEY1), (MOE2, MOE_KEY2)]).await;
    let keys = tempfile::tempdir().unwrap();
    let (k1, k2) = (keys.path().join("k1"), keys.path().join("k2"));
    std::fs::write(&k1, format!("{MOE_KEY1}\n")).unwrap();
    std::fs::write(&k2, MOE_KEY2).unwrap();
    let mut config: Config = common::config();
    config.workspaces[0].destination = Some(destination(&fake.url(), MOE1, k1, limits));
    if both {
        config.workspaces[1].destination = Some(destination(&format!("{}/v1", fake.url()), MOE2, k2, limits));
    }
    let gw = TestGateway::with_config(config).await;
    Setup { gw, fake, _keys: keys }
}

async fn setup() -> Setup {
    setup_with(fast(), true).await
}

fn event(customer: &str, name: &str, seq: i64) -> Value {
    json!({"customer_id": customer, "event": name, "time": T0 + seq * 1000, "attr": {"seq": seq}})
}

async fn post_event(gw: &TestGateway, body: &Value) -> String {
    let reply = gw.post("events", "events_v1", &body.to_string()).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.json()["request_id"].as_str().unwrap().to_owned()
}

/// Polls `GET /v1/requests/{rid}` until its delivery state is `state`.
async fn wait_delivery(gw: &TestGateway, rid: &str, state: &str) -> Value {
    let until = tokio::time::Instant::now() + DEADLINE;
    loop {
        let reply = gw.get(&format!("/v1/requests/{rid}")).await;
        assert_eq!(reply.status, 200);
        let delivery = reply.json()["delivery"].clone();
        if delivery["state"] == state {
            return delivery;
        }
        assert!(tokio::time::Instant::now() < until, "request {rid} never reached {state}: {delivery}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn metrics(gw: &TestGateway) -> String {
    String::from_utf8(gw.get("/metrics").await.body.to_vec()).unwrap()
}

async fn wait_metric(gw: &TestGateway, line: &str) {
    let until = tokio::time::Instant::now() + DEADLINE;
    loop {
        let text = metrics(gw).await;
        if text.lines().any(|l| l == line) {
            return;
        }
        assert!(tokio::time::Instant::now() < until, "metric line {line:?} never appeared:\n{text}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn without_current_time(mut e: Value) -> Value {
    if let Some(actions) = e.get_mut("actions").and_then(Value::as_array_mut) {
        for a in actions {
            let t = a["current_time"].take();
            assert!(t.as_str().is_some_and(|t| t.len() == 20 && t.ends_with('Z')), "current_time {t}");
        }
    }
    e
}

#[tokio::test]
async fn an_accepted_request_arrives_as_the_documented_elements() {
    let s = setup().await;
    // Written out, so the numbers keep their payload text (149.50, a 20-digit integer).
    let body = r#"{"batch": [
        {"customer_id": "c-1", "event": "Order Placed", "time": 1704067201500,
         "attr": {"total": 149.50, "big": 98765432109876543210, "tags": ["a", "b"], "gift": false, "note": "caf\u00e9"},
         "user": {"u_em": "c1@example.com", "plan": "gold"}},
        {"customer_id": "c-2", "event": "Viewed", "time": 1704067200000}
    ]}"#;
    let reply = s.gw.post("events", "events_v1", body).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let rid = reply.json()["request_id"].as_str().unwrap().to_owned();
    let users = s.gw.post("users", "users_v1", r#"{"customer_id":"c-1","attributes":{"u_fn":"Ann","age":42},"update_existing_only":true,"event_id":"u1"}"#).await;
    assert_eq!(users.status, 200);
    let urid = users.json()["request_id"].as_str().unwrap().to_owned();

    let elements = s.fake.wait_for(MOE1, DEADLINE, |e| e.len() >= 4).await;
    let elements: Vec<Value> = elements.into_iter().map(without_current_time).collect();
    let expected = vec![
        json!({"type": "customer", "customer_id": "c-1",
               "attributes": {"u_em": "c1@example.com", "plan": "gold"}, "update_existing_only": false}),
        json!({"type": "event", "customer_id": "c-1", "actions": [{
            "action": "Order Placed",
            "attributes": {"big": 98765432109876543210.0, "gift": false, "note": "caf\u{e9}", "tags": ["a", "b"], "total": 149.5},
            "platform": "web", "app_version": "1.0.0", "user_time": "2024-01-01T00:00:01Z", "current_time": null}]}),
        json!({"type": "event", "customer_id": "c-2", "actions": [{
            "action": "Viewed", "attributes": {}, "platform": "web", "app_version": "1.0.0",
            "user_time": "2024-01-01T00:00:00Z", "current_time": null}]}),
        json!({"type": "customer", "customer_id": "c-1", "attributes": {"u_fn": "Ann", "age": 42}, "update_existing_only": true}),
    ];
    assert_eq!(elements, expected);
    // Numbers travel as the payload wrote them.
    let bodies = s.fake.bodies(MOE1);
    assert!(bodies[0].contains(r#""big":98765432109876543210,"#), "{}", bodies[0]);
    assert!(bodies[0].contains(r#""total":149.50}"#), "{}", bodies[0]);
    let raw = s.fake.calls(MOE1);
    assert!(raw.iter().all(|c| c.status == Some(200)), "{raw:?}");
    assert!(s.fake.dropped().is_empty(), "{:?}", s.fake.dropped());

    let delivery = wait_delivery(&s.gw, &rid, "delivered").await;
    assert_eq!(delivery["elements"], 3);
    assert_eq!(delivery["delivered"], 3);
    assert_eq!(delivery["dead"], 0);
    wait_delivery(&s.gw, &urid, "delivered").await;
    wait_metric(&s.gw, "hookmap_delivery_elements_delivered_total{workspace=\"WS1\"} 4").await;
    // One or two bulk calls, depending on whether the two requests were read in one batch.
    let calls = s.fake.calls(MOE1).len();
    wait_metric(&s.gw, &format!("hookmap_delivery_calls_total{{workspace=\"WS1\",status=\"200\"}} {calls}"))
        .await;
    wait_metric(&s.gw, "hookmap_delivery_queued{workspace=\"WS1\"} 0").await;
    wait_metric(&s.gw, "hookmap_delivery_lag_seconds{workspace=\"WS1\"} 0").await;
    s.gw.stop().await;
}

#[tokio::test]
async fn a_workspace_without_a_destination_keeps_todays_behaviour() {
    let s = setup_with(fast(), false).await;
    let reply = s.gw.post_with("events", "events_v1", &event("x", "E", 1).to_string(), &[]).await;
    assert_eq!(reply.status, 200);
    // WS2 has no destination: its requests show no delivery, and its dead list is not there.
    let auth = basic_header(WS2, KEY2);
    let body = event("y", "E", 1).to_string();
    let path = "/v1/partner/shop/events/?configName=events_v1";
    let r = send(
        s.gw.addr,
        Method::POST,
        path,
        &[("authorization", &auth), ("content-type", "application/json")],
        body,
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200);
    let rid = r.json()["request_id"].as_str().unwrap().to_owned();
    let info = send(s.gw.addr, Method::GET, &format!("/v1/requests/{rid}"), &[("authorization", &auth)], "")
        .await
        .unwrap();
    assert_eq!(info.status, 200);
    assert!(info.json().get("delivery").is_none(), "{:?}", info.json());
    let dead = send(s.gw.addr, Method::GET, "/v1/dead", &[("authorization", &auth)], "").await.unwrap();
    assert_eq!(dead.status, 404);
    s.fake.wait_for(MOE1, DEADLINE, |e| e.len() == 1).await;
    assert!(s.fake.accepted(MOE2).is_empty());
    s.gw.stop().await;
}

#[tokio::test]
async fn elements_breaking_a_data_api_rule_are_dead_lettered_and_the_rest_delivered() {
    let s = setup().await;
    let long = "x".repeat(513);
    let many: serde_json::Map<String, Value> = (0..101).map(|i| (format!("a{i}"), json!(i))).collect();
    let body = json!({"batch": [
        {"customer_id": "ok-1", "event": "Fine", "time": T0},
        {"customer_id": "ok-2", "event": "moe_reserved", "time": T0},
        {"customer_id": "ok-3", "event": "Long", "time": T0, "attr": {"v": long}},
        {"customer_id": "guest", "event": "Placeholder", "time": T0},
        {"customer_id": "ok-4", "event": "Array", "time": T0, "attr": {"list": (0..51).collect::<Vec<_>>()}},
        {"customer_id": "ok-5", "event": "Many", "time": T0, "attr": many},
        {"customer_id": "ok-6", "event": "Future", "time": 4_102_444_800_000_i64},
        {"customer_id": "ok-7", "event": "Fine too", "time": T0, "user": {"moe_x": 1}},
    ]});
    let rid = post_event(&s.gw, &body).await;
    let delivery = wait_delivery(&s.gw, &rid, "partially_delivered").await;
    assert_eq!(delivery["elements"], 9);
    assert_eq!(delivery["delivered"], 2);
    assert_eq!(delivery["dead"], 7);
    let accepted = s.fake.accepted(MOE1);
    let names: Vec<&str> = accepted.iter().filter_map(|e| e["actions"][0]["action"].as_str()).collect();
    assert_eq!(names, ["Fine", "Fine too"]);
    assert!(s.fake.dropped().is_empty(), "{:?}", s.fake.dropped());

    let dead = s.gw.get("/v1/dead").await;
    assert_eq!(dead.status, 200);
    let items = dead.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 7);
    let reasons: Vec<String> = items.iter().map(|i| i["reason"].as_str().unwrap().to_owned()).collect();
    for needle in ["moe_", "513 characters", "placeholder", "51 items", "101 attributes", "future", "moe_x"] {
        assert!(reasons.iter().any(|r| r.contains(needle)), "no reason mentions {needle:?}: {reasons:#?}");
    }
    assert!(items.iter().all(|i| i["kind"] == "invalid" && i["request_id"] == rid.as_str()));
    // The element is shown as it would have been sent.
    assert!(items.iter().any(|i| i["element"]["actions"][0]["action"] == "moe_reserved"));
    // An invalid element cannot be retried as it is.
    let id = items[0]["id"].as_i64().unwrap();
    let retry = send(
        s.gw.addr,
        Method::POST,
        &format!("/v1/dead/{id}/retry"),
        &[("authorization", &common::auth())],
        "",
    )
    .await
    .unwrap();
    assert_eq!(retry.status, 409, "{:?}", retry.body);
    wait_metric(&s.gw, "hookmap_delivery_elements_dead_total{workspace=\"WS1\"} 7").await;
    s.gw.stop().await;
}

#[tokio::test]
async fn a_429_waits_for_the_window_the_headers_give() {
    let s = setup().await;
    s.fake.script(
        MOE1,
        [Behaviour::Status(
            429,
            vec![
                ("x-ratelimit-limit", "60000".into()),
                ("x-ratelimit-remaining", "0".into()),
                ("x-ratelimit-reset", "1".into()),
            ],
        )],
    );
    let rid = post_event(&s.gw, &event("c", "E", 1)).await;
    wait_delivery(&s.gw, &rid, "delivered").await;
    let calls = s.fake.calls(MOE1);
    assert_eq!(calls.iter().map(|c| c.status).collect::<Vec<_>>(), [Some(429), Some(200)]);
    wait_metric(&s.gw, "hookmap_delivery_calls_total{workspace=\"WS1\",status=\"429\"} 1").await;
    wait_metric(&s.gw, "hookmap_delivery_retries_total{workspace=\"WS1\"} 1").await;
    s.gw.stop().await;
}

#[tokio::test]
async fn server_errors_stalls_and_resets_are_retried() {
    let s = setup().await;
    s.fake.script(
        MOE1,
        [Behaviour::Status(500, vec![]), Behaviour::Status(502, vec![]), Behaviour::Status(503, vec![])],
    );
    let rid = post_event(&s.gw, &event("c", "E", 1)).await;
    let delivery = wait_delivery(&s.gw, &rid, "delivered").await;
    assert_eq!(delivery["delivered"], 1);
    assert_eq!(s.fake.accepted(MOE1).len(), 1);

    // A stall past the timeout (1 s here) and a reset connection, then success.
    s.fake.script(MOE1, [Behaviour::Stall(Duration::from_secs(3)), Behaviour::Reset]);
    let rid = post_event(&s.gw, &event("c", "F", 2)).await;
    wait_delivery(&s.gw, &rid, "delivered").await;
    let accepted = s.fake.accepted(MOE1);
    assert_eq!(accepted.len(), 2);
    assert_eq!(accepted[1]["actions"][0]["action"], "F");
    wait_metric(&s.gw, "hookmap_delivery_calls_total{workspace=\"WS1\",status=\"timeout\"} 1").await;
    wait_metric(&s.gw, "hookmap_delivery_calls_total{workspace=\"WS1\",status=\"connection\"} 1").await;
    wait_metric(&s.gw, "hookmap_delivery_calls_total{workspace=\"WS1\",status=\"500\"} 1").await;
    wait_metric(&s.gw, "hookmap_delivery_calls_total{workspace=\"WS1\",status=\"503\"} 1").await;
    wait_metric(&s.gw, "hookmap_delivery_retries_total{workspace=\"WS1\"} 5").await;
    s.gw.stop().await;
}

#[tokio::test]
async fn an_answer_lost_after_processing_is_sent_again_and_arrives_twice() {
    let s = setup().await;
    s.fake.script(MOE1, [Behaviour::DropAnswer]);
    let rid = post_event(&s.gw, &event("c", "Twice", 1)).await;
    wait_delivery(&s.gw, &rid, "delivered").await;
    // The Data API has no idempotency key: the element is there twice (docs/delivery.md).
    let accepted = s.fake.accepted(MOE1);
    assert_eq!(accepted.len(), 2, "{accepted:#?}");
    assert_eq!(accepted[0], accepted[1]);
    s.gw.stop().await;
}

#[tokio::test]
async fn refused_calls_are_dead_lettered_without_retry_and_can_be_retried_after_a_fix() {
    let s = setup().await;
    s.fake.script(MOE1, [Behaviour::Status(400, vec![]), Behaviour::Status(413, vec![])]);
    let first = post_event(&s.gw, &event("c", "A", 1)).await;
    let d = wait_delivery(&s.gw, &first, "dead").await;
    assert!(d["last_error"].as_str().unwrap().contains("400"), "{d}");
    let second = post_event(&s.gw, &event("c", "B", 2)).await;
    wait_delivery(&s.gw, &second, "dead").await;
    assert_eq!(s.fake.calls(MOE1).len(), 2, "4xx is not retried");

    let dead = s.gw.get("/v1/dead").await.json();
    let items = dead["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["kind"], "refused");
    assert!(items[1]["reason"].as_str().unwrap().contains("413"));
    // After the fix (here: the fake accepts again), retry both.
    for item in &items {
        let id = item["id"].as_i64().unwrap();
        let r = send(
            s.gw.addr,
            Method::POST,
            &format!("/v1/dead/{id}/retry"),
            &[("authorization", &common::auth())],
            "",
        )
        .await
        .unwrap();
        assert_eq!(r.status, 202, "{:?}", r.body);
    }
    wait_delivery(&s.gw, &first, "delivered").await;
    wait_delivery(&s.gw, &second, "delivered").await;
    let names: Vec<Value> = s.fake.accepted(MOE1).iter().map(|e| e["actions"][0]["action"].clone()).collect();
    assert_eq!(names, [json!("A"), json!("B")]);
    let left = s.gw.get("/v1/dead").await.json();
    assert_eq!(left["items"].as_array().unwrap().len(), 0, "{left}");
    let all = s.gw.get("/v1/dead?all=true").await.json();
    assert!(all["items"].as_array().unwrap().iter().all(|i| i["status"] == "delivered"));

    // Another workspace's items are not visible, nor retryable; unknown ids are 404.
    let other =
        send(s.gw.addr, Method::POST, "/v1/dead/1/retry", &[("authorization", &basic_header(WS2, KEY2))], "")
            .await
            .unwrap();
    assert_eq!(other.status, 404);
    let none = send(s.gw.addr, Method::GET, "/v1/dead", &[], "").await.unwrap();
    assert_eq!(none.status, 401);
    s.gw.stop().await;
}

#[tokio::test]
async fn retries_that_run_out_go_to_the_dead_letter_list() {
    let s = setup().await;
    s.fake.always(MOE1, Behaviour::Status(503, vec![]));
    let rid = post_event(&s.gw, &event("c", "A", 1)).await;
    let d = wait_delivery(&s.gw, &rid, "dead").await;
    assert!(d["last_error"].as_str().unwrap().contains("gave up after 4 attempts"), "{d}");
    assert_eq!(s.fake.calls(MOE1).len(), 4);
    let items = s.gw.get("/v1/dead").await.json()["items"].as_array().unwrap().clone();
    assert_eq!(items[0]["kind"], "exhausted");
    s.gw.stop().await;
}

#[tokio::test]
async fn a_401_or_403_pauses_the_workspace_instead_of_burning_the_queue() {
    let s = setup().await;
    s.fake.script(MOE1, [Behaviour::Status(403, vec![])]);
    s.fake.always(MOE1, Behaviour::Status(401, vec![]));
    let rids = [post_event(&s.gw, &event("c", "A", 1)).await, post_event(&s.gw, &event("c", "B", 2)).await];
    wait_metric(&s.gw, "hookmap_delivery_paused{workspace=\"WS1\"} 1").await;
    let d = wait_delivery(&s.gw, &rids[0], "retrying").await;
    assert!(d["last_error"].as_str().unwrap().starts_with("paused"), "{d}");
    // Several probes, nothing dead-lettered.
    let until = tokio::time::Instant::now() + DEADLINE;
    while s.fake.calls(MOE1).len() < 3 {
        assert!(tokio::time::Instant::now() < until);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(s.gw.get("/v1/dead").await.json()["items"].as_array().unwrap().len(), 0);
    wait_metric(&s.gw, "hookmap_delivery_calls_total{workspace=\"WS1\",status=\"403\"} 1").await;
    // The key is fixed on MoEngage's side: delivery resumes by itself.
    s.fake.always(MOE1, Behaviour::Accept);
    for rid in &rids {
        wait_delivery(&s.gw, rid, "delivered").await;
    }
    wait_metric(&s.gw, "hookmap_delivery_paused{workspace=\"WS1\"} 0").await;
    s.gw.stop().await;
}

#[tokio::test]
async fn a_failing_workspace_does_not_delay_another() {
    let limits =
        DeliveryLimits { backoff_base_ms: 5_000, backoff_max_ms: 5_000, max_attempts: 100, ..fast() };
    let s = setup_with(limits, true).await;
    s.fake.always(MOE1, Behaviour::Status(503, vec![]));
    let stuck = post_event(&s.gw, &event("c", "Stuck", 1)).await;
    wait_delivery(&s.gw, &stuck, "retrying").await;
    let auth = basic_header(WS2, KEY2);
    let path = "/v1/partner/shop/events/?configName=events_v1";
    let mut rids = Vec::new();
    for i in 0..20 {
        let r = send(
            s.gw.addr,
            Method::POST,
            path,
            &[("authorization", &auth), ("content-type", "application/json")],
            event("d", "Flows", i).to_string(),
        )
        .await
        .unwrap();
        assert_eq!(r.status, 200);
        rids.push(r.json()["request_id"].as_str().unwrap().to_owned());
    }
    s.fake.wait_for(MOE2, DEADLINE, |e| e.len() == 20).await;
    // The answer reaches the fake before the forwarder records it: poll.
    let until = tokio::time::Instant::now() + DEADLINE;
    loop {
        let path = format!("/v1/requests/{}", rids[19]);
        let info = send(s.gw.addr, Method::GET, &path, &[("authorization", &auth)], "").await.unwrap();
        if info.json()["delivery"]["state"] == "delivered" {
            break;
        }
        assert!(tokio::time::Instant::now() < until, "{:?}", info.json());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(s.gw.get(&format!("/v1/requests/{stuck}")).await.json()["delivery"]["state"], "retrying");
    // The stuck workspace's lag grows while its batch waits; the other's is back to 0.
    let until = tokio::time::Instant::now() + DEADLINE;
    loop {
        let text = metrics(&s.gw).await;
        let lag = |ws: &str| {
            let prefix = format!("hookmap_delivery_lag_seconds{{workspace=\"{ws}\"}} ");
            text.lines().find_map(|l| l.strip_prefix(&prefix)?.parse::<u64>().ok())
        };
        if lag("WS1").is_some_and(|l| l >= 1) && lag("WS2") == Some(0) {
            break;
        }
        assert!(tokio::time::Instant::now() < until, "{text}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(s.fake.accepted(MOE1).is_empty());
    s.gw.stop().await;
}

#[tokio::test]
async fn each_customers_elements_arrive_in_accepted_order() {
    let limits = DeliveryLimits { batch_entries: 7, ..fast() };
    let s = setup_with(limits, false).await;
    // Failures on the way must not reorder anything.
    s.fake.script(
        MOE1,
        [
            Behaviour::Status(500, vec![]),
            Behaviour::Accept,
            Behaviour::Reset,
            Behaviour::Accept,
            Behaviour::Status(503, vec![]),
        ],
    );
    let customers = ["a", "b", "c"];
    for i in 0..60 {
        let c = customers[i as usize % 3];
        let body = if i % 5 == 0 {
            json!({"batch": [event(c, "E", i), event(c, "E", i + 1000)]})
        } else {
            event(c, "E", i)
        };
        post_event(&s.gw, &body).await;
    }
    let accepted = s.fake.wait_for(MOE1, DEADLINE, |e| e.len() == 72).await;
    for c in customers {
        let seqs: Vec<i64> = accepted
            .iter()
            .filter(|e| e["customer_id"] == c)
            .map(|e| e["actions"][0]["attributes"]["seq"].as_i64().unwrap())
            .collect();
        let mut expected = Vec::new();
        for i in (0..60).filter(|i| customers[*i as usize % 3] == c) {
            expected.push(i);
            if i % 5 == 0 {
                expected.push(i + 1000);
            }
        }
        assert_eq!(seqs, expected, "customer {c}");
    }
    s.gw.stop().await;
}

#[tokio::test]
async fn anonymous_records_wait_for_their_customer_id() {
    let s = setup_with(fast(), false).await;
    let anon1 = post_event(
        &s.gw,
        &json!({"anon_id": "anon-9", "event": "Browsed", "time": T0, "user": {"city": "Pune"}}),
    )
    .await;
    let anon2 = post_event(&s.gw, &json!({"anon_id": "anon-9", "event": "Carted", "time": T0 + 1000})).await;
    let d = wait_delivery(&s.gw, &anon1, "held").await;
    assert_eq!(d["held"], 1);
    wait_delivery(&s.gw, &anon2, "held").await;
    assert!(s.fake.accepted(MOE1).is_empty(), "the Data API takes no anonymous events");
    // The record that ties the two ids releases what was held, under the customer id, first.
    let login = post_event(
        &s.gw,
        &json!({"customer_id": "cust-9", "anon_id": "anon-9", "event": "Logged In", "time": T0 + 2000}),
    )
    .await;
    let accepted = s.fake.wait_for(MOE1, DEADLINE, |e| e.len() == 4).await;
    let summary: Vec<(String, String)> = accepted
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap().to_owned(),
                e["actions"][0]["action"].as_str().unwrap_or("-").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("customer".into(), "-".into()),
            ("event".into(), "Browsed".into()),
            ("event".into(), "Carted".into()),
            ("event".into(), "Logged In".into())
        ]
    );
    assert!(accepted.iter().all(|e| e["customer_id"] == "cust-9"));
    wait_delivery(&s.gw, &anon1, "delivered").await;
    wait_delivery(&s.gw, &anon2, "delivered").await;
    wait_delivery(&s.gw, &login, "delivered").await;
    // From now on the anonymous id goes straight to its customer.
    post_event(&s.gw, &json!({"anon_id": "anon-9", "event": "Later", "time": T0 + 3000})).await;
    let accepted = s.fake.wait_for(MOE1, DEADLINE, |e| e.len() == 5).await;
    assert_eq!(accepted[4]["customer_id"], "cust-9");
    s.gw.stop().await;
}

#[tokio::test]
async fn a_call_larger_than_the_rate_limit_still_goes_out() {
    // The pacing itself is unit-tested (forwarder::tests); here a bulk call of more items than
    // a minute's allowance waits for a full allowance instead of never being sent.
    let limits = DeliveryLimits { events_per_minute: 10, users_per_minute: 10, ..fast() };
    let s = setup_with(limits, false).await;
    let rid =
        post_event(&s.gw, &json!({"batch": (0..30).map(|j| event("r", "E", j)).collect::<Vec<_>>()})).await;
    wait_delivery(&s.gw, &rid, "delivered").await;
    assert_eq!(s.fake.accepted(MOE1).len(), 30);
    wait_metric(&s.gw, "hookmap_delivery_queued{workspace=\"WS1\"} 0").await;
    s.gw.stop().await;
}

#[test]
fn a_destination_needs_a_usable_url_and_one_key_source() {
    let mut config = common::config();
    let mut d = destination("https://api-01.moengage.com", "X", "/k".into(), DeliveryLimits::default());
    config.workspaces[0].destination = Some(d.clone());
    if cfg!(feature = "tls") {
        config.validate().unwrap();
    } else {
        let e = config.validate().unwrap_err().to_string();
        assert!(e.contains("plain HTTP only") && e.contains("--features tls"), "{e}");
    }
    d.url = "http://api-01.moengage.com/x".into();
    config.workspaces[0].destination = Some(d.clone());
    assert!(config.validate().unwrap_err().to_string().contains("http://host[:port]"));
    d.url = "http://api-01.moengage.com".into();
    d.key_env = Some("X".into());
    config.workspaces[0].destination = Some(d.clone());
    assert!(config.validate().unwrap_err().to_string().contains("exactly one of key_env and key_file"));
    d.key_env = None;
    config.workspaces[0].destination = Some(d);
    config.validate().unwrap();
    // The config's debug print shows where the key comes from, never a key.
    let printed = format!("{config:?}");
    assert!(!printed.contains("secret-key-1"), "{printed}");
    let _ = WS;
}
