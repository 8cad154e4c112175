//! Signed webhooks: a partner that signs its requests with a shared secret instead of sending
//! Basic credentials.
//!
//! Each entry of the config's `signed` list names a partner (and optionally one config of it),
//! the workspace its requests belong to, a scheme, and one or more secrets. Several secrets
//! are tried in turn, so a rotation keeps the old one configured until the sender has switched.
//! Every comparison of a computed signature with a sent one is constant-time (`subtle`).
//!
//! Schemes, each as its vendor documents it:
//!
//! | scheme | header(s) | signed content | encoding |
//! |---|---|---|---|
//! | `standard_webhooks` | `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<sig> …` | `{id}.{timestamp}.{body}` | base64; secret `whsec_<base64 key>` |
//! | `stripe` | `Stripe-Signature: t=<ts>,v1=<sig>[,v1=…]` | `{t}.{body}` | hex; the secret as is |
//! | `shopify` | `X-Shopify-Hmac-Sha256` | body | base64 |
//! | `github` | `X-Hub-Signature-256: sha256=<sig>` | body | hex |
//! | `hmac_sha256` | `header`, optional `prefix`, optional `timestamp_header` | body, or `{timestamp}.{body}` | `hex` or `base64` |

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use axum::http::HeaderMap;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::config::ConfigError;

type HmacSha256 = Hmac<Sha256>;

/// Default replay window: a timestamp further than this from now is refused.
pub const DEFAULT_TOLERANCE_SECONDS: u64 = 300;

/// One signed partner, as configured.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedConfig {
    /// The partner name in the URL (`/v1/partner/{partner}/…`).
    pub partner: String,
    /// Only this config of the partner; all of its configs when absent.
    #[serde(default)]
    pub config_name: Option<String>,
    /// The workspace the partner's requests are stored in (one of `workspaces`): a signed
    /// request carries no Basic credentials to name it.
    pub workspace: String,
    /// How the requests are signed.
    pub scheme: SchemeConfig,
    /// The secrets, tried in turn (several during a rotation).
    pub secrets: Vec<SecretSource>,
    /// How far a signed timestamp may be from now, in seconds (schemes with a timestamp).
    #[serde(default = "default_tolerance")]
    pub tolerance_seconds: u64,
}

fn default_tolerance() -> u64 {
    DEFAULT_TOLERANCE_SECONDS
}

/// Where a secret is read from; secrets are never written inline in the config file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum SecretSource {
    /// An environment variable.
    Env(String),
    /// A file; one trailing newline is ignored.
    File(PathBuf),
}

impl SecretSource {
    /// The secret's text.
    pub fn read(&self, var: &dyn Fn(&str) -> Option<String>) -> Result<Secret, ConfigError> {
        let text = match self {
            SecretSource::Env(name) => var(name)
                .ok_or_else(|| ConfigError::new(format!("environment variable {name} is not set")))?,
            SecretSource::File(path) => std::fs::read_to_string(path)
                .map_err(|e| ConfigError::new(format!("cannot read secret file {}: {e}", path.display())))?,
        };
        let text = text.strip_suffix('\n').unwrap_or(&text);
        let text = text.strip_suffix('\r').unwrap_or(text);
        if text.is_empty() {
            return Err(ConfigError::new(format!("the secret from {self:?} is empty")));
        }
        Ok(Secret(text.as_bytes().into()))
    }
}

/// Secret bytes; a debug print shows none of them.
#[derive(Clone)]
pub struct Secret(Box<[u8]>);

impl Secret {
    /// The bytes.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// The signing scheme.
#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SchemeConfig {
    /// <https://www.standardwebhooks.com/>.
    StandardWebhooks,
    /// Stripe's `Stripe-Signature`.
    Stripe,
    /// Shopify's `X-Shopify-Hmac-Sha256`.
    Shopify,
    /// GitHub's `X-Hub-Signature-256`.
    Github,
    /// HMAC-SHA256 in a header of the config's choosing.
    HmacSha256 {
        /// The header carrying the signature.
        header: String,
        /// `hex` or `base64`.
        encoding: Encoding,
        /// Text before the signature in the header, such as `sha256=`.
        #[serde(default)]
        prefix: Option<String>,
        /// A header with the time of signing in Unix seconds; when set, the signed content is
        /// `{timestamp}.{body}` and the timestamp must be within the tolerance.
        #[serde(default)]
        timestamp_header: Option<String>,
    },
}

/// How a signature is written.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// Lower- or upper-case hex.
    Hex,
    /// Standard base64 with padding.
    Base64,
}

/// Why a signed request was refused (the `reason` label of the metric).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// A header the scheme needs is absent.
    MissingHeader,
    /// A header is there but cannot be parsed.
    BadFormat,
    /// No configured secret gives the sent signature.
    Mismatch,
    /// The signature is right but its timestamp is outside the tolerance (a replay).
    StaleTimestamp,
}

