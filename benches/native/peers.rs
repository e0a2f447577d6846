//! Every cache measured, behind one small trait. Each `get` returns an owned
//! copy of the value, because `MemoryBackend::get` does (`Vec<u8>`): for the
//! peers that hand out references (`lru`, `quick_cache::unsync`) the copy is
//! made here, so every peer does the same work per hit. Keys are `String`s
//! looked up by `&str`; every insert takes a freshly allocated value.

use std::collections::hash_map::Entry as Slot;
use std::collections::HashMap;
use std::future::Future;
use std::hash::BuildHasher;

/// The key hasher `MemoryBackend` uses (foldhash, seeded per cache).
type RandomState = foldhash::fast::RandomState;
use std::hint::black_box;
use std::num::NonZeroUsize;
use std::pin::pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use edgecache::policy::{Engine, Limits, Lookup, Meta, Removed, Token, ENTRY_OVERHEAD_BYTES};
use edgecache::{CacheBackend, MemoryBackend};

/// Bytes a cache may hold when only its entry bound should matter.
const UNBOUNDED_BYTES: u64 = 1 << 50;

/// One cache under test.
pub trait Peer {
    /// Reads `key`, returning an owned copy of its value.
    fn get(&mut self, key: &str) -> Option<Vec<u8>>;
    /// Writes `key`.
    fn insert(&mut self, key: &str, value: Vec<u8>);
    /// Finishes deferred work (moka's pending maintenance); a no-op elsewhere.
    fn settle(&mut self) {}
    /// Entries held (after `settle`).
    fn len(&mut self) -> usize;

    /// Times one `get` of every key; returns nanoseconds and hits.
    fn time_gets(&mut self, keys: &[String]) -> (f64, usize)
    where
        Self: Sized,
    {
        let t0 = Instant::now();
        let mut hits = 0;
        for k in keys {
            if black_box(self.get(k)).is_some() {
                hits += 1;
            }
        }
        (t0.elapsed().as_nanos() as f64, hits)
    }

    /// Times one insert of every key (the value allocated in the loop),
    /// deferred maintenance included.
    fn time_inserts(&mut self, keys: &[String], value: &[u8]) -> f64
    where
        Self: Sized,
    {
        let t0 = Instant::now();
        for k in keys {
            self.insert(k, value.to_vec());
        }
        self.settle();
        t0.elapsed().as_nanos() as f64
    }

    /// Replays `requests` (get, insert on a miss); returns the hits.
    fn replay(&mut self, names: &[String], requests: &[u32], value: &[u8]) -> usize
    where
        Self: Sized,
    {
        let mut hits = 0;
        for &id in requests {
            let key = &names[id as usize];
            if self.get(key).is_some() {
                hits += 1;
            } else {
                self.insert(key, value.to_vec());
            }
        }
        hits
    }
}

/// The object-safe face of [`Peer`] the harness holds: one virtual call per
/// pass, the per-operation calls inside monomorphised.
pub trait Timed {
    /// See [`Peer::time_gets`].
    fn gets(&mut self, keys: &[String]) -> (f64, usize);
    /// See [`Peer::time_inserts`].
    fn inserts(&mut self, keys: &[String], value: &[u8]) -> f64;
    /// See [`Peer::replay`].
    fn replay_trace(&mut self, names: &[String], requests: &[u32], value: &[u8]) -> usize;
    /// See [`Peer::len`].
    fn entries(&mut self) -> usize;
    /// See [`Peer::settle`].
    fn finish(&mut self);
}

impl<P: Peer> Timed for P {
    fn gets(&mut self, keys: &[String]) -> (f64, usize) {
        self.time_gets(keys)
    }
    fn inserts(&mut self, keys: &[String], value: &[u8]) -> f64 {
        self.time_inserts(keys, value)
    }
    fn replay_trace(&mut self, names: &[String], requests: &[u32], value: &[u8]) -> usize {
        self.replay(names, requests, value)
    }
    fn entries(&mut self) -> usize {
        self.len()
    }
    fn finish(&mut self) {
        self.settle();
    }
}

