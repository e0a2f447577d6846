//! [`IndexedDbBackend`]: a persistent [`CacheBackend`] over the browser's
//! IndexedDB (wasm32 only). `indexed_db_futures` opens and upgrades the
//! database; every transaction after that goes through a few raw bindings
//! (`idb/sys.rs`), because the hot paths are counted in requests, event
//! listeners and JS↔wasm calls (see "Costs" below).
//!
//! ## Schema (database version 1)
//!
//! | object store | key | value |
//! |---|---|---|
//! | `entries` (`store_name`) | [`key::encode`]`(namespace, key)`, out of line | `{ r, x?, w, s }` |
//! | `edgecache-meta` | the entry store's name | `{ n, b, q }` |
//!
//! - `r`: a `Uint8Array` holding [`record::encode`]`(expiry, value)` — the
//!   header (format version, absolute expiry) travels with the value, and
//!   reads trust only it.
//! - `x`: the absolute expiry in ms since the epoch, **absent** without
//!   expiry, so the `by-expiry` index (on `x`) holds only expiring entries.
//! - `w`: the write stamp, indexed by `by-written` (oldest-written first):
//!   `now_ms × 1024`, raised past the last stamp any backend in this tab
//!   handed out, and — in a bounded store — past the totals' `q`. So stamps
//!   increase with every write in a tab, follow the clock across tabs, and
//!   are exact across tabs among bounded writers (which read `q` inside the
//!   transaction that writes).
//! - `s`: the entry's size in bytes: its stored key (UTF-8) plus `r`.
//! - `n`, `b`, `q`: entries, bytes (sum of `s`) and the newest stamp written
//!   by a writer that kept them. **Bounded** stores (`max_entries` or
//!   `max_bytes` set) read and rewrite them inside every readwrite
//!   transaction that changes entries; IndexedDB serialises readwrite
//!   transactions on a store, so they stay exact with several tabs writing.
//!   **Unbounded** stores do not keep them (it would cost every write a read
//!   of the totals and of each key's old value): their puts leave the record
//!   alone — their newer stamps mark it stale — and their removals delete
//!   it. A reader trusts the record only if it exists and no entry's `w` is
//!   newer than `q` (one key cursor from the end of `by-written`, issued
//!   with the read of the record), and recounts otherwise. Only entries with
//!   numeric `w` and `s` (ours) are counted.
//!
//! `onupgradeneeded` runs one step per schema version from `oldVersion` up
//! (version 1 creates both stores and both indexes). A database at a
//! *newer* version (a newer edgecache in another tab upgraded it) is not
//! touched: opening fails with [`Error::Unavailable`] saying so, instead of
//! reading or deleting records it does not understand. A database holds one
//! entry store: opening a database that lacks `store_name` fails with
//! [`Error::InvalidOptions`].
//!
//! ## Reads, writes and batching
//!
//! - `get`/`mget`/`mget_with_expiry` go through a **read batch**: every read
//!   issued in the same JavaScript tick joins one readonly transaction. A
//!   batch of one key is one `getAll(key, 1)`; a larger batch is one `get`
//!   per key, all issued before any is awaited, then one wait for the last
//!   (plus one `count` per `undefined` answer, to tell a stored `undefined`
//!   from a missing key). An expired or undecodable value (wrong JS type,
//!   truncated, foreign, another format version) is a miss, and is then
//!   deleted through the write batch — only if it is still stale then, so a
//!   concurrent write is never undone.
//! - `set`/`delete`/`mdelete` go through a **write batch**: every write issued
//!   in the same JavaScript tick joins one batch, written by one readwrite
//!   transaction (a later write of a key in the batch wins). Each caller's
//!   future resolves when that transaction has fired `complete`, or fails
//!   with its error if it aborts. Unbounded, a batch of puts is written
//!   blind: requests, `commit()`, one wait for `complete`.
//! - A write batch looks for up to 8 expired entries (through the expiry
//!   index) and deletes them, when a look is due: on the first batch, then
//!   at most once a second by the backend's clock, or on the next batch when
//!   the last look found 8 (more are probably waiting). Looking costs a round
//!   trip inside the transaction, so it is never done on every small batch.
//!   Bounded, while `max_entries` or `max_bytes` is exceeded, the batch then
//!   removes expired entries, then the oldest-written, in the same
//!   transaction. An entry larger than `max_bytes` is refused with
//!   [`Error::ValueTooLarge`] before anything is written.
//! - `purge_expired` deletes through the expiry index
//!   (`IDBKeyRange.upperBound(now)`, 128 keys a request), never visiting
//!   live entries; `clear_all` deletes the namespace's primary-key range
//!   (`[prefix, prefix with its final ':' bumped to ';')`).
//! - `stats` reads the totals record (O(1)) when it can be trusted, and
//!   otherwise counts the entries (128 records a request): an unbounded
//!   store written since the record was saved pays O(entries). The counters
//!   (hits, misses, ...) are in memory. `health_check` opens the database
//!   and answers one `count` on the meta store.
//!
//! ## Costs
//!
//! Measured in headless Chromium (`benches/browser-idb.mjs`), a request
//! costs far more than the wasm around it, and a request whose `success`
//! event has a JavaScript listener costs an event dispatch on top. So:
//! one transaction per batch, every request issued before any is awaited,
//! one listener per batch (on its last request, or on the transaction's
//! `complete`): IndexedDB answers a transaction's requests in order. Waits
//! use one pair of handlers made once per thread (`idb/events.rs`), not a
//! Promise and closures per wait. Names and modes cross to JavaScript once.
//!
//! ## Handles are `Send + Sync`; JavaScript objects are not
//!
//! [`CacheBackend`] requires `Send + Sync + Clone`, but IndexedDB handles are
//! `!Send`. Instead of asserting `Send` for JavaScript objects with `unsafe`,
//! a handle holds only an `Arc` of plain Rust data (names, bounds, clock,
//! counters, and a numeric id). The JavaScript state — the memoised
//! connection and the pending batches — lives in a `thread_local!` table
//! keyed by that id. wasm32 runs one thread, so every handle finds the same
//! state; dropping the last handle removes the entry and closes the
//! connection. (A handle moved to another wasm thread would find no entry
//! there and open its own connection: still sound, never shared.)
//!
//! ## Connections and failures
//!
//! The connection opens lazily on first use (once, however many calls wait
//! for it), in a task of its own so an upgrade is never abandoned half done.
//! Readwrite transactions use `durability: "relaxed"`: a cache may lose its
//! last writes in a power cut, and need not wait for a disk flush.
//! On `versionchange` the connection closes itself, so another tab can
//! upgrade or delete the database; on `versionchange` or `close` it is
//! forgotten, and the next call reopens. A connection closed behind the
//! backend's back (`IDBDatabase.close()`) is noticed when a transaction
//! cannot start, and the call is retried once on a fresh connection.
//!
//! | failure | error |
//! |---|---|
//! | no `indexedDB` global, or `open` throws | [`Error::Unavailable`] |
//! | database upgraded by a newer build | [`Error::Unavailable`] |
//! | `QuotaExceededError` on a request or at commit | [`Error::QuotaExceeded`] for every caller of the batch; nothing of it is written, earlier data is intact. Removals (`delete`, `clear_all`, purges) that fail this way are retried deleting the totals record instead of rewriting it — once over quota, Chrome commits only transactions that write nothing — so space can still be freed |
//! | `blocked` while opening, or no answer within `open_timeout` (10 s) | [`Error::Blocked`], at once and for every call until the open completes; the open goes on in the background |
//! | any other `DOMException` | [`Error::Backend`] with its name and message |
//!
//! [`CacheBackend`]: crate::CacheBackend
//! [`key::encode`]: crate::key::encode
//! [`record::encode`]: crate::record::encode

