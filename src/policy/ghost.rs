//! The ghost queue: hashes of keys recently evicted from the small queue.
//!
//! S3-FIFO admits a key straight into the main queue when it comes back
//! while its ghost is still remembered (it was evicted too early). Only a
//! 64-bit hash is kept, so a ghost costs about 24 bytes and no key copy; a
//! collision merely admits one key into the main queue early.

use std::collections::{HashMap, VecDeque};

/// A bounded FIFO set of key hashes.
///
/// ```
/// use edgecache::policy::Ghost;
/// let mut g = Ghost::new(2);
/// g.insert(1);
/// g.insert(2);
/// g.insert(3); // forgets 1
/// assert!(!g.contains(1) && g.contains(2) && g.contains(3));
/// ```
#[derive(Debug, Default)]
pub struct Ghost {
    order: VecDeque<u64>,
    // hash -> how many times it is in `order` (colliding or repeated hashes).
    members: HashMap<u64, u32>,
    capacity: usize,
}

impl Ghost {
    /// A ghost queue remembering at most `capacity` hashes.
    pub fn new(capacity: usize) -> Self {
        Self {
            order: VecDeque::new(),
            members: HashMap::new(),
            capacity,
        }
    }

    /// Remembers `hash`, forgetting the oldest one if full.
    pub fn insert(&mut self, hash: u64) {
        if self.capacity == 0 {
            return;
        }
        if self.order.len() >= self.capacity {
            if let Some(oldest) = self.order.pop_front() {
                if let Some(count) = self.members.get_mut(&oldest) {
                    *count -= 1;
                    if *count == 0 {
                        self.members.remove(&oldest);
                    }
                }
            }
        }
        self.order.push_back(hash);
        *self.members.entry(hash).or_insert(0) += 1;
    }

    /// True if `hash` is remembered.
    pub fn contains(&self, hash: u64) -> bool {
        self.members.contains_key(&hash)
    }

    /// Number of remembered hashes.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// True when nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// The most hashes remembered at once.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.order = VecDeque::new();
        self.members = HashMap::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_hashes_are_counted_until_every_copy_ages_out() {
        let mut g = Ghost::new(3);
        g.insert(7);
        g.insert(7);
        g.insert(1);
        g.insert(2); // drops the first 7
        assert!(g.contains(7));
        g.insert(3); // drops the second 7
        assert!(!g.contains(7));
        assert_eq!(g.len(), 3);
    }

    #[test]
    fn zero_capacity_remembers_nothing() {
        let mut g = Ghost::new(0);
        g.insert(1);
        assert!(!g.contains(1));
        assert!(g.is_empty());
    }
}
