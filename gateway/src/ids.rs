//! Request ids: short, lowercase, unique across restarts, and increasing with time.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// Makes request ids: 9 base32 characters of the time in milliseconds, then 4 of a counter.
///
/// Why time first: the store keys its request rows by id, and ids that increase append to one
/// B-tree page instead of dirtying a random page per request, which is most of the cost of a
/// group commit. The counter starts at a random point per process (from `RandomState`'s key),
/// so two processes in the same millisecond clash with a 2^-20 chance per request; the store's
/// primary key refuses a clash (that request gets a 500) rather than mixing two requests.
/// Ids are only meaningful to the authenticated workspace that received them.
#[derive(Debug)]
pub struct RequestIds {
    counter: AtomicU64,
}

impl Default for RequestIds {
    fn default() -> Self {
        RequestIds { counter: AtomicU64::new(RandomState::new().hash_one(0u8)) }
    }
}

impl RequestIds {
    /// A new id, 13 characters.
    pub fn next(&self) -> String {
        let n = self.counter.fetch_add(1, Relaxed);
        encode(crate::now_ms() as u64, n)
    }
}

fn encode(ms: u64, n: u64) -> String {
    let mut id = String::with_capacity(13);
    for shift in (0..9).rev() {
        id.push(ALPHABET[((ms >> (shift * 5)) & 31) as usize] as char);
    }
    for shift in (0..4).rev() {
        id.push(ALPHABET[((n >> (shift * 5)) & 31) as usize] as char);
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_distinct_url_safe_and_increase_with_time() {
        let ids = RequestIds::default();
        let all: std::collections::HashSet<String> = (0..10_000).map(|_| ids.next()).collect();
        assert_eq!(all.len(), 10_000);
        assert!(all.iter().all(|id| id.len() == 13 && id.bytes().all(|b| ALPHABET.contains(&b))));
        assert!(encode(1_000, 5) < encode(1_001, 0));
        assert!(encode(1_704_067_200_000, 0) < encode(1_704_067_200_001, 0));
    }
}
