//! Raw `extern` bindings to a Cloudflare R2 bucket binding (see `crate::wasm::sys` for the conventions). No logic.

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// A Cloudflare R2 bucket binding (`env.MY_BUCKET`), or any object of its
    /// shape. Methods are looked up on the object at each call (structural).
    #[wasm_bindgen(extends = js_sys::Object)]
    #[derive(Debug, Clone)]
    pub type R2Bucket;

    /// `get(key)`: a promise of an `R2ObjectBody`, or `null` for a missing key.
    #[wasm_bindgen(method, catch, js_name = get)]
    pub fn get(this: &R2Bucket, key: &str) -> Result<JsValue, JsValue>;

    /// `head(key)`: a promise of an `R2Object` (metadata, no body), or `null`.
    #[wasm_bindgen(method, catch, js_name = head)]
    pub fn head(this: &R2Bucket, key: &str) -> Result<JsValue, JsValue>;

    /// `put(key, value, { customMetadata })`: a promise of the `R2Object`
    /// written. `value` is an `ArrayBuffer`, a `Blob`, a string or a
    /// `ReadableStream` of known length.
    #[wasm_bindgen(method, catch, js_name = put)]
    pub fn put(
        this: &R2Bucket,
        key: &str,
        value: &JsValue,
        options: &R2PutOptions,
    ) -> Result<JsValue, JsValue>;

    /// `delete(keys)`: removes up to 1,000 keys in one call.
    #[wasm_bindgen(method, catch, js_name = delete)]
    pub fn delete(this: &R2Bucket, keys: &js_sys::Array) -> Result<JsValue, JsValue>;

    /// `list({ prefix, cursor, limit })`: a promise of an [`R2Objects`].
    #[wasm_bindgen(method, catch, js_name = list)]
    pub fn list(this: &R2Bucket, options: &R2ListOptions) -> Result<JsValue, JsValue>;

    /// Options of `put`: a plain object.
    #[wasm_bindgen(extends = js_sys::Object)]
    #[derive(Debug, Clone)]
    pub type R2PutOptions;

    /// String-valued metadata kept with the object (at most 8 KiB).
    #[wasm_bindgen(method, setter = customMetadata)]
    pub fn set_custom_metadata(this: &R2PutOptions, metadata: &js_sys::Object);

    /// Options of `list`: a plain object.
    #[wasm_bindgen(extends = js_sys::Object)]
    #[derive(Debug, Clone)]
    pub type R2ListOptions;

    #[wasm_bindgen(method, setter = prefix)]
    pub fn set_prefix(this: &R2ListOptions, prefix: &str);

    #[wasm_bindgen(method, setter = cursor)]
    pub fn set_cursor(this: &R2ListOptions, cursor: &str);

    #[wasm_bindgen(method, setter = limit)]
    pub fn set_limit(this: &R2ListOptions, limit: u32);

    /// What `get` and `head` resolve to (an `R2ObjectBody` or `R2Object`).
    /// The getters are `catch`: the object comes from JavaScript and may be
    /// anything.
    #[wasm_bindgen(extends = js_sys::Object)]
    #[derive(Debug, Clone)]
    pub type R2Object;

    #[wasm_bindgen(method, catch, getter = customMetadata)]
    pub fn custom_metadata(this: &R2Object) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch, getter = size)]
    pub fn size(this: &R2Object) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch, getter = body)]
    pub fn body(this: &R2Object) -> Result<JsValue, JsValue>;

    /// `arrayBuffer()`: a promise of the whole body.
    #[wasm_bindgen(method, catch, js_name = arrayBuffer)]
    pub fn array_buffer(this: &R2Object) -> Result<JsValue, JsValue>;

    /// An object body (`ReadableStream`) that will not be read.
    #[wasm_bindgen(extends = js_sys::Object)]
    #[derive(Debug, Clone)]
    pub type R2Body;

    /// `cancel()`: releases the body unread.
    #[wasm_bindgen(method, catch, js_name = cancel)]
    pub fn cancel(this: &R2Body) -> Result<JsValue, JsValue>;

    /// What `list` resolves to: `{ objects: [{ key }], truncated, cursor }`.
    #[wasm_bindgen(extends = js_sys::Object)]
    #[derive(Debug, Clone)]
    pub type R2Objects;

    #[wasm_bindgen(method, catch, getter = objects)]
    pub fn objects(this: &R2Objects) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch, getter = truncated)]
    pub fn truncated(this: &R2Objects) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch, getter = cursor)]
    pub fn cursor(this: &R2Objects) -> Result<JsValue, JsValue>;

    /// One entry of `R2Objects.objects`.
    #[wasm_bindgen(extends = js_sys::Object)]
    #[derive(Debug, Clone)]
    pub type R2ListedObject;

    #[wasm_bindgen(method, catch, getter = key)]
    pub fn key(this: &R2ListedObject) -> Result<JsValue, JsValue>;
}