impl Failure {
    /// Every reason, in the metric's order.
    pub const ALL: [Failure; 4] =
        [Failure::MissingHeader, Failure::BadFormat, Failure::Mismatch, Failure::StaleTimestamp];

    /// The metric label.
    pub fn label(self) -> &'static str {
        match self {
            Failure::MissingHeader => "missing_header",
            Failure::BadFormat => "bad_format",
            Failure::Mismatch => "mismatch",
            Failure::StaleTimestamp => "stale_timestamp",
        }
    }
}

/// A signed partner, ready to verify.
#[derive(Debug)]
pub struct Verifier {
    partner: String,
    config_name: Option<String>,
    workspace: Arc<str>,
    scheme: SchemeConfig,
    keys: Vec<Secret>,
    tolerance_secs: i64,
}

/// The signed partners.
#[derive(Debug, Default)]
pub struct Signatures {
    verifiers: Vec<Verifier>,
}

impl Signatures {
    /// Reads the secrets of `configs` (through `var` for environment variables) and checks
    /// that each names a known workspace.
    pub fn new(
        configs: &[SignedConfig],
        workspaces: &[&str],
        var: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Signatures, ConfigError> {
        let mut verifiers = Vec::with_capacity(configs.len());
        for c in configs {
            let what = match &c.config_name {
                Some(config) => format!("signed partner {} (config {config})", c.partner),
                None => format!("signed partner {}", c.partner),
            };
            let Some(workspace) = workspaces.iter().find(|w| **w == c.workspace) else {
                return Err(ConfigError::new(format!("{what}: unknown workspace {:?}", c.workspace)));
            };
            if c.secrets.is_empty() {
                return Err(ConfigError::new(format!("{what}: no secrets")));
            }
            if verifiers.iter().any(|v: &Verifier| v.partner == c.partner && v.config_name == c.config_name) {
                return Err(ConfigError::new(format!("{what} is listed twice")));
            }
            if let SchemeConfig::HmacSha256 { header, timestamp_header, .. } = &c.scheme {
                for h in std::iter::once(header).chain(timestamp_header) {
                    if axum::http::HeaderName::from_bytes(h.as_bytes()).is_err() {
                        return Err(ConfigError::new(format!("{what}: {h:?} is not a header name")));
                    }
                }
            }
            let mut keys = Vec::with_capacity(c.secrets.len());
            for source in &c.secrets {
                let secret = source.read(var).map_err(|e| ConfigError::new(format!("{what}: {e}")))?;
                keys.push(match c.scheme {
                    SchemeConfig::StandardWebhooks => standard_webhooks_key(&secret)
                        .ok_or_else(|| {
                            ConfigError::new(format!(
                                "{what}: a Standard Webhooks secret is whsec_ followed by base64 (from {source:?})"
                            ))
                        })?,
                    _ => secret,
                });
            }
            verifiers.push(Verifier {
                partner: c.partner.clone(),
                config_name: c.config_name.clone(),
                workspace: (*workspace).into(),
                scheme: c.scheme.clone(),
                keys,
                tolerance_secs: i64::try_from(c.tolerance_seconds).unwrap_or(i64::MAX),
            });
        }
        Ok(Signatures { verifiers })
    }

    /// The verifier for a request to `partner` with `config_name`: one for that config, else
    /// one for the whole partner.
    pub fn find(&self, partner: &str, config_name: Option<&str>) -> Option<&Verifier> {
        let exact = self.verifiers.iter().find(|v| {
            v.partner == partner && v.config_name.is_some() && v.config_name.as_deref() == config_name
        });
        exact.or_else(|| self.verifiers.iter().find(|v| v.partner == partner && v.config_name.is_none()))
    }
}

/// `whsec_<base64>` → the key bytes (the prefix is optional, as in the reference libraries).
fn standard_webhooks_key(secret: &Secret) -> Option<Secret> {
    let text = std::str::from_utf8(secret.expose()).ok()?;
    let encoded = text.strip_prefix("whsec_").unwrap_or(text);
    let key = base64::engine::general_purpose::STANDARD.decode(encoded).ok()?;
    (!key.is_empty()).then(|| Secret(key.into()))
}

impl Verifier {
    /// The workspace this partner's requests belong to.
    pub fn workspace(&self) -> &Arc<str> {
        &self.workspace
    }

