//! `PersistentCore`: the persistent JavaScript caches (`EdgeCache.indexedDb`,
//! `.kv`, `.d1`, `.r2`, `.redis`, `.memcached`), alone or behind a memory tier.
//!
//! [`Store`] implements the trait once over whichever stores this build has
//! (each behind its Cargo feature), and [`Persistent`] is that store alone or
//! in the one `TieredBackend<MemoryBackend, Store>`. Each backend adds its
//! constructor (`openKv`, `openD1`, ...) in its own folder's `js.rs`; they
//! all take the same [`StoreOptions`] for what they share.
//!
//! Unlike the memory cache, keys and values live in Rust-owned storage here,
//! so each call passes the key in and copies the value across; the cost is
//! small next to a storage round trip. Every method returns a Promise and
//! rejects with a coded `Error`.

use std::time::Duration;

use js_sys::{Array, Promise};
use wasm_bindgen::prelude::*;

use super::convert::{bytes_or_undefined, promise, stats_object, whole};
use super::error::to_js_error;
use crate::backend::Entry;
#[cfg(feature = "d1")]
use crate::backends::d1::D1Backend;
#[cfg(feature = "idb")]
use crate::backends::idb::IndexedDbBackend;
#[cfg(feature = "kv")]
use crate::backends::kv::KvBackend;
#[cfg(feature = "memcached")]
use crate::backends::memcached::MemcachedBackend;
#[cfg(feature = "r2")]
use crate::backends::r2::R2Backend;
#[cfg(feature = "redis")]
use crate::backends::redis::RedisBackend;
use crate::key::ttl_from_ms;
#[cfg(feature = "tcp")]
use crate::wasm::socket::JsConnector;
use crate::{CacheBackend, Error, ExpiryAware, MemoryBackend, Result, Stats, TieredBackend};

/// One of the persistent stores this build has.
#[derive(Clone)]
pub(crate) enum Store {
    /// IndexedDB (browsers).
    #[cfg(feature = "idb")]
    Idb(IndexedDbBackend),
    /// Workers KV.
    #[cfg(feature = "kv")]
    Kv(KvBackend),
    /// Cloudflare D1.
    #[cfg(feature = "d1")]
    D1(D1Backend),
    /// Cloudflare R2.
    #[cfg(feature = "r2")]
    R2(R2Backend),
    /// Redis over JavaScript sockets.
    #[cfg(feature = "redis")]
    Redis(RedisBackend<JsConnector>),
    /// memcached over JavaScript sockets.
    #[cfg(feature = "memcached")]
    Memcached(MemcachedBackend<JsConnector>),
}

