//! The wasm32 half of the backend (see the module docs one level up).

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use wasm_bindgen::JsValue;

use super::binding::{self, Binding, Outcome, Param, Statement};

use crate::backend::{Entry, ExpiryAware};
use crate::backends::d1::sql::{self, Statements};
use crate::key::{check_key, check_namespace, check_ttl, Options, Scope};
use crate::record;
use crate::time::{expiry_after, Clock};
use crate::wasm::registry::Registered;
use crate::{CacheBackend, Error, Result, Stats};

/// Writes between two purges, unless configured.
const PURGE_EVERY: u32 = 64;
/// Rows one write-triggered purge deletes at most, unless configured.
const PURGE_ROWS: u32 = 100;

/// A persistent cache in a Cloudflare D1 table, with exact TTLs (wasm32
/// only).
///
/// - **Schema**: `(namespace, key) → value BLOB, expires_at`, indexed on
///   `expires_at`; [`D1BackendBuilder::open`] creates it if missing.
/// - **Exact TTLs**: the expiry is stored in the value's record header and
///   checked on every read with the backend's clock.
/// - **One round trip** for `mget`/`mdelete` of any size: 99 keys per
///   statement, all statements in one `batch`.
/// - **Bounded purges** of expired rows, on writes and on demand
///   ([`purge_expired`](Self::purge_expired)).
/// - **Strongly consistent**, unlike Workers KV.
/// - **Failures** are [`Error::Backend`] with D1's message.
///
/// ```no_run
/// use edgecache::{CacheBackend, D1Backend};
/// use std::time::Duration;
/// # async fn demo(db: wasm_bindgen::JsValue) -> edgecache::Result<()> {
/// let cache = D1Backend::builder(db).table("cache").namespace("pages").open().await?;
/// cache.set("/", b"<html>".to_vec(), Some(Duration::from_secs(5))).await?;
/// assert_eq!(cache.get("/").await?, Some(b"<html>".to_vec()));
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct D1Backend {
    shared: Arc<Shared>,
    scope: Scope,
}

/// What every handle of one backend shares: plain Rust data, so it is
/// `Send + Sync`. Dropping the last handle forgets the binding.
#[derive(Debug)]
struct Shared {
    binding: Registered,
    sql: Statements,
    purge_every: u32,
    purge_rows: u32,
    writes: AtomicU64,
    hits: AtomicU64,
    misses: AtomicU64,
    inserts: AtomicU64,
    purged: AtomicU64,
}

/// Configures a [`D1Backend`]. [`build`](Self::build) checks the binding
/// and the options and makes no call; [`open`](Self::open) also creates the
/// table.
#[derive(Clone)]
pub struct D1BackendBuilder {
    binding: JsValue,
    table: String,
    options: Options,
    purge_every: u32,
    purge_rows: u32,
}

impl fmt::Debug for D1BackendBuilder {
    // The binding is left out: formatting a JavaScript value calls into it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("D1BackendBuilder")
            .field("table", &self.table)
            .field("namespace", &self.options.namespace)
            .field("default_ttl", &self.options.default_ttl)
            .field("clock", &self.options.clock)
            .field("purge_every", &self.purge_every)
            .field("purge_rows", &self.purge_rows)
            .finish_non_exhaustive()
    }
}

impl D1BackendBuilder {
    /// The table (default `edgecache`): 1-64 ASCII letters, digits and
    /// underscores, not starting with a digit, not `sqlite_*` or `_cf_*`.
    ///
    /// ```no_run
    /// # fn demo(db: wasm_bindgen::JsValue) {
    /// let b = edgecache::D1Backend::builder(db).table("cache_v2").build();
    /// # }
    /// ```
    pub fn table(mut self, table: impl Into<String>) -> Self {
        self.table = table.into();
        self
    }

