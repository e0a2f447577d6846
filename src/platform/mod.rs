//! WebAssembly glue: converts between JavaScript and the pure core, and
//! nothing else. Built for `wasm32` only.

pub(crate) mod d1;
pub(crate) mod idb;
mod js_api;
pub(crate) mod js_call;
mod js_d1;
pub(crate) mod js_error;
mod js_http;
mod js_persistent;
mod js_r2;
mod js_redis;
pub(crate) mod kv;
pub(crate) mod r2;
pub(crate) mod redis;
mod registry;
pub(crate) mod sys;
