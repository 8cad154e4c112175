//! HTTP Basic authentication: workspace id as user name, Data API key as password.

use std::collections::HashMap;
use std::sync::Arc;

use axum::http::HeaderValue;
use base64::Engine as _;
use subtle::ConstantTimeEq;

use crate::config::WorkspaceConfig;

/// The known workspaces and their keys.
#[derive(Debug)]
pub struct Credentials {
    keys: HashMap<String, Workspace>,
}

struct Workspace {
    id: Arc<str>,
    key: Box<[u8]>,
}

// Hand-written so that a debug print never shows a key.
impl std::fmt::Debug for Workspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workspace").field("id", &self.id).finish_non_exhaustive()
    }
}

impl Credentials {
    /// The credentials of `workspaces`.
    pub fn new(workspaces: &[WorkspaceConfig]) -> Self {
        let keys = workspaces
            .iter()
            .map(|w| (w.id.clone(), Workspace { id: w.id.as_str().into(), key: w.key.as_bytes().into() }))
            .collect();
        Credentials { keys }
    }

    /// The workspace an `Authorization` header proves, or `None` when the header is missing,
    /// is not Basic, or names an unknown workspace or a wrong key (one answer for all: a caller
    /// learns nothing about which part was wrong).
    pub fn authenticate(&self, header: Option<&HeaderValue>) -> Option<Arc<str>> {
        let (id, key) = parse_basic(header?)?;
        // The key is compared in constant time so its bytes cannot be found by timing. The
        // workspace id is the public half (it is in every sender's webhook settings), so an
        // ordinary map lookup by it gives nothing away.
        let workspace = self.keys.get(&id)?;
        bool::from(workspace.key.ct_eq(key.as_bytes())).then(|| workspace.id.clone())
    }
}

/// Splits `Basic base64(id:key)` into id and key.
fn parse_basic(header: &HeaderValue) -> Option<(String, String)> {
    let header = header.to_str().ok()?;
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    // RFC 7617: the user id cannot contain a colon, the password can.
    let (id, key) = decoded.split_once(':')?;
    Some((id.to_owned(), key.to_owned()))
}

/// The `Authorization` header value for `id` and `key` (used by clients and tests).
pub fn basic_header(id: &str, key: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{id}:{key}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> Credentials {
        Credentials::new(&[WorkspaceConfig {
            id: "ws1".into(),
            key: "k:ey".into(),
            rate_limit: None,
            destination: None,
        }])
    }

    fn check(value: &str) -> Option<Arc<str>> {
        creds().authenticate(Some(&HeaderValue::from_str(value).unwrap()))
    }

    #[test]
    fn accepts_the_right_key_only() {
        assert_eq!(check(&basic_header("ws1", "k:ey")).as_deref(), Some("ws1"));
        assert_eq!(check(&basic_header("ws1", "k:ez")), None);
        assert_eq!(check(&basic_header("ws2", "k:ey")), None);
        assert_eq!(check(&basic_header("ws1", "")), None);
        assert_eq!(check("Bearer abc"), None);
        assert_eq!(check("Basic !!!"), None);
        assert_eq!(creds().authenticate(None), None);
    }

    #[test]
    fn scheme_is_case_insensitive() {
        let h = basic_header("ws1", "k:ey").replace("Basic", "basic");
        assert_eq!(check(&h).as_deref(), Some("ws1"));
    }
}
