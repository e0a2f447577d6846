//! The JavaScript half of a [`KvBackend`](super::KvBackend): the binding
//! object, kept in the per-thread table of `crate::wasm::registry`, and safe
//! wrappers around its four methods that turn throws, rejections and
//! answers of the wrong type into crate errors.
//!
//! A method call goes out at once ([`Call`] holds its promise, with handlers
//! attached, so a rejection is never unhandled) and is awaited later. That is
//! what lets `mget`, `mdelete` and `clear_all` keep several calls in flight.

use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

use super::sys;
use crate::wasm::call::{bytes_of, Call};
use crate::wasm::error::{thrown, unexpected};
use crate::wasm::registry::Registered;
use crate::{Error, Result};

/// The methods a binding must have.
const METHODS: [&str; 4] = ["get", "put", "delete", "list"];

/// Checks that `value` is an object with callable `get`, `put`, `delete` and
/// `list`.
pub(super) fn check(value: JsValue) -> Result<sys::KvNamespace> {
    if !value.is_object() && !value.is_function() {
        return Err(Error::InvalidOptions(format!(
            "the KV binding must be an object with get, put, delete and list methods \
             (a Workers KV namespace, or any object of its shape), got {}",
            crate::wasm::error::describe(&value)
        )));
    }
    for method in METHODS {
        let callable = Reflect::get(&value, &JsValue::from_str(method))
            .map(|f| f.is_function())
            .unwrap_or(false);
        if !callable {
            return Err(Error::InvalidOptions(format!(
                "the KV binding has no callable `{method}` method: it must have get, put, \
                 delete and list (a Workers KV namespace, or any object of its shape)"
            )));
        }
    }
    Ok(value.unchecked_into())
}

/// Keeps `binding` in this thread's table, until the handle returned is
/// dropped.
pub(super) fn register(binding: sys::KvNamespace) -> Result<Registered> {
    Registered::new(binding.into(), "the KV binding")
}

/// The binding kept under `registered`, on this thread.
pub(super) fn lookup(registered: &Registered) -> Result<Binding> {
    Ok(Binding(registered.get()?.unchecked_into()))
}

/// A binding, borrowed from the table for the length of one operation.
pub(super) struct Binding(sys::KvNamespace);

/// The options of one `put`, in Rust terms; [`Binding::put`] spells them
/// the JavaScript way.
pub(super) struct PutOptions {
    /// `expirationTtl` in seconds (already raised to KV's minimum), or none.
    pub expiration_ttl: Option<u64>,
    /// The exact expiry, kept in the key's metadata as well as in the record.
    pub expires_at: Option<u64>,
}

impl Binding {
    /// `get(key, { type: "arrayBuffer" })`.
    pub(super) fn get(&self, key: &str) -> Call {
        let options: sys::KvGetOptions = Object::new().unchecked_into();
        options.set_type("arrayBuffer");
        Call::new(self.0.get(key, &options), || format!("KV get of {key:?}"))
    }

    /// `put(key, value, { expirationTtl, metadata })`, with `value` copied
    /// into a fresh `ArrayBuffer` of its exact length.
    pub(super) fn put(&self, key: &str, value: &[u8], options: &PutOptions) -> Call {
        let buffer = Uint8Array::new_from_slice(value).buffer();
        let js_options: sys::KvPutOptions = Object::new().unchecked_into();
        if let Some(seconds) = options.expiration_ttl {
            // At most 100 years in seconds: exact as an f64.
            js_options.set_expiration_ttl(seconds as f64);
        }
        let metadata: sys::KvMetadata = Object::new().unchecked_into();
        metadata.set_version(crate::record::VERSION);
        if let Some(at) = options.expires_at {
            metadata.set_expires_at(at as f64);
        }
        js_options.set_metadata(&metadata);
        Call::new(self.0.put(key, &buffer, &js_options), || {
            format!("KV put of {key:?}")
        })
    }

