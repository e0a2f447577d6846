//! WebAssembly glue: converts between JavaScript and the pure core, and
//! nothing else. Built for `wasm32` only.

pub(crate) mod d1;
pub(crate) mod idb;
mod js_api;
mod js_d1;
mod js_http;
mod js_persistent;
mod js_redis;
pub(crate) mod kv;
pub(crate) mod redis;
pub(crate) mod sys;
