//! The broker log: a NATS JetStream stream.
//!
//! Ingest publishes one message per entry on `hookmap.accepted.<workspace>` and answers 200
//! only after the stream's acknowledgement, which JetStream sends once the message is stored
//! (on a majority of the stream's replicas when it has several). Consumers read the stream with
//! durable pull consumers, so their position survives their own restarts and the servers'.
//!
//! An entry with an idempotency key carries `Nats-Msg-Id`, made from the workspace, partner,
//! mapping type, config and key: JetStream stores the first message with that id and answers
//! later ones, from any gateway, as duplicates of it, within the stream's duplicate window.

use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};
use async_nats::{HeaderMap, connection::State};
use futures_util::StreamExt;

use super::Entry;
use super::encoding::{self, DecodeError};
use crate::config::BrokerConfig;

/// The subjects of every workspace.
pub const SUBJECTS: &str = "hookmap.accepted.>";
/// How long startup waits for the broker and its stream.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
/// Subject prefix; the workspace id follows.
const SUBJECT_PREFIX: &str = "hookmap.accepted.";

/// The subject entries of `workspace` are published on. Workspace ids are checked to be single
/// subject tokens when a broker is configured ([`valid_subject_token`]).
pub fn subject(workspace: &str) -> String {
    format!("{SUBJECT_PREFIX}{workspace}")
}

/// Whether `s` can stand as one token of a subject: not empty, no `.`, `*`, `>` or whitespace.
pub fn valid_subject_token(s: &str) -> bool {
    !s.is_empty() && !s.chars().any(|c| c == '.' || c == '*' || c == '>' || c.is_whitespace())
}

/// Something went wrong talking to the broker.
#[derive(Debug)]
pub struct BrokerError(pub String);

impl std::fmt::Display for BrokerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BrokerError {}

fn err(context: &str, e: impl std::fmt::Display) -> BrokerError {
    BrokerError(format!("{context}: {e}"))
}

/// A connection to the broker and its JetStream context.
#[derive(Clone, Debug)]
pub struct Broker {
    client: async_nats::Client,
    js: jetstream::Context,
    config: BrokerConfig,
}

