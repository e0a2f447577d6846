//! A ready tokio connector for the byte-stream backends (feature `tokio`,
//! native only): [`TokioConnector`] opens TCP connections — TLS ones with
//! the `tls` feature — and implements the [`Connector`]/[`Transport`] pair
//! that [`RedisBackend`] talks over. It knows nothing
//! of Redis: any backend over those traits can use it.
//!
//! ```no_run
//! use edgecache::{CacheBackend, RedisBackend};
//! # async fn demo() -> edgecache::Result<()> {
//! // One line: parse the URL, connect, AUTH, PING.
//! let cache = RedisBackend::connect("redis://app:s3cret@localhost:6379").await?;
//! cache.set("k", b"v".to_vec(), None).await?;
//!
//! // Or choose the options (the connection opens on the first call).
//! use edgecache::net::TokioConnector;
//! use std::time::Duration;
//! let connector = TokioConnector::tcp("localhost", 6379).reply_timeout(Duration::from_secs(2));
//! let sessions = RedisBackend::builder(connector).namespace("sessions").build()?;
//! # Ok(())
//! # }
//! ```
//!
//! ## Timeouts
//!
//! - **Connect**: the timeout the backend passes to
//!   [`Connector::connect`] (the builder's `connect_timeout`, default 5 s)
//!   covers name resolution, the TCP handshake and the TLS handshake.
//! - **Replies**: a read that waits longer than
//!   [`reply_timeout`](TokioConnector::reply_timeout) (default 10 s, as
//!   `replyTimeoutMs` in JavaScript) fails with
//!   [`Error::Unavailable`]; the backend then drops the connection and the
//!   next call opens a new one. The backend reads only while it awaits a
//!   reply, so this is a server that stopped answering or a half-open
//!   connection, never an idle one.
//!
//! Both need a tokio runtime with its time driver (`enable_time`, which
//! `#[tokio::main]` and `#[tokio::test]` turn on).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::backends::redis::{Connector, RedisBackend, RedisBackendBuilder, RedisUrl, Transport};
use crate::{CacheBackend, Error, Result};

#[cfg(feature = "tls")]
mod tls;
#[cfg(feature = "tls")]
pub use tls::TlsConfig;

/// Bytes asked for per read; a reply larger than this arrives over several.
const READ_BYTES: usize = 64 * 1024;

/// Opens TCP (or, with the `tls` feature, TLS) connections to one
/// `host:port` on the tokio runtime. Cheap to clone.
///
/// ```
/// use edgecache::net::TokioConnector;
/// use std::time::Duration;
///
/// let connector = TokioConnector::tcp("127.0.0.1", 6379).reply_timeout(Duration::from_secs(1));
/// assert_eq!(connector.address(), "127.0.0.1:6379");
/// ```
#[derive(Clone)]
pub struct TokioConnector {
    host: Arc<str>,
    port: u16,
    reply_timeout: Duration,
    #[cfg(feature = "tls")]
    tls: Option<TlsConfig>,
}

impl fmt::Debug for TokioConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("TokioConnector");
        d.field("address", &self.address())
            .field("reply_timeout", &self.reply_timeout);
        #[cfg(feature = "tls")]
        d.field("tls", &self.tls.is_some());
        d.finish()
    }
}

impl TokioConnector {
    /// How long a read may wait for the server unless
    /// [`reply_timeout`](Self::reply_timeout) says otherwise.
    pub const DEFAULT_REPLY_TIMEOUT: Duration = Duration::from_secs(10);

