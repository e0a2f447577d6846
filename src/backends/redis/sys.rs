//! Raw `extern` bindings to the Redis socket `js/redis.js` builds (see `crate::wasm::sys` for the conventions). No logic.

use wasm_bindgen::prelude::*;

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
