//! The persistent stores, one folder and one Cargo feature each.
//!
//! Every folder holds the store's pure rules (limits, layouts, SQL text,
//! protocol), which build and test natively, and its wasm32 glue (raw
//! bindings in `sys.rs`, the safe wrapper in `binding.rs`, the
//! [`CacheBackend`](crate::CacheBackend) implementation in `backend.rs` and
//! the JavaScript constructor in `js.rs`), gated at its `mod` line.
//!
//! | folder | feature | store | pure rules (native) | glue (wasm32) |
//! |---|---|---|---|---|
//! | [`idb`] | `idb` | IndexedDB (browsers) | — | schema, connection, write coalescing, transactions |
//! | [`kv`] | `kv` | Workers KV | [`kv::rules`]: limits, `expirationTtl`, key checks | binding, backend |
//! | [`d1`] | `d1` | Cloudflare D1 | [`d1::sql`]: statements, chunking, row sizes | binding, backend |
//! | [`r2`] | `r2` | Cloudflare R2 | [`r2::layout`]: object keys, metadata codec, paging | binding, backend, streams |
//! | [`redis`] | `redis` | Redis | all of it: RESP, connection, commands | `PersistentCore.openRedis` (the socket is the shared `crate::wasm::socket`) |
//! | [`memcached`] | `memcached` | memcached | all of it: meta protocol, key rules, connection, stampede protection | `PersistentCore.openMemcached` (the shared socket) |
//! | [`rocksdb`] | `rocksdb` | RocksDB (native only) | [`rocksdb::layout`]: column families, metadata, index keys, namespace ranges, bounds | none: the backend is native |

#[cfg(feature = "d1")]
pub mod d1;
#[cfg(feature = "idb")]
pub mod idb;
#[cfg(feature = "kv")]
pub mod kv;
#[cfg(feature = "memcached")]
pub mod memcached;
#[cfg(feature = "r2")]
pub mod r2;
#[cfg(feature = "redis")]
pub mod redis;
#[cfg(feature = "rocksdb")]
pub mod rocksdb;