mod batch;
mod conn;
mod events;
mod js_error;
mod schema;
mod signal;
mod sys;
mod txn;

use std::sync::Arc;
use std::time::Duration;

use batch::Op;
use conn::{Counters, Shared};
use schema::{Bounds, Found};

use crate::backend::{Entry, ExpiryAware};
use crate::key::{self, check_key, check_namespace, check_ttl};
use crate::policy::Stats;
use crate::record;
use crate::time::{expiry_after, Clock, DefaultClock};
use crate::{CacheBackend, Error, Result};

/// A persistent cache in the browser's IndexedDB, with optional bounds.
///
/// Clones and [`IndexedDbBackend::with_namespace`] handles share one
/// connection and one write batch. Nothing is opened until the first call.
///
/// ```no_run
/// use edgecache::{CacheBackend, IndexedDbBackend};
/// use std::time::Duration;
///
/// # async fn demo() -> edgecache::Result<()> {
/// let cache = IndexedDbBackend::builder()
///     .db_name("my-app-cache")
///     .max_entries(10_000)
///     .default_ttl(Duration::from_secs(3_600))
///     .build()?;
/// cache.set("user:1", b"Ada".to_vec(), None).await?;
/// assert_eq!(cache.get("user:1").await?, Some(b"Ada".to_vec()));
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct IndexedDbBackend {
    shared: Arc<Shared>,
    namespace: Option<Arc<str>>,
    default_ttl: Option<Duration>,
}

