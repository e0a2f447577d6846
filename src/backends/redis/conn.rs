//! One connection, shared by every handle of a backend: the async mutex
//! around it, the handshake, pipelined exchanges, and the guard that throws a
//! connection away whenever an exchange does not finish cleanly.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::lock::Mutex;

use super::resp::{self, Decoder, Value};
use crate::transport::{Connector, Transport};
use crate::{Error, Result};

/// Credentials sent with `AUTH` on every new connection.
#[derive(Clone)]
pub(super) struct Credentials {
    pub(super) username: Option<String>,
    pub(super) password: String,
}

/// Commands to send in one write, and how many replies they expect.
#[derive(Default)]
pub(super) struct Pipeline {
    bytes: Vec<u8>,
    /// The name of each command, for error messages.
    names: Vec<&'static str>,
}

impl Pipeline {
    /// Appends a command: its name, then its arguments.
    pub(super) fn push(&mut self, name: &'static str, args: &[&[u8]]) {
        let mut all: Vec<&[u8]> = Vec::with_capacity(args.len() + 1);
        all.push(name.as_bytes());
        all.extend_from_slice(args);
        resp::encode_command(&mut self.bytes, &all);
        self.names.push(name);
    }

    /// Appends a command whose arguments are each given in pieces (see
    /// [`resp::encode_command_parts`]); the first is the name.
    pub(super) fn push_parts(&mut self, name: &'static str, args: &[&[&[u8]]]) {
        let name_part: [&[u8]; 1] = [name.as_bytes()];
        let mut all: Vec<&[&[u8]]> = Vec::with_capacity(args.len() + 1);
        all.push(&name_part);
        all.extend_from_slice(args);
        resp::encode_command_parts(&mut self.bytes, &all);
        self.names.push(name);
    }
}

/// An open connection and the replies it has received but not yet parsed.
struct Conn<T> {
    transport: T,
    decoder: Decoder,
    /// The server closed the stream before a byte of the pending reply
    /// arrived: the sign of a connection that died while it was kept.
    closed_before_reply: bool,
}

impl<T: Transport> Conn<T> {
    /// The next reply, skipping push frames (which answer no command).
    async fn reply(&mut self) -> Result<Value> {
        loop {
            match self.decoder.decode()? {
                Some(Value::Push(_)) => continue,
                Some(value) => return Ok(value),
                None => {}
            }
            match self.transport.read().await {
                Ok(Some(bytes)) => self.decoder.feed(&bytes),
                Ok(None) if self.decoder.buffered() == 0 => {
                    self.closed_before_reply = true;
                    return Err(Error::Unavailable(
                        "the Redis server closed the connection before replying".into(),
                    ));
                }
                Ok(None) => {
                    return Err(Error::Unavailable(
                        "the Redis server closed the connection mid-reply".into(),
                    ))
                }
                Err(e) => return Err(dropped(e)),
            }
        }
    }
}

