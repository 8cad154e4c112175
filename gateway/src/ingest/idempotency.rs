//! Which key, if any, makes a request a repeat of an earlier one.
//!
//! The key comes from the `Idempotency-Key` header or, for a config that names one in the
//! gateway config, from a body field. Keys are scoped per workspace, partner and config (by the
//! store), and remembered for a window. The check itself runs in the writer, inside the
//! transaction, so two concurrent requests with one key cannot both be imported.

use axum::http::HeaderMap;

/// The header carrying the key.
pub const HEADER: &str = "idempotency-key";

/// Longest key accepted.
pub const MAX_KEY_LEN: usize = 255;

/// Why a request's key cannot be used.
#[derive(Debug, PartialEq, Eq)]
pub struct InvalidKey(pub &'static str);

/// The request's idempotency key: the header if present, else the body field at `pointer`
/// (a string as is, any other non-null JSON value as its JSON text). A body that is not JSON,
/// or lacks the field, has no key; the mapper reports what is wrong with it.
pub fn key(headers: &HeaderMap, body: &[u8], pointer: Option<&str>) -> Result<Option<String>, InvalidKey> {
    if let Some(value) = headers.get(HEADER) {
        let key = value.to_str().map_err(|_| InvalidKey("Idempotency-Key must be visible ASCII"))?.trim();
        return check(key).map(|k| Some(k.to_owned()));
    }
    let Some(pointer) = pointer else { return Ok(None) };
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) else { return Ok(None) };
    let key = match json.pointer(pointer) {
        None | Some(serde_json::Value::Null) => return Ok(None),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    check(&key).map(|k| Some(k.to_owned()))
}

fn check(key: &str) -> Result<&str, InvalidKey> {
    if key.is_empty() {
        return Err(InvalidKey("the idempotency key is empty"));
    }
    if key.len() > MAX_KEY_LEN {
        return Err(InvalidKey("the idempotency key is longer than 255 bytes"));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(key: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(k) = key {
            h.insert(HEADER, k.parse().unwrap());
        }
        h
    }

    #[test]
    fn header_wins_over_body() {
        let body = br#"{"id": "from-body"}"#;
        assert_eq!(key(&headers(Some("h1")), body, Some("/id")), Ok(Some("h1".into())));
        assert_eq!(key(&headers(None), body, Some("/id")), Ok(Some("from-body".into())));
        assert_eq!(key(&headers(None), body, None), Ok(None));
    }

    #[test]
    fn body_field_forms() {
        let h = headers(None);
        assert_eq!(key(&h, br#"{"id": 42}"#, Some("/id")), Ok(Some("42".into())));
        assert_eq!(key(&h, br#"{"a": {"b": "x"}}"#, Some("/a/b")), Ok(Some("x".into())));
        assert_eq!(key(&h, br#"{"id": null}"#, Some("/id")), Ok(None));
        assert_eq!(key(&h, br#"{"other": 1}"#, Some("/id")), Ok(None));
        assert_eq!(key(&h, b"not json", Some("/id")), Ok(None));
        assert!(key(&h, br#"{"id": ""}"#, Some("/id")).is_err());
    }

    #[test]
    fn refuses_bad_headers() {
        assert!(key(&headers(Some(" ")), b"{}", None).is_err());
        assert!(key(&headers(Some(&"k".repeat(256))), b"{}", None).is_err());
    }
}
