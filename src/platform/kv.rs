//! [`KvBackend`]: a persistent [`CacheBackend`] over a Cloudflare Workers KV
//! namespace, or any JavaScript object of its shape (wasm32 only).
//!
//! ## The binding
//!
//! The backend is handed a JavaScript object with four methods, and calls
//! nothing else:
//!
//! | call | resolves to |
//! |---|---|
//! | `get(key, { type: "arrayBuffer" })` | an `ArrayBuffer`, or `null` for a missing key |
//! | `put(key, value /* ArrayBuffer */, { expirationTtl?, metadata })` | anything, once written |
//! | `delete(key)` | anything, once deleted |
//! | `list({ prefix, cursor?, limit })` | `{ keys: [{ name }], list_complete, cursor }` |
//!
//! A Workers KV binding (`env.MY_KV`) is such an object. In a Rust worker,
//! take it from the environment as a `JsValue`:
//!
//! ```ignore
//! let binding = js_sys::Reflect::get(env.as_ref(), &"CACHE".into())?;
//! let cache = KvBackend::builder(binding).namespace("pages").build()?;
//! ```
//!
//! Methods may return a promise or a plain value (it goes through
//! `Promise.resolve`), and `get` may answer with a `Uint8Array` or
//! `undefined` as well. So another store, or a test double, takes a few
//! lines of JavaScript. Deno KV, for example (its keys are arrays, so the
//! string prefix becomes a `start`/`end` range):
//!
//! ```js
//! const kv = await Deno.openKv();
//! const root = ["edgecache"];
//! const binding = {
//!   get: async (key) => (await kv.get([...root, key])).value ?? null,
//!   put: (key, value, { expirationTtl } = {}) =>
//!     kv.set([...root, key], new Uint8Array(value),
//!            expirationTtl ? { expireIn: expirationTtl * 1000 } : {}),
//!   delete: (key) => kv.delete([...root, key]),
//!   async list({ prefix, cursor, limit }) {
//!     const it = kv.list({ start: [...root, prefix], end: [...root, prefix + "\u{10FFFF}"] },
//!                        { cursor, limit });
//!     const keys = [];
//!     for await (const e of it) keys.push({ name: e.key.at(-1) });
//!     return { keys, list_complete: keys.length < limit, cursor: it.cursor };
//!   },
//! };
//! ```
//!
//! (Deno KV's own limits are tighter — 64 KiB values, 2 KiB keys — and a
//! `put` over them fails as [`Error::Backend`].) An in-memory double for
//! tests is a `Map` behind the same four methods
//! (`tests/kv.rs` has one that also enforces KV's limits and injects faults).
//! [`KvBackendBuilder::build`] checks that the four methods exist and are
//! callable.
//!
//! ## What is stored
//!
//! - key: [`key::encode`]`(namespace, key)` (`"{len}:{namespace}:{key}"`),
//!   so namespaces never meet, and `clear_all` lists exactly its own prefix.
//! - value: [`record::encode`]`(expiry, value)`: an 11-byte header (format
//!   version, **exact absolute expiry** in ms) and the bytes.
//! - metadata: `{ v: 1, expiresAt? }` (the record version and the same
//!   expiry), so `list` shows when each key expires.
//! - `expirationTtl`: `max(ceil(ttl in seconds), 60)`, or none without a TTL.
//!
//! ## Exact TTLs over KV's 60-second minimum
//!
//! Workers KV refuses an `expirationTtl` under 60 s (and some wrappers
//! silently raise it). The backend never relies on it for correctness: it
//! writes the exact expiry into the record header and checks it on every
//! read, with its [`Clock`], so a 5 s TTL is a miss 5 s later from the
//! caller's point of view. KV is given the TTL rounded up to whole seconds
//! and raised to 60, only so it reclaims the key itself — at most a minute
//! after the record expired. An expired record is a miss and is **not**
//! deleted on read (see below).
//!
//! ## Eventual consistency
//!
//! KV is eventually consistent: a write (`set`, `delete`, `clear_all`) is
//! visible at once in the location that made it, but may take 60 s or more
//! to be seen in other locations, which meanwhile read the old value (or
//! none). `list`, and so `clear_all`, sees the same lagging view. Use KV for
//! data that may be briefly stale; exact expiry still holds everywhere,
//! because every location checks the record header.
//!
//! ## Limits, checked before any call goes out
//!
//! | limit | error |
//! |---|---|
//! | stored key (namespace encoding included) at most [`KvBackend::MAX_KEY_BYTES`] (512) bytes of UTF-8 | [`Error::InvalidKey`] |
//! | record (11-byte header + value) at most [`KvBackend::MAX_VALUE_BYTES`] (25 MiB) | [`Error::ValueTooLarge`] |
//! | the usual checks: empty keys, zero or over-long TTLs, bad namespaces | [`Error::InvalidKey`] / [`Error::InvalidOptions`] |
//!
//! ## Writes are spent carefully
//!
//! KV accepts about one write per second to the same key, and bills writes
//! (and lists) at ten times the price of reads. So reads never write: a
//! `get`/`exists`/`mget` that finds an expired record, or bytes that do not
//! decode as a record (truncated, foreign, written by a newer edgecache
//! during a rolling deploy), answers a miss and leaves the key alone.
//! Deleting there could also erase a newer value written in another
//! location that this one does not see yet. KV's own `expirationTtl`
//! reclaims expired keys; the next `set` replaces undecodable ones, and
//! `clear_all` removes both. `delete` is one `delete` call, never a write;
//! `health_check` is one `get` of a reserved key outside every namespace.
//!
//! ## Batches
//!
//! `mget`/`mget_with_expiry` and `mdelete` issue their calls concurrently,
//! up to 32 in flight at a time; `clear_all` walks `list({ prefix })` a page
//! of 1,000 names at a time (following `cursor`), deleting each page the
//! same way. A batch returns once every call it issued has settled, with the
//! first error if any. (Workers runs at most six KV calls at once per
//! request and queues the rest, and allows 1,000 KV operations per
//! invocation: clearing a larger namespace may need several invocations —
//! each one continues with what is left.)
//!
//! ## Failures
//!
//! | failure | error |
//! |---|---|
//! | a method throws, or its promise rejects (`KV PUT failed: 429 Too Many Requests`), with an `Error` or any other value | [`Error::Backend`] with the message (or a description of the value) |
//! | `get` answers something other than an `ArrayBuffer`, `Uint8Array`, `null` or `undefined`; `list` answers another shape | [`Error::Backend`] saying what came back |
//! | the stored bytes are not a record this build reads | a miss |
//! | a handle used on another thread than its binding's | [`Error::Unavailable`] |
//!
//! ## Handles are `Send + Sync`; the binding is not
//!
//! As for the IndexedDB backend, a handle holds only an `Arc` of plain Rust
//! data (the clock and a numeric id); the binding lives in a `thread_local!`
//! table under that id, and is dropped with the last handle. wasm32 runs one
//! thread, so every handle finds it; no `unsafe impl Send` is involved.
//!
//! [`CacheBackend`]: crate::CacheBackend
//! [`key::encode`]: crate::key::encode
//! [`record::encode`]: crate::record::encode

