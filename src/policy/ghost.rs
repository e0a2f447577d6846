//! The ghost queue: hashes of keys recently evicted.
//!
//! S3-FIFO admits a key straight into the main queue when it comes back
//! while its ghost is still remembered (it was evicted too early). Only a
//! 32-bit fingerprint of the key's hash is kept, so no key copy; a
//! collision merely admits one key into the main queue early.
//!
//! Written by hand rather than as a `HashMap` plus a FIFO of hashes (as it
//! was, and as no crate offers better): remembering a hash cost a FIFO
//! push, a map insert, and a map lookup and removal for the hash that aged
//! out, and the map's churn left tombstones that forced rehashes; the map
//! also carried hashbrown and SipHash into the browser's memory module.
//! Here a hash lives in a bucket of [`BUCKET`] slots (one cache line) picked
//! by its fingerprint, stamped with its insertion number, and is
//! remembered while fewer than `capacity` inserts have followed it: aging
//! out costs nothing. A bucket is a ring written in insertion order, so an
//! insert writes one slot, and a lookup reads one cache line, whatever keys
//! an attacker chooses. The table (two to four slots per remembered hash)
//! grows with use up to that size, so a cache with a large bound pays for
//! ghosts only once it evicts.
//!
//! The price: a bucket can fill with hashes still in their window (at
//! most half the slots are in use, so a few inserts in 100 find their
//! bucket full), and that insert overwrites the bucket's oldest hash, which
//! is forgotten a little early. The hit ratios of `benches/native` did not
//! move (to 0.01 point) when this replaced the exact map.

/// Slots per bucket: eight, one cache line.
const BUCKET: usize = 8;

/// Buckets in the first table (2 KiB), unless the full table is smaller.
const FIRST_BUCKETS: usize = 32;

/// Spreads a hash before its fingerprint is taken (the golden-ratio
/// multiplier of Fibonacci hashing). The hashes are the callers' (foldhash,
/// or seeded FNV-1a from JavaScript, 32-bit), already mixed; this makes the
/// fingerprint's high bits, which pick the bucket, depend on all of them.
const SPREAD: u64 = 0x9e37_79b9_7f4a_7c15;

/// One bucket: slot `i` is a hash's 32-bit fingerprint `fingerprints[i]`
/// (0 in an empty slot: no fingerprint is 0) and its insertion stamp
/// `stamps[i]`. Kept as two arrays rather than one of pairs so that a lookup
/// compares all eight fingerprints and ages at once (the compiler turns
/// [`Ghost::contains`]'s fold into a few vector instructions where the
/// target has them).
#[derive(Clone, Copy, Debug, Default)]
#[repr(C, align(64))]
struct Bucket {
    fingerprints: [u32; BUCKET],
    stamps: [u32; BUCKET],
}

impl Bucket {
    /// Moves slot `first` to the front, keeping the ring's order.
    fn rotate_left(&mut self, first: usize) {
        self.fingerprints.rotate_left(first % BUCKET);
        self.stamps.rotate_left(first % BUCKET);
    }

    /// The used slots: (fingerprint, stamp).
    fn slots(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.fingerprints
            .iter()
            .zip(&self.stamps)
            .filter(|(&f, _)| f != 0)
            .map(|(&f, &s)| (f, s))
    }
}

/// A bounded set of key hashes that forgets in insertion order.
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
    /// A power of two of them.
    buckets: Vec<Bucket>,
    /// Each bucket's next slot to write: buckets are rings, written in
    /// insertion order, so the next slot holds the bucket's oldest hash.
    next: Vec<u8>,
    /// log2 of `buckets.len()`: a fingerprint's top `bits` bits are its
    /// bucket, so growing the table needs no hash but the fingerprint.
    bits: u32,
    /// Inserts so far; stamps are its low 32 bits (windows are shorter than
    /// 2^31 inserts, and wrapping differences measure ages). A slot left
    /// unwritten for a multiple of 2^32 inserts reads as recent again: a
    /// false ghost, with the effect of a collision.
    inserts: u64,
    /// How many of the latest inserts are remembered.
    capacity: usize,
    /// The number of inserts at which the table grows next (`u64::MAX` at
    /// its full size).
    grow_at: u64,
}

impl Ghost {
    /// A ghost queue remembering at most `capacity` hashes (the last
    /// `capacity` inserted, less the few early losses described in the
    /// module documentation). Nothing is allocated until the first insert.
    pub fn new(capacity: usize) -> Self {
        Self {
            buckets: Vec::new(),
            next: Vec::new(),
            bits: 0,
            inserts: 0,
            capacity: capacity.min(1 << 31),
            grow_at: 0,
        }
    }

