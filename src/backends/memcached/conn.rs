//! The meta protocol over the shared pipelined connection
//! ([`crate::transport::pipeline`]): every handle of a backend shares one
//! connection, and concurrent calls go out together in one write.
//!
//! The pipeline matches replies to requests by count, but a pipeline of
//! quiet commands (`mg ... q`, which answer nothing on a miss) has no fixed
//! count. So every request ends with `mn`, and the decoder hands the
//! pipeline one *block*: every reply up to `MN`. Each call is then one
//! request with one reply, whatever its commands.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::meta::{self, Decoder, ErrorKind, Reply, Status};
use crate::transport::pipeline::{Decode, Pipelined, Protocol, Request};
use crate::transport::Connector;
use crate::{Error, Result};

/// The most replies one block may hold (the backend sends at most 10,000
/// commands per request): a bound on what a broken server can make us
/// collect before `MN`.
pub(super) const MAX_REPLIES: usize = 100_000;

/// The meta protocol, as the pipeline sees it.
pub(super) struct Meta;

/// Replies grouped into blocks ended by `MN`.
pub(super) struct Blocks {
    inner: Decoder,
    pending: Vec<Reply>,
}

impl Decode for Blocks {
    type Reply = Vec<Reply>;

    fn feed(&mut self, bytes: &[u8]) {
        self.inner.feed(bytes);
    }

    fn decode(&mut self) -> Result<Option<Vec<Reply>>> {
        while let Some(reply) = self.inner.decode()? {
            if reply.status == Status::NoOp {
                return Ok(Some(std::mem::take(&mut self.pending)));
            }
            if self.pending.len() >= MAX_REPLIES {
                return Err(Error::Backend(format!(
                    "memcached sent more than {MAX_REPLIES} replies before mn's MN"
                )));
            }
            self.pending.push(reply);
        }
        Ok(None)
    }

    fn buffered(&self) -> usize {
        self.inner.buffered() + self.pending.len()
    }
}

impl Protocol for Meta {
    type Decoder = Blocks;

    const SERVER: &'static str = "memcached";

    fn decoder(&self) -> Blocks {
        Blocks {
            inner: Decoder::new(),
            pending: Vec::new(),
        }
    }

    fn handshake(&self) -> Option<Request> {
        None
    }

    fn check_handshake(&self, _: Vec<Vec<Reply>>) -> Result<()> {
        Ok(())
    }
}

/// What every handle of one backend shares.
pub(super) struct Link<C: Connector> {
    pipe: Pipelined<C, Meta>,
    /// The server's `item_size_max`, once a refusal made us ask (0: not
    /// known).
    item_size_max: AtomicU64,
}

impl<C: Connector> Link<C> {
    pub(super) fn new(connector: C, connect_timeout: Duration) -> Self {
        Self {
            pipe: Pipelined::new(connector, Meta, connect_timeout),
            item_size_max: AtomicU64::new(0),
        }
    }

    /// The server's largest item, if known.
    pub(super) fn item_size_max(&self) -> Option<u64> {
        match self.item_size_max.load(Ordering::Relaxed) {
            0 => None,
            n => Some(n),
        }
    }

    pub(super) fn set_item_size_max(&self, n: u64) {
        self.item_size_max.store(n, Ordering::Relaxed);
    }

    /// Sends `request` and `mn` (in the connection's next write, with
    /// whatever other calls queued), and hands `decode` every reply up to
    /// `MN`.
    ///
    /// `ERROR` and `CLIENT_ERROR` replies (a request the server did not
    /// understand: what follows may be out of step) fail the call and retire
    /// the connection. Anything else — `SERVER_ERROR` included, which
    /// memcached sends in step — goes to `decode`. Failures of the
    /// connection are the pipeline's (see [`crate::transport::pipeline`]):
    /// a stale kept connection is replaced once, which is safe because
    /// every request the backend sends can be sent twice (`mg`, `ms`, `md`,
    /// `mn`, `stats`; `ma` only bumps a generation, and bumping it twice
    /// clears the same entries).
    pub(super) async fn exchange<R>(
        &self,
        mut request: Vec<u8>,
        decode: impl FnOnce(Vec<Reply>) -> Result<R>,
    ) -> Result<R> {
        meta::mn(&mut request);
        let answered = self.pipe.call(Request::new(request, 1)).await?;
        let block = answered.replies.into_iter().next().unwrap_or_default();
        for reply in &block {
            if let Status::Error { kind, message } = &reply.status {
                if *kind != ErrorKind::Server {
                    self.pipe.retire(answered.connection);
                    return Err(refused(*kind, message));
                }
            }
        }
        decode(block)
    }

    /// Closes the connection (now if no call is using it, or else once the
    /// replies on their way are in); the next call opens a new one.
    pub(super) fn disconnect(&self) {
        self.pipe.disconnect();
    }
}

/// The error for an `ERROR` or `CLIENT_ERROR` reply.
fn refused(kind: ErrorKind, message: &str) -> Error {
    match kind {
        ErrorKind::Command => Error::Backend(
            "memcached answered ERROR (an unknown command: the meta protocol needs memcached 1.6 or later)"
                .into(),
        ),
        _ => Error::Backend(format!("memcached refused the request: {message}")),
    }
}

/// A reply `command` did not expect (for an error reply: the server's
/// message).
pub(super) fn unexpected(command: &str, reply: &Reply) -> Error {
    match &reply.status {
        Status::Error { message, .. } => {
            Error::Backend(format!("memcached {command} failed: {message}"))
        }
        other => Error::Backend(format!(
            "unexpected reply to memcached {command}: {}",
            describe(other)
        )),
    }
}

/// A reply's status, short (never the bytes of a value).
fn describe(status: &Status) -> String {
    match status {
        Status::Value(v) => format!("VA with {} bytes", v.len()),
        Status::Done => "HD".into(),
        Status::Miss => "EN".into(),
        Status::NotStored => "NS".into(),
        Status::Exists => "EX".into(),
        Status::NotFound => "NF".into(),
        Status::NoOp => "MN".into(),
        Status::Stat { name, .. } => format!("STAT {name}"),
        Status::End => "END".into(),
        Status::Error { message, .. } => message.clone(),
    }
}
