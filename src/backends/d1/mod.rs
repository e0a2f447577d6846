//! [`D1Backend`]: a persistent [`CacheBackend`] in a table of a Cloudflare
//! D1 database (SQLite at the edge), or any JavaScript object of its shape
//! (wasm32 only).
//!
//! ## The binding
//!
//! The backend calls `prepare(sql)`, then `bind(...values)`, `all()` and
//! `run()` on the statements, and `batch([statements])`: the D1 database
//! binding (`env.DB`) API, and nothing else. Methods may return a promise
//! or a plain value (it goes through `Promise.resolve`).
//!
//! ## Schema and what is stored
//!
//! One table (default `edgecache`; any checked identifier, see
//! [`sql::check_table_name`]) with
//! `namespace`, `key`, `value` (BLOB) and `expires_at` columns, primary key
//! `(namespace, key)`, and a partial index on `expires_at`. The full
//! statements are in [`crate::backends::d1::sql`]. The value is a [`record`]: the 11-byte
//! header holds the **exact absolute expiry**, checked on every read with
//! the backend's [`Clock`]; `expires_at` repeats it for the index.
//! [`D1BackendBuilder::open`] (and `EdgeCache.d1` in JavaScript) creates
//! the table and its index if they are missing, once per binding and table
//! in an isolate.
//!
//! ## Batches: one round trip
//!
//! D1 takes at most 100 bound parameters per statement, so `mget` and
//! `mdelete` bind [`sql::KEYS_PER_STATEMENT`]
//! (99) distinct keys per statement, plus the namespace, and send all the
//! statements in **one** `batch` (one call, one transaction). A single
//! statement goes out as `all()` or `run()`.
//!
//! ## Expired rows: bounded purges
//!
//! A read never writes: an expired or undecodable row is a miss. Expired
//! rows are deleted by purges, each one statement deleting at most a fixed
//! number of rows through the `expires_at` index
//! (`DELETE ... WHERE rowid IN (SELECT rowid ... WHERE expires_at <= ? LIMIT n)`):
//! every [`purge_every`](D1BackendBuilder::purge_on_write)-th write (by
//! default the first and then every 64th on this backend, up to 100 rows,
//! in the same batch as the write), and [`D1Backend::purge_expired`] on
//! demand (from a cron trigger, say). Never an unbounded delete;
//! `clear_all` likewise deletes 1,000 rows per statement until done.
//!
//! ## Consistency
//!
//! D1 is strongly consistent for a database's primary: a write is seen by
//! the next read, from anywhere (unlike Workers KV). Every statement is
//! atomic, and a batch is a transaction.
//!
//! ## Limits, checked before any call
//!
//! | limit | error |
//! |---|---|
//! | a row (namespace + key + 11-byte header + value + 8) over D1's 2,000,000 bytes | [`Error::ValueTooLarge`] |
//! | the usual: empty or over-16-KiB keys, zero or over-long TTLs, bad namespaces | [`Error::InvalidKey`] / [`Error::InvalidOptions`] |
//! | a table name that is not a checked identifier | [`Error::InvalidOptions`] |
//!
//! ## Failures
//!
//! | failure | error |
//! |---|---|
//! | a method throws or rejects (`D1_ERROR: no such table: ...`) | [`Error::Backend`] with D1's message |
//! | an answer of the wrong shape (`results` not an array, a batch with too few results) | [`Error::Backend`] saying what came back |
//! | a stored value that is not a record this build reads, or not a BLOB | a miss |
//! | a handle used on another thread than its binding's | [`Error::Unavailable`] |
//!
//! [`CacheBackend`]: crate::CacheBackend
//! [`record`]: crate::record
//! [`Clock`]: crate::time::Clock
//! [`Error::Backend`]: crate::Error::Backend
//! [`Error::InvalidKey`]: crate::Error::InvalidKey
//! [`Error::InvalidOptions`]: crate::Error::InvalidOptions
//! [`Error::Unavailable`]: crate::Error::Unavailable
//! [`Error::ValueTooLarge`]: crate::Error::ValueTooLarge

// The backend and its builder exist on wasm32 only: natively (docs.rs,
// `cargo doc`) the links to them above stay plain text.
#![cfg_attr(not(target_arch = "wasm32"), allow(rustdoc::broken_intra_doc_links))]

#[cfg(target_arch = "wasm32")]
mod backend;
#[cfg(target_arch = "wasm32")]
mod binding;
#[cfg(target_arch = "wasm32")]
mod js;
pub mod sql;
#[cfg(target_arch = "wasm32")]
mod sys;

#[cfg(target_arch = "wasm32")]
pub use backend::{D1Backend, D1BackendBuilder};