    /// Namespace of the handle built (default: none): a value of the
    /// `namespace` column; `clear_all` clears only it.
    ///
    /// ```no_run
    /// # fn demo(db: wasm_bindgen::JsValue) {
    /// let b = edgecache::D1Backend::builder(db).namespace("sessions").build();
    /// # }
    /// ```
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.options.namespace = Some(namespace.into());
        self
    }

    /// TTL for writes that give none (default: no expiry).
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// # fn demo(db: wasm_bindgen::JsValue) {
    /// let b = edgecache::D1Backend::builder(db).default_ttl(Duration::from_secs(30)).build();
    /// # }
    /// ```
    pub fn default_ttl(mut self, ttl: Duration) -> Self {
        self.options.default_ttl = Some(ttl);
        self
    }

    /// The clock that stamps and checks expiry (default `Date.now()`).
    /// Tests pass a [`ManualClock`](crate::time::ManualClock).
    ///
    /// ```no_run
    /// use edgecache::time::ManualClock;
    /// # fn demo(db: wasm_bindgen::JsValue) {
    /// let b = edgecache::D1Backend::builder(db).clock(ManualClock::new(0)).build();
    /// # }
    /// ```
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.options.clock = Arc::new(clock);
        self
    }

    /// Purge up to `rows` expired rows with the first write and every
    /// `every`-th after it (default 64 and 100; `every` 0 turns write
    /// purges off). `rows` is clamped to `1..=10,000`.
    ///
    /// ```no_run
    /// # fn demo(db: wasm_bindgen::JsValue) {
    /// let b = edgecache::D1Backend::builder(db).purge_on_write(16, 500).build();
    /// # }
    /// ```
    pub fn purge_on_write(mut self, every: u32, rows: u32) -> Self {
        self.purge_every = every;
        self.purge_rows = rows.clamp(1, sql::MAX_PURGE_ROWS);
        self
    }

    /// Checks the binding (an object with callable `prepare` and `batch`)
    /// and the options, and builds the backend. Makes no call: the table
    /// must exist (see [`open`](Self::open)).
    ///
    /// ```no_run
    /// use edgecache::D1Backend;
    /// use wasm_bindgen::JsValue;
    /// let err = D1Backend::builder(JsValue::NULL).build().unwrap_err();
    /// assert_eq!(err.code(), "EDGECACHE_INVALID_OPTIONS");
    /// ```
    pub fn build(self) -> Result<D1Backend> {
        let binding = binding::check(self.binding)?;
        let sql = Statements::new(&self.table)?;
        let scope = self.options.check(check_namespace)?;
        let binding = binding::register(binding)?;
        Ok(D1Backend {
            shared: Arc::new(Shared {
                binding,
                sql,
                purge_every: self.purge_every,
                purge_rows: self.purge_rows,
                writes: AtomicU64::new(0),
                hits: AtomicU64::new(0),
                misses: AtomicU64::new(0),
                inserts: AtomicU64::new(0),
                purged: AtomicU64::new(0),
            }),
            scope,
        })
    }

    /// [`build`](Self::build), then [`D1Backend::create_table`]: the
    /// backend, once its table and index exist.
    ///
    /// ```no_run
    /// # async fn demo(db: wasm_bindgen::JsValue) -> edgecache::Result<()> {
    /// let cache = edgecache::D1Backend::builder(db).open().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn open(self) -> Result<D1Backend> {
        let backend = self.build()?;
        backend.create_table().await?;
        Ok(backend)
    }
}

