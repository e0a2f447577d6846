//! One connection shared by every call of a backend, pipelined
//! automatically, for any request/reply protocol whose replies come back in
//! the order the requests were sent (Redis' RESP; Memcached's protocols).
//!
//! ## How calls share the connection
//!
//! A call puts its request (one or more commands, already encoded, and how
//! many replies they get) in a queue and waits for its replies. There is no
//! background task (the core runs on wasm32 without an executor): the calls
//! themselves do the I/O. One of them at a time, the *driver*, holds the
//! connection; it writes everything queued in one write (each write at most
//! [`MAX_BATCH_BYTES`], at least one request), reads, and hands each reply to
//! the call it answers — replies are matched to requests in the order they
//! were written. Calls that arrive while the driver waits for a reply queue
//! up and go out together in the driver's next write. The driver returns
//! once its own replies are in and the calls in flight with it are answered;
//! a call still waiting then becomes the driver. So `n` calls issued together cost a handful of writes, not `n`
//! round trips.
//!
//! ## Failures
//!
//! * An error that breaks the stream (the transport fails, the server closes
//!   it, bytes that are not the protocol) closes the connection and fails the
//!   calls whose replies were lost: every call written on it and not yet
//!   answered. Calls answered before are not touched; calls still queued go
//!   out on a new connection.
//! * A failure of one call that leaves the stream in step (an error reply, a
//!   reply of the wrong type: see [`Pipelined::retire`]) fails that call
//!   only; the connection takes no new requests and is closed once the
//!   replies already on their way are read.
//! * The handshake ([`Protocol::handshake`], e.g. `AUTH`) is refused: the
//!   connection is closed and every call written on it fails with the
//!   handshake's error.
//! * **Stale connections.** A connection kept from earlier calls may have died
//!   while idle (the server restarted or timed it out; in workerd, the request
//!   that opened it has ended). A call written on such a *reused* connection
//!   whose write fails, or which the server closes before a byte of that
//!   call's replies arrived, is sent once more on a new connection, which is
//!   safe because the protocols' commands are idempotent. A call written on
//!   the connection that was opened for it, a call part of whose reply
//!   arrived, and a read that fails otherwise (a reset, a reply timeout in
//!   the transport) are not retried.
//! * **Dropped calls.** A call whose future is dropped while it waits never
//!   disturbs the others: its reply, when it comes, is read and thrown away
//!   (a request still queued is not sent at all). If the dropped call was the
//!   driver, half-way through a write or a read, the stream's state is
//!   unknown: the connection is closed, and every other call written on it
//!   goes again, on a new connection, ahead of the queue. No call ever reads
//!   another's reply.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use futures_channel::oneshot;
use futures_util::future::{select, Either};
use futures_util::lock::{Mutex as AsyncMutex, MutexGuard as AsyncMutexGuard};

use super::{Connector, Transport};
use crate::{Error, Result};

/// The most bytes of queued requests gathered into one write (a single
/// larger request is written alone). Bounds the copy a batch costs.
pub const MAX_BATCH_BYTES: usize = 1 << 20;

/// Reads replies out of the bytes a connection receives.
pub trait Decode: Send + 'static {
    /// One reply.
    type Reply: Send + 'static;

    /// Appends bytes received from the server.
    fn feed(&mut self, bytes: &[u8]);

    /// The next complete reply, `Ok(None)` if more bytes are needed. An
    /// error means the bytes are not the protocol: the connection is closed.
    fn decode(&mut self) -> Result<Option<Self::Reply>>;

    /// How many bytes are buffered and not yet a complete reply: 0 at a reply
    /// boundary.
    fn buffered(&self) -> usize;
}

/// What a protocol tells a [`Pipelined`] connection.
pub trait Protocol: Send + Sync + 'static {
    /// The protocol's reply decoder, one per connection.
    type Decoder: Decode;

    /// The server's name in errors: `"Redis"`.
    const SERVER: &'static str;

    /// A new decoder, for a new connection.
    fn decoder(&self) -> Self::Decoder;

    /// The request sent first on every new connection (`AUTH`), if any.
    fn handshake(&self) -> Option<Request>;

    /// Checks the replies to [`Protocol::handshake`]. An error closes the
    /// connection and fails every call written on it.
    fn check_handshake(&self, replies: Vec<<Self::Decoder as Decode>::Reply>) -> Result<()>;
}

