//! # edgecache
//!
//! A bounded, TTL-aware cache for browser apps and edge workers: one Rust
//! core, compiled to WebAssembly for JavaScript, and usable natively.
//!
//! ## Architecture in five lines
//! 1. [`policy`] and [`http`]: pure S3-FIFO eviction and expiry over `u32` tokens, and the
//!    RFC 9111 response-caching rules; time is always an argument.
//! 2. [`CacheBackend`]: the async storage contract; [`MemoryBackend`], [`TieredBackend`],
//!    [`RedisBackend`] (over any [`redis::Connector`]) and (wasm32) `IndexedDbBackend`,
//!    `KvBackend`, `D1Backend` and `R2Backend` implement it, persisting [`record`]s (R2 keeps
//!    the expiry in object metadata, [`r2_layout`]; D1's statements are in [`sql`]).
//! 3. [`key`], [`time`], [`Error`]: input checks and the injective namespace encoding, the
//!    [`Clock`](time::Clock) abstraction, and the one error type with stable codes.
//! 4. [`conformance`]: the trait-level test suite every backend runs.
//! 5. `platform` (wasm32 only): thin wasm-bindgen glue behind the JavaScript classes.
//!
//! ## Eviction and memory
//! S3-FIFO (see [`policy::Engine`]) holds two bounds at once, `max_entries`
//! and `max_bytes`, after every call. Each entry is charged
//! `stored key bytes + value bytes + ENTRY_OVERHEAD_BYTES (96)`, so memory
//! use is about `max_bytes` plus a ghost queue of at most
//! `min(max_entries, max_bytes / 96)` hashes at ~24 bytes each. Expired
//! entries are removed when read, a few on every write, and first whenever
//! room is needed.
//!
//! ## Features and targets
//! | target | what you get |
//! |---|---|
//! | native | [`CacheBackend`], [`MemoryBackend`], [`TieredBackend`], [`RedisBackend`] (bring a [`redis::Connector`]: the tests use a `std::net::TcpStream` one), the policies, the conformance suite |
//! | `wasm32-unknown-unknown` | all of the above, plus `IndexedDbBackend`, `KvBackend`, `D1Backend`, `R2Backend`, a Redis connector over JavaScript sockets, and the `EdgeCache` / `ResponseCache` JavaScript classes (npm package) |
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

mod backend;
// Used by the wasm32 backends; built natively for its tests.
#[cfg(any(target_arch = "wasm32", test))]
pub(crate) mod concurrent;
pub mod conformance;
mod error;
pub mod http;
pub mod key;
mod memory;
pub mod policy;
pub mod r2_layout;
pub mod record;
pub mod redis;
pub mod sql;
mod tiered;
pub mod time;

#[cfg(target_arch = "wasm32")]
mod platform;

pub use backend::{CacheBackend, Entry, ExpiryAware};
pub use error::{Error, Result};
pub use memory::{MemoryBackend, MemoryBackendBuilder};
pub use policy::Stats;
pub use redis::{RedisBackend, RedisBackendBuilder};
pub use tiered::TieredBackend;

#[cfg(target_arch = "wasm32")]
pub use platform::d1::{D1Backend, D1BackendBuilder};
#[cfg(target_arch = "wasm32")]
pub use platform::idb::{IndexedDbBackend, IndexedDbBackendBuilder};
#[cfg(target_arch = "wasm32")]
pub use platform::kv::{KvBackend, KvBackendBuilder};
#[cfg(target_arch = "wasm32")]
pub use platform::r2::{R2Backend, R2BackendBuilder};
