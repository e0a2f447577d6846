//! The JavaScript half of a TCP backend in wasm (Redis; any protocol over a
//! byte stream): a [`Connector`] over a JavaScript function that opens
//! sockets, and the [`Transport`] over the socket it returns.
//!
//! The JavaScript side (`js/tcp.js`, called by the backend's own file such as
//! `js/redis.js`) turns whatever the caller passed as `connect` — a URL or
//! `{ hostname, port }` (a `cloudflare:sockets` socket in workerd, a
//! `node:net` or `node:tls` socket in Node), or a function returning a
//! socket of either kind — into one function `open(timeoutMs)` that resolves
//! to an object with three methods, and that is all this module calls:
//!
//! | call | does |
//! |---|---|
//! | `open(timeoutMs, deliver)` | opens the socket; `deliver` is how it answers a `read` later |
//! | `write(bytes: Uint8Array)` | `undefined` once the bytes are taken (a failure to send them then shows in a later `read`), or a promise that settles once they are written. `bytes` is a view of wasm memory, valid during the call only: the socket copies what it keeps (in Node into a pooled `Buffer`, cheaper than the `ArrayBuffer` of its own the core used to make per write) |
//! | `read()` | the next bytes the server sent (`Uint8Array`), or `null` once it closed the stream, when they are already there; otherwise `undefined`, and later exactly one call `deliver(bytes \| null \| error)` |
//! | `close()` | closes the socket (its result is ignored) |
//!
//! Reads are answered through `deliver` rather than a promise so that the
//! bytes reach the task waiting for them within the same JavaScript event:
//! `deliver` stores them, wakes the task, and runs
//! [`crate::wasm::executor`], which polls the task there and then when it
//! is one of its own (a Redis get); a promise per read would cost a pair of
//! closures and two queue hops before the task saw its reply.
//!
//! Every failure of the opener or the socket (a throw, a rejection, an answer
//! of the wrong type) is [`Error::Unavailable`]: the backend then drops the
//! connection and the next call opens a new one.
//!
//! Like the other bindings, the JavaScript objects live in the per-thread
//! table of `crate::wasm::registry`, so the handles are plain data and
//! `Send + Sync` without `unsafe`.

use std::cell::RefCell;
use std::future::poll_fn;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::task::{Poll, Waker};
use std::time::Duration;

use js_sys::Function;
use wasm_bindgen::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

use crate::transport::{Connector, Transport};
use crate::wasm::call::{bytes_of, Call};
use crate::wasm::error::{describe, message};
use crate::wasm::executor;
use crate::wasm::registry::{IdMap, Registered};
use crate::wasm::sys;
use crate::{Error, Result};

fn unavailable(doing: &str, thrown: &JsValue) -> Error {
    Error::Unavailable(format!("{doing}: {}", message(thrown)))
}

/// A failed opening or read. The glue's own errors (`EdgeCacheError`s from
/// `js/tcp.js`) already say what failed ("cannot connect to Redis at …",
/// "no reply within 100 ms"): their message is kept as it is, not wrapped
/// a second time.
fn glue_failed(doing: &str, thrown: &JsValue) -> Error {
    let field = |name: &str| {
        js_sys::Reflect::get(thrown, &JsValue::from_str(name))
            .ok()
            .and_then(|v| v.as_string())
    };
    match (field("name").as_deref(), field("message")) {
        (Some("EdgeCacheError"), Some(text)) => Error::Unavailable(text),
        _ => unavailable(doing, thrown),
    }
}

/// A [`Connector`] that calls a JavaScript `open(timeoutMs)` function.
#[derive(Debug, Clone)]
pub(crate) struct JsConnector {
    /// The opener function, dropped from the table with the last handle.
    opener: Arc<Registered>,
    /// The server's name in errors: "Redis".
    server: &'static str,
}

impl JsConnector {
    /// Wraps `open`, which must resolve to a socket object (see the module
    /// docs); `server` names the server in errors ("Redis").
    pub(crate) fn new(open: Function, server: &'static str) -> Result<Self> {
        Ok(Self {
            opener: Arc::new(Registered::new(open.into(), "the connection opener")?),
            server,
        })
    }
}