    /// Remembers `hash`, forgetting the oldest one if full.
    pub fn insert(&mut self, hash: u64) {
        if self.capacity == 0 {
            return;
        }
        if self.inserts >= self.grow_at {
            self.grow();
        }
        self.inserts += 1;
        self.place(fingerprint(hash), self.inserts as u32);
    }

    /// True if `hash` is remembered.
    #[inline]
    pub fn contains(&self, hash: u64) -> bool {
        let fingerprint = fingerprint(hash);
        let now = self.inserts as u32;
        // At most 2^31 (see `new`).
        let window = self.capacity as u32;
        self.buckets
            .get(self.bucket(fingerprint))
            .is_some_and(|bucket| {
                // Every slot, without branches: see `Bucket`.
                bucket
                    .fingerprints
                    .iter()
                    .zip(&bucket.stamps)
                    .fold(false, |hit, (&f, &stamp)| {
                        hit | ((f == fingerprint) & (now.wrapping_sub(stamp) < window))
                    })
            })
    }

    /// Whether `hash` is remembered, and whether it is among the last
    /// `near` inserts (the same branchless scan as [`Ghost::contains`]).
    #[inline]
    pub fn lookup(&self, hash: u64, near: u32) -> (bool, bool) {
        let fingerprint = fingerprint(hash);
        let now = self.inserts as u32;
        // At most 2^31 (see `new`).
        let window = self.capacity as u32;
        let near = near.min(window);
        self.buckets
            .get(self.bucket(fingerprint))
            .map_or((false, false), |bucket| {
                bucket.fingerprints.iter().zip(&bucket.stamps).fold(
                    (false, false),
                    |(hit, near_hit), (&f, &stamp)| {
                        let same = f == fingerprint;
                        let age = now.wrapping_sub(stamp);
                        (
                            hit | (same & (age < window)),
                            near_hit | (same & (age < near)),
                        )
                    },
                )
            })
    }

    /// Number of remembered inserts (a hash inserted twice within the
    /// window counts twice); a scan of the table, for tests and invariant
    /// checks.
    pub fn len(&self) -> usize {
        self.buckets
            .iter()
            .flat_map(Bucket::slots)
            .filter(|&(_, stamp)| self.in_window(stamp))
            .count()
    }

    /// True when nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many of the latest inserts are remembered (at most).
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Forgets everything (and frees the table).
    pub fn clear(&mut self) {
        *self = Self::new(self.capacity);
    }

    /// Writes `fingerprint` with `stamp` over its bucket's oldest slot.
    /// A hash inserted again takes a slot of its own; the older copy ages
    /// out unseen.
    #[inline]
    fn place(&mut self, fingerprint: u32, stamp: u32) {
        let index = self.bucket(fingerprint);
        if let (Some(bucket), Some(next)) = (self.buckets.get_mut(index), self.next.get_mut(index))
        {
            let slot = usize::from(*next);
            if let (Some(f), Some(s)) = (
                bucket.fingerprints.get_mut(slot),
                bucket.stamps.get_mut(slot),
            ) {
                *f = fingerprint;
                *s = stamp;
            }
            *next = (*next + 1) % BUCKET as u8;
        }
    }

    /// True if the insert stamped `stamp` is among the last `capacity`.
    #[inline]
    fn in_window(&self, stamp: u32) -> bool {
        ((self.inserts as u32).wrapping_sub(stamp) as usize) < self.capacity
    }

    /// The bucket of `fingerprint`: its top `bits` bits.
    #[inline]
    fn bucket(&self, fingerprint: u32) -> usize {
        (u64::from(fingerprint) >> (32 - self.bits)) as usize
    }

    /// Buckets of the table at its full size: two to four slots per
    /// remembered hash (a power of two of buckets).
    fn full_buckets(&self) -> usize {
        self.capacity
            .saturating_mul(2)
            .div_ceil(BUCKET)
            .next_power_of_two()
    }

    /// Doubles the table (first allocating it), up to its full size, and
    /// moves the remembered hashes over.
    fn grow(&mut self) {
        let buckets = match self.buckets.len() {
            0 => FIRST_BUCKETS,
            n => n * 2,
        }
        .min(self.full_buckets());
        let old = std::mem::replace(&mut self.buckets, vec![Bucket::default(); buckets]);
        let old_next = std::mem::replace(&mut self.next, vec![0; buckets]);
        self.bits = buckets.trailing_zeros();
        // Each old bucket's hashes go, oldest first, to the two buckets it
        // splits into, so those stay in insertion order.
        for (mut bucket, next) in old.into_iter().zip(old_next) {
            bucket.rotate_left(usize::from(next));
            for (fingerprint, stamp) in bucket.slots() {
                if self.in_window(stamp) {
                    self.place(fingerprint, stamp);
                }
            }
        }
        self.grow_at = if buckets < self.full_buckets() {
            (buckets * BUCKET / 2) as u64
        } else {
            u64::MAX
        };
    }
}