/// Polls a future that is ready at once (every `MemoryBackend` future is)
/// with a no-op waker. `pollster::block_on` would do the same plus an `Arc`
/// allocation per call, which is the harness's cost, not the cache's.
fn ready<F: Future>(future: F) -> F::Output {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("a MemoryBackend future was not ready"),
    }
}

/// `edgecache::MemoryBackend`, bounded by entries (bytes set out of reach).
pub struct Ours(MemoryBackend);

impl Ours {
    pub fn new(capacity: usize) -> Self {
        let cache = MemoryBackend::builder()
            .max_entries(capacity as u64)
            .max_bytes(UNBOUNDED_BYTES)
            .build()
            .expect("valid bounds");
        Self(cache)
    }
}

impl Peer for Ours {
    #[inline]
    fn get(&mut self, key: &str) -> Option<Vec<u8>> {
        ready(self.0.get(key)).expect("valid key")
    }
    #[inline]
    fn insert(&mut self, key: &str, value: Vec<u8>) {
        ready(self.0.set(key, value, None)).expect("valid entry");
    }
    fn len(&mut self) -> usize {
        self.0.stats().entries as usize
    }
}

/// The raw engine (`edgecache::policy::Engine`) behind a `HashMap` key index
/// with the same seeded foldhash, as `MemoryBackend` has, but with no lock, no
/// clock read (time is fixed at 0), no key check and no namespace encoding.
pub struct RawEngine {
    engine: Engine<(Rc<str>, Vec<u8>)>,
    index: HashMap<Rc<str>, Token, RandomState>,
    hasher: RandomState,
    removed: Vec<Removed<(Rc<str>, Vec<u8>)>>,
}

impl RawEngine {
    pub fn new(capacity: usize) -> Self {
        let limits = Limits::new(capacity as u64, UNBOUNDED_BYTES).expect("valid bounds");
        Self {
            engine: Engine::new(limits),
            index: HashMap::with_hasher(RandomState::default()),
            hasher: RandomState::default(),
            removed: Vec::new(),
        }
    }
}

impl Peer for RawEngine {
    #[inline]
    fn get(&mut self, key: &str) -> Option<Vec<u8>> {
        let Some(&token) = self.index.get(key) else {
            self.engine.record_miss();
            return None;
        };
        match self.engine.get(token, 0) {
            Lookup::Hit((_, value)) => Some(value.clone()),
            Lookup::Expired(_) | Lookup::Vacant => None,
        }
    }
    #[inline]
    fn insert(&mut self, key: &str, value: Vec<u8>) {
        let meta = Meta {
            hash: self.hasher.hash_one(key),
            weight: (key.len() + value.len()) as u64 + ENTRY_OVERHEAD_BYTES,
            expires_at: None,
        };
        let key: Rc<str> = Rc::from(key);
        let stored = (Rc::clone(&key), value);
        // One index lookup for both cases, as MemoryBackend::set does.
        let written = match self.index.entry(key) {
            Slot::Occupied(mut slot) => self
                .engine
                .replace(*slot.get(), meta, stored, 0, &mut self.removed)
                .map(|(token, _)| *slot.get_mut() = token),
            Slot::Vacant(slot) => {
                self.engine
                    .insert(meta, stored, 0, &mut self.removed)
                    .map(|token| {
                        slot.insert(token);
                    })
            }
        };
        for r in self.removed.drain(..) {
            self.index.remove(&r.value.0);
        }
        written.expect("fits");
    }
    fn len(&mut self) -> usize {
        self.engine.len()
    }
}

/// `moka::sync::Cache` (TinyLFU admission, LRU eviction, concurrent).
pub struct Moka(moka::sync::Cache<String, Vec<u8>>);

impl Moka {
    pub fn new(capacity: usize) -> Self {
        Self(moka::sync::Cache::new(capacity as u64))
    }
}

