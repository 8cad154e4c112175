//! Routes and handlers.
//!
//! An ingest request is checked in the order that costs the sender least to learn about and
//! the gateway least to find out: credentials (401), rate (429), partner and config (404),
//! size (413), payload (400); only then is anything written, and 200 is sent after the commit.

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Extension, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hookmap::{MapError, Mapper, MappingType, Record};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde::Deserialize;
use tracing::Instrument;

use crate::answer;
use crate::auth::Credentials;
use crate::idempotency;
use crate::ids::RequestIds;
use crate::metrics::{Metrics, Outcome};
use crate::ratelimit::RateLimiter;
use crate::registry::{Lookup, Registry};
use crate::store::{Store, Write, WriteContent, WriteOutcome};
use crate::writer::Writer;

/// Payloads up to this size are mapped on the request's own task; larger ones on the blocking
/// pool, so a 1 MB payload does not hold up the other connections of an async worker.
const INLINE_MAP_LIMIT: usize = 64 * 1024;

/// Events shown by `GET /v1/customers/{id}` unless `?events=` says otherwise, and the most.
const DEFAULT_EVENTS: usize = 20;
const MAX_EVENTS: usize = 1000;

/// What the handlers share.
pub(crate) struct AppState {
    pub registry: Registry,
    pub credentials: Credentials,
    pub limiter: RateLimiter,
    pub writer: Writer,
    pub store: Arc<dyn Store>,
    pub ids: RequestIds,
    pub metrics: Arc<Metrics>,
    pub max_body_bytes: usize,
    pub body_timeout: std::time::Duration,
    pub body_pointers: BTreeMap<String, String>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("registry", &self.registry).finish_non_exhaustive()
    }
}

/// The request id given to the current request, set by [`request_context`].
#[derive(Clone, Debug)]
struct RequestId(Arc<str>);

type App = State<Arc<AppState>>;

/// The gateway's routes.
pub(crate) fn router(state: Arc<AppState>) -> Router {
    Router::new()
        // With and without the trailing slash: the documented URL has it, clients often drop it.
        .route("/v1/partner/{partner}/{mapping_type}", post(ingest))
        .route("/v1/partner/{partner}/{mapping_type}/", post(ingest))
        .route("/v1/requests/{request_id}", get(get_request))
        .route("/v1/customers/{customer_id}", get(get_customer))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
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

#[derive(Deserialize)]
struct IngestQuery {
    #[serde(rename = "configName")]
    config_name: Option<String>,
}

async fn ingest(
    State(app): App,
    Extension(RequestId(rid)): Extension<RequestId>,
    path: Result<Path<(String, String)>, PathRejection>,
    query: Result<Query<IngestQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    let (outcome, response) = ingest_inner(&app, &rid, path, query, &headers, body).await;
    app.metrics.observe_request(outcome, started.elapsed());
    response
}

async fn ingest_inner(
    app: &AppState,
    rid: &str,
    path: Result<Path<(String, String)>, PathRejection>,
    query: Result<Query<IngestQuery>, QueryRejection>,
    headers: &HeaderMap,
    body: Body,
) -> (Outcome, Response) {
    // When the request arrived, not when its body was read and mapped: the idempotency window
    // and `received_at` are about the sender's request.
    let received_at_ms = crate::now_ms();
    let Some(workspace) = app.credentials.authenticate(headers.get(header::AUTHORIZATION)) else {
        return (Outcome::Unauthorized, answer::unauthorized(rid));
    };
    if let Err(limited) = app.limiter.check(&workspace, Instant::now()) {
        let response = answer::rate_limited(rid, limited.per_second, limited.retry_after_secs());
        return (Outcome::RateLimited, response);
    }

    let Ok(Path((partner, kind))) = path else {
        return (Outcome::NotFound, answer::not_found(rid, "No such partner"));
    };
    let mapping_type = match kind.as_str() {
        "events" => MappingType::Events,
        "users" => MappingType::Users,
        _ => return (Outcome::NotFound, answer::not_found(rid, "The URL must end in /events/ or /users/")),
    };
    let config_name = match query {
        Ok(Query(IngestQuery { config_name: Some(c) })) if !c.is_empty() => c,
        _ => return (Outcome::NotFound, answer::not_found(rid, "The configName query parameter is missing")),
    };
    let mapper = match app.registry.lookup(&partner, mapping_type, &config_name) {
        Lookup::Found(mapper) => mapper,
        Lookup::UnknownPartner => {
            return (Outcome::NotFound, answer::not_found(rid, &format!("Unknown partner '{partner}'")));
        }
        Lookup::UnknownConfig => {
            let message =
                format!("Partner '{partner}' has no {} config named '{config_name}'", mapping_type.as_str());
            return (Outcome::NotFound, answer::not_found(rid, &message));
        }
    };

    let body = match read_body(headers, body, app.max_body_bytes, app.body_timeout).await {
        Ok(body) => body,
        Err(BodyError::TimedOut) => return (Outcome::Invalid, answer::timed_out(rid, app.body_timeout)),
        Err(BodyError::TooLarge) => return (Outcome::TooLarge, answer::too_large(rid, app.max_body_bytes)),
        Err(BodyError::Broken) => {
            return (Outcome::Invalid, answer::invalid_webhook("The request body could not be read"));
        }
    };

    let pointer = app.body_pointers.get(&config_name).map(String::as_str);
    let idempotency_key = match idempotency::key(headers, &body, pointer) {
        Ok(key) => key,
        Err(idempotency::InvalidKey(message)) => {
            return (Outcome::Invalid, answer::invalid_webhook(message));
        }
    };

    let content = match map(mapper, body).await {
        Ok(Ok(records)) => WriteContent::Records(records),
        Ok(Err(error)) => match serde_json::to_string(&error) {
            Ok(json) => WriteContent::Rejected(json),
            Err(_) => return (Outcome::Error, answer::internal(rid)),
        },
        Err(MapperPanicked) => {
            tracing::error!(partner, config_name, "the mapper panicked");
            return (Outcome::Error, answer::internal(rid));
        }
    };
    let rejected_body = match &content {
        WriteContent::Rejected(json) => Some(json.clone().into_bytes()),
        WriteContent::Records(_) => None,
    };

    let write = Write {
        request_id: rid.to_owned(),
        workspace,
        partner: partner.clone(),
        mapping_type,
        config_name,
        received_at_ms,
        idempotency_key,
        content,
    };
    match app.writer.submit(write).await {
        Ok(WriteOutcome::Imported { records, skipped }) => {
            app.metrics.add_records(records - skipped);
            (Outcome::Accepted, answer::accepted(rid, &partner))
        }
        Ok(WriteOutcome::Duplicate { request_id }) => {
            tracing::info!(first_request_id = %request_id, "repeated idempotency key; nothing imported");
            let mut response = answer::accepted(&request_id, &partner);
            response.headers_mut().insert(answer::REPLAYED_HEADER, HeaderValue::from_static("true"));
            (Outcome::Duplicate, response)
        }
        Ok(WriteOutcome::Rejected) => {
            (Outcome::Invalid, answer::raw_json(StatusCode::BAD_REQUEST, rejected_body.unwrap_or_default()))
        }
        Err(e) => match rejected_body {
            // The refusal could not be recorded, but the answer is the same.
            Some(body) => {
                tracing::warn!(error = %e, "could not record a refused request");
                (Outcome::Invalid, answer::raw_json(StatusCode::BAD_REQUEST, body))
            }
            None => {
                tracing::error!(error = %e, "request not stored");
                (Outcome::Error, answer::internal(rid))
            }
        },
    }
}

enum BodyError {
    TooLarge,
    Broken,
    TimedOut,
}

/// Reads the body, refusing more than `limit` bytes: up front by `Content-Length`, and while
/// reading for a body sent without one.
async fn read_body(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    timeout: std::time::Duration,
) -> Result<axum::body::Bytes, BodyError> {
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooLarge);
    }
    match tokio::time::timeout(timeout, Limited::new(body, limit).collect()).await {
        Err(_) => Err(BodyError::TimedOut),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if e.is::<LengthLimitError>() => Err(BodyError::TooLarge),
        Ok(Err(_)) => Err(BodyError::Broken),
    }
}

