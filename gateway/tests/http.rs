//! The gateway over real HTTP on loopback, against a real SQLite file.

mod common;

use common::{KEY, KEY2, TestGateway, WS, WS2, auth, send};
use hookmap_gateway::auth::basic_header;
use hookmap_gateway::config::RateLimit;
use hyper::Method;
use serde_json::{Value, json};

fn event(customer: &str, name: &str, time: i64) -> String {
    json!({"customer_id": customer, "event": name, "time": time, "attr": {"n": time}}).to_string()
}

#[tokio::test]
async fn accepted_request_is_stored_and_answered_200() {
    let gw = TestGateway::start().await;
    let r = gw.post("events", "events_v1", &event("alice", "Order Placed", 1_704_067_200_000)).await;
    assert_eq!(r.status, 200);
    let body = r.json();
    let rid = body["request_id"].as_str().unwrap().to_owned();
    assert_eq!(
        body,
        json!({"request_id": rid, "name": "shop", "description": "Successfully submitted for processing"})
    );
    assert_eq!(r.request_id(), rid);

    // Without the trailing slash too.
    let path = "/v1/partner/shop/events?configName=events_v1";
    let r2 = send(gw.addr, Method::POST, path, &[("authorization", &auth())], event("alice", "Second", 2))
        .await
        .unwrap();
    assert_eq!(r2.status, 200);

    let info = gw.get(&format!("/v1/requests/{rid}")).await;
    assert_eq!(info.status, 200);
    let info = info.json();
    assert_eq!(info["status"], "imported");
    assert_eq!(info["records"], 1);
    assert_eq!(info["partner"], "shop");
    assert_eq!(info["config_name"], "events_v1");
    assert_eq!(info["mapping_type"], "events");
    assert_eq!(info["error"], Value::Null);

    let c = gw.customer("alice").await.json();
    let events = c["events"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["event_name"], "Second", "newest first");
    assert_eq!(events[1]["event_name"], "Order Placed");
    assert_eq!(events[1]["request_id"], rid.as_str());
    assert_eq!(events[1]["attr"], json!({"n": 1_704_067_200_000_i64}));
    assert_eq!(events[1]["user_time"], 1_704_067_200_000_i64);
    gw.stop().await;
}

#[tokio::test]
async fn batch_is_stored_whole() {
    let gw = TestGateway::start().await;
    let batch = json!({"batch": [
        {"customer_id": "b1", "event": "E", "time": 1},
        {"customer_id": "b2", "event": "E", "time": 2},
        {"customer_id": "b1", "event": "F", "time": 3},
    ]});
    let r = gw.post("events", "events_v1", &batch.to_string()).await;
    assert_eq!(r.status, 200);
    let info = gw.get(&format!("/v1/requests/{}", r.request_id())).await.json();
    assert_eq!(info["records"], 3);
    assert_eq!(gw.customer("b1").await.json()["events"].as_array().unwrap().len(), 2);
    assert_eq!(gw.customer("b2").await.json()["events"].as_array().unwrap().len(), 1);
    gw.stop().await;
}

#[tokio::test]
async fn malformed_json_is_400_invalid_payload() {
    let gw = TestGateway::start().await;
    let r = gw.post("events", "events_v1", "{\"customer_id\": ").await;
    assert_eq!(r.status, 400);
    let body = r.json();
    assert_eq!(body["error"]["code"], "e_9004");
    assert_eq!(body["error"]["target"], "payload_validation");
    assert_eq!(body["error"]["message"], "The provided payload is invalid");
    assert_eq!(body["error"]["details"][0]["message"], "The provided payload is invalid");
    assert_eq!(body["error"]["details"][0]["code"], "e_9004");
    // The refusal is recorded under the answer's request id.
    let info = gw.get(&format!("/v1/requests/{}", r.request_id())).await.json();
    assert_eq!(info["status"], "rejected");
    assert_eq!(info["records"], 0);
    assert_eq!(info["error"], body);
    gw.stop().await;
}

