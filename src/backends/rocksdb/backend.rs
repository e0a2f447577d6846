//! [`RocksDbBackend`]: the [`CacheBackend`] over a RocksDB database.

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rocksdb::compaction_filter::Decision;
use rocksdb::{
    ColumnFamily, ColumnFamilyDescriptor, Direction, IteratorMode, Options as DbOptions,
    ReadOptions, WriteBatch, DB,
};

use super::layout::{
    self, charge, expiry_key, next_stamp, prefix_range, split_index_key, written_key, Bounds, Meta,
    Totals, BY_EXPIRY, BY_WRITTEN, ENTRIES, META,
};
use crate::backend::{Entry, ExpiryAware};
use crate::key::{check_namespace, check_ttl, Options, Scope};
use crate::record;
use crate::time::{expiry_after, Clock};
use crate::{CacheBackend, Error, Result};

/// Expired entries a write removes when a look is due (see the module docs).
const PURGE_BATCH: usize = 64;
/// A write looks for expired entries at most this often (by the clock).
const PURGE_EVERY_MS: u64 = 1_000;

/// A persistent cache in a local RocksDB database (native only, feature
/// `rocksdb`), with exact millisecond TTLs, namespaces and optional bounds.
/// See the [module docs](super) for the layout and the guarantees.
///
/// ```
/// use edgecache::{CacheBackend, RocksDbBackend};
/// use std::time::Duration;
/// # pollster::block_on(async {
/// # let dir = std::env::temp_dir().join(format!("edgecache-doc-{}", std::process::id()));
/// let cache = RocksDbBackend::builder(&dir)
///     .namespace("pages")
///     .max_entries(100_000)
///     .build()?;
/// cache.set("/", b"<html>".to_vec(), Some(Duration::from_secs(60))).await?;
/// assert_eq!(cache.get("/").await?, Some(b"<html>".to_vec()));
/// # drop(cache);
/// # let _ = std::fs::remove_dir_all(&dir);
/// # Ok::<(), edgecache::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct RocksDbBackend {
    store: Arc<Store>,
    scope: Scope,
}

impl fmt::Debug for RocksDbBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RocksDbBackend")
            .field("path", &self.store.path)
            .field("namespace", &self.scope.namespace())
            .field("default_ttl", &self.scope.default_ttl())
            .field("bounds", &self.store.bounds)
            .finish_non_exhaustive()
    }
}

/// The open database, shared by every handle.
struct Store {
    db: DB,
    path: PathBuf,
    bounds: Bounds,
    /// Serialises writes: each reads the metadata it replaces and updates
    /// the totals. Held only around synchronous RocksDB calls, never across
    /// an await.
    writer: Mutex<Writer>,
}

/// What writes share.
struct Writer {
    /// The last write stamp handed out.
    last_stamp: u64,
    /// Entries and bytes the metadata accounts for.
    totals: Totals,
    /// When a write last looked for expired entries (by the clock).
    last_purge_ms: Option<u64>,
    /// The last look removed a full batch: more are probably waiting.
    purge_again: bool,
    /// No `by-expiry` key sorts before this expiry: scans seek here instead
    /// of stepping over the tombstones of keys already removed. A write
    /// with an earlier expiry (a clock that stepped back) lowers it.
    expiry_floor: u64,
    /// No `by-written` key has a stamp below this one (stamps only grow).
    written_floor: u64,
}

/// Configures a [`RocksDbBackend`]; [`build`](Self::build) opens (or
/// creates) the database.
///
/// ```
/// use edgecache::RocksDbBackend;
/// let err = RocksDbBackend::builder("/tmp/never-opened").max_bytes(0).build().unwrap_err();
/// assert_eq!(err.code(), "EDGECACHE_INVALID_OPTIONS");
/// ```
pub struct RocksDbBackendBuilder {
    path: PathBuf,
    options: Options,
    bounds: Bounds,
}

impl fmt::Debug for RocksDbBackendBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RocksDbBackendBuilder")
            .field("path", &self.path)
            .field("namespace", &self.options.namespace)
            .field("default_ttl", &self.options.default_ttl)
            .field("bounds", &self.bounds)
            .finish_non_exhaustive()
    }
}