/// Configures an [`IndexedDbBackend`]. [`build`](Self::build) checks the
/// options; it does not touch IndexedDB.
///
/// ```no_run
/// use edgecache::IndexedDbBackend;
///
/// let sessions = IndexedDbBackend::builder()
///     .db_name("my-app")
///     .store_name("cache")
///     .namespace("sessions")
///     .max_bytes(50 << 20)
///     .build()
///     .unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct IndexedDbBackendBuilder {
    db_name: String,
    store_name: String,
    namespace: Option<String>,
    default_ttl: Option<Duration>,
    max_entries: Option<u64>,
    max_bytes: Option<u64>,
    clock: Arc<dyn Clock>,
    open_timeout: Duration,
    db_version: u32,
}

impl Default for IndexedDbBackendBuilder {
    fn default() -> Self {
        Self {
            db_name: "edgecache".into(),
            store_name: "entries".into(),
            namespace: None,
            default_ttl: None,
            max_entries: None,
            max_bytes: None,
            clock: Arc::new(DefaultClock::default()),
            open_timeout: Duration::from_secs(10),
            db_version: schema::SCHEMA_VERSION,
        }
    }
}

impl IndexedDbBackendBuilder {
    /// The IndexedDB database name (default `"edgecache"`).
    ///
    /// ```no_run
    /// let b = edgecache::IndexedDbBackend::builder().db_name("app-cache").build();
    /// ```
    pub fn db_name(mut self, name: impl Into<String>) -> Self {
        self.db_name = name.into();
        self
    }

    /// The object store holding the entries (default `"entries"`). A database
    /// holds one entry store: use one `store_name` per `db_name`.
    ///
    /// ```no_run
    /// let b = edgecache::IndexedDbBackend::builder().store_name("cache").build();
    /// ```
    pub fn store_name(mut self, name: impl Into<String>) -> Self {
        self.store_name = name.into();
        self
    }

    /// Namespace of the handle built (default: none).
    ///
    /// ```no_run
    /// let b = edgecache::IndexedDbBackend::builder().namespace("sessions").build();
    /// ```
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    /// TTL for writes that give none (default: no expiry).
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// let b = edgecache::IndexedDbBackend::builder().default_ttl(Duration::from_secs(60)).build();
    /// ```
    pub fn default_ttl(mut self, ttl: Duration) -> Self {
        self.default_ttl = Some(ttl);
        self
    }