impl Broker {
    /// Connects to `config.url` and creates the stream, or checks that the existing one has
    /// the subjects and replicas configured. The client reconnects by itself afterwards.
    pub async fn connect(config: &BrokerConfig) -> Result<Broker, BrokerError> {
        // A cluster that is starting up has no JetStream leader for a few seconds, and a
        // gateway started beside it should wait for it rather than exit.
        let deadline = tokio::time::Instant::now() + STARTUP_TIMEOUT;
        loop {
            match Broker::try_connect(config).await {
                Ok(broker) => return Ok(broker),
                Err(e) if tokio::time::Instant::now() >= deadline => return Err(e),
                Err(e) => tracing::info!(error = %e, "broker not ready; retrying"),
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    async fn try_connect(config: &BrokerConfig) -> Result<Broker, BrokerError> {
        // Several servers of a cluster may be listed, comma-separated; the client also learns
        // the others from the one it reaches.
        let servers = config
            .url
            .split(',')
            .map(|url| url.trim().parse::<async_nats::ServerAddr>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| err(&format!("broker URL {:?}", config.url), e))?;
        let client = async_nats::ConnectOptions::new()
            .name("hookmap-gateway")
            .connection_timeout(Duration::from_secs(5))
            .request_timeout(Some(config.ack_timeout()))
            .connect(servers)
            .await
            .map_err(|e| err(&format!("cannot connect to the broker at {}", config.url), e))?;
        let mut js = jetstream::new(client.clone());
        js.set_timeout(config.ack_timeout());
        let broker = Broker { client, js, config: config.clone() };
        broker.ensure_stream().await?;
        Ok(broker)
    }

    /// The stream's configuration as this gateway wants it.
    fn stream_config(&self) -> stream::Config {
        let c = &self.config;
        stream::Config {
            name: c.stream.clone(),
            subjects: vec![SUBJECTS.to_owned()],
            retention: stream::RetentionPolicy::Limits,
            storage: stream::StorageType::File,
            num_replicas: c.replicas,
            max_age: Duration::from_secs(c.max_age_seconds),
            max_bytes: c.max_bytes.map_or(-1, |b| i64::try_from(b).unwrap_or(i64::MAX)),
            duplicate_window: Duration::from_secs(c.duplicate_window_seconds),
            // Consumers look up the first message of a duplicate by sequence.
            allow_direct: true,
            // A full stream refuses new messages (their senders get 503) rather than
            // dropping old ones that consumers may not have read yet.
            discard: stream::DiscardPolicy::New,
            description: Some("hookmap accepted requests (log entry encoding v1)".into()),
            ..Default::default()
        }
    }

    async fn ensure_stream(&self) -> Result<(), BrokerError> {
        let wanted = self.stream_config();
        let mut stream = self
            .js
            .get_or_create_stream(wanted.clone())
            .await
            .map_err(|e| err(&format!("cannot create or open stream {}", wanted.name), e))?;
        let info = stream.info().await.map_err(|e| err("cannot read the stream's configuration", e))?;
        let have = &info.config;
        if have.subjects != wanted.subjects {
            return Err(BrokerError(format!(
                "stream {} has subjects {:?}, not {:?}: another application uses the name",
                wanted.name, have.subjects, wanted.subjects
            )));
        }
        if have.num_replicas != wanted.num_replicas
            || have.max_age != wanted.max_age
            || have.max_bytes != wanted.max_bytes
            || have.duplicate_window != wanted.duplicate_window
        {
            // Limits and replicas can change on a live stream; the servers move the data.
            self.js
                .update_stream(&wanted)
                .await
                .map_err(|e| err(&format!("cannot update stream {}", wanted.name), e))?;
            tracing::info!(stream = %wanted.name, replicas = wanted.num_replicas, "stream settings updated");
        }
        Ok(())
    }

    /// Whether the connection is up (the readiness `/healthz` reports).
    pub fn connected(&self) -> bool {
        self.client.connection_state() == State::Connected
    }

    /// Publishes `entry` and waits for the stream to store it.
    pub async fn append(&self, entry: &Entry) -> Result<Appended, AppendError> {
        if !self.connected() {
            // The client would buffer the message until it reconnects; the sender is better
            // served by a 503 now than by a request that hangs until the ack timeout.
            return Err(AppendError::Unavailable("not connected to the broker".into()));
        }
        let mut headers = HeaderMap::new();
        // Only an accepted payload claims its key: after a refused one the sender may fix the
        // payload and retry with the same key (as in the embedded store).
        if let Some(key) = &entry.idempotency_key
            && !is_rejected(entry)
        {
            headers.insert("Nats-Msg-Id", message_id(entry, key).as_str());
        }
        let payload = encoding::encode(entry);
        let ack = self
            .js
            .publish_with_headers(subject(&entry.workspace), headers, payload.into())
            .await
            .map_err(|e| AppendError::Unavailable(e.to_string()))?;
        let ack = match tokio::time::timeout(self.config.ack_timeout(), ack).await {
            Ok(Ok(ack)) => ack,
            Ok(Err(e)) => return Err(AppendError::Unavailable(e.to_string())),
            Err(_) => {
                return Err(AppendError::Unavailable("no acknowledgement from the stream in time".into()));
            }
        };
        if !ack.duplicate {
            return Ok(Appended::Stored { sequence: ack.sequence });
        }
        // The ack of a duplicate names the sequence of the message first stored with the id.
        let first = self.first_request_id(ack.sequence).await?;
        Ok(Appended::Duplicate { request_id: first })
    }

    async fn first_request_id(&self, sequence: u64) -> Result<String, AppendError> {
        let stream = self
            .js
            .get_stream_no_info(&self.config.stream)
            .await
            .map_err(|e| AppendError::Unavailable(e.to_string()))?;
        let message =
            stream.direct_get(sequence).await.map_err(|e| AppendError::Unavailable(e.to_string()))?;
        encoding::decode(&message.payload)
            .map(|entry| entry.request_id)
            .map_err(|e| AppendError::Failed(format!("the first message of a duplicate is unreadable: {e}")))
    }

    /// The JetStream context, for consumers and the key-value store.
    pub fn jetstream(&self) -> &jetstream::Context {
        &self.js
    }

    /// The broker settings.
    pub fn config(&self) -> &BrokerConfig {
        &self.config
    }

    /// Opens the durable pull consumer `name`, reading the whole stream or only
    /// `filter_subject`, positioned right after the last message it acknowledged, or after
    /// `applied` when the caller knows it has applied more (its own durable position).
    ///
    /// The consumer is made anew at that position each time: messages a previous process
    /// received but never acknowledged would otherwise come back only after the ack wait, behind
    /// newer ones, and a reader that skips what it has applied would then skip them for good.
    /// One process per consumer name.
    pub async fn consumer(
        &self,
        name: &str,
        filter_subject: Option<String>,
        applied: u64,
    ) -> Result<Consumer, BrokerError> {
        let stream = self
            .js
            .get_stream(&self.config.stream)
            .await
            .map_err(|e| err(&format!("cannot open stream {}", self.config.stream), e))?;
        let acked = match stream.consumer_info(name).await {
            Ok(info) => {
                let acked = info.ack_floor.stream_sequence;
                stream
                    .delete_consumer(name)
                    .await
                    .map_err(|e| err(&format!("cannot reset consumer {name}"), e))?;
                acked
            }
            Err(_) => 0,
        };
        let from = acked.max(applied) + 1;
        let consumer = stream
            .create_consumer(consumer::pull::Config {
                durable_name: Some(name.to_owned()),
                filter_subject: filter_subject.unwrap_or_default(),
                deliver_policy: if from <= 1 {
                    consumer::DeliverPolicy::All
                } else {
                    consumer::DeliverPolicy::ByStartSequence { start_sequence: from }
                },
                // Acknowledging a message acknowledges every earlier one: one ack a batch.
                ack_policy: consumer::AckPolicy::All,
                ack_wait: Duration::from_secs(30),
                max_ack_pending: 100_000,
                ..Default::default()
            })
            .await
            .map_err(|e| err(&format!("cannot create consumer {name}"), e))?;
        Ok(Consumer { inner: consumer, stream })
    }

    /// How many messages the stream holds past what the durable consumer `name` has
    /// acknowledged, and the stream's last sequence: read from the broker by name, so that it
    /// can be sampled beside a reader that is busy or waiting on the same consumer.
    pub async fn consumer_lag(&self, name: &str) -> Result<(u64, u64), BrokerError> {
        let stream = self
            .js
            .get_stream_no_info(&self.config.stream)
            .await
            .map_err(|e| err(&format!("cannot open stream {}", self.config.stream), e))?;
        let info =
            stream.consumer_info(name).await.map_err(|e| err("cannot read the consumer's state", e))?;
        let pending = info.num_pending + info.num_ack_pending as u64;
        // Read after the consumer, so that it counts at least the messages the consumer has.
        let stream = self
            .js
            .get_stream(&self.config.stream)
            .await
            .map_err(|e| err("cannot read the stream's state", e))?;
        Ok((pending, stream.cached_info().state.last_sequence))
    }

    /// The stream's first sequence (earlier messages have aged out).
    pub async fn first_sequence(&self) -> Result<u64, BrokerError> {
        let mut stream = self
            .js
            .get_stream(&self.config.stream)
            .await
            .map_err(|e| err(&format!("cannot open stream {}", self.config.stream), e))?;
        Ok(stream.info().await.map_err(|e| err("cannot read the stream's state", e))?.state.first_sequence)
    }
}

fn is_rejected(entry: &Entry) -> bool {
    matches!(entry.content, super::Content::Rejected(_))
}

/// `Nats-Msg-Id` of a keyed entry: the key's scope and the key, each length-prefixed so that
/// no two different scopes make the same id.
fn message_id(entry: &Entry, key: &str) -> String {
    let parts = [&*entry.workspace, &entry.partner, entry.mapping_type.as_str(), &entry.config_name, key];
    let mut id = String::with_capacity(parts.iter().map(|p| p.len() + 4).sum());
    for part in parts {
        id.push_str(&part.len().to_string());
        id.push(':');
        id.push_str(part);
    }
    id
}

/// What the stream did with an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Appended {
    /// Stored at `sequence`.
    Stored {
        /// The stream sequence.
        sequence: u64,
    },
    /// A message with the same idempotency key is in the stream's duplicate window: nothing was
    /// stored, and this is the id of the request that first used the key.
    Duplicate {
        /// The first request's id.
        request_id: String,
    },
}

/// Why an entry was not appended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppendError {
    /// The broker is unreachable or did not acknowledge in time: try again later (503). The
    /// message may or may not have been stored; a retry with the same idempotency key is safe.
    Unavailable(String),
    /// Anything else (500).
    Failed(String),
}

impl std::fmt::Display for AppendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AppendError::Unavailable(m) => write!(f, "broker unavailable: {m}"),
            AppendError::Failed(m) => f.write_str(m),
        }
    }
}

