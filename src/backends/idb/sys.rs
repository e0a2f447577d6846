//! Raw IndexedDB bindings for the hot paths, declared here rather than taken
//! from `indexed_db_futures` (which still opens and upgrades the database):
//! its per-request futures allocate two closures per request and abort
//! read transactions on drop, which costs more than the request itself when
//! a batch issues hundreds. Every call that can throw is marked `catch`; the
//! JavaScript spelling is in `js_name`. Safe wrappers live in `txn.rs`.
//!
//! The stored envelope `{ r, x?, w, s }` is read and written through
//! property getters and setters, so no property name crosses the boundary.

use js_sys::Function;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// An `IDBDatabase`.
    #[derive(Clone)]
    pub(super) type Db;

    /// `db.transaction(stores, mode, options)`; `stores` is a name or an
    /// array of names, `options` `{ durability }`. (Names and modes are
    /// JavaScript strings made once: a `&str` would be decoded every call.)
    #[wasm_bindgen(method, catch)]
    pub(super) fn transaction(
        this: &Db,
        stores: &JsValue,
        mode: &JsValue,
        options: &JsValue,
    ) -> Result<Tx, JsValue>;

    /// An `IDBTransaction`.
    #[derive(Clone)]
    pub(super) type Tx;

    #[wasm_bindgen(method, catch, js_name = objectStore)]
    pub(super) fn object_store(this: &Tx, name: &JsValue) -> Result<Store, JsValue>;

    /// Commits as soon as the requests issued so far are done.
    #[wasm_bindgen(method, catch)]
    pub(super) fn commit(this: &Tx) -> Result<(), JsValue>;

    #[wasm_bindgen(method, catch)]
    pub(super) fn abort(this: &Tx) -> Result<(), JsValue>;

    /// The cause of an abort (`null` until then).
    #[wasm_bindgen(method, getter, catch)]
    pub(super) fn error(this: &Tx) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, setter)]
    pub(super) fn set_oncomplete(this: &Tx, handler: Option<&Function>);

    #[wasm_bindgen(method, setter)]
    pub(super) fn set_onabort(this: &Tx, handler: Option<&Function>);

    /// An `IDBObjectStore` (and, for the read methods, an `IDBIndex`: the
    /// same calls on an index answer in index order with primary keys).
    pub(super) type Store;

    /// `getAll(query, count)`: unlike `get`, tells a stored `undefined` (an
    /// array holding it) from a missing key (an empty array).
    #[wasm_bindgen(method, catch, js_name = getAll)]
    pub(super) fn get_all(this: &Store, query: &JsValue, count: u32) -> Result<Request, JsValue>;

    /// `get(key)`: `undefined` both for a missing key and a stored `undefined`.
    #[wasm_bindgen(method, catch)]
    pub(super) fn get(this: &Store, key: &JsValue) -> Result<Request, JsValue>;

    #[wasm_bindgen(method, catch, js_name = getAllKeys)]
    pub(super) fn get_all_keys(
        this: &Store,
        query: &JsValue,
        count: u32,
    ) -> Result<Request, JsValue>;

    #[wasm_bindgen(method, catch)]
    pub(super) fn put(this: &Store, value: &JsValue, key: &JsValue) -> Result<Request, JsValue>;

    /// `openKeyCursor(query, direction)`; on an index, the cursor's `key`
    /// is the index key.
    #[wasm_bindgen(method, catch, js_name = openKeyCursor)]
    pub(super) fn open_key_cursor(
        this: &Store,
        query: &JsValue,
        direction: &JsValue,
    ) -> Result<Request, JsValue>;

    /// Deletes a key or a key range.
    #[wasm_bindgen(method, catch)]
    pub(super) fn delete(this: &Store, query: &JsValue) -> Result<Request, JsValue>;

    /// `count(query)`: how many records `query` (a key, a range, or
    /// `undefined` for all) matches.
    #[wasm_bindgen(method, catch)]
    pub(super) fn count(this: &Store, query: &JsValue) -> Result<Request, JsValue>;

    #[wasm_bindgen(method, catch)]
    pub(super) fn index(this: &Store, name: &JsValue) -> Result<Store, JsValue>;

    /// An `IDBRequest`.
    #[derive(Clone)]
    pub(super) type Request;

    /// The result; throws unless the request is done.
    #[wasm_bindgen(method, getter, catch)]
    pub(super) fn result(this: &Request) -> Result<JsValue, JsValue>;

    /// `"pending"` or `"done"`.
    #[wasm_bindgen(method, getter = readyState)]
    pub(super) fn ready_state(this: &Request) -> JsValue;

    /// The request's error (`null` if it succeeded); throws unless done.
    #[wasm_bindgen(method, getter = error, catch)]
    pub(super) fn request_error(this: &Request) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, setter)]
    pub(super) fn set_onsuccess(this: &Request, handler: Option<&Function>);

    #[wasm_bindgen(method, setter)]
    pub(super) fn set_onerror(this: &Request, handler: Option<&Function>);

    #[wasm_bindgen(js_namespace = IDBKeyRange, js_name = upperBound, catch)]
    pub(super) fn upper_bound(bound: &JsValue, open: bool) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_namespace = IDBKeyRange, js_name = lowerBound, catch)]
    pub(super) fn lower_bound(bound: &JsValue, open: bool) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_namespace = IDBKeyRange, js_name = bound, catch)]
    pub(super) fn bound(
        lower: &JsValue,
        upper: &JsValue,
        lower_open: bool,
        upper_open: bool,
    ) -> Result<JsValue, JsValue>;

    /// A stored value as we write it: `{ r, x?, w, s }`. Reading a field of
    /// anything else gives `undefined` (callers check `is_object` first).
    #[wasm_bindgen(extends = js_sys::Object)]
    pub(super) type Envelope;

    #[wasm_bindgen(method, getter, catch)]
    pub(super) fn r(this: &Envelope) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, getter, catch)]
    pub(super) fn w(this: &Envelope) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, getter, catch)]
    pub(super) fn s(this: &Envelope) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, setter)]
    pub(super) fn set_r(this: &Envelope, value: &js_sys::Uint8Array);
    #[wasm_bindgen(method, setter)]
    pub(super) fn set_x(this: &Envelope, value: f64);
    #[wasm_bindgen(method, setter)]
    pub(super) fn set_w(this: &Envelope, value: f64);
    #[wasm_bindgen(method, setter)]
    pub(super) fn set_s(this: &Envelope, value: f64);

    /// The totals record `{ n, b, q }`.
    #[wasm_bindgen(extends = js_sys::Object)]
    pub(super) type TotalsRecord;

    #[wasm_bindgen(method, getter, catch)]
    pub(super) fn n(this: &TotalsRecord) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, getter, catch)]
    pub(super) fn b(this: &TotalsRecord) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, getter, catch)]
    pub(super) fn q(this: &TotalsRecord) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, setter)]
    pub(super) fn set_n(this: &TotalsRecord, value: f64);
    #[wasm_bindgen(method, setter)]
    pub(super) fn set_b(this: &TotalsRecord, value: f64);
    #[wasm_bindgen(method, setter)]
    pub(super) fn set_q(this: &TotalsRecord, value: f64);

    /// An `IDBCursor`.
    pub(super) type Cursor;

    #[wasm_bindgen(method, getter, catch)]
    pub(super) fn key(this: &Cursor) -> Result<JsValue, JsValue>;

    /// An event (`success`, `error`, `complete`, `abort`).
    pub(super) type Event;

    #[wasm_bindgen(method, getter)]
    pub(super) fn target(this: &Event) -> JsValue;
}