    /// The most entries the store holds (default: unbounded). Over it, a
    /// write evicts expired entries first, then the oldest-written.
    ///
    /// ```no_run
    /// let b = edgecache::IndexedDbBackend::builder().max_entries(10_000).build();
    /// ```
    pub fn max_entries(mut self, n: u64) -> Self {
        self.max_entries = Some(n);
        self
    }

    /// The most bytes the store holds, counting each entry's stored key
    /// (UTF-8) and record (11-byte header + value). Default: unbounded.
    ///
    /// ```no_run
    /// let b = edgecache::IndexedDbBackend::builder().max_bytes(64 << 20).build();
    /// ```
    pub fn max_bytes(mut self, n: u64) -> Self {
        self.max_bytes = Some(n);
        self
    }

    /// The clock to read (default `Date.now()`). Tests pass a
    /// [`ManualClock`](crate::time::ManualClock).
    ///
    /// ```no_run
    /// use edgecache::time::ManualClock;
    /// let b = edgecache::IndexedDbBackend::builder().clock(ManualClock::new(0)).build();
    /// ```
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// How long calls wait for the database to open (default 10 s) before
    /// failing with [`Error::Blocked`]; the open itself goes on, and calls
    /// succeed once it completes. It only runs out when another tab keeps an
    /// older connection open while an upgrade or deletion waits for it.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// let b = edgecache::IndexedDbBackend::builder().open_timeout(Duration::from_secs(3)).build();
    /// ```
    pub fn open_timeout(mut self, timeout: Duration) -> Self {
        self.open_timeout = timeout;
        self
    }

    /// Opens the database at `version` instead of the schema version (1);
    /// versions above it add nothing. For tests of upgrades between tabs.
    #[doc(hidden)]
    pub fn db_version(mut self, version: u32) -> Self {
        self.db_version = version;
        self
    }

    /// Checks the options and builds the backend. Does not open the database.
    ///
    /// ```no_run
    /// use edgecache::IndexedDbBackend;
    /// assert!(IndexedDbBackend::builder().max_entries(0).build().is_err());
    /// assert!(IndexedDbBackend::builder().build().is_ok());
    /// ```
    pub fn build(self) -> Result<IndexedDbBackend> {
        if self.db_name.is_empty() {
            return Err(Error::InvalidOptions("db_name must not be empty".into()));
        }
        if self.store_name.is_empty() || self.store_name == schema::META_STORE {
            return Err(Error::InvalidOptions(format!(
                "store_name must be non-empty and not \"{}\", got {:?}",
                schema::META_STORE,
                self.store_name
            )));
        }
        if let Some(ns) = &self.namespace {
            check_namespace(ns)?;
        }
        check_ttl(self.default_ttl)?;
        if self.max_entries == Some(0) {
            return Err(Error::InvalidOptions(
                "maxEntries must be at least 1".into(),
            ));
        }
        if let Some(max) = self.max_bytes.filter(|&b| b <= record::HEADER_LEN as u64) {
            return Err(Error::InvalidOptions(format!(
                "maxBytes must be more than the {}-byte record header, got {max}",
                record::HEADER_LEN
            )));
        }
        let open_timeout_ms = u32::try_from(self.open_timeout.as_millis()).unwrap_or(u32::MAX);
        if open_timeout_ms == 0 {
            return Err(Error::InvalidOptions(
                "open_timeout must be at least 1 ms".into(),
            ));
        }
        if self.db_version < schema::SCHEMA_VERSION {
            return Err(Error::InvalidOptions(format!(
                "db_version must be at least {}",
                schema::SCHEMA_VERSION
            )));
        }
        let bounds = Bounds {
            max_entries: self.max_entries,
            max_bytes: self.max_bytes,
        };
        Ok(IndexedDbBackend {
            shared: Arc::new(Shared::new(
                self.db_name,
                self.store_name,
                self.db_version,
                open_timeout_ms,
                bounds,
                self.clock,
            )),
            namespace: self.namespace.map(Arc::from),
            default_ttl: self.default_ttl,
        })
    }
}

