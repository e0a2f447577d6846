//! # edgecache
//!
//! A bounded, TTL-aware cache for browser apps and edge workers: one Rust
//! core, compiled to WebAssembly for JavaScript, and usable natively.
//!
//! ## Architecture in five lines
//! 1. [`policy`] and [`http`]: pure S3-FIFO eviction and expiry over `u32` tokens, and the
//!    RFC 9111 response-caching rules; time is always an argument.
//! 2. [`CacheBackend`]: the async storage contract; [`MemoryBackend`], [`TieredBackend`] and
//!    the stores in [`backends`] (one folder and one Cargo feature each: `RedisBackend` over any
//!    `redis::Connector`, and on wasm32 `IndexedDbBackend`, `KvBackend`, `D1Backend` and
//!    `R2Backend`) implement it, persisting [`record`]s.
//! 3. [`key`], [`time`], [`Error`]: input checks and the injective namespace encoding, the
//!    [`Clock`](time::Clock) abstraction, and the one error type with stable codes.
//! 4. [`conformance`]: the trait-level test suite every backend runs.
//! 5. `wasm` (wasm32 only): the shared wasm-bindgen glue and the classes exported to
//!    JavaScript; each store's own glue sits in its folder under [`backends`].
//!
//! ## Eviction and memory
//! S3-FIFO (see [`policy::Engine`]) holds two bounds at once, `max_entries`
//! and `max_bytes`, after every call. Each entry is charged
//! `stored key bytes + value bytes + ENTRY_OVERHEAD_BYTES (96)`, so memory
//! use is about `max_bytes` plus two ghost queues of at most 1.15 x
//! `min(max_entries, max_bytes / 96)` hashes together, at ~24 bytes each. Expired
//! entries are removed when read, a few on every write, and first whenever
//! room is needed.
//!
//! ## Features and targets
//! Every store and the HTTP policy is a Cargo feature. The default set is
//! what the npm package builds from; the native extras (`tokio`, `tls`,
//! `rocksdb`) are off by default. The memory cache, tiering, the policies
//! and the conformance suite are always there.
//!
//! | feature | default | native | `wasm32-unknown-unknown` |
//! |---|---|---|---|
//! | (none) | | [`CacheBackend`], [`MemoryBackend`], [`TieredBackend`], the policies, the conformance suite | the same |
//! | `js-memory` | yes | nothing | the JavaScript memory cache's exports (`EdgeCache.memory`) |
//! | `redis` | yes | `RedisBackend` over any `redis::Connector` (bring your own, or turn on `tokio`) | plus a connector over JavaScript sockets, `EdgeCache.redis` |
//! | `memcached` | yes | `MemcachedBackend` over any `transport::Connector` (the `tokio` connector works too), with cross-process `get_or_set` | plus a connector over JavaScript sockets, `EdgeCache.memcached` |
//! | `tokio` | | `net::TokioConnector` (TCP, connect and reply timeouts) and `RedisBackend::connect("redis://user:pass@host:6379")`; implies `redis` | nothing |
//! | `tls` | | `rediss://` URLs and `TokioConnector::tls` (rustls, Mozilla's roots or your CA); implies `tokio` | nothing |
//! | `rocksdb` | | `RocksDbBackend`: a persistent local cache in a RocksDB database (links the C++ library) | nothing |
//! | `http` | yes | the RFC 9111 policy (`http`) | plus `ResponseCache`'s policy |
//! | `kv`, `d1`, `r2` | yes | the stores' pure rules (limits, SQL, layouts) | plus `KvBackend`, `D1Backend`, `R2Backend` and their JavaScript factories |
//! | `idb` | yes | nothing | `IndexedDbBackend`, `EdgeCache.indexedDb` |
//!
//! Natively every backend's futures are `Send` (`tests/send.rs` checks it
//! at compile time), so they run in `tokio::spawn`. On wasm32 they are not:
//! the stores hold JavaScript handles, and there is one thread.
//!
//! A native service with Redis in one line (features `tokio`, and `tls` for
//! `rediss://`):
//!
//! ```toml
//! edgecache = { version = "0.1", default-features = false, features = ["tokio"] }
//! ```
//!
//! ```no_run
//! # #[cfg(feature = "tokio")]
//! # async fn demo() -> edgecache::Result<()> {
//! use edgecache::{CacheBackend, MemoryBackend, RedisBackend, TieredBackend};
//!
//! let redis = RedisBackend::connect("redis://localhost:6379").await?;
//! let cache = TieredBackend::new(MemoryBackend::builder().max_entries(10_000).build()?, redis);
//! cache.set("k", b"v".to_vec(), None).await?;
//! # Ok(())
//! # }
//! ```
//!
//! ## Example
//! ```
//! use edgecache::{CacheBackend, MemoryBackend};
//! use std::time::Duration;
//!
//! # pollster::block_on(async {
//! let cache = MemoryBackend::builder().max_entries(1_000).build()?;
//! cache.set("user:1", b"Ada".to_vec(), Some(Duration::from_secs(30))).await?;
//! assert_eq!(cache.get("user:1").await?, Some(b"Ada".to_vec()));
//! assert_eq!(cache.get("user:2").await?, None); // a miss is not an error
//! # Ok::<(), edgecache::Error>(())
//! # }).unwrap();
//! ```

// A build that leaves some stores out (the browser's memory-only module, say)
// leaves some shared helpers unused; the full build (`default`) is linted
// without this.
#![cfg_attr(
    not(all(
        feature = "js-memory",
        feature = "idb",
        feature = "kv",
        feature = "d1",
        feature = "r2",
        feature = "redis",
        feature = "memcached",
        feature = "http"
    )),
    allow(dead_code, unused_imports)
)]

mod backend;
pub mod backends;
// Used by the wasm32 KV and R2 glue; built natively for its tests.
#[cfg(any(all(target_arch = "wasm32", any(feature = "kv", feature = "r2")), test))]
pub(crate) mod concurrent;
pub mod conformance;
mod decimal;
mod error;
mod hash;
#[cfg(feature = "http")]
pub mod http;
#[doc(hidden)]
pub mod js_constants;
pub mod key;
mod memory;
#[cfg(all(feature = "tokio", not(target_arch = "wasm32")))]
pub mod net;
pub mod policy;
pub mod record;
mod tiered;
pub mod time;
#[cfg(feature = "tcp")]
pub mod transport;

#[cfg(target_arch = "wasm32")]
mod wasm;

pub use backend::{CacheBackend, Entry, ExpiryAware};
pub use error::{Error, Result};
pub use memory::{MemoryBackend, MemoryBackendBuilder};
pub use policy::Stats;
pub use tiered::TieredBackend;

#[cfg(feature = "memcached")]
pub use backends::memcached::{self, MemcachedBackend, MemcachedBackendBuilder};
#[cfg(feature = "redis")]
pub use backends::redis::{self, RedisBackend, RedisBackendBuilder};

#[cfg(all(feature = "rocksdb", not(target_arch = "wasm32")))]
pub use backends::rocksdb::{RocksDbBackend, RocksDbBackendBuilder};

#[cfg(all(target_arch = "wasm32", feature = "d1"))]
pub use backends::d1::{D1Backend, D1BackendBuilder};
#[cfg(all(target_arch = "wasm32", feature = "idb"))]
pub use backends::idb::{IndexedDbBackend, IndexedDbBackendBuilder};
#[cfg(all(target_arch = "wasm32", feature = "kv"))]
pub use backends::kv::{KvBackend, KvBackendBuilder};
#[cfg(all(target_arch = "wasm32", feature = "r2"))]
pub use backends::r2::{R2Backend, R2BackendBuilder};