    /// `delete(key)`.
    pub(super) fn delete(&self, key: &str) -> Call {
        Call::new(self.0.delete(key), || format!("KV delete of {key:?}"))
    }

    /// `list({ prefix, cursor, limit })`.
    pub(super) fn list(&self, prefix: &str, cursor: Option<&str>, limit: u32) -> Call {
        let options: sys::KvListOptions = Object::new().unchecked_into();
        options.set_prefix(prefix);
        if let Some(cursor) = cursor {
            options.set_cursor(cursor);
        }
        options.set_limit(limit);
        Call::new(self.0.list(&options), || {
            format!("KV list of prefix {prefix:?}")
        })
    }
}

/// One page of `list`: the key names, and the cursor of the next page
/// (`None` on the last one).
pub(super) struct Page {
    pub names: Vec<String>,
    pub next: Option<String>,
}

impl Call {
    /// Waits for a `get`: the bytes, or `None` for `null` (or `undefined`).
    /// An `ArrayBuffer` is what KV returns; a `Uint8Array` is accepted too,
    /// for adapters over stores that hand those out (Deno KV).
    pub(super) async fn bytes(self) -> Result<Option<Vec<u8>>> {
        let (doing, value) = self.settle().await;
        let value = value?;
        if value.is_null() || value.is_undefined() {
            return Ok(None);
        }
        match bytes_of(&value) {
            Some(bytes) => Ok(Some(bytes)),
            None => Err(unexpected(&doing, "an ArrayBuffer or null", &value)),
        }
    }

    /// Waits for a `list`: `{ keys: [{ name }], list_complete, cursor }`.
    pub(super) async fn page(self) -> Result<Page> {
        let (doing, value) = self.settle().await;
        let value = value?;
        let shape = "an object { keys: [{ name }], list_complete, cursor }";
        if !value.is_object() {
            return Err(unexpected(&doing, shape, &value));
        }
        let result: &sys::KvListResult = value.unchecked_ref();
        let keys = result.keys().map_err(|e| thrown(&doing, &e))?;
        if !Array::is_array(&keys) {
            return Err(unexpected(&doing, "`keys` to be an array", &keys));
        }
        // Through Reflect (`catch`): the array may be a proxy.
        let len = Reflect::get(&keys, &JsValue::from_str("length"))
            .map_err(|e| thrown(&doing, &e))?
            .as_f64()
            .filter(|n| n.is_finite() && *n >= 0.0 && *n <= f64::from(u32::MAX))
            .map_or(0, |n| n as u32);
        // A page holds at most `limit` names; do not trust `length` for an allocation.
        let mut names = Vec::with_capacity(len.min(super::backend::LIST_LIMIT) as usize);
        for i in 0..len {
            let key = Reflect::get_u32(&keys, i).map_err(|e| thrown(&doing, &e))?;
            let name = if key.is_object() {
                key.unchecked_ref::<sys::KvListKey>()
                    .name()
                    .map_err(|e| thrown(&doing, &e))?
            } else {
                JsValue::UNDEFINED
            };
            match name.as_string() {
                Some(name) => names.push(name),
                None => {
                    return Err(unexpected(
                        &doing,
                        "every entry of `keys` to be { name: string }",
                        &key,
                    ))
                }
            }
        }
        let complete = result.list_complete().map_err(|e| thrown(&doing, &e))?;
        let next = match complete.as_bool() {
            Some(true) => None,
            Some(false) => {
                let cursor = result.cursor().map_err(|e| thrown(&doing, &e))?;
                match cursor.as_string().filter(|c| !c.is_empty()) {
                    Some(cursor) => Some(cursor),
                    None => {
                        return Err(unexpected(
                            &doing,
                            "a `cursor` string when `list_complete` is false",
                            &cursor,
                        ))
                    }
                }
            }
            None => {
                return Err(unexpected(
                    &doing,
                    "`list_complete` to be true or false",
                    &complete,
                ))
            }
        };
        Ok(Page { names, next })
    }
}
