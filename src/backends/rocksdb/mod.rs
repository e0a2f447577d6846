//! [`RocksDbBackend`]: a persistent [`CacheBackend`](crate::CacheBackend)
//! in a local RocksDB database, for native Rust services that want their
//! cache to survive a restart (feature `rocksdb`, native only).
//!
//! ## What is stored
//!
//! Four column families (RocksDB's `default` one stays empty); the pure
//! layout is in [`layout`]:
//!
//! | column family | key | value |
//! |---|---|---|
//! | `entries` | [`key::encode`](crate::key::encode)`(namespace, key)` | a [`record`](crate::record): 11-byte header with the **exact absolute expiry**, then the value |
//! | `meta` | the same stored key | [`layout::Meta`]: write stamp, charged size, expiry (25 bytes) |
//! | `by-written` | [`layout::written_key`]`(stamp, stored key)` | empty: every entry, oldest-written first |
//! | `by-expiry` | [`layout::expiry_key`]`(expiry, stored key)` | empty: expiring entries, soonest first |
//!
//! A write puts all four (and removes the key's old index keys) in **one
//! `WriteBatch`**, so a crash leaves all of it or none of it; RocksDB's
//! write-ahead log makes each acknowledged write survive a process crash
//! (not a power loss: the log is not `fsync`ed per write). Writes take turns
//! behind a mutex (each reads the metadata it replaces); reads never wait
//! for it.
//!
//! ## Expiry
//!
//! - Reads check the record's expiry with the backend's
//!   [`Clock`](crate::time::Clock): exact to the millisecond, whatever
//!   RocksDB does.
//! - A **compaction filter** on `entries` drops records that have expired
//!   (by the same clock) whenever RocksDB compacts them, turning each into
//!   a tombstone so no older version resurfaces;
//!   [`compact`](RocksDbBackend::compact) compacts everything now.
//! - The metadata of an expired entry stays, counted in the totals, until a
//!   write's look for expired entries (up to 64, at most once a second by
//!   the clock, via `by-expiry`), an eviction,
//!   [`purge_expired`](RocksDbBackend::purge_expired), an overwrite, a
//!   delete or `clear_all` removes it.
//!
//! ## Bounds
//!
//! With [`max_entries`](RocksDbBackendBuilder::max_entries) and/or
//! [`max_bytes`](RocksDbBackendBuilder::max_bytes) (over the whole
//! database, all namespaces; an entry is charged its stored key plus its
//! record), a write that breaks a bound removes **expired entries first**
//! (`by-expiry`), then the **oldest-written** (`by-written`), like the
//! IndexedDB backend, in the write's own batch: the bounds hold after every
//! write, crash or not. The totals are counted from `meta` when the
//! database opens (O(entries)) and kept exact by the writes after that.
//! Scans of the indexes start where the last one stopped, so the
//! tombstones of entries already removed are skipped by one seek rather
//! than stepped over (stepping over them, a bounded insert took 403 µs
//! instead of 16 µs in `benches/rocksdb.rs`'s quick run, 10,000 keys).
//!
//! ## Calls
//!
//! | call | RocksDB |
//! |---|---|
//! | `get`, `exists`, `get_with_expiry` | one `Get` (pinned) |
//! | `mget`, `mget_with_expiry` | one batched `MultiGet` |
//! | `set` | `Get` of the metadata, one `WriteBatch` (with the purge and evictions it does) |
//! | `delete`, `mdelete` | `Get` of each key's metadata, one `WriteBatch` |
//! | `clear_all` | a scan of the namespace's metadata, then one `WriteBatch` with `DeleteRange` over the namespace's key range in `entries` and `meta` and the index keys |
//! | `health_check` | the `rocksdb.background-errors` property (0: healthy) |
//!
//! Calls run on the calling thread: RocksDB reads from its memtables and
//! block cache in microseconds and from disk otherwise. The futures are
//! `Send`; a service on a slow disk can wrap calls in
//! `tokio::task::spawn_blocking`.
//!
//! ## Opening and closing
//!
//! [`RocksDbBackendBuilder::build`] opens (or creates) the directory; the
//! database closes when the last handle (clones and
//! [`with_namespace`](RocksDbBackend::with_namespace) handles) is dropped.
//! One process, one open backend per directory: RocksDB locks it, and a
//! second open fails with [`Error::Unavailable`](crate::Error::Unavailable).
//!
//! ## Limits
//!
//! | limit | error |
//! |---|---|
//! | keys: not empty, at most [`MAX_KEY_BYTES`](crate::key::MAX_KEY_BYTES) (16 KiB) of UTF-8 | [`Error::InvalidKey`](crate::Error::InvalidKey) |
//! | record at most [`RocksDbBackend::MAX_VALUE_BYTES`] (4 GiB − 1); with `max_bytes`, an entry at most that | [`Error::ValueTooLarge`](crate::Error::ValueTooLarge) |
//! | TTLs positive and at most 100 years; namespaces 1 to 256 bytes; bounds positive | [`Error::InvalidOptions`](crate::Error::InvalidOptions) |

pub mod layout;

#[cfg(not(target_arch = "wasm32"))]
mod backend;

#[cfg(not(target_arch = "wasm32"))]
pub use backend::{RocksDbBackend, RocksDbBackendBuilder};