/// A RocksDB failure as our error: the database said no.
fn db_error(doing: &str) -> impl Fn(rocksdb::Error) -> Error + '_ {
    move |e| Error::Backend(format!("RocksDB {doing} failed: {e}"))
}

impl RocksDbBackendBuilder {
    /// Namespace of the handle built (default: none). Its keys are stored
    /// as [`key::encode`](crate::key::encode)`(namespace, key)`; `clear_all`
    /// deletes only those.
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.options.namespace = Some(namespace.into());
        self
    }

    /// TTL for writes that give none (default: no expiry).
    pub fn default_ttl(mut self, ttl: Duration) -> Self {
        self.options.default_ttl = Some(ttl);
        self
    }

    /// The clock that stamps and checks expiry, in reads and in the
    /// compaction filter (default: the system clock). Tests pass a
    /// [`ManualClock`](crate::time::ManualClock).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.options.clock = Arc::new(clock);
        self
    }

    /// At most `n` entries in the database (all namespaces together); a
    /// write past it removes expired entries, then the oldest-written.
    pub fn max_entries(mut self, n: u64) -> Self {
        self.bounds.max_entries = Some(n);
        self
    }

    /// At most `bytes` bytes (stored keys plus records) in the database; a
    /// write past it removes expired entries, then the oldest-written. A
    /// single entry larger than this is refused with
    /// [`Error::ValueTooLarge`].
    pub fn max_bytes(mut self, bytes: u64) -> Self {
        self.bounds.max_bytes = Some(bytes);
        self
    }

    /// Checks the options, opens or creates the database at the path (its
    /// directory too), and counts the entries it holds (one pass over the
    /// metadata: O(entries) at open).
    ///
    /// Errors: [`Error::InvalidOptions`] for a zero bound, a bad namespace
    /// or TTL; [`Error::Unavailable`] if the database cannot be opened (the
    /// directory is not writable, another process or another backend in
    /// this one holds it open); [`Error::Decode`] if it holds metadata this
    /// build does not read.
    pub fn build(self) -> Result<RocksDbBackend> {
        if self.bounds.max_entries == Some(0) || self.bounds.max_bytes == Some(0) {
            return Err(Error::InvalidOptions(
                "max_entries and max_bytes must be positive".into(),
            ));
        }
        let clock = Arc::clone(&self.options.clock);
        let scope = self.options.check(check_namespace)?;
        let mut entries = DbOptions::default();
        // Drops records whose expiry has passed by the clock when a
        // compaction rewrites them (RocksDB turns each into a tombstone, so
        // no older version can resurface). Their metadata stays until a
        // write, a purge or an eviction removes it with the totals.
        entries.set_compaction_filter(
            "edgecache-expiry",
            move |_level: u32, _key: &[u8], value: &[u8]| match record::decode(value) {
                Ok(rec) if rec.is_expired(clock.now_ms()) => Decision::Remove,
                _ => Decision::Keep,
            },
        );
        let descriptors = vec![
            ColumnFamilyDescriptor::new(ENTRIES, entries),
            ColumnFamilyDescriptor::new(META, DbOptions::default()),
            ColumnFamilyDescriptor::new(BY_WRITTEN, DbOptions::default()),
            ColumnFamilyDescriptor::new(BY_EXPIRY, DbOptions::default()),
        ];
        let mut options = DbOptions::default();
        options.create_if_missing(true);
        options.create_missing_column_families(true);
        let db = DB::open_cf_descriptors(&options, &self.path, descriptors).map_err(|e| {
            Error::Unavailable(format!(
                "cannot open RocksDB at {}: {e}",
                self.path.display()
            ))
        })?;
        let store = Store {
            db,
            path: self.path,
            bounds: self.bounds,
            writer: Mutex::new(Writer {
                last_stamp: 0,
                totals: Totals::default(),
                last_purge_ms: None,
                purge_again: false,
                expiry_floor: 0,
                written_floor: 0,
            }),
        };
        let (totals, last_stamp) = store.count()?;
        {
            let mut writer = store.lock();
            writer.totals = totals;
            writer.last_stamp = last_stamp;
        }
        Ok(RocksDbBackend {
            store: Arc::new(store),
            scope,
        })
    }
}

