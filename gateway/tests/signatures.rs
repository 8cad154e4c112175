//! Signed webhooks over real HTTP: each scheme with signatures computed here the way its vendor
//! documents them (HMAC-SHA256 from the RustCrypto crates, independently of the gateway's code),
//! plus wrong secrets, tampered bodies, old timestamps and rotated secrets.

mod common;

use base64::Engine as _;
use common::{TestGateway, WS, auth, send};
use hmac::{Hmac, Mac};
use hookmap_gateway::ingest::signature::{Signatures, SignedConfig};
use hyper::Method;
use serde_json::{Value, json};
use sha2::Sha256;

const PATH: &str = "/v1/partner/shop/events/?configName=events_v1";
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn hmac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

fn event(customer: &str) -> String {
    json!({"customer_id": customer, "event": "Paid", "time": 1_704_067_200_000_i64}).to_string()
}

/// A gateway whose `shop/events_v1` is signed with `scheme` and `secrets` (written to files).
struct Signed {
    gw: TestGateway,
    _secrets: tempfile::TempDir,
}

async fn signed(scheme: Value, secrets: &[&str], extra: Value) -> Signed {
    let dir = tempfile::tempdir().unwrap();
    let sources: Vec<Value> = secrets
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let path = dir.path().join(format!("secret{i}"));
            std::fs::write(&path, format!("{s}\n")).unwrap();
            json!({"file": path})
        })
        .collect();
    let mut entry = json!({"partner": "shop", "config_name": "events_v1", "workspace": WS,
        "scheme": scheme, "secrets": sources});
    if let (Some(entry), Some(extra)) = (entry.as_object_mut(), extra.as_object()) {
        entry.extend(extra.clone());
    }
    let mut config = common::config();
    config.signed = vec![serde_json::from_value(entry).unwrap()];
    Signed { gw: TestGateway::with_config(config).await, _secrets: dir }
}

impl Signed {
    async fn post(&self, headers: &[(&str, &str)], body: &str) -> common::Reply {
        let mut all = vec![("content-type", "application/json")];
        all.extend_from_slice(headers);
        send(self.gw.addr, Method::POST, PATH, &all, body.to_owned()).await.unwrap()
    }

    /// `hookmap_signature_failures_total{reason}`.
    async fn failures(&self, reason: &str) -> u64 {
        let text = String::from_utf8(self.gw.get("/metrics").await.body.to_vec()).unwrap();
        let prefix = format!("hookmap_signature_failures_total{{reason=\"{reason}\"}} ");
        text.lines().find_map(|l| l.strip_prefix(&prefix)).unwrap().parse().unwrap()
    }

    /// The request was stored in workspace WS1 (looked up with WS1's Basic credentials).
    async fn assert_stored(&self, reply: &common::Reply) {
        assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
        let info = self.gw.get(&format!("/v1/requests/{}", reply.request_id())).await;
        assert_eq!(info.status, 200);
        assert_eq!(info.json()["status"], "imported");
    }
}

/// The seed's 401, exactly as for a Basic failure.
fn assert_401(r: &common::Reply) {
    assert_eq!(r.status, 401, "{}", String::from_utf8_lossy(&r.body));
    let body = r.json();
    assert_eq!(body["status"], "fail");
    assert_eq!(body["error"]["message"], "Invalid authorization format. Expected Basic authentication");
    assert_eq!(body["error"]["type"], "Authentication required");
    assert_eq!(body["error"]["request_id"], r.request_id());
}

// ---- Standard Webhooks -------------------------------------------------------------------

const WHSEC: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// `v1,<base64 HMAC of "{id}.{timestamp}.{body}">` with the base64-decoded key after `whsec_`.
fn standard_signature(secret: &str, id: &str, ts: i64, body: &str) -> String {
    let key = B64.decode(secret.strip_prefix("whsec_").unwrap()).unwrap();
    let sig = hmac(&key, &[id.as_bytes(), b".", ts.to_string().as_bytes(), b".", body.as_bytes()]);
    format!("v1,{}", B64.encode(sig))
}

