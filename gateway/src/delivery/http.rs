//! The dead-letter endpoints: `GET /v1/dead` and `POST /v1/dead/{id}/retry`, with the
//! webhooks' Basic auth (a workspace sees and retries only its own items).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::state::{DeadItem, RetryRefusal};
use crate::answer;
use crate::server::{App, RequestId};

const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 1000;

#[derive(Deserialize)]
pub(crate) struct DeadQuery {
    after: Option<i64>,
    limit: Option<usize>,
    /// Also the items delivered after a retry.
    all: Option<bool>,
}

#[derive(Serialize)]
struct DeadList {
    items: Vec<DeadItem>,
    /// Pass as `after` for the next page; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<i64>,
}

pub(crate) async fn list_dead(
    State(app): App,
    Extension(RequestId(rid)): Extension<RequestId>,
    query: Result<Query<DeadQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let Some(workspace) = app.credentials.authenticate(headers.get(header::AUTHORIZATION)) else {
        return answer::unauthorized(&rid);
    };
    let Ok(Query(query)) = query else {
        return answer::bad_request(&rid, "after and limit must be integers, all a boolean");
    };
    let Some(delivery) = app.delivery.clone().filter(|d| d.covers(&workspace)) else {
        return answer::not_found(&rid, "This workspace has no delivery destination");
    };
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let after = query.after.unwrap_or(0);
    let all = query.all.unwrap_or(false);
    let found = tokio::task::spawn_blocking(move || delivery.state.dead(&workspace, after, limit, all)).await;
    match found {
        Ok(Ok(items)) => {
            let next = (items.len() == limit).then(|| items.last().map(|i| i.id)).flatten();
            answer::json(StatusCode::OK, &DeadList { items, next })
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, "dead-letter look-up failed");
            answer::internal(&rid)
        }
        Err(_) => answer::internal(&rid),
    }
}

pub(crate) async fn retry_dead(
    State(app): App,
    Extension(RequestId(rid)): Extension<RequestId>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(workspace) = app.credentials.authenticate(headers.get(header::AUTHORIZATION)) else {
        return answer::unauthorized(&rid);
    };
    let Some(delivery) = app.delivery.clone().filter(|d| d.covers(&workspace)) else {
        return answer::not_found(&rid, "This workspace has no delivery destination");
    };
    let Ok(id) = id.parse::<i64>() else {
        return answer::not_found(&rid, &format!("No dead-letter item '{id}'"));
    };
    let shared = delivery.clone();
    let marked =
        tokio::task::spawn_blocking(move || shared.state.mark_retry(&workspace, id, crate::now_ms())).await;
    match marked {
        Ok(Ok(Ok(()))) => {
            delivery.retry_signal.notify_waiters();
            answer::json(StatusCode::ACCEPTED, &serde_json::json!({"id": id, "status": "retry"}))
        }
        Ok(Ok(Err(RetryRefusal::NotFound))) => {
            answer::not_found(&rid, &format!("No dead-letter item '{id}'"))
        }
        Ok(Ok(Err(RetryRefusal::Invalid(reason)))) => answer::json(
            StatusCode::CONFLICT,
            &serde_json::json!({"id": id, "error": format!(
                "the element breaks a Data API rule and would be refused again ({reason}); fix the mapper or the payload and send the webhook again"
            )}),
        ),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "dead-letter retry failed");
            answer::internal(&rid)
        }
        Err(_) => answer::internal(&rid),
    }
}
