//! Test harness: a gateway on 127.0.0.1:0 over a SQLite file in a temp dir, and helpers.

#![allow(dead_code)]

pub mod client;
pub mod fake_data_api;
pub mod mappers;
pub mod nats;
pub mod process;

use std::net::SocketAddr;
use std::sync::Arc;

use hookmap_gateway::auth::basic_header;
use hookmap_gateway::config::{Config, RateLimit, WorkspaceConfig};
use hookmap_gateway::{Gateway, Registry, SqliteStore};
use hyper::Method;
use tokio::sync::oneshot;

pub use client::{Reply, send};

pub const WS: &str = "WS1";
pub const KEY: &str = "secret-key-1";
pub const WS2: &str = "WS2";
pub const KEY2: &str = "secret-key-2";

/// Two workspaces, a rate limit no test reaches unless it sets its own.
pub fn config() -> Config {
    let mut config = Config {
        workspaces: vec![
            WorkspaceConfig { id: WS.into(), key: KEY.into(), rate_limit: None, destination: None },
            WorkspaceConfig { id: WS2.into(), key: KEY2.into(), rate_limit: None, destination: None },
        ],
        rate_limit: RateLimit { per_second: 1e6, burst: None },
        ..Config::default()
    };
    config.idempotency.body_pointers.insert("users_v1".into(), "/event_id".into());
    config
}

pub fn auth() -> String {
    basic_header(WS, KEY)
}

/// A running gateway; stopped (and its writer drained) by [`TestGateway::stop`].
pub struct TestGateway {
    pub addr: SocketAddr,
    pub dir: tempfile::TempDir,
    shutdown: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl TestGateway {
    pub async fn start() -> TestGateway {
        TestGateway::with_config(config()).await
    }

    pub async fn with_config(mut config: Config) -> TestGateway {
        config.validate().expect("test config");
        let dir = tempfile::tempdir().expect("temp dir");
        let store =
            SqliteStore::open(&dir.path().join("gateway.db"), config.idempotency_window()).expect("store");
        let registry = Registry::new(mappers::ALL.iter().copied()).expect("registry");
        let gateway = Gateway::new(&config, registry, Arc::new(store)).expect("gateway");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(gateway.serve(listener, async {
            let _ = rx.await;
        }));
        TestGateway { addr, dir, shutdown: Some(tx), task }
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let result = tokio::time::timeout(client::TIMEOUT, &mut self.task).await;
        result.expect("gateway stops in time").expect("serve task").expect("serve");
    }

    /// POSTs `body` to `/v1/partner/shop/{kind}/?configName={config}` as workspace WS1.
    pub async fn post(&self, kind: &str, config: &str, body: &str) -> Reply {
        self.post_with(kind, config, body, &[]).await
    }

    pub async fn post_with(&self, kind: &str, config: &str, body: &str, extra: &[(&str, &str)]) -> Reply {
        let auth = auth();
        let mut headers = vec![("authorization", auth.as_str()), ("content-type", "application/json")];
        headers.extend_from_slice(extra);
        let path = format!("/v1/partner/{}/{kind}/?configName={config}", mappers::PARTNER);
        send(self.addr, Method::POST, &path, &headers, body.to_owned()).await.expect("request")
    }

    /// GETs `path` as workspace WS1.
    pub async fn get(&self, path: &str) -> Reply {
        let auth = auth();
        send(self.addr, Method::GET, path, &[("authorization", auth.as_str())], "").await.expect("request")
    }

    pub async fn customer(&self, customer_id: &str) -> Reply {
        self.get(&format!("/v1/customers/{customer_id}")).await
    }
}
