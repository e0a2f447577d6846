//! `PersistentCore.openMemcached`: the memcached cache behind
//! `EdgeCache.memcached`, and `claim`, the cross-isolate half of its
//! `getOrSet`.

use js_sys::{Array, Function};
use wasm_bindgen::prelude::*;

use super::Claim;
use crate::error::JsNumber;
use crate::key::ttl_from_ms;
use crate::wasm::convert::promise;
use crate::wasm::error::to_js_error;
use crate::wasm::persistent::{PersistentCore, Store, StoreOptions};
use crate::wasm::socket::JsConnector;
use crate::{Error, MemcachedBackend};

fn build(
    open: Function,
    options: StoreOptions,
    connect_timeout_ms: Option<f64>,
) -> Result<Store, Error> {
    let mut memcached = MemcachedBackend::builder(JsConnector::new(open, "memcached")?);
    if let Some(ns) = options.namespace() {
        memcached = memcached.namespace(ns);
    }
    if let Some(ttl) = options.default_ttl()? {
        memcached = memcached.default_ttl(ttl);
    }
    if let Some(ms) = connect_timeout_ms {
        memcached = memcached.connect_timeout(ttl_from_ms(ms).map_err(|_| {
            Error::InvalidOptions(format!(
                "connectTimeoutMs must be a positive, finite number of milliseconds, got {}",
                JsNumber(ms)
            ))
        })?);
    }
    Ok(Store::Memcached(memcached.build()?))
}

#[wasm_bindgen]
impl PersistentCore {
    /// A memcached cache over the sockets `open(timeoutMs)` resolves to
    /// (see `js/memcached.js`). Connects on the first call, not here.
    #[wasm_bindgen(js_name = openMemcached)]
    pub fn open_memcached(
        open: Function,
        options: StoreOptions,
        connect_timeout_ms: Option<f64>,
    ) -> Result<PersistentCore, JsValue> {
        build(open, options, connect_timeout_ms)
            .map(PersistentCore::new)
            .map_err(to_js_error)
    }

    /// memcached caches only: [`MemcachedBackend::claim`] for `getOrSet`.
    /// Resolves to `[value]` (a `Uint8Array`: a live value), `true` (this
    /// caller won the fill) or `false` (another caller is filling: ask
    /// again soon). `lockMs` is how long a winner may take (whole seconds,
    /// rounded down, at least one).
    pub fn claim(&self, key: String, lock_ms: f64) -> js_sys::Promise {
        let store = self.store.clone();
        promise(async move {
            let lock = ttl_from_ms(lock_ms).map_err(|_| {
                Error::InvalidOptions(format!(
                    "lockMs must be a positive, finite number of milliseconds, got {}",
                    JsNumber(lock_ms)
                ))
            })?;
            // Irrefutable when memcached is the only backend built.
            #[allow(irrefutable_let_patterns)]
            let Store::Memcached(cache) = store
            else {
                return Err(Error::Unsupported(
                    "cross-isolate getOrSet needs a memcached cache".into(),
                ));
            };
            Ok(match cache.claim(&key, lock).await? {
                Claim::Hit(entry) => {
                    let value = js_sys::Uint8Array::from(entry.value.as_slice());
                    Array::of1(&value).into()
                }
                Claim::Won => JsValue::TRUE,
                Claim::Wait => JsValue::FALSE,
            })
        })
    }
}