#[tokio::test]
async fn validation_error_is_400_and_imports_nothing() {
    let gw = TestGateway::start().await;
    // The second batch item lacks every id: the whole payload is refused.
    let batch = json!({"batch": [
        {"customer_id": "v1", "event": "E", "time": 1},
        {"event": "E", "time": 2},
    ]});
    let r = gw.post("events", "events_v1", &batch.to_string()).await;
    assert_eq!(r.status, 400);
    let body = r.json();
    assert_eq!(body["error"]["message"], "Required field 'customer_id' is missing in the payload");
    assert_eq!(body["error"]["details"][0]["field"], "customer_id");
    assert_eq!(body["error"]["details"][0]["index"], 1);
    assert_eq!(gw.customer("v1").await.status, 404, "nothing of a refused payload is imported");
    gw.stop().await;
}

#[tokio::test]
async fn a_write_the_store_refuses_is_undone_whole() {
    let gw = TestGateway::start().await;
    // `broken` maps to a valid event for the customer followed by one without any id.
    let r = gw.post("events", "broken", &event("partial", "E", 1)).await;
    assert_eq!(r.status, 500);
    assert_eq!(r.json()["status"], "fail");
    assert_eq!(gw.customer("partial").await.status, 404, "never a partial import");
    assert_eq!(gw.get(&format!("/v1/requests/{}", r.request_id())).await.status, 404);
    // The gateway goes on.
    assert_eq!(gw.post("events", "events_v1", &event("after", "E", 1)).await.status, 200);
    gw.stop().await;
}

#[tokio::test]
async fn a_panicking_mapper_costs_one_500() {
    let gw = TestGateway::start().await;
    let r = gw.post("events", "panics", "{}").await;
    assert_eq!(r.status, 500);
    assert_eq!(r.json()["error"]["request_id"], r.request_id());
    assert_eq!(gw.post("events", "events_v1", &event("ok", "E", 1)).await.status, 200);
    gw.stop().await;
}

fn assert_401(r: &common::Reply) {
    assert_eq!(r.status, 401);
    assert_eq!(
        r.json(),
        json!({"status": "fail", "error": {
            "message": "Invalid authorization format. Expected Basic authentication",
            "type": "Authentication required",
            "request_id": r.request_id(),
        }})
    );
    assert_eq!(r.header("www-authenticate"), Some("Basic realm=\"hookmap\""));
}

#[tokio::test]
async fn missing_or_wrong_credentials_are_401() {
    let gw = TestGateway::start().await;
    let path = "/v1/partner/shop/events/?configName=events_v1";
    let body = event("mallory", "E", 1);
    let wrong_key = basic_header(WS, "not-the-key");
    let other_key = basic_header(WS, KEY2);
    let unknown = basic_header("nobody", KEY);
    let cases: [&[(&str, &str)]; 5] = [
        &[],
        &[("authorization", &wrong_key)],
        &[("authorization", &other_key)],
        &[("authorization", &unknown)],
        &[("authorization", "Bearer abc")],
    ];
    for headers in cases {
        let r = send(gw.addr, Method::POST, path, headers, body.clone()).await.unwrap();
        assert_401(&r);
    }
    // The look-ups are behind the same auth.
    for path in ["/v1/requests/abc", "/v1/customers/mallory"] {
        assert_401(&send(gw.addr, Method::GET, path, &[], "").await.unwrap());
    }
    assert_eq!(gw.customer("mallory").await.status, 404, "nothing was stored");
    // The second workspace's own key works.
    let ws2 = basic_header(WS2, KEY2);
    let r = send(gw.addr, Method::POST, path, &[("authorization", &ws2)], body).await.unwrap();
    assert_eq!(r.status, 200);
    gw.stop().await;
}