mod binding;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use wasm_bindgen::JsValue;

use binding::{Binding, PutOptions};

use crate::backend::{Entry, ExpiryAware};
use crate::concurrent::batched;
use crate::key::{self, check_namespace, check_ttl, Options, Scope};
use crate::platform::registry::Registered;
use crate::record;
use crate::time::{expiry_after, Clock};
use crate::{CacheBackend, Error, Result};

/// Calls kept in flight at once by `mget`, `mdelete` and `clear_all`.
const MAX_IN_FLIGHT: usize = 32;

/// Names per `list` page (KV's maximum).
const LIST_LIMIT: u32 = 1_000;

/// The key `health_check` reads. It has no `"{len}:"` prefix, so it is
/// outside every namespace's keys.
const HEALTH_CHECK_KEY: &str = "edgecache:health-check";

/// A persistent cache in a Workers KV namespace (or any object of its
/// shape), with exact TTLs (wasm32 only).
///
/// - **The binding** is any JavaScript object with `get(key, { type:
///   "arrayBuffer" })`, `put(key, value, { expirationTtl, metadata })`,
///   `delete(key)` and `list({ prefix, cursor, limit })`, each returning a
///   promise (or a plain value): a Workers KV binding, or a few lines of
///   JavaScript over Deno KV or a `Map` for tests.
/// - **Exact TTLs.** KV refuses an `expirationTtl` under 60 s. The exact
///   expiry is stored in each record's header and checked on every read, so
///   a 5 s TTL is a miss 5 s later; KV itself gets `max(ceil(ttl), 60)` s,
///   only to reclaim the key.
/// - **Eventual consistency.** A write is visible at once where it was made,
///   but may take 60 s or more to reach other locations (and `list`, so
///   `clear_all`, lags the same way).
/// - **Limits**, checked before any call: stored keys (namespace encoding
///   included) of at most [`MAX_KEY_BYTES`](Self::MAX_KEY_BYTES) bytes, and
///   records (11-byte header + value) of at most
///   [`MAX_VALUE_BYTES`](Self::MAX_VALUE_BYTES).
/// - **Writes are spared**: reads never write (an expired or undecodable
///   record is a miss, left for KV's TTL or the next `set`), `delete` is one
///   `delete` call, `health_check` one `get`.
/// - **Failures** (a throw, a rejection such as `KV PUT failed: 429 Too Many
///   Requests`, an answer of the wrong type) are [`Error::Backend`] with the
///   message.
///
/// Clones and [`KvBackend::with_namespace`] handles share the binding.
///
/// ```no_run
/// use edgecache::{CacheBackend, KvBackend};
/// use std::time::Duration;
/// # async fn demo(binding: wasm_bindgen::JsValue) -> edgecache::Result<()> {
/// let cache = KvBackend::builder(binding)
///     .namespace("pages")
///     .default_ttl(Duration::from_secs(300))
///     .build()?;
/// cache.set("/", b"<html>".to_vec(), Some(Duration::from_secs(5))).await?;
/// assert_eq!(cache.get("/").await?, Some(b"<html>".to_vec()));
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct KvBackend {
    /// The binding, shared by every handle: plain Rust data (an id), so it
    /// is `Send + Sync`. Dropping the last handle forgets the binding.
    binding: Arc<Registered>,
    scope: Scope,
}

