//! `PersistentCore.openIndexedDb`: the IndexedDB backend (alone or behind a
//! memory tier) for the JavaScript `EdgeCache.indexedDb`.

use js_sys::Promise;
use wasm_bindgen::prelude::*;

use super::IndexedDbBackend;
use crate::wasm::convert::{promise, whole};
use crate::wasm::persistent::{PersistentCore, Store, StoreOptions};
use crate::CacheBackend;

#[wasm_bindgen]
impl PersistentCore {
    /// Opens an IndexedDB cache in database `db_name`, object store
    /// `store_name` (`undefined`: the defaults), bounded by `max_entries` and
    /// `max_bytes`, resolving once the database has opened.
    #[wasm_bindgen(js_name = openIndexedDb)]
    pub fn open_indexed_db(
        options: StoreOptions,
        db_name: Option<String>,
        store_name: Option<String>,
        max_entries: Option<f64>,
        max_bytes: Option<f64>,
    ) -> Promise {
        promise(async move {
            let mut idb = IndexedDbBackend::builder();
            if let Some(name) = db_name {
                idb = idb.db_name(name);
            }
            if let Some(name) = store_name {
                idb = idb.store_name(name);
            }
            if let Some(ns) = options.namespace() {
                idb = idb.namespace(ns);
            }
            if let Some(ttl) = options.default_ttl()? {
                idb = idb.default_ttl(ttl);
            }
            if let Some(n) = whole("maxEntries", max_entries)? {
                idb = idb.max_entries(n);
            }
            if let Some(n) = whole("maxBytes", max_bytes)? {
                idb = idb.max_bytes(n);
            }
            let store = Store::Idb(idb.build()?);
            store.health_check().await?;
            Ok(PersistentCore::new(store))
        })
    }
}
