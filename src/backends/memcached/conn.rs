//! One connection, shared by every handle of a backend: the async mutex
//! around it, exchanges that each end with `mn`, and the guard that throws a
//! connection away whenever an exchange does not finish cleanly.
//!
//! This is the simplest correct connection over the shared
//! [`Connector`]/[`Transport`] traits: one exchange at a time, in order.
//! Every exchange is the call's commands and `mn` in one write, and reads
//! replies up to `MN`, so a pipeline of quiet commands (`mg ... q`, which
//! answer nothing on a miss) needs no count of its replies.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use futures_util::lock::Mutex;

use super::meta::{self, Decoder, ErrorKind, Reply, Status};
use crate::transport::{Connector, Transport};
use crate::{Error, Result};

/// The most replies one exchange may bring (a `getMany` of this many keys
/// is split by the backend): a bound on what a broken server can make us
/// collect before `MN`.
pub(super) const MAX_REPLIES: usize = 100_000;

/// An open connection and the replies it has received but not yet parsed.
struct Conn<T> {
    transport: T,
    decoder: Decoder,
    /// The server closed the stream before a byte of the pending reply
    /// arrived: the sign of a connection that died while it was kept.
    closed_before_reply: bool,
}

impl<T: Transport> Conn<T> {
    /// The next reply.
    async fn reply(&mut self) -> Result<Reply> {
        loop {
            if let Some(reply) = self.decoder.decode()? {
                return Ok(reply);
            }
            match self.transport.read().await {
                Ok(Some(bytes)) => self.decoder.feed(&bytes),
                Ok(None) if self.decoder.buffered() == 0 => {
                    self.closed_before_reply = true;
                    return Err(Error::Unavailable(
                        "the memcached server closed the connection before replying".into(),
                    ));
                }
                Ok(None) => {
                    return Err(Error::Unavailable(
                        "the memcached server closed the connection mid-reply".into(),
                    ))
                }
                Err(e) => return Err(dropped(e)),
            }
        }
    }

    /// Every reply up to `MN` (not included).
    async fn replies_to_mn(&mut self, first: Reply) -> Result<Vec<Reply>> {
        let mut replies = Vec::new();
        let mut next = first;
        loop {
            if next.status == Status::NoOp {
                return Ok(replies);
            }
            if replies.len() >= MAX_REPLIES {
                return Err(Error::Backend(format!(
                    "memcached sent more than {MAX_REPLIES} replies to one pipeline"
                )));
            }
            replies.push(next);
            next = self.reply().await?;
        }
    }
}

/// A transport failure, said to be one.
fn dropped(e: Error) -> Error {
    match e {
        Error::Unavailable(m) => Error::Unavailable(format!("memcached connection dropped: {m}")),
        other => other,
    }
}

/// A connection checked out of the slot for one exchange. Dropping it —
/// because the exchange failed, or because the caller's future was dropped
/// half-way — closes the connection, so no later call ever reads a reply
/// meant for this one. Only [`Checkout::release`] keeps it.
struct Checkout<T: Transport>(Option<Conn<T>>);

impl<T: Transport> Checkout<T> {
    fn release(mut self) -> Option<Conn<T>> {
        self.0.take()
    }
}

impl<T: Transport> Drop for Checkout<T> {
    fn drop(&mut self) {
        if let Some(conn) = self.0.as_mut() {
            conn.transport.close();
        }
    }
}

/// What every handle of one backend shares.
pub(super) struct Link<C: Connector> {
    connector: C,
    connect_timeout: Duration,
    /// The open connection, if any. Taken out for the length of an exchange
    /// and put back only after it finished cleanly.
    slot: Mutex<Option<Conn<C::Transport>>>,
    /// Set by [`Link::disconnect`] while a call holds the connection: that
    /// call closes it instead of putting it back.
    close_requested: AtomicBool,
    /// The server's `item_size_max`, once a refusal made us ask (0: not
    /// known).
    item_size_max: AtomicU64,
}

