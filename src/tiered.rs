//! A fast cache in front of a slower, persistent one.

use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::backend::{Entry, ExpiryAware};
use crate::time::{Clock, DefaultClock};
use crate::{CacheBackend, Result};

/// Write markers are kept per stripe of keys, not per key, so their memory is
/// fixed; a write to one key only delays refills of the keys sharing its stripe.
const STRIPES: usize = 64;

/// Two backends as one: reads try `L1` first, then `L2`, copying an `L2` hit
/// into `L1` for the entry's remaining lifetime; writes and deletes go to
/// both (`L2` first, so `L1` never holds what `L2` refused).
///
/// An `L1` copy never outlives the `L2` entry: it is written with the TTL
/// `L2` has left. A read that races a write of the same key does not refill
/// `L1` with the value it read (which may be the old one): refills are skipped
/// while a write to the key's stripe is in flight or has started since the
/// read began.
///
/// ```
/// use edgecache::{CacheBackend, MemoryBackend, TieredBackend};
/// # pollster::block_on(async {
/// let near = MemoryBackend::builder().max_entries(100).build()?;
/// let far = MemoryBackend::builder().max_entries(100_000).build()?;
/// let cache = TieredBackend::new(near.clone(), far.clone());
/// far.set("k", b"v".to_vec(), None).await?;
/// assert_eq!(cache.get("k").await?, Some(b"v".to_vec())); // from L2, copied into L1
/// assert_eq!(near.get("k").await?, Some(b"v".to_vec()));
/// # Ok::<(), edgecache::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct TieredBackend<L1, L2> {
    l1: L1,
    l2: L2,
    clock: Arc<dyn Clock>,
    writes: Arc<WriteMarkers>,
}

#[derive(Debug)]
struct WriteMarkers {
    hasher: RandomState,
    started: [AtomicU64; STRIPES],
    finished: [AtomicU64; STRIPES],
}

/// What a read saw of its key's stripe before going to `L2`.
#[derive(Clone, Copy)]
struct Snapshot {
    stripe: usize,
    started: u64,
}

impl WriteMarkers {
    fn new() -> Self {
        Self {
            hasher: RandomState::new(),
            started: std::array::from_fn(|_| AtomicU64::new(0)),
            finished: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }

    fn stripe(&self, key: &str) -> usize {
        (self.hasher.hash_one(key) % STRIPES as u64) as usize
    }

    fn counters(&self, stripe: usize) -> Option<(&AtomicU64, &AtomicU64)> {
        Some((self.started.get(stripe)?, self.finished.get(stripe)?))
    }

    fn snapshot(&self, key: &str) -> Snapshot {
        let stripe = self.stripe(key);
        let started = self
            .counters(stripe)
            .map_or(0, |(s, _)| s.load(Ordering::SeqCst));
        Snapshot { stripe, started }
    }

    /// True if no write to the stripe started since `snap` or is in flight.
    fn quiet_since(&self, snap: Snapshot) -> bool {
        self.counters(snap.stripe)
            .is_some_and(|(started, finished)| {
                let s = started.load(Ordering::SeqCst);
                s == snap.started && finished.load(Ordering::SeqCst) == s
            })
    }

    /// Runs `write` with the stripes of `keys` (all stripes for `None`) marked busy.
    async fn around<T>(
        &self,
        keys: Option<&[&str]>,
        write: impl std::future::Future<Output = T>,
    ) -> T {
        let stripes: Vec<usize> = match keys {
            Some(keys) => keys.iter().map(|k| self.stripe(k)).collect(),
            None => (0..STRIPES).collect(),
        };
        for &s in &stripes {
            if let Some((started, _)) = self.counters(s) {
                started.fetch_add(1, Ordering::SeqCst);
            }
        }
        let out = write.await;
        for &s in &stripes {
            if let Some((_, finished)) = self.counters(s) {
                finished.fetch_add(1, Ordering::SeqCst);
            }
        }
        out
    }
}

impl<L1: CacheBackend, L2: ExpiryAware> TieredBackend<L1, L2> {
    /// `l1` in front of `l2`, reading time from the default clock.
    pub fn new(l1: L1, l2: L2) -> Self {
        Self::with_clock(l1, l2, DefaultClock::default())
    }

    /// `l1` in front of `l2`, reading time from `clock` (use the clock the
    /// backends use).
    pub fn with_clock(l1: L1, l2: L2, clock: impl Clock) -> Self {
        Self {
            l1,
            l2,
            clock: Arc::new(clock),
            writes: Arc::new(WriteMarkers::new()),
        }
    }

    /// The front tier.
    pub fn l1(&self) -> &L1 {
        &self.l1
    }

    /// The back tier.
    pub fn l2(&self) -> &L2 {
        &self.l2
    }