impl CacheBackend for Store {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        match self {
            #[cfg(feature = "idb")]
            Store::Idb(b) => b.get(key).await,
            #[cfg(feature = "kv")]
            Store::Kv(b) => b.get(key).await,
            #[cfg(feature = "d1")]
            Store::D1(b) => b.get(key).await,
            #[cfg(feature = "r2")]
            Store::R2(b) => b.get(key).await,
            #[cfg(feature = "redis")]
            Store::Redis(b) => b.get(key).await,
            #[cfg(feature = "memcached")]
            Store::Memcached(b) => b.get(key).await,
        }
    }

    async fn set(&self, key: &str, value: Vec<u8>, ttl: Option<Duration>) -> Result<()> {
        match self {
            #[cfg(feature = "idb")]
            Store::Idb(b) => b.set(key, value, ttl).await,
            #[cfg(feature = "kv")]
            Store::Kv(b) => b.set(key, value, ttl).await,
            #[cfg(feature = "d1")]
            Store::D1(b) => b.set(key, value, ttl).await,
            #[cfg(feature = "r2")]
            Store::R2(b) => b.set(key, value, ttl).await,
            #[cfg(feature = "redis")]
            Store::Redis(b) => b.set(key, value, ttl).await,
            #[cfg(feature = "memcached")]
            Store::Memcached(b) => b.set(key, value, ttl).await,
        }
    }

    async fn delete(&self, key: &str) -> Result<()> {
        match self {
            #[cfg(feature = "idb")]
            Store::Idb(b) => b.delete(key).await,
            #[cfg(feature = "kv")]
            Store::Kv(b) => b.delete(key).await,
            #[cfg(feature = "d1")]
            Store::D1(b) => b.delete(key).await,
            #[cfg(feature = "r2")]
            Store::R2(b) => b.delete(key).await,
            #[cfg(feature = "redis")]
            Store::Redis(b) => b.delete(key).await,
            #[cfg(feature = "memcached")]
            Store::Memcached(b) => b.delete(key).await,
        }
    }

    async fn exists(&self, key: &str) -> Result<bool> {
        match self {
            #[cfg(feature = "idb")]
            Store::Idb(b) => b.exists(key).await,
            #[cfg(feature = "kv")]
            Store::Kv(b) => b.exists(key).await,
            #[cfg(feature = "d1")]
            Store::D1(b) => b.exists(key).await,
            #[cfg(feature = "r2")]
            Store::R2(b) => b.exists(key).await,
            #[cfg(feature = "redis")]
            Store::Redis(b) => b.exists(key).await,
            #[cfg(feature = "memcached")]
            Store::Memcached(b) => b.exists(key).await,
        }
    }

    async fn mget(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>> {
        match self {
            #[cfg(feature = "idb")]
            Store::Idb(b) => b.mget(keys).await,
            #[cfg(feature = "kv")]
            Store::Kv(b) => b.mget(keys).await,
            #[cfg(feature = "d1")]
            Store::D1(b) => b.mget(keys).await,
            #[cfg(feature = "r2")]
            Store::R2(b) => b.mget(keys).await,
            #[cfg(feature = "redis")]
            Store::Redis(b) => b.mget(keys).await,
            #[cfg(feature = "memcached")]
            Store::Memcached(b) => b.mget(keys).await,
        }
    }

    async fn mdelete(&self, keys: &[&str]) -> Result<()> {
        match self {
            #[cfg(feature = "idb")]
            Store::Idb(b) => b.mdelete(keys).await,
            #[cfg(feature = "kv")]
            Store::Kv(b) => b.mdelete(keys).await,
            #[cfg(feature = "d1")]
            Store::D1(b) => b.mdelete(keys).await,
            #[cfg(feature = "r2")]
            Store::R2(b) => b.mdelete(keys).await,
            #[cfg(feature = "redis")]
            Store::Redis(b) => b.mdelete(keys).await,
            #[cfg(feature = "memcached")]
            Store::Memcached(b) => b.mdelete(keys).await,
        }
    }

    async fn health_check(&self) -> Result<bool> {
        match self {
            #[cfg(feature = "idb")]
            Store::Idb(b) => b.health_check().await,
            #[cfg(feature = "kv")]
            Store::Kv(b) => b.health_check().await,
            #[cfg(feature = "d1")]
            Store::D1(b) => b.health_check().await,
            #[cfg(feature = "r2")]
            Store::R2(b) => b.health_check().await,
            #[cfg(feature = "redis")]
            Store::Redis(b) => b.health_check().await,
            #[cfg(feature = "memcached")]
            Store::Memcached(b) => b.health_check().await,
        }
    }

    async fn clear_all(&self) -> Result<()> {
        match self {
            #[cfg(feature = "idb")]
            Store::Idb(b) => b.clear_all().await,
            #[cfg(feature = "kv")]
            Store::Kv(b) => b.clear_all().await,
            #[cfg(feature = "d1")]
            Store::D1(b) => b.clear_all().await,
            #[cfg(feature = "r2")]
            Store::R2(b) => b.clear_all().await,
            #[cfg(feature = "redis")]
            Store::Redis(b) => b.clear_all().await,
            #[cfg(feature = "memcached")]
            Store::Memcached(b) => b.clear_all().await,
        }
    }
}

impl ExpiryAware for Store {
    async fn get_with_expiry(&self, key: &str) -> Result<Option<Entry>> {
        match self {
            #[cfg(feature = "idb")]
            Store::Idb(b) => b.get_with_expiry(key).await,
            #[cfg(feature = "kv")]
            Store::Kv(b) => b.get_with_expiry(key).await,
            #[cfg(feature = "d1")]
            Store::D1(b) => b.get_with_expiry(key).await,
            #[cfg(feature = "r2")]
            Store::R2(b) => b.get_with_expiry(key).await,
            #[cfg(feature = "redis")]
            Store::Redis(b) => b.get_with_expiry(key).await,
            #[cfg(feature = "memcached")]
            Store::Memcached(b) => b.get_with_expiry(key).await,
        }
    }

    async fn mget_with_expiry(&self, keys: &[&str]) -> Result<Vec<Option<Entry>>> {
        match self {
            #[cfg(feature = "idb")]
            Store::Idb(b) => b.mget_with_expiry(keys).await,
            #[cfg(feature = "kv")]
            Store::Kv(b) => b.mget_with_expiry(keys).await,
            #[cfg(feature = "d1")]
            Store::D1(b) => b.mget_with_expiry(keys).await,
            #[cfg(feature = "r2")]
            Store::R2(b) => b.mget_with_expiry(keys).await,
            #[cfg(feature = "redis")]
            Store::Redis(b) => b.mget_with_expiry(keys).await,
            #[cfg(feature = "memcached")]
            Store::Memcached(b) => b.mget_with_expiry(keys).await,
        }
    }
}

