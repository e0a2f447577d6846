//! IndexedDB's failures as crate errors with stable codes: a `DOMException`
//! by its name (`QuotaExceededError` is [`Error::QuotaExceeded`], a
//! `SecurityError` [`Error::Unavailable`]), the failure of an aborted
//! transaction by its own cause, and anything else through the shared
//! [`crate::wasm::error`] (same argument order: what was being done first).
//! Nothing here panics.

use indexed_db_futures::error::{Error as IdbError, JSError, OpenDbError};
use wasm_bindgen::{JsCast, JsValue};

use super::sys;
use crate::wasm::error;
use crate::Error;

/// A `DOMException` (from a request, a transaction or `open`).
pub(super) fn dom(doing: &str, e: &web_sys::DomException) -> Error {
    named(doing, &e.name(), &e.message())
}

fn named(doing: &str, name: &str, message: &str) -> Error {
    let detail = format!("{doing}: {name}: {message}");
    match name {
        "QuotaExceededError" => Error::QuotaExceeded(detail),
        // IndexedDB refused in this context (opaque origin, some private modes).
        "SecurityError" => Error::Unavailable(detail),
        _ => Error::Backend(detail),
    }
}

/// An `indexed_db_futures` error outside a transaction (or before one exists).
pub(super) fn idb(doing: &str, e: IdbError) -> Error {
    match e {
        IdbError::DomException(e) => dom(doing, &e.into()),
        IdbError::Unknown(JSError::Error(e)) => thrown(doing, &e.into()),
        IdbError::Unknown(JSError::Unknown(value)) => thrown(doing, &value),
        IdbError::MissingData(e) => Error::Backend(format!("{doing}: missing data: {e}")),
        // Not formatted with its Display: that would print an f64 (a
        // too-large number) and pull core's float formatting into the .wasm.
        IdbError::Serialisation(_) => Error::Backend(format!(
            "{doing}: IndexedDB returned a value that could not be converted"
        )),
    }
}

/// Whatever a raw call threw, or a request or transaction failed with: a
/// `DOMException` by its name, an `Error` by its name and message, anything
/// else by its string form.
pub(super) fn thrown(doing: &str, value: &JsValue) -> Error {
    if let Some(e) = value.dyn_ref::<web_sys::DomException>() {
        return dom(doing, e);
    }
    if let Some(e) = value.dyn_ref::<js_sys::Error>() {
        return named(doing, &String::from(e.name()), &String::from(e.message()));
    }
    error::thrown(doing, value)
}

/// The name of a thrown `DOMException`, if it is one.
pub(super) fn dom_name(value: &JsValue) -> Option<String> {
    value.dyn_ref::<web_sys::DomException>().map(|e| e.name())
}

/// True if `request` is done and failed with an error of its own, not with
/// the `AbortError` every pending request of an aborted transaction gets.
pub(super) fn failed_itself(request: &sys::Request) -> bool {
    request
        .request_error()
        .ok()
        .and_then(|e| dom_name(&e))
        .is_some_and(|name| name != "AbortError")
}

/// A failure inside a transaction. When the transaction has aborted, its own
/// `error` is the cause (a request's error is then often just `AbortError`,
/// and a quota failure at commit shows only there), unless it is a generic
/// one and one of `puts` failed with a specific error; otherwise the failed
/// `request`'s `error`, if any, then what was thrown.
pub(super) fn in_tx(
    doing: &str,
    tx: &sys::Tx,
    puts: &[sys::Request],
    request: Option<&sys::Request>,
    value: &JsValue,
) -> Error {
    let dom_error = |v: Result<JsValue, JsValue>| {
        v.ok()
            .and_then(|e| e.dyn_into::<web_sys::DomException>().ok())
    };
    let generic =
        |e: &web_sys::DomException| matches!(e.name().as_str(), "AbortError" | "UnknownError");
    let cause = dom_error(tx.error());
    // Firefox aborts a transaction one of whose puts ran out of quota with a
    // generic error on the transaction (UnknownError with the meta store in
    // scope, AbortError after commit()), and the QuotaExceededError on that
    // put only: a put's own error wins over a generic one.
    let from_put = match &cause {
        Some(e) if !generic(e) => None,
        _ => puts
            .iter()
            .find_map(|r| dom_error(r.request_error()).filter(|e| !generic(e))),
    };
    match from_put
        .or(cause)
        .or_else(|| request.and_then(|r| dom_error(r.request_error())))
    {
        Some(cause) => dom(doing, &cause),
        None => thrown(doing, value),
    }
}

/// A failure to open the database.
pub(super) fn open(e: OpenDbError, db_name: &str, version: u32) -> Error {
    match e {
        OpenDbError::UnsupportedEnvironment | OpenDbError::NullFactory => Error::Unavailable(
            "IndexedDB is not available in this runtime (there is no indexedDB global)".into(),
        ),
        // indexed_db_futures reports any synchronous throw of indexedDB.open
        // this way; our version is never zero.
        OpenDbError::VersionZero => Error::Unavailable(format!(
            "indexedDB.open(\"{db_name}\") threw: IndexedDB is disabled in this context"
        )),
        OpenDbError::Base(IdbError::DomException(e)) => {
            let e: web_sys::DomException = e.into();
            if e.name() == "VersionError" {
                Error::Unavailable(format!(
                    "database \"{db_name}\" has a newer schema than this build understands \
                     (it opens version {version}): a newer edgecache, probably in another tab, \
                     upgraded it. Reload the page, or use another db_name"
                ))
            } else {
                dom(&format!("opening database \"{db_name}\""), &e)
            }
        }
        OpenDbError::Base(e) => idb(&format!("opening database \"{db_name}\""), e),
    }
}
