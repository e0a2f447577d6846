//! The R2 half of [`PersistentCore`]: `EdgeCache.r2(binding, options)` and
//! the stream methods only R2 caches have (`getStream`, `setStream`), which
//! hand bodies between the caller and the binding without copying them into
//! wasm memory.

use js_sys::Promise;
use wasm_bindgen::prelude::*;

use super::R2Backend;
use crate::key::ttl_from_ms;
use crate::wasm::convert::promise;
use crate::wasm::error::to_js_error;
use crate::wasm::persistent::{PersistentCore, Store, StoreOptions};
use crate::Error;

/// The R2 backend of `store`.
fn r2_of(store: &Store) -> Result<R2Backend, Error> {
    match store {
        Store::R2(r2) => Ok(r2.clone()),
        #[allow(unreachable_patterns)]
        _ => Err(Error::Unsupported(
            "streams are only available on R2 caches (EdgeCache.r2)".into(),
        )),
    }
}

#[wasm_bindgen]
impl PersistentCore {
    /// An R2 cache over `binding` (an R2 bucket binding or any object of its
    /// shape), its objects under `prefix` (`undefined`: none).
    #[wasm_bindgen(js_name = openR2)]
    pub fn open_r2(
        binding: JsValue,
        options: StoreOptions,
        prefix: Option<String>,
    ) -> Result<PersistentCore, JsValue> {
        let mut r2 = R2Backend::builder(binding);
        if let Some(prefix) = prefix {
            r2 = r2.prefix(prefix);
        }
        if let Some(ns) = options.namespace() {
            r2 = r2.namespace(ns);
        }
        if let Some(ttl) = options.default_ttl().map_err(to_js_error)? {
            r2 = r2.default_ttl(ttl);
        }
        Ok(PersistentCore::new(Store::R2(
            r2.build().map_err(to_js_error)?,
        )))
    }

    /// The live value under `key` as the bucket's body stream, or
    /// `undefined`. Always read from R2 (never the memory tier): the body is
    /// not copied into wasm.
    #[wasm_bindgen(js_name = getStream)]
    pub fn get_stream(&self, key: String) -> Promise {
        let store = self.store.clone();
        promise(async move {
            let r2 = r2_of(&store)?;
            Ok(r2.get_body(&key).await?.unwrap_or(JsValue::UNDEFINED))
        })
    }

    /// Stores `body` (a `ReadableStream` of known length, `Blob`,
    /// `ArrayBuffer` or `Uint8Array`, checked by `core.js`) under `key`
    /// without copying it into wasm. (A memory tier in front, in
    /// `js/tiered.js`, drops its copy around the write.)
    #[wasm_bindgen(js_name = setStream)]
    pub fn set_stream(&self, key: String, body: JsValue, ttl_ms: Option<f64>) -> Promise {
        let store = self.store.clone();
        promise(async move {
            let r2 = r2_of(&store)?;
            let ttl = ttl_ms.map(ttl_from_ms).transpose()?;
            r2.put_body(&key, &body, ttl).await?;
            Ok(JsValue::UNDEFINED)
        })
    }
}
