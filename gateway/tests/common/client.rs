//! A small HTTP/1.1 client over hyper, for the tests and the load benchmark. Loopback only.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::{HeaderMap, Method, Request};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// Every exchange is bounded, so a wedged server fails a test instead of hanging it.
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// An answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("answer is not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `x-request-id` header, which every answer has.
    pub fn request_id(&self) -> &str {
        self.header("x-request-id").expect("x-request-id header")
    }
}

/// A keep-alive connection.
pub struct Conn {
    sender: SendRequest<Full<Bytes>>,
}

impl Conn {
    pub async fn open(addr: SocketAddr) -> std::io::Result<Conn> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(std::io::Error::other)?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Conn { sender })
    }

    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> std::io::Result<Reply> {
        let mut request = Request::builder().method(method).uri(path).header("host", "127.0.0.1");
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let request = request.body(Full::new(body.into())).map_err(std::io::Error::other)?;
        let exchange = async {
            self.sender.ready().await.map_err(std::io::Error::other)?;
            let response = self.sender.send_request(request).await.map_err(std::io::Error::other)?;
            let (parts, body) = response.into_parts();
            let body = body.collect().await.map_err(std::io::Error::other)?.to_bytes();
            Ok(Reply { status: parts.status.as_u16(), headers: parts.headers, body })
        };
        tokio::time::timeout(TIMEOUT, exchange).await.map_err(|_| std::io::Error::other("timed out"))?
    }
}

/// One request on a new connection.
pub async fn send(
    addr: SocketAddr,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> std::io::Result<Reply> {
    Conn::open(addr).await?.send(method, path, headers, body).await
}
