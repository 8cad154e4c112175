//! The HTTP server: the routes of every role the process plays, and what every answer gets (a
//! request id, a log line).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use axum::Extension;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tracing::Instrument;

use crate::answer;
use crate::auth::Credentials;
use crate::config::{Config, ConfigError};
use crate::ids::RequestIds;
use crate::import::{self, store::Store};
use crate::ingest::{self, ratelimit::RateLimiter, registry::Registry, sink::Sink};
use crate::log::jetstream::Broker;
use crate::metrics::Metrics;

/// What the handlers share.
pub(crate) struct AppState {
    pub registry: Registry,
    pub credentials: Credentials,
    pub limiter: RateLimiter,
    /// Where accepted requests go; `None` in a process that does not ingest (an importer).
    pub sink: Option<Sink>,
    /// The store the look-ups read; `None` in a broker-mode gateway (the importer has it).
    pub store: Option<Arc<dyn Store>>,
    /// The broker connection, whose state `/healthz` reports.
    pub broker: Option<Broker>,
    pub ids: RequestIds,
    pub metrics: Arc<Metrics>,
    pub max_body_bytes: usize,
    pub body_timeout: std::time::Duration,
    pub body_pointers: BTreeMap<String, String>,
    /// Delivery, when a workspace has a destination.
    pub delivery: Option<Arc<crate::delivery::Shared>>,
    /// Verification of signed partners' webhooks.
    pub signatures: crate::ingest::signature::Signatures,
    /// The token the ops endpoints require, if any.
    pub ops_token: crate::ops::OpsToken,
}

impl AppState {
    /// The state of a process with the given parts. Fails when a secret or token the config
    /// names cannot be read.
    pub(crate) fn new(
        config: &Config,
        registry: Registry,
        sink: Option<Sink>,
        store: Option<Arc<dyn Store>>,
        broker: Option<Broker>,
        delivery: Option<Arc<crate::delivery::Shared>>,
        metrics: Arc<Metrics>,
    ) -> Result<AppState, ConfigError> {
        let var = |name: &str| std::env::var(name).ok();
        let workspaces: Vec<&str> = config.workspaces.iter().map(|w| w.id.as_str()).collect();
        let signatures = crate::ingest::signature::Signatures::new(&config.signed, &workspaces, &var)?;
        let ops_token = crate::ops::OpsToken::from_config(&config.ops, &var)?;
        Ok(AppState {
            registry,
            credentials: Credentials::new(&config.workspaces),
            limiter: RateLimiter::new(config, Instant::now()),
            sink,
            store,
            broker,
            ids: RequestIds::default(),
            metrics,
            max_body_bytes: config.max_body_bytes,
            body_timeout: std::time::Duration::from_secs(config.body_timeout_seconds),
            body_pointers: config.idempotency.body_pointers.clone(),
            delivery,
            signatures,
            ops_token,
        })
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("registry", &self.registry).finish_non_exhaustive()
    }
}

/// The request id given to the current request, set by [`request_context`].
#[derive(Clone, Debug)]
pub(crate) struct RequestId(pub(crate) Arc<str>);

pub(crate) type App = State<Arc<AppState>>;

/// Which routes a listener serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Part {
    /// Everything (one listener).
    All,
    /// The webhook endpoints (when the ops endpoints have a listener of their own).
    Ingest,
    /// The ops endpoints: `/metrics` and the look-ups.
    Ops,
}

/// The gateway's routes.
pub(crate) fn router(state: Arc<AppState>) -> Router {
    router_of(state, Part::All)
}

/// The routes of `part`; `/healthz` is on every listener. A process without a sink (an
/// importer) serves no webhook endpoint.
pub(crate) fn router_of(state: Arc<AppState>, part: Part) -> Router {
    let mut ingest = Router::new();
    if state.sink.is_some() {
        ingest = ingest
            // With and without the trailing slash: the documented URL has it, clients often
            // drop it.
            .route("/v1/partner/{partner}/{mapping_type}", post(ingest::handler::ingest))
            .route("/v1/partner/{partner}/{mapping_type}/", post(ingest::handler::ingest));
    }
    let ops = Router::new()
        .route("/v1/requests/{request_id}", get(import::lookup::get_request))
        .route("/v1/customers/{customer_id}", get(import::lookup::get_customer))
        .route("/v1/dead", get(crate::delivery::http::list_dead))
        .route("/v1/dead/{id}/retry", post(crate::delivery::http::retry_dead))
        .route("/metrics", get(metrics))
        .route_layer(middleware::from_fn_with_state(state.ops_token.clone(), crate::ops::require_token));
    let routes = match part {
        Part::All => ingest.merge(ops),
        Part::Ingest => ingest,
        Part::Ops => ops,
    };
    routes
        .route("/healthz", get(healthz))
        .fallback(fallback)
        .layer(middleware::from_fn_with_state(state.clone(), request_context))
        .with_state(state)
}

/// Gives every request an id, logs it in a span, and puts the id on every answer, including
/// the ones axum makes itself (405).
async fn request_context(State(app): App, mut request: Request, next: Next) -> Response {
    let id: Arc<str> = app.ids.next().into();
    request.extensions_mut().insert(RequestId(id.clone()));
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let span = tracing::info_span!("request", request_id = %id);
    let started = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    if !response.headers().contains_key(answer::REQUEST_ID_HEADER) {
        answer::set_request_id(&mut response, &id);
    }
    span.in_scope(|| {
        tracing::info!(
            %method,
            path,
            status = response.status().as_u16(),
            micros = started.elapsed().as_micros() as u64,
            "answered"
        )
    });
    response
}

/// 200 when the process can do its work; 503 while the broker is out of reach (a load
/// balancer then sends webhooks to another gateway).
async fn healthz(State(app): App) -> Response {
    let connected = app.broker.as_ref().is_none_or(Broker::connected);
    let ready = connected && app.sink.as_ref().is_none_or(Sink::ready);
    if ready {
        answer::json(StatusCode::OK, &serde_json::json!({"status": "ok"}))
    } else {
        answer::json(
            StatusCode::SERVICE_UNAVAILABLE,
            &serde_json::json!({"status": "unavailable", "reason": "not connected to the broker"}),
        )
    }
}

async fn metrics(State(app): App) -> Response {
    let mut text = app.metrics.render();
    if let Some(delivery) = &app.delivery {
        delivery.render(&mut text);
    }
    let mut response = text.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    response
}

async fn fallback(Extension(RequestId(rid)): Extension<RequestId>) -> Response {
    answer::not_found(&rid, "No such endpoint")
}
