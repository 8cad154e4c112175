//! The gateway's request handling through its router, in process: any method, path, query,
//! headers and body get an HTTP answer with a documented status, never a panic.
//!
//! Input layout: first byte = method; then the request target up to `\n`; then `name: value`
//! header lines up to an empty line; the rest is the body. Half the inputs get valid
//! credentials, so the mapping and storing paths are reached too.
#![no_main]

use std::sync::{Arc, LazyLock};

use hookmap_gateway::config::{Config, RateLimit, WorkspaceConfig};
use hookmap_gateway::{Gateway, SqliteStore};
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;

struct Harness {
    runtime: tokio::runtime::Runtime,
    router: axum::Router,
    _dir: tempfile::TempDir,
}

static HARNESS: LazyLock<Harness> = LazyLock::new(|| {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = Config {
        workspaces: vec![WorkspaceConfig {
            id: "WS".into(),
            key: "key".into(),
            rate_limit: None,
            destination: None,
        }],
        rate_limit: RateLimit { per_second: 1e9, burst: None },
        ..Config::default()
    };
    config.idempotency.body_pointers.insert("seed_1_simple_form".into(), "/id".into());
    config.validate().expect("config");
    let store = SqliteStore::open(&dir.path().join("fuzz.db"), config.idempotency_window()).expect("store");
    let router = runtime.block_on(async {
        let gateway = Gateway::new(&config, hookmap_gateway::registry().expect("registry"), Arc::new(store))
            .expect("gateway");
        gateway.router()
    });
    Harness { runtime, router, _dir: dir }
});

const METHODS: [&str; 5] = ["POST", "GET", "PUT", "DELETE", "HEAD"];
/// `WS:key`, Basic.
const GOOD_AUTH: &str = "Basic V1M6a2V5";

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else { return };
    let method = METHODS[usize::from(first & 0x7f) % METHODS.len()];
    let (target, rest) = split_line(rest);
    let mut request =
        axum::http::Request::builder().method(method).uri(String::from_utf8_lossy(target).as_ref());
    let mut rest = rest;
    loop {
        let (line, after) = split_line(rest);
        rest = after;
        if line.is_empty() {
            break;
        }
        if let Some(colon) = line.iter().position(|&b| b == b':') {
            request = request.header(&line[..colon], line[colon + 1..].trim_ascii());
        }
    }
    if first & 0x80 != 0 {
        request = request.header("authorization", GOOD_AUTH);
    }
    // Malformed targets or headers are refused by the HTTP parser before a router sees them.
    let Ok(request) = request.body(axum::body::Body::from(rest.to_vec())) else { return };
    let harness = &*HARNESS;
    let response = harness.runtime.block_on(harness.router.clone().oneshot(request)).expect("infallible");
    let status = response.status().as_u16();
    assert!(
        matches!(status, 200 | 202 | 400 | 401 | 404 | 405 | 408 | 409 | 413 | 429 | 503),
        "undocumented status {status}"
    );
});

fn split_line(bytes: &[u8]) -> (&[u8], &[u8]) {
    match bytes.iter().position(|&b| b == b'\n') {
        Some(i) => (&bytes[..i], &bytes[i + 1..]),
        None => (bytes, &[]),
    }
}