/// Configures a [`KvBackend`]. [`build`](Self::build) checks the binding
/// and the options; it makes no call.
///
/// ```no_run
/// use edgecache::KvBackend;
/// use std::time::Duration;
/// # fn demo(binding: wasm_bindgen::JsValue) -> edgecache::Result<()> {
/// let sessions = KvBackend::builder(binding)
///     .namespace("sessions")
///     .default_ttl(Duration::from_secs(3_600))
///     .build()?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct KvBackendBuilder {
    binding: JsValue,
    options: Options,
}

impl fmt::Debug for KvBackendBuilder {
    // The binding is left out: formatting a JavaScript value calls into it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KvBackendBuilder")
            .field("namespace", &self.options.namespace)
            .field("default_ttl", &self.options.default_ttl)
            .field("clock", &self.options.clock)
            .finish_non_exhaustive()
    }
}

impl KvBackendBuilder {
    /// Namespace of the handle built (default: none). Its keys are stored
    /// as `"{len}:{namespace}:{key}"`, and count toward the 512-byte limit.
    ///
    /// ```no_run
    /// # fn demo(binding: wasm_bindgen::JsValue) {
    /// let b = edgecache::KvBackend::builder(binding).namespace("sessions").build();
    /// # }
    /// ```
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.options.namespace = Some(namespace.into());
        self
    }

    /// TTL for writes that give none (default: no expiry). Any positive TTL
    /// is exact, including those under KV's 60 s minimum.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// # fn demo(binding: wasm_bindgen::JsValue) {
    /// let b = edgecache::KvBackend::builder(binding).default_ttl(Duration::from_secs(30)).build();
    /// # }
    /// ```
    pub fn default_ttl(mut self, ttl: Duration) -> Self {
        self.options.default_ttl = Some(ttl);
        self
    }

    /// The clock that stamps and checks expiry (default `Date.now()`). Tests
    /// pass a [`ManualClock`](crate::time::ManualClock).
    ///
    /// ```no_run
    /// use edgecache::time::ManualClock;
    /// # fn demo(binding: wasm_bindgen::JsValue) {
    /// let b = edgecache::KvBackend::builder(binding).clock(ManualClock::new(0)).build();
    /// # }
    /// ```
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.options.clock = Arc::new(clock);
        self
    }

    /// Checks the binding (an object with callable `get`, `put`, `delete`
    /// and `list`) and the options, and builds the backend. Makes no call.
    ///
    /// ```no_run
    /// use edgecache::KvBackend;
    /// use wasm_bindgen::JsValue;
    /// let err = KvBackend::builder(JsValue::NULL).build().unwrap_err();
    /// assert_eq!(err.code(), "EDGECACHE_INVALID_OPTIONS");
    /// ```
    pub fn build(self) -> Result<KvBackend> {
        let binding = binding::check(self.binding)?;
        let scope = self.options.check(check_kv_namespace)?;
        let binding = binding::register(binding)?;
        Ok(KvBackend {
            binding: Arc::new(binding),
            scope,
        })
    }
}