/// One call's commands, encoded, and how many replies they get.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    bytes: Vec<u8>,
    replies: usize,
}

impl Request {
    /// `bytes` (one or more commands) that get `replies` replies (at least
    /// one: a request with none is answered at once, empty).
    pub fn new(bytes: Vec<u8>, replies: usize) -> Self {
        Self { bytes, replies }
    }
}

/// The replies to one [`Request`], and the connection that carried them.
#[derive(Debug)]
pub struct Replies<R> {
    /// One per reply the request gets, in order.
    pub replies: Vec<R>,
    /// Which connection answered: pass it to [`Pipelined::retire`].
    pub connection: u64,
}

type Reply<P> = <<P as Protocol>::Decoder as Decode>::Reply;
type Outcome<R> = Result<Replies<R>>;

/// A request in the queue or in flight.
struct Entry<R> {
    bytes: Vec<u8>,
    replies: usize,
    /// Replies received so far.
    got: Vec<R>,
    /// Where the replies go; `None` for the handshake.
    tx: Option<oneshot::Sender<Outcome<R>>>,
    /// Written on a connection kept from earlier requests.
    reused: bool,
    /// Already sent again once after a stale connection.
    resent: bool,
}

impl<R> Entry<R> {
    /// The call gave up waiting: nobody reads the replies.
    fn abandoned(&self) -> bool {
        self.tx.as_ref().is_some_and(oneshot::Sender::is_canceled)
    }

    fn answer(&mut self, outcome: Outcome<R>) {
        if let Some(tx) = self.tx.take() {
            // A call that gave up has dropped its receiver: fine.
            let _ = tx.send(outcome);
        }
    }
}

/// An open connection.
struct Conn<T, D> {
    transport: T,
    decoder: D,
    id: u64,
    /// Whether anything was written yet: requests in the first write are on a
    /// fresh connection, later ones on a reused one.
    written: bool,
}

/// What the driver holds.
struct Io<T, D: Decode> {
    conn: Option<Conn<T, D>>,
    /// Written (or being written), not yet fully answered, in order.
    in_flight: VecDeque<Entry<D::Reply>>,
    /// A driver is awaiting a write or a read: if the lock is released with
    /// this set, that driver's future was dropped half-way.
    busy: bool,
}

/// A connection shared by every call, pipelined (see the module docs).
pub struct Pipelined<C: Connector, P: Protocol> {
    connector: C,
    protocol: P,
    connect_timeout: Duration,
    /// Requests not yet written.
    queue: Mutex<VecDeque<Entry<Reply<P>>>>,
    io: AsyncMutex<Io<C::Transport, P::Decoder>>,
    /// Connections opened so far; the next one's id.
    opened: AtomicU64,
    /// Connections with an id below this take no new requests and are closed
    /// once their replies are in.
    retired_below: AtomicU64,
}

/// How a connection ended, for the calls written on it.
enum Death {
    /// The write failed or the server closed the stream: the calls that got
    /// no byte of reply on a reused connection go again, once.
    Stale(Error),
    /// Anything else: every call not answered fails.
    Broken(Error),
    /// The driver was dropped half-way: every call not answered goes again.
    Abandoned,
}

impl<C: Connector, P: Protocol> Pipelined<C, P> {
    /// A connection to the server `connector` reaches, opened by the first
    /// call (and again after a failure) within `connect_timeout`.
    pub fn new(connector: C, protocol: P, connect_timeout: Duration) -> Self {
        Self {
            connector,
            protocol,
            connect_timeout,
            queue: Mutex::new(VecDeque::new()),
            io: AsyncMutex::new(Io {
                conn: None,
                in_flight: VecDeque::new(),
                busy: false,
            }),
            opened: AtomicU64::new(0),
            retired_below: AtomicU64::new(0),
        }
    }

    /// The protocol.
    pub fn protocol(&self) -> &P {
        &self.protocol
    }

    /// Sends `request` (in the next write, with whatever else is queued) and
    /// resolves to its replies, in order. Fails as the module docs say.
    pub async fn call(&self, request: Request) -> Result<Replies<Reply<P>>> {
        if request.replies == 0 {
            return Ok(self.no_replies());
        }
        let rx = self.enqueue(request);
        self.wait(rx).await
    }

