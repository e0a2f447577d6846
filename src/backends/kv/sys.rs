//! Raw `extern` bindings to a Workers KV namespace binding (see `crate::wasm::sys` for the conventions). No logic.

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// A Workers KV namespace binding (`env.MY_KV`), or any object of its
    /// shape. Methods are looked up on the object at each call (structural).
    #[wasm_bindgen(extends = js_sys::Object)]
    #[derive(Debug, Clone)]
    pub type KvNamespace;

    /// `get(key, { type: "arrayBuffer" })`: a promise of an `ArrayBuffer`, or
    /// `null` for a missing key.
    #[wasm_bindgen(method, catch, js_name = get)]
    pub fn get(this: &KvNamespace, key: &str, options: &KvGetOptions) -> Result<JsValue, JsValue>;

    /// `put(key, value, { expirationTtl, metadata })`: a promise that resolves
    /// once the write is accepted.
    #[wasm_bindgen(method, catch, js_name = put)]
    pub fn put(
        this: &KvNamespace,
        key: &str,
        value: &js_sys::ArrayBuffer,
        options: &KvPutOptions,
    ) -> Result<JsValue, JsValue>;

    /// `delete(key)`: a promise that resolves once the delete is accepted.
    #[wasm_bindgen(method, catch, js_name = delete)]
    pub fn delete(this: &KvNamespace, key: &str) -> Result<JsValue, JsValue>;

    /// `list({ prefix, cursor, limit })`: a promise of a [`KvListResult`].
    #[wasm_bindgen(method, catch, js_name = list)]
    pub fn list(this: &KvNamespace, options: &KvListOptions) -> Result<JsValue, JsValue>;

    /// Options of `get`: a plain object.
    #[wasm_bindgen(extends = js_sys::Object)]
    #[derive(Debug, Clone)]
    pub type KvGetOptions;

    #[wasm_bindgen(method, setter = "type")]
    pub fn set_type(this: &KvGetOptions, value: &str);

    /// Options of `put`: a plain object.
    #[wasm_bindgen(extends = js_sys::Object)]
    #[derive(Debug, Clone)]
    pub type KvPutOptions;

    /// Seconds from now; Workers KV refuses values under 60.
    #[wasm_bindgen(method, setter = expirationTtl)]
    pub fn set_expiration_ttl(this: &KvPutOptions, seconds: f64);

    /// Up to 1024 bytes of JSON kept with the key and returned by `list`.
    #[wasm_bindgen(method, setter = metadata)]
    pub fn set_metadata(this: &KvPutOptions, metadata: &KvMetadata);

    /// The metadata edgecache stores with each key: `{ v, expiresAt? }`.
    #[wasm_bindgen(extends = js_sys::Object)]
    #[derive(Debug, Clone)]
    pub type KvMetadata;

    /// The record format version.
    #[wasm_bindgen(method, setter = v)]
    pub fn set_version(this: &KvMetadata, version: u8);

    /// The exact absolute expiry, ms since the epoch.
    #[wasm_bindgen(method, setter = expiresAt)]
    pub fn set_expires_at(this: &KvMetadata, ms: f64);

    /// Options of `list`: a plain object.
    #[wasm_bindgen(extends = js_sys::Object)]
    #[derive(Debug, Clone)]
    pub type KvListOptions;

    #[wasm_bindgen(method, setter = prefix)]
    pub fn set_prefix(this: &KvListOptions, prefix: &str);

    #[wasm_bindgen(method, setter = cursor)]
    pub fn set_cursor(this: &KvListOptions, cursor: &str);

    #[wasm_bindgen(method, setter = limit)]
    pub fn set_limit(this: &KvListOptions, limit: u32);

    /// What `list` resolves to: `{ keys: [{ name }], list_complete, cursor }`.
    /// The getters are `catch`: the object comes from JavaScript and may be
    /// anything.
    #[wasm_bindgen(extends = js_sys::Object)]
    #[derive(Debug, Clone)]
    pub type KvListResult;

    #[wasm_bindgen(method, catch, getter = keys)]
    pub fn keys(this: &KvListResult) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch, getter = list_complete)]
    pub fn list_complete(this: &KvListResult) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch, getter = cursor)]
    pub fn cursor(this: &KvListResult) -> Result<JsValue, JsValue>;

    /// One entry of `KvListResult.keys`.
    #[wasm_bindgen(extends = js_sys::Object)]
    #[derive(Debug, Clone)]
    pub type KvListKey;

    #[wasm_bindgen(method, catch, getter = name)]
    pub fn name(this: &KvListKey) -> Result<JsValue, JsValue>;
}
