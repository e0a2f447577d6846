//! One connection, shared by every handle of a backend: RESP over the
//! shared pipelined connection (`crate::transport::pipeline`), the `AUTH`
//! handshake, and the errors of replies.

use std::time::Duration;

use super::resp::{self, Decoder, Value};
use crate::transport::pipeline::{Decode, Pipelined, Protocol, Replies, Request};
use crate::transport::Connector;
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
        encode(&mut self.bytes, name, args);
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

/// Appends the command `name args...` to `out` (what
/// [`resp::encode_command`] writes for the name and the arguments together).
pub(super) fn encode(out: &mut Vec<u8>, name: &'static str, args: &[&[u8]]) {
    out.reserve(name.len() + args.iter().map(|a| a.len() + 16).sum::<usize>() + 32);
    resp::push_array_header(out, args.len() + 1);
    resp::push_bulk(out, name.as_bytes());
    for arg in args {
        resp::push_bulk(out, arg);
    }
}

/// RESP over a [`Pipelined`] connection: the reply decoder (push frames
/// skipped: they answer no command) and the `AUTH` handshake.
pub(super) struct Resp {
    credentials: Option<Credentials>,
}

/// A [`Decoder`] that skips push frames.
pub(super) struct RespReplies(Decoder);

impl Decode for RespReplies {
    type Reply = Value;

    fn feed(&mut self, bytes: &[u8]) {
        self.0.feed(bytes);
    }

    fn decode(&mut self) -> Result<Option<Value>> {
        loop {
            match self.0.decode()? {
                Some(Value::Push(_)) => continue,
                other => return Ok(other),
            }
        }
    }

    fn buffered(&self) -> usize {
        self.0.buffered()
    }
}

impl Protocol for Resp {
    type Decoder = RespReplies;

    const SERVER: &'static str = "Redis";

    fn decoder(&self) -> RespReplies {
        RespReplies(Decoder::new())
    }

    fn handshake(&self) -> Option<Request> {
        let c = self.credentials.as_ref()?;
        let mut auth = Pipeline::default();
        match &c.username {
            Some(user) => auth.push("AUTH", &[user.as_bytes(), c.password.as_bytes()]),
            None => auth.push("AUTH", &[c.password.as_bytes()]),
        }
        Some(Request::new(auth.bytes, auth.names.len()))
    }

    fn check_handshake(&self, replies: Vec<Value>) -> Result<()> {
        for reply in replies {
            match reply {
                Value::Simple(ok) if ok == b"OK" => {}
                Value::Error(m) => {
                    return Err(Error::Auth(format!(
                        "the Redis server refused AUTH: {}",
                        String::from_utf8_lossy(&m)
                    )))
                }
                other => return Err(unexpected("AUTH", &other)),
            }
        }
        Ok(())
    }
}

/// What every handle of one backend shares: one pipelined connection.
pub(super) struct Link<C: Connector> {
    pipe: Pipelined<C, Resp>,
}

impl<C: Connector> Link<C> {
    pub(super) fn new(
        connector: C,
        connect_timeout: Duration,
        credentials: Option<Credentials>,
    ) -> Self {
        Self {
            pipe: Pipelined::new(connector, Resp { credentials }, connect_timeout),
        }
    }

    /// Sends `pipeline` (in the connection's next write, with whatever other
    /// calls queued meanwhile; on a new connection, after `AUTH`), and hands
    /// its replies, one per command, to `decode`.
    ///
    /// An error reply, or `decode` refusing the replies, fails this call and
    /// retires the connection (closed once the replies already on their way
    /// are in; the next calls go on a new one). Failures of the connection
    /// itself, and the retry of a stale one, are [`Pipelined`]'s (see
    /// `crate::transport::pipeline`): every command the backend sends
    /// (`MGET`, `SET`, `UNLINK`, `SCAN`, `PING`, `AUTH`) is idempotent, so
    /// sending one twice is safe.
    pub(super) async fn exchange<R>(
        &self,
        pipeline: Pipeline,
        decode: impl FnOnce(Vec<Value>) -> Result<R>,
    ) -> Result<R> {
        let Pipeline { bytes, names } = pipeline;
        let answer = self.pipe.call(Request::new(bytes, names.len())).await;
        self.check(&names, answer, decode)
    }

    /// [`exchange`](Self::exchange) for one command, `name`, already encoded
    /// in `bytes` (see [`encode`]): its reply goes to `decode`. The same
    /// call and the same failures, without a [`Pipeline`]'s vectors.
    pub(super) async fn exchange_one<R>(
        &self,
        name: &'static str,
        bytes: Vec<u8>,
        decode: impl FnOnce(Value) -> Result<R>,
    ) -> Result<R> {
        let answer = self.pipe.call(Request::new(bytes, 1)).await?;
        let checked = match answer.replies.into_iter().next() {
            Some(Value::Error(m)) => Err(error_reply(name, &m)),
            Some(value) => decode(value),
            None => Err(Error::Backend(format!("no reply to Redis {name}"))),
        };
        if checked.is_err() {
            self.pipe.retire(answer.connection);
        }
        checked
    }

    /// [`exchange`](Self::exchange) for several pipelines at once, each its
    /// own call (queued together, so they share a write): one outcome per
    /// pipeline, each failing on its own. `decode` gets the pipeline's index
    /// and its replies.
    pub(super) async fn exchange_each<R>(
        &self,
        pipelines: Vec<Pipeline>,
        decode: impl Fn(usize, Vec<Value>) -> Result<R>,
    ) -> Vec<Result<R>> {
        let (requests, names): (Vec<Request>, Vec<Vec<&'static str>>) = pipelines
            .into_iter()
            .map(|Pipeline { bytes, names }| (Request::new(bytes, names.len()), names))
            .unzip();
        let answers = self.pipe.call_each(requests).await;
        names
            .iter()
            .zip(answers)
            .enumerate()
            .map(|(i, (names, answer))| self.check(names, answer, |replies| decode(i, replies)))
            .collect()
    }

    /// Fails an error reply, hands the others to `decode`, and retires the
    /// connection if either fails.
    fn check<R>(
        &self,
        names: &[&'static str],
        answer: Result<Replies<Value>>,
        decode: impl FnOnce(Vec<Value>) -> Result<R>,
    ) -> Result<R> {
        let answer = answer?;
        let checked = names
            .iter()
            .zip(answer.replies)
            .map(|(name, reply)| match reply {
                Value::Error(m) => Err(error_reply(name, &m)),
                value => Ok(value),
            })
            .collect::<Result<Vec<_>>>()
            .and_then(decode);
        if checked.is_err() {
            self.pipe.retire(answer.connection);
        }
        checked
    }

    /// Closes the open connection, if any; the next call opens a new one. A
    /// connection in use by calls now is closed once their replies are in.
    pub(super) fn disconnect(&self) {
        self.pipe.disconnect();
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