impl Store {
    fn lock(&self) -> MutexGuard<'_, Writer> {
        // Nothing panics while holding it; if something did, the totals
        // are still a usable estimate.
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn cf(&self, name: &str) -> Result<&ColumnFamily> {
        self.db
            .cf_handle(name)
            .ok_or_else(|| Error::Backend(format!("RocksDB column family {name:?} is missing")))
    }

    /// The metadata of `stored`, if it has any that decodes.
    fn meta(&self, stored: &[u8]) -> Result<Option<Meta>> {
        let bytes = self
            .db
            .get_pinned_cf(self.cf(META)?, stored)
            .map_err(db_error("read"))?;
        Ok(bytes.and_then(|b| Meta::decode(&b).ok()))
    }

    /// Totals and the newest stamp, from one pass over the metadata.
    fn count(&self) -> Result<(Totals, u64)> {
        let mut totals = Totals::default();
        let mut last_stamp = 0;
        for item in self.db.iterator_cf(self.cf(META)?, IteratorMode::Start) {
            let (_, value) = item.map_err(db_error("scan"))?;
            let meta = Meta::decode(&value)?;
            totals.add(&meta);
            last_stamp = last_stamp.max(meta.stamp);
        }
        Ok((totals, last_stamp))
    }

    /// Adds to `batch` the removal of `stored` (record, metadata, index
    /// keys), counting it out of `totals`.
    fn push_remove(
        &self,
        batch: &mut WriteBatch,
        stored: &[u8],
        meta: Option<&Meta>,
        totals: &mut Totals,
    ) -> Result<()> {
        batch.delete_cf(self.cf(ENTRIES)?, stored);
        if let Some(meta) = meta {
            batch.delete_cf(self.cf(META)?, stored);
            batch.delete_cf(self.cf(BY_WRITTEN)?, written_key(meta.stamp, stored));
            if let Some(at) = meta.expires_at {
                batch.delete_cf(self.cf(BY_EXPIRY)?, expiry_key(at, stored));
            }
            totals.remove(meta);
        }
        Ok(())
    }

    /// Adds to `change` the removal of up to `limit` expired entries (and
    /// of any `by-expiry` key no metadata backs), soonest first; how many
    /// index keys it visited.
    fn purge(&self, change: &mut Change, now_ms: u64, limit: usize) -> Result<usize> {
        let mut read = ReadOptions::default();
        read.set_iterate_upper_bound(expiry_key(now_ms.saturating_add(1), b""));
        let floor = expiry_key(change.expiry_floor, b"");
        let mut visited = 0;
        for item in self.db.iterator_cf_opt(
            self.cf(BY_EXPIRY)?,
            read,
            IteratorMode::From(&floor, Direction::Forward),
        ) {
            if visited >= limit {
                break;
            }
            let (key, _) = item.map_err(db_error("scan"))?;
            visited += 1;
            self.remove_by_expiry(change, &key)?;
        }
        Ok(visited)
    }

    /// Adds to `change` the removal of the entry a `by-expiry` key names,
    /// or of the key alone if no metadata backs it.
    fn remove_by_expiry(&self, change: &mut Change, key: &[u8]) -> Result<()> {
        if let Some((at, stored)) = split_index_key(key) {
            change.expiry_floor = at;
            match self.meta(stored)? {
                Some(meta) if meta.expires_at == Some(at) => {
                    return change.remove(self, stored, &meta)
                }
                _ if change.is_skipped(stored) => return Ok(()),
                _ => {}
            }
        }
        change.batch.delete_cf(self.cf(BY_EXPIRY)?, key);
        Ok(())
    }

