//! The JavaScript half of a [`RedisBackend`](crate::RedisBackend) in wasm: a
//! [`Connector`] over a JavaScript function that opens sockets, and the
//! [`Transport`] over the socket it returns.
//!
//! The JavaScript side (`js/redis.js`) turns whatever the caller passed as
//! `connect` — a `redis://` URL or `{ hostname, port }` (a `cloudflare:sockets`
//! socket in workerd, a `node:net` socket in Node), or a function returning
//! a socket of either kind — into one function `open(timeoutMs)` that resolves
//! to an object with three methods, and that is all this module calls:
//!
//! | call | does |
//! |---|---|
//! | `write(bytes: Uint8Array)` | a promise that settles once the bytes are written |
//! | `read()` | a promise of the next bytes the server sent (`Uint8Array`), or `null` once it closed the stream |
//! | `close()` | closes the socket (its result is ignored) |
//!
//! Every failure of the opener or the socket (a throw, a rejection, an answer
//! of the wrong type) is [`Error::Unavailable`]: the backend then drops the
//! connection and the next call opens a new one.
//!
//! Like the other bindings, the JavaScript objects live in the per-thread
//! table of `crate::wasm::registry`, so the handles are plain data and
//! `Send + Sync` without `unsafe`.

use std::sync::Arc;
use std::time::Duration;

use js_sys::{Function, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

use super::sys;
use crate::backends::redis::transport::{Connector, Transport};
use crate::wasm::call::{bytes_of, Call};
use crate::wasm::error::{describe, message};
use crate::wasm::registry::Registered;
use crate::{Error, Result};

/// What the registered opener and sockets are called in errors.
const WHAT: &str = "the Redis connection";

/// A socket call that threw or rejected: only its cause, since `conn.rs`
/// says what failed ("cannot connect to Redis", "Redis connection
/// dropped"), so each message says it once.
fn unavailable(_doing: &str, thrown: &JsValue) -> Error {
    Error::Unavailable(message(thrown))
}

/// A [`Connector`] that calls a JavaScript `open(timeoutMs)` function.
#[derive(Debug, Clone)]
pub(crate) struct JsConnector {
    /// The opener function, dropped from the table with the last handle.
    opener: Arc<Registered>,
}

impl JsConnector {
    /// Wraps `open`, which must resolve to a socket object (see the module
    /// docs).
    pub(crate) fn new(open: Function) -> Result<Self> {
        Ok(Self {
            opener: Arc::new(Registered::new(open.into(), WHAT)?),
        })
    }
}

impl Connector for JsConnector {
    type Transport = JsSocket;

    async fn connect(&self, timeout: Duration) -> Result<JsSocket> {
        let open: Function = self.opener.get()?.unchecked_into();
        // At most u64::MAX ms; an f64 holds every value we pass (≤ 1 day).
        let timeout_ms = JsValue::from_f64(timeout.as_millis() as f64);
        let socket = Call::new(open.call1(&JsValue::UNDEFINED, &timeout_ms), || {
            "opening the Redis connection".into()
        })
        .failing_with(unavailable)
        .value()
        .await?;
        for method in ["write", "read", "close"] {
            let callable = js_sys::Reflect::get(&socket, &JsValue::from_str(method))
                .map(|f| f.is_function())
                .unwrap_or(false);
            if !callable {
                let socket: sys::RedisSocket = socket.unchecked_into();
                let _ = socket.close();
                return Err(Error::Unavailable(format!(
                    "the opener returned {} without a `{method}` method",
                    describe(&socket)
                )));
            }
        }
        Ok(JsSocket {
            socket: Some(Registered::new(socket, WHAT)?),
        })
    }
}

/// One open socket: a [`Transport`] over the JavaScript object's `write`,
/// `read` and `close`. Closed when dropped.
#[derive(Debug)]
pub(crate) struct JsSocket {
    /// `None` once closed.
    socket: Option<Registered>,
}

impl JsSocket {
    fn socket(&self) -> Result<sys::RedisSocket> {
        let socket = self
            .socket
            .as_ref()
            .ok_or_else(|| Error::Unavailable("the Redis connection is closed".into()))?;
        Ok(socket.get()?.unchecked_into())
    }
}

impl Transport for JsSocket {
    async fn write(&mut self, bytes: &[u8]) -> Result<()> {
        let socket = self.socket()?;
        let chunk = Uint8Array::new_from_slice(bytes);
        Call::new(socket.write(&chunk), || "writing to Redis failed".into())
            .failing_with(unavailable)
            .done()
            .await?;
        Ok(())
    }

    async fn read(&mut self) -> Result<Option<Vec<u8>>> {
        const DOING: &str = "reading from Redis failed";
        loop {
            let socket = self.socket()?;
            let value = Call::new(socket.read(), || DOING.into())
                .failing_with(unavailable)
                .value()
                .await?;
            if value.is_null() || value.is_undefined() {
                return Ok(None);
            }
            let Some(bytes) = bytes_of(&value) else {
                return Err(Error::Unavailable(format!(
                    "the socket's read answered {}, not a Uint8Array or null",
                    describe(&value)
                )));
            };
            // A stream may hand out empty chunks; the contract is "at least
            // one byte", so wait for the next.
            if !bytes.is_empty() {
                return Ok(Some(bytes));
            }
        }
    }

    fn close(&mut self) {
        if let Some(socket) = self.socket.take().and_then(Registered::take) {
            let socket: sys::RedisSocket = socket.unchecked_into();
            // Best effort: a throwing close changes nothing for us.
            let _ = socket.close();
        }
    }
}

impl Drop for JsSocket {
    fn drop(&mut self) {
        self.close();
    }
}