#[tokio::test]
async fn unknown_partner_or_config_is_404() {
    let gw = TestGateway::start().await;
    let a = auth();
    let body = event("x", "E", 1);
    for (path, message) in [
        ("/v1/partner/nope/events/?configName=events_v1", "Unknown partner 'nope'"),
        ("/v1/partner/shop/events/?configName=nope", "Partner 'shop' has no events config named 'nope'"),
        // A users config asked for as events.
        (
            "/v1/partner/shop/events/?configName=users_v1",
            "Partner 'shop' has no events config named 'users_v1'",
        ),
        ("/v1/partner/shop/events/", "The configName query parameter is missing"),
        ("/v1/partner/shop/things/?configName=events_v1", "The URL must end in /events/ or /users/"),
        ("/v1/elsewhere", "No such endpoint"),
    ] {
        let r = send(gw.addr, Method::POST, path, &[("authorization", &a)], body.clone()).await.unwrap();
        assert_eq!(r.status, 404, "{path}");
        let json = r.json();
        assert_eq!(json["status"], "fail");
        assert_eq!(json["error"]["message"], message, "{path}");
        assert_eq!(json["error"]["request_id"], r.request_id());
    }
    gw.stop().await;
}

#[tokio::test]
async fn bodies_over_1_mb_are_413() {
    let gw = TestGateway::start().await;
    // Exactly the limit is fine (and refused by the mapper as not JSON, which shows it was read).
    let limit = 1024 * 1024;
    let at_limit = " ".repeat(limit - 2) + "{}";
    let r = gw.post("events", "events_v1", &at_limit).await;
    assert_eq!(r.status, 400, "{:?}", r.body);
    let over = "x".repeat(limit + 1);
    let r = gw.post("events", "events_v1", &over).await;
    assert_eq!(r.status, 413);
    let json = r.json();
    assert_eq!(json["error"]["type"], "Payload too large");
    assert_eq!(json["error"]["request_id"], r.request_id());
    gw.stop().await;
}

#[tokio::test]
async fn streamed_body_over_the_limit_is_413() {
    // No Content-Length (chunked): the limit is enforced while reading.
    let mut config = common::config();
    config.max_body_bytes = 100;
    let gw = TestGateway::with_config(config).await;
    let stream = tokio::net::TcpStream::connect(gw.addr).await.unwrap();
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await.unwrap();
    tokio::spawn(conn);
    let request = hyper::Request::post("/v1/partner/shop/events/?configName=events_v1")
        .header("host", "127.0.0.1")
        .header("authorization", auth())
        .body(Chunks(10))
        .unwrap();
    let exchange = tokio::time::timeout(common::client::TIMEOUT, sender.send_request(request));
    let response = exchange.await.unwrap().unwrap();
    assert_eq!(response.status(), 413);
    assert!(response.headers().contains_key("x-request-id"));
    gw.stop().await;
}

/// A body of `n` chunks of 50 bytes, without a known length.
struct Chunks(usize);

impl hyper::body::Body for Chunks {
    type Data = hyper::body::Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        if self.0 == 0 {
            return std::task::Poll::Ready(None);
        }
        self.0 -= 1;
        std::task::Poll::Ready(Some(Ok(hyper::body::Frame::data(hyper::body::Bytes::from(vec![b' '; 50])))))
    }
}

#[tokio::test]
async fn over_the_rate_is_429_with_retry_after() {
    let mut config = common::config();
    // Two at once, then one every 1000 s: the third request is refused, deterministically.
    config.workspaces[0].rate_limit = Some(RateLimit { per_second: 0.001, burst: Some(2.0) });
    let gw = TestGateway::with_config(config).await;
    for i in 0..2 {
        assert_eq!(gw.post("events", "events_v1", &event("r", "E", i)).await.status, 200);
    }
    let r = gw.post("events", "events_v1", &event("r", "E", 3)).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("1000"));
    let json = r.json();
    assert_eq!(json["status"], "fail");
    assert_eq!(json["error"]["type"], "Too many requests");
    assert_eq!(json["error"]["request_id"], r.request_id());
    assert_eq!(gw.customer("r").await.json()["events"].as_array().unwrap().len(), 2);
    // Another workspace has its own bucket.
    let ws2 = basic_header(WS2, KEY2);
    let path = "/v1/partner/shop/events/?configName=events_v1";
    let r = send(gw.addr, Method::POST, path, &[("authorization", &ws2)], event("r", "E", 4)).await.unwrap();
    assert_eq!(r.status, 200);
    gw.stop().await;
}

