//! The wasm-bindgen surface behind the persistent JavaScript caches
//! (`EdgeCache.indexedDb` and `EdgeCache.kv`, with or without a memory tier).
//!
//! Unlike the memory cache, keys and values live in Rust-owned storage here,
//! so each call passes the key in and copies the value across; the cost is
//! small next to an IndexedDB transaction. Every method returns a Promise and
//! rejects with a coded `Error` (see `to_js_error`).

use std::future::Future;
use std::time::Duration;

use js_sys::{Array, Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use super::d1::D1Backend;
use super::idb::IndexedDbBackend;
use super::js_api::{stats_object, to_js_error, whole};
use super::kv::KvBackend;
use super::r2::R2Backend;
use super::redis::JsConnector;
use crate::key::ttl_from_ms;
use crate::{CacheBackend, Error, ExpiryAware, MemoryBackend, RedisBackend, Stats, TieredBackend};

/// A persistent backend, alone or behind a memory tier.
#[derive(Clone)]
pub(super) enum Persistent {
    Idb(IndexedDbBackend),
    Tiered(TieredBackend<MemoryBackend, IndexedDbBackend>),
    Kv(KvBackend),
    KvTiered(TieredBackend<MemoryBackend, KvBackend>),
    Redis(RedisBackend<JsConnector>),
    RedisTiered(TieredBackend<MemoryBackend, RedisBackend<JsConnector>>),
    D1(D1Backend),
    D1Tiered(TieredBackend<MemoryBackend, D1Backend>),
    R2(R2Backend),
    R2Tiered(TieredBackend<MemoryBackend, R2Backend>),
}

/// Runs `$body` with `$b` bound to whichever backend `$p` holds.
macro_rules! with_backend {
    ($p:expr, $b:ident => $body:expr) => {
        match $p {
            Persistent::Idb($b) => $body,
            Persistent::Tiered($b) => $body,
            Persistent::Kv($b) => $body,
            Persistent::KvTiered($b) => $body,
            Persistent::Redis($b) => $body,
            Persistent::RedisTiered($b) => $body,
            Persistent::D1($b) => $body,
            Persistent::D1Tiered($b) => $body,
            Persistent::R2($b) => $body,
            Persistent::R2Tiered($b) => $body,
        }
    };
}

impl Persistent {
    async fn stats(&self) -> Result<Stats, Error> {
        match self {
            Persistent::Idb(idb) => idb.stats().await,
            Persistent::Tiered(tiered) => {
                // A read is a hit if either tier served it; the persistent
                // tier is the authority on everything else.
                let (front, back) = (tiered.l1().stats(), tiered.l2().stats().await?);
                Ok(Stats {
                    hits: front.hits + back.hits,
                    ..back
                })
            }
            // Workers KV and a shared Redis cannot count one cache's keys
            // or bytes cheaply: a tiered cache reports its memory tier, a
            // bare one nothing.
            Persistent::KvTiered(tiered) => Ok(tiered.l1().stats()),
            Persistent::RedisTiered(tiered) => Ok(tiered.l1().stats()),
            Persistent::Redis(_) => Err(Error::Unsupported(
                "Redis cannot report one cache's entries or bytes; give the cache a memory tier for stats"
                    .into(),
            )),
            // Nor can R2 without listing the whole bucket.
            Persistent::R2Tiered(tiered) => Ok(tiered.l1().stats()),
            Persistent::R2(_) => Err(Error::Unsupported(
                "R2 cannot report entries or bytes without listing the bucket; give the cache \
                 a memory tier for stats"
                    .into(),
            )),
            Persistent::Kv(_) => Err(Error::Unsupported(
                "Workers KV cannot report entries or bytes; give the cache a memory tier for stats"
                    .into(),
            )),
            Persistent::D1(d1) => d1.stats().await,
            Persistent::D1Tiered(tiered) => {
                let (front, back) = (tiered.l1().stats(), tiered.l2().stats().await?);
                Ok(Stats {
                    hits: front.hits + back.hits,
                    ..back
                })
            }
        }
    }
}

/// Options for [`PersistentCore::open_indexed_db`], checked in JavaScript for
/// names and types and here for ranges.
#[wasm_bindgen]
#[derive(Default)]
pub struct IndexedDbOptions {
    db_name: Option<String>,
    store_name: Option<String>,
    namespace: Option<String>,
    default_ttl_ms: Option<f64>,
    max_entries: Option<f64>,
    max_bytes: Option<f64>,
    memory_max_entries: Option<f64>,
    memory_max_bytes: Option<f64>,
    tiered: bool,
}

#[wasm_bindgen]
impl IndexedDbOptions {
    /// Empty options: every field takes its default.
    #[wasm_bindgen(constructor)]
    pub fn new() -> IndexedDbOptions {
        IndexedDbOptions::default()
    }

    /// Sets the string options.
    #[wasm_bindgen(js_name = setNames)]
    pub fn set_names(
        &mut self,
        db_name: Option<String>,
        store_name: Option<String>,
        namespace: Option<String>,
    ) {
        self.db_name = db_name;
        self.store_name = store_name;
        self.namespace = namespace;
    }

    /// Sets the persistent store's numeric options.
    #[wasm_bindgen(js_name = setStore)]
    pub fn set_store(
        &mut self,
        default_ttl_ms: Option<f64>,
        max_entries: Option<f64>,
        max_bytes: Option<f64>,
    ) {
        self.default_ttl_ms = default_ttl_ms;
        self.max_entries = max_entries;
        self.max_bytes = max_bytes;
    }

    /// Puts a memory tier in front, with these bounds.
    #[wasm_bindgen(js_name = setMemory)]
    pub fn set_memory(&mut self, max_entries: Option<f64>, max_bytes: Option<f64>) {
        self.tiered = true;
        self.memory_max_entries = max_entries;
        self.memory_max_bytes = max_bytes;
    }
}

/// The memory tier's bounds as JavaScript passed them (`maxEntries`,
/// `maxBytes`), or `None` for no memory tier.
pub(super) type MemoryBounds = Option<(Option<f64>, Option<f64>)>;

/// `backend` alone (as `plain` wraps it), or behind a memory tier with
/// `bounds` and the same namespace and default TTL (as `tiered` wraps it).
pub(super) fn alone_or_tiered<B: ExpiryAware>(
    backend: B,
    bounds: MemoryBounds,
    default_ttl: Option<Duration>,
    namespace: Option<String>,
    plain: fn(B) -> Persistent,
    tiered: fn(TieredBackend<MemoryBackend, B>) -> Persistent,
) -> Result<Persistent, Error> {
    let Some((max_entries, max_bytes)) = bounds else {
        return Ok(plain(backend));
    };
    let mut memory = MemoryBackend::builder();
    if let Some(n) = whole("memory.maxEntries", max_entries)? {
        memory = memory.max_entries(n);
    }
    if let Some(n) = whole("memory.maxBytes", max_bytes)? {
        memory = memory.max_bytes(n);
    }
    if let Some(ttl) = default_ttl {
        memory = memory.default_ttl(ttl);
    }
    if let Some(ns) = namespace {
        memory = memory.namespace(ns);
    }
    Ok(tiered(TieredBackend::new(memory.build()?, backend)))
}

fn build(options: IndexedDbOptions) -> Result<Persistent, Error> {
    let mut idb = IndexedDbBackend::builder();
    if let Some(name) = options.db_name {
        idb = idb.db_name(name);
    }
    if let Some(name) = options.store_name {
        idb = idb.store_name(name);
    }
    if let Some(ns) = &options.namespace {
        idb = idb.namespace(ns.clone());
    }
    let default_ttl = options.default_ttl_ms.map(ttl_from_ms).transpose()?;
    if let Some(ttl) = default_ttl {
        idb = idb.default_ttl(ttl);
    }
    if let Some(n) = whole("maxEntries", options.max_entries)? {
        idb = idb.max_entries(n);
    }
    if let Some(n) = whole("maxBytes", options.max_bytes)? {
        idb = idb.max_bytes(n);
    }
    alone_or_tiered(
        idb.build()?,
        options
            .tiered
            .then_some((options.memory_max_entries, options.memory_max_bytes)),
        default_ttl,
        options.namespace,
        Persistent::Idb,
        Persistent::Tiered,
    )
}

/// Turns a Rust future into a Promise that rejects with a coded `Error`.
pub(super) fn promise<T: Into<JsValue>>(
    fut: impl Future<Output = Result<T, Error>> + 'static,
) -> Promise {
    future_to_promise(async move { fut.await.map(Into::into).map_err(to_js_error) })
}

pub(super) fn bytes_or_undefined(value: Option<Vec<u8>>) -> JsValue {
    value.map_or(JsValue::UNDEFINED, |v| {
        Uint8Array::from(v.as_slice()).into()
    })
}

fn ttl(ttl_ms: Option<f64>) -> Result<Option<Duration>, Error> {
    ttl_ms.map(ttl_from_ms).transpose()
}

/// A persistent cache for the JavaScript `EdgeCache` class.
#[wasm_bindgen]
pub struct PersistentCore {
    pub(super) backend: Persistent,
}

#[wasm_bindgen]
impl PersistentCore {
    /// Opens an IndexedDB cache (tiered if `options` has a memory tier),
    /// checking that the database can be opened.
    #[wasm_bindgen(js_name = openIndexedDb)]
    pub fn open_indexed_db(options: IndexedDbOptions) -> Promise {
        promise(async move {
            let backend = build(options)?;
            with_backend!(&backend, b => b.health_check().await)?;
            Ok(PersistentCore { backend })
        })
    }

    /// A Workers KV cache over `binding` (any object of the KV shape), tiered
    /// behind a memory cache when `tiered`.
    #[wasm_bindgen(js_name = openKv)]
    pub fn open_kv(
        binding: JsValue,
        namespace: Option<String>,
        default_ttl_ms: Option<f64>,
        tiered: bool,
        memory_max_entries: Option<f64>,
        memory_max_bytes: Option<f64>,
    ) -> Result<PersistentCore, JsValue> {
        let build = || -> Result<Persistent, Error> {
            let default_ttl = default_ttl_ms.map(ttl_from_ms).transpose()?;
            let mut kv = KvBackend::builder(binding);
            if let Some(ns) = &namespace {
                kv = kv.namespace(ns.clone());
            }
            if let Some(ttl) = default_ttl {
                kv = kv.default_ttl(ttl);
            }
            alone_or_tiered(
                kv.build()?,
                tiered.then_some((memory_max_entries, memory_max_bytes)),
                default_ttl,
                namespace,
                Persistent::Kv,
                Persistent::KvTiered,
            )
        };
        build()
            .map(|backend| PersistentCore { backend })
            .map_err(to_js_error)
    }

    /// The value under `key` (a copy), or `undefined`.
    pub fn get(&self, key: String) -> Promise {
        let backend = self.backend.clone();
        promise(async move {
            let value = with_backend!(&backend, b => b.get(&key).await)?;
            Ok(bytes_or_undefined(value))
        })
    }

    /// Stores a copy of `value` under `key`.
    pub fn set(&self, key: String, value: Vec<u8>, ttl_ms: Option<f64>) -> Promise {
        let backend = self.backend.clone();
        promise(async move {
            let ttl = ttl(ttl_ms)?;
            with_backend!(&backend, b => b.set(&key, value, ttl).await)?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Removes `key`.
    pub fn delete(&self, key: String) -> Promise {
        let backend = self.backend.clone();
        promise(async move {
            with_backend!(&backend, b => b.delete(&key).await)?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// True if `key` holds a live value.
    pub fn has(&self, key: String) -> Promise {
        let backend = self.backend.clone();
        promise(async move { with_backend!(&backend, b => b.exists(&key).await) })
    }

    /// The values of `keys`, in order, `undefined` for misses.
    #[wasm_bindgen(js_name = getMany)]
    pub fn get_many(&self, keys: Vec<String>) -> Promise {
        let backend = self.backend.clone();
        promise(async move {
            let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
            let values = with_backend!(&backend, b => b.mget(&refs).await)?;
            Ok(values
                .into_iter()
                .map(bytes_or_undefined)
                .collect::<Array>())
        })
    }

    /// Removes every key in `keys`.
    #[wasm_bindgen(js_name = deleteMany)]
    pub fn delete_many(&self, keys: Vec<String>) -> Promise {
        let backend = self.backend.clone();
        promise(async move {
            let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
            with_backend!(&backend, b => b.mdelete(&refs).await)?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Removes every entry of this cache's namespace.
    pub fn clear(&self) -> Promise {
        let backend = self.backend.clone();
        promise(async move {
            with_backend!(&backend, b => b.clear_all().await)?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// True if the storage answers.
    #[wasm_bindgen(js_name = healthCheck)]
    pub fn health_check(&self) -> Promise {
        let backend = self.backend.clone();
        promise(async move { with_backend!(&backend, b => b.health_check().await) })
    }

    /// `{ hits, misses, inserts, evictions, expirations, entries, bytes }`.
    pub fn stats(&self) -> Promise {
        let backend = self.backend.clone();
        promise(async move { Ok(stats_object(backend.stats().await?)) })
    }

    /// Closes the database or server connection, if there is one (the next
    /// call reopens it).
    pub fn close(&self) {
        match &self.backend {
            Persistent::Idb(idb) => idb.close(),
            Persistent::Tiered(tiered) => tiered.l2().close(),
            Persistent::Redis(redis) => redis.disconnect(),
            Persistent::RedisTiered(tiered) => tiered.l2().disconnect(),
            Persistent::Kv(_)
            | Persistent::KvTiered(_)
            | Persistent::D1(_)
            | Persistent::D1Tiered(_)
            | Persistent::R2(_)
            | Persistent::R2Tiered(_) => {}
        }
    }
}