    /// Adds to `change`, while its totals break a bound, the removal of
    /// expired entries, then of the oldest-written.
    fn evict(&self, change: &mut Change, now_ms: u64) -> Result<()> {
        if !self
            .bounds
            .exceeded(change.totals.entries, change.totals.bytes)
        {
            return Ok(());
        }
        let mut read = ReadOptions::default();
        read.set_iterate_upper_bound(expiry_key(now_ms.saturating_add(1), b""));
        let floor = expiry_key(change.expiry_floor, b"");
        for item in self.db.iterator_cf_opt(
            self.cf(BY_EXPIRY)?,
            read,
            IteratorMode::From(&floor, Direction::Forward),
        ) {
            if !self
                .bounds
                .exceeded(change.totals.entries, change.totals.bytes)
            {
                return Ok(());
            }
            let (key, _) = item.map_err(db_error("scan"))?;
            self.remove_by_expiry(change, &key)?;
        }
        let floor = written_key(change.written_floor, b"");
        for item in self.db.iterator_cf(
            self.cf(BY_WRITTEN)?,
            IteratorMode::From(&floor, Direction::Forward),
        ) {
            if !self
                .bounds
                .exceeded(change.totals.entries, change.totals.bytes)
            {
                return Ok(());
            }
            let (key, _) = item.map_err(db_error("scan"))?;
            match split_index_key(&key) {
                Some((stamp, stored)) => {
                    change.written_floor = stamp;
                    match self.meta(stored)? {
                        Some(meta) if meta.stamp == stamp => change.remove(self, stored, &meta)?,
                        _ if change.is_skipped(stored) => {}
                        // An index key no metadata backs: drop it.
                        _ => change.batch.delete_cf(self.cf(BY_WRITTEN)?, &key),
                    }
                }
                None => change.batch.delete_cf(self.cf(BY_WRITTEN)?, &key),
            }
        }
        Ok(())
    }

    /// Writes `change` as one batch and keeps what it counted.
    fn commit(&self, writer: &mut Writer, change: Change) -> Result<()> {
        self.db.write(change.batch).map_err(db_error("write"))?;
        writer.totals = change.totals;
        writer.expiry_floor = change.expiry_floor;
        writer.written_floor = change.written_floor;
        Ok(())
    }
}

/// One batch being built by a writer holding the lock: what it writes and
/// removes, and the totals and scan floors once it is written.
struct Change {
    batch: WriteBatch,
    totals: Totals,
    expiry_floor: u64,
    written_floor: u64,
    /// Entries this batch removes (an expired one can be met twice).
    gone: HashSet<Vec<u8>>,
    /// The key this batch writes: its old index keys are already being
    /// replaced, and it is never evicted by its own write.
    skip: Option<Vec<u8>>,
}

impl Change {
    fn new(writer: &Writer) -> Self {
        Self {
            batch: WriteBatch::default(),
            totals: writer.totals,
            expiry_floor: writer.expiry_floor,
            written_floor: writer.written_floor,
            gone: HashSet::new(),
            skip: None,
        }
    }

    fn is_skipped(&self, stored: &[u8]) -> bool {
        self.skip.as_deref() == Some(stored)
    }

    /// Removes `stored` (whose metadata is `meta`) unless already removed
    /// or being written.
    fn remove(&mut self, store: &Store, stored: &[u8], meta: &Meta) -> Result<()> {
        if !self.is_skipped(stored) && self.gone.insert(stored.to_vec()) {
            store.push_remove(&mut self.batch, stored, Some(meta), &mut self.totals)?;
        }
        Ok(())
    }
}

impl RocksDbBackend {
    /// The largest record accepted — value plus the 11-byte [`record`]
    /// header — in bytes: RocksDB encodes value lengths in 32 bits.
    pub const MAX_VALUE_BYTES: usize = u32::MAX as usize;

    /// A builder for the database at `path` (a directory, created if
    /// missing).
    pub fn builder(path: impl AsRef<Path>) -> RocksDbBackendBuilder {
        RocksDbBackendBuilder {
            path: path.as_ref().to_path_buf(),
            options: Options::default(),
            bounds: Bounds::default(),
        }
    }

