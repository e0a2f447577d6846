//! The ghost queue: hashes of keys recently evicted from the small queue.
//!
//! S3-FIFO admits a key straight into the main queue when it comes back
//! while its ghost is still remembered (it was evicted too early). Only a
//! 64-bit hash is kept, so a ghost costs about 24 bytes and no key copy; a
//! collision merely admits one key into the main queue early.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, Hasher, RandomState};

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
    members: HashMap<u64, u32, Remix>,
    capacity: usize,
}

impl Ghost {
    /// A ghost queue remembering at most `capacity` hashes.
    pub fn new(capacity: usize) -> Self {
        Self {
            order: VecDeque::new(),
            members: HashMap::default(),
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
                if let Entry::Occupied(mut count) = self.members.entry(oldest) {
                    *count.get_mut() -= 1;
                    if *count.get() == 0 {
                        count.remove();
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
        self.members = HashMap::default();
    }
}

/// Spreads the ghost's keys over its table. They are already hashes of the
/// callers' keys (SipHash with random keys in `MemoryBackend`, seeded FNV-1a
/// in JavaScript), so one folded multiply with random keys (the mixing step
/// of foldhash, hashbrown's default) spreads them as well as std's SipHash,
/// which cost a third of an evicting insert (three hashes per eviction).
/// Equal hashes stay equal, and are counted in one member, as before.
#[derive(Clone, Debug)]
struct Remix {
    k0: u64,
    k1: u64,
}

impl Default for Remix {
    fn default() -> Self {
        let random = RandomState::new();
        Self {
            k0: random.hash_one(0_u64),
            k1: random.hash_one(1_u64) | 1,
        }
    }
}

impl BuildHasher for Remix {
    type Hasher = RemixHasher;
    fn build_hasher(&self) -> RemixHasher {
        RemixHasher {
            k0: self.k0,
            k1: self.k1,
            h: 0,
        }
    }
}

struct RemixHasher {
    k0: u64,
    k1: u64,
    h: u64,
}

impl Hasher for RemixHasher {
    fn write_u64(&mut self, x: u64) {
        let product = u128::from(self.h ^ x ^ self.k0) * u128::from(self.k1);
        self.h = (product as u64) ^ ((product >> 64) as u64);
    }

    // Only u64s are hashed here; any other input goes 8 bytes at a time.
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0_u8; 8];
            word.iter_mut().zip(chunk).for_each(|(w, b)| *w = *b);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn finish(&self) -> u64 {
        self.h
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
    fn remembers_many_hashes_exactly() {
        let mut g = Ghost::new(1_000);
        let hashes: Vec<u64> = (0..2_000_u64)
            .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15))
            .collect();
        for &h in &hashes {
            g.insert(h);
        }
        assert_eq!(g.len(), 1_000);
        assert!(hashes[..1_000].iter().all(|&h| !g.contains(h)));
        assert!(hashes[1_000..].iter().all(|&h| g.contains(h)));
        assert_eq!(g.members.len(), 1_000);
    }

    #[test]
    fn zero_capacity_remembers_nothing() {
        let mut g = Ghost::new(0);
        g.insert(1);
        assert!(!g.contains(1));
        assert!(g.is_empty());
    }
}
