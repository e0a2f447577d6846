//! The wasm32 half of the backend (see the module docs one level up).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use wasm_bindgen::JsValue;

use super::binding::{self, Binding, PutOptions};
use super::rules;

use crate::backend::{Entry, ExpiryAware};
use crate::concurrent::batched;
use crate::key::{check_ttl, Options, Scope};
use crate::record;
use crate::time::{expiry_after, Clock};
use crate::wasm::registry::Registered;
use crate::{CacheBackend, Error, Result};

/// Calls kept in flight at once by `mget`, `mdelete` and `clear_all`.
const MAX_IN_FLIGHT: usize = 32;

/// Names per `list` page (KV's maximum).
pub(super) const LIST_LIMIT: u32 = 1_000;

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
        let scope = self.options.check(rules::check_namespace)?;
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
    pub const MAX_KEY_BYTES: usize = rules::MAX_KEY_BYTES;

    /// The largest value Workers KV accepts (25 MiB), in bytes, with the
    /// record header ([`record::HEADER_LEN`](crate::record::HEADER_LEN),
    /// 11 bytes) included.
    pub const MAX_VALUE_BYTES: usize = rules::MAX_VALUE_BYTES;

    /// The shortest `expirationTtl` Workers KV accepts, in seconds. Shorter
    /// TTLs are still exact: see the module docs.
    pub const MIN_EXPIRATION_TTL_SECS: u64 = rules::MIN_EXPIRATION_TTL_SECS;

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
            scope: self
                .scope
                .with_namespace(namespace, rules::check_namespace)?,
        })
    }

    /// The key as stored in KV, refused if KV would refuse it.
    fn stored_key(&self, key: &str) -> Result<String> {
        rules::stored_key(&self.scope, key)
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

impl CacheBackend for KvBackend {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.get_with_expiry(key).await?.map(|e| e.value))
    }

    async fn set(&self, key: &str, value: Vec<u8>, ttl: Option<Duration>) -> Result<()> {
        let stored = self.stored_key(key)?;
        check_ttl(ttl)?;
        rules::check_value_len(value.len())?;
        let binding = self.binding()?;
        let ttl = self.scope.ttl(ttl);
        let expires_at = expiry_after(self.scope.write_ms(), ttl);
        let record = record::encode(expires_at, &value);
        drop(value);
        let options = PutOptions {
            expiration_ttl: ttl.map(rules::expiration_ttl),
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
        self.binding()?.get(rules::HEALTH_CHECK_KEY).bytes().await?;
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