    /// Another handle on the same database whose keys live in `namespace`.
    /// `clear_all` on it clears that namespace only.
    pub fn with_namespace(&self, namespace: &str) -> Result<Self> {
        Ok(Self {
            store: Arc::clone(&self.store),
            scope: self.scope.with_namespace(namespace, check_namespace)?,
        })
    }

    /// The database's directory.
    pub fn path(&self) -> &Path {
        &self.store.path
    }

    /// Entries and bytes (stored keys plus records) in the whole database,
    /// all namespaces, counting expired entries not yet removed.
    pub fn usage(&self) -> Totals {
        self.store.lock().totals
    }

    /// Removes every expired entry now (all namespaces); how many. Writes
    /// already remove up to 64 at most once a second, and compactions drop
    /// expired records, so this is for a quiet store that should shrink.
    pub fn purge_expired(&self) -> Result<usize> {
        let mut writer = self.store.lock();
        let now = self.scope.now_ms();
        let mut removed = 0;
        loop {
            let mut change = Change::new(&writer);
            let visited = self.store.purge(&mut change, now, 1_000)?;
            removed += change.gone.len();
            self.store.commit(&mut writer, change)?;
            if visited < 1_000 {
                return Ok(removed);
            }
        }
    }

    /// Compacts the whole database now: expired records are dropped by the
    /// compaction filter, and deleted ones reclaimed. RocksDB also compacts
    /// on its own as data grows.
    pub fn compact(&self) -> Result<()> {
        for name in layout::COLUMN_FAMILIES {
            self.store
                .db
                .compact_range_cf(self.store.cf(name)?, None::<&[u8]>, None::<&[u8]>);
        }
        Ok(())
    }

    /// Checks that the metadata, both indexes, the records and the totals
    /// agree (every record has its metadata and index keys and no others
    /// exist; a missing record is an expired one a compaction dropped).
    /// O(entries); for tests and after a crash. [`Error::Backend`] names
    /// the first disagreement.
    pub fn validate(&self) -> Result<()> {
        let writer = self.store.lock();
        let store = &self.store;
        let now = self.scope.now_ms();
        let bad = |what: String| {
            Err(Error::Backend(format!(
                "RocksDB store is inconsistent: {what}"
            )))
        };
        let mut totals = Totals::default();
        let mut expiring = 0u64;
        for item in store.db.iterator_cf(store.cf(META)?, IteratorMode::Start) {
            let (stored, value) = item.map_err(db_error("scan"))?;
            let meta = Meta::decode(&value)?;
            totals.add(&meta);
            let name = String::from_utf8_lossy(&stored);
            match store
                .db
                .get_pinned_cf(store.cf(ENTRIES)?, &stored)
                .map_err(db_error("read"))?
            {
                Some(bytes) => {
                    let rec = record::decode(&bytes)?;
                    if rec.expires_at != meta.expires_at
                        || charge(&stored, bytes.len()) != meta.size
                    {
                        return bad(format!("{name:?}: record and metadata differ"));
                    }
                }
                None if meta.expires_at.is_some_and(|at| at <= now) => {}
                None => return bad(format!("{name:?}: metadata without a record")),
            }
            if store
                .db
                .get_pinned_cf(store.cf(BY_WRITTEN)?, written_key(meta.stamp, &stored))
                .map_err(db_error("read"))?
                .is_none()
            {
                return bad(format!("{name:?}: no by-written key"));
            }
            if let Some(at) = meta.expires_at {
                expiring += 1;
                if store
                    .db
                    .get_pinned_cf(store.cf(BY_EXPIRY)?, expiry_key(at, &stored))
                    .map_err(db_error("read"))?
                    .is_none()
                {
                    return bad(format!("{name:?}: no by-expiry key"));
                }
            }
        }
        let count = |name: &str| -> Result<u64> {
            let mut n = 0u64;
            for item in store.db.iterator_cf(store.cf(name)?, IteratorMode::Start) {
                item.map_err(db_error("scan"))?;
                n += 1;
            }
            Ok(n)
        };
        let (written, by_expiry) = (count(BY_WRITTEN)?, count(BY_EXPIRY)?);
        if written != totals.entries || by_expiry != expiring {
            return bad(format!(
                "{} entries with metadata ({expiring} expiring), {written} by-written and \
                 {by_expiry} by-expiry keys",
                totals.entries
            ));
        }
        for item in store
            .db
            .iterator_cf(store.cf(ENTRIES)?, IteratorMode::Start)
        {
            let (stored, _) = item.map_err(db_error("scan"))?;
            if store.meta(&stored)?.is_none() {
                return bad(format!(
                    "{:?}: a record without metadata",
                    String::from_utf8_lossy(&stored)
                ));
            }
        }
        if totals != writer.totals {
            return bad(format!("counted {totals:?}, kept {:?}", writer.totals));
        }
        Ok(())
    }