    /// [`call`](Self::call) for several requests at once: all are queued
    /// before any is written, so they go out in the same write, and each is
    /// answered (or fails) on its own, as separate calls would be.
    pub async fn call_each(&self, requests: Vec<Request>) -> Vec<Result<Replies<Reply<P>>>> {
        let receivers: Vec<_> = requests
            .into_iter()
            .map(|request| (request.replies > 0).then(|| self.enqueue(request)))
            .collect();
        let mut outcomes = Vec::with_capacity(receivers.len());
        for rx in receivers {
            outcomes.push(match rx {
                Some(rx) => self.wait(rx).await,
                None => Ok(self.no_replies()),
            });
        }
        outcomes
    }

    /// The answer to a request that gets no replies.
    fn no_replies(&self) -> Replies<Reply<P>> {
        Replies {
            replies: Vec::new(),
            connection: self.opened.load(Ordering::Relaxed),
        }
    }

    /// Queues `request`; its outcome comes on the receiver.
    fn enqueue(&self, request: Request) -> oneshot::Receiver<Outcome<Reply<P>>> {
        let (tx, rx) = oneshot::channel();
        self.queue().push_back(Entry {
            bytes: request.bytes,
            replies: request.replies,
            got: Vec::new(),
            tx: Some(tx),
            reused: false,
            resent: false,
        });
        rx
    }

    /// Waits for the outcome on `rx`, driving the connection when no other
    /// call does.
    async fn wait(&self, mut rx: oneshot::Receiver<Outcome<Reply<P>>>) -> Outcome<Reply<P>> {
        match select(&mut rx, self.io.lock()).await {
            Either::Left((outcome, _)) => outcome.unwrap_or_else(|_| Err(lost())),
            Either::Right((io, _)) => {
                let mut driver = Driver { link: self, io };
                driver.recover();
                driver.drive(&mut rx).await
            }
        }
    }

    /// Stops sending requests on connection `connection` (from
    /// [`Replies::connection`]): it is closed once the replies already on
    /// their way are read, and the next requests go on a new one. For a
    /// failure that leaves the stream in step but says something is wrong
    /// (an error reply, a reply of the wrong type).
    pub fn retire(&self, connection: u64) {
        self.retired_below
            .fetch_max(connection.saturating_add(1), Ordering::Relaxed);
    }

    /// Closes the open connection now if no call is using it, or else once
    /// the replies on their way are in; the next call opens a new one.
    pub fn disconnect(&self) {
        self.retired_below
            .fetch_max(self.opened.load(Ordering::Relaxed), Ordering::Relaxed);
        if let Some(mut io) = self.io.try_lock() {
            if !io.busy && io.in_flight.is_empty() {
                if let Some(mut conn) = io.conn.take() {
                    conn.transport.close();
                }
            }
        }
    }

    fn queue(&self) -> MutexGuard<'_, VecDeque<Entry<Reply<P>>>> {
        // Nothing panics while holding it; a poisoned queue is still whole.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn retired(&self, id: u64) -> bool {
        id < self.retired_below.load(Ordering::Relaxed)
    }
}

/// The call that holds the connection.
struct Driver<'a, C: Connector, P: Protocol> {
    link: &'a Pipelined<C, P>,
    io: AsyncMutexGuard<'a, Io<C::Transport, P::Decoder>>,
}

