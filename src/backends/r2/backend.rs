//! The wasm32 half of the backend (see the module docs one level up).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use js_sys::Uint8Array;
use wasm_bindgen::JsValue;

use super::binding::{self, Binding};

use super::layout::{self, Metadata, PAGE_KEYS};
use crate::backend::{Entry, ExpiryAware};
use crate::concurrent::batched;
use crate::key::{check_ttl, Options, Scope};
use crate::time::{expiry_after, Clock};
use crate::wasm::registry::Registered;
use crate::{CacheBackend, Error, Result};

/// `get`s kept in flight at once by `mget`.
const MAX_IN_FLIGHT: usize = 16;

/// A persistent cache in a Cloudflare R2 bucket (or any object of its
/// shape), with exact TTLs in object metadata (wasm32 only).
///
/// - **The binding** is any JavaScript object with `get`, `head`, `put`,
///   `delete` and `list` as R2's: an R2 bucket binding, Miniflare's
///   `getR2Bucket` proxy, or a test double.
/// - **Exact TTLs**: the expiry is in each object's `customMetadata`,
///   checked on every read with the backend's clock. Expired objects are
///   misses, left for the next `set`, `clear_all` or a lifecycle rule.
/// - **Bodies are the bare value**, so [`get_body`](Self::get_body) /
///   [`put_body`](Self::put_body) (streams, never copied into wasm) and
///   `get`/`set` read each other's objects.
/// - **Limits**, checked before any call: object keys (prefix and namespace
///   encoding included) of at most [`MAX_KEY_BYTES`](Self::MAX_KEY_BYTES)
///   bytes; values of at most [`MAX_VALUE_BYTES`](Self::MAX_VALUE_BYTES).
/// - **Failures** are [`Error::Backend`] with R2's message; objects that are
///   not edgecache's are misses.
///
/// ```no_run
/// use edgecache::{CacheBackend, R2Backend};
/// use std::time::Duration;
/// # async fn demo(bucket: wasm_bindgen::JsValue) -> edgecache::Result<()> {
/// let cache = R2Backend::builder(bucket)
///     .prefix("cache/")
///     .default_ttl(Duration::from_secs(3_600))
///     .build()?;
/// cache.set("report.pdf", vec![0; 40 << 20], None).await?;
/// assert!(cache.exists("report.pdf").await?);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct R2Backend {
    shared: Arc<Shared>,
    scope: Scope,
}

/// What every handle of one backend shares: plain Rust data, so it is
/// `Send + Sync`. Dropping the last handle forgets the binding.
#[derive(Debug)]
struct Shared {
    binding: Registered,
    prefix: String,
}

/// Configures an [`R2Backend`]. [`build`](Self::build) checks the binding
/// and the options; it makes no call.
///
/// ```no_run
/// use edgecache::R2Backend;
/// # fn demo(bucket: wasm_bindgen::JsValue) -> edgecache::Result<()> {
/// let media = R2Backend::builder(bucket).prefix("edgecache/").namespace("media").build()?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct R2BackendBuilder {
    binding: JsValue,
    prefix: String,
    options: Options,
}

impl fmt::Debug for R2BackendBuilder {
    // The binding is left out: formatting a JavaScript value calls into it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("R2BackendBuilder")
            .field("prefix", &self.prefix)
            .field("namespace", &self.options.namespace)
            .field("default_ttl", &self.options.default_ttl)
            .field("clock", &self.options.clock)
            .finish_non_exhaustive()
    }
}

impl R2BackendBuilder {
    /// A fixed string in front of every object key (default: none), so the
    /// cache can share a bucket with other data: empty, or ending in `/`
    /// and without `:` (see [`layout::check_prefix`](crate::backends::r2::layout::check_prefix)).
    /// It counts toward R2's 1,024-byte keys.
    ///
    /// ```no_run
    /// # fn demo(bucket: wasm_bindgen::JsValue) {
    /// let b = edgecache::R2Backend::builder(bucket).prefix("cache/v1/").build();
    /// # }
    /// ```
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Namespace of the handle built (default: none). Its keys are stored
    /// as `"{prefix}{len}:{namespace}:{key}"`.
    ///
    /// ```no_run
    /// # fn demo(bucket: wasm_bindgen::JsValue) {
    /// let b = edgecache::R2Backend::builder(bucket).namespace("sessions").build();
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
    /// # fn demo(bucket: wasm_bindgen::JsValue) {
    /// let b = edgecache::R2Backend::builder(bucket).default_ttl(Duration::from_secs(30)).build();
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
    /// # fn demo(bucket: wasm_bindgen::JsValue) {
    /// let b = edgecache::R2Backend::builder(bucket).clock(ManualClock::new(0)).build();
    /// # }
    /// ```
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.options.clock = Arc::new(clock);
        self
    }

    /// Checks the binding (an object with callable `get`, `head`, `put`,
    /// `delete` and `list`) and the options, and builds the backend. Makes
    /// no call.
    ///
    /// ```no_run
    /// use edgecache::R2Backend;
    /// use wasm_bindgen::JsValue;
    /// let err = R2Backend::builder(JsValue::NULL).build().unwrap_err();
    /// assert_eq!(err.code(), "EDGECACHE_INVALID_OPTIONS");
    /// ```
    pub fn build(self) -> Result<R2Backend> {
        let bucket = binding::check(self.binding)?;
        layout::check_prefix(&self.prefix)?;
        let prefix = &self.prefix;
        let scope = self
            .options
            .check(|ns| layout::check_namespace(prefix, ns))?;
        let binding = binding::register(bucket)?;
        Ok(R2Backend {
            shared: Arc::new(Shared {
                binding,
                prefix: self.prefix,
            }),
            scope,
        })
    }
}