    /// Reads `keys` (all checked first) with their expiry in one
    /// `multi_get`.
    fn lookup(&self, keys: &[&str]) -> Result<Vec<Option<Entry>>> {
        let stored = keys
            .iter()
            .map(|k| self.scope.stored_key(k))
            .collect::<Result<Vec<_>>>()?;
        let cf = self.store.cf(ENTRIES)?;
        let values = self.store.db.batched_multi_get_cf(cf, &stored, false);
        let now = self.scope.now_ms();
        values
            .into_iter()
            .map(|v| {
                let bytes = v.map_err(db_error("read"))?;
                Ok(bytes.and_then(|b| record::live(b.to_vec(), now)))
            })
            .collect()
    }

    /// Deletes `keys` (all checked first) in one batch.
    fn remove(&self, keys: &[&str]) -> Result<()> {
        let stored = keys
            .iter()
            .map(|k| self.scope.stored_key(k))
            .collect::<Result<Vec<_>>>()?;
        let mut writer = self.store.lock();
        let mut totals = writer.totals;
        let mut batch = WriteBatch::default();
        let mut seen = HashSet::new();
        for key in &stored {
            if seen.insert(key.as_str()) {
                let meta = self.store.meta(key.as_bytes())?;
                self.store
                    .push_remove(&mut batch, key.as_bytes(), meta.as_ref(), &mut totals)?;
            }
        }
        self.store.db.write(batch).map_err(db_error("write"))?;
        writer.totals = totals;
        Ok(())
    }
}

