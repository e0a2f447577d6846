//! Conversions shared by the exported classes: JavaScript numbers to counts,
//! [`Stats`] to a plain object, Rust futures to Promises, bytes to
//! `Uint8Array | undefined`.

use std::future::Future;

use js_sys::{Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::future_to_promise;

use super::error::to_js_error;
use crate::error::JsNumber;
use crate::{Error, Stats};

/// Converts an optional JavaScript number into a positive whole count.
pub(crate) fn whole(name: &str, value: Option<f64>) -> Result<Option<u64>, Error> {
    match value {
        None => Ok(None),
        Some(v)
            if v.is_finite() && v >= 1.0 && v.fract() == 0.0 && v <= 9_007_199_254_740_991.0 =>
        {
            Ok(Some(v as u64))
        }
        Some(v) => Err(Error::InvalidOptions(format!(
            "{name} must be a positive whole number, got {}",
            JsNumber(v)
        ))),
    }
}

/// The JavaScript form of [`Stats`].
pub(crate) fn stats_object(s: Stats) -> JsValue {
    let obj = Object::new();
    for (name, value) in [
        ("hits", s.hits),
        ("misses", s.misses),
        ("inserts", s.inserts),
        ("evictions", s.evictions),
        ("expirations", s.expirations),
        ("entries", s.entries),
        ("bytes", s.bytes),
    ] {
        // Defining a data property on a fresh plain object cannot fail.
        let _ = Reflect::set(
            &obj,
            &JsValue::from_str(name),
            &JsValue::from_f64(value as f64),
        );
    }
    obj.into()
}

/// Turns a Rust future into a Promise that rejects with a coded `Error`.
#[cfg(any(
    feature = "idb",
    feature = "kv",
    feature = "d1",
    feature = "r2",
    feature = "redis",
    feature = "memcached"
))]
pub(crate) fn promise<T: Into<JsValue>>(
    fut: impl Future<Output = Result<T, Error>> + 'static,
) -> Promise {
    future_to_promise(async move { fut.await.map(Into::into).map_err(to_js_error) })
}

/// A copy of `value` as a `Uint8Array`, or `undefined`.
#[cfg(any(
    feature = "idb",
    feature = "kv",
    feature = "d1",
    feature = "r2",
    feature = "redis",
    feature = "memcached"
))]
pub(crate) fn bytes_or_undefined(value: Option<Vec<u8>>) -> JsValue {
    value.map_or(JsValue::UNDEFINED, |v| {
        Uint8Array::from(v.as_slice()).into()
    })
}
