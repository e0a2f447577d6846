//! Raw `extern` bindings to the JavaScript objects the platform layer calls,
//! and nothing else: no logic, no conversions. Safe wrappers live next to the
//! backends that use them (`kv/binding.rs`).
//!
//! Every call into an object handed in from JavaScript is marked `catch`, so
//! a throw comes back as `Err(JsValue)` instead of unwinding through wasm. The
//! methods return a plain `JsValue`, not a `Promise`: the wrapper passes it
//! through `Promise.resolve`, so a binding that answers synchronously (a test
//! double, an adapter) works too, and one that returns something odd fails
//! with a clear error instead of a missing `then`. JavaScript spellings are
//! given in `js_name` / `getter =` / `setter =`, in this file only.

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

    /// `Promise.resolve(value)`: adopts a promise or thenable, wraps anything
    /// else. `catch`: it reads `value.constructor` and `value.then`, which an
    /// odd object may make throw.
    #[wasm_bindgen(js_namespace = Promise, js_name = resolve, catch)]
    pub fn promise_resolve(value: &JsValue) -> Result<js_sys::Promise, JsValue>;
}

// The Redis socket `js/redis.js` builds (`redis.rs`).
#[wasm_bindgen]
extern "C" {
    /// A Redis socket as `js/redis.js` hands it to the Redis backend:
    /// `write(bytes)`, `read()` and `close()` (see `redis.rs`).
    #[wasm_bindgen(extends = js_sys::Object)]
    #[derive(Debug, Clone)]
    pub type RedisSocket;

    /// `write(bytes)`: a promise that settles once the bytes are written.
    #[wasm_bindgen(method, catch, js_name = write)]
    pub fn write(this: &RedisSocket, bytes: &js_sys::Uint8Array) -> Result<JsValue, JsValue>;

    /// `read()`: a promise of the next `Uint8Array` from the server, or
    /// `null` once the server closed the stream.
    #[wasm_bindgen(method, catch, js_name = read)]
    pub fn read(this: &RedisSocket) -> Result<JsValue, JsValue>;

    /// `close()`: closes the socket.
    #[wasm_bindgen(method, catch, js_name = close)]
    pub fn close(this: &RedisSocket) -> Result<JsValue, JsValue>;
}

// The Cloudflare D1 database binding (`d1.rs`, `d1/binding.rs`).
#[wasm_bindgen]
extern "C" {
    /// A Cloudflare D1 database binding (`env.DB`), or any object of its
    /// shape. Methods are looked up on the object at each call (structural).
    #[wasm_bindgen(extends = js_sys::Object)]
    #[derive(Debug, Clone)]
    pub type D1Database;

    /// `prepare(sql)`: a [`D1PreparedStatement`], synchronously.
    #[wasm_bindgen(method, catch, js_name = prepare)]
    pub fn prepare(this: &D1Database, sql: &str) -> Result<JsValue, JsValue>;

    /// `batch(statements)`: a promise of one result per statement, run as
    /// one transaction (all or nothing).
    #[wasm_bindgen(method, catch, js_name = batch)]
    pub fn batch(this: &D1Database, statements: &js_sys::Array) -> Result<JsValue, JsValue>;

    /// A statement of a [`D1Database`]; `bind` returns a new one.
    #[wasm_bindgen(extends = js_sys::Object)]
    #[derive(Debug, Clone)]
    pub type D1PreparedStatement;

    /// `bind(...values)`: the statement with its `?N` parameters bound
    /// (strings, numbers, `null`, `ArrayBuffer`s), synchronously.
    #[wasm_bindgen(method, catch, variadic, js_name = bind)]
    pub fn bind(this: &D1PreparedStatement, values: &js_sys::Array) -> Result<JsValue, JsValue>;

    /// `all()`: a promise of `{ results: [row objects], success, meta }`.
    #[wasm_bindgen(method, catch, js_name = all)]
    pub fn all(this: &D1PreparedStatement) -> Result<JsValue, JsValue>;

    /// `run()`: a promise of `{ success, meta: { changes, ... } }`.
    #[wasm_bindgen(method, catch, js_name = run)]
    pub fn run(this: &D1PreparedStatement) -> Result<JsValue, JsValue>;
}

// The Cloudflare R2 bucket binding (`r2.rs`, `r2/binding.rs`).
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
