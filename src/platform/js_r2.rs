//! The R2 half of [`PersistentCore`]: `EdgeCache.r2(binding, options)` and
//! the stream methods only R2 caches have (`getStream`, `setStream`), which
//! hand bodies between the caller and the binding without copying them into
//! wasm memory.

use js_sys::Promise;
use wasm_bindgen::prelude::*;

use super::js_api::to_js_error;
use super::js_persistent::{alone_or_tiered, promise, Persistent, PersistentCore};
use super::r2::R2Backend;
use crate::key::ttl_from_ms;
use crate::{CacheBackend, Error, TieredBackend};

/// The R2 backend of `backend`, and the tiered cache around it if any.
fn r2_of(
    backend: &Persistent,
) -> Result<
    (
        R2Backend,
        Option<TieredBackend<crate::MemoryBackend, R2Backend>>,
    ),
    Error,
> {
    match backend {
        Persistent::R2(r2) => Ok((r2.clone(), None)),
        Persistent::R2Tiered(tiered) => Ok((tiered.l2().clone(), Some(tiered.clone()))),
        _ => Err(Error::Unsupported(
            "streams are only available on R2 caches (EdgeCache.r2)".into(),
        )),
    }
}

#[wasm_bindgen]
impl PersistentCore {
    /// An R2 cache over `binding` (an R2 bucket binding or any object of its
    /// shape), tiered behind a memory cache when `tiered`.
    #[wasm_bindgen(js_name = openR2)]
    #[allow(clippy::too_many_arguments)]
    pub fn open_r2(
        binding: JsValue,
        prefix: Option<String>,
        namespace: Option<String>,
        default_ttl_ms: Option<f64>,
        tiered: bool,
        memory_max_entries: Option<f64>,
        memory_max_bytes: Option<f64>,
    ) -> Result<PersistentCore, JsValue> {
        let build = || -> Result<Persistent, Error> {
            let default_ttl = default_ttl_ms.map(ttl_from_ms).transpose()?;
            let mut r2 = R2Backend::builder(binding);
            if let Some(prefix) = prefix {
                r2 = r2.prefix(prefix);
            }
            if let Some(ns) = &namespace {
                r2 = r2.namespace(ns.clone());
            }
            if let Some(ttl) = default_ttl {
                r2 = r2.default_ttl(ttl);
            }
            alone_or_tiered(
                r2.build()?,
                tiered.then_some((memory_max_entries, memory_max_bytes)),
                default_ttl,
                namespace,
                Persistent::R2,
                Persistent::R2Tiered,
            )
        };
        build()
            .map(|backend| PersistentCore { backend })
            .map_err(to_js_error)
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
            let ttl = ttl_ms.map(ttl_from_ms).transpose()?;
            if let Some(tiered) = tiered {
                tiered.delete(&key).await?;
            }
            r2.put_body(&key, &body, ttl).await?;
            Ok(JsValue::UNDEFINED)
        })
    }
}
