//! Request ids: short, lowercase, unique across restarts.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// Makes request ids.
///
/// Each id is a keyed hash (SipHash with a random key per process, from `RandomState`) of a
/// counter: ids of one process never repeat and do not show how many requests came before;
/// across restarts the new key makes a clash a 2^-64 chance, and the store's primary key would
/// refuse one rather than mix two requests.
#[derive(Debug, Default)]
pub struct RequestIds {
    key: RandomState,
    counter: AtomicU64,
}

impl RequestIds {
    /// A new id: 13 characters of Crockford-style base32.
    pub fn next(&self) -> String {
        let mut n = self.key.hash_one(self.counter.fetch_add(1, Relaxed));
        let mut id = String::with_capacity(13);
        for _ in 0..13 {
            id.push(ALPHABET[(n & 31) as usize] as char);
            n >>= 5;
        }
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_distinct_and_url_safe() {
        let ids = RequestIds::default();
        let all: std::collections::HashSet<String> = (0..10_000).map(|_| ids.next()).collect();
        assert_eq!(all.len(), 10_000);
        assert!(all.iter().all(|id| id.len() == 13 && id.bytes().all(|b| ALPHABET.contains(&b))));
    }
}
