//! Test support for `tests/memcached.rs`: a real `memcached` on a free
//! loopback port (killed on drop), a native [`Connector`] over
//! `std::net::TcpStream` that counts what it does, and a raw meta-protocol
//! client for looking at the server behind the backend's back.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use edgecache::memcached::meta::{self, Decoder, Reply, Status, WireKey};

use edgecache::Result;

#[path = "tcp.rs"]
mod tcp;
pub use tcp::*;

pub const MEMCACHED: &str = "/usr/bin/memcached";

/// A `memcached` child process on 127.0.0.1, killed on drop.
pub struct MemcachedServer {
    pub port: u16,
    extra: Vec<String>,
    child: Option<Child>,
}

impl MemcachedServer {
    /// A server with 64 MiB and the default 1 MiB item size.
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// A server with `extra` command-line options (e.g. `["-I", "2m"]`).
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

    fn try_spawn(&mut self) -> Result<(), String> {
        assert!(
            Path::new(MEMCACHED).exists(),
            "{MEMCACHED} is missing: the memcached tests need a real server. Run \
             `bash scripts/setup.sh` (it installs Debian's memcached), then run the tests again."
        );
        let port = self.port.to_string();
        let child = Command::new(MEMCACHED)
            // -u: memcached refuses to run as root without naming a user.
            .args([
                "-u",
                "root",
                "-l",
                "127.0.0.1",
                "-U",
                "0",
                "-m",
                "64",
                "-p",
                &port,
            ])
            .args(&self.extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {MEMCACHED}: {e}"));
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(mut raw) = RawClient::try_connect(self.addr()) {
                if raw.try_request(b"mn\r\n").is_ok() {
                    return Ok(());
                }
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                self.child = None;
                return Err(format!(
                    "memcached {:?} on port {} exited at startup ({status})",
                    self.extra, self.port
                ));
            }
            assert!(
                Instant::now() < deadline,
                "memcached on port {} did not answer within 10 s",
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

    /// Starts it again on the same port with the same options (empty).
    pub fn restart(&mut self) {
        self.stop();
        if let Err(e) = self.try_spawn() {
            panic!("{e}");
        }
    }

    pub fn raw(&self) -> RawClient {
        RawClient::try_connect(self.addr()).unwrap()
    }
}

impl Drop for MemcachedServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A blocking meta-protocol client for checks behind the backend's back.
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

    /// Sends `request` (which must end with `mn`) and returns the replies
    /// before `MN`.
    fn try_request(&mut self, request: &[u8]) -> std::io::Result<Vec<Reply>> {
        self.stream.write_all(request)?;
        let mut buf = vec![0u8; 64 * 1024];
        let mut out = Vec::new();
        loop {
            while let Some(r) = self.decoder.decode().map_err(std::io::Error::other)? {
                if r.status == Status::NoOp {
                    return Ok(out);
                }
                out.push(r);
            }
            let n = self.stream.read(&mut buf)?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            self.decoder.feed(&buf[..n]);
        }
    }

    /// Sends `request` + `mn`, returns the replies.
    pub fn request(&mut self, mut request: Vec<u8>) -> Vec<Reply> {
        meta::mn(&mut request);
        self.try_request(&request).unwrap()
    }

    /// The raw value and remaining memcached TTL (`-1`: none) of the item
    /// under `key` (a wire key), if any.
    pub fn get(&mut self, key: &WireKey) -> Option<(Vec<u8>, i64)> {
        let mut req = Vec::new();
        meta::mg(&mut req, key, &[meta::Flag::Value, meta::Flag::ReturnTtl]);
        let mut replies = self.request(req);
        let reply = replies.pop().unwrap();
        let ttl: i64 = reply.flag(b't').map_or(0, |t| t.parse().unwrap());
        match reply.status {
            Status::Value(v) => Some((v, ttl)),
            Status::Miss => None,
            other => panic!("mg answered {other:?}"),
        }
    }

    /// Stores a raw (non-record) value.
    pub fn set(&mut self, key: &WireKey, value: &[u8]) {
        let mut req = Vec::new();
        meta::ms(&mut req, key, &[value], &[meta::Flag::Ttl(0)]);
        assert_eq!(self.request(req)[0].status, Status::Done);
    }
}
