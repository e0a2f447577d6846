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

#[wasm_bindgen]
impl PersistentCore {
    /// IndexedDB caches only: resolves to `[db, storeName, keyPrefix]` (the
    /// open `IDBDatabase`, opened if needed) for `js/indexeddb.js`, which
    /// reads live entries straight into JavaScript and leaves everything
    /// else (expired or undecodable records, closed connections, errors) to
    /// this core. Other caches resolve to `undefined`.
    #[wasm_bindgen(js_name = indexedDbReader)]
    pub fn indexed_db_reader(&self) -> Promise {
        let store = self.store.clone();
        promise(async move {
            #[allow(irrefutable_let_patterns)]
            let Store::Idb(idb) = &store
            else {
                return Ok(JsValue::UNDEFINED);
            };
            let (db, name, prefix) = idb.reader_parts().await?;
            Ok(
                js_sys::Array::of3(&db, &JsValue::from_str(&name), &JsValue::from_str(&prefix))
                    .into(),
            )
        })
    }
}
