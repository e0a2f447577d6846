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
use crate::wasm::persistent::{Persistent, PersistentCore, Store, StoreOptions, Tiered};
use crate::{CacheBackend, Error};

/// The R2 backend of `backend`, and the tiered cache around it if any.
fn r2_of(backend: &Persistent) -> Result<(R2Backend, Option<&Tiered>), Error> {
    let tiered = match backend {
        Persistent::Alone(_) => None,
        Persistent::Tiered(tiered) => Some(tiered),
    };
    match backend.store() {
        Store::R2(r2) => Ok((r2.clone(), tiered)),
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
        PersistentCore::wrap(Store::R2(r2.build().map_err(to_js_error)?), options)
    }

    /// The live value under `key` as the bucket's body stream, or
    /// `undefined`. Always read from R2 (never the memory tier): the body is
    /// not copied into wasm.
    #[wasm_bindgen(js_name = getStream)]
    pub fn get_stream(&self, key: String) -> Promise {
        let backend = self.backend.clone();
        promise(async move {
            let (r2, _) = r2_of(&backend)?;
            Ok(r2.get_body(&key).await?.unwrap_or(JsValue::UNDEFINED))
        })
    }

    /// Stores `body` (a `ReadableStream` of known length, `Blob`,
    /// `ArrayBuffer` or `Uint8Array`, checked by `core.js`) under `key`
    /// without copying it into wasm. On a tiered cache the key is deleted
    /// from both tiers first (so no reader can put the old value back into
    /// the memory tier); the next `get` reads the new value from R2.
    #[wasm_bindgen(js_name = setStream)]
    pub fn set_stream(&self, key: String, body: JsValue, ttl_ms: Option<f64>) -> Promise {
        let backend = self.backend.clone();
        promise(async move {
            let (r2, tiered) = r2_of(&backend)?;
            let tiered = tiered.cloned();
            let ttl = ttl_ms.map(ttl_from_ms).transpose()?;
            if let Some(tiered) = tiered {
                tiered.delete(&key).await?;
            }
            r2.put_body(&key, &body, ttl).await?;
            Ok(JsValue::UNDEFINED)
        })
    }
}