impl Store {
    /// The store's own statistics, where it can count one cache's entries
    /// and bytes (IndexedDB, D1). Workers KV, R2 and a shared Redis or memcached cannot
    /// without listing everything: `EDGECACHE_UNSUPPORTED`.
    async fn stats(&self) -> Result<Stats> {
        match self {
            #[cfg(feature = "idb")]
            Store::Idb(b) => b.stats().await,
            #[cfg(feature = "d1")]
            Store::D1(b) => b.stats().await,
            #[cfg(feature = "kv")]
            Store::Kv(_) => unsupported("Workers KV"),
            #[cfg(feature = "r2")]
            Store::R2(_) => unsupported("R2"),
            #[cfg(feature = "redis")]
            Store::Redis(_) => unsupported("Redis"),
            #[cfg(feature = "memcached")]
            Store::Memcached(_) => unsupported("memcached"),
        }
    }

    /// Whether [`Store::stats`] answers (so a tiered cache asks it).
    fn counts(&self) -> bool {
        match self {
            #[cfg(feature = "idb")]
            Store::Idb(_) => true,
            #[cfg(feature = "d1")]
            Store::D1(_) => true,
            #[allow(unreachable_patterns)]
            _ => false,
        }
    }

    /// Closes the database or server connection, if there is one (the next
    /// call reopens it).
    fn close(&self) {
        match self {
            #[cfg(feature = "idb")]
            Store::Idb(b) => b.close(),
            #[cfg(feature = "redis")]
            Store::Redis(b) => b.disconnect(),
            #[cfg(feature = "memcached")]
            Store::Memcached(b) => b.disconnect(),
            #[allow(unreachable_patterns)]
            _ => {}
        }
    }
}

/// The error of a store that cannot count one cache's entries or bytes.
fn unsupported(store: &str) -> Result<Stats> {
    Err(Error::Unsupported(format!(
        "{store} cannot report one cache's entries or bytes; give the cache a memory tier for \
         stats"
    )))
}

/// The one tiered instantiation: a memory tier in front of a [`Store`].
pub(crate) type Tiered = TieredBackend<MemoryBackend, Store>;

/// A [`Store`] alone, or behind a memory tier.
#[derive(Clone)]
pub(crate) enum Persistent {
    /// The store alone.
    Alone(Store),
    /// A memory tier in front of the store.
    Tiered(Tiered),
}

impl Persistent {
    /// The store, under any tier.
    pub(crate) fn store(&self) -> &Store {
        match self {
            Persistent::Alone(store) => store,
            Persistent::Tiered(tiered) => tiered.l2(),
        }
    }

    /// The statistics `EdgeCache.stats()` reports.
    async fn stats(&self) -> Result<Stats> {
        match self {
            Persistent::Alone(store) => store.stats().await,
            // A read is a hit if either tier served it; a store that counts
            // is the authority on everything else.
            Persistent::Tiered(tiered) if tiered.l2().counts() => {
                let (front, back) = (tiered.l1().stats(), tiered.l2().stats().await?);
                Ok(Stats {
                    hits: front.hits + back.hits,
                    ..back
                })
            }
            Persistent::Tiered(tiered) => Ok(tiered.l1().stats()),
        }
    }
}

/// What every persistent constructor takes alike: the namespace, the default
/// TTL and the memory tier's bounds. `core.js` checks names and types; the
/// ranges are checked here.
#[wasm_bindgen]
#[derive(Default)]
pub struct StoreOptions {
    namespace: Option<String>,
    default_ttl_ms: Option<f64>,
    memory: Option<(Option<f64>, Option<f64>)>,
}

#[wasm_bindgen]
impl StoreOptions {
    /// The namespace (`undefined`: none) and default TTL (`undefined`: none),
    /// with no memory tier.
    #[wasm_bindgen(constructor)]
    pub fn new(namespace: Option<String>, default_ttl_ms: Option<f64>) -> StoreOptions {
        StoreOptions {
            namespace,
            default_ttl_ms,
            memory: None,
        }
    }

    /// Puts a memory tier in front, with these bounds (`undefined`: the
    /// memory cache's defaults).
    #[wasm_bindgen(js_name = setMemory)]
    pub fn set_memory(&mut self, max_entries: Option<f64>, max_bytes: Option<f64>) {
        self.memory = Some((max_entries, max_bytes));
    }
}

impl StoreOptions {
    /// The namespace, for the store's builder.
    pub(crate) fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    /// The default TTL, checked.
    pub(crate) fn default_ttl(&self) -> Result<Option<Duration>> {
        self.default_ttl_ms.map(ttl_from_ms).transpose()
    }

