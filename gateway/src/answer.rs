//! The bodies and headers of the gateway's answers, in the webhook API's formats.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// The header every answer carries its request id in.
pub const REQUEST_ID_HEADER: &str = "x-request-id";
/// Set on the answer to a repeated idempotency key.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";

/// The 401 message, word for word as the webhook API has it.
pub const UNAUTHORIZED_MESSAGE: &str = "Invalid authorization format. Expected Basic authentication";

/// A JSON answer.
pub fn json(status: StatusCode, body: &impl Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => raw_json(status, bytes),
        // Only a non-string map key or a failing Serialize impl can get here; neither is in
        // the gateway's bodies, but an answer is still owed.
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response(),
    }
}

/// A JSON answer from serialized bytes.
pub fn raw_json(status: StatusCode, body: Vec<u8>) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// The 200 of an accepted (or repeated) webhook request.
pub fn accepted(request_id: &str, partner: &str) -> Response {
    #[derive(Serialize)]
    struct Body<'a> {
        request_id: &'a str,
        name: &'a str,
        description: &'static str,
    }
    let mut response = json(
        StatusCode::OK,
        &Body { request_id, name: partner, description: "Successfully submitted for processing" },
    );
    set_request_id(&mut response, request_id);
    response
}

/// The API's failure body `{"status": "fail", "error": {"message", "type", "request_id"}}`.
pub fn fail(status: StatusCode, request_id: &str, kind: &str, message: &str) -> Response {
    #[derive(Serialize)]
    struct Error<'a> {
        message: &'a str,
        #[serde(rename = "type")]
        kind: &'a str,
        request_id: &'a str,
    }
    #[derive(Serialize)]
    struct Body<'a> {
        status: &'static str,
        error: Error<'a>,
    }
    json(status, &Body { status: "fail", error: Error { message, kind, request_id } })
}

/// 401, in exactly the webhook API's words.
pub fn unauthorized(request_id: &str) -> Response {
    let mut response =
        fail(StatusCode::UNAUTHORIZED, request_id, "Authentication required", UNAUTHORIZED_MESSAGE);
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"hookmap\""));
    response
}

/// 404.
pub fn not_found(request_id: &str, message: &str) -> Response {
    fail(StatusCode::NOT_FOUND, request_id, "Not found", message)
}

/// 413.
pub fn too_large(request_id: &str, limit: usize) -> Response {
    let mut response = fail(
        StatusCode::PAYLOAD_TOO_LARGE,
        request_id,
        "Payload too large",
        &format!("The payload is larger than {limit} bytes"),
    );
    // The body was not read; closing lets the client see the answer instead of a stalled send.
    response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// 408: the body did not arrive in time. The connection is closed: what is left of the body
/// cannot be told apart from a next request.
pub fn timed_out(request_id: &str, timeout: std::time::Duration) -> Response {
    let mut response = fail(
        StatusCode::REQUEST_TIMEOUT,
        request_id,
        "Request timeout",
        &format!("The request body did not arrive within {} s; nothing was imported", timeout.as_secs()),
    );
    response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// 429 with `Retry-After` in seconds.
pub fn rate_limited(request_id: &str, per_second: f64, retry_after_secs: u64) -> Response {
    let mut response = fail(
        StatusCode::TOO_MANY_REQUESTS,
        request_id,
        "Too many requests",
        &format!("Rate limit of {per_second} requests per second exceeded; retry after {retry_after_secs} s"),
    );
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    response
}

/// 400 for a webhook the gateway cannot use before mapping (an unreadable body, a bad
/// idempotency key): the webhook API's e_9004 body, as for a payload that does not map.
pub fn invalid_webhook(message: &str) -> Response {
    let error = hookmap::MapError::new(vec![hookmap::Detail::new(message)]);
    json(StatusCode::BAD_REQUEST, &error)
}

/// 400 for a look-up request with bad parameters.
pub fn bad_request(request_id: &str, message: &str) -> Response {
    fail(StatusCode::BAD_REQUEST, request_id, "Bad request", message)
}

/// 500: nothing of the request was stored.
pub fn internal(request_id: &str) -> Response {
    fail(
        StatusCode::INTERNAL_SERVER_ERROR,
        request_id,
        "Internal error",
        "The request could not be stored and was not imported; retry it",
    )
}

/// Seconds a sender is asked to wait when the log is out of reach: long enough for a broker
/// failover (a new stream leader is elected within a few seconds), short enough not to delay
/// senders that retry on their own.
pub const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 2;

/// 503 with `Retry-After`: the log is out of reach; nothing of the request was accepted.
pub fn unavailable(request_id: &str) -> Response {
    let mut response = fail(
        StatusCode::SERVICE_UNAVAILABLE,
        request_id,
        "Service unavailable",
        &format!(
            "The request could not be stored and was not imported; retry after {UNAVAILABLE_RETRY_AFTER_SECS} s"
        ),
    );
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(UNAVAILABLE_RETRY_AFTER_SECS));
    response
}

/// Sets the `x-request-id` header (request ids are base32, always a valid header value).
pub fn set_request_id(response: &mut Response, request_id: &str) {
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
}
