//! [`RedisBackend`]: a [`CacheBackend`](crate::CacheBackend) in a Redis
//! server, speaking RESP in pure Rust over a byte stream the platform
//! provides.
//!
//! ## The transport
//!
//! The backend needs nothing from the platform but an ordered, reliable byte
//! stream, opened by a [`Connector`] (see [`crate::transport`], shared with
//! any other backend over TCP): in workerd a `cloudflare:sockets` socket, in
//! Node a `node:net` socket (both wrapped in the shared wasm glue,
//! `crate::wasm::socket` over `js/tcp.js`), natively anything over `std::net::TcpStream`
//! (`tests/support/redis_server.rs` has one). The protocol — command
//! encoding, the RESP2/RESP3 reply parser ([`resp`]), the handshake — is all
//! here and builds and tests natively; TLS (`rediss://`) is the transport's
//! (`node:tls`, `cloudflare:sockets` with `secureTransport: "on"`).
//!
//! ## What is stored
//!
//! | | |
//! |---|---|
//! | key | [`key::encode`](crate::key::encode)`(namespace, key)`: `"{len}:{namespace}:{key}"`, `"0::{key}"` without a namespace, so namespaces never meet |
//! | value | a [`record`](crate::record): an 11-byte header with the **exact absolute expiry** (ms since the epoch), then the value's bytes |
//! | Redis TTL | `SET key record PX <ms>`: the TTL in whole milliseconds, rounded up; no `PX` without a TTL |
//!
//! Reads check the record's expiry with the backend's
//! [`Clock`](crate::time::Clock), so expiry is exact whatever the server's
//! clock says, and a [`ManualClock`](crate::time::ManualClock) drives it in
//! tests; `PX` only lets Redis reclaim the key itself, at most a millisecond
//! after the record expired. A value that is not a record this build reads
//! (foreign data, a list or hash under one of our keys, a newer format) is a
//! miss, left for the next `set` (which replaces it) or `clear_all`. Reads
//! never write.
//!
//! ## Commands
//!
//! | call | commands (written together, with the calls made meanwhile) |
//! |---|---|
//! | `get`, `exists`, `mget`, `get_with_expiry`, `mget_with_expiry` | `MGET`, one per 1,000 keys (so a key holding another type is a miss, not a `WRONGTYPE` error) |
//! | `set` | `SET key record [PX ms]` |
//! | `delete`, `mdelete` | `UNLINK`, one per 1,000 keys |
//! | `health_check` | `PING` |
//! | `clear_all` | `SCAN cursor MATCH <prefix, glob-escaped>* COUNT 1000` until the cursor is `0`, each page `UNLINK`ed in the same write as the next `SCAN`; keys are checked against the prefix again before they are unlinked. **Never `FLUSHDB`/`FLUSHALL`**: other data in the database is never touched |
//!
//! ## Connection and concurrency
//!
//! A backend has at most one connection, shared by its clones and its
//! [`with_namespace`](RedisBackend::with_namespace) handles and opened by
//! the first call that needs it, and calls on it are **pipelined
//! automatically** (the shared [`crate::transport::pipeline`], which the
//! module docs there describe in full): each call's commands are encoded at
//! once and queued; calls made while others wait for replies go out
//! together in the connection's next write (on a new connection, after
//! `AUTH`), and replies are handed out in the order the commands were
//! written, so no call ever reads another's reply. A stream that breaks (the
//! transport fails, the server closes it, bytes that are not RESP) fails
//! exactly the calls whose replies were lost; an error reply or a reply of
//! the wrong type fails its own call and retires the connection (closed once
//! the replies already on their way are read; later calls open a new one);
//! refused `AUTH` fails the calls written on that connection. A call whose
//! future is dropped never disturbs the others. One case is retried: calls
//! written on a connection kept from earlier calls whose write fails, or
//! which the server closes before any byte of their reply (a restarted
//! server; in workerd, the request that opened the socket has ended), are
//! sent once more on a new connection, which is safe because every command
//! sent (`MGET`, `SET`, `UNLINK`, `SCAN`, `PING`, `AUTH`) is idempotent.
//! Every other failure is reported to the failing calls.
//!
//! ## Authentication
//!
//! With [`password`](RedisBackendBuilder::password) (and optionally
//! [`username`](RedisBackendBuilder::username), Redis 6 ACLs), every new
//! connection starts with `AUTH [username] password`, pipelined with the
//! call's own commands. The connection speaks RESP2 (no `HELLO`), which
//! every Redis version and most RESP-speaking servers accept; the parser
//! still reads every RESP3 type, skips push frames and drops attributes.
//!
//! ## Connect timeout
//!
//! The core has no timer (it runs on wasm32 without an async runtime), so
//! the [`Connector`] enforces the timeout it is given
//! ([`connect_timeout`](RedisBackendBuilder::connect_timeout), default 5 s):
//! the JavaScript glue races the socket's opening against a timer, the
//! native test connector uses `TcpStream::connect_timeout`. The timeout
//! covers opening the connection, not the replies: a server that accepts
//! connections but never answers holds the call until the transport reports
//! an error.
//!
//! ## Errors
//!
//! | failure | error |
//! |---|---|
//! | server down or refusing connections, connect timeout, connection closed or reset (before or during a reply) | [`Error::Unavailable`](crate::Error::Unavailable), saying which |
//! | `AUTH` refused (`WRONGPASS`), `NOAUTH` (a password is needed), `AUTH` to a server without a password | [`Error::Auth`](crate::Error::Auth) with the server's message |
//! | any other error reply (`-ERR`, `-OOM`, `-READONLY`, ...) | [`Error::Backend`](crate::Error::Backend) with the server's message |
//! | a reply of the wrong type or shape, or bytes that are not RESP | [`Error::Backend`](crate::Error::Backend) saying what came back |
//!
//! ## Limits, checked before any I/O
//!
//! | limit | error |
//! |---|---|
//! | keys: not empty, at most [`MAX_KEY_BYTES`](crate::key::MAX_KEY_BYTES) (16 KiB) of UTF-8 | [`Error::InvalidKey`](crate::Error::InvalidKey) |
//! | record (11-byte header + value) at most [`RedisBackend::MAX_VALUE_BYTES`] (512 MiB, Redis' largest string) | [`Error::ValueTooLarge`](crate::Error::ValueTooLarge) |
//! | TTLs positive and at most 100 years; namespaces 1 to 256 bytes | [`Error::InvalidOptions`](crate::Error::InvalidOptions) |
//!
//! Replies are bounded the same way: bulk strings of at most 512 MiB, lines
//! of at most 64 KiB, aggregates nested at most 32 deep (see [`resp`]).

pub mod resp;

mod backend;
mod conn;
#[cfg(target_arch = "wasm32")]
mod js;

pub use crate::transport::{Connector, Transport};
pub use backend::{RedisBackend, RedisBackendBuilder};
