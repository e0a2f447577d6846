//! The wasm32 half of the backend (see the module docs one level up).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use super::batch::Op;
use super::conn::{Counters, Shared};
use super::schema::{self, Bounds, Found};
use super::{batch, txn};

use crate::backend::{Entry, ExpiryAware};
use crate::key::{check_namespace, check_ttl, Options, Scope};
use crate::policy::Stats;
use crate::record;
use crate::time::{expiry_after, Clock};
use crate::{CacheBackend, Error, Result};
use wasm_bindgen::JsValue;

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
    scope: Scope,
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
    options: Options,
    max_entries: Option<u64>,
    max_bytes: Option<u64>,
    open_timeout: Duration,
    db_version: u32,
}

impl Default for IndexedDbBackendBuilder {
    fn default() -> Self {
        Self {
            db_name: "edgecache".into(),
            store_name: "entries".into(),
            options: Options::default(),
            max_entries: None,
            max_bytes: None,
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
        self.options.namespace = Some(namespace.into());
        self
    }

    /// TTL for writes that give none (default: no expiry).
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// let b = edgecache::IndexedDbBackend::builder().default_ttl(Duration::from_secs(60)).build();
    /// ```
    pub fn default_ttl(mut self, ttl: Duration) -> Self {
        self.options.default_ttl = Some(ttl);
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
        self.options.clock = Arc::new(clock);
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
        let clock = Arc::clone(&self.options.clock);
        let scope = self.options.check(check_namespace)?;
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
                clock,
            )),
            scope,
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
        Ok(Self {
            shared: Arc::clone(&self.shared),
            scope: self.scope.with_namespace(namespace, check_namespace)?,
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
    /// `entries` and `bytes` cover the whole object store, every namespace in
    /// it; `bytes` counts keys and values (each entry's stored size less its
    /// record header and this handle's namespace prefix, so it is exact when
    /// the store holds one namespace).
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
            bytes: totals.bytes.saturating_sub(
                totals
                    .entries
                    .saturating_mul((record::HEADER_LEN + self.scope.prefix().len()) as u64),
            ),
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
        self.scope.stored_key(key)
    }

    /// `set`, with the write joined to this tick's write batch when this
    /// is called rather than when the returned future is first polled.
    /// `PersistentCore.set` (the JavaScript entry) calls it synchronously, so
    /// the batch's flush is scheduled within the caller's call: its
    /// transaction then begins in the next microtask, before the transaction
    /// of a read issued after the write in the same tick (`js/indexeddb.js`
    /// reads in the microtask after its call), and one microtask sooner
    /// than from a spawned task (see `batch.rs`).
    pub(crate) fn queue_set(
        &self,
        key: &str,
        value: Vec<u8>,
        ttl: Option<Duration>,
    ) -> Result<impl Future<Output = Result<()>> + 'static> {
        let key = self.stored_key(key)?;
        check_ttl(ttl)?;
        let expires_at = expiry_after(self.scope.write_ms(), self.scope.ttl(ttl));
        let record = record::encode(expires_at, &value);
        let size = schema::entry_size(&key, &record);
        if let Some(limit) = self.shared.bounds.max_bytes.filter(|&m| size > m) {
            return Err(Error::ValueTooLarge { size, limit });
        }
        let done = self.queue(vec![(
            key,
            Op::Put {
                record,
                expires_at,
                size,
            },
        )]);
        let shared = Arc::clone(&self.shared);
        Ok(async move {
            done.await?;
            Counters::add(&shared.counters.inserts, 1);
            Ok(())
        })
    }

    /// `mdelete`, with the removals joined to this tick's write batch when
    /// this is called (see [`queue_set`](Self::queue_set)).
    pub(crate) fn queue_delete(
        &self,
        keys: &[&str],
    ) -> Result<impl Future<Output = Result<()>> + 'static> {
        let ops = keys
            .iter()
            .map(|k| Ok((self.stored_key(k)?, Op::Delete)))
            .collect::<Result<Vec<_>>>()?;
        let done = (!ops.is_empty()).then(|| self.queue(ops));
        Ok(async move {
            match done {
                Some(done) => done.await,
                None => Ok(()),
            }
        })
    }

    /// Adds `ops` to this tick's write batch; the future resolves once its
    /// transaction has finished.
    fn queue(&self, ops: Vec<(String, Op)>) -> impl Future<Output = Result<()>> + 'static {
        let state = self.shared.state();
        batch::enqueue(&state, &self.shared, ops).wait()
    }

    /// The open connection (opening it if needed), the entry store's name
    /// and this handle's key prefix: what `js/indexeddb.js` needs to read
    /// entries straight into JavaScript. The connection stays this
    /// backend's: it closes it on `versionchange` or [`close`](Self::close),
    /// and a reader that finds it closed falls back to this backend.
    pub(crate) async fn reader_parts(&self) -> Result<(JsValue, String, String)> {
        let state = self.shared.state();
        let db = state.database(&self.shared).await?;
        Ok((
            db.into(),
            self.shared.store_name.clone(),
            self.scope.prefix(),
        ))
    }

    /// Reads `keys` in one transaction, counting hits and misses if `count`
    /// (reads do; `exists` does not), then deletes what turned out expired
    /// or undecodable.
    async fn lookup(&self, keys: &[&str], count: bool) -> Result<Vec<Option<Entry>>> {
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
        let tally = |counter| {
            if count {
                Counters::add(counter, 1);
            }
        };
        let mut stale = Vec::new();
        let entries = keys
            .into_iter()
            .zip(found)
            .map(|(key, found)| match found {
                Found::Live(entry) => {
                    tally(&c.hits);
                    Some(entry)
                }
                Found::Missing => {
                    tally(&c.misses);
                    None
                }
                Found::Expired | Found::Corrupt => {
                    tally(&c.misses);
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
        self.queue_set(key, value, ttl)?.await
    }

    async fn delete(&self, key: &str) -> Result<()> {
        self.queue_delete(&[key])?.await
    }

    async fn mget(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>> {
        Ok(Entry::values(self.lookup(keys, true).await?))
    }

    /// Like `get`, but not counted as a hit or a miss.
    async fn exists(&self, key: &str) -> Result<bool> {
        Ok(self
            .lookup(&[key], false)
            .await?
            .into_iter()
            .any(|e| e.is_some()))
    }

    async fn mdelete(&self, keys: &[&str]) -> Result<()> {
        self.queue_delete(keys)?.await
    }

    async fn health_check(&self) -> Result<bool> {
        let state = self.shared.state();
        state
            .retrying(|| txn::ping(&state, &self.shared))
            .await
            .map(|()| true)
    }

    async fn clear_all(&self) -> Result<()> {
        let prefix = self.scope.prefix();
        let state = self.shared.state();
        state
            .retrying(|| txn::freeing(true, |b| txn::clear(&state, &self.shared, &prefix, b)))
            .await
    }
}

impl ExpiryAware for IndexedDbBackend {
    async fn get_with_expiry(&self, key: &str) -> Result<Option<Entry>> {
        Ok(self
            .lookup(&[key], true)
            .await?
            .into_iter()
            .next()
            .flatten())
    }

    async fn mget_with_expiry(&self, keys: &[&str]) -> Result<Vec<Option<Entry>>> {
        self.lookup(keys, true).await
    }
}
