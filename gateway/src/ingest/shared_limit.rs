//! Rate limits of the whole deployment: each gateway allows its share.
//!
//! Every gateway publishes a heartbeat each second to a small stream of its own subject
//! (`hookmap.gateways.<node>`), which keeps one message per subject for [`TTL`]; the number of
//! messages in it is the number of live gateways. A gateway allows 1/N of each workspace's rate
//! and burst. With a load balancer that spreads requests evenly the deployment admits the
//! configured rate; the error bounds are in `docs/deployment.md`. A counter shared in the
//! broker would be exact under any spread, at the price of a round trip to the broker on every
//! request; the share costs nothing on the request path.
//!
//! (A plain stream rather than JetStream's key-value layer, which is the same thing underneath:
//! the key-value calls of the client do not work against the 2.9 servers Debian ships.)

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::stream;

use crate::log::jetstream::Broker;
use crate::server::AppState;

/// The stream of heartbeats.
const STREAM: &str = "HOOKMAP_GATEWAYS";
/// Its subjects; the node id follows.
const SUBJECT_PREFIX: &str = "hookmap.gateways.";
/// How often a gateway says it is alive and recounts the others.
const HEARTBEAT: Duration = Duration::from_secs(1);
/// How long a gateway counts as alive after its last heartbeat.
const TTL: Duration = Duration::from_secs(3);

/// Starts the heartbeat task.
pub(crate) fn spawn(broker: Broker, state: Arc<AppState>) -> tokio::task::JoinHandle<()> {
    let node = format!("{}-{}", std::process::id(), crate::now_ms());
    tokio::spawn(async move {
        let mut heartbeats: Option<stream::Stream> = None;
        let mut tick = tokio::time::interval(HEARTBEAT);
        loop {
            tick.tick().await;
            if heartbeats.is_none() {
                heartbeats = open_stream(&broker).await;
            }
            let Some(stream) = &mut heartbeats else { continue };
            match live_gateways(&broker, stream, &node).await {
                Ok(n) => {
                    state.limiter.set_share(n);
                    state.metrics.set_rate_share(n);
                }
                // Keep the last share: a broker that is out of reach refuses every webhook anyway.
                Err(e) => tracing::debug!(error = %e, "could not count the live gateways"),
            }
        }
    })
}

async fn open_stream(broker: &Broker) -> Option<stream::Stream> {
    let config = stream::Config {
        name: STREAM.into(),
        description: Some("hookmap gateways alive, for sharing rate limits".into()),
        subjects: vec![format!("{SUBJECT_PREFIX}>")],
        max_messages_per_subject: 1,
        max_age: TTL,
        duplicate_window: HEARTBEAT,
        storage: stream::StorageType::Memory,
        num_replicas: broker.config().replicas,
        ..Default::default()
    };
    match broker.jetstream().get_or_create_stream(config).await {
        Ok(stream) => Some(stream),
        Err(e) => {
            tracing::warn!(error = %e, "cannot open the gateways stream; rate limits stay per gateway for now");
            None
        }
    }
}

/// Publishes this gateway's heartbeat and counts the gateways alive, this one included.
async fn live_gateways(
    broker: &Broker,
    stream: &mut stream::Stream,
    node: &str,
) -> Result<u32, Box<dyn std::error::Error + Send + Sync>> {
    broker.jetstream().publish(format!("{SUBJECT_PREFIX}{node}"), bytes::Bytes::new()).await?.await?;
    let live = stream.info().await?.state.messages;
    Ok(u32::try_from(live).unwrap_or(u32::MAX).max(1))
}