impl D1Backend {
    /// A builder over `binding`: a D1 database binding (`env.DB`), or any
    /// object with the same `prepare` and `batch`.
    ///
    /// ```no_run
    /// # fn demo(db: wasm_bindgen::JsValue) -> edgecache::Result<()> {
    /// let cache = edgecache::D1Backend::builder(db).namespace("api").build()?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn builder(binding: JsValue) -> D1BackendBuilder {
        D1BackendBuilder {
            binding,
            table: sql::DEFAULT_TABLE.to_owned(),
            options: Options::default(),
            purge_every: PURGE_EVERY,
            purge_rows: PURGE_ROWS,
        }
    }

    /// Another handle on the same table whose keys live in `namespace`.
    ///
    /// ```no_run
    /// # fn demo(db: wasm_bindgen::JsValue) -> edgecache::Result<()> {
    /// let store = edgecache::D1Backend::builder(db).build()?;
    /// let sessions = store.with_namespace("sessions")?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_namespace(&self, namespace: &str) -> Result<Self> {
        Ok(Self {
            shared: Arc::clone(&self.shared),
            scope: self.scope.with_namespace(namespace, check_namespace)?,
        })
    }

    /// The table's name.
    pub fn table(&self) -> &str {
        self.shared.sql.table()
    }

    /// Creates the table and its index if they are missing (one `batch` of
    /// two `IF NOT EXISTS` statements), once per binding and table in this
    /// isolate: later calls make no call.
    ///
    /// ```no_run
    /// # async fn demo(db: wasm_bindgen::JsValue) -> edgecache::Result<()> {
    /// let cache = edgecache::D1Backend::builder(db).build()?;
    /// cache.create_table().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn create_table(&self) -> Result<()> {
        let binding = self.binding()?;
        let sql = &self.shared.sql;
        if binding::created(&binding, sql.table()) {
            return Ok(());
        }
        let doing = || format!("D1 create table {:?}", sql.table());
        let statements = vec![
            binding.statement(&sql.create_table(), &[], doing)?,
            binding.statement(&sql.create_index(), &[], || {
                format!("D1 create index on {:?}", sql.table())
            })?,
        ];
        binding.batch(statements).await?;
        binding::remember_created(&binding, sql.table(), true);
        Ok(())
    }

    /// Deletes at most `max_rows` expired rows (of every namespace; clamped
    /// to `1..=10,000`) in one statement through the `expires_at` index,
    /// and returns how many it deleted. Call it again while it returns
    /// `max_rows` to purge more.
    ///
    /// ```no_run
    /// # async fn demo(cache: edgecache::D1Backend) -> edgecache::Result<()> {
    /// while cache.purge_expired(1_000).await? == 1_000 {}
    /// # Ok(())
    /// # }
    /// ```
    pub async fn purge_expired(&self, max_rows: u32) -> Result<u64> {
        let binding = self.binding()?;
        let statement = self.purge_statement(&binding, max_rows)?;
        let outcome = self.watch(&binding, statement.run().await)?;
        let purged = outcome.changes()?;
        self.shared.purged.fetch_add(purged, Ordering::Relaxed);
        Ok(purged)
    }

    /// Hits, misses and inserts counted by this backend since it was built,
    /// expired rows it purged, and the live entries and bytes (key +
    /// record) of this handle's namespace: one `SELECT count(*)`.
    ///
    /// ```no_run
    /// # async fn demo(cache: edgecache::D1Backend) -> edgecache::Result<()> {
    /// let stats = cache.stats().await?;
    /// println!("{} entries, {} bytes", stats.entries, stats.bytes);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn stats(&self) -> Result<Stats> {
        let binding = self.binding()?;
        let now = self.scope.now_ms();
        let statement = binding.statement(
            &self.shared.sql.stats(),
            &[Param::Text(self.ns()), Param::Int(now)],
            || format!("D1 stats of {:?}", self.table()),
        )?;
        let outcome = self.watch(&binding, statement.all().await)?;
        let counts = outcome.rows(|row| Ok((row.number("entries")?, row.number("bytes")?)))?;
        let (entries, bytes) = counts.first().copied().unwrap_or((0.0, 0.0));
        let whole = |n: f64| {
            if n.is_finite() && n > 0.0 {
                n as u64
            } else {
                0
            }
        };
        let shared = &self.shared;
        Ok(Stats {
            hits: shared.hits.load(Ordering::Relaxed),
            misses: shared.misses.load(Ordering::Relaxed),
            inserts: shared.inserts.load(Ordering::Relaxed),
            evictions: 0,
            expirations: shared.purged.load(Ordering::Relaxed),
            entries: whole(entries),
            bytes: whole(bytes),
        })
    }

    fn ns(&self) -> &str {
        sql::namespace_column(self.scope.namespace())
    }

    fn binding(&self) -> Result<Binding> {
        binding::lookup(&self.shared.binding)
    }

    /// Passes `result` through, forgetting that the table was created if
    /// D1 says it is missing (so the next `open` creates it again), and
    /// saying how to fix that.
    fn watch<T>(&self, binding: &Binding, result: Result<T>) -> Result<T> {
        match result {
            Err(Error::Backend(message)) if message.contains("no such table") => {
                binding::remember_created(binding, self.table(), false);
                Err(Error::Backend(format!(
                    "{message} (create the table with EdgeCache.d1(), D1BackendBuilder::open \
                     or D1Backend::create_table)"
                )))
            }
            other => other,
        }
    }

    fn purge_statement(&self, binding: &Binding, max_rows: u32) -> Result<Statement> {
        let rows = max_rows.clamp(1, sql::MAX_PURGE_ROWS);
        binding.statement(
            &self.shared.sql.purge(),
            &[Param::Int(self.scope.now_ms()), Param::Int(u64::from(rows))],
            || format!("D1 purge of expired rows in {:?}", self.table()),
        )
    }

    /// Statements deleting or reading `keys` (all checked first), at most
    /// 99 distinct keys each, and the distinct keys.
    fn key_statements<'k>(
        &self,
        binding: &Binding,
        keys: &[&'k str],
        read: bool,
    ) -> Result<(Vec<Statement>, Vec<&'k str>)> {
        for key in keys {
            check_key(key)?;
        }
        let distinct = sql::distinct(keys);
        let mut statements = Vec::with_capacity(sql::statements_for(distinct.len()));
        for chunk in distinct.chunks(sql::KEYS_PER_STATEMENT) {
            let mut params = Vec::with_capacity(chunk.len() + 1);
            params.push(Param::Text(self.ns()));
            params.extend(chunk.iter().map(|k| Param::Text(k)));
            let (text, verb) = if read {
                (self.shared.sql.select(chunk.len()), "get")
            } else {
                (self.shared.sql.delete(chunk.len()), "delete")
            };
            statements.push(binding.statement(&text, &params, || match chunk {
                [one] => format!("D1 {verb} of {one:?}"),
                _ => format!("D1 {verb} of {} keys", chunk.len()),
            })?);
        }
        Ok((statements, distinct))
    }

    /// Reads `keys` with their expiry: one statement, or one batch. Counts
    /// hits and misses if `count` (reads do; `exists` does not).
    async fn lookup(&self, keys: &[&str], count: bool) -> Result<Vec<Option<Entry>>> {
        let binding = self.binding()?;
        let (statements, _) = self.key_statements(&binding, keys, true)?;
        if statements.is_empty() {
            return Ok(Vec::new());
        }
        let outcomes = self.watch(&binding, binding.execute(statements).await)?;
        let now = self.scope.now_ms();
        let mut found: HashMap<String, Option<Entry>> = HashMap::new();
        for outcome in &outcomes {
            for (key, value) in outcome.rows(|row| Ok((row.text("key")?, row.blob("value")?)))? {
                if let Some(value) = value {
                    found.insert(key, record::live(value, now));
                }
            }
        }
        let entries: Vec<Option<Entry>> = keys
            .iter()
            .map(|k| found.get(*k).cloned().flatten())
            .collect();
        if count {
            let hits = entries.iter().filter(|e| e.is_some()).count() as u64;
            self.shared.hits.fetch_add(hits, Ordering::Relaxed);
            self.shared
                .misses
                .fetch_add(entries.len() as u64 - hits, Ordering::Relaxed);
        }
        Ok(entries)
    }

    async fn run_writes(
        &self,
        binding: &Binding,
        statements: Vec<Statement>,
    ) -> Result<Vec<Outcome>> {
        self.watch(binding, binding.execute(statements).await)
    }
}

