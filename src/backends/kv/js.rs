//! `PersistentCore.openKv`: the Workers KV backend for the JavaScript
//! `EdgeCache.kv`.

use wasm_bindgen::prelude::*;

use super::KvBackend;
use crate::wasm::error::to_js_error;
use crate::wasm::persistent::{PersistentCore, Store, StoreOptions};

#[wasm_bindgen]
impl PersistentCore {
    /// A Workers KV cache over `binding` (any object of the KV shape).
    #[wasm_bindgen(js_name = openKv)]
    pub fn open_kv(binding: JsValue, options: StoreOptions) -> Result<PersistentCore, JsValue> {
        let mut kv = KvBackend::builder(binding);
        if let Some(ns) = options.namespace() {
            kv = kv.namespace(ns);
        }
        if let Some(ttl) = options.default_ttl().map_err(to_js_error)? {
            kv = kv.default_ttl(ttl);
        }
        Ok(PersistentCore::new(Store::Kv(
            kv.build().map_err(to_js_error)?,
        )))
    }
}
