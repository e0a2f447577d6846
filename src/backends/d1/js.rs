//! `PersistentCore.openD1` and `purgeExpired`: the D1 backend (alone or
//! behind a memory tier) for the JavaScript `EdgeCache.d1`.

use js_sys::Promise;
use wasm_bindgen::prelude::*;

use super::D1Backend;
use crate::error::JsNumber;
use crate::wasm::convert::promise;
use crate::wasm::error::to_js_error;
use crate::wasm::persistent::{PersistentCore, Store, StoreOptions};
use crate::Error;

fn d1_of(store: &Store) -> Option<&D1Backend> {
    match store {
        Store::D1(d1) => Some(d1),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

#[wasm_bindgen]
impl PersistentCore {
    /// A D1 cache over `binding` (a D1 database, or any object of its
    /// shape) in `table` (`undefined`: the default).
    /// Resolves once the table and its index exist (created if missing,
    /// once per binding and table in this isolate).
    #[wasm_bindgen(js_name = openD1)]
    pub fn open_d1(binding: JsValue, options: StoreOptions, table: Option<String>) -> Promise {
        promise(async move {
            let mut d1 = D1Backend::builder(binding);
            if let Some(table) = table {
                d1 = d1.table(table);
            }
            if let Some(ns) = options.namespace() {
                d1 = d1.namespace(ns);
            }
            if let Some(ttl) = options.default_ttl()? {
                d1 = d1.default_ttl(ttl);
            }
            let d1 = d1.build()?;
            d1.create_table().await?;
            Ok(PersistentCore::new(Store::D1(d1)))
        })
    }

    /// Deletes at most `max_rows` (default 1,000; 1 to 10,000) expired rows
    /// of a D1 cache's table; resolves to how many. Other caches reject with
    /// `EDGECACHE_UNSUPPORTED`.
    #[wasm_bindgen(js_name = purgeExpired)]
    pub fn purge_expired(&self, max_rows: Option<f64>) -> Result<Promise, JsValue> {
        let rows = match max_rows {
            None => 1_000,
            Some(n) if n.is_finite() && n.fract() == 0.0 && (1.0..=10_000.0).contains(&n) => {
                n as u32
            }
            Some(n) => {
                return Err(to_js_error(Error::InvalidOptions(format!(
                    "maxRows must be a whole number from 1 to 10000, got {}",
                    JsNumber(n)
                ))))
            }
        };
        let Some(d1) = d1_of(&self.store).cloned() else {
            return Err(to_js_error(Error::Unsupported(
                "purgeExpired is for D1 caches: other stores expire entries themselves".into(),
            )));
        };
        Ok(promise(async move {
            let purged = d1.purge_expired(rows).await?;
            // Far below 2^53.
            Ok(JsValue::from_f64(purged as f64))
        }))
    }
}