impl IndexedDbBackend {
    /// A builder for the database and store names, namespace, TTL, bounds
    /// and clock.
    ///
    /// ```no_run
    /// let cache = edgecache::IndexedDbBackend::builder().build().unwrap();
    /// ```
    pub fn builder() -> IndexedDbBackendBuilder {
        IndexedDbBackendBuilder::default()
    }

    /// Another handle on the same store and connection whose keys live in
    /// `namespace`. `clear_all` on it clears that namespace only.
    ///
    /// ```no_run
    /// use edgecache::{CacheBackend, IndexedDbBackend};
    /// # async fn demo() -> edgecache::Result<()> {
    /// let store = IndexedDbBackend::builder().build()?;
    /// let a = store.with_namespace("a")?;
    /// let b = store.with_namespace("b")?;
    /// a.set("k", vec![1], None).await?;
    /// b.clear_all().await?;
    /// assert_eq!(a.get("k").await?, Some(vec![1]));
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_namespace(&self, namespace: &str) -> Result<Self> {
        check_namespace(namespace)?;
        Ok(Self {
            shared: Arc::clone(&self.shared),
            namespace: Some(Arc::from(namespace)),
            default_ttl: self.default_ttl,
        })
    }

    /// Removes every expired entry of the store (all namespaces) now, through
    /// the expiry index; returns how many. Expired entries are also removed
    /// when read and a few on every write.
    ///
    /// ```no_run
    /// # async fn demo(cache: edgecache::IndexedDbBackend) -> edgecache::Result<()> {
    /// let removed = cache.purge_expired().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn purge_expired(&self) -> Result<usize> {
        let state = self.shared.state();
        let purged = state
            .retrying(|| txn::freeing(true, |b| txn::purge(&state, &self.shared, b)))
            .await?;
        Counters::add(&self.shared.counters.expirations, purged);
        Ok(usize::try_from(purged).unwrap_or(usize::MAX))
    }

    /// Hits, misses, inserts, evictions and expirations counted by this
    /// handle family since it was built (in memory), and the entries and
    /// bytes stored in the database now (every tab's): from the totals
    /// record when it is up to date (bounded stores keep it so), otherwise
    /// counted over every entry (an unbounded store's writes do not keep it).
    ///
    /// ```no_run
    /// # async fn demo(cache: edgecache::IndexedDbBackend) -> edgecache::Result<()> {
    /// let stats = cache.stats().await?;
    /// println!("{} entries, {} bytes, {} hits", stats.entries, stats.bytes, stats.hits);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn stats(&self) -> Result<Stats> {
        let state = self.shared.state();
        let totals = state.retrying(|| txn::totals(&state, &self.shared)).await?;
        let c = &self.shared.counters;
        Ok(Stats {
            hits: Counters::get(&c.hits),
            misses: Counters::get(&c.misses),
            inserts: Counters::get(&c.inserts),
            evictions: Counters::get(&c.evictions),
            expirations: Counters::get(&c.expirations),
            entries: totals.entries,
            bytes: totals.bytes,
        })
    }

    /// Closes the connection (if open) for every handle of this backend; the
    /// next call reopens it. A connection still opening is left to finish.
    ///
    /// ```no_run
    /// # use edgecache::CacheBackend;
    /// # async fn demo(cache: edgecache::IndexedDbBackend) -> edgecache::Result<()> {
    /// cache.close();
    /// cache.get("k").await?; // reopens
    /// # Ok(())
    /// # }
    /// ```
    pub fn close(&self) {
        if let Some(state) = self.shared.existing_state() {
            state.close();
        }
    }

    /// How many IndexedDB transactions this handle family has started. For
    /// tests that check batching.
    #[doc(hidden)]
    pub fn transactions_started(&self) -> u64 {
        Counters::get(&self.shared.counters.transactions)
    }

    /// The open connection, if any. For tests that close it behind the
    /// backend's back.
    #[doc(hidden)]
    pub fn raw_database(&self) -> Option<web_sys::IdbDatabase> {
        self.shared.existing_state()?.raw_database()
    }

    fn stored_key(&self, key: &str) -> Result<String> {
        check_key(key)?;
        Ok(key::encode(self.namespace.as_deref(), key))
    }

    /// Runs one batch of writes and waits for its transaction to finish.
    async fn write(&self, ops: Vec<(String, Op)>) -> Result<()> {
        let state = self.shared.state();
        batch::enqueue(&state, &self.shared, ops).wait().await
    }

    /// Reads `keys` in one transaction, counting hits and misses, then
    /// deletes what turned out expired or undecodable.
    async fn lookup(&self, keys: &[&str]) -> Result<Vec<Option<Entry>>> {
        let keys = keys
            .iter()
            .map(|k| self.stored_key(k))
            .collect::<Result<Vec<_>>>()?;
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let state = self.shared.state();
        let found = batch::read(&state, &self.shared, keys.clone()).await?;
        let c = &self.shared.counters;
        let mut stale = Vec::new();
        let entries = keys
            .into_iter()
            .zip(found)
            .map(|(key, found)| match found {
                Found::Live(entry) => {
                    Counters::add(&c.hits, 1);
                    Some(entry)
                }
                Found::Missing => {
                    Counters::add(&c.misses, 1);
                    None
                }
                Found::Expired | Found::Corrupt => {
                    Counters::add(&c.misses, 1);
                    stale.push((key, Op::Cleanup));
                    None
                }
            })
            .collect();
        if !stale.is_empty() {
            // The miss stands whether or not the cleanup commits; a failed
            // cleanup is retried by the next read of the key.
            let _ = batch::enqueue(&state, &self.shared, stale).wait().await;
        }
        Ok(entries)
    }
}