impl CacheBackend for D1Backend {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.get_with_expiry(key).await?.map(|e| e.value))
    }

    /// One upsert (`run()`), or a batch of the upsert and a bounded purge
    /// on the first and every `purge_every`-th write (one transaction: if
    /// the purge fails, so does the write).
    async fn set(&self, key: &str, value: Vec<u8>, ttl: Option<Duration>) -> Result<()> {
        check_key(key)?;
        check_ttl(ttl)?;
        sql::check_row(
            self.scope.namespace(),
            key,
            value.len().saturating_add(record::HEADER_LEN),
        )?;
        let binding = self.binding()?;
        let expires_at = expiry_after(self.scope.write_ms(), self.scope.ttl(ttl));
        let record = record::encode(expires_at, &value);
        drop(value);
        let upsert = binding.statement(
            &self.shared.sql.upsert(),
            &[
                Param::Text(self.ns()),
                Param::Text(key),
                Param::Blob(&record),
                expires_at.map_or(Param::Null, Param::Int),
            ],
            || format!("D1 set of {key:?}"),
        )?;
        drop(record);
        let every = u64::from(self.shared.purge_every);
        let n = self.shared.writes.fetch_add(1, Ordering::Relaxed);
        if every > 0 && n % every == 0 {
            let purge = self.purge_statement(&binding, self.shared.purge_rows)?;
            let outcomes = self.run_writes(&binding, vec![upsert, purge]).await?;
            // The write is done: an answer without a row count only goes
            // uncounted in `stats().expirations`.
            if let Some(Ok(purged)) = outcomes.get(1).map(Outcome::changes) {
                self.shared.purged.fetch_add(purged, Ordering::Relaxed);
            }
        } else {
            self.watch(&binding, upsert.run().await)?;
        }
        self.shared.inserts.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<()> {
        self.mdelete(&[key]).await
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

    /// One `DELETE ... IN (...)` per 99 distinct keys, all in one batch.
    async fn mdelete(&self, keys: &[&str]) -> Result<()> {
        let binding = self.binding()?;
        let (statements, _) = self.key_statements(&binding, keys, false)?;
        if statements.is_empty() {
            return Ok(());
        }
        self.run_writes(&binding, statements).await.map(drop)
    }

    /// One `SELECT 1 FROM <table> LIMIT 1`: `Ok(true)` if the table answers.
    async fn health_check(&self) -> Result<bool> {
        let binding = self.binding()?;
        let statement = binding.statement(&self.shared.sql.health(), &[], || {
            format!("D1 health check of {:?}", self.table())
        })?;
        self.watch(&binding, statement.all().await)?;
        Ok(true)
    }

    /// Deletes this handle's namespace (the rows without one, for a handle
    /// without one), 1,000 rows per statement until a statement deletes
    /// fewer.
    async fn clear_all(&self) -> Result<()> {
        let binding = self.binding()?;
        loop {
            let statement = binding.statement(
                &self.shared.sql.clear_chunk(),
                &[
                    Param::Text(self.ns()),
                    Param::Int(u64::from(sql::CLEAR_CHUNK_ROWS)),
                ],
                || format!("D1 clear of {:?}", self.table()),
            )?;
            let changes = self.watch(&binding, statement.run().await)?.changes()?;
            if changes > u64::from(sql::CLEAR_CHUNK_ROWS) {
                return Err(Error::Backend(format!(
                    "D1 clear of {:?}: a statement limited to {} rows reported {changes} changes",
                    self.table(),
                    sql::CLEAR_CHUNK_ROWS
                )));
            }
            if changes < u64::from(sql::CLEAR_CHUNK_ROWS) {
                return Ok(());
            }
        }
    }
}

impl ExpiryAware for D1Backend {
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
