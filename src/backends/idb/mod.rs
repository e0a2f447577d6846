//! [`IndexedDbBackend`]: a persistent [`CacheBackend`] over the browser's
//! IndexedDB (wasm32 only). `indexed_db_futures` opens and upgrades the
//! database; every transaction after that goes through a few raw bindings
//! (`idb/sys.rs`), because the hot paths are counted in requests, event
//! listeners and JS↔wasm calls (see "Costs" below).
//!
//! ## Schema (database version 1)
//!
//! | object store | key | value |
//! |---|---|---|
//! | `entries` (`store_name`) | [`key::encode`]`(namespace, key)`, out of line | `{ r, x?, w, s }` |
//! | `edgecache-meta` | the entry store's name | `{ n, b, q }` |
//!
//! - `r`: a `Uint8Array` holding [`record::encode`]`(expiry, value)` — the
//!   header (format version, absolute expiry) travels with the value, and
//!   reads trust only it.
//! - `x`: the absolute expiry in ms since the epoch, **absent** without
//!   expiry, so the `by-expiry` index (on `x`) holds only expiring entries.
//! - `w`: the write stamp, indexed by `by-written` (oldest-written first):
//!   `now_ms × 1024`, raised past the last stamp any backend in this tab
//!   handed out, and — in a bounded store — past the totals' `q`. So stamps
//!   increase with every write in a tab, follow the clock across tabs, and
//!   are exact across tabs among bounded writers (which read `q` inside the
//!   transaction that writes).
//! - `s`: the entry's size in bytes: its stored key (UTF-8) plus `r`.
//! - `n`, `b`, `q`: entries, bytes (sum of `s`) and the newest stamp written
//!   by a writer that kept them. **Bounded** stores (`max_entries` or
//!   `max_bytes` set) read and rewrite them inside every readwrite
//!   transaction that changes entries; IndexedDB serialises readwrite
//!   transactions on a store, so they stay exact with several tabs writing.
//!   **Unbounded** stores do not keep them (it would cost every write a read
//!   of the totals and of each key's old value): their puts leave the record
//!   alone — their newer stamps mark it stale — and their removals delete
//!   it. A reader trusts the record only if it exists and no entry's `w` is
//!   newer than `q` (one key cursor from the end of `by-written`, issued
//!   with the read of the record), and recounts otherwise. Only entries with
//!   numeric `w` and `s` (ours) are counted.
//!
//! `onupgradeneeded` runs one step per schema version from `oldVersion` up
//! (version 1 creates both stores and both indexes). A database at a
//! *newer* version (a newer edgecache in another tab upgraded it) is not
//! touched: opening fails with [`Error::Unavailable`] saying so, instead of
//! reading or deleting records it does not understand. A database holds one
//! entry store: opening a database that lacks `store_name` fails with
//! [`Error::InvalidOptions`].
//!
//! ## Reads, writes and batching
//!
//! - `get`/`mget`/`mget_with_expiry` go through a **read batch**: every read
//!   issued in the same JavaScript tick joins one readonly transaction. A
//!   batch of one key is one `getAll(key, 1)`; a larger batch is one `get`
//!   per key, all issued before any is awaited, then one wait for the last
//!   (plus one `count` per `undefined` answer, to tell a stored `undefined`
//!   from a missing key). An expired or undecodable value (wrong JS type,
//!   truncated, foreign, another format version) is a miss, and is then
//!   deleted through the write batch — only if it is still stale then, so a
//!   concurrent write is never undone.
//! - `set`/`delete`/`mdelete` go through a **write batch**: every write issued
//!   in the same JavaScript tick joins one batch, written by one readwrite
//!   transaction (a later write of a key in the batch wins). Each caller's
//!   future resolves when that transaction has fired `complete`, or fails
//!   with its error if it aborts. Unbounded, a batch of puts is written
//!   blind: requests, `commit()`, one wait for `complete`. A write made
//!   through JavaScript joins the batch within the call, so a read issued
//!   after it, even in the same tick, runs after its transaction.
//! - A write batch looks for up to 8 expired entries (through the expiry
//!   index) and deletes them, when a look is due: on the first batch, then
//!   at most once a second by the backend's clock, or on the next batch when
//!   the last look found 8 (more are probably waiting). Looking costs a round
//!   trip inside the transaction, so it is never done on every small batch.
//!   Bounded, while `max_entries` or `max_bytes` is exceeded, the batch then
//!   removes expired entries, then the oldest-written, in the same
//!   transaction. An entry larger than `max_bytes` is refused with
//!   [`Error::ValueTooLarge`] before anything is written.
//! - `purge_expired` deletes through the expiry index
//!   (`IDBKeyRange.upperBound(now)`, 128 keys a request), never visiting
//!   live entries; `clear_all` deletes the namespace's primary-key range
//!   (`[prefix, prefix with its final ':' bumped to ';')`).
//! - `stats` reads the totals record (O(1)) when it can be trusted, and
//!   otherwise counts the entries (128 records a request): an unbounded
//!   store written since the record was saved pays O(entries). The counters
//!   (hits, misses, ...) are in memory. `health_check` opens the database
//!   and answers one `count` on the meta store.
//!
//! ## Costs
//!
//! Measured in headless Chromium (`benches/browser-idb.mjs`), a request
//! costs far more than the wasm around it, and a request whose `success`
//! event has a JavaScript listener costs an event dispatch on top. So:
//! one transaction per batch, every request issued before any is awaited,
//! one listener per batch (on its last request, or on the transaction's
//! `complete`): IndexedDB answers a transaction's requests in order. Waits
//! use one pair of handlers made once per thread (`idb/events.rs`), not a
//! Promise and closures per wait. Names and modes cross to JavaScript once.
//!
//! What is left is the path around the requests. An awaited `set` is one
//! readwrite transaction, as idb-keyval's is, and raw IndexedDB writes this
//! schema's record (two indexes, both stores in scope) at about the speed
//! of idb-keyval's bare put (the bench prints that ceiling); but from one
//! set's `complete` to the next set's `transaction()` call this backend
//! spends 40-70 µs where idb-keyval spends about 10, and 30-60 µs more
//! between `transaction()` and `commit()` (the batch, the record, the
//! JS↔wasm calls), of 450-950 µs a set (Chromium 156, a loaded two-core
//! machine, the page's timers at 5 µs, 2026-12-06). A `getMany` of one
//! request per key is within a few % of raw IndexedDB's one transaction
//! with one listener.
//!
//! ## Handles are `Send + Sync`; JavaScript objects are not
//!
//! [`CacheBackend`] requires `Send + Sync + Clone`, but IndexedDB handles are
//! `!Send`. Instead of asserting `Send` for JavaScript objects with `unsafe`,
//! a handle holds only an `Arc` of plain Rust data (names, bounds, clock,
//! counters, and a numeric id). The JavaScript state — the memoised
//! connection and the pending batches — lives in a `thread_local!` table
//! keyed by that id. wasm32 runs one thread, so every handle finds the same
//! state; dropping the last handle removes the entry and closes the
//! connection. (A handle moved to another wasm thread would find no entry
//! there and open its own connection: still sound, never shared.)
//!
//! ## Connections and failures
//!
//! The connection opens lazily on first use (once, however many calls wait
//! for it), in a task of its own so an upgrade is never abandoned half done.
//! Readwrite transactions use `durability: "relaxed"`: a cache may lose its
//! last writes in a power cut, and need not wait for a disk flush.
//! On `versionchange` the connection closes itself, so another tab can
//! upgrade or delete the database; on `versionchange` or `close` it is
//! forgotten, and the next call reopens. A connection closed behind the
//! backend's back (`IDBDatabase.close()`) is noticed when a transaction
//! cannot start, and the call is retried once on a fresh connection.
//!
//! | failure | error |
//! |---|---|
//! | no `indexedDB` global, or `open` throws | [`Error::Unavailable`] |
//! | database upgraded by a newer build | [`Error::Unavailable`] |
//! | `QuotaExceededError` on a request or at commit (Firefox puts it on the failed put only, and a generic `UnknownError` or `AbortError` on the transaction) | [`Error::QuotaExceeded`] for every caller of the batch; nothing of it is written, earlier data is intact. (Firefox keeps the requests issued after the failed put although the transaction aborts; a second transaction deletes the puts it kept before the callers hear of the failure: see `txn::undo_leftovers`.) Removals (`delete`, `clear_all`, purges) that fail this way are retried deleting the totals record instead of rewriting it — once over quota, Chrome commits only transactions that write nothing — so space can still be freed |
//! | `blocked` while opening, or no answer within `open_timeout` (10 s) | [`Error::Blocked`], at once and for every call until the open completes; the open goes on in the background |
//! | any other `DOMException` | [`Error::Backend`] with its name and message |
//!
//! [`CacheBackend`]: crate::CacheBackend
//! [`key::encode`]: crate::key::encode
//! [`record::encode`]: crate::record::encode
//! [`Error::Backend`]: crate::Error::Backend
//! [`Error::Blocked`]: crate::Error::Blocked
//! [`Error::InvalidOptions`]: crate::Error::InvalidOptions
//! [`Error::QuotaExceeded`]: crate::Error::QuotaExceeded
//! [`Error::Unavailable`]: crate::Error::Unavailable
//! [`Error::ValueTooLarge`]: crate::Error::ValueTooLarge

// The backend and its builder exist on wasm32 only: natively (docs.rs,
// `cargo doc`) the links to them above stay plain text.
#![cfg_attr(not(target_arch = "wasm32"), allow(rustdoc::broken_intra_doc_links))]

#[cfg(target_arch = "wasm32")]
mod backend;
#[cfg(target_arch = "wasm32")]
mod batch;
#[cfg(target_arch = "wasm32")]
mod conn;
#[cfg(target_arch = "wasm32")]
mod events;
#[cfg(target_arch = "wasm32")]
mod js;
#[cfg(target_arch = "wasm32")]
mod js_error;
#[cfg(target_arch = "wasm32")]
mod schema;
#[cfg(target_arch = "wasm32")]
mod signal;
#[cfg(target_arch = "wasm32")]
mod sys;
#[cfg(target_arch = "wasm32")]
mod txn;

#[cfg(target_arch = "wasm32")]
pub use backend::{IndexedDbBackend, IndexedDbBackendBuilder};
