//! The gateway's settings: a JSON file, with credentials also taken from the environment.
//!
//! JSON rather than TOML because the project already depends on serde_json and the mapper files
//! are JSON too; one format to learn, one parser to build.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::Deserialize;

/// Environment variable naming a workspace id (used with [`ENV_API_KEY`]).
pub const ENV_WORKSPACE_ID: &str = "HOOKMAP_WORKSPACE_ID";
/// Environment variable holding the Data API key of [`ENV_WORKSPACE_ID`].
pub const ENV_API_KEY: &str = "HOOKMAP_API_KEY";

/// Everything the gateway can be told. Every field has a default, so `{}` is a valid file.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The workspaces allowed to send, with their keys.
    pub workspaces: Vec<WorkspaceConfig>,
    /// The request rate each workspace gets unless it sets its own.
    pub rate_limit: RateLimit,
    /// Repeated-request detection.
    pub idempotency: IdempotencyConfig,
    /// Largest request body accepted; larger ones get 413.
    pub max_body_bytes: usize,
    /// How long a request body may take to arrive; a slower one gets 408. Without a bound a
    /// stalled sender would hold its connection, and a graceful shutdown, forever.
    pub body_timeout_seconds: u64,
    /// Group commit.
    pub writer: WriterConfig,
    /// Threads serving HTTP; by default one less than the cores (at least one), so the writer
    /// thread, which every acknowledgement waits for, has a core to itself. Measured on 2
    /// cores: 2 HTTP threads starve the writer and halve the acknowledged rate.
    pub http_threads: Option<usize>,
    /// Broker mode: the JetStream stream that is the log (see `docs/deployment.md`). Absent, the
    /// gateway imports into its SQLite file itself.
    pub broker: Option<BrokerConfig>,
    /// Partners that sign their requests instead of sending Basic credentials.
    pub signed: Vec<crate::ingest::signature::SignedConfig>,
    /// Where the operational endpoints listen and the token they require.
    pub ops: crate::ops::OpsConfig,
    /// Connection limits of the HTTP server.
    pub limits: crate::listen::Limits,
}

/// Where the broker is and how its stream is set up.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct BrokerConfig {
    /// The NATS server(s), such as `nats://127.0.0.1:4222` (several comma-separated).
    pub url: String,
    /// The stream's name.
    pub stream: String,
    /// Copies of each message, on as many servers: 1 for one server, 3 for a cluster.
    pub replicas: usize,
    /// How long messages are kept whether or not every consumer has read them.
    pub max_age_seconds: u64,
    /// The most bytes the stream holds; when full, new requests get 503.
    pub max_bytes: Option<u64>,
    /// How long an idempotency key is remembered by the stream. Defaults to
    /// `idempotency.window_seconds`.
    pub duplicate_window_seconds: u64,
    /// How long a webhook waits for the stream's acknowledgement before it gets 503.
    pub ack_timeout_ms: u64,
    /// Share each workspace's rate limit among the live gateways (counted through the broker).
    pub share_rate_limits: bool,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        BrokerConfig {
            url: String::new(),
            stream: "HOOKMAP".into(),
            replicas: 1,
            max_age_seconds: 7 * 24 * 60 * 60,
            max_bytes: None,
            // 0: take the idempotency window (see Config::validate).
            duplicate_window_seconds: 0,
            ack_timeout_ms: 2_000,
            share_rate_limits: true,
        }
    }
}

impl BrokerConfig {
    /// [`BrokerConfig::ack_timeout_ms`] as a duration.
    pub fn ack_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.ack_timeout_ms)
    }
}

/// One workspace: its id (the Basic-auth user name) and Data API key (the password).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceConfig {
    /// Workspace id.
    pub id: String,
    /// Data API key.
    pub key: String,
    /// This workspace's own rate, instead of the global one.
    #[serde(default)]
    pub rate_limit: Option<RateLimit>,
    /// Where this workspace's records are forwarded (MoEngage's Data API); none keeps them in
    /// the gateway only. See `docs/delivery.md`.
    #[serde(default)]
    pub destination: Option<DestinationConfig>,
}

/// A Data API to forward a workspace's records to.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DestinationConfig {
    /// The data center's base URL, such as `http://api-01.moengage.com` (a `/v1` suffix is
    /// accepted); overridable for tests. Plain HTTP only, see `docs/delivery.md`.
    pub url: String,
    /// The MoEngage workspace id (the Data API's Basic-auth user name); defaults to the
    /// gateway workspace's id.
    #[serde(default)]
    pub workspace_id: Option<String>,
    /// Name of the environment variable holding the Data API key.
    #[serde(default)]
    pub key_env: Option<String>,
    /// File holding the Data API key (surrounding white space is ignored).
    #[serde(default)]
    pub key_file: Option<std::path::PathBuf>,
    /// Whether records are forwarded; `false` keeps the settings but queues nothing.
    #[serde(default = "enabled")]
    pub enabled: bool,
    /// Limits, retries and timeouts.
    #[serde(default)]
    pub limits: DeliveryLimits,
}