impl CacheBackend for IndexedDbBackend {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.get_with_expiry(key).await?.map(|e| e.value))
    }

    async fn set(&self, key: &str, value: Vec<u8>, ttl: Option<Duration>) -> Result<()> {
        let key = self.stored_key(key)?;
        check_ttl(ttl)?;
        let expires_at = expiry_after(self.shared.clock.now_ms(), ttl.or(self.default_ttl));
        let record = record::encode(expires_at, &value);
        let size = schema::entry_size(&key, &record);
        if let Some(limit) = self.shared.bounds.max_bytes.filter(|&m| size > m) {
            return Err(Error::ValueTooLarge { size, limit });
        }
        self.write(vec![(
            key,
            Op::Put {
                record,
                expires_at,
                size,
            },
        )])
        .await?;
        Counters::add(&self.shared.counters.inserts, 1);
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<()> {
        let key = self.stored_key(key)?;
        self.write(vec![(key, Op::Delete)]).await
    }

    async fn mget(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>> {
        Ok(Entry::values(self.lookup(keys).await?))
    }

    async fn mdelete(&self, keys: &[&str]) -> Result<()> {
        let ops = keys
            .iter()
            .map(|k| Ok((self.stored_key(k)?, Op::Delete)))
            .collect::<Result<Vec<_>>>()?;
        if ops.is_empty() {
            return Ok(());
        }
        self.write(ops).await
    }

    async fn health_check(&self) -> Result<bool> {
        let state = self.shared.state();
        state
            .retrying(|| txn::ping(&state, &self.shared))
            .await
            .map(|()| true)
    }

    async fn clear_all(&self) -> Result<()> {
        let prefix = key::prefix(self.namespace.as_deref());
        let state = self.shared.state();
        state
            .retrying(|| txn::freeing(true, |b| txn::clear(&state, &self.shared, &prefix, b)))
            .await
    }
}

impl ExpiryAware for IndexedDbBackend {
    async fn get_with_expiry(&self, key: &str) -> Result<Option<Entry>> {
        Ok(self.lookup(&[key]).await?.into_iter().next().flatten())
    }

    async fn mget_with_expiry(&self, keys: &[&str]) -> Result<Vec<Option<Entry>>> {
        self.lookup(keys).await
    }
}
