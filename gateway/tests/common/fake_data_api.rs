//! A fake of MoEngage's Data API bulk endpoint on 127.0.0.1:0, for the delivery tests and the
//! delivery benchmark.
//!
//! It checks what the Data API checks (Basic auth with the workspace id and key, the JSON
//! content type, bodies up to 128 KB and bulk calls up to 100 KB, the element shapes and
//! values the documentation lists) and records every element it accepts. Like the real bulk
//! endpoint, it answers 200 even for elements it drops; those are recorded in `dropped`, which
//! the tests expect to stay empty. It can be told, per workspace, to answer with a status and
//! headers, stall, reset the connection, or process a call and drop the answer.

#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::sync::Notify;

/// What the fake does with one call.
#[derive(Clone, Debug)]
pub enum Behaviour {
    /// Checks and records it, answers 200.
    Accept,
    /// Answers this status with these headers, recording nothing.
    Status(u16, Vec<(&'static str, String)>),
    /// Waits this long, then answers 503, recording nothing.
    Stall(Duration),
    /// Closes the connection with a reset, recording nothing.
    Reset,
    /// Records the call as accepted, then closes the connection without answering.
    DropAnswer,
}

/// One call, as the fake saw it.
#[derive(Clone, Debug)]
pub struct CallLog {
    pub workspace: String,
    pub status: Option<u16>,
    pub elements: usize,
    pub bytes: usize,
}

#[derive(Default)]
struct Inner {
    keys: HashMap<String, String>,
    scripts: HashMap<String, VecDeque<Behaviour>>,
    defaults: HashMap<String, Behaviour>,
    latency: Duration,
    calls: Vec<CallLog>,
    accepted: Vec<(String, Value)>,
    bodies: Vec<(String, String)>,
    dropped: Vec<String>,
}

/// The fake. Stops when dropped.
pub struct FakeDataApi {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
    changed: Arc<Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeDataApi {
    fn drop(&mut self) {
        self.task.abort();
    }
}

// From the Data API's documentation, written out here rather than taken from hookmap-data-api:
// the fake checks the gateway's output, so it must not share the gateway's code.
const REFUSED_IDS: &[&str] = &[
    "unknown",
    "guest",
    "null",
    "0",
    "1",
    "2",
    "-1",
    "-2",
    "true",
    "false",
    "user_attribute_unique_id",
    "(empty)",
    "na",
    "n/a",
    "",
    "dummy_seller_code",
    "user_id",
    "id",
    "customer_id",
    "uid",
    "userid",
    "none",
];

impl FakeDataApi {
    /// A fake that knows `workspaces` (id, key).
    pub async fn start(workspaces: &[(&str, &str)]) -> FakeDataApi {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the fake Data API");
        let addr = listener.local_addr().expect("addr");
        let inner = Arc::new(Mutex::new(Inner {
            keys: workspaces.iter().map(|(w, k)| (w.to_string(), k.to_string())).collect(),
            ..Inner::default()
        }));
        let changed = Arc::new(Notify::new());
        let (i, c) = (inner.clone(), changed.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let _ = stream.set_nodelay(true);
                let (inner, changed) = (i.clone(), c.clone());
                tokio::spawn(async move {
                    let kill = Arc::new(Notify::new());
                    let k = kill.clone();
                    // The linger of 0 makes the close a reset (RST), not an orderly FIN.
                    #[allow(deprecated)]
                    let linger = |s: &tokio::net::TcpStream| s.set_linger(Some(Duration::ZERO));
                    let service = hyper::service::service_fn(move |req| {
                        handle(inner.clone(), changed.clone(), k.clone(), req)
                    });
                    let _ = linger(&stream);
                    let conn = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service);
                    tokio::select! {
                        _ = conn => {}
                        _ = kill.notified() => {}
                    }
                });
            }
        });
        FakeDataApi { addr, inner, changed, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The next calls of `workspace` get these behaviours, in order.
    pub fn script(&self, workspace: &str, behaviours: impl IntoIterator<Item = Behaviour>) {
        self.lock().scripts.entry(workspace.into()).or_default().extend(behaviours);
    }

    /// Calls of `workspace` beyond its script get this behaviour (`Accept` unless set).
    pub fn always(&self, workspace: &str, behaviour: Behaviour) {
        self.lock().defaults.insert(workspace.into(), behaviour);
    }

    /// Every call waits this long before it is handled.
    pub fn set_latency(&self, latency: Duration) {
        self.lock().latency = latency;
    }

    /// Elements accepted for `workspace`, in the order received.
    pub fn accepted(&self, workspace: &str) -> Vec<Value> {
        self.lock().accepted.iter().filter(|(w, _)| w == workspace).map(|(_, e)| e.clone()).collect()
    }

    /// The bodies of the calls it accepted, as received.
    pub fn bodies(&self, workspace: &str) -> Vec<String> {
        self.lock().bodies.iter().filter(|(w, _)| w == workspace).map(|(_, b)| b.clone()).collect()
    }

    pub fn accepted_count(&self) -> usize {
        self.lock().accepted.len()
    }

    /// Elements the real Data API would have dropped, with why.
    pub fn dropped(&self) -> Vec<String> {
        self.lock().dropped.clone()
    }

    pub fn calls(&self, workspace: &str) -> Vec<CallLog> {
        self.lock().calls.iter().filter(|c| c.workspace == workspace).cloned().collect()
    }

    /// Waits (up to `deadline`) until `done` holds for the accepted elements of `workspace`.
    pub async fn wait_for(
        &self,
        workspace: &str,
        deadline: Duration,
        done: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        let until = tokio::time::Instant::now() + deadline;
        loop {
            let notified = self.changed.notified();
            let accepted = self.accepted(workspace);
            if done(&accepted) {
                return accepted;
            }
            if tokio::time::timeout_at(until, notified).await.is_err() {
                let accepted = self.accepted(workspace);
                assert!(
                    done(&accepted),
                    "the fake Data API did not get what was expected in {deadline:?}; it has {} elements: {:#?}\ncalls: {:#?}",
                    accepted.len(),
                    accepted.iter().take(20).collect::<Vec<_>>(),
                    self.calls(workspace)
                );
                return accepted;
            }
        }
    }
}

fn reply(status: u16, body: &str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body.to_owned())));
    *r.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut().insert("content-type", hyper::header::HeaderValue::from_static("application/json"));
    r
}