fn enabled() -> bool {
    true
}

/// How a destination is called.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeliveryLimits {
    /// Event items (actions) per minute; the Data API's bulk limit by default.
    pub events_per_minute: u64,
    /// User items (customer elements) per minute; the Data API's bulk limit by default.
    pub users_per_minute: u64,
    /// Calls made for one bulk call before its elements are dead-lettered (5xx, timeouts and
    /// connection errors count; 429 and a paused workspace do not).
    pub max_attempts: u32,
    /// First retry delay; doubled each attempt, with jitter, up to `backoff_max_ms`.
    pub backoff_base_ms: u64,
    /// Longest retry delay.
    pub backoff_max_ms: u64,
    /// A call with no complete answer within this is retried.
    pub timeout_ms: u64,
    /// After 401 or 403, how long the workspace's delivery pauses before trying again.
    pub pause_ms: u64,
    /// Log entries handled per batch (a crash re-sends at most one batch).
    pub batch_entries: usize,
}

impl Default for DeliveryLimits {
    fn default() -> Self {
        DeliveryLimits {
            events_per_minute: 60_000,
            users_per_minute: 60_000,
            max_attempts: 8,
            backoff_base_ms: 1_000,
            backoff_max_ms: 60_000,
            timeout_ms: 30_000,
            pause_ms: 60_000,
            batch_entries: 500,
        }
    }
}

// Hand-written so that a logged config never shows a key.
impl fmt::Debug for WorkspaceConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkspaceConfig")
            .field("id", &self.id)
            .field("key", &"<redacted>")
            .field("rate_limit", &self.rate_limit)
            .field("destination", &self.destination)
            .finish()
    }
}

/// A token bucket: `per_second` tokens a second, holding at most `burst`.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    /// Sustained requests per second.
    pub per_second: f64,
    /// Requests that may arrive at once after a quiet spell; defaults to one second's worth.
    #[serde(default)]
    pub burst: Option<f64>,
}

impl RateLimit {
    /// The bucket size.
    pub fn burst(&self) -> f64 {
        self.burst.unwrap_or(self.per_second).max(1.0)
    }
}

impl Default for RateLimit {
    /// 200 requests a second: the rate the webhook documentation recommends at most.
    fn default() -> Self {
        RateLimit { per_second: 200.0, burst: None }
    }
}

/// How repeats are recognised.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IdempotencyConfig {
    /// How long a key is remembered.
    pub window_seconds: u64,
    /// For each `config_name`, a JSON pointer (RFC 6901, such as `/id`) to a body field that
    /// serves as the idempotency key when the request has no `Idempotency-Key` header.
    pub body_pointers: BTreeMap<String, String>,
}

impl Default for IdempotencyConfig {
    fn default() -> Self {
        IdempotencyConfig { window_seconds: 24 * 60 * 60, body_pointers: BTreeMap::new() }
    }
}

/// Group commit settings.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WriterConfig {
    /// Most requests committed in one transaction.
    pub max_group: usize,
    /// Requests waiting for the writer before new ones wait for room (back-pressure).
    pub queue: usize,
}

impl Default for WriterConfig {
    fn default() -> Self {
        WriterConfig { max_group: 1024, queue: 8192 }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            workspaces: Vec::new(),
            rate_limit: RateLimit::default(),
            idempotency: IdempotencyConfig::default(),
            // "payloads up to 1 MB": 1 MiB, so that a payload of exactly 1 MB always fits.
            max_body_bytes: 1024 * 1024,
            body_timeout_seconds: 30,
            writer: WriterConfig::default(),
            http_threads: None,
            broker: None,
            signed: Vec::new(),
            ops: crate::ops::OpsConfig::default(),
            limits: crate::listen::Limits::default(),
        }
    }
}

