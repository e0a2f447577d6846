//! The expiry index: entries ordered by their absolute expiry time.
//!
//! An ordered set of `(expires_at_ms, token)` gives the soonest-expiring entry
//! in O(log n), so the amortised sweep and "evict expired entries first"
//! never scan live entries. A timer wheel (moka's `timer_wheel.rs`) would make
//! insertion O(1), but needs a tick loop and buckets sized to the TTL range;
//! at browser and edge cache sizes the B-tree is simpler and fast enough.

use std::collections::BTreeSet;

use super::slab::Token;

/// Entries with an expiry, soonest first.
///
/// ```
/// use edgecache::policy::{ExpiryIndex, Token};
/// let (a, b) = (Token::from_index(0).unwrap(), Token::from_index(1).unwrap());
/// let mut idx = ExpiryIndex::default();
/// idx.insert(200, a);
/// idx.insert(100, b);
/// assert_eq!(idx.first_expired(150), Some((100, b)));
/// assert_eq!(idx.first_expired(99), None);
/// ```
#[derive(Debug, Default)]
pub struct ExpiryIndex {
    by_time: BTreeSet<(u64, Token)>,
}

impl ExpiryIndex {
    /// Records that `token` expires at `at_ms`.
    pub fn insert(&mut self, at_ms: u64, token: Token) {
        self.by_time.insert((at_ms, token));
    }

    /// Forgets `token`'s expiry (as recorded at `at_ms`).
    pub fn remove(&mut self, at_ms: u64, token: Token) -> bool {
        self.by_time.remove(&(at_ms, token))
    }

    /// The soonest-expiring entry if it has expired at `now_ms` (an entry
    /// expires at the instant `now_ms >= at_ms`).
    pub fn first_expired(&self, now_ms: u64) -> Option<(u64, Token)> {
        self.by_time
            .first()
            .copied()
            .filter(|&(at, _)| at <= now_ms)
    }

    /// Number of entries with an expiry.
    pub fn len(&self) -> usize {
        self.by_time.len()
    }

    /// True when no entry has an expiry.
    pub fn is_empty(&self) -> bool {
        self.by_time.is_empty()
    }

    /// True if `token` is recorded as expiring at `at_ms`.
    pub fn contains(&self, at_ms: u64, token: Token) -> bool {
        self.by_time.contains(&(at_ms, token))
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.by_time.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(i: u32) -> Token {
        Token::from_index(i).unwrap()
    }

    #[test]
    fn an_entry_expires_exactly_at_its_deadline() {
        let mut idx = ExpiryIndex::default();
        idx.insert(100, t(0));
        assert_eq!(idx.first_expired(99), None);
        assert_eq!(idx.first_expired(100), Some((100, t(0))));
    }

    #[test]
    fn equal_deadlines_are_kept_apart_by_token() {
        let mut idx = ExpiryIndex::default();
        idx.insert(5, t(1));
        idx.insert(5, t(0));
        assert_eq!(idx.len(), 2);
        assert!(idx.remove(5, t(0)));
        assert!(!idx.remove(5, t(0)));
        assert_eq!(idx.first_expired(5), Some((5, t(1))));
    }
}
