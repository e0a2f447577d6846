//! [`MemcachedBackend`]: a [`CacheBackend`](crate::CacheBackend) in a
//! memcached server (1.6 or later), speaking the meta protocol in pure Rust
//! over a byte stream the platform provides.
//!
//! ## The transport
//!
//! Like Redis, the backend needs nothing from the platform but an ordered,
//! reliable byte stream opened by a [`Connector`](crate::transport::Connector):
//! in workerd a `cloudflare:sockets` socket, in Node a `node:net` socket
//! (both through the shared `js/tcp.js` glue), natively anything over
//! `std::net::TcpStream` (`tests/support/memcached_server.rs` has one). The
//! protocol — the request encoder and reply parser ([`meta`]), the key and
//! TTL rules ([`rules`]), pipelining — is all here, and builds and tests
//! natively.
//!
//! ## What is stored
//!
//! | | |
//! |---|---|
//! | key | [`rules::item_key`]: `"{generation}:"` + [`key::encode`](crate::key::encode)`(namespace, key)`, plain when printable ASCII, else base64 with the `b` flag; **keys that do not fit memcached's 250 bytes are stored under their SHA-256** (never refused) |
//! | value | a [`record`](crate::record): an 11-byte header with the **exact absolute expiry** (ms since the epoch), then the value's bytes |
//! | memcached TTL | `T` = the TTL's ceiling in seconds + 2 (memcached's clock ticks once a second, at an arbitrary phase); `T0` without a TTL or beyond 30 days (memcached would read the number as a Unix time) |
//!
//! Reads check the record's expiry with the backend's
//! [`Clock`](crate::time::Clock), so expiry is exact to the millisecond
//! whatever memcached's one-second clock says. A value that is not a record
//! this build reads is a miss.
//!
//! ## clear_all without flush_all
//!
//! memcached cannot list keys. Each namespace has a generation number,
//! stored in memcached (`g:` + the namespace prefix, no TTL) and mixed into
//! every entry's key; `clear_all` increments it with `ma`, which makes every
//! entry of the namespace unreachable at once. **The old items are not
//! deleted: they age out** (their TTL, or memcached's LRU when memory is
//! needed). Every call sends `mg <generation key> v` after its own
//! commands, in the same write: if another process cleared the namespace in
//! between, the call is sent again under the new generation, so a clear is
//! seen by every process on its next call at no extra round trip.
//!
//! ## Commands
//!
//! | call | commands (one write per call, ended by `mn`) |
//! |---|---|
//! | `get`, `mget`, `exists`, `get_with_expiry`, `mget_with_expiry` | `mg <key> v q O<i>` per key (misses answer nothing), then `mg <generation key> v`; 10,000 keys per write |
//! | `set` | `ms <key> <size> T<s> q` |
//! | `delete`, `mdelete` | `md <key> q` per key |
//! | `clear_all` | `ma <generation key> N0 J<now ms> v` |
//! | `health_check` | `mn` |
//! | [`claim`](MemcachedBackend::claim), [`get_or_set`](MemcachedBackend::get_or_set) | `mg <key> v N<lock> R2`; the winner then `ms` |
//!
//! ## Connection and concurrency
//!
//! A backend has at most one connection, shared by its clones and its
//! [`with_namespace`](MemcachedBackend::with_namespace) handles, opened by
//! the first call that needs it: the shared pipelined connection
//! ([`crate::transport::pipeline`]), which sends calls made while others
//! wait for replies together in one write. Every call's request ends with
//! `mn`, and its replies are everything up to `MN` (so quiet commands need
//! no count). A broken stream fails the calls it was carrying; an
//! `ERROR`/`CLIENT_ERROR` reply fails its call and retires the connection;
//! a kept connection that died while idle is replaced once (every request
//! is safe to send twice).
//!
//! ## Errors
//!
//! | failure | error |
//! |---|---|
//! | server down, connect timeout, connection closed or reset | [`Error::Unavailable`](crate::Error::Unavailable) |
//! | a value over the server's item size (`SERVER_ERROR object too large for cache`) | [`Error::ValueTooLarge`](crate::Error::ValueTooLarge) with the server's `item_size_max` (asked with `stats settings`); later records over it are refused before any I/O |
//! | any other error reply, a reply of the wrong kind, bytes that are not the meta protocol | [`Error::Backend`](crate::Error::Backend) |
//! | keys empty or over [`MAX_KEY_BYTES`](crate::key::MAX_KEY_BYTES); TTLs not positive or over 100 years | [`Error::InvalidKey`](crate::Error::InvalidKey), [`Error::InvalidOptions`](crate::Error::InvalidOptions) |

mod backend;
mod conn;
#[cfg(target_arch = "wasm32")]
mod js;
pub mod meta;
pub mod rules;

pub use backend::{Claim, MemcachedBackend, MemcachedBackendBuilder};