/// A transport failure, said to be one.
fn dropped(e: Error) -> Error {
    match e {
        Error::Unavailable(m) => Error::Unavailable(format!("Redis connection dropped: {m}")),
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
    credentials: Option<Credentials>,
    /// The open connection, if any. Taken out for the length of an exchange
    /// and put back only after it finished cleanly.
    slot: Mutex<Option<Conn<C::Transport>>>,
    /// Set by [`Link::disconnect`] while a call holds the connection: that
    /// call closes it instead of putting it back.
    close_requested: AtomicBool,
}

impl<C: Connector> Link<C> {
    pub(super) fn new(
        connector: C,
        connect_timeout: Duration,
        credentials: Option<Credentials>,
    ) -> Self {
        Self {
            connector,
            connect_timeout,
            credentials,
            slot: Mutex::new(None),
            close_requested: AtomicBool::new(false),
        }
    }

    /// Sends `pipeline` in one write (after the handshake, on a new
    /// connection), reads one reply per command, and hands them to
    /// `decode`. Calls are served one at a time, in order.
    ///
    /// Any failure — connecting, the transport, a protocol error, an error
    /// reply, or `decode` refusing the replies — closes the connection: the
    /// next call opens a new one.
    ///
    /// A connection kept from an earlier call may have died since it was
    /// last used (the server restarted or timed it out; in workerd, the
    /// request that opened it ended, and a socket cannot outlive its
    /// request). When such a reused connection fails its write, or is closed
    /// by the server before a single byte of reply arrived, the call is sent
    /// once more on a new connection: every
    /// command the backend sends (`MGET`, `SET`, `UNLINK`, `SCAN`, `PING`) is
    /// idempotent, so sending it twice is safe.
    pub(super) async fn exchange<R>(
        &self,
        pipeline: Pipeline,
        decode: impl FnOnce(Vec<Value>) -> Result<R>,
    ) -> Result<R> {
        let mut slot = self.slot.lock().await;
        let mut conn = Checkout(slot.take());
        let mut may_retry = conn.0.is_some();
        if !may_retry {
            // A close asked for while an earlier call failed is done: that
            // call's connection is gone, and this call opens a new one.
            self.close_requested.store(false, Ordering::Relaxed);
        }
        let (handshake, first) = loop {
            let handshake = if conn.0.is_none() {
                self.connect(&mut conn).await?
            } else {
                Pipeline::default()
            };
            let Some(live) = conn.0.as_mut() else {
                return Err(Error::Unavailable("no Redis connection".into()));
            };
            let sent = if handshake.bytes.is_empty() {
                live.transport.write(&pipeline.bytes).await
            } else {
                let mut bytes = handshake.bytes.clone();
                bytes.extend_from_slice(&pipeline.bytes);
                live.transport.write(&bytes).await
            };
            // Stale means the write failed, or the server closed the stream
            // before replying. A read that fails otherwise (a reply timeout
            // in the transport, a reset) is not retried: it may be a server
            // that is slow, not a connection that is gone.
            let (first, stale) = match sent {
                Ok(()) => {
                    let first = live.reply().await;
                    (first, live.closed_before_reply)
                }
                Err(e) => (Err(dropped(e)), true),
            };
            match first {
                Err(Error::Unavailable(_)) if may_retry && stale => {
                    // Stale: close it (the guard would) and go again.
                    may_retry = false;
                    if let Some(mut stale) = conn.0.take() {
                        stale.transport.close();
                    }
                }
                first => break (handshake, first?),
            }
        };
        drop(pipeline.bytes);
        let Some(live) = conn.0.as_mut() else {
            return Err(Error::Unavailable("no Redis connection".into()));
        };
        let mut first = Some(first);
        for name in handshake.names {
            let reply = match first.take() {
                Some(reply) => reply,
                None => live.reply().await?,
            };
            match reply {
                Value::Simple(ok) if ok == b"OK" => {}
                Value::Error(m) => {
                    return Err(Error::Auth(format!(
                        "the Redis server refused AUTH: {}",
                        String::from_utf8_lossy(&m)
                    )))
                }
                other => return Err(unexpected(name, &other)),
            }
        }
        let mut replies = Vec::with_capacity(pipeline.names.len());
        for name in &pipeline.names {
            let reply = match first.take() {
                Some(reply) => reply,
                None => live.reply().await?,
            };
            match reply {
                Value::Error(m) => return Err(error_reply(name, &m)),
                value => replies.push(value),
            }
        }
        let result = decode(replies)?;
        if self.close_requested.swap(false, Ordering::Relaxed) {
            drop(conn);
        } else {
            *slot = conn.release();
        }
        Ok(result)
    }

    /// Opens a connection into `conn`; returns the handshake (`AUTH`) to
    /// send before the call's own commands.
    async fn connect(&self, conn: &mut Checkout<C::Transport>) -> Result<Pipeline> {
        let transport = match self.connector.connect(self.connect_timeout).await {
            Ok(t) => t,
            Err(Error::Unavailable(m)) => {
                return Err(Error::Unavailable(format!("cannot connect to Redis: {m}")))
            }
            Err(e) => return Err(e),
        };
        conn.0 = Some(Conn {
            transport,
            decoder: Decoder::new(),
            closed_before_reply: false,
        });
        let mut handshake = Pipeline::default();
        if let Some(c) = &self.credentials {
            match &c.username {
                Some(user) => handshake.push("AUTH", &[user.as_bytes(), c.password.as_bytes()]),
                None => handshake.push("AUTH", &[c.password.as_bytes()]),
            }
        }
        Ok(handshake)
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

/// A reply of the wrong type for `command`.
pub(super) fn unexpected(command: &str, got: &Value) -> Error {
    Error::Backend(format!(
        "unexpected reply to Redis {command}: a {} ({})",
        got.kind(),
        preview(got)
    ))
}

fn preview(value: &Value) -> String {
    let text = match value {
        Value::Simple(b) | Value::Error(b) | Value::Bulk(b) | Value::Double(b) => {
            String::from_utf8_lossy(b.get(..64).unwrap_or(b)).into_owned()
        }
        Value::Integer(n) => n.to_string(),
        Value::Array(v) | Value::Push(v) => format!("{} elements", v.len()),
        Value::Map(v) => format!("{} pairs", v.len()),
        other => format!("{other:?}"),
    };
    format!("{text:?}")
}

/// The error for an error reply to `command`: refused credentials are
/// [`Error::Auth`], anything else [`Error::Backend`] with the server's
/// message.
pub(super) fn error_reply(command: &str, message: &[u8]) -> Error {
    let text = String::from_utf8_lossy(message);
    let auth = ["WRONGPASS", "NOAUTH"].iter().any(|p| text.starts_with(p))
        || text.contains("without any password configured");
    if auth {
        Error::Auth(format!("the Redis server refused the credentials: {text}"))
    } else {
        Error::Backend(format!("Redis {command} failed: {text}"))
    }
}