impl R2Backend {
    /// The longest object key R2 accepts, in UTF-8 bytes, with the prefix
    /// and the namespace encoding (`"{len}:{namespace}:"`, `"0::"` without
    /// one) included.
    pub const MAX_KEY_BYTES: usize = layout::MAX_KEY_BYTES;

    /// The largest value one R2 `put` accepts (5 GiB less 5 MiB). Values
    /// passed through `set` are bounded lower by wasm memory.
    pub const MAX_VALUE_BYTES: u64 = layout::MAX_VALUE_BYTES;

    /// A builder over `binding`: an R2 bucket binding, or any object with
    /// the same `get`, `head`, `put`, `delete` and `list`.
    ///
    /// ```no_run
    /// # fn demo(bucket: wasm_bindgen::JsValue) -> edgecache::Result<()> {
    /// let cache = edgecache::R2Backend::builder(bucket).namespace("api").build()?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn builder(binding: JsValue) -> R2BackendBuilder {
        R2BackendBuilder {
            binding,
            prefix: String::new(),
            options: Options::default(),
        }
    }

    /// A backend over `binding` with the default options (no prefix, no
    /// namespace, no default TTL, the `Date.now()` clock).
    ///
    /// ```no_run
    /// # fn demo(bucket: wasm_bindgen::JsValue) -> edgecache::Result<()> {
    /// let cache = edgecache::R2Backend::new(bucket)?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn new(binding: JsValue) -> Result<Self> {
        Self::builder(binding).build()
    }

    /// Another handle on the same bucket and prefix whose keys live in
    /// `namespace`. `clear_all` on it clears that namespace only.
    ///
    /// ```no_run
    /// use edgecache::{CacheBackend, R2Backend};
    /// # async fn demo(bucket: wasm_bindgen::JsValue) -> edgecache::Result<()> {
    /// let store = R2Backend::new(bucket)?;
    /// let a = store.with_namespace("a")?;
    /// store.with_namespace("b")?.clear_all().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_namespace(&self, namespace: &str) -> Result<Self> {
        let prefix = &self.shared.prefix;
        Ok(Self {
            shared: Arc::clone(&self.shared),
            scope: self
                .scope
                .with_namespace(namespace, |ns| layout::check_namespace(prefix, ns))?,
        })
    }

    /// The live object's body under `key` as the binding hands it out (a
    /// `ReadableStream`), never read into wasm memory; `None` for a miss
    /// (missing, expired, or not edgecache's).
    ///
    /// ```no_run
    /// # async fn demo(cache: edgecache::R2Backend) -> edgecache::Result<()> {
    /// if let Some(stream) = cache.get_body("video.mp4").await? {
    ///     // hand `stream` to a Response
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn get_body(&self, key: &str) -> Result<Option<JsValue>> {
        let object = self.object_key(key)?;
        let Some(found) = self.binding()?.get(&object).object().await? else {
            return Ok(None);
        };
        if self.live_meta(&found).is_none() {
            found.discard();
            return Ok(None);
        }
        found.body().map(Some)
    }

    /// Stores `body` under `key` as it is, without copying it into wasm
    /// memory: anything the binding's `put` takes (`ReadableStream` of known
    /// length, `Blob`, `ArrayBuffer`, typed array, string). `ttl: None`
    /// applies the default TTL. The caller checks the body's size (R2 refuses
    /// more than [`MAX_VALUE_BYTES`](Self::MAX_VALUE_BYTES), and a stream of
    /// unknown length, with [`Error::Backend`]).
    ///
    /// ```no_run
    /// # async fn demo(cache: edgecache::R2Backend, stream: wasm_bindgen::JsValue) -> edgecache::Result<()> {
    /// cache.put_body("video.mp4", &stream, None).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn put_body(&self, key: &str, body: &JsValue, ttl: Option<Duration>) -> Result<()> {
        let object = self.object_key(key)?;
        check_ttl(ttl)?;
        let binding = self.binding()?;
        let meta = self.metadata(ttl);
        binding.put(&object, body, &meta).done().await
    }

    /// The object key of `key`, refused if R2 would refuse it.
    fn object_key(&self, key: &str) -> Result<String> {
        layout::object_key(&self.shared.prefix, self.scope.namespace(), key)
    }

    fn binding(&self) -> Result<Binding> {
        binding::lookup(&self.shared.binding)
    }

    /// The metadata of a write now with `ttl` (or the default).
    fn metadata(&self, ttl: Option<Duration>) -> Metadata {
        let ttl = self.scope.ttl(ttl);
        Metadata {
            expires_at: expiry_after(self.scope.write_ms(), ttl),
        }
    }

    /// The metadata of `found` if it is edgecache's and live now.
    fn live_meta(&self, found: &binding::Found) -> Option<Metadata> {
        let meta = found.meta.as_ref().ok()?;
        (!meta.is_expired(self.scope.now_ms())).then_some(*meta)
    }

    /// Reads `keys` (all checked first) with their expiry, concurrently.
    async fn lookup(&self, keys: &[&str]) -> Result<Vec<Option<Entry>>> {
        let objects = keys
            .iter()
            .map(|k| self.object_key(k))
            .collect::<Result<Vec<_>>>()?;
        if objects.is_empty() {
            return Ok(Vec::new());
        }
        let binding = self.binding()?;
        batched(&objects, MAX_IN_FLIGHT, |object| {
            let call = binding.get(object);
            async move {
                let Some(found) = call.object().await? else {
                    return Ok(None);
                };
                let Some(meta) = self.live_meta(&found) else {
                    found.discard();
                    return Ok(None);
                };
                Ok(Some(Entry {
                    value: found.bytes().await?,
                    expires_at: meta.expires_at,
                }))
            }
        })
        .await
    }

    /// Deletes `objects`, one `delete([...])` call per 1,000.
    async fn delete_objects(binding: &Binding, objects: &[impl AsRef<str>]) -> Result<()> {
        for chunk in objects.chunks(PAGE_KEYS) {
            binding.delete(chunk).done().await?;
        }
        Ok(())
    }
}