impl KvBackend {
    /// The longest stored key Workers KV accepts, in UTF-8 bytes, with the
    /// namespace encoding (`"{len}:{namespace}:"`, `"0::"` without one)
    /// included.
    pub const MAX_KEY_BYTES: usize = 512;

    /// The largest value Workers KV accepts (25 MiB), in bytes, with the
    /// record header ([`record::HEADER_LEN`](crate::record::HEADER_LEN),
    /// 11 bytes) included.
    pub const MAX_VALUE_BYTES: usize = 25 * 1024 * 1024;

    /// The shortest `expirationTtl` Workers KV accepts, in seconds. Shorter
    /// TTLs are still exact: see the module docs.
    pub const MIN_EXPIRATION_TTL_SECS: u64 = 60;

    /// A builder over `binding`: a Workers KV namespace, or any object with
    /// the same `get`, `put`, `delete` and `list`.
    ///
    /// ```no_run
    /// # fn demo(binding: wasm_bindgen::JsValue) -> edgecache::Result<()> {
    /// let cache = edgecache::KvBackend::builder(binding).namespace("api").build()?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn builder(binding: JsValue) -> KvBackendBuilder {
        KvBackendBuilder {
            binding,
            options: Options::default(),
        }
    }

    /// A backend over `binding` with the default options (no namespace, no
    /// default TTL, the `Date.now()` clock).
    ///
    /// ```no_run
    /// # fn demo(binding: wasm_bindgen::JsValue) -> edgecache::Result<()> {
    /// let cache = edgecache::KvBackend::new(binding)?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn new(binding: JsValue) -> Result<Self> {
        Self::builder(binding).build()
    }

    /// Another handle on the same binding whose keys live in `namespace`.
    /// `clear_all` on it clears that namespace only.
    ///
    /// ```no_run
    /// use edgecache::{CacheBackend, KvBackend};
    /// # async fn demo(binding: wasm_bindgen::JsValue) -> edgecache::Result<()> {
    /// let store = KvBackend::new(binding)?;
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
            binding: Arc::clone(&self.binding),
            scope: self.scope.with_namespace(namespace, check_kv_namespace)?,
        })
    }

    /// The key as stored in KV, refused if KV would refuse it.
    fn stored_key(&self, key: &str) -> Result<String> {
        let stored = self.scope.stored_key(key)?;
        if stored.len() > Self::MAX_KEY_BYTES {
            return Err(Error::InvalidKey(format!(
                "key is {} bytes in Workers KV with its namespace encoding ({:?}); the limit \
                 is {} bytes (UTF-8)",
                stored.len(),
                self.scope.prefix(),
                Self::MAX_KEY_BYTES
            )));
        }
        Ok(stored)
    }

    fn binding(&self) -> Result<Binding> {
        binding::lookup(&self.binding)
    }

    /// Reads `keys` (all checked first) with their expiry, concurrently.
    async fn lookup(&self, keys: &[&str]) -> Result<Vec<Option<Entry>>> {
        let stored = keys
            .iter()
            .map(|k| self.stored_key(k))
            .collect::<Result<Vec<_>>>()?;
        if stored.is_empty() {
            return Ok(Vec::new());
        }
        let binding = self.binding()?;
        let found = batched(&stored, MAX_IN_FLIGHT, |k| binding.get(k).bytes()).await?;
        let now = self.scope.now_ms();
        Ok(found
            .into_iter()
            .map(|bytes| bytes.and_then(|bytes| record::live(bytes, now)))
            .collect())
    }

    /// Deletes `stored` keys, concurrently.
    async fn delete_stored(binding: &Binding, stored: &[impl AsRef<str>]) -> Result<()> {
        batched(stored, MAX_IN_FLIGHT, |k| binding.delete(k.as_ref()).done())
            .await
            .map(drop)
    }
}