impl Peer for Moka {
    #[inline]
    fn get(&mut self, key: &str) -> Option<Vec<u8>> {
        self.0.get(key)
    }
    #[inline]
    fn insert(&mut self, key: &str, value: Vec<u8>) {
        self.0.insert(key.to_owned(), value);
    }
    fn settle(&mut self) {
        self.0.run_pending_tasks();
    }
    fn len(&mut self) -> usize {
        self.0.run_pending_tasks();
        self.0.entry_count() as usize
    }
}

/// `quick_cache::sync::Cache` (S3-FIFO-like CLOCK-Pro, sharded, concurrent).
pub struct QuickSync(quick_cache::sync::Cache<String, Vec<u8>>);

impl QuickSync {
    pub fn new(capacity: usize) -> Self {
        Self(quick_cache::sync::Cache::new(capacity))
    }
}

impl Peer for QuickSync {
    #[inline]
    fn get(&mut self, key: &str) -> Option<Vec<u8>> {
        self.0.get(key)
    }
    #[inline]
    fn insert(&mut self, key: &str, value: Vec<u8>) {
        self.0.insert(key.to_owned(), value);
    }
    fn len(&mut self) -> usize {
        self.0.len()
    }
}

/// `quick_cache::unsync::Cache` (one shard, `&mut` writes).
pub struct QuickUnsync(quick_cache::unsync::Cache<String, Vec<u8>>);

impl QuickUnsync {
    pub fn new(capacity: usize) -> Self {
        Self(quick_cache::unsync::Cache::new(capacity))
    }
}

impl Peer for QuickUnsync {
    #[inline]
    fn get(&mut self, key: &str) -> Option<Vec<u8>> {
        self.0.get(key).cloned()
    }
    #[inline]
    fn insert(&mut self, key: &str, value: Vec<u8>) {
        self.0.insert(key.to_owned(), value);
    }
    fn len(&mut self) -> usize {
        self.0.len()
    }
}

/// `lru::LruCache` (exact LRU, `&mut` reads).
pub struct Lru(lru::LruCache<String, Vec<u8>>);

impl Lru {
    pub fn new(capacity: usize) -> Self {
        Self(lru::LruCache::new(
            NonZeroUsize::new(capacity).expect("capacity > 0"),
        ))
    }
}

impl Peer for Lru {
    #[inline]
    fn get(&mut self, key: &str) -> Option<Vec<u8>> {
        self.0.get(key).cloned()
    }
    #[inline]
    fn insert(&mut self, key: &str, value: Vec<u8>) {
        self.0.put(key.to_owned(), value);
    }
    fn len(&mut self) -> usize {
        self.0.len()
    }
}

/// A peer's name and how to build one of a given capacity.
pub struct Kind {
    /// Short name used in the report and the JSON.
    pub name: &'static str,
    /// What it is.
    pub note: &'static str,
    /// Builds one with room for `capacity` entries.
    pub make: fn(usize) -> Box<dyn Timed>,
}

/// Every peer, ours first.
pub fn kinds() -> Vec<Kind> {
    vec![
        Kind {
            name: "edgecache",
            note: "edgecache::MemoryBackend (S3-FIFO, Mutex, clock read per call), futures polled once",
            make: |c| Box::new(Ours::new(c)),
        },
        Kind {
            name: "edgecache-engine",
            note: "edgecache::policy::Engine + HashMap<Rc<str>, Token> (no lock, no clock, no key encoding)",
            make: |c| Box::new(RawEngine::new(c)),
        },
        Kind {
            name: "moka",
            note: "moka::sync::Cache (TinyLFU + LRU, concurrent)",
            make: |c| Box::new(Moka::new(c)),
        },
        Kind {
            name: "quick_cache",
            note: "quick_cache::sync::Cache (CLOCK-Pro-like, sharded, concurrent)",
            make: |c| Box::new(QuickSync::new(c)),
        },
        Kind {
            name: "quick_cache-unsync",
            note: "quick_cache::unsync::Cache (one shard, &mut writes)",
            make: |c| Box::new(QuickUnsync::new(c)),
        },
        Kind {
            name: "lru",
            note: "lru::LruCache (exact LRU, &mut reads)",
            make: |c| Box::new(Lru::new(c)),
        },
    ]
}
