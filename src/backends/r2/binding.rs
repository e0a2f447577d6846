//! The JavaScript half of an [`R2Backend`](super::R2Backend): the bucket
//! binding, kept in the per-thread table of `crate::wasm::registry`, and safe
//! wrappers around its five methods that turn throws, rejections and answers
//! of the wrong type into crate errors.
//!
//! A method call goes out at once ([`Call`] holds its promise, with handlers
//! attached, so a rejection is never unhandled) and is awaited later. That is
//! what lets `mget` keep several calls in flight.

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use super::sys;
use crate::backends::r2::layout::{Metadata, PAGE_KEYS};
use crate::wasm::call::{bytes_of, Call};
use crate::wasm::error::{describe, thrown, unexpected};
use crate::wasm::registry::Registered;
use crate::{Error, Result};

/// The methods a binding must have.
const METHODS: [&str; 5] = ["get", "head", "put", "delete", "list"];

/// More `customMetadata` fields than this is certainly not an edgecache
/// object; they are not read one by one.
const MAX_METADATA_FIELDS: u32 = 16;

/// Checks that `value` is an object with callable `get`, `head`, `put`,
/// `delete` and `list`.
pub(super) fn check(value: JsValue) -> Result<sys::R2Bucket> {
    if !value.is_object() && !value.is_function() {
        return Err(Error::InvalidOptions(format!(
            "the R2 binding must be an object with get, head, put, delete and list methods \
             (an R2 bucket binding, or any object of its shape), got {}",
            describe(&value)
        )));
    }
    for method in METHODS {
        let callable = Reflect::get(&value, &JsValue::from_str(method))
            .map(|f| f.is_function())
            .unwrap_or(false);
        if !callable {
            return Err(Error::InvalidOptions(format!(
                "the R2 binding has no callable `{method}` method: it must have get, head, \
                 put, delete and list (an R2 bucket binding, or any object of its shape)"
            )));
        }
    }
    Ok(value.unchecked_into())
}

/// Keeps `bucket` in this thread's table, until the handle returned is
/// dropped.
pub(super) fn register(bucket: sys::R2Bucket) -> Result<Registered> {
    Registered::new(bucket.into(), "the R2 binding")
}

/// The bucket kept under `registered`, on this thread.
pub(super) fn lookup(registered: &Registered) -> Result<Binding> {
    Ok(Binding(registered.get()?.unchecked_into()))
}

/// A bucket, borrowed from the table for the length of one operation.
pub(super) struct Binding(sys::R2Bucket);

impl Binding {
    /// `get(key)`.
    pub(super) fn get(&self, key: &str) -> Call {
        Call::new(self.0.get(key), || format!("R2 get of {key:?}"))
    }

    /// `head(key)`.
    pub(super) fn head(&self, key: &str) -> Call {
        Call::new(self.0.head(key), || format!("R2 head of {key:?}"))
    }

    /// `put(key, body, { customMetadata })`. `body` goes to the binding as
    /// it is: a `Uint8Array` copied out of wasm memory by `set`, or the
    /// caller's stream, `Blob` or buffer for `put_body`.
    pub(super) fn put(&self, key: &str, body: &JsValue, metadata: &Metadata) -> Call {
        let doing = || format!("R2 put of {key:?}");
        let custom = Object::new();
        for (name, value) in metadata.encode() {
            // A fresh plain object: setting a property cannot fail.
            if let Err(e) = Reflect::set(
                &custom,
                &JsValue::from_str(name),
                &JsValue::from_str(&value),
            ) {
                return Call::new(Err(e), doing);
            }
        }
        let options: sys::R2PutOptions = Object::new().unchecked_into();
        options.set_custom_metadata(&custom);
        Call::new(self.0.put(key, body, &options), doing)
    }

    /// `delete([keys])`: at most [`PAGE_KEYS`] keys (R2's limit per call).
    pub(super) fn delete(&self, keys: &[impl AsRef<str>]) -> Call {
        let array: Array = keys.iter().map(|k| JsValue::from_str(k.as_ref())).collect();
        Call::new(self.0.delete(&array), || match keys {
            [one] => format!("R2 delete of {:?}", one.as_ref()),
            _ => format!("R2 delete of {} keys", keys.len()),
        })
    }

    /// `list({ prefix, cursor, limit })`.
    pub(super) fn list(&self, prefix: &str, cursor: Option<&str>, limit: u32) -> Call {
        let options: sys::R2ListOptions = Object::new().unchecked_into();
        options.set_prefix(prefix);
        if let Some(cursor) = cursor {
            options.set_cursor(cursor);
        }
        options.set_limit(limit);
        Call::new(self.0.list(&options), || {
            format!("R2 list of prefix {prefix:?}")
        })
    }
}

/// An object `get` or `head` found: the R2 object, and what its metadata
/// says (`Err` for metadata that is not edgecache's: a miss).
pub(super) struct Found {
    doing: String,
    object: sys::R2Object,
    pub meta: Result<Metadata>,
}

/// One page of `list`: the object keys, the `truncated` flag and the
/// cursor (if any).
pub(super) struct Page {
    pub keys: Vec<String>,
    pub truncated: bool,
    pub cursor: Option<String>,
}

impl Call {
    /// Waits for a `get` or `head`: `None` for `null` (or `undefined`), the
    /// object with its parsed metadata otherwise. A metadata getter that
    /// throws is a failure of the binding; metadata of the wrong shape only
    /// means the object is not edgecache's.
    pub(super) async fn object(self) -> Result<Option<Found>> {
        let (doing, value) = self.settle().await;
        let value = value?;
        if value.is_null() || value.is_undefined() {
            return Ok(None);
        }
        if !value.is_object() {
            return Err(unexpected(&doing, "an R2 object or null", &value));
        }
        let object: sys::R2Object = value.unchecked_into();
        let custom = object.custom_metadata().map_err(|e| thrown(&doing, &e))?;
        let meta = parse_metadata(&doing, &custom)?;
        Ok(Some(Found {
            doing,
            object,
            meta,
        }))
    }