/// A durable pull consumer of the stream.
#[derive(Debug)]
pub struct Consumer {
    inner: consumer::Consumer<consumer::pull::Config>,
    stream: stream::Stream,
}

/// One message read by a [`Consumer`]: its stream sequence and its entry, or why the entry
/// cannot be read.
#[derive(Debug)]
pub struct Read {
    /// The stream sequence.
    pub sequence: u64,
    /// The entry.
    pub entry: Result<Entry, DecodeError>,
}

impl Consumer {
    /// Up to `max` messages, waiting at most `wait` for the first, each with the handle that
    /// acknowledges it and every earlier one.
    pub async fn fetch(&mut self, max: usize, wait: Duration) -> Result<Vec<(Read, Ack)>, BrokerError> {
        let mut batch = self
            .inner
            .fetch()
            .max_messages(max)
            .expires(wait)
            .messages()
            .await
            .map_err(|e| err("cannot fetch from the stream", e))?;
        let mut reads = Vec::new();
        while let Some(message) = batch.next().await {
            let message = message.map_err(|e| err("cannot read from the stream", e))?;
            let sequence =
                message.info().map_err(|e| err("a message without stream info", e))?.stream_sequence;
            let entry = encoding::decode(&message.payload);
            reads.push((Read { sequence, entry }, Ack(message)));
        }
        Ok(reads)
    }