fn fail(status: u16, kind: &str, message: &str) -> Response<Full<Bytes>> {
    let body = serde_json::json!({"status": "fail", "error": {"type": kind, "message": message, "request_id": "fake"}});
    reply(status, &body.to_string())
}

async fn handle(
    inner: Arc<Mutex<Inner>>,
    changed: Arc<Notify>,
    kill: Arc<Notify>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let lock = || inner.lock().unwrap_or_else(|e| e.into_inner());
    let latency = lock().latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let path = req.uri().path().to_owned();
    let Some(workspace) = path.strip_prefix("/v1/transition/").map(str::to_owned) else {
        return Ok(fail(404, "Not Found", "no such endpoint"));
    };
    let log = |status: Option<u16>, elements: usize, bytes: usize| {
        lock().calls.push(CallLog { workspace: workspace.clone(), status, elements, bytes });
        changed.notify_waiters();
    };
    // Basic auth: the workspace id and its key.
    let key = lock().keys.get(&workspace).cloned();
    let auth_ok = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok()?.strip_prefix("Basic ").map(str::to_owned))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .is_some_and(|pair| key.is_some_and(|k| pair == format!("{workspace}:{k}")));
    let content_type_ok = req.headers().get("content-type").and_then(|v| v.to_str().ok()).is_some_and(|v| {
        v.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
    });
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Ok(fail(400, "Bad Request", "body could not be read")),
    };
    let behaviour = {
        let mut inner = lock();
        let scripted = inner.scripts.get_mut(&workspace).and_then(VecDeque::pop_front);
        scripted.or_else(|| inner.defaults.get(&workspace).cloned()).unwrap_or(Behaviour::Accept)
    };
    match behaviour {
        Behaviour::Accept | Behaviour::DropAnswer => {}
        Behaviour::Status(status, headers) => {
            log(Some(status), 0, body.len());
            let mut r = fail(status, "Scripted", "scripted answer");
            for (name, value) in headers {
                if let Ok(v) = hyper::header::HeaderValue::from_str(&value) {
                    r.headers_mut().insert(name, v);
                }
            }
            return Ok(r);
        }
        Behaviour::Stall(d) => {
            tokio::time::sleep(d).await;
            log(Some(503), 0, body.len());
            return Ok(fail(503, "Unavailable", "stalled"));
        }
        Behaviour::Reset => {
            log(None, 0, body.len());
            kill.notify_one();
            std::future::pending::<()>().await;
        }
    }
    if !auth_ok {
        log(Some(401), 0, body.len());
        return Ok(fail(401, "Authentication required", "Invalid authorization"));
    }
    if !content_type_ok {
        log(Some(415), 0, body.len());
        return Ok(fail(415, "Unsupported Media Type", "Content-Type must be application/json"));
    }
    if body.len() > 128 * 1024 {
        log(Some(413), 0, body.len());
        return Ok(fail(413, "Payload Too Large", "body over 128 KB"));
    }
    if body.len() > 100 * 1000 {
        log(Some(400), 0, body.len());
        return Ok(fail(400, "Bad Request", "a bulk call carries at most 100 KB"));
    }
    let parsed: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(_) => {
            log(Some(400), 0, body.len());
            return Ok(fail(400, "Bad Request", "malformed JSON"));
        }
    };
    let (Some("transition"), Some(elements)) = (parsed["type"].as_str(), parsed["elements"].as_array())
    else {
        log(Some(400), 0, body.len());
        return Ok(fail(400, "Bad Request", "expected {\"type\":\"transition\",\"elements\":[...]}"));
    };
    {
        let mut inner = lock();
        inner.bodies.push((workspace.clone(), String::from_utf8_lossy(&body).into_owned()));
        for element in elements {
            match check_element(element) {
                Ok(()) => inner.accepted.push((workspace.clone(), element.clone())),
                Err(why) => inner.dropped.push(format!("{why}: {element}")),
            }
        }
    }
    log(Some(200), elements.len(), body.len());
    if let Behaviour::DropAnswer = behaviour {
        kill.notify_one();
        std::future::pending::<()>().await;
    }
    Ok(reply(
        200,
        r#"{"status":"success","message":"Your request has been accepted and will be processed soon.","request_id":"fake"}"#,
    ))
}

