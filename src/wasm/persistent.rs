//! `PersistentCore`: the persistent JavaScript caches (`EdgeCache.indexedDb`,
//! `.kv`, `.d1`, `.r2`, `.redis`, `.memcached`), alone or behind a memory tier.
//!
//! [`Store`] implements the trait once over whichever stores this build has
//! (each behind its Cargo feature). Each backend adds its constructor
//! (`openKv`, `openD1`, ...) in its own folder's `js.rs`; they all take the
//! same [`StoreOptions`] for what they share.
//!
//! The memory tier (`options.memory`) is not here: `js/tiered.js` puts the
//! JavaScript memory cache in front of a `PersistentCore`, so a hot read
//! never crosses into wasm. It follows [`TieredBackend`](crate::TieredBackend)'s
//! rules, reading entries with their expiry through
//! [`PersistentCore::get_with_expiry`].
//!
//! Keys and values cross as copies; the cost is small next to a storage
//! round trip. Every method returns a Promise and rejects with a coded
//! `Error`.

use std::time::Duration;

use js_sys::{Array, Promise};
use wasm_bindgen::prelude::*;

use super::convert::{bytes_or_undefined, promise, stats_object};
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
use crate::{CacheBackend, Error, ExpiryAware, Result, Stats};

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
    pub(crate) fn counts(&self) -> bool {
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

/// What every persistent constructor takes alike: the namespace and the
/// default TTL. `core.js` checks names and types; the ranges are checked here.
#[wasm_bindgen]
#[derive(Default)]
pub struct StoreOptions {
    namespace: Option<String>,
    default_ttl_ms: Option<f64>,
}

#[wasm_bindgen]
impl StoreOptions {
    /// The namespace (`undefined`: none) and default TTL (`undefined`: none).
    #[wasm_bindgen(constructor)]
    pub fn new(namespace: Option<String>, default_ttl_ms: Option<f64>) -> StoreOptions {
        StoreOptions {
            namespace,
            default_ttl_ms,
        }
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
}

/// The Promise of an IndexedDB write already joined to this tick's batch
/// (`queue_set`/`queue_delete`), or of the error that kept it out.
#[cfg(feature = "idb")]
fn joined(write: Result<impl std::future::Future<Output = Result<()>> + 'static>) -> Promise {
    promise(async move {
        write?.await?;
        Ok(JsValue::UNDEFINED)
    })
}

fn ttl(ttl_ms: Option<f64>) -> Result<Option<Duration>> {
    ttl_ms.map(ttl_from_ms).transpose()
}

/// `[value, expiresAt]` (`expiresAt` in ms since the epoch, `undefined`
/// without expiry) for an entry, `undefined` for none.
fn entry_or_undefined(entry: Option<Entry>) -> JsValue {
    match entry {
        None => JsValue::UNDEFINED,
        Some(entry) => {
            let expires_at = entry
                .expires_at
                // Far below 2^53: expiries are at most a century ahead.
                .map_or(JsValue::UNDEFINED, |at| JsValue::from_f64(at as f64));
            Array::of2(&bytes_or_undefined(Some(entry.value)), &expires_at).into()
        }
    }
}

/// A persistent store for the JavaScript `EdgeCache` class.
#[wasm_bindgen]
pub struct PersistentCore {
    pub(crate) store: Store,
}

impl PersistentCore {
    /// `store` for JavaScript. (`options` were read by the store's builder.)
    pub(crate) fn new(store: Store) -> PersistentCore {
        PersistentCore { store }
    }
}

#[wasm_bindgen]
impl PersistentCore {
    /// The value under `key` (a copy), or `undefined`.
    pub fn get(&self, key: String) -> Promise {
        let store = self.store.clone();
        promise(async move { Ok(bytes_or_undefined(store.get(&key).await?)) })
    }

    /// `[value, expiresAt]` for the live entry under `key` (`expiresAt`:
    /// its absolute expiry in ms since the epoch, `undefined` for none), or
    /// `undefined`: what a memory tier needs to keep a copy that never
    /// outlives the stored entry. Counted like `get`.
    #[wasm_bindgen(js_name = getWithExpiry)]
    pub fn get_with_expiry(&self, key: String) -> Promise {
        let store = self.store.clone();
        promise(async move { Ok(entry_or_undefined(store.get_with_expiry(&key).await?)) })
    }

    /// Stores a copy of `value` under `key`. IndexedDB joins the write to
    /// this tick's batch before returning (see `IndexedDbBackend::queue_set`).
    pub fn set(&self, key: String, value: Vec<u8>, ttl_ms: Option<f64>) -> Promise {
        match &self.store {
            #[cfg(feature = "idb")]
            Store::Idb(idb) => joined(ttl(ttl_ms).and_then(|ttl| idb.queue_set(&key, value, ttl))),
            #[allow(unreachable_patterns)]
            _ => {
                let store = self.store.clone();
                promise(async move {
                    store.set(&key, value, ttl(ttl_ms)?).await?;
                    Ok(JsValue::UNDEFINED)
                })
            }
        }
    }

    /// Removes `key`. IndexedDB joins the removal to this tick's batch
    /// before returning, as `set` does.
    pub fn delete(&self, key: String) -> Promise {
        match &self.store {
            #[cfg(feature = "idb")]
            Store::Idb(idb) => joined(idb.queue_delete(&[&key])),
            #[allow(unreachable_patterns)]
            _ => {
                let store = self.store.clone();
                promise(async move {
                    store.delete(&key).await?;
                    Ok(JsValue::UNDEFINED)
                })
            }
        }
    }

    /// True if `key` holds a live value. Not counted as a hit or a miss.
    pub fn has(&self, key: String) -> Promise {
        let store = self.store.clone();
        promise(async move { store.exists(&key).await })
    }

    /// The values of `keys`, in order, `undefined` for misses.
    #[wasm_bindgen(js_name = getMany)]
    pub fn get_many(&self, keys: Vec<String>) -> Promise {
        let store = self.store.clone();
        promise(async move {
            let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
            let values = store.mget(&refs).await?;
            Ok(values
                .into_iter()
                .map(bytes_or_undefined)
                .collect::<Array>())
        })
    }

    /// `getWithExpiry` for each of `keys`, in order, in one round trip.
    #[wasm_bindgen(js_name = getManyWithExpiry)]
    pub fn get_many_with_expiry(&self, keys: Vec<String>) -> Promise {
        let store = self.store.clone();
        promise(async move {
            let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
            let entries = store.mget_with_expiry(&refs).await?;
            Ok(entries
                .into_iter()
                .map(entry_or_undefined)
                .collect::<Array>())
        })
    }

    /// Removes every key in `keys`. IndexedDB joins the removals to this
    /// tick's batch before returning, as `set` does.
    #[wasm_bindgen(js_name = deleteMany)]
    pub fn delete_many(&self, keys: Vec<String>) -> Promise {
        match &self.store {
            #[cfg(feature = "idb")]
            Store::Idb(idb) => {
                let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
                joined(idb.queue_delete(&refs))
            }
            #[allow(unreachable_patterns)]
            _ => {
                let store = self.store.clone();
                promise(async move {
                    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
                    store.mdelete(&refs).await?;
                    Ok(JsValue::UNDEFINED)
                })
            }
        }
    }

    /// Removes every entry of this cache's namespace.
    pub fn clear(&self) -> Promise {
        let store = self.store.clone();
        promise(async move {
            store.clear_all().await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// True if the storage answers.
    #[wasm_bindgen(js_name = healthCheck)]
    pub fn health_check(&self) -> Promise {
        let store = self.store.clone();
        promise(async move { store.health_check().await })
    }

    /// `{ hits, misses, inserts, evictions, expirations, entries, bytes }`,
    /// from stores that can count one cache's entries (IndexedDB, D1); the
    /// others reject with `EDGECACHE_UNSUPPORTED` (see `countsEntries`).
    pub fn stats(&self) -> Promise {
        let store = self.store.clone();
        promise(async move { Ok(stats_object(store.stats().await?)) })
    }

    /// True if `stats` answers for this store.
    #[wasm_bindgen(getter, js_name = countsEntries)]
    pub fn counts_entries(&self) -> bool {
        self.store.counts()
    }

    /// Closes the database or server connection, if there is one (the next
    /// call reopens it).
    pub fn close(&self) {
        self.store.close();
    }
}
