//! Raw `extern` bindings to a Cloudflare D1 database binding (see `crate::wasm::sys` for the conventions). No logic.

use wasm_bindgen::prelude::*;

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
