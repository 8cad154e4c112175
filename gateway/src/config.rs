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
    /// Partners that sign their requests instead of sending Basic credentials.
    pub signed: Vec<crate::ingest::signature::SignedConfig>,
    /// Where the operational endpoints listen and the token they require.
    pub ops: crate::ops::OpsConfig,
    /// Connection limits of the HTTP server.
    pub limits: crate::listen::Limits,
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
}

// Hand-written so that a logged config never shows a key.
impl fmt::Debug for WorkspaceConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkspaceConfig")
            .field("id", &self.id)
            .field("key", &"<redacted>")
            .field("rate_limit", &self.rate_limit)
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
                    None => self.workspaces.push(WorkspaceConfig { id, key, rate_limit: None }),
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

    /// Checks what serde cannot: values in range, names unique, pointers well formed.
    pub fn validate(&self) -> Result<(), ConfigError> {
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