impl Connector for JsConnector {
    type Transport = JsSocket;

    async fn connect(&self, timeout: Duration) -> Result<JsSocket> {
        let server = self.server;
        let doing = format!("cannot connect to {server}");
        let open: Function = self.opener.get()?.unchecked_into();
        // At most u64::MAX ms; an f64 holds every value we pass (≤ 1 day).
        let timeout_ms = JsValue::from_f64(timeout.as_millis() as f64);
        let inbox = Inbox::register();
        let deliver = inbox.deliver_function();
        let socket = Call::new(
            open.call2(&JsValue::UNDEFINED, &timeout_ms, &deliver),
            || doing.clone(),
        )
        .failing_with(glue_failed)
        .value()
        .await?;
        for method in ["write", "read", "close"] {
            let callable = js_sys::Reflect::get(&socket, &JsValue::from_str(method))
                .map(|f| f.is_function())
                .unwrap_or(false);
            if !callable {
                let socket: sys::TcpSocket = socket.unchecked_into();
                let _ = socket.close();
                return Err(Error::Unavailable(format!(
                    "{doing}: the opener returned {} without a `{method}` method",
                    describe(&socket)
                )));
            }
        }
        Ok(JsSocket {
            socket: Some(Registered::new(socket, "the connection")?),
            server,
            inbox,
        })
    }
}

/// One open socket: a [`Transport`] over the JavaScript object's `write`,
/// `read` and `close`. Closed when dropped.
#[derive(Debug)]
pub(crate) struct JsSocket {
    /// `None` once closed.
    socket: Option<Registered>,
    /// The server's name in errors.
    server: &'static str,
    /// Where `deliver` puts the answer to a read.
    inbox: Inbox,
}

impl JsSocket {
    /// `f` of the socket (borrowed from the registry, not cloned: a get
    /// calls it twice).
    fn with_socket<R>(&self, f: impl FnOnce(&sys::TcpSocket) -> R) -> Result<R> {
        let socket = self.socket.as_ref().ok_or_else(|| {
            Error::Unavailable(format!("the {} connection is closed", self.server))
        })?;
        socket.with(|socket| f(socket.unchecked_ref()))
    }
}

impl Transport for JsSocket {
    async fn write(&mut self, bytes: &[u8]) -> Result<()> {
        // A view of `bytes`, which the socket copies before it returns.
        let returned = self.with_socket(|socket| socket.write(bytes))?;
        let server = self.server;
        if returned.as_ref().is_ok_and(JsValue::is_undefined) {
            // Taken (buffered): a failure shows in a later read.
            return Ok(());
        }
        Call::new(returned, || format!("writing to {server} failed"))
            .failing_with(unavailable)
            .done()
            .await?;
        Ok(())
    }

    async fn read(&mut self) -> Result<Option<Vec<u8>>> {
        loop {
            let answer = match self.inbox.take() {
                Some(delivered) => delivered,
                // A read is out (asked before this future was dropped, or
                // just now): `deliver` answers it.
                None if self.inbox.asked() => self.inbox.wait().await,
                None => match self.with_socket(sys::TcpSocket::read)? {
                    Ok(v) if v.is_undefined() => {
                        self.inbox.ask();
                        self.inbox.wait().await
                    }
                    Ok(v) => received(&v),
                    Err(thrown) => Err(glue_failed(READING, &thrown)),
                },
            };
            match answer {
                // A stream may hand out empty chunks; the contract is "at
                // least one byte", so read again.
                Ok(Some(bytes)) if bytes.is_empty() => continue,
                other => return other,
            }
        }
    }

    fn close(&mut self) {
        if let Some(socket) = self.socket.take().and_then(Registered::take) {
            let socket: sys::TcpSocket = socket.unchecked_into();
            // Best effort: a throwing close changes nothing for us.
            let _ = socket.close();
        }
    }
}

impl Drop for JsSocket {
    fn drop(&mut self) {
        self.close();
    }
}

/// What a failed read says (the protocol's core puts "Redis connection
/// dropped" in front).
const READING: &str = "reading failed";

