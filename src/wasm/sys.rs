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

    /// `Promise.resolve(value)`: adopts a promise or thenable, wraps anything
    /// else. `catch`: it reads `value.constructor` and `value.then`, which an
    /// odd object may make throw.
    #[wasm_bindgen(js_namespace = Promise, js_name = resolve, catch)]
    pub fn promise_resolve(value: &JsValue) -> Result<js_sys::Promise, JsValue>;
}

#[cfg(feature = "tcp")]
#[wasm_bindgen]
extern "C" {
    /// A TCP socket as `js/tcp.js` hands it to a network backend:
    /// `write(bytes)`, `read()` and `close()` (see `crate::wasm::socket`).
    #[wasm_bindgen(extends = js_sys::Object)]
    #[derive(Debug, Clone)]
    pub type TcpSocket;

    /// `write(bytes)`: `undefined` once the bytes are taken, or a promise
    /// that settles once they are written. `bytes` is a view of wasm
    /// memory, valid during the call only: the socket copies what it keeps
    /// (a copy it makes anyway, into a buffer it owns).
    #[wasm_bindgen(method, catch, js_name = write)]
    pub fn write(this: &TcpSocket, bytes: &[u8]) -> Result<JsValue, JsValue>;

    /// `read()`: the next `Uint8Array` from the server (`null` once it
    /// closed the stream, an `Error` for a failure) if it is there, else
    /// `undefined`, and the socket's `deliver` gets it later (see
    /// `crate::wasm::socket`).
    #[wasm_bindgen(method, catch, js_name = read)]
    pub fn read(this: &TcpSocket) -> Result<JsValue, JsValue>;

    /// `close()`: closes the socket.
    #[wasm_bindgen(method, catch, js_name = close)]
    pub fn close(this: &TcpSocket) -> Result<JsValue, JsValue>;
}
