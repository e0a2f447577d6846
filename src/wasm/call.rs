//! Calling into objects handed in from JavaScript (bindings, sockets):
//! awaiting what a method returned ([`Call`], the one way every backend does
//! it), and reading bytes out of an answer. Shared by the KV, D1, R2 and
//! Redis glue.
//!
//! A method may return a promise or a plain value: it goes through
//! `Promise.resolve`, so a binding that answers synchronously (a test double,
//! an adapter) works too, and a throw and a rejection fail the same way.

use js_sys::{ArrayBuffer, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::error::thrown;
use super::sys;
use crate::{Error, Result};

/// A call that has gone out: the promise it returned (already awaited by a
/// [`JsFuture`], so a rejection is handled even if nobody polls it), or what
/// it threw. Several can be in flight at once; each backend adds the methods
/// that read its answers (`impl Call` blocks next to its binding).
pub(crate) struct Call {
    doing: String,
    state: std::result::Result<JsFuture, JsValue>,
    fail: fn(&str, &JsValue) -> Error,
}

impl Call {
    /// Wraps what a method call returned (`Err` for a throw); `doing` says
    /// what the call was, for error messages.
    pub(crate) fn new(
        result: std::result::Result<JsValue, JsValue>,
        doing: impl FnOnce() -> String,
    ) -> Self {
        let state = result
            .and_then(|value| sys::promise_resolve(&value))
            .map(JsFuture::from);
        Self {
            doing: doing(),
            state,
            fail: thrown,
        }
    }

    /// The same call, its throw or rejection mapped with `fail(doing,
    /// thrown)` instead of [`thrown`]'s [`Error::Backend`] (a Redis socket's
    /// failures are [`Error::Unavailable`]).
    pub(crate) fn failing_with(mut self, fail: fn(&str, &JsValue) -> Error) -> Self {
        self.fail = fail;
        self
    }

    /// Waits for the answer: `doing`, and the value or the failure (an
    /// [`Error::Backend`] with its message, unless [`Call::failing_with`]).
    pub(crate) async fn settle(self) -> (String, Result<JsValue>) {
        let result = match self.state {
            Ok(future) => future.await,
            Err(e) => Err(e),
        };
        let result = result.map_err(|e| (self.fail)(&self.doing, &e));
        (self.doing, result)
    }

    /// Waits for the answer's value.
    pub(crate) async fn value(self) -> Result<JsValue> {
        self.settle().await.1
    }

    /// Waits for a call whose answer does not matter (`put`, `delete`).
    pub(crate) async fn done(self) -> Result<()> {
        self.settle().await.1.map(drop)
    }
}

/// A copy of the bytes of an `ArrayBuffer` or a `Uint8Array`; `None` for any
/// other value. A detached buffer (whose length reads 0, and which
/// `new Uint8Array` would throw on) is no bytes.
/// (`Uint8Array` is tested first: sockets hand those over, one a reply, and
/// every test is a call into JavaScript.)
pub(crate) fn bytes_of(value: &JsValue) -> Option<Vec<u8>> {
    if let Some(bytes) = value.dyn_ref::<Uint8Array>() {
        return Some(bytes.to_vec());
    }
    let buffer = value.dyn_ref::<ArrayBuffer>()?;
    if buffer.byte_length() == 0 {
        return Some(Vec::new());
    }
    Some(Uint8Array::new(buffer).to_vec())
}
