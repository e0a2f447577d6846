//! JavaScript failures as crate errors. Whatever a binding throws or rejects
//! with — an `Error`, a string, a number, `undefined`, an object whose
//! getters throw — becomes an [`Error::Backend`] carrying its message.
//! Nothing here panics, and nothing calls into JavaScript without `catch`
//! except the primitive checks (`typeof`, `as_string`, …), which cannot throw.

use js_sys::Reflect;
use wasm_bindgen::JsValue;

use crate::error::JsNumber;
use crate::Error;

/// The longest piece of a foreign value quoted in an error message.
const QUOTE_CHARS: usize = 200;

/// A throw or a rejection of the call described by `doing`.
pub(crate) fn thrown(doing: &str, value: &JsValue) -> Error {
    Error::Backend(format!("{doing}: {}", message(value)))
}

/// A call that answered with something of the wrong type.
pub(crate) fn unexpected(doing: &str, expected: &str, got: &JsValue) -> Error {
    Error::Backend(format!(
        "{doing}: expected {expected}, got {}",
        describe(got)
    ))
}

/// The message of a thrown value: an `Error`'s (or any object's string
/// `message`, so errors from another realm work too) with its name unless it
/// is the plain `Error` or our `EdgeCacheError`; a string as it is; anything
/// else described.
pub(crate) fn message(value: &JsValue) -> String {
    if let Some(s) = value.as_string() {
        return quote(&s);
    }
    if value.is_object() {
        let field = |name: &str| {
            Reflect::get(value, &JsValue::from_str(name))
                .ok()
                .and_then(|v| v.as_string())
        };
        if let Some(message) = field("message") {
            return match field("name") {
                // Our own errors (from js/, passed back through Rust) are
                // named by their code, which the caller keeps or replaces.
                Some(name) if !name.is_empty() && name != "Error" && name != "EdgeCacheError" => {
                    format!("{name}: {message}")
                }
                _ => message,
            };
        }
    }
    format!("non-Error value thrown: {}", describe(value))
}

/// A short description of any JavaScript value, for error messages.
pub(crate) fn describe(value: &JsValue) -> String {
    if value.is_undefined() {
        return "undefined".into();
    }
    if value.is_null() {
        return "null".into();
    }
    if let Some(s) = value.as_string() {
        return format!("the string {:?}", quote(&s));
    }
    if let Some(n) = value.as_f64() {
        return format!("the number {}", JsNumber(n));
    }
    if let Some(b) = value.as_bool() {
        return format!("the boolean {b}");
    }
    if value.is_function() {
        return "a function".into();
    }
    if value.is_object() {
        // JSON.stringify is `catch` in js-sys (cycles, BigInts, throwing
        // toJSON); it yields undefined for some objects, which is no string.
        return match js_sys::JSON::stringify(value)
            .ok()
            .and_then(|json| json.as_string())
        {
            Some(json) => format!("the object {}", quote(&json)),
            None => "an object".into(),
        };
    }
    match value.js_typeof().as_string() {
        Some(kind) => format!("a value of type {kind}"),
        None => "a value of unknown type".into(),
    }
}

fn quote(s: &str) -> String {
    if s.chars().count() <= QUOTE_CHARS {
        s.to_owned()
    } else {
        let mut short: String = s.chars().take(QUOTE_CHARS).collect();
        short.push('…');
        short
    }
}

/// Converts the crate error into a JavaScript `Error` with a stable `code`.
pub(crate) fn to_js_error(err: Error) -> JsValue {
    let js = js_sys::Error::new(&err.to_string());
    js.set_name("EdgeCacheError");
    // Setting a property on a fresh Error object cannot fail.
    let _ = Reflect::set(
        &js,
        &JsValue::from_str("code"),
        &JsValue::from_str(err.code()),
    );
    js.into()
}
