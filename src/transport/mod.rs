//! The byte stream a network backend talks over, whatever its protocol.
//!
//! A backend that speaks a wire protocol itself (Redis' RESP; a Memcached
//! backend would speak its text or meta protocol) needs nothing from the
//! platform but an ordered, reliable byte stream: in workerd a
//! `cloudflare:sockets` socket, in Node a `node:net` socket (both wrapped in
//! `crate::wasm::socket`, over `js/tcp.js`), in native tests a
//! `std::net::TcpStream`. A [`Connector`] opens such streams; a backend opens
//! one lazily, and a new one on the call after a failure. [`pipeline`] shares
//! one connection among every call of a backend, pipelining them.

pub mod pipeline;

use std::time::Duration;

use crate::Result;

/// One open connection to a server: an ordered, reliable byte stream.
///
/// Errors are [`Error::Unavailable`](crate::Error::Unavailable) (the
/// connection failed or dropped); after one, the backend closes the stream
/// and never uses it again.
#[allow(async_fn_in_trait)]
pub trait Transport: Send + 'static {
    /// Writes all of `bytes`, in order after earlier writes.
    async fn write(&mut self, bytes: &[u8]) -> Result<()>;

    /// The next bytes the server sent (at least one), or `Ok(None)` once the
    /// server has closed the stream.
    async fn read(&mut self) -> Result<Option<Vec<u8>>>;

    /// Closes the stream. Best effort: errors are ignored, and the stream is
    /// never used again.
    fn close(&mut self);
}

/// Opens connections to one server.
#[allow(async_fn_in_trait)]
pub trait Connector: Clone + Send + Sync + 'static {
    /// The stream it opens.
    type Transport: Transport;

    /// Opens a new connection, or fails with
    /// [`Error::Unavailable`](crate::Error::Unavailable) if none is
    /// established within `timeout` (server down, refused, unreachable).
    async fn connect(&self, timeout: Duration) -> Result<Self::Transport>;
}