    /// Plain TCP to `host:port` (a name, resolved on each connect, or an IP
    /// address; an IPv6 address without brackets).
    pub fn tcp(host: impl Into<String>, port: u16) -> Self {
        Self {
            host: Arc::from(host.into()),
            port,
            reply_timeout: Self::DEFAULT_REPLY_TIMEOUT,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }

    /// TLS over TCP to `host:port`, checking the server's certificate for
    /// `host` against `config`'s roots ([`TlsConfig::webpki_roots`] for
    /// public CAs, [`TlsConfig::with_ca_pem`] for a private one).
    #[cfg(feature = "tls")]
    pub fn tls(host: impl Into<String>, port: u16, config: TlsConfig) -> Self {
        Self {
            tls: Some(config),
            ..Self::tcp(host, port)
        }
    }

    /// How long one read may wait for the server before the connection is
    /// given up with [`Error::Unavailable`] (default 10 s). Zero is taken
    /// as the default.
    pub fn reply_timeout(mut self, timeout: Duration) -> Self {
        self.reply_timeout = if timeout.is_zero() {
            Self::DEFAULT_REPLY_TIMEOUT
        } else {
            timeout
        };
        self
    }

    /// `host:port`, as error messages name it (an IPv6 address in brackets).
    pub fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    async fn open(&self) -> Result<Stream> {
        let unavailable =
            |e: std::io::Error| Error::Unavailable(format!("{}: {e}", self.address()));
        let tcp = TcpStream::connect((&*self.host, self.port))
            .await
            .map_err(unavailable)?;
        // Requests are written whole; waiting to coalesce them only adds latency.
        tcp.set_nodelay(true).map_err(unavailable)?;
        #[cfg(feature = "tls")]
        if let Some(config) = &self.tls {
            return config
                .handshake(&self.host, tcp)
                .await
                .map(|s| Stream::Tls(Box::new(s)))
                .map_err(|e| {
                    Error::Unavailable(format!("{}: TLS handshake failed: {e}", self.address()))
                });
        }
        Ok(Stream::Tcp(tcp))
    }
}

impl Connector for TokioConnector {
    type Transport = TokioTransport;

    /// Errors name the address and what failed (`"127.0.0.1:6379: no
    /// connection within 5000 ms"`); the backend says what it was doing.
    async fn connect(&self, timeout: Duration) -> Result<TokioTransport> {
        match tokio::time::timeout(timeout, self.open()).await {
            Ok(stream) => Ok(TokioTransport {
                stream: Some(stream?),
                address: self.address(),
                reply_timeout: self.reply_timeout,
                buf: Vec::new(),
            }),
            Err(_) => Err(Error::Unavailable(format!(
                "{}: no connection within {} ms",
                self.address(),
                timeout.as_millis()
            ))),
        }
    }
}

/// The socket under a [`TokioTransport`].
enum Stream {
    Tcp(TcpStream),
    #[cfg(feature = "tls")]
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl Stream {
    async fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            Self::Tcp(s) => write_flush(s, bytes).await,
            #[cfg(feature = "tls")]
            Self::Tls(s) => write_flush(&mut **s, bytes).await,
        }
    }

    async fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Self::Tcp(s) => s.read(buf).await,
            #[cfg(feature = "tls")]
            Self::Tls(s) => s.read(buf).await,
        }
    }
}

async fn write_flush<S: AsyncWrite + AsyncRead + Unpin>(
    s: &mut S,
    bytes: &[u8],
) -> std::io::Result<()> {
    s.write_all(bytes).await?;
    // TLS buffers records until flushed; TCP's flush does nothing.
    s.flush().await
}

/// One connection a [`TokioConnector`] opened.
pub struct TokioTransport {
    /// `None` once closed.
    stream: Option<Stream>,
    address: String,
    reply_timeout: Duration,
    /// The read buffer, kept between reads.
    buf: Vec<u8>,
}

impl fmt::Debug for TokioTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokioTransport")
            .field("address", &self.address)
            .field("open", &self.stream.is_some())
            .finish_non_exhaustive()
    }
}

impl TokioTransport {
    fn stream(&mut self) -> Result<&mut Stream> {
        self.stream.as_mut().ok_or_else(|| {
            Error::Unavailable(format!("the connection to {} is closed", self.address))
        })
    }
}

