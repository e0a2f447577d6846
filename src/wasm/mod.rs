//! The shared WebAssembly glue (wasm32 only): calling JavaScript
//! ([`call`]), turning a thrown value into a crate error and back
//! ([`error`]), the per-thread table of JavaScript objects ([`registry`]),
//! and the classes exported to `js/` (`memory` with the `js-memory` feature, [`persistent`] when
//! any store is built in, [`http`] with the `http` feature). Each backend's
//! own glue lives in its folder under `src/backends/`.

#[cfg(any(
    feature = "kv",
    feature = "d1",
    feature = "r2",
    feature = "redis",
    feature = "memcached"
))]
pub(crate) mod call;
pub(crate) mod convert;
pub(crate) mod error;
#[cfg(feature = "tcp")]
pub(crate) mod executor;
#[cfg(feature = "http")]
mod http;
#[cfg(feature = "js-memory")]
mod memory;
#[cfg(any(
    feature = "idb",
    feature = "kv",
    feature = "d1",
    feature = "r2",
    feature = "redis",
    feature = "memcached"
))]
pub(crate) mod persistent;
#[cfg(any(
    feature = "idb",
    feature = "kv",
    feature = "d1",
    feature = "r2",
    feature = "redis",
    feature = "memcached"
))]
pub(crate) mod registry;
#[cfg(feature = "tcp")]
pub(crate) mod socket;
#[cfg(any(
    feature = "kv",
    feature = "d1",
    feature = "r2",
    feature = "redis",
    feature = "memcached"
))]
pub(crate) mod sys;