impl CacheBackend for RocksDbBackend {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.get_with_expiry(key).await?.map(|e| e.value))
    }

    async fn set(&self, key: &str, value: Vec<u8>, ttl: Option<Duration>) -> Result<()> {
        let stored = self.scope.stored_key(key)?;
        check_ttl(ttl)?;
        let record_len = value.len().saturating_add(record::HEADER_LEN);
        if record_len > Self::MAX_VALUE_BYTES {
            return Err(Error::ValueTooLarge {
                size: u64::try_from(record_len).unwrap_or(u64::MAX),
                limit: Self::MAX_VALUE_BYTES as u64,
            });
        }
        let size = charge(stored.as_bytes(), record_len);
        if let Some(limit) = self.store.bounds.max_bytes {
            if size > limit {
                return Err(Error::ValueTooLarge { size, limit });
            }
        }
        let write_ms = self.scope.write_ms();
        let expires_at = expiry_after(write_ms, self.scope.ttl(ttl));
        let rec = record::encode(expires_at, &value);
        let store = &*self.store;
        let mut writer = store.lock();
        let old = store.meta(stored.as_bytes())?;
        let stamp = next_stamp(self.scope.now_ms(), writer.last_stamp);
        let meta = Meta {
            stamp,
            size,
            expires_at,
        };
        // One batch: the record, its metadata and index keys, the old index
        // keys out, and whatever the write's purge and the bounds remove, so
        // a crash leaves all of it or none and the bounds always hold.
        let mut change = Change::new(&writer);
        change.skip = Some(stored.as_bytes().to_vec());
        let key = stored.as_bytes();
        if let Some(old) = &old {
            change
                .batch
                .delete_cf(store.cf(BY_WRITTEN)?, written_key(old.stamp, key));
            if let Some(at) = old.expires_at {
                change
                    .batch
                    .delete_cf(store.cf(BY_EXPIRY)?, expiry_key(at, key));
            }
            change.totals.remove(old);
        }
        change.batch.put_cf(store.cf(ENTRIES)?, key, &rec);
        change.batch.put_cf(store.cf(META)?, key, meta.encode());
        change
            .batch
            .put_cf(store.cf(BY_WRITTEN)?, written_key(stamp, key), []);
        if let Some(at) = expires_at {
            change
                .batch
                .put_cf(store.cf(BY_EXPIRY)?, expiry_key(at, key), []);
            change.expiry_floor = change.expiry_floor.min(at);
        }
        change.totals.add(&meta);
        let now = self.scope.now_ms();
        let due = writer.purge_again
            || writer
                .last_purge_ms
                .is_none_or(|last| now.saturating_sub(last) >= PURGE_EVERY_MS || now < last);
        let purged = if due {
            store.purge(&mut change, now, PURGE_BATCH)?
        } else {
            0
        };
        store.evict(&mut change, now)?;
        store.commit(&mut writer, change)?;
        writer.last_stamp = stamp;
        if due {
            writer.last_purge_ms = Some(now);
            writer.purge_again = purged == PURGE_BATCH;
        }
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<()> {
        self.remove(&[key])
    }

    async fn mget(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>> {
        Ok(Entry::values(self.lookup(keys)?))
    }

    async fn mdelete(&self, keys: &[&str]) -> Result<()> {
        self.remove(keys)
    }

    /// Reads RocksDB's `rocksdb.background-errors` property: `true` while
    /// it is 0 (a background flush or compaction failure stops writes).
    async fn health_check(&self) -> Result<bool> {
        let errors = self
            .store
            .db
            .property_int_value("rocksdb.background-errors")
            .map_err(db_error("property read"))?;
        Ok(errors.unwrap_or(0) == 0)
    }

    /// Deletes this handle's namespace: `DeleteRange` over the namespace's
    /// key range in the records and the metadata, and the index keys of
    /// each entry, all in one batch.
    async fn clear_all(&self) -> Result<()> {
        let prefix = self.scope.prefix();
        let Some((start, end)) = prefix_range(prefix.as_bytes()) else {
            return Err(Error::Backend("empty namespace prefix".into()));
        };
        let store = &*self.store;
        let mut writer = store.lock();
        let mut totals = writer.totals;
        let mut batch = WriteBatch::default();
        let mut read = ReadOptions::default();
        read.set_iterate_upper_bound(end.clone());
        for item in store.db.iterator_cf_opt(
            store.cf(META)?,
            read,
            IteratorMode::From(&start, Direction::Forward),
        ) {
            let (stored, value) = item.map_err(db_error("scan"))?;
            if let Ok(meta) = Meta::decode(&value) {
                batch.delete_cf(store.cf(BY_WRITTEN)?, written_key(meta.stamp, &stored));
                if let Some(at) = meta.expires_at {
                    batch.delete_cf(store.cf(BY_EXPIRY)?, expiry_key(at, &stored));
                }
                totals.remove(&meta);
            }
        }
        batch.delete_range_cf(store.cf(ENTRIES)?, &start, &end);
        batch.delete_range_cf(store.cf(META)?, &start, &end);
        store.db.write(batch).map_err(db_error("write"))?;
        writer.totals = totals;
        Ok(())
    }
}

impl ExpiryAware for RocksDbBackend {
    async fn get_with_expiry(&self, key: &str) -> Result<Option<Entry>> {
        let stored = self.scope.stored_key(key)?;
        let bytes = self
            .store
            .db
            .get_pinned_cf(self.store.cf(ENTRIES)?, stored.as_bytes())
            .map_err(db_error("read"))?;
        Ok(bytes.and_then(|b| record::live(b.to_vec(), self.scope.now_ms())))
    }

    async fn mget_with_expiry(&self, keys: &[&str]) -> Result<Vec<Option<Entry>>> {
        self.lookup(keys)
    }
}