/// KV's `expirationTtl` for `ttl`: whole seconds, rounded up, at least 60.
fn kv_expiration_ttl(ttl: Duration) -> u64 {
    let secs = ttl
        .as_secs()
        .saturating_add(u64::from(ttl.subsec_nanos() > 0));
    secs.max(KvBackend::MIN_EXPIRATION_TTL_SECS)
}

/// A namespace must pass the usual checks and leave room for a key.
fn check_kv_namespace(namespace: &str) -> Result<()> {
    check_namespace(namespace)?;
    let prefix = key::prefix(Some(namespace)).len();
    if prefix >= KvBackend::MAX_KEY_BYTES {
        return Err(Error::InvalidOptions(format!(
            "namespace takes {prefix} bytes of Workers KV's {}-byte keys, leaving no room",
            KvBackend::MAX_KEY_BYTES
        )));
    }
    Ok(())
}

impl CacheBackend for KvBackend {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.get_with_expiry(key).await?.map(|e| e.value))
    }

    async fn set(&self, key: &str, value: Vec<u8>, ttl: Option<Duration>) -> Result<()> {
        let stored = self.stored_key(key)?;
        check_ttl(ttl)?;
        let size = value.len().saturating_add(record::HEADER_LEN);
        if size > Self::MAX_VALUE_BYTES {
            return Err(Error::ValueTooLarge {
                size: u64::try_from(size).unwrap_or(u64::MAX),
                limit: Self::MAX_VALUE_BYTES as u64,
            });
        }
        let binding = self.binding()?;
        let ttl = self.scope.ttl(ttl);
        let expires_at = expiry_after(self.scope.now_ms(), ttl);
        let record = record::encode(expires_at, &value);
        drop(value);
        let options = PutOptions {
            expiration_ttl: ttl.map(kv_expiration_ttl),
            expires_at,
        };
        binding.put(&stored, &record, &options).done().await
    }

    async fn delete(&self, key: &str) -> Result<()> {
        let stored = self.stored_key(key)?;
        self.binding()?.delete(&stored).done().await
    }

    async fn mget(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>> {
        Ok(Entry::values(self.lookup(keys).await?))
    }

    async fn mdelete(&self, keys: &[&str]) -> Result<()> {
        let stored = keys
            .iter()
            .map(|k| self.stored_key(k))
            .collect::<Result<Vec<_>>>()?;
        if stored.is_empty() {
            return Ok(());
        }
        Self::delete_stored(&self.binding()?, &stored).await
    }

    /// One `get` of a reserved key outside every namespace: `Ok(true)` if
    /// the binding answers as KV does, the error otherwise. Never writes.
    async fn health_check(&self) -> Result<bool> {
        self.binding()?.get(HEALTH_CHECK_KEY).bytes().await?;
        Ok(true)
    }

    /// Deletes every key of this handle's namespace (the keys of a handle
    /// without one, with no namespace), a `list` page at a time.
    async fn clear_all(&self) -> Result<()> {
        let prefix = self.scope.prefix();
        let binding = self.binding()?;
        let mut cursor: Option<String> = None;
        loop {
            let page = binding
                .list(&prefix, cursor.as_deref(), LIST_LIMIT)
                .page()
                .await?;
            // Only ours, even if the binding ignored the prefix.
            let names: Vec<&String> = page
                .names
                .iter()
                .filter(|n| n.starts_with(&prefix))
                .collect();
            Self::delete_stored(&binding, &names).await?;
            match page.next {
                None => return Ok(()),
                Some(next) if cursor.as_deref() == Some(next.as_str()) => {
                    return Err(Error::Backend(format!(
                        "KV list of prefix {prefix:?} returned the cursor it was given; \
                         stopping instead of looping"
                    )));
                }
                Some(next) => cursor = Some(next),
            }
        }
    }
}

impl ExpiryAware for KvBackend {
    async fn get_with_expiry(&self, key: &str) -> Result<Option<Entry>> {
        Ok(self.lookup(&[key]).await?.into_iter().next().flatten())
    }

    async fn mget_with_expiry(&self, keys: &[&str]) -> Result<Vec<Option<Entry>>> {
        self.lookup(keys).await
    }
}
