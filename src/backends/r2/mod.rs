//! [`R2Backend`]: a persistent [`CacheBackend`] over a Cloudflare R2 bucket
//! binding, or any JavaScript object of its shape (wasm32 only). For values
//! too large for Workers KV (25 MiB): R2 takes up to 5 GiB in one `put`.
//!
//! ## The binding
//!
//! The backend calls five methods of the object it is handed, and nothing
//! else:
//!
//! | call | resolves to |
//! |---|---|
//! | `get(key)` | an `R2ObjectBody` (`customMetadata`, `arrayBuffer()`, `body`), or `null` |
//! | `head(key)` | an `R2Object` (`customMetadata`), or `null` |
//! | `put(key, body, { customMetadata })` | anything, once written |
//! | `delete([keys])` | anything, once deleted (at most 1,000 keys a call) |
//! | `list({ prefix, cursor?, limit: 1000 })` | `{ objects: [{ key }], truncated, cursor }` |
//!
//! An R2 binding (`env.BUCKET`) is such an object; so is the Node-side proxy
//! Miniflare's `getR2Bucket` returns (what `tests/r2.rs` runs against).
//! Methods may return a promise or a plain value (it goes through
//! `Promise.resolve`). [`R2BackendBuilder::build`] checks that the five
//! methods exist and are callable.
//!
//! ## What is stored
//!
//! See [`layout`]:
//!
//! - object key: `{prefix}{len}:{namespace}:{key}` ([`layout::object_key`]),
//!   at most 1,024 bytes of UTF-8, or [`Error::InvalidKey`] before any call.
//! - body: exactly the value's bytes (no header), so an object written by
//!   `set` can be read as a stream by [`R2Backend::get_body`] and one written
//!   from a stream by [`R2Backend::put_body`] can be read by `get`.
//! - `customMetadata`: `{ v: "1" }`, or `{ v: "1", expiresAt: "<ms>" }`:
//!   the **exact absolute expiry**, as a string (R2 keeps strings).
//!
//! ## TTLs
//!
//! R2 has no per-object TTL. Every read (`get`, `exists`, `mget`,
//! `get_body`) checks `expiresAt` with the backend's [`Clock`]: at or after
//! it, the object is a miss. Expired objects are **not deleted on read**: R2
//! `delete` has no condition, so a read deleting the expired object it saw
//! could erase a newer value another worker has just written. They are
//! replaced by the next `set` of the key, removed by `clear_all`, or reclaimed
//! by a bucket lifecycle rule (for example "delete objects under the prefix
//! 7 days after upload", which suits a cache whose TTLs are shorter).
//!
//! ## Consistency
//!
//! R2 is strongly consistent: a completed `put` or `delete` is seen by every
//! later read and `list`, in every location. Concurrent writes to one key are
//! last-writer-wins (and R2 allows about one write per second per key).
//!
//! ## Values and copies
//!
//! `set` takes the value as a `Vec<u8>` in wasm memory and copies it once
//! into a JavaScript `Uint8Array` for `put` (unavoidable: the binding may
//! read the body after wasm memory has moved); `get` copies the body once
//! into wasm. wasm32 memory (4 GiB, and less in practice, since the value and
//! its copy coexist) caps such values well below R2's 5 GiB single-`put`
//! limit, which is checked anyway ([`Error::ValueTooLarge`]). Larger values,
//! or values that should not be buffered, go through [`R2Backend::put_body`]
//! and [`R2Backend::get_body`], which hand a `ReadableStream`, `Blob` or
//! buffer to the binding (and its `body` stream back) without it ever
//! entering wasm memory.
//!
//! ## Batches and `clear_all`
//!
//! `mget` issues its `get`s concurrently, at most 16 in flight (each may
//! hold a large body); `mdelete` sends one `delete([...])` per 1,000 keys;
//! `clear_all` walks `list({ prefix, cursor, limit: 1000 })` over its own
//! prefix and namespace, deleting each page in one `delete([...])` call.
//!
//! ## Failures
//!
//! | failure | error |
//! |---|---|
//! | a method throws or rejects (`put: The specified object name is not valid. (10020)`), with an `Error` or any other value | [`Error::Backend`] with the message |
//! | `get`/`head`/`list`/`arrayBuffer()` answer the wrong type | [`Error::Backend`] saying what came back |
//! | an object without edgecache's metadata, or with another version or garbled fields | a miss (left in place) |
//! | a handle used on another thread than its binding's | [`Error::Unavailable`] |
//!
//! [`CacheBackend`]: crate::CacheBackend
//! [`Clock`]: crate::time::Clock
//! [`layout::object_key`]: crate::backends::r2::layout::object_key
//! [`Error::Backend`]: crate::Error::Backend
//! [`Error::InvalidKey`]: crate::Error::InvalidKey
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
pub mod layout;
#[cfg(target_arch = "wasm32")]
mod sys;

#[cfg(target_arch = "wasm32")]
pub use backend::{R2Backend, R2BackendBuilder};
