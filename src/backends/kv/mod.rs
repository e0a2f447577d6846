//! [`KvBackend`]: a persistent [`CacheBackend`] over a Cloudflare Workers KV
//! namespace, or any JavaScript object of its shape (wasm32 only).
//!
//! ## The binding
//!
//! The backend is handed a JavaScript object with four methods, and calls
//! nothing else:
//!
//! | call | resolves to |
//! |---|---|
//! | `get(key, { type: "arrayBuffer" })` | an `ArrayBuffer`, or `null` for a missing key |
//! | `put(key, value /* ArrayBuffer */, { expirationTtl?, metadata })` | anything, once written |
//! | `delete(key)` | anything, once deleted |
//! | `list({ prefix, cursor?, limit })` | `{ keys: [{ name }], list_complete, cursor }` |
//!
//! A Workers KV binding (`env.MY_KV`) is such an object. In a Rust worker,
//! take it from the environment as a `JsValue`:
//!
//! ```ignore
//! let binding = js_sys::Reflect::get(env.as_ref(), &"CACHE".into())?;
//! let cache = KvBackend::builder(binding).namespace("pages").build()?;
//! ```
//!
//! Methods may return a promise or a plain value (it goes through
//! `Promise.resolve`), and `get` may answer with a `Uint8Array` or
//! `undefined` as well. So another store, or a test double, takes a few
//! lines of JavaScript. Deno KV, for example (its keys are arrays, so the
//! string prefix becomes a `start`/`end` range):
//!
//! ```js
//! const kv = await Deno.openKv();
//! const root = ["edgecache"];
//! const binding = {
//!   get: async (key) => (await kv.get([...root, key])).value ?? null,
//!   put: (key, value, { expirationTtl } = {}) =>
//!     kv.set([...root, key], new Uint8Array(value),
//!            expirationTtl ? { expireIn: expirationTtl * 1000 } : {}),
//!   delete: (key) => kv.delete([...root, key]),
//!   async list({ prefix, cursor, limit }) {
//!     const it = kv.list({ start: [...root, prefix], end: [...root, prefix + "\u{10FFFF}"] },
//!                        { cursor, limit });
//!     const keys = [];
//!     for await (const e of it) keys.push({ name: e.key.at(-1) });
//!     return { keys, list_complete: keys.length < limit, cursor: it.cursor };
//!   },
//! };
//! ```
//!
//! (Deno KV's own limits are tighter — 64 KiB values, 2 KiB keys — and a
//! `put` over them fails as [`Error::Backend`].) An in-memory double for
//! tests is a `Map` behind the same four methods
//! (`tests/kv.rs` has one that also enforces KV's limits and injects faults).
//! [`KvBackendBuilder::build`] checks that the four methods exist and are
//! callable.
//!
//! ## What is stored
//!
//! - key: [`key::encode`]`(namespace, key)` (`"{len}:{namespace}:{key}"`),
//!   so namespaces never meet, and `clear_all` lists exactly its own prefix.
//! - value: [`record::encode`]`(expiry, value)`: an 11-byte header (format
//!   version, **exact absolute expiry** in ms) and the bytes.
//! - metadata: `{ v: 1, expiresAt? }` (the record version and the same
//!   expiry), so `list` shows when each key expires.
//! - `expirationTtl`: `max(ceil(ttl in seconds), 60)`, or none without a TTL.
//!
//! ## Exact TTLs over KV's 60-second minimum
//!
//! Workers KV refuses an `expirationTtl` under 60 s (and some wrappers
//! silently raise it). The backend never relies on it for correctness: it
//! writes the exact expiry into the record header and checks it on every
//! read, with its [`Clock`], so a 5 s TTL is a miss 5 s later from the
//! caller's point of view. KV is given the TTL rounded up to whole seconds
//! and raised to 60, only so it reclaims the key itself — at most a minute
//! after the record expired. An expired record is a miss and is **not**
//! deleted on read (see below).
//!
//! ## Eventual consistency
//!
//! KV is eventually consistent: a write (`set`, `delete`, `clear_all`) is
//! visible at once in the location that made it, but may take 60 s or more
//! to be seen in other locations, which meanwhile read the old value (or
//! none). `list`, and so `clear_all`, sees the same lagging view. Use KV for
//! data that may be briefly stale; exact expiry still holds everywhere,
//! because every location checks the record header.
//!
//! ## Limits, checked before any call goes out
//!
//! | limit | error |
//! |---|---|
//! | stored key (namespace encoding included) at most [`KvBackend::MAX_KEY_BYTES`] (512) bytes of UTF-8 | [`Error::InvalidKey`] |
//! | record (11-byte header + value) at most [`KvBackend::MAX_VALUE_BYTES`] (25 MiB) | [`Error::ValueTooLarge`] |
//! | the usual checks: empty keys, zero or over-long TTLs, bad namespaces | [`Error::InvalidKey`] / [`Error::InvalidOptions`] |
//!
//! ## Writes are spent carefully
//!
//! KV accepts about one write per second to the same key, and bills writes
//! (and lists) at ten times the price of reads. So reads never write: a
//! `get`/`exists`/`mget` that finds an expired record, or bytes that do not
//! decode as a record (truncated, foreign, written by a newer edgecache
//! during a rolling deploy), answers a miss and leaves the key alone.
//! Deleting there could also erase a newer value written in another
//! location that this one does not see yet. KV's own `expirationTtl`
//! reclaims expired keys; the next `set` replaces undecodable ones, and
//! `clear_all` removes both. `delete` is one `delete` call, never a write;
//! `health_check` is one `get` of a reserved key outside every namespace.
//!
//! ## Batches
//!
//! `mget`/`mget_with_expiry` and `mdelete` issue their calls concurrently,
//! up to 32 in flight at a time; `clear_all` walks `list({ prefix })` a page
//! of 1,000 names at a time (following `cursor`), deleting each page the
//! same way. A batch returns once every call it issued has settled, with the
//! first error if any. (Workers runs at most six KV calls at once per
//! request and queues the rest, and allows 1,000 KV operations per
//! invocation: clearing a larger namespace may need several invocations —
//! each one continues with what is left.)
//!
//! ## Failures
//!
//! | failure | error |
//! |---|---|
//! | a method throws, or its promise rejects (`KV PUT failed: 429 Too Many Requests`), with an `Error` or any other value | [`Error::Backend`] with the message (or a description of the value) |
//! | `get` answers something other than an `ArrayBuffer`, `Uint8Array`, `null` or `undefined`; `list` answers another shape | [`Error::Backend`] saying what came back |
//! | the stored bytes are not a record this build reads | a miss |
//! | a handle used on another thread than its binding's | [`Error::Unavailable`] |
//!
//! ## Handles are `Send + Sync`; the binding is not
//!
//! As for the IndexedDB backend, a handle holds only an `Arc` of plain Rust
//! data (the clock and a numeric id); the binding lives in a `thread_local!`
//! table under that id, and is dropped with the last handle. wasm32 runs one
//! thread, so every handle finds it; no `unsafe impl Send` is involved.
//!
//! [`CacheBackend`]: crate::CacheBackend
//! [`key::encode`]: crate::key::encode
//! [`record::encode`]: crate::record::encode
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
pub mod rules;
#[cfg(target_arch = "wasm32")]
mod sys;

#[cfg(target_arch = "wasm32")]
pub use backend::{KvBackend, KvBackendBuilder};