    /// How many messages the stream holds past what this consumer has acknowledged, and the
    /// stream's last sequence.
    pub async fn lag(&mut self) -> Result<(u64, u64), BrokerError> {
        let info = self.inner.info().await.map_err(|e| err("cannot read the consumer's state", e))?;
        let pending = info.num_pending + info.num_ack_pending as u64;
        let last = self
            .stream
            .info()
            .await
            .map_err(|e| err("cannot read the stream's state", e))?
            .state
            .last_sequence;
        Ok((pending, last))
    }
}

/// Acknowledges a message and, the consumers' ack policy being "all", every earlier one.
#[derive(Debug)]
pub struct Ack(jetstream::Message);

impl Ack {
    /// Sends the acknowledgement and waits for the server to confirm it, so a confirmed ack is
    /// never redelivered.
    pub async fn send(self) -> Result<(), BrokerError> {
        self.0.double_ack().await.map_err(|e| err("cannot acknowledge", e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_tokens() {
        assert!(valid_subject_token("demo-1_A"));
        for bad in ["", "a.b", "a*", ">", "a b", "a\tb"] {
            assert!(!valid_subject_token(bad), "{bad:?}");
        }
        assert_eq!(subject("demo"), "hookmap.accepted.demo");
    }

    #[test]
    fn message_ids_do_not_collide_across_scopes() {
        let entry = |partner: &str, config: &str| Entry {
            request_id: "r".into(),
            workspace: "w".into(),
            partner: partner.into(),
            mapping_type: hookmap::MappingType::Events,
            config_name: config.into(),
            received_at_ms: 0,
            idempotency_key: None,
            content: super::super::Content::Records(Vec::new()),
        };
        assert_ne!(message_id(&entry("a:b", "c"), "k"), message_id(&entry("a", "b:c"), "k"));
        assert_eq!(message_id(&entry("p", "c"), "k"), "1:w1:p6:events1:c1:k");
    }
}