impl Transport for TokioTransport {
    async fn write(&mut self, bytes: &[u8]) -> Result<()> {
        let address = self.address.clone();
        self.stream()?
            .write_all(bytes)
            .await
            .map_err(|e| Error::Unavailable(format!("writing to {address} failed: {e}")))
    }

    async fn read(&mut self) -> Result<Option<Vec<u8>>> {
        let timeout = self.reply_timeout;
        let mut buf = std::mem::take(&mut self.buf);
        buf.resize(READ_BYTES, 0);
        let stream = self.stream()?;
        let read = tokio::time::timeout(timeout, stream.read(&mut buf)).await;
        let n = match read {
            Ok(Ok(n)) => n,
            Ok(Err(e)) => {
                return Err(Error::Unavailable(format!(
                    "reading from {} failed: {e}",
                    self.address
                )))
            }
            Err(_) => {
                self.close();
                return Err(Error::Unavailable(format!(
                    "no reply from {} within {} ms",
                    self.address,
                    timeout.as_millis()
                )));
            }
        };
        if n == 0 {
            self.buf = buf;
            return Ok(None);
        }
        let bytes = buf.get(..n).map(<[u8]>::to_vec).unwrap_or_default();
        self.buf = buf;
        Ok(Some(bytes))
    }

    fn close(&mut self) {
        // Dropping the socket closes it; a TLS close_notify would need an
        // await this synchronous call cannot make, and the server does not
        // need one (RESP has its own framing).
        self.stream = None;
    }
}

impl RedisBackendBuilder<TokioConnector> {
    /// A builder for the server at `url` (`redis://[user[:password]@]host[:port][/0]`,
    /// or `rediss://` with the `tls` feature, checked against Mozilla's
    /// roots), with the URL's credentials; the builder's other options
    /// (namespace, TTLs, a [`password`](Self::password) that overrides the
    /// URL's) still apply. Opens nothing. See [`RedisUrl`] for the rules;
    /// a URL they refuse is [`Error::InvalidOptions`].
    ///
    /// ```
    /// use edgecache::RedisBackendBuilder;
    ///
    /// let cache = RedisBackendBuilder::from_url("redis://localhost:6379")?
    ///     .namespace("pages")
    ///     .build()?;
    /// # Ok::<(), edgecache::Error>(())
    /// ```
    pub fn from_url(url: &str) -> Result<Self> {
        let url = RedisUrl::parse(url)?;
        let connector = if url.tls {
            #[cfg(feature = "tls")]
            {
                TokioConnector::tls(url.host, url.port, TlsConfig::webpki_roots()?)
            }
            #[cfg(not(feature = "tls"))]
            {
                return Err(Error::InvalidOptions(
                    "connect: rediss:// needs edgecache's `tls` feature".into(),
                ));
            }
        } else {
            TokioConnector::tcp(url.host, url.port)
        };
        let mut builder = RedisBackend::builder(connector);
        if let Some(username) = url.username {
            builder = builder.username(username);
        }
        if let Some(password) = url.password {
            builder = builder.password(password);
        }
        Ok(builder)
    }
}

impl RedisBackend<TokioConnector> {
    /// Connects to the server at `url` in one line: reads the URL (see
    /// [`RedisBackendBuilder::from_url`]), opens the connection,
    /// authenticates and `PING`s, so a wrong address or password fails here
    /// rather than on the first call.
    ///
    /// ```no_run
    /// use edgecache::{CacheBackend, RedisBackend};
    /// # async fn demo() -> edgecache::Result<()> {
    /// let cache = RedisBackend::connect("redis://app:s3cret@localhost:6379").await?;
    /// cache.set("k", b"v".to_vec(), None).await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// Errors: [`Error::InvalidOptions`] for a URL it refuses,
    /// [`Error::Unavailable`] if the server cannot be reached,
    /// [`Error::Auth`] if it refuses the credentials.
    pub async fn connect(url: &str) -> Result<Self> {
        let backend = RedisBackendBuilder::from_url(url)?.build()?;
        backend.health_check().await?;
        Ok(backend)
    }
}