/// What `read()` answered, or `deliver` was called with: bytes, `null` (or
/// `undefined`) at the end of the stream, an `Error` for a failure.
fn received(value: &JsValue) -> Result<Option<Vec<u8>>> {
    // Bytes first: the common answer, and each test is a call into JavaScript.
    if let Some(bytes) = bytes_of(value) {
        return Ok(Some(bytes));
    }
    if value.is_null() || value.is_undefined() {
        return Ok(None);
    }
    if value.is_instance_of::<js_sys::Error>() {
        return Err(glue_failed(READING, value));
    }
    Err(Error::Unavailable(format!(
        "{READING}: expected a Uint8Array or null, got {}",
        describe(value)
    )))
}

/// One socket's mailbox for the answer to its outstanding read. Shared with
/// this thread's table of inboxes, where `deliver` finds it by id.
#[derive(Debug)]
struct Inbox {
    id: u64,
    state: Arc<Mutex<InboxState>>,
}

#[derive(Debug, Default)]
struct InboxState {
    /// A read is out: `deliver` will be called once.
    asked: bool,
    /// What `deliver` brought, not yet taken.
    delivered: Option<Result<Option<Vec<u8>>>>,
    /// The task waiting for it.
    waker: Option<Waker>,
}

/// Inbox ids (never reused).
static NEXT_INBOX: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// This thread's inboxes, by id: `deliver` looks them up.
    static INBOXES: RefCell<IdMap<Weak<Mutex<InboxState>>>> = RefCell::new(IdMap::default());
    /// `deliver(id, value)`, bound to each socket's id (made once).
    static DELIVER: Function = Closure::<dyn FnMut(f64, JsValue)>::new(deliver)
        .into_js_value()
        .unchecked_into();
}

impl Inbox {
    /// A new inbox, in this thread's table.
    fn register() -> Self {
        let id = NEXT_INBOX.fetch_add(1, Ordering::Relaxed);
        let state = Arc::new(Mutex::new(InboxState::default()));
        let _ = INBOXES.try_with(|t| t.borrow_mut().insert(id, Arc::downgrade(&state)));
        Self { id, state }
    }

    /// The socket's `deliver`: `deliver(value)` answers its outstanding read.
    fn deliver_function(&self) -> JsValue {
        // Ids stay far below 2^53.
        let id = JsValue::from_f64(self.id as f64);
        DELIVER
            .try_with(|f| JsValue::from(f.bind1(&JsValue::NULL, &id)))
            .unwrap_or(JsValue::UNDEFINED)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, InboxState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn asked(&self) -> bool {
        self.lock().asked
    }

    fn ask(&self) {
        self.lock().asked = true;
    }

    fn take(&self) -> Option<Result<Option<Vec<u8>>>> {
        self.lock().delivered.take()
    }

    /// Waits for `deliver`.
    async fn wait(&self) -> Result<Option<Vec<u8>>> {
        poll_fn(|cx| {
            let mut state = self.lock();
            match state.delivered.take() {
                Some(answer) => Poll::Ready(answer),
                None => {
                    state.waker = Some(cx.waker().clone());
                    Poll::Pending
                }
            }
        })
        .await
    }
}

impl Drop for Inbox {
    fn drop(&mut self) {
        let _ = INBOXES.try_with(|t| t.borrow_mut().remove(&self.id));
    }
}

/// `deliver(id, value)`: the answer to socket `id`'s outstanding read. Wakes
/// the task waiting for it and runs the executor, so that a task of its own
/// handles the bytes in this same event. A socket closed meanwhile (its
/// inbox gone) ignores it, and so does one with no read out.
fn deliver(id: f64, value: JsValue) {
    let state = INBOXES
        .try_with(|t| t.borrow().get(&(id as u64)).and_then(Weak::upgrade))
        .ok()
        .flatten();
    let Some(state) = state else { return };
    let waker = {
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        if !state.asked {
            return;
        }
        state.asked = false;
        state.delivered = Some(received(&value));
        state.waker.take()
    };
    executor::run_after(|| {
        if let Some(waker) = waker {
            waker.wake();
        }
    });
}