    /// Waits for a `list`: `{ objects: [{ key }], truncated, cursor }`.
    pub(super) async fn objects(self) -> Result<Page> {
        let (doing, value) = self.settle().await;
        let value = value?;
        let shape = "an object { objects: [{ key }], truncated, cursor }";
        if !value.is_object() {
            return Err(unexpected(&doing, shape, &value));
        }
        let result: &sys::R2Objects = value.unchecked_ref();
        let objects = result.objects().map_err(|e| thrown(&doing, &e))?;
        if !Array::is_array(&objects) {
            return Err(unexpected(&doing, "`objects` to be an array", &objects));
        }
        let len = array_length(&doing, &objects)?;
        // A page holds at most `limit` keys; do not trust `length` for an allocation.
        let mut keys = Vec::with_capacity(len.min(PAGE_KEYS as u32) as usize);
        for i in 0..len {
            let entry = Reflect::get_u32(&objects, i).map_err(|e| thrown(&doing, &e))?;
            let key = if entry.is_object() {
                entry
                    .unchecked_ref::<sys::R2ListedObject>()
                    .key()
                    .map_err(|e| thrown(&doing, &e))?
            } else {
                JsValue::UNDEFINED
            };
            match key.as_string() {
                Some(key) => keys.push(key),
                None => {
                    return Err(unexpected(
                        &doing,
                        "every entry of `objects` to be { key: string }",
                        &entry,
                    ))
                }
            }
        }
        let truncated = result.truncated().map_err(|e| thrown(&doing, &e))?;
        let Some(truncated) = truncated.as_bool() else {
            return Err(unexpected(
                &doing,
                "`truncated` to be true or false",
                &truncated,
            ));
        };
        let cursor = if truncated {
            let cursor = result.cursor().map_err(|e| thrown(&doing, &e))?;
            match cursor.as_string() {
                Some(cursor) => Some(cursor),
                None => {
                    return Err(unexpected(
                        &doing,
                        "a `cursor` string when `truncated` is true",
                        &cursor,
                    ))
                }
            }
        } else {
            None
        };
        Ok(Page {
            keys,
            truncated,
            cursor,
        })
    }
}

impl Found {
    /// Reads the whole body (`arrayBuffer()`) into Rust.
    pub(super) async fn bytes(self) -> Result<Vec<u8>> {
        let call = Call::new(self.object.array_buffer(), || {
            format!("{}: reading the body", self.doing)
        });
        let (doing, value) = call.settle().await;
        let value = value?;
        bytes_of(&value).ok_or_else(|| unexpected(&doing, "an ArrayBuffer", &value))
    }

    /// The body as the binding gave it (a `ReadableStream`), not read.
    pub(super) fn body(self) -> Result<JsValue> {
        let body = self.object.body().map_err(|e| thrown(&self.doing, &e))?;
        if body.is_object() {
            Ok(body)
        } else {
            Err(unexpected(&self.doing, "a `body` stream", &body))
        }
    }

    /// Releases the body of an object that will not be read (expired, or
    /// not edgecache's), best effort: a `head` result has no body, and a
    /// failure to cancel changes nothing for the caller.
    pub(super) fn discard(self) {
        if let Ok(body) = self.object.body() {
            if body.is_object() {
                let body: sys::R2Body = body.unchecked_into();
                // Dropping the call leaves its handlers attached: a
                // rejection is handled, and ignored.
                drop(Call::new(body.cancel(), String::new));
            }
        }
    }
}

/// The `length` of a JavaScript array, through `Reflect` (`catch`: the
/// array may be a proxy), as a `u32`.
fn array_length(doing: &str, array: &JsValue) -> Result<u32> {
    Ok(Reflect::get(array, &JsValue::from_str("length"))
        .map_err(|e| thrown(doing, &e))?
        .as_f64()
        .filter(|n| n.is_finite() && *n >= 0.0 && *n <= f64::from(u32::MAX))
        .map_or(0, |n| n as u32))
}

/// Parses `customMetadata` (a plain object of strings). `Ok(Err(_))` when
/// it is missing or not edgecache's (a miss); `Err(_)` when reading it threw.
fn parse_metadata(doing: &str, custom: &JsValue) -> Result<Result<Metadata>> {
    if !custom.is_object() {
        return Ok(Err(Error::Decode(format!(
            "customMetadata is {}",
            describe(custom)
        ))));
    }
    let names = Reflect::own_keys(custom).map_err(|e| thrown(doing, &e))?;
    let count = names.length();
    if count > MAX_METADATA_FIELDS {
        return Ok(Err(Error::Decode(format!(
            "customMetadata has {count} fields"
        ))));
    }
    let mut fields = Vec::with_capacity(count as usize);
    for name in names.iter() {
        let Some(field) = name.as_string() else {
            return Ok(Err(Error::Decode("customMetadata has a symbol key".into())));
        };
        let value = Reflect::get(custom, &name).map_err(|e| thrown(doing, &e))?;
        let Some(value) = value.as_string() else {
            return Ok(Err(Error::Decode(format!(
                "customMetadata field {field:?} is {}",
                describe(&value)
            ))));
        };
        fields.push((field, value));
    }
    Ok(Metadata::decode(
        fields.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    ))
}