/// The 32-bit fingerprint a hash is stored as: the high half of the spread
/// hash, never 0 (an empty slot). Two hashes that share it are one ghost,
/// like two keys that share a hash.
#[inline]
fn fingerprint(hash: u64) -> u32 {
    ((hash.wrapping_mul(SPREAD) >> 32) as u32).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_hashes_are_remembered_from_their_latest_insert() {
        let mut g = Ghost::new(3);
        g.insert(7);
        g.insert(7);
        g.insert(1);
        g.insert(2); // the first 7 would have aged out
        assert!(g.contains(7));
        g.insert(3); // the second 7 ages out
        assert!(!g.contains(7));
        assert_eq!(g.len(), 3);
    }

    #[test]
    fn remembers_the_last_capacity_hashes() {
        let mut g = Ghost::new(1_000);
        let hashes: Vec<u64> = (0..2_000_u64)
            .map(|i| i.wrapping_mul(0x2545_f491_4f6c_dd1d))
            .collect();
        for &h in &hashes {
            g.insert(h);
        }
        assert!(hashes[..1_000].iter().all(|&h| !g.contains(h)));
        // Full buckets may drop a few of the newest 1,000 early.
        let kept = hashes[1_000..].iter().filter(|&&h| g.contains(h)).count();
        assert!(kept >= 990, "kept {kept} of the last 1,000");
        assert_eq!(g.len(), kept);
    }

    #[test]
    fn a_full_bucket_forgets_its_oldest_hash() {
        let mut g = Ghost::new(1_000);
        g.insert(1); // allocates the table
        let bucket = g.bucket(fingerprint(1));
        let same_bucket: Vec<u64> = (2..)
            .filter(|&h| g.bucket(fingerprint(h)) == bucket)
            .take(BUCKET)
            .collect();
        for &h in &same_bucket {
            g.insert(h);
        }
        assert!(
            !g.contains(1),
            "the ninth hash in one bucket replaced the oldest"
        );
        assert!(same_bucket.iter().all(|&h| g.contains(h)));
    }

    #[test]
    fn the_table_grows_with_use_up_to_two_to_four_slots_per_hash() {
        let mut g = Ghost::new(10_000_000);
        assert_eq!(g.buckets.capacity(), 0, "nothing before the first insert");
        g.insert(1);
        assert_eq!(g.buckets.len(), FIRST_BUCKETS);
        for h in 2..=100_000 {
            g.insert(h);
        }
        let slots = g.buckets.len() * BUCKET;
        assert!(slots <= 4 * 100_000, "{slots} slots");
        assert!((1..=100_000).all(|h| g.contains(h)), "growth lost a hash");
        let mut small = Ghost::new(100);
        for h in 1..=10_000 {
            small.insert(h);
        }
        assert_eq!(small.buckets.len(), small.full_buckets());
        assert_eq!(small.full_buckets() * BUCKET, 256);
        let remembered = (9_901..=10_000).filter(|&h| small.contains(h)).count();
        assert!(remembered >= 95, "{remembered} of the last 100");
        assert_eq!(small.len(), remembered);
        assert!(!(1..=9_900).any(|h| small.contains(h)));
    }

    #[test]
    fn zero_is_a_hash_like_any_other() {
        let mut g = Ghost::new(4);
        g.insert(0);
        assert!(g.contains(0));
    }

    #[test]
    fn ages_wrap_around_32_bits() {
        let mut g = Ghost::new(2);
        g.inserts = u64::from(u32::MAX) - 1;
        for h in [10, 11, 12, 13] {
            g.insert(h);
        }
        assert!(!g.contains(10) && !g.contains(11) && g.contains(12) && g.contains(13));
    }

    #[test]
    fn zero_capacity_remembers_nothing() {
        let mut g = Ghost::new(0);
        g.insert(1);
        assert!(!g.contains(1));
        assert!(g.is_empty());
    }

    #[test]
    fn clear_forgets_everything() {
        let mut g = Ghost::new(8);
        g.insert(5);
        g.clear();
        assert!(!g.contains(5) && g.is_empty() && g.capacity() == 8);
    }
}