impl CacheBackend for R2Backend {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.get_with_expiry(key).await?.map(|e| e.value))
    }

    async fn set(&self, key: &str, value: Vec<u8>, ttl: Option<Duration>) -> Result<()> {
        let object = self.object_key(key)?;
        check_ttl(ttl)?;
        let size = u64::try_from(value.len()).unwrap_or(u64::MAX);
        if size > Self::MAX_VALUE_BYTES {
            return Err(Error::ValueTooLarge {
                size,
                limit: Self::MAX_VALUE_BYTES,
            });
        }
        let binding = self.binding()?;
        let meta = self.metadata(ttl);
        // The one copy out of wasm memory; the Rust copy is freed before the
        // (possibly long) upload.
        let body = Uint8Array::new_from_slice(&value);
        drop(value);
        binding.put(&object, &body, &meta).done().await
    }

    async fn delete(&self, key: &str) -> Result<()> {
        let object = self.object_key(key)?;
        self.binding()?.delete(&[object]).done().await
    }

    /// One `head` (no body is transferred).
    async fn exists(&self, key: &str) -> Result<bool> {
        let object = self.object_key(key)?;
        let found = self.binding()?.head(&object).object().await?;
        Ok(found.is_some_and(|found| self.live_meta(&found).is_some()))
    }

    async fn mget(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>> {
        Ok(Entry::values(self.lookup(keys).await?))
    }

    async fn mdelete(&self, keys: &[&str]) -> Result<()> {
        let objects = keys
            .iter()
            .map(|k| self.object_key(k))
            .collect::<Result<Vec<_>>>()?;
        Self::delete_objects(&self.binding()?, &objects).await
    }

    /// One `head` of a reserved key outside every namespace: `Ok(true)` if
    /// the bucket answers as R2 does, the error otherwise. Never writes.
    async fn health_check(&self) -> Result<bool> {
        let key = layout::health_check_key(&self.shared.prefix);
        self.binding()?.head(&key).object().await?;
        Ok(true)
    }

    /// Deletes every object of this handle's prefix and namespace (the keys
    /// of a handle without a namespace, with none), a `list` page at a time.
    async fn clear_all(&self) -> Result<()> {
        let prefix = layout::list_prefix(&self.shared.prefix, self.scope.namespace());
        let binding = self.binding()?;
        let mut cursor: Option<String> = None;
        loop {
            let page = binding
                .list(&prefix, cursor.as_deref(), PAGE_KEYS as u32)
                .objects()
                .await?;
            // Only ours, even if the binding ignored the prefix.
            let ours: Vec<&String> = page
                .keys
                .iter()
                .filter(|k| k.starts_with(&prefix))
                .collect();
            Self::delete_objects(&binding, &ours).await?;
            match layout::next_page(page.truncated, page.cursor.as_deref(), cursor.as_deref())? {
                None => return Ok(()),
                Some(next) => cursor = Some(next),
            }
        }
    }
}

impl ExpiryAware for R2Backend {
    async fn get_with_expiry(&self, key: &str) -> Result<Option<Entry>> {
        Ok(self.lookup(&[key]).await?.into_iter().next().flatten())
    }

    async fn mget_with_expiry(&self, keys: &[&str]) -> Result<Vec<Option<Entry>>> {
        self.lookup(keys).await
    }
}