/// Why the configuration cannot be used.
#[derive(Debug)]
pub struct ConfigError(String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

impl ConfigError {
    /// An error saying `message`.
    pub fn new(message: impl Into<String>) -> Self {
        ConfigError(message.into())
    }
}

impl Config {
    /// Reads a config file (JSON).
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read(path)
            .map_err(|e| ConfigError(format!("cannot read config file {}: {e}", path.display())))?;
        serde_json::from_slice(&text).map_err(|e| ConfigError(format!("config file {}: {e}", path.display())))
    }

    /// Adds (or replaces the key of) the workspace named by `HOOKMAP_WORKSPACE_ID` and
    /// `HOOKMAP_API_KEY`, read through `var` so tests need not touch the process environment.
    pub fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        match (var(ENV_WORKSPACE_ID), var(ENV_API_KEY)) {
            (Some(id), Some(key)) => {
                match self.workspaces.iter_mut().find(|w| w.id == id) {
                    Some(w) => w.key = key,
                    None => {
                        self.workspaces.push(WorkspaceConfig { id, key, rate_limit: None, destination: None })
                    }
                }
                Ok(())
            }
            (None, None) => Ok(()),
            _ => Err(ConfigError(format!("set both {ENV_WORKSPACE_ID} and {ENV_API_KEY}, or neither"))),
        }
    }

    /// How many threads serve HTTP (see [`Config::http_threads`]).
    pub fn http_threads(&self) -> usize {
        self.http_threads.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1)).max(1)
        })
    }

    /// Sets the broker's URL (the `--nats` flag), keeping the file's other broker settings.
    pub fn set_broker_url(&mut self, url: String) {
        self.broker.get_or_insert_with(BrokerConfig::default).url = url;
    }

    /// Checks what serde cannot: values in range, names unique, pointers well formed; fills
    /// the defaults that depend on other settings.
    pub fn validate(&mut self) -> Result<(), ConfigError> {
        if let Some(broker) = &mut self.broker {
            if broker.duplicate_window_seconds == 0 {
                broker.duplicate_window_seconds = self.idempotency.window_seconds;
            }
            if broker.url.is_empty() {
                return Err(ConfigError("broker.url is empty: give the NATS server's URL".into()));
            }
            if !(1..=5).contains(&broker.replicas) {
                return Err(ConfigError(format!("broker.replicas must be 1 to 5, not {}", broker.replicas)));
            }
            if !crate::log::jetstream::valid_subject_token(&broker.stream) {
                return Err(ConfigError(format!(
                    "broker.stream {:?} is not a valid stream name",
                    broker.stream
                )));
            }
            if broker.ack_timeout_ms == 0 || broker.max_age_seconds == 0 {
                return Err(ConfigError(
                    "broker.ack_timeout_ms and broker.max_age_seconds must be positive".into(),
                ));
            }
            for w in &self.workspaces {
                if !crate::log::jetstream::valid_subject_token(&w.id) {
                    return Err(ConfigError(format!(
                        "workspace id {:?} cannot name a broker subject: no '.', '*', '>' or spaces",
                        w.id
                    )));
                }
            }
        }
        self.validate_rest()
    }

    fn validate_rest(&self) -> Result<(), ConfigError> {
        let err = |m: String| Err(ConfigError(m));
        if self.workspaces.is_empty() {
            return err(format!(
                "no workspace configured: add one to the config file's \"workspaces\" or set \
                 {ENV_WORKSPACE_ID} and {ENV_API_KEY}"
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for w in &self.workspaces {
            if w.id.is_empty() || w.id.contains(':') {
                return err(format!("workspace id {:?} must be non-empty and contain no ':'", w.id));
            }
            if w.key.is_empty() {
                return err(format!("workspace {} has an empty key", w.id));
            }
            if !seen.insert(&w.id) {
                return err(format!("workspace {} is listed twice", w.id));
            }
            if let Some(d) = &w.destination {
                crate::delivery::validate_destination(d)
                    .map_err(|m| ConfigError(format!("workspace {}: {m}", w.id)))?;
            }
        }
        for limit in std::iter::once(&self.rate_limit)
            .chain(self.workspaces.iter().filter_map(|w| w.rate_limit.as_ref()))
        {
            if !(limit.per_second.is_finite() && limit.per_second > 0.0) {
                return err(format!(
                    "rate_limit.per_second must be a positive number, not {}",
                    limit.per_second
                ));
            }
            if let Some(b) = limit.burst
                && !(b.is_finite() && b >= 1.0)
            {
                return err(format!("rate_limit.burst must be at least 1, not {b}"));
            }
        }
        for (config_name, pointer) in &self.idempotency.body_pointers {
            if !pointer.starts_with('/') {
                return err(format!(
                    "idempotency.body_pointers.{config_name}: {pointer:?} is not a JSON pointer (it starts with '/')"
                ));
            }
        }
        if self.body_timeout_seconds == 0 {
            return err("body_timeout_seconds must be positive".into());
        }
        if self.max_body_bytes == 0 {
            return err("max_body_bytes must be positive".into());
        }
        if self.http_threads == Some(0) {
            return err("http_threads must be at least 1".into());
        }
        if self.writer.max_group == 0 || self.writer.queue == 0 {
            return err("writer.max_group and writer.queue must be positive".into());
        }
        self.limits.validate()?;
        self.ops.validate()?;
        Ok(())
    }
}