impl<C: Connector> Link<C> {
    pub(super) fn new(connector: C, connect_timeout: Duration) -> Self {
        Self {
            connector,
            connect_timeout,
            slot: Mutex::new(None),
            close_requested: AtomicBool::new(false),
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

    /// Sends `request` and `mn` in one write, reads every reply up to `MN`,
    /// and hands them to `decode`. Calls are served one at a time, in order.
    ///
    /// `ERROR` and `CLIENT_ERROR` replies (a request the server did not
    /// understand: the stream may be out of step) fail the call and close
    /// the connection, as does any failure of the connector, the transport
    /// or the parser. Anything else — `SERVER_ERROR` included, which
    /// memcached sends in step — goes to `decode`, and the connection is
    /// kept.
    ///
    /// A connection kept from an earlier call may have died since (a
    /// restarted server; in workerd, the request that opened it ended).
    /// When such a reused connection fails its write, or is closed by the
    /// server before a byte of reply, the request is sent once more on a new
    /// connection: every request the backend sends is safe to repeat (`mg`,
    /// `ms`, `md`, `mn`, `stats`; `ma` only bumps a generation, and bumping
    /// it twice clears the same entries).
    pub(super) async fn exchange<R>(
        &self,
        mut request: Vec<u8>,
        decode: impl FnOnce(Vec<Reply>) -> Result<R>,
    ) -> Result<R> {
        meta::mn(&mut request);
        let mut slot = self.slot.lock().await;
        let mut conn = Checkout(slot.take());
        let mut may_retry = conn.0.is_some();
        if !may_retry {
            // A close asked for while an earlier call failed is done.
            self.close_requested.store(false, Ordering::Relaxed);
        }
        let first = loop {
            if conn.0.is_none() {
                self.connect(&mut conn).await?;
            }
            let Some(live) = conn.0.as_mut() else {
                return Err(Error::Unavailable("no memcached connection".into()));
            };
            let (first, stale) = match live.transport.write(&request).await {
                Ok(()) => {
                    let first = live.reply().await;
                    (first, live.closed_before_reply)
                }
                Err(e) => (Err(dropped(e)), true),
            };
            match first {
                Err(Error::Unavailable(_)) if may_retry && stale => {
                    may_retry = false;
                    if let Some(mut stale) = conn.0.take() {
                        stale.transport.close();
                    }
                }
                first => break first?,
            }
        };
        drop(request);
        let Some(live) = conn.0.as_mut() else {
            return Err(Error::Unavailable("no memcached connection".into()));
        };
        let replies = live.replies_to_mn(first).await?;
        for reply in &replies {
            if let Status::Error { kind, message } = &reply.status {
                if *kind != ErrorKind::Server {
                    // Dropping `conn` closes it.
                    return Err(refused(*kind, message));
                }
            }
        }
        let result = decode(replies);
        if self.close_requested.swap(false, Ordering::Relaxed) {
            drop(conn);
        } else {
            *slot = conn.release();
        }
        result
    }

    async fn connect(&self, conn: &mut Checkout<C::Transport>) -> Result<()> {
        let transport = match self.connector.connect(self.connect_timeout).await {
            Ok(t) => t,
            Err(Error::Unavailable(m)) => {
                return Err(Error::Unavailable(format!(
                    "cannot connect to memcached: {m}"
                )))
            }
            Err(e) => return Err(e),
        };
        conn.0 = Some(Conn {
            transport,
            decoder: Decoder::new(),
            closed_before_reply: false,
        });
        Ok(())
    }

    /// Closes the open connection, if any; the next call opens a new one. A
    /// connection in use by a call now is closed when that call ends.
    pub(super) fn disconnect(&self) {
        match self.slot.try_lock() {
            Some(mut slot) => {
                if let Some(mut conn) = slot.take() {
                    conn.transport.close();
                }
            }
            None => self.close_requested.store(true, Ordering::Relaxed),
        }
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

/// A reply `command` did not expect (an error reply: the server's message).
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
