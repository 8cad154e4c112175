//! The webhook endpoint: `POST /v1/partner/{partner}/{events|users}/?configName=…`.
//!
//! A request is checked in the order that costs the sender least to learn about and the
//! gateway least to find out: credentials (401), rate (429), partner and config (404), size
//! (413), payload (400); only then is anything appended to the log, and 200 is sent once the
//! log has it. A signed partner ([`super::signature`]) has no credentials to check up front:
//! its signature is checked once the body is read, and its rate after that.

use std::panic::AssertUnwindSafe;
use std::time::Instant;

use axum::body::Body;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use hookmap::{MapError, Mapper, MappingType, Record};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde::Deserialize;

use super::idempotency;
use super::registry::Lookup;
use super::sink::{Appended, SinkError};
use crate::answer;
use crate::log::{Content, Entry};
use crate::metrics::Outcome;
use crate::server::{App, AppState, RequestId};

/// Payloads up to this size are mapped on the request's own task; larger ones on the blocking
/// pool, so a 1 MB payload does not hold up the other connections of an async worker.
const INLINE_MAP_LIMIT: usize = 64 * 1024;

#[derive(Deserialize)]
pub(crate) struct IngestQuery {
    #[serde(rename = "configName")]
    config_name: Option<String>,
}

pub(crate) async fn ingest(
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
    // A signed partner's requests carry no Basic credentials: the config names their workspace,
    // and the signature is checked once the body is read (below).
    let signed = match (&path, &query) {
        (Ok(Path((partner, _))), Ok(Query(q))) => app.signatures.find(partner, q.config_name.as_deref()),
        (Ok(Path((partner, _))), Err(_)) => app.signatures.find(partner, None),
        _ => None,
    };
    let workspace = match signed {
        Some(verifier) => verifier.workspace().clone(),
        None => {
            let Some(workspace) = app.credentials.authenticate(headers.get(header::AUTHORIZATION)) else {
                return (Outcome::Unauthorized, answer::unauthorized(rid));
            };
            if let Err(limited) = app.limiter.check(&workspace, Instant::now()) {
                let response = answer::rate_limited(rid, limited.per_second, limited.retry_after_secs());
                return (Outcome::RateLimited, response);
            }
            workspace
        }
    };

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

    if let Some(verifier) = signed {
        if let Err(failure) = verifier.verify(headers, &body, received_at_ms.div_euclid(1000)) {
            tracing::info!(reason = failure.label(), partner, "signature refused");
            app.metrics.signature_failure(failure);
            return (Outcome::Unauthorized, answer::unauthorized(rid));
        }
        // Counted against the rate only once proven, so forged requests cannot spend it.
        if let Err(limited) = app.limiter.check(&workspace, Instant::now()) {
            let response = answer::rate_limited(rid, limited.per_second, limited.retry_after_secs());
            return (Outcome::RateLimited, response);
        }
    }

    let pointer = app.body_pointers.get(&config_name).map(String::as_str);
    let idempotency_key = match idempotency::key(headers, &body, pointer) {
        Ok(key) => key,
        Err(idempotency::InvalidKey(message)) => {
            return (Outcome::Invalid, answer::invalid_webhook(message));
        }
    };

    let content = match map(mapper, body).await {
        Ok(Ok(records)) => Content::Records(records),
        Ok(Err(error)) => match serde_json::to_string(&error) {
            Ok(json) => Content::Rejected(json),
            Err(_) => return (Outcome::Error, answer::internal(rid)),
        },
        Err(MapperPanicked) => {
            tracing::error!(partner, config_name, "the mapper panicked");
            return (Outcome::Error, answer::internal(rid));
        }
    };
    let rejected_body = match &content {
        Content::Rejected(json) => Some(json.clone().into_bytes()),
        Content::Records(_) => None,
    };

    let entry = Entry {
        request_id: rid.to_owned(),
        workspace,
        partner: partner.clone(),
        mapping_type,
        config_name,
        received_at_ms,
        idempotency_key,
        content,
    };
    // The route exists only where there is a sink; a missing one is a setup error, not data.
    let Some(sink) = &app.sink else {
        return (Outcome::Error, answer::internal(rid));
    };
    let result = sink.append(entry).await;
    if let Some(body) = rejected_body
        && !matches!(result, Ok(Appended::Duplicate { .. }))
    {
        // The answer to a refused payload does not depend on whether its refusal was recorded.
        if let Err(e) = result {
            tracing::warn!(error = %e, "could not record a refused request");
        }
        return (Outcome::Invalid, answer::raw_json(StatusCode::BAD_REQUEST, body));
    }
    match result {
        Ok(Appended::Accepted { imported }) => {
            if let Some(n) = imported {
                app.metrics.add_records(n);
            }
            (Outcome::Accepted, answer::accepted(rid, &partner))
        }
        Ok(Appended::Duplicate { request_id }) => {
            tracing::info!(first_request_id = %request_id, "repeated idempotency key; nothing imported");
            let mut response = answer::accepted(&request_id, &partner);
            response.headers_mut().insert(answer::REPLAYED_HEADER, HeaderValue::from_static("true"));
            (Outcome::Duplicate, response)
        }
        Ok(Appended::Rejected) => {
            tracing::error!("a payload that mapped was recorded as refused");
            (Outcome::Error, answer::internal(rid))
        }
        Err(SinkError::Unavailable(e)) => {
            tracing::warn!(error = %e, "request not accepted: the log is out of reach");
            (Outcome::Unavailable, answer::unavailable(rid))
        }
        Err(SinkError::Failed(e)) => {
            tracing::error!(error = %e, "request not stored");
            (Outcome::Error, answer::internal(rid))
        }
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
