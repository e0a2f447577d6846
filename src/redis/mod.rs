//! Redis: a [`RedisBackend`] that speaks RESP in pure Rust over a byte
//! stream the platform provides (see [`transport`]).
pub mod resp;
pub mod transport;

mod backend;
mod conn;

pub use backend::{RedisBackend, RedisBackendBuilder};
pub use transport::{Connector, Transport};