    /// Checks the request's signature over `body` at `now_secs` (Unix seconds).
    pub fn verify(&self, headers: &HeaderMap, body: &[u8], now_secs: i64) -> Result<(), Failure> {
        match &self.scheme {
            SchemeConfig::StandardWebhooks => {
                let id = header(headers, "webhook-id")?;
                let ts_text = header(headers, "webhook-timestamp")?;
                let ts = parse_ts(ts_text)?;
                let sent: Vec<Vec<u8>> = header(headers, "webhook-signature")?
                    .split_whitespace()
                    .filter_map(|entry| entry.strip_prefix("v1,"))
                    .filter_map(|sig| base64::engine::general_purpose::STANDARD.decode(sig).ok())
                    .collect();
                if sent.is_empty() {
                    return Err(Failure::BadFormat);
                }
                self.check(&[id.as_bytes(), b".", ts_text.as_bytes(), b".", body], &sent)?;
                self.fresh(ts, now_secs)
            }
            SchemeConfig::Stripe => {
                let value = header(headers, "stripe-signature")?;
                let mut t = None;
                let mut sent = Vec::new();
                for item in value.split(',') {
                    match item.trim().split_once('=') {
                        Some(("t", v)) => t = Some(v),
                        Some(("v1", v)) => sent.extend(decode_hex(v)),
                        _ => {}
                    }
                }
                let Some(t) = t else { return Err(Failure::BadFormat) };
                let ts = parse_ts(t)?;
                if sent.is_empty() {
                    return Err(Failure::BadFormat);
                }
                self.check(&[t.as_bytes(), b".", body], &sent)?;
                self.fresh(ts, now_secs)
            }
            SchemeConfig::Shopify => {
                let sent = base64::engine::general_purpose::STANDARD
                    .decode(header(headers, "x-shopify-hmac-sha256")?.trim())
                    .map_err(|_| Failure::BadFormat)?;
                self.check(&[body], &[sent])
            }
            SchemeConfig::Github => {
                let value = header(headers, "x-hub-signature-256")?;
                let hex = value.trim().strip_prefix("sha256=").ok_or(Failure::BadFormat)?;
                let sent = decode_hex(hex).ok_or(Failure::BadFormat)?;
                self.check(&[body], &[sent])
            }
            SchemeConfig::HmacSha256 { header: name, encoding, prefix, timestamp_header } => {
                let value = header(headers, name)?.trim();
                let value = match prefix {
                    Some(prefix) => value.strip_prefix(prefix.as_str()).ok_or(Failure::BadFormat)?,
                    None => value,
                };
                let sent = match encoding {
                    Encoding::Hex => decode_hex(value),
                    Encoding::Base64 => base64::engine::general_purpose::STANDARD.decode(value).ok(),
                }
                .ok_or(Failure::BadFormat)?;
                match timestamp_header {
                    None => self.check(&[body], &[sent]),
                    Some(ts_name) => {
                        let ts_text = header(headers, ts_name)?.trim();
                        let ts = parse_ts(ts_text)?;
                        self.check(&[ts_text.as_bytes(), b".", body], &[sent])?;
                        self.fresh(ts, now_secs)
                    }
                }
            }
        }
    }

    /// Whether some key's HMAC of `parts` (concatenated) equals some sent signature; every
    /// comparison runs in constant time.
    fn check(&self, parts: &[&[u8]], sent: &[Vec<u8>]) -> Result<(), Failure> {
        let mut ok = subtle::Choice::from(0);
        for key in &self.keys {
            let Ok(mut mac) = HmacSha256::new_from_slice(key.expose()) else { continue };
            for part in parts {
                mac.update(part);
            }
            let tag = mac.finalize().into_bytes();
            for candidate in sent {
                // ct_eq of slices of different lengths is false (and says only the length).
                ok |= tag.as_slice().ct_eq(candidate);
            }
        }
        if bool::from(ok) { Ok(()) } else { Err(Failure::Mismatch) }
    }

    fn fresh(&self, ts: i64, now_secs: i64) -> Result<(), Failure> {
        if now_secs.abs_diff(ts) > self.tolerance_secs.unsigned_abs() {
            Err(Failure::StaleTimestamp)
        } else {
            Ok(())
        }
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Result<&'a str, Failure> {
    let value = headers.get(name).ok_or(Failure::MissingHeader)?;
    value.to_str().map_err(|_| Failure::BadFormat)
}

fn parse_ts(text: &str) -> Result<i64, Failure> {
    text.trim().parse::<i64>().map_err(|_| Failure::BadFormat)
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    let text = text.trim().as_bytes();
    if text.is_empty() || !text.len().is_multiple_of(2) {
        return None;
    }
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    text.chunks(2).map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_show_in_debug() {
        let s = Secret(b"hunter2".as_slice().into());
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
    }

    #[test]
    fn hex_round_trip() {
        assert_eq!(decode_hex("00ff7A"), Some(vec![0, 255, 0x7a]));
        assert_eq!(decode_hex("0"), None);
        assert_eq!(decode_hex("zz"), None);
    }
}
