//! Rate limits of the whole deployment: each gateway allows its share.
//!
//! Every gateway writes a heartbeat key to a JetStream key-value bucket each second; the bucket
//! forgets keys older than [`TTL`]. A gateway counts the live keys and allows 1/N of each
//! workspace's rate and burst. With a load balancer that spreads requests evenly the deployment
//! admits the configured rate; the error bounds are in `docs/deployment.md`. A counter shared
//! in the key-value store would be exact under any spread, at the price of a round trip to the
//! broker on every request; the share costs nothing on the request path.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::kv;
use futures_util::StreamExt;

use crate::log::jetstream::Broker;
use crate::server::AppState;

/// The bucket of heartbeats.
const BUCKET: &str = "hookmap_gateways";
/// How often a gateway says it is alive and recounts the others.
const HEARTBEAT: Duration = Duration::from_secs(1);
/// How long a gateway counts as alive after its last heartbeat.
const TTL: Duration = Duration::from_secs(3);

/// Starts the heartbeat task.
pub(crate) fn spawn(broker: Broker, state: Arc<AppState>) -> tokio::task::JoinHandle<()> {
    let node = format!("{}-{}", std::process::id(), crate::now_ms());
    tokio::spawn(async move {
        let mut bucket: Option<kv::Store> = None;
        let mut tick = tokio::time::interval(HEARTBEAT);
        loop {
            tick.tick().await;
            if bucket.is_none() {
                bucket = open_bucket(&broker).await;
            }
            let Some(store) = &bucket else { continue };
            match live_gateways(store, &node).await {
                Ok(n) => state.limiter.set_share(n),
                // Keep the last share: a broker that is out of reach refuses every webhook anyway.
                Err(e) => tracing::debug!(error = %e, "could not count the live gateways"),
            }
        }
    })
}

async fn open_bucket(broker: &Broker) -> Option<kv::Store> {
    let config = kv::Config {
        bucket: BUCKET.into(),
        description: "hookmap gateways alive, for sharing rate limits".into(),
        history: 1,
        max_age: TTL,
        storage: async_nats::jetstream::stream::StorageType::Memory,
        num_replicas: broker.config().replicas,
        ..Default::default()
    };
    let js = broker.jetstream();
    match js.create_key_value(config).await {
        Ok(store) => Some(store),
        Err(_) => match js.get_key_value(BUCKET).await {
            Ok(store) => Some(store),
            Err(e) => {
                tracing::warn!(error = %e, "cannot open the gateways bucket; rate limits stay per gateway");
                None
            }
        },
    }
}

/// Writes this gateway's heartbeat and counts the gateways alive, this one included.
async fn live_gateways(
    store: &kv::Store,
    node: &str,
) -> Result<u32, Box<dyn std::error::Error + Send + Sync>> {
    store.put(node, bytes::Bytes::new()).await?;
    let mut keys = store.keys().await?;
    let mut n = 0u32;
    while let Some(key) = keys.next().await {
        key?;
        n += 1;
    }
    Ok(n.max(1))
}
