//! The look-ups: `GET /v1/requests/{id}` and `GET /v1/customers/{id}`, read from the store
//! that import keeps.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;

use crate::answer;
use crate::server::{App, RequestId};

/// Events shown by `GET /v1/customers/{id}` unless `?events=` says otherwise, and the most.
const DEFAULT_EVENTS: usize = 20;
const MAX_EVENTS: usize = 1000;

pub(crate) async fn get_request(
    State(app): App,
    Extension(RequestId(rid)): Extension<RequestId>,
    Path(request_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(workspace) = app.credentials.authenticate(headers.get(header::AUTHORIZATION)) else {
        return answer::unauthorized(&rid);
    };
    let Some(store) = app.store.clone() else {
        return no_store(&rid);
    };
    let id = request_id.clone();
    let delivery = app.delivery.clone().filter(|d| d.covers(&workspace));
    let found = tokio::task::spawn_blocking(move || {
        let mut info = store.request(&workspace, &id)?;
        // Where forwarding stands, for a workspace with a destination.
        if let (Some(info), Some(delivery)) = (info.as_mut(), delivery) {
            info.delivery = delivery.state.view(&workspace, &id)?;
        }
        Ok::<_, crate::import::store::StoreError>(info)
    });
    match found.await {
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
pub(crate) struct CustomerQuery {
    events: Option<usize>,
}

pub(crate) async fn get_customer(
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
    let Some(store) = app.store.clone() else {
        return no_store(&rid);
    };
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

/// The answer of a gateway without a store (broker mode), whose importer serves the look-ups.
fn no_store(rid: &str) -> Response {
    answer::not_found(rid, "This gateway keeps no store: look requests and customers up at the importer")
}
