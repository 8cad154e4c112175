//! The operational endpoints (`/metrics`, `GET /v1/requests/{id}`, `GET /v1/customers/{id}`):
//! where they listen and the token they require.
//!
//! - `ops.listen`: a second address serving only those endpoints (and `/healthz`); the webhook
//!   address then answers them 404. Bind it where only operators and the scraper reach it.
//! - `ops.token` (from the environment or a file, like signing secrets): every ops endpoint
//!   then requires the token, as `Authorization: Bearer <token>` or, for the look-ups, which
//!   keep Basic credentials in `Authorization` to name the workspace, as
//!   `X-Hookmap-Ops-Token: <token>`. Compared in constant time; a missing or wrong token gets
//!   the 401 fail body with `WWW-Authenticate: Bearer`.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use serde::Deserialize;
use subtle::ConstantTimeEq;

use crate::answer;
use crate::config::ConfigError;
use crate::ingest::signature::{Secret, SecretSource};
use crate::server::RequestId;

/// The header carrying the ops token next to Basic credentials.
pub const TOKEN_HEADER: &str = "x-hookmap-ops-token";

/// `ops` in the config file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OpsConfig {
    /// A separate address for the ops endpoints, such as `127.0.0.1:9090`.
    pub listen: Option<String>,
    /// Where the token the ops endpoints require is read from.
    pub token: Option<SecretSource>,
}

impl OpsConfig {
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if self.listen.as_deref().is_some_and(str::is_empty) {
            return Err(ConfigError::new("ops.listen must be an address such as 127.0.0.1:9090"));
        }
        Ok(())
    }
}

/// The token, when one is required.
#[derive(Clone, Debug, Default)]
pub(crate) struct OpsToken(pub(crate) Option<Arc<Secret>>);

impl OpsToken {
    pub(crate) fn from_config(
        ops: &OpsConfig,
        var: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        match &ops.token {
            None => Ok(OpsToken(None)),
            Some(source) => {
                let secret = source.read(var).map_err(|e| ConfigError::new(format!("ops.token: {e}")))?;
                Ok(OpsToken(Some(Arc::new(secret))))
            }
        }
    }

    fn admits(&self, headers: &HeaderMap) -> bool {
        let Some(token) = &self.0 else { return true };
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim().as_bytes());
        let own = headers.get(TOKEN_HEADER).map(|v| v.as_bytes());
        [bearer, own].into_iter().flatten().any(|sent| bool::from(token.expose().ct_eq(sent)))
    }
}

/// Middleware on the ops routes: 401 without the token (when one is configured).
pub(crate) async fn require_token(State(token): State<OpsToken>, request: Request, next: Next) -> Response {
    if token.admits(request.headers()) {
        return next.run(request).await;
    }
    let rid = request.extensions().get::<RequestId>().map(|r| r.0.clone()).unwrap_or_else(|| "".into());
    let mut response = answer::fail(
        StatusCode::UNAUTHORIZED,
        &rid,
        "Authentication required",
        "This endpoint requires the ops token",
    );
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"hookmap-ops\""));
    response
}