#[tokio::test]
async fn repeated_idempotency_key_answers_the_first_request_id() {
    let gw = TestGateway::start().await;
    let key = [("idempotency-key", "order-42")];
    let first = gw.post_with("events", "events_v1", &event("idem", "E", 1), &key).await;
    assert_eq!(first.status, 200);
    let rid = first.json()["request_id"].as_str().unwrap().to_owned();
    assert_eq!(first.header("idempotent-replayed"), None);
    for _ in 0..2 {
        // Even with a different body: the key decides.
        let again = gw.post_with("events", "events_v1", &event("idem", "Other", 2), &key).await;
        assert_eq!(again.status, 200);
        assert_eq!(again.json()["request_id"], rid.as_str());
        assert_eq!(again.request_id(), rid);
        assert_eq!(again.header("idempotent-replayed"), Some("true"));
    }
    // Even a payload that would be refused.
    let again = gw.post_with("events", "events_v1", "not json", &key).await;
    assert_eq!((again.status, again.request_id()), (200, rid.as_str()));
    assert_eq!(gw.customer("idem").await.json()["events"].as_array().unwrap().len(), 1);

    // Keys are scoped per workspace + partner + config.
    let ws2 = basic_header(WS2, KEY2);
    let path = "/v1/partner/shop/events/?configName=events_v1";
    let other = send(gw.addr, Method::POST, path, &[("authorization", &ws2), key[0]], event("idem", "E", 1))
        .await
        .unwrap();
    assert_eq!(other.status, 200);
    assert_ne!(other.request_id(), rid);
    let users = gw.post_with("users", "users_v1", &json!({"customer_id": "idem"}).to_string(), &key).await;
    assert_eq!(users.status, 200);
    assert_ne!(users.request_id(), rid);
    gw.stop().await;
}

#[tokio::test]
async fn a_refused_payload_does_not_claim_its_key() {
    let gw = TestGateway::start().await;
    let key = [("idempotency-key", "retry-me")];
    let bad = gw.post_with("events", "events_v1", "{", &key).await;
    assert_eq!(bad.status, 400);
    let good = gw.post_with("events", "events_v1", &event("fixed", "E", 1), &key).await;
    assert_eq!(good.status, 200);
    assert_ne!(good.request_id(), bad.request_id());
    assert_eq!(gw.customer("fixed").await.json()["events"].as_array().unwrap().len(), 1);
    gw.stop().await;
}

#[tokio::test]
async fn idempotency_key_from_a_body_field() {
    let gw = TestGateway::start().await;
    // The test config names `/event_id` as the key of config `users_v1`.
    let body = json!({"customer_id": "bk", "event_id": "evt-1", "attributes": {"a": 1}}).to_string();
    let first = gw.post("users", "users_v1", &body).await;
    let second = gw.post("users", "users_v1", &body).await;
    assert_eq!(first.status, 200);
    assert_eq!(second.json()["request_id"], first.request_id());
    let other = json!({"customer_id": "bk", "event_id": "evt-2"}).to_string();
    assert_ne!(gw.post("users", "users_v1", &other).await.request_id(), first.request_id());
    gw.stop().await;
}

#[tokio::test]
async fn keys_older_than_the_window_are_forgotten() {
    let mut config = common::config();
    config.idempotency.window_seconds = 0;
    let gw = TestGateway::with_config(config).await;
    let key = [("idempotency-key", "k")];
    let first = gw.post_with("events", "events_v1", &event("w", "E", 1), &key).await;
    let second = gw.post_with("events", "events_v1", &event("w", "E", 2), &key).await;
    assert_eq!((first.status, second.status), (200, 200));
    assert_ne!(first.request_id(), second.request_id());
    assert_eq!(gw.customer("w").await.json()["events"].as_array().unwrap().len(), 2);
    gw.stop().await;
}