#[test]
fn standard_webhooks_helper_matches_the_spec_example() {
    // The example of the Standard Webhooks reference libraries' tests.
    assert_eq!(
        standard_signature(WHSEC, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, r#"{"test": 2432232314}"#),
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    );
}

#[tokio::test]
async fn standard_webhooks_fixed_vector_passes_verification() {
    // The spec example is from 2021: a tolerance wide enough to reach it.
    let s =
        signed(json!({"type": "standard_webhooks"}), &[WHSEC], json!({"tolerance_seconds": 1_000_000_000}))
            .await;
    let headers = [
        ("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"),
        ("webhook-timestamp", "1614265330"),
        ("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
    ];
    // Verified, then refused by the mapper (the example body is not an event): 400, not 401.
    let r = s.post(&headers, r#"{"test": 2432232314}"#).await;
    assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["error"]["code"], "e_9004");
    for reason in ["missing_header", "bad_format", "mismatch", "stale_timestamp"] {
        assert_eq!(s.failures(reason).await, 0, "{reason}");
    }
    s.gw.stop().await;
}

#[tokio::test]
async fn standard_webhooks_accepts_good_and_refuses_bad_signatures() {
    let s = signed(json!({"type": "standard_webhooks"}), &[WHSEC], json!({})).await;
    let body = event("sw-1");
    let ts = now();
    let good = standard_signature(WHSEC, "msg_1", ts, &body);
    let ts_text = ts.to_string();
    // No Basic credentials at all: the signature is the authentication.
    let r = s
        .post(
            &[("webhook-id", "msg_1"), ("webhook-timestamp", &ts_text), ("webhook-signature", &good)],
            &body,
        )
        .await;
    s.assert_stored(&r).await;

    // Several signatures in the header (space separated): one matching is enough.
    let both = format!("v1,AAAA {good}");
    let r = s
        .post(
            &[("webhook-id", "msg_1"), ("webhook-timestamp", &ts_text), ("webhook-signature", &both)],
            &body,
        )
        .await;
    assert_eq!(r.status, 200);

    // Wrong secret.
    let other = standard_signature("whsec_c2VjcmV0LW90aGVyLWtleQ==", "msg_1", ts, &body);
    let r = s
        .post(
            &[("webhook-id", "msg_1"), ("webhook-timestamp", &ts_text), ("webhook-signature", &other)],
            &body,
        )
        .await;
    assert_401(&r);
    // Tampered body.
    let r = s
        .post(
            &[("webhook-id", "msg_1"), ("webhook-timestamp", &ts_text), ("webhook-signature", &good)],
            &event("sw-2"),
        )
        .await;
    assert_401(&r);
    // Tampered id.
    let r = s
        .post(
            &[("webhook-id", "msg_2"), ("webhook-timestamp", &ts_text), ("webhook-signature", &good)],
            &body,
        )
        .await;
    assert_401(&r);
    assert_eq!(s.failures("mismatch").await, 3);

    // Correctly signed, but 10 minutes old: a replay.
    let old = ts - 600;
    let sig = standard_signature(WHSEC, "msg_1", old, &body);
    let r = s
        .post(
            &[("webhook-id", "msg_1"), ("webhook-timestamp", &old.to_string()), ("webhook-signature", &sig)],
            &body,
        )
        .await;
    assert_401(&r);
    assert_eq!(s.failures("stale_timestamp").await, 1);

    // Missing headers; a bad timestamp; no v1 entry.
    assert_401(&s.post(&[("webhook-id", "msg_1"), ("webhook-timestamp", &ts_text)], &body).await);
    assert_401(&s.post(&[], &body).await);
    assert_eq!(s.failures("missing_header").await, 2);
    let r = s
        .post(
            &[("webhook-id", "msg_1"), ("webhook-timestamp", "yesterday"), ("webhook-signature", &good)],
            &body,
        )
        .await;
    assert_401(&r);
    let r = s
        .post(
            &[("webhook-id", "msg_1"), ("webhook-timestamp", &ts_text), ("webhook-signature", "v2,abc")],
            &body,
        )
        .await;
    assert_401(&r);
    assert_eq!(s.failures("bad_format").await, 2);

    // Basic credentials do not replace the signature of a signed partner.
    let auth = auth();
    assert_401(&s.post(&[("authorization", &auth)], &body).await);
    // Other configs of the partner still take Basic.
    let users = json!({"customer_id": "sw-1", "attributes": {"plan": "pro"}}).to_string();
    assert_eq!(s.gw.post("users", "users_v1", &users).await.status, 200);
    s.gw.stop().await;
}

#[tokio::test]
async fn standard_webhooks_rotation_accepts_both_secrets() {
    let new = "whsec_bmV3LXNlY3JldC1hZnRlci1yb3RhdGlvbg==";
    let s = signed(json!({"type": "standard_webhooks"}), &[new, WHSEC], json!({})).await;
    let ts = now();
    let ts_text = ts.to_string();
    for (i, secret) in [WHSEC, new].iter().enumerate() {
        let body = event(&format!("rot-{i}"));
        let sig = standard_signature(secret, "msg_r", ts, &body);
        let r = s
            .post(
                &[("webhook-id", "msg_r"), ("webhook-timestamp", &ts_text), ("webhook-signature", &sig)],
                &body,
            )
            .await;
        s.assert_stored(&r).await;
    }
    s.gw.stop().await;

    // Once the old one is removed from the config, it is refused.
    let s = signed(json!({"type": "standard_webhooks"}), &[new], json!({})).await;
    let body = event("rot-old");
    let sig = standard_signature(WHSEC, "msg_r", ts, &body);
    let r = s
        .post(&[("webhook-id", "msg_r"), ("webhook-timestamp", &ts_text), ("webhook-signature", &sig)], &body)
        .await;
    assert_401(&r);
    s.gw.stop().await;
}

// ---- Stripe ------------------------------------------------------------------------------

/// `t=<ts>,v1=<hex HMAC of "{t}.{body}">`, the endpoint secret used as the key as is.
fn stripe_v1(secret: &str, ts: i64, body: &str) -> String {
    hex(&hmac(secret.as_bytes(), &[ts.to_string().as_bytes(), b".", body.as_bytes()]))
}

#[tokio::test]
async fn stripe_signatures() {
    let (old_secret, new_secret) = ("whsec_stripe_old_0123456789", "whsec_stripe_new_9876543210");
    let s =
        signed(json!({"type": "stripe"}), &[old_secret, new_secret], json!({"tolerance_seconds": 300})).await;
    let body = event("st-1");
    let ts = now();
    // During a rotation Stripe sends one v1 per secret; either verifies.
    let header = format!(
        "t={ts},v1={},v1={},v0=deadbeef",
        stripe_v1(new_secret, ts, &body),
        stripe_v1("nope", ts, &body)
    );
    let r = s.post(&[("stripe-signature", &header)], &body).await;
    s.assert_stored(&r).await;
    let header = format!("t={ts},v1={}", stripe_v1(old_secret, ts, &body));
    s.assert_stored(&s.post(&[("Stripe-Signature", &header)], &body).await).await;

    // Wrong secret; tampered body; old timestamp; no t.
    let header = format!("t={ts},v1={}", stripe_v1("whsec_someone_else", ts, &body));
    assert_401(&s.post(&[("stripe-signature", &header)], &body).await);
    let header = format!("t={ts},v1={}", stripe_v1(new_secret, ts, &body));
    assert_401(&s.post(&[("stripe-signature", &header)], &event("st-2")).await);
    let old = ts - 301;
    let header = format!("t={old},v1={}", stripe_v1(new_secret, old, &body));
    assert_401(&s.post(&[("stripe-signature", &header)], &body).await);
    let header = format!("v1={}", stripe_v1(new_secret, ts, &body));
    assert_401(&s.post(&[("stripe-signature", &header)], &body).await);
    assert_eq!(s.failures("mismatch").await, 2);
    assert_eq!(s.failures("stale_timestamp").await, 1);
    assert_eq!(s.failures("bad_format").await, 1);
    s.gw.stop().await;
}

// ---- Shopify -----------------------------------------------------------------------------

#[tokio::test]
async fn shopify_signatures() {
    let secret = "shpss_0123456789abcdef";
    let s = signed(json!({"type": "shopify"}), &[secret], json!({})).await;
    let body = event("sh-1");
    let sig = B64.encode(hmac(secret.as_bytes(), &[body.as_bytes()]));
    s.assert_stored(&s.post(&[("X-Shopify-Hmac-Sha256", &sig)], &body).await).await;
    let wrong = B64.encode(hmac(b"shpss_other", &[body.as_bytes()]));
    assert_401(&s.post(&[("X-Shopify-Hmac-Sha256", &wrong)], &body).await);
    assert_401(&s.post(&[("X-Shopify-Hmac-Sha256", &sig)], &event("sh-2")).await);
    assert_401(&s.post(&[("X-Shopify-Hmac-Sha256", "not base64!")], &body).await);
    assert_401(&s.post(&[], &body).await);
    assert_eq!(s.failures("mismatch").await, 2);
    assert_eq!(s.failures("bad_format").await, 1);
    assert_eq!(s.failures("missing_header").await, 1);
    s.gw.stop().await;
}

// ---- GitHub ------------------------------------------------------------------------------

#[test]
fn github_helper_matches_the_docs_example() {
    // GitHub's "Validating webhook deliveries" example.
    assert_eq!(
        format!("sha256={}", hex(&hmac(b"It's a Secret to Everybody", &[b"Hello, World!"]))),
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    );
}

#[tokio::test]
async fn github_signatures() {
    let secret = "It's a Secret to Everybody";
    let s = signed(json!({"type": "github"}), &[secret], json!({})).await;
    // The docs' example delivery: verified, then refused by the mapper (not JSON): 400.
    let r = s
        .post(
            &[(
                "X-Hub-Signature-256",
                "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
            )],
            "Hello, World!",
        )
        .await;
    assert_eq!(r.status, 400);
    let body = event("gh-1");
    let sig = format!("sha256={}", hex(&hmac(secret.as_bytes(), &[body.as_bytes()])));
    s.assert_stored(&s.post(&[("X-Hub-Signature-256", &sig)], &body).await).await;
    assert_401(&s.post(&[("X-Hub-Signature-256", &sig)], &event("gh-2")).await);
    let wrong = format!("sha256={}", hex(&hmac(b"another secret", &[body.as_bytes()])));
    assert_401(&s.post(&[("X-Hub-Signature-256", &wrong)], &body).await);
    // The SHA-1 header alone is not accepted, nor a signature without its prefix.
    assert_401(&s.post(&[("X-Hub-Signature", "sha1=0000")], &body).await);
    let bare = hex(&hmac(secret.as_bytes(), &[body.as_bytes()]));
    assert_401(&s.post(&[("X-Hub-Signature-256", &bare)], &body).await);
    assert_eq!(s.failures("mismatch").await, 2);
    assert_eq!(s.failures("missing_header").await, 1);
    assert_eq!(s.failures("bad_format").await, 1);
    s.gw.stop().await;
}

// ---- Generic HMAC-SHA256 -----------------------------------------------------------------

#[tokio::test]
async fn generic_hmac_base64_with_prefix_and_timestamp() {
    let secret = "generic-secret";
    let scheme = json!({"type": "hmac_sha256", "header": "X-Signature", "encoding": "base64",
        "prefix": "hmac-sha256=", "timestamp_header": "X-Timestamp"});
    let s = signed(scheme, &[secret], json!({"tolerance_seconds": 60})).await;
    let body = event("gen-1");
    let sign = |ts: i64, body: &str| {
        format!(
            "hmac-sha256={}",
            B64.encode(hmac(secret.as_bytes(), &[ts.to_string().as_bytes(), b".", body.as_bytes()]))
        )
    };
    let ts = now();
    let r = s.post(&[("X-Signature", &sign(ts, &body)), ("X-Timestamp", &ts.to_string())], &body).await;
    s.assert_stored(&r).await;
    // The timestamp is signed: changing it breaks the signature.
    let r = s.post(&[("X-Signature", &sign(ts, &body)), ("X-Timestamp", &(ts + 1).to_string())], &body).await;
    assert_401(&r);
    let old = ts - 61;
    assert_401(
        &s.post(&[("X-Signature", &sign(old, &body)), ("X-Timestamp", &old.to_string())], &body).await,
    );
    assert_401(&s.post(&[("X-Signature", &sign(ts, &body))], &body).await);
    assert_eq!(s.failures("mismatch").await, 1);
    assert_eq!(s.failures("stale_timestamp").await, 1);
    assert_eq!(s.failures("missing_header").await, 1);
    s.gw.stop().await;
}

#[tokio::test]
async fn generic_hmac_hex_over_the_body() {
    let secret = "hex-secret";
    let scheme = json!({"type": "hmac_sha256", "header": "X-Partner-Sig", "encoding": "hex"});
    let s = signed(scheme, &[secret], json!({})).await;
    let body = event("gen-2");
    let sig = hex(&hmac(secret.as_bytes(), &[body.as_bytes()]));
    s.assert_stored(&s.post(&[("X-Partner-Sig", &sig)], &body).await).await;
    assert_401(&s.post(&[("X-Partner-Sig", &sig.to_uppercase())], &event("gen-3")).await);
    s.gw.stop().await;
}

// ---- Configuration -----------------------------------------------------------------------

#[test]
fn secrets_never_show_in_debug_and_bad_configs_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s");
    std::fs::write(&path, "super-secret-value\n").unwrap();
    let config = |v: Value| -> Vec<SignedConfig> { serde_json::from_value(v).unwrap() };
    let var = |name: &str| (name == "GH_SECRET").then(|| "env-secret-value".to_owned());
    let ok = config(json!([
        {"partner": "a", "workspace": "WS1", "scheme": {"type": "github"}, "secrets": [{"file": path}, {"env": "GH_SECRET"}]}
    ]));
    let signatures = Signatures::new(&ok, &["WS1"], &var).unwrap();
    let debug = format!("{signatures:?} {ok:?}");
    assert!(!debug.contains("super-secret-value") && !debug.contains("env-secret-value"), "{debug}");

    let refused = |v: Value| Signatures::new(&config(v), &["WS1"], &var).unwrap_err().to_string();
    let e = refused(
        json!([{"partner": "a", "workspace": "WS9", "scheme": {"type": "github"}, "secrets": [{"env": "GH_SECRET"}]}]),
    );
    assert!(e.contains("unknown workspace"), "{e}");
    let e = refused(
        json!([{"partner": "a", "workspace": "WS1", "scheme": {"type": "github"}, "secrets": [{"env": "UNSET"}]}]),
    );
    assert!(e.contains("UNSET is not set"), "{e}");
    let e = refused(
        json!([{"partner": "a", "workspace": "WS1", "scheme": {"type": "standard_webhooks"}, "secrets": [{"file": path}]}]),
    );
    assert!(e.contains("whsec_"), "{e}");
    assert!(!e.contains("super-secret-value"), "{e}");
    let e =
        refused(json!([{"partner": "a", "workspace": "WS1", "scheme": {"type": "github"}, "secrets": []}]));
    assert!(e.contains("no secrets"), "{e}");
}