    /// Copies an `L2` entry into `L1` for its remaining lifetime, unless a
    /// write to its stripe got in the way. A failed copy is only a lost
    /// speed-up (for example a value larger than `L1`'s bound), so it is
    /// dropped.
    async fn refill(&self, key: &str, entry: &Entry, snap: Snapshot) {
        if !self.writes.quiet_since(snap) {
            return;
        }
        // Measured from the time L1 dates its write from, so the copy's
        // expiry is exactly L2's, never a millisecond past it.
        let ttl = match entry.expires_at {
            None => None,
            Some(at) => match at.checked_sub(self.clock.write_ms()) {
                Some(ms) if ms > 0 => Some(Duration::from_millis(ms)),
                _ => return,
            },
        };
        let _ = self.l1.set(key, entry.value.clone(), ttl).await;
    }
}

impl<L1: CacheBackend, L2: ExpiryAware> CacheBackend for TieredBackend<L1, L2> {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        if let Some(value) = self.l1.get(key).await? {
            return Ok(Some(value));
        }
        let snap = self.writes.snapshot(key);
        let Some(entry) = self.l2.get_with_expiry(key).await? else {
            return Ok(None);
        };
        self.refill(key, &entry, snap).await;
        Ok(Some(entry.value))
    }

    async fn set(&self, key: &str, value: Vec<u8>, ttl: Option<Duration>) -> Result<()> {
        self.writes
            .around(Some(&[key]), async {
                self.l2.set(key, value.clone(), ttl).await?;
                if self.l1.set(key, value, ttl).await.is_err() {
                    // L1 cannot hold it (too large for its bound): make sure it
                    // does not keep serving an older value instead.
                    self.l1.delete(key).await?;
                }
                Ok(())
            })
            .await
    }

    async fn delete(&self, key: &str) -> Result<()> {
        self.writes
            .around(Some(&[key]), async {
                self.l2.delete(key).await?;
                self.l1.delete(key).await
            })
            .await
    }

    async fn exists(&self, key: &str) -> Result<bool> {
        Ok(self.l1.exists(key).await? || self.l2.exists(key).await?)
    }