#[tokio::test]
async fn bad_idempotency_key_is_400() {
    let gw = TestGateway::start().await;
    let long = "k".repeat(300);
    let r = gw.post_with("events", "events_v1", &event("k", "E", 1), &[("idempotency-key", &long)]).await;
    assert_eq!(r.status, 400);
    // The webhook API's 400 form, like any other refused webhook; the id is in the header.
    assert_eq!(r.json()["error"]["code"], "e_9004");
    assert_eq!(r.json()["error"]["target"], "payload_validation");
    assert!(r.header("x-request-id").is_some());
    gw.stop().await;
}

#[tokio::test]
async fn request_lookup_is_per_workspace() {
    let gw = TestGateway::start().await;
    let r = gw.post("events", "events_v1", &event("lk", "E", 1)).await;
    let path = format!("/v1/requests/{}", r.request_id());
    assert_eq!(gw.get(&path).await.status, 200);
    let ws2 = basic_header(WS2, KEY2);
    let other = send(gw.addr, Method::GET, &path, &[("authorization", &ws2)], "").await.unwrap();
    assert_eq!(other.status, 404);
    assert_eq!(gw.get("/v1/requests/doesnotexist").await.status, 404);
    gw.stop().await;
}

#[tokio::test]
async fn customer_lookup_shows_attributes_and_latest_events() {
    let gw = TestGateway::start().await;
    for t in 1..=5 {
        let body = format!(
            r#"{{"customer_id": "cu", "event": "E{t}", "time": {t},
                "user": {{"u_em": "cu@example.com", "visits": {t}, "big": 98765432109876543210}}}}"#
        );
        assert_eq!(gw.post("events", "events_v1", &body).await.status, 200);
    }
    let c = gw.get("/v1/customers/cu?events=2").await;
    assert_eq!(c.status, 200);
    let text = String::from_utf8_lossy(&c.body).into_owned();
    assert!(text.contains("98765432109876543210"), "numbers are kept exactly: {text}");
    let c = c.json();
    assert_eq!(c["customer_id"], "cu");
    assert_eq!(c["attributes"]["u_em"], "cu@example.com");
    assert_eq!(c["attributes"]["visits"], 5);
    let names: Vec<_> = c["events"].as_array().unwrap().iter().map(|e| e["event_name"].clone()).collect();
    assert_eq!(names, [json!("E5"), json!("E4")]);
    assert_eq!(gw.customer("nobody").await.status, 404);
    // Another workspace does not see it.
    let ws2 = basic_header(WS2, KEY2);
    let other = send(gw.addr, Method::GET, "/v1/customers/cu", &[("authorization", &ws2)], "").await.unwrap();
    assert_eq!(other.status, 404);
    gw.stop().await;
}