fn check_element(e: &Value) -> Result<(), String> {
    let id = e["customer_id"].as_str().ok_or("customer_id is not a string")?;
    if REFUSED_IDS.contains(&id.trim().to_lowercase().as_str()) {
        return Err(format!("customer_id {id:?} refused"));
    }
    let check_attributes = |a: &Value| -> Result<(), String> {
        let map = a.as_object().ok_or("attributes is not an object")?;
        for (k, v) in map {
            if k.starts_with("moe_") || k.chars().count() > 200 {
                return Err(format!("attribute name {k:?}"));
            }
            if v.as_str().is_some_and(|s| s.chars().count() > 512) {
                return Err(format!("attribute {k:?} longer than 512"));
            }
            if v.as_array().is_some_and(|a| a.len() > 50) {
                return Err(format!("attribute {k:?} has more than 50 items"));
            }
        }
        Ok(())
    };
    match e["type"].as_str() {
        Some("customer") => {
            check_attributes(&e["attributes"])?;
            if !e["update_existing_only"].is_null() && !e["update_existing_only"].is_boolean() {
                return Err("update_existing_only is not a boolean".into());
            }
            Ok(())
        }
        Some("event") => {
            let actions = e["actions"].as_array().ok_or("actions is not a list")?;
            if actions.is_empty() {
                return Err("no actions".into());
            }
            for a in actions {
                let name = a["action"].as_str().ok_or("action is not a string")?;
                if name.starts_with("moe_") || name.is_empty() || name.chars().count() > 200 {
                    return Err(format!("action name {name:?}"));
                }
                check_attributes(&a["attributes"])?;
                if a["attributes"].as_object().is_some_and(|m| m.len() > 100) {
                    return Err("more than 100 attributes".into());
                }
                let platform = a["platform"].as_str().unwrap_or("");
                if !["ANDROID", "iOS", "web", "TV", "unknown"].contains(&platform) {
                    return Err(format!("platform {platform:?}"));
                }
                for field in ["user_time", "current_time"] {
                    let t = a[field].as_str().ok_or(format!("{field} is not a string"))?;
                    if !(t.len() == 20 && t.ends_with('Z') && t.as_bytes()[10] == b'T') {
                        return Err(format!("{field} {t:?} is not ISO 8601 UTC"));
                    }
                }
                if a["user_time"].as_str() > a["current_time"].as_str() {
                    return Err("future-dated event".into());
                }
            }
            Ok(())
        }
        other => Err(format!("type {other:?}")),
    }
}