    async fn mget(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>> {
        let mut values = self.l1.mget(keys).await?;
        let missing: Vec<usize> = (0..values.len())
            .filter(|&i| values.get(i).is_some_and(Option::is_none))
            .collect();
        if missing.is_empty() {
            return Ok(values);
        }
        let missing_keys: Vec<&str> = missing
            .iter()
            .filter_map(|&i| keys.get(i).copied())
            .collect();
        let snaps: Vec<Snapshot> = missing_keys
            .iter()
            .map(|k| self.writes.snapshot(k))
            .collect();
        let entries = self.l2.mget_with_expiry(&missing_keys).await?;
        for (((&i, key), snap), entry) in missing.iter().zip(&missing_keys).zip(snaps).zip(entries)
        {
            if let Some(entry) = entry {
                self.refill(key, &entry, snap).await;
                if let Some(slot) = values.get_mut(i) {
                    *slot = Some(entry.value);
                }
            }
        }
        Ok(values)
    }

    async fn mdelete(&self, keys: &[&str]) -> Result<()> {
        self.writes
            .around(Some(keys), async {
                self.l2.mdelete(keys).await?;
                self.l1.mdelete(keys).await
            })
            .await
    }

    async fn health_check(&self) -> Result<bool> {
        Ok(self.l1.health_check().await? && self.l2.health_check().await?)
    }

    async fn clear_all(&self) -> Result<()> {
        self.writes
            .around(None, async {
                self.l2.clear_all().await?;
                self.l1.clear_all().await
            })
            .await
    }
}

impl<L1: CacheBackend, L2: ExpiryAware> ExpiryAware for TieredBackend<L1, L2> {
    async fn get_with_expiry(&self, key: &str) -> Result<Option<Entry>> {
        // L1 copies carry L2's expiry, but L2 is the authority on it.
        self.l2.get_with_expiry(key).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::ManualClock;
    use crate::MemoryBackend;
    use pollster::block_on;

    fn tiers(
        clock: &ManualClock,
    ) -> (
        MemoryBackend,
        MemoryBackend,
        TieredBackend<MemoryBackend, MemoryBackend>,
    ) {
        let l1 = MemoryBackend::builder()
            .max_entries(4)
            .clock(clock.clone())
            .build()
            .unwrap();
        let l2 = MemoryBackend::builder()
            .max_entries(1_000)
            .clock(clock.clone())
            .build()
            .unwrap();
        let tiered = TieredBackend::with_clock(l1.clone(), l2.clone(), clock.clone());
        (l1, l2, tiered)
    }

    #[test]
    fn conformance() {
        let clock = ManualClock::new(1_000_000);
        let l1 = MemoryBackend::builder()
            .max_entries(1_000)
            .clock(clock.clone())
            .build()
            .unwrap();
        let l2 = MemoryBackend::builder()
            .max_entries(1_000)
            .clock(clock.clone())
            .build()
            .unwrap();
        block_on(crate::conformance::run(
            |ns| {
                let (a, b) = match ns {
                    Some(ns) => (l1.with_namespace(ns)?, l2.with_namespace(ns)?),
                    None => (l1.clone(), l2.clone()),
                };
                Ok(TieredBackend::with_clock(a, b, clock.clone()))
            },
            &clock,
        ))
        .unwrap();
    }

    #[test]
    fn an_l2_hit_fills_l1_with_the_remaining_ttl_only() {
        let clock = ManualClock::new(0);
        let (l1, l2, tiered) = tiers(&clock);
        block_on(async {
            l2.set("k", b"v".to_vec(), Some(Duration::from_secs(10)))
                .await
                .unwrap();
            clock.advance(Duration::from_secs(7));
            assert_eq!(tiered.get("k").await.unwrap(), Some(b"v".to_vec()));
            assert_eq!(
                l1.get_with_expiry("k").await.unwrap().unwrap().expires_at,
                Some(10_000)
            );
            clock.advance(Duration::from_secs(3));
            assert_eq!(
                l1.get("k").await.unwrap(),
                None,
                "the L1 copy expired with L2's entry"
            );
            assert_eq!(tiered.get("k").await.unwrap(), None);
            // Part-way into a millisecond (a real clock), the copy still
            // expires exactly with L2's entry.
            l2.set("m", b"v".to_vec(), Some(Duration::from_secs(10)))
                .await
                .unwrap();
            let l2_expiry = l2.get_with_expiry("m").await.unwrap().unwrap().expires_at;
            clock.advance(Duration::from_micros(2_500));
            assert_eq!(tiered.get("m").await.unwrap(), Some(b"v".to_vec()));
            assert_eq!(
                l1.get_with_expiry("m").await.unwrap().unwrap().expires_at,
                l2_expiry
            );
        });
    }

    #[test]
    fn writes_and_deletes_reach_both_tiers() {
        let clock = ManualClock::new(0);
        let (l1, l2, tiered) = tiers(&clock);
        block_on(async {
            tiered.set("k", b"v".to_vec(), None).await.unwrap();
            assert_eq!(l1.get("k").await.unwrap(), Some(b"v".to_vec()));
            assert_eq!(l2.get("k").await.unwrap(), Some(b"v".to_vec()));
            tiered.delete("k").await.unwrap();
            assert_eq!(l1.get("k").await.unwrap(), None);
            assert_eq!(l2.get("k").await.unwrap(), None);
        });
    }

    #[test]
    fn a_value_too_large_for_l1_lives_in_l2_and_no_stale_copy_remains() {
        let clock = ManualClock::new(0);
        let l1 = MemoryBackend::builder()
            .max_bytes(500)
            .clock(clock.clone())
            .build()
            .unwrap();
        let l2 = MemoryBackend::builder()
            .clock(clock.clone())
            .build()
            .unwrap();
        let tiered = TieredBackend::with_clock(l1.clone(), l2, clock);
        block_on(async {
            tiered.set("k", b"small".to_vec(), None).await.unwrap();
            tiered.set("k", vec![7; 1_000], None).await.unwrap();
            assert_eq!(l1.get("k").await.unwrap(), None);
            assert_eq!(tiered.get("k").await.unwrap(), Some(vec![7; 1_000]));
        });
    }

    #[test]
    fn l1_evictions_fall_back_to_l2() {
        let clock = ManualClock::new(0);
        let (l1, _l2, tiered) = tiers(&clock);
        block_on(async {
            for i in 0..20 {
                tiered.set(&format!("k{i}"), vec![i], None).await.unwrap();
            }
            assert!(l1.stats().entries <= 4);
            for i in 0..20 {
                assert_eq!(tiered.get(&format!("k{i}")).await.unwrap(), Some(vec![i]));
            }
            let got = tiered.mget(&["k0", "k19", "nope"]).await.unwrap();
            assert_eq!(got, vec![Some(vec![0]), Some(vec![19]), None]);
        });
    }

    #[test]
    fn a_read_racing_a_write_does_not_refill_l1_with_the_old_value() {
        let clock = ManualClock::new(0);
        let (l1, l2, tiered) = tiers(&clock);
        block_on(async {
            l2.set("k", b"old".to_vec(), None).await.unwrap();
            // The read has looked at its stripe and fetched "old" from L2...
            let snap = tiered.writes.snapshot("k");
            let entry = l2.get_with_expiry("k").await.unwrap().unwrap();
            // ...when a write of "new" starts and completes...
            tiered.set("k", b"new".to_vec(), None).await.unwrap();
            // ...so its refill must not overwrite L1's "new" with "old".
            tiered.refill("k", &entry, snap).await;
            assert_eq!(l1.get("k").await.unwrap(), Some(b"new".to_vec()));
        });
    }

    #[test]
    fn a_read_during_an_unfinished_write_does_not_refill() {
        let markers = WriteMarkers::new();
        let snap = markers.snapshot("k");
        assert!(markers.quiet_since(snap));
        let stripe = markers.stripe("k");
        markers.started[stripe].fetch_add(1, Ordering::SeqCst);
        assert!(
            !markers.quiet_since(markers.snapshot("k")),
            "write in flight"
        );
        markers.finished[stripe].fetch_add(1, Ordering::SeqCst);
        assert!(markers.quiet_since(markers.snapshot("k")));
        assert!(
            !markers.quiet_since(snap),
            "a write started since the snapshot"
        );
    }
}