impl<C: Connector, P: Protocol> Driver<'_, C, P> {
    /// Does the I/O until `rx` has this call's outcome.
    ///
    /// Once it has, it goes on reading until the calls in flight are
    /// answered too (writing nothing new: calls queued meanwhile get a driver
    /// of their own), so the calls answered by one read all return without
    /// another handover of the connection.
    async fn drive(&mut self, rx: &mut oneshot::Receiver<Outcome<Reply<P>>>) -> Outcome<Reply<P>> {
        loop {
            match rx.try_recv() {
                Ok(Some(outcome)) => {
                    while !self.io.in_flight.is_empty() {
                        self.read().await;
                    }
                    return outcome;
                }
                Ok(None) => {}
                Err(_) => return Err(lost()),
            }
            self.close_if_retired();
            let writable = self
                .io
                .conn
                .as_ref()
                .is_none_or(|conn| !self.link.retired(conn.id));
            if writable && !self.link.queue().is_empty() {
                self.write().await;
                continue;
            }
            if self.io.in_flight.is_empty() {
                // Nothing queued, nothing in flight, and no outcome: cannot
                // happen (every request is answered or failed when it leaves
                // the queue or the flight); fail rather than wait forever.
                return Err(lost());
            }
            self.read().await;
        }
    }

    /// Cleans up after a driver that was dropped half-way.
    fn recover(&mut self) {
        if self.io.busy {
            self.io.busy = false;
            self.kill(Death::Abandoned);
        }
    }

    /// Closes a retired connection once nothing is in flight on it.
    fn close_if_retired(&mut self) {
        let retired = self
            .io
            .conn
            .as_ref()
            .is_some_and(|conn| self.link.retired(conn.id));
        if retired && self.io.in_flight.is_empty() {
            if let Some(mut conn) = self.io.conn.take() {
                conn.transport.close();
            }
        }
    }

    /// Writes the queued requests (opening a connection first if needed).
    async fn write(&mut self) {
        if self.io.conn.is_none() {
            let id = self.link.opened.fetch_add(1, Ordering::Relaxed);
            let opening = self.link.connector.connect(self.link.connect_timeout);
            match opening.await {
                Ok(transport) => {
                    self.io.conn = Some(Conn {
                        transport,
                        decoder: self.link.protocol.decoder(),
                        id,
                        written: false,
                    });
                    if let Some(handshake) = self.link.protocol.handshake() {
                        self.io.in_flight.push_back(Entry {
                            bytes: handshake.bytes,
                            replies: handshake.replies,
                            got: Vec::new(),
                            tx: None,
                            reused: false,
                            resent: false,
                        });
                    }
                }
                Err(e) => {
                    let e = match e {
                        Error::Unavailable(m) if !m.starts_with("cannot connect to") => {
                            Error::Unavailable(format!("cannot connect to {}: {m}", P::SERVER))
                        }
                        other => other,
                    };
                    // Every queued call was to go on it.
                    let queued: Vec<_> = self.link.queue().drain(..).collect();
                    for mut entry in queued {
                        entry.answer(Err(e.clone()));
                    }
                    return;
                }
            }
        }
        let Io {
            conn: Some(conn),
            in_flight,
            busy,
        } = &mut *self.io
        else {
            return;
        };
        let reused = conn.written;
        conn.written = true;
        // On a connection just opened, nothing is in flight but the
        // handshake, if any, still unwritten: it goes first in this write.
        let first = if reused { in_flight.len() } else { 0 };
        {
            let mut queue = self.link.queue();
            let mut size: usize = in_flight.range(first..).map(|e| e.bytes.len()).sum();
            while let Some(entry) = queue.front() {
                if entry.abandoned() {
                    queue.pop_front();
                    continue;
                }
                if size > 0 && size.saturating_add(entry.bytes.len()) > MAX_BATCH_BYTES {
                    break;
                }
                size = size.saturating_add(entry.bytes.len());
                if let Some(mut entry) = queue.pop_front() {
                    entry.reused = reused;
                    in_flight.push_back(entry);
                }
            }
        }
        // One request (the common write) is written from its own bytes; several are joined.
        let mut batch = in_flight.range(first..);
        *busy = true;
        let written = match (batch.len(), batch.next()) {
            (_, None) => Ok(()),
            (1, Some(one)) => conn.transport.write(&one.bytes).await,
            (_, Some(head)) => {
                let size = head.bytes.len() + batch.clone().map(|e| e.bytes.len()).sum::<usize>();
                let mut bytes = Vec::with_capacity(size);
                bytes.extend_from_slice(&head.bytes);
                for entry in batch {
                    bytes.extend_from_slice(&entry.bytes);
                }
                conn.transport.write(&bytes).await
            }
        };
        *busy = false;
        if let Err(e) = written {
            self.kill(Death::Stale(dropped::<P>(e)));
        }
    }

    /// Reads once and hands out every complete reply.
    async fn read(&mut self) {
        let io = &mut *self.io;
        let Some(conn) = io.conn.as_mut() else {
            // In flight without a connection cannot happen; fail them.
            self.kill(Death::Broken(lost()));
            return;
        };
        io.busy = true;
        let read = conn.transport.read().await;
        io.busy = false;
        let death = match read {
            Ok(Some(bytes)) => return self.dispatch(&bytes),
            Ok(None) => {
                let mid_reply = self
                    .io
                    .conn
                    .as_ref()
                    .is_some_and(|c| c.decoder.buffered() > 0);
                if mid_reply {
                    Death::Broken(Error::Unavailable(format!(
                        "the {} server closed the connection mid-reply",
                        P::SERVER
                    )))
                } else {
                    Death::Stale(Error::Unavailable(format!(
                        "the {} server closed the connection before replying",
                        P::SERVER
                    )))
                }
            }
            Err(e) => Death::Broken(dropped::<P>(e)),
        };
        self.kill(death);
    }

    /// Feeds `bytes` to the decoder and answers every call whose replies are
    /// all in.
    fn dispatch(&mut self, bytes: &[u8]) {
        if let Some(conn) = self.io.conn.as_mut() {
            conn.decoder.feed(bytes);
        }
        loop {
            let Some(conn) = self.io.conn.as_mut() else {
                return;
            };
            let decoded = conn.decoder.decode();
            match decoded {
                Ok(Some(reply)) => self.deliver(reply),
                Ok(None) => return,
                Err(e) => return self.kill(Death::Broken(e)),
            }
        }
    }

    /// Hands `reply` to the call it answers.
    fn deliver(&mut self, reply: Reply<P>) {
        let Some(head) = self.io.in_flight.front_mut() else {
            let e = Error::Backend(format!(
                "the {} server sent a reply nobody asked for",
                P::SERVER
            ));
            return self.kill(Death::Broken(e));
        };
        head.got.push(reply);
        if head.got.len() < head.replies {
            return;
        }
        let Some(mut entry) = self.io.in_flight.pop_front() else {
            return;
        };
        let connection = self.io.conn.as_ref().map_or(0, |c| c.id);
        if entry.tx.is_none() {
            // The handshake.
            if let Err(e) = self.link.protocol.check_handshake(entry.got) {
                self.kill(Death::Broken(e));
            }
            return;
        }
        let replies = std::mem::take(&mut entry.got);
        entry.answer(Ok(Replies {
            replies,
            connection,
        }));
    }

    /// Closes the connection and answers every call in flight on it, as
    /// `death` says: failed, or queued again (ahead of the queue).
    fn kill(&mut self, death: Death) {
        let mut mid_reply = false;
        if let Some(mut conn) = self.io.conn.take() {
            mid_reply = conn.decoder.buffered() > 0;
            conn.transport.close();
        }
        let mut again = Vec::new();
        for (i, mut entry) in self.io.in_flight.drain(..).enumerate() {
            if entry.tx.is_none() || entry.abandoned() {
                continue;
            }
            let started = !entry.got.is_empty() || (i == 0 && mid_reply);
            let error = match &death {
                Death::Abandoned => None,
                Death::Stale(_) if entry.reused && !entry.resent && !started => {
                    entry.resent = true;
                    None
                }
                Death::Stale(e) | Death::Broken(e) => Some(e.clone()),
            };
            match error {
                Some(e) => entry.answer(Err(e)),
                None => {
                    entry.got.clear();
                    entry.reused = false;
                    again.push(entry);
                }
            }
        }
        let mut queue = self.link.queue();
        for entry in again.into_iter().rev() {
            queue.push_front(entry);
        }
    }
}

impl<C: Connector, P: Protocol> Drop for Driver<'_, C, P> {
    fn drop(&mut self) {
        // Dropped half-way through a write or a read: clean up now rather
        // than at the next call, so the socket closes and the calls waiting
        // go again at once.
        self.recover();
    }
}

/// A transport failure, said to be one.
fn dropped<P: Protocol>(e: Error) -> Error {
    match e {
        Error::Unavailable(m) => {
            Error::Unavailable(format!("{} connection dropped: {m}", P::SERVER))
        }
        other => other,
    }
}

/// A call lost track of (cannot happen; fails instead of hanging).
fn lost() -> Error {
    Error::Unavailable("the connection lost track of this call".into())
}
