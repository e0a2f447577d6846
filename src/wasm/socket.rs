//! The JavaScript half of a TCP backend in wasm (Redis; any protocol over a
//! byte stream): a [`Connector`] over a JavaScript function that opens
//! sockets, and the [`Transport`] over the socket it returns.
//!
//! The JavaScript side (`js/tcp.js`, called by the backend's own file such as
//! `js/redis.js`) turns whatever the caller passed as `connect` — a URL or
//! `{ hostname, port }` (a `cloudflare:sockets` socket in workerd, a
//! `node:net` or `node:tls` socket in Node), or a function returning a
//! socket of either kind — into one function `open(timeoutMs)` that resolves
//! to an object with three methods, and that is all this module calls:
//!
//! | call | does |
//! |---|---|
//! | `write(bytes: Uint8Array)` | `undefined` once the bytes are taken (a failure to send them then shows in a later `read`), or a promise that settles once they are written |
//! | `read()` | the next bytes the server sent (`Uint8Array`), or `null` once it closed the stream: either at once, when they are already there, or as a promise |
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

use crate::transport::{Connector, Transport};
use crate::wasm::call::{bytes_of, Call};
use crate::wasm::error::{describe, message};
use crate::wasm::registry::Registered;
use crate::wasm::sys;
use crate::{Error, Result};

fn unavailable(doing: &str, thrown: &JsValue) -> Error {
    Error::Unavailable(format!("{doing}: {}", message(thrown)))
}

/// A failed opening or read. The glue's own errors (`EdgeCacheError`s from
/// `js/tcp.js`) already say what failed ("cannot connect to Redis at …",
/// "no reply within 100 ms"): their message is kept as it is, not wrapped
/// a second time.
fn glue_failed(doing: &str, thrown: &JsValue) -> Error {
    let field = |name: &str| {
        js_sys::Reflect::get(thrown, &JsValue::from_str(name))
            .ok()
            .and_then(|v| v.as_string())
    };
    match (field("name").as_deref(), field("message")) {
        (Some("EdgeCacheError"), Some(text)) => Error::Unavailable(text),
        _ => unavailable(doing, thrown),
    }
}

/// A [`Connector`] that calls a JavaScript `open(timeoutMs)` function.
#[derive(Debug, Clone)]
pub(crate) struct JsConnector {
    /// The opener function, dropped from the table with the last handle.
    opener: Arc<Registered>,
    /// The server's name in errors: "Redis".
    server: &'static str,
}

impl JsConnector {
    /// Wraps `open`, which must resolve to a socket object (see the module
    /// docs); `server` names the server in errors ("Redis").
    pub(crate) fn new(open: Function, server: &'static str) -> Result<Self> {
        Ok(Self {
            opener: Arc::new(Registered::new(open.into(), "the connection opener")?),
            server,
        })
    }
}

impl Connector for JsConnector {
    type Transport = JsSocket;

    async fn connect(&self, timeout: Duration) -> Result<JsSocket> {
        let server = self.server;
        let doing = format!("cannot connect to {server}");
        let open: Function = self.opener.get()?.unchecked_into();
        // At most u64::MAX ms; an f64 holds every value we pass (≤ 1 day).
        let timeout_ms = JsValue::from_f64(timeout.as_millis() as f64);
        let socket = Call::new(open.call1(&JsValue::UNDEFINED, &timeout_ms), || {
            doing.clone()
        })
        .failing_with(glue_failed)
        .value()
        .await?;
        for method in ["write", "read", "close"] {
            let callable = js_sys::Reflect::get(&socket, &JsValue::from_str(method))
                .map(|f| f.is_function())
                .unwrap_or(false);
            if !callable {
                let socket: sys::TcpSocket = socket.unchecked_into();
                let _ = socket.close();
                return Err(Error::Unavailable(format!(
                    "{doing}: the opener returned {} without a `{method}` method",
                    describe(&socket)
                )));
            }
        }
        Ok(JsSocket {
            socket: Some(Registered::new(socket, "the connection")?),
            server,
        })
    }
}

/// One open socket: a [`Transport`] over the JavaScript object's `write`,
/// `read` and `close`. Closed when dropped.
#[derive(Debug)]
pub(crate) struct JsSocket {
    /// `None` once closed.
    socket: Option<Registered>,
    /// The server's name in errors.
    server: &'static str,
}

impl JsSocket {
    fn socket(&self) -> Result<sys::TcpSocket> {
        let socket = self.socket.as_ref().ok_or_else(|| {
            Error::Unavailable(format!("the {} connection is closed", self.server))
        })?;
        Ok(socket.get()?.unchecked_into())
    }
}

impl Transport for JsSocket {
    async fn write(&mut self, bytes: &[u8]) -> Result<()> {
        let socket = self.socket()?;
        let chunk = Uint8Array::new_from_slice(bytes);
        let server = self.server;
        let returned = socket.write(&chunk);
        if returned.as_ref().is_ok_and(JsValue::is_undefined) {
            // Taken (buffered): a failure shows in a later read.
            return Ok(());
        }
        Call::new(returned, || format!("writing to {server} failed"))
            .failing_with(unavailable)
            .done()
            .await?;
        Ok(())
    }

    async fn read(&mut self) -> Result<Option<Vec<u8>>> {
        // The protocol's core says "Redis connection dropped" in front.
        let doing = || "reading failed".to_owned();
        loop {
            let socket = self.socket()?;
            let value = match socket.read() {
                // Bytes already there, or the end: no promise to wait for.
                Ok(v) if v.is_null() || v.is_instance_of::<Uint8Array>() => v,
                returned => {
                    Call::new(returned, doing)
                        .failing_with(glue_failed)
                        .value()
                        .await?
                }
            };
            if value.is_null() || value.is_undefined() {
                return Ok(None);
            }
            let Some(bytes) = bytes_of(&value) else {
                return Err(Error::Unavailable(format!(
                    "{}: expected a Uint8Array or null, got {}",
                    doing(),
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
            let socket: sys::TcpSocket = socket.unchecked_into();
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