    /// `store` alone, or behind a memory tier with these bounds and the same
    /// namespace and default TTL. Every option is checked before the store
    /// is first called.
    pub(crate) fn wrap(self, store: Store) -> Result<Persistent> {
        let Some((max_entries, max_bytes)) = self.memory else {
            return Ok(Persistent::Alone(store));
        };
        let mut memory = MemoryBackend::builder();
        if let Some(n) = whole("memory.maxEntries", max_entries)? {
            memory = memory.max_entries(n);
        }
        if let Some(n) = whole("memory.maxBytes", max_bytes)? {
            memory = memory.max_bytes(n);
        }
        if let Some(ttl) = self.default_ttl()? {
            memory = memory.default_ttl(ttl);
        }
        if let Some(ns) = self.namespace {
            memory = memory.namespace(ns);
        }
        Ok(Persistent::Tiered(TieredBackend::new(
            memory.build()?,
            store,
        )))
    }
}

fn ttl(ttl_ms: Option<f64>) -> Result<Option<Duration>> {
    ttl_ms.map(ttl_from_ms).transpose()
}

/// A persistent cache for the JavaScript `EdgeCache` class.
#[wasm_bindgen]
pub struct PersistentCore {
    pub(crate) backend: Persistent,
}

impl PersistentCore {
    /// `store` alone or tiered as `options` say, checked, for JavaScript.
    pub(crate) fn wrap(store: Store, options: StoreOptions) -> Result<PersistentCore, JsValue> {
        options
            .wrap(store)
            .map(|backend| PersistentCore { backend })
            .map_err(to_js_error)
    }
}

#[wasm_bindgen]
impl PersistentCore {
    /// The value under `key` (a copy), or `undefined`.
    pub fn get(&self, key: String) -> Promise {
        let backend = self.backend.clone();
        promise(async move {
            let value = match &backend {
                Persistent::Alone(b) => b.get(&key).await,
                Persistent::Tiered(b) => b.get(&key).await,
            }?;
            Ok(bytes_or_undefined(value))
        })
    }

    /// Stores a copy of `value` under `key`.
    pub fn set(&self, key: String, value: Vec<u8>, ttl_ms: Option<f64>) -> Promise {
        let backend = self.backend.clone();
        promise(async move {
            let ttl = ttl(ttl_ms)?;
            match &backend {
                Persistent::Alone(b) => b.set(&key, value, ttl).await,
                Persistent::Tiered(b) => b.set(&key, value, ttl).await,
            }?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Removes `key`.
    pub fn delete(&self, key: String) -> Promise {
        let backend = self.backend.clone();
        promise(async move {
            match &backend {
                Persistent::Alone(b) => b.delete(&key).await,
                Persistent::Tiered(b) => b.delete(&key).await,
            }?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// True if `key` holds a live value.
    pub fn has(&self, key: String) -> Promise {
        let backend = self.backend.clone();
        promise(async move {
            match &backend {
                Persistent::Alone(b) => b.exists(&key).await,
                Persistent::Tiered(b) => b.exists(&key).await,
            }
        })
    }

    /// The values of `keys`, in order, `undefined` for misses.
    #[wasm_bindgen(js_name = getMany)]
    pub fn get_many(&self, keys: Vec<String>) -> Promise {
        let backend = self.backend.clone();
        promise(async move {
            let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
            let values = match &backend {
                Persistent::Alone(b) => b.mget(&refs).await,
                Persistent::Tiered(b) => b.mget(&refs).await,
            }?;
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
            match &backend {
                Persistent::Alone(b) => b.mdelete(&refs).await,
                Persistent::Tiered(b) => b.mdelete(&refs).await,
            }?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Removes every entry of this cache's namespace.
    pub fn clear(&self) -> Promise {
        let backend = self.backend.clone();
        promise(async move {
            match &backend {
                Persistent::Alone(b) => b.clear_all().await,
                Persistent::Tiered(b) => b.clear_all().await,
            }?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// True if the storage answers.
    #[wasm_bindgen(js_name = healthCheck)]
    pub fn health_check(&self) -> Promise {
        let backend = self.backend.clone();
        promise(async move {
            match &backend {
                Persistent::Alone(b) => b.health_check().await,
                Persistent::Tiered(b) => b.health_check().await,
            }
        })
    }

    /// `{ hits, misses, inserts, evictions, expirations, entries, bytes }`.
    pub fn stats(&self) -> Promise {
        let backend = self.backend.clone();
        promise(async move { Ok(stats_object(backend.stats().await?)) })
    }

    /// Closes the database or server connection, if there is one (the next
    /// call reopens it).
    pub fn close(&self) {
        self.backend.store().close();
    }
}
