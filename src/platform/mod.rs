//! WebAssembly glue: converts between JavaScript and the pure core, and
//! nothing else. Built for `wasm32` only.

mod js_api;
