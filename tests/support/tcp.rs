//! Test support shared by the tests of the backends over TCP (Redis,
//! memcached): a free loopback port, and a native [`Connector`] over
//! `std::net::TcpStream` that counts what it does and can be told to dial
//! forever or to yield before each read. Included by `redis_server.rs` and
//! `memcached_server.rs`.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::Duration;

use edgecache::transport::{Connector, Transport};
use edgecache::{Error, Result};

/// A loopback port nothing listens on (just now).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// What a [`TcpConnector`] and its transports did (shared by clones).
#[derive(Debug, Default)]
pub struct Counters {
    pub connects: AtomicUsize,
    pub writes: AtomicUsize,
    pub closes: AtomicUsize,
    /// The timeout of each `connect` call, in order.
    pub timeouts: Mutex<Vec<Duration>>,
}

impl Counters {
    pub fn connects(&self) -> usize {
        self.connects.load(Ordering::SeqCst)
    }
    pub fn writes(&self) -> usize {
        self.writes.load(Ordering::SeqCst)
    }
    pub fn closes(&self) -> usize {
        self.closes.load(Ordering::SeqCst)
    }
}

/// How a [`TcpConnector`] opens its stream.
#[derive(Clone, Debug)]
pub enum Dial {
    /// `TcpStream::connect_timeout`.
    Tcp,
    /// A dial that never completes: the connector gives up after the
    /// timeout, as the JavaScript glue does with a timer.
    Never,
}

/// A native [`Connector`] over `std::net::TcpStream`. Blocking inside the
/// async fns is fine: the tests drive them with `pollster`.
#[derive(Clone, Debug)]
pub struct TcpConnector {
    pub addr: SocketAddr,
    pub dial: Dial,
    /// If set, every `read` first returns `Pending` once (and wakes itself),
    /// so a test can poll a call once and drop it mid-exchange.
    pub yield_before_read: bool,
    pub counters: Arc<Counters>,
}

impl TcpConnector {
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            dial: Dial::Tcp,
            yield_before_read: false,
            counters: Arc::default(),
        }
    }
}

/// Runs `dial` on a thread and waits at most `timeout` for it.
fn dial_with_timeout<F>(dial: F, timeout: Duration) -> Result<TcpStream>
where
    F: FnOnce() -> std::io::Result<TcpStream> + Send + 'static,
{
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(dial());
    });
    match rx.recv_timeout(timeout) {
        Ok(Ok(stream)) => Ok(stream),
        Ok(Err(e)) => Err(Error::Unavailable(e.to_string())),
        Err(_) => Err(Error::Unavailable(format!(
            "connect timed out after {} ms",
            timeout.as_millis()
        ))),
    }
}

impl Connector for TcpConnector {
    type Transport = TcpTransport;

    async fn connect(&self, timeout: Duration) -> Result<TcpTransport> {
        self.counters.timeouts.lock().unwrap().push(timeout);
        let stream = match self.dial {
            Dial::Tcp => TcpStream::connect_timeout(&self.addr, timeout)
                .map_err(|e| Error::Unavailable(format!("{}: {e}", self.addr)))?,
            Dial::Never => dial_with_timeout(
                || {
                    thread::sleep(Duration::from_secs(3600));
                    Err(std::io::ErrorKind::TimedOut.into())
                },
                timeout,
            )?,
        };
        stream.set_nodelay(true).ok();
        // A bug that loses a reply fails its test after 10 s, not never.
        stream.set_read_timeout(Some(Duration::from_secs(10))).ok();
        self.counters.connects.fetch_add(1, Ordering::SeqCst);
        Ok(TcpTransport {
            stream,
            yield_before_read: self.yield_before_read,
            counters: Arc::clone(&self.counters),
        })
    }
}

/// The stream a [`TcpConnector`] opens.
pub struct TcpTransport {
    stream: TcpStream,
    yield_before_read: bool,
    counters: Arc<Counters>,
}

impl Transport for TcpTransport {
    async fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.counters.writes.fetch_add(1, Ordering::SeqCst);
        self.stream
            .write_all(bytes)
            .map_err(|e| Error::Unavailable(e.to_string()))
    }

    async fn read(&mut self) -> Result<Option<Vec<u8>>> {
        if self.yield_before_read {
            YieldOnce(false).await;
        }
        let mut buf = vec![0u8; 64 * 1024];
        match self.stream.read(&mut buf) {
            Ok(0) => Ok(None),
            Ok(n) => {
                buf.truncate(n);
                Ok(Some(buf))
            }
            Err(e) => Err(Error::Unavailable(e.to_string())),
        }
    }

    fn close(&mut self) {
        self.counters.closes.fetch_add(1, Ordering::SeqCst);
        let _ = self.stream.shutdown(Shutdown::Both);
    }
}

/// A future that is `Pending` once, then ready.
struct YieldOnce(bool);

impl std::future::Future for YieldOnce {
    type Output = ();
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if self.0 {
            std::task::Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    }
}