struct MapperPanicked;

/// Runs the mapper and detaches its records from the body. A panicking mapper (a bug in
/// generated code) costs its request a 500, not the connection or the worker.
async fn map(
    mapper: &'static dyn Mapper,
    body: axum::body::Bytes,
) -> Result<Result<Vec<Record<'static>>, MapError>, MapperPanicked> {
    let inline = body.len() <= INLINE_MAP_LIMIT;
    let run = move || {
        std::panic::catch_unwind(AssertUnwindSafe(|| {
            mapper.map(&body).map(|records| records.into_iter().map(Record::into_owned).collect())
        }))
        .map_err(|_| MapperPanicked)
    };
    if inline { run() } else { tokio::task::spawn_blocking(run).await.unwrap_or(Err(MapperPanicked)) }
}

async fn get_request(
    State(app): App,
    Extension(RequestId(rid)): Extension<RequestId>,
    Path(request_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(workspace) = app.credentials.authenticate(headers.get(header::AUTHORIZATION)) else {
        return answer::unauthorized(&rid);
    };
    let store = app.store.clone();
    let id = request_id.clone();
    match tokio::task::spawn_blocking(move || store.request(&workspace, &id)).await {
        Ok(Ok(Some(info))) => answer::json(StatusCode::OK, &info),
        Ok(Ok(None)) => answer::not_found(&rid, &format!("No request '{request_id}'")),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "request look-up failed");
            answer::internal(&rid)
        }
        Err(_) => answer::internal(&rid),
    }
}

#[derive(Deserialize)]
struct CustomerQuery {
    events: Option<usize>,
}

async fn get_customer(
    State(app): App,
    Extension(RequestId(rid)): Extension<RequestId>,
    Path(customer_id): Path<String>,
    query: Result<Query<CustomerQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let Some(workspace) = app.credentials.authenticate(headers.get(header::AUTHORIZATION)) else {
        return answer::unauthorized(&rid);
    };
    let Ok(Query(CustomerQuery { events })) = query else {
        return answer::bad_request(&rid, "events must be a non-negative integer");
    };
    let events = events.unwrap_or(DEFAULT_EVENTS).min(MAX_EVENTS);
    let store = app.store.clone();
    let id = customer_id.clone();
    match tokio::task::spawn_blocking(move || store.customer(&workspace, &id, events)).await {
        Ok(Ok(Some(view))) => answer::json(StatusCode::OK, &view),
        Ok(Ok(None)) => answer::not_found(&rid, &format!("No customer '{customer_id}'")),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "customer look-up failed");
            answer::internal(&rid)
        }
        Err(_) => answer::internal(&rid),
    }
}

async fn healthz() -> Response {
    answer::json(StatusCode::OK, &serde_json::json!({"status": "ok"}))
}

async fn metrics(State(app): App) -> Response {
    let mut response = app.metrics.render().into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    response
}

async fn fallback(Extension(RequestId(rid)): Extension<RequestId>) -> Response {
    answer::not_found(&rid, "No such endpoint")
}
