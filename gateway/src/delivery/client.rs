//! The HTTP client that calls the Data API: hyper-util's pooled client, HTTP/1.1. HTTPS needs
//! the crate feature `tls` (rustls on ring, webpki roots); without it only `http://` URLs are
//! accepted, for a TLS-originating proxy or a test server (see `docs/delivery.md`).

use std::fmt;
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};
use hyper::{Method, Request, Uri};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// Most bytes of an answer body kept (for error messages).
const MAX_ANSWER: usize = 16 * 1024;

/// A Data API base URL, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaseUrl(String);

impl BaseUrl {
    /// Checks `url`: `http://host[:port]`, optionally ending in `/v1`.
    pub fn parse(url: &str) -> Result<BaseUrl, String> {
        let trimmed = url.trim_end_matches('/');
        let trimmed = trimmed.strip_suffix("/v1").unwrap_or(trimmed);
        if trimmed.starts_with("https://") && !cfg!(feature = "tls") {
            return Err(format!(
                "destination url {url:?} is HTTPS, and this build of the gateway speaks plain HTTP only: \
                 build it with `--features tls`, or point it at a TLS-originating proxy (docs/delivery.md, \"TLS\")"
            ));
        }
        let rest = trimmed.strip_prefix("http://").or_else(|| trimmed.strip_prefix("https://"));
        let Some(rest) = rest else {
            return Err(format!("destination url {url:?} must start with http:// or https://"));
        };
        if rest.is_empty() || rest.contains(['/', '?', '#', '@']) {
            return Err(format!("destination url {url:?} must be http://host[:port], optionally with /v1"));
        }
        let uri: Uri = format!("{trimmed}/v1/transition/x")
            .parse()
            .map_err(|e| format!("destination url {url:?}: {e}"))?;
        if uri.host().is_none() {
            return Err(format!("destination url {url:?} has no host"));
        }
        Ok(BaseUrl(trimmed.to_owned()))
    }

    /// `{base}/v1/transition/{workspace}`.
    pub fn bulk(&self, workspace: &str) -> Result<Uri, String> {
        format!("{}/v1/transition/{workspace}", self.0).parse().map_err(|e| format!("bulk URL: {e}"))
    }
}

/// An answer.
#[derive(Debug)]
pub struct Answer {
    /// Its status code.
    pub status: u16,
    /// Its headers.
    pub headers: HeaderMap,
    /// Up to 16 KiB of its body.
    pub body: Bytes,
}

/// Why a call got no answer.
#[derive(Debug)]
pub enum CallError {
    /// No complete answer within the timeout.
    Timeout,
    /// Could not connect, or the connection broke.
    Connection(String),
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Timeout => f.write_str("no answer within the timeout"),
            CallError::Connection(e) => write!(f, "connection error: {e}"),
        }
    }
}

#[cfg(feature = "tls")]
type Connector = hyper_rustls::HttpsConnector<HttpConnector>;
#[cfg(not(feature = "tls"))]
type Connector = HttpConnector;

/// The client.
#[derive(Clone, Debug)]
pub struct Client {
    inner: HyperClient<Connector, Full<Bytes>>,
}

impl Client {
    /// A client; with the `tls` feature it speaks HTTPS too, verifying servers against the
    /// webpki (Mozilla) roots.
    pub fn new() -> Result<Client, String> {
        let mut http = HttpConnector::new();
        http.set_connect_timeout(Some(Duration::from_secs(10)));
        http.set_nodelay(true);
        #[cfg(feature = "tls")]
        let connector = {
            http.enforce_http(false);
            hyper_rustls::HttpsConnectorBuilder::new()
                .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
                .map_err(|e| format!("cannot set up TLS: {e}"))?
                .https_or_http()
                .enable_http1()
                .wrap_connector(http)
        };
        #[cfg(not(feature = "tls"))]
        let connector = http;
        let inner = HyperClient::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        Ok(Client { inner })
    }
}

impl Client {
    /// POSTs `body` as JSON to `uri` with `authorization`, within `timeout`.
    pub async fn post(
        &self,
        uri: Uri,
        authorization: &HeaderValue,
        body: Bytes,
        timeout: Duration,
    ) -> Result<Answer, CallError> {
        let request = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header(AUTHORIZATION, authorization.clone())
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .body(Full::new(body))
            .map_err(|e| CallError::Connection(e.to_string()))?;
        let call = async {
            let response =
                self.inner.request(request).await.map_err(|e| CallError::Connection(error_chain(&e)))?;
            let (parts, body) = response.into_parts();
            // An error body larger than the limit is cut; the status is what matters.
            let body = match Limited::new(body, MAX_ANSWER).collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(e) if e.is::<http_body_util::LengthLimitError>() => {
                    Bytes::from_static(b"<answer too long>")
                }
                Err(e) => return Err(CallError::Connection(e.to_string())),
            };
            Ok(Answer { status: parts.status.as_u16(), headers: parts.headers, body })
        };
        tokio::time::timeout(timeout, call).await.unwrap_or(Err(CallError::Timeout))
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// How long a 429 answer asks to wait: `Retry-After` (seconds), else `x-ratelimit-reset`
/// (seconds until the window resets, or the reset's epoch time in seconds), else the 60 s
/// window. At most 5 minutes.
pub fn wait_after_429(headers: &HeaderMap, now_ms: i64) -> Duration {
    let number =
        |name: &str| headers.get(name)?.to_str().ok()?.trim().parse::<f64>().ok().filter(|n| !n.is_nan());
    let secs = if let Some(s) = number("retry-after") {
        s
    } else if let Some(reset) = number("x-ratelimit-reset") {
        if reset > 1e9 { reset - now_ms as f64 / 1000.0 } else { reset }
    } else {
        60.0
    };
    Duration::from_secs_f64(secs.clamp(0.0, 300.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        assert_eq!(BaseUrl::parse("http://127.0.0.1:9/v1/").unwrap().0, "http://127.0.0.1:9");
        if cfg!(feature = "tls") {
            assert_eq!(
                BaseUrl::parse("https://api-01.moengage.com/v1").unwrap().0,
                "https://api-01.moengage.com"
            );
        } else {
            assert!(BaseUrl::parse("https://api-01.moengage.com").unwrap_err().contains("plain HTTP"));
        }
        assert!(BaseUrl::parse("ftp://x").is_err());
        assert!(BaseUrl::parse("http://x/y").is_err());
        let uri = BaseUrl::parse("http://h:1").unwrap().bulk("WS").unwrap();
        assert_eq!(uri.to_string(), "http://h:1/v1/transition/WS");
    }

    #[test]
    fn waits_after_429() {
        let mut h = HeaderMap::new();
        assert_eq!(wait_after_429(&h, 0), Duration::from_secs(60));
        h.insert("x-ratelimit-reset", HeaderValue::from_static("7"));
        assert_eq!(wait_after_429(&h, 0), Duration::from_secs(7));
        h.insert("x-ratelimit-reset", HeaderValue::from_static("1700000010"));
        assert_eq!(wait_after_429(&h, 1_700_000_000_000), Duration::from_secs(10));
        h.insert("retry-after", HeaderValue::from_static("NaN"));
        assert_eq!(wait_after_429(&h, 1_700_000_000_000), Duration::from_secs(10), "ignored");
        h.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(wait_after_429(&h, 0), Duration::from_secs(2));
    }
}
