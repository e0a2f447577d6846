//! Test support for `tests/redis.rs`: a real `redis-server` on a free
//! loopback port (killed on drop), a native [`Connector`] over
//! `std::net::TcpStream` that counts what it does, and a raw RESP client for
//! looking at the server behind the backend's back.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use edgecache::redis::resp::{self, Decoder, Value};
use edgecache::Result;

#[path = "tcp.rs"]
mod tcp;
pub use tcp::*;

pub const REDIS_SERVER: &str = "/usr/bin/redis-server";

/// A `redis-server` child process on 127.0.0.1, killed on drop.
pub struct RedisServer {
    pub port: u16,
    extra: Vec<String>,
    child: Option<Child>,
}

impl RedisServer {
    /// A server with no password.
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// A server with `extra` command-line options
    /// (e.g. `["--requirepass", "pw"]`).
    pub fn start_with(extra: &[&str]) -> Self {
        let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        // Another test may grab the same free port first: then the server
        // exits at startup, and it is tried again on a new port.
        let mut last = String::new();
        for _ in 0..5 {
            let mut server = Self {
                port: free_port(),
                extra: extra.clone(),
                child: None,
            };
            match server.try_spawn() {
                Ok(()) => return server,
                Err(e) => last = e,
            }
        }
        panic!("{last}");
    }

    fn spawn(&mut self) {
        if let Err(e) = self.try_spawn() {
            panic!("{e}");
        }
    }

    fn try_spawn(&mut self) -> Result<(), String> {
        assert!(
            Path::new(REDIS_SERVER).exists(),
            "{REDIS_SERVER} is missing: the Redis tests need a real server. Run \
             `bash scripts/setup.sh` (it installs redis-server), then run the tests again."
        );
        let port = self.port.to_string();
        let child = Command::new(REDIS_SERVER)
            .args([
                "--port",
                &port,
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "no",
            ])
            .args(&self.extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {REDIS_SERVER}: {e}"));
        self.child = Some(child);
        // Ready once it answers PING (NOAUTH also means it is up).
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(mut raw) = RawClient::try_connect(self.addr()) {
                if raw.try_command(&[b"PING"]).is_ok() {
                    return Ok(());
                }
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                self.child = None;
                return Err(format!(
                    "redis-server {:?} on port {} exited at startup ({status}); run it by \
                     hand to see why",
                    self.extra, self.port
                ));
            }
            assert!(
                Instant::now() < deadline,
                "redis-server on port {} did not answer within 10 s",
                self.port
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// Kills the server (the port is free again once this returns).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port with the same options.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    /// A raw client (authenticated with `auth` if given).
    pub fn raw(&self, auth: &[&[u8]]) -> RawClient {
        let mut raw = RawClient::try_connect(self.addr()).unwrap();
        if !auth.is_empty() {
            let mut cmd: Vec<&[u8]> = vec![b"AUTH"];
            cmd.extend_from_slice(auth);
            assert_eq!(raw.command(&cmd), Value::Simple(b"OK".to_vec()));
        }
        raw
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A blocking RESP client for checks behind the backend's back.
pub struct RawClient {
    stream: TcpStream,
    decoder: Decoder,
}

impl RawClient {
    fn try_connect(addr: SocketAddr) -> std::io::Result<Self> {
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(1))?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        Ok(Self {
            stream,
            decoder: Decoder::new(),
        })
    }

    fn try_command(&mut self, args: &[&[u8]]) -> std::io::Result<Value> {
        let mut out = Vec::new();
        resp::encode_command(&mut out, args);
        self.stream.write_all(&out)?;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            if let Some(v) = self.decoder.decode().map_err(std::io::Error::other)? {
                return Ok(v);
            }
            let n = self.stream.read(&mut buf)?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            self.decoder.feed(&buf[..n]);
        }
    }

    /// Sends one command and returns its reply.
    pub fn command(&mut self, args: &[&[u8]]) -> Value {
        self.try_command(args).unwrap()
    }

    /// `SET key value` of a raw (non-record) value.
    pub fn set(&mut self, key: &str, value: &[u8]) {
        assert_eq!(
            self.command(&[b"SET", key.as_bytes(), value]),
            Value::Simple(b"OK".to_vec())
        );
    }

    /// True if `key` exists on the server.
    pub fn exists(&mut self, key: &str) -> bool {
        self.command(&[b"EXISTS", key.as_bytes()]) == Value::Integer(1)
    }

    /// `PTTL key`.
    pub fn pttl(&mut self, key: &str) -> i64 {
        match self.command(&[b"PTTL", key.as_bytes()]) {
            Value::Integer(n) => n,
            other => panic!("PTTL answered {other:?}"),
        }
    }

    /// The raw bytes under `key`.
    pub fn get(&mut self, key: &str) -> Option<Vec<u8>> {
        match self.command(&[b"GET", key.as_bytes()]) {
            Value::Bulk(b) => Some(b),
            Value::Null => None,
            other => panic!("GET answered {other:?}"),
        }
    }

    /// `DBSIZE`.
    pub fn dbsize(&mut self) -> i64 {
        match self.command(&[b"DBSIZE"]) {
            Value::Integer(n) => n,
            other => panic!("DBSIZE answered {other:?}"),
        }
    }
}

/// A scripted fake server: a listener on a thread that serves each accepted
/// connection with the next script in `scripts`. A script gets the stream
/// and a function that reads one whole command (`None` at EOF).
pub struct FakeServer {
    pub addr: SocketAddr,
    pub accepted: Arc<AtomicUsize>,
}

pub type Script =
    Box<dyn FnOnce(&mut TcpStream, &mut dyn FnMut(&mut TcpStream) -> Option<Vec<Vec<u8>>>) + Send>;

impl FakeServer {
    pub fn start(scripts: Vec<Script>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&accepted);
        thread::spawn(move || {
            for script in scripts {
                let Ok((mut stream, _)) = listener.accept() else {
                    return;
                };
                count.fetch_add(1, Ordering::SeqCst);
                let mut decoder = Decoder::new();
                let mut read_command = move |s: &mut TcpStream| -> Option<Vec<Vec<u8>>> {
                    let mut buf = [0u8; 4096];
                    loop {
                        match decoder.decode().ok()? {
                            Some(Value::Array(args)) => {
                                return Some(
                                    args.into_iter()
                                        .map(|a| match a {
                                            Value::Bulk(b) => b,
                                            other => panic!("command arg {other:?}"),
                                        })
                                        .collect(),
                                )
                            }
                            Some(other) => panic!("command {other:?}"),
                            None => {}
                        }
                        let n = s.read(&mut buf).ok()?;
                        if n == 0 {
                            return None;
                        }
                        decoder.feed(&buf[..n]);
                    }
                };
                script(&mut stream, &mut read_command);
            }
        });
        Self { addr, accepted }
    }

    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}