#[tokio::test]
async fn anonymous_history_merges_into_the_identified_profile() {
    let gw = TestGateway::start().await;
    let anon = |name: &str, t: i64, user: Value| {
        json!({"anon_id": "anon_abc", "event": name, "time": t, "user": user}).to_string()
    };
    assert_eq!(
        gw.post("events", "events_v1", &anon("Viewed", 1, json!({"color": "red", "lang": "en"})))
            .await
            .status,
        200
    );
    assert_eq!(gw.post("events", "events_v1", &anon("Carted", 2, json!({}))).await.status, 200);
    // The identified user already has a language of their own.
    let known = json!({"customer_id": "u1", "event": "Signed Up", "time": 0, "user": {"lang": "de"}});
    assert_eq!(gw.post("events", "events_v1", &known.to_string()).await.status, 200);

    // Login: both ids on one event.
    let login = json!({"customer_id": "u1", "anon_id": "anon_abc", "event": "Logged In", "time": 3});
    assert_eq!(gw.post("events", "events_v1", &login.to_string()).await.status, 200);
    // A later anonymous event lands on the identified profile.
    assert_eq!(gw.post("events", "events_v1", &anon("Paid", 4, json!({"tier": "gold"}))).await.status, 200);

    let c = gw.customer("u1").await.json();
    let names: Vec<_> = c["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["Paid", "Logged In", "Signed Up", "Carted", "Viewed"]);
    assert_eq!(c["anon_ids"], json!(["anon_abc"]));
    assert_eq!(c["attributes"], json!({"color": "red", "lang": "de", "tier": "gold"}));
    // The anonymous events keep what was sent.
    assert_eq!(c["events"][4]["anon_id"], "anon_abc");
    assert!(c["events"][4].get("customer_id").is_none());
    gw.stop().await;
}

#[tokio::test]
async fn update_existing_only_skips_unknown_profiles() {
    let gw = TestGateway::start().await;
    let update = json!({"customer_id": "ueo", "update_existing_only": true, "attributes": {"plan": "pro"}})
        .to_string();
    let r = gw.post("users", "users_v1", &update).await;
    assert_eq!(r.status, 200);
    assert_eq!(gw.customer("ueo").await.status, 404, "no profile was created");
    let info = gw.get(&format!("/v1/requests/{}", r.request_id())).await.json();
    assert_eq!((info["records"].clone(), info["skipped"].clone()), (json!(1), json!(1)));

    let create = json!({"customer_id": "ueo", "attributes": {"plan": "free"}}).to_string();
    assert_eq!(gw.post("users", "users_v1", &create).await.status, 200);
    assert_eq!(gw.post("users", "users_v1", &update).await.status, 200);
    assert_eq!(gw.customer("ueo").await.json()["attributes"], json!({"plan": "pro"}));
    gw.stop().await;
}

#[tokio::test]
async fn an_older_user_time_never_overwrites_a_newer_one() {
    let gw = TestGateway::start().await;
    let update = |t: i64, attributes: Value| {
        json!({"customer_id": "ut", "user_time": t, "attributes": attributes}).to_string()
    };
    assert_eq!(gw.post("users", "users_v1", &update(200, json!({"plan": "gold"}))).await.status, 200);
    // Older: its plan loses, but it still sets what the newer update did not touch.
    assert_eq!(
        gw.post("users", "users_v1", &update(100, json!({"plan": "silver", "city": "Pune"}))).await.status,
        200
    );
    assert_eq!(gw.customer("ut").await.json()["attributes"], json!({"plan": "gold", "city": "Pune"}));
    // Newer wins.
    assert_eq!(gw.post("users", "users_v1", &update(300, json!({"plan": "platinum"}))).await.status, 200);
    // Older than that again: ignored.
    assert_eq!(gw.post("users", "users_v1", &update(250, json!({"plan": "bronze"}))).await.status, 200);
    assert_eq!(gw.customer("ut").await.json()["attributes"], json!({"plan": "platinum", "city": "Pune"}));
    gw.stop().await;
}

#[tokio::test]
async fn concurrent_requests_are_all_stored() {
    let gw = TestGateway::start().await;
    let addr = gw.addr;
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            tokio::spawn(async move {
                let body = json!({"customer_id": format!("cc{}", i % 10), "event": "E", "time": i});
                let path = "/v1/partner/shop/events/?configName=events_v1";
                send(addr, Method::POST, path, &[("authorization", &auth())], body.to_string())
                    .await
                    .unwrap()
                    .status
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    for c in 0..10 {
        let view = gw.get(&format!("/v1/customers/cc{c}?events=100")).await.json();
        assert_eq!(view["events"].as_array().unwrap().len(), 20);
    }
    gw.stop().await;
}

#[tokio::test]
async fn healthz_metrics_and_request_ids() {
    let gw = TestGateway::start().await;
    gw.post("events", "events_v1", &event("m", "E", 1)).await;
    gw.post("events", "events_v1", "{").await;
    send(gw.addr, Method::POST, "/v1/partner/shop/events/?configName=events_v1", &[], "").await.unwrap();

    let h = send(gw.addr, Method::GET, "/healthz", &[], "").await.unwrap();
    assert_eq!(h.status, 200);
    assert!(!h.request_id().is_empty());
    let m = send(gw.addr, Method::GET, "/metrics", &[], "").await.unwrap();
    assert_eq!(m.status, 200);
    assert!(m.header("content-type").unwrap().starts_with("text/plain"));
    let text = String::from_utf8_lossy(&m.body);
    for line in [
        "hookmap_requests_total{outcome=\"accepted\"} 1",
        "hookmap_requests_total{outcome=\"invalid\"} 1",
        "hookmap_requests_total{outcome=\"unauthorized\"} 1",
        "hookmap_records_imported_total 1",
        "hookmap_request_duration_seconds_count 3",
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line:?} in\n{text}");
    }
    // Even axum's own answers (405 here) carry a request id.
    let r = send(gw.addr, Method::GET, "/v1/partner/shop/events/", &[], "").await.unwrap();
    assert_eq!(r.status, 405);
    assert!(!r.request_id().is_empty());
    gw.stop().await;
}

#[tokio::test]
async fn records_survive_a_restart() {
    let gw = TestGateway::start().await;
    let r = gw.post("events", "events_v1", &event("persist", "E", 1)).await;
    assert_eq!(r.status, 200);
    let db = gw.dir.path().join("gateway.db");
    let _ = KEY;
    // Reopen the same file with a new store while the first is still open (as a second
    // reader would): the commit is visible, it was not only in memory.
    let store = hookmap_gateway::SqliteStore::open(&db, std::time::Duration::from_secs(1)).unwrap();
    use hookmap_gateway::Store;
    let view = store.customer(WS, "persist", 10).unwrap().expect("stored");
    assert_eq!(view.events.len(), 1);
    gw.stop().await;
}

#[tokio::test]
async fn many_attributes_in_one_update() {
    let gw = TestGateway::start().await;
    // More than one statement's worth (the store upserts attributes in chunks of 16).
    let attributes: serde_json::Map<String, Value> =
        (0..40).map(|i| (format!("a{i:02}"), json!(i))).collect();
    let body = json!({"customer_id": "many", "user_time": 5, "attributes": attributes}).to_string();
    assert_eq!(gw.post("users", "users_v1", &body).await.status, 200);
    let older =
        json!({"customer_id": "many", "user_time": 4, "attributes": {"a00": "old", "a39": "old", "b": 1}});
    assert_eq!(gw.post("users", "users_v1", &older.to_string()).await.status, 200);
    let stored = gw.customer("many").await.json()["attributes"].clone();
    let mut expected = attributes;
    expected.insert("b".into(), json!(1));
    assert_eq!(stored, Value::Object(expected));
    gw.stop().await;
}

#[tokio::test]
async fn a_body_that_stalls_gets_408_and_shutdown_is_not_held() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut config = common::config();
    config.body_timeout_seconds = 1;
    let gw = TestGateway::with_config(config).await;
    let mut stream = tokio::net::TcpStream::connect(gw.addr).await.expect("connect");
    let head = format!(
        "POST /v1/partner/shop/events/?configName=events_v1 HTTP/1.1\r\nhost: gw\r\nauthorization: {}\r\n\
         content-type: application/json\r\ncontent-length: 100\r\n\r\n{{\"email\"",
        common::auth()
    );
    stream.write_all(head.as_bytes()).await.expect("write");
    // The rest of the body never comes.
    let mut answer = Vec::new();
    tokio::time::timeout(common::client::TIMEOUT, stream.read_to_end(&mut answer))
        .await
        .expect("the gateway answers instead of waiting forever")
        .expect("read");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("x-request-id"), "{answer}");
    gw.stop().await;
}
