//! A small HTTP service that caches an upstream: memory in front of Redis
//! ([`TieredBackend`]), on hyper and tokio. `GET /path` answers from the
//! cache (`x-cache: hit`) or fetches `UPSTREAM/path` once and keeps a `200`
//! for `TTL_MS` (`x-cache: miss`); `GET /__stats` reports both counts.
//! Several instances share what Redis holds: a fresh instance's first
//! request for a path another one cached is a hit (from Redis, then memory).
//!
//! ```sh
//! cargo run --example tiered-proxy --features tokio -- \
//!     127.0.0.1:8080 http://127.0.0.1:9000 redis://127.0.0.1:6379 [TTL_MS]
//! ```
//!
//! `scripts/check-tiered-proxy.sh` runs it against a stub upstream and a
//! real redis-server (part of `scripts/test.sh`).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use edgecache::net::TokioConnector;
use edgecache::{CacheBackend, MemoryBackend, RedisBackend, TieredBackend};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, CONTENT_TYPE, HOST};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};

type Cache = TieredBackend<MemoryBackend, RedisBackend<TokioConnector>>;
type Error = Box<dyn std::error::Error + Send + Sync>;

struct Proxy {
    cache: Cache,
    /// `host:port` of the upstream.
    upstream: String,
    ttl: Duration,
    hits: AtomicU64,
    misses: AtomicU64,
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [listen, upstream, redis, rest @ ..] = args.as_slice() else {
        return Err("usage: tiered-proxy LISTEN_ADDR UPSTREAM_URL REDIS_URL [TTL_MS]".into());
    };
    let ttl = Duration::from_millis(rest.first().map_or(Ok(60_000), |t| t.parse())?);
    let upstream = upstream
        .strip_prefix("http://")
        .ok_or("the upstream must be an http:// URL")?
        .trim_end_matches('/')
        .to_string();

    // The one line that connects to Redis (and checks it answers).
    let redis = RedisBackend::connect(redis).await?;
    let memory = MemoryBackend::builder()
        .max_entries(10_000)
        .max_bytes(64 << 20)
        .build()?;
    let proxy = Arc::new(Proxy {
        cache: TieredBackend::new(memory, redis.with_namespace("tiered-proxy")?),
        upstream,
        ttl,
        hits: AtomicU64::new(0),
        misses: AtomicU64::new(0),
    });

    let listener = TcpListener::bind(listen.parse::<SocketAddr>()?).await?;
    println!("listening on http://{}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        let proxy = Arc::clone(&proxy);
        // The cache's futures are Send, so each connection is its own task.
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let proxy = Arc::clone(&proxy);
                async move { Ok::<_, std::convert::Infallible>(proxy.handle(req).await) }
            });
            if let Err(e) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                eprintln!("connection error: {e}");
            }
        });
    }
}

impl Proxy {
    async fn handle(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let path = req
            .uri()
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_string();
        if req.method() != Method::GET {
            return reply(
                StatusCode::METHOD_NOT_ALLOWED,
                "pass",
                Bytes::from("GET only\n"),
            );
        }
        if path == "/__stats" {
            let stats = format!(
                "{{\"hits\":{},\"misses\":{}}}\n",
                self.hits.load(Ordering::Relaxed),
                self.misses.load(Ordering::Relaxed)
            );
            return reply(StatusCode::OK, "pass", Bytes::from(stats));
        }
        match self.cache.get(&path).await {
            Ok(Some(body)) => {
                self.hits.fetch_add(1, Ordering::Relaxed);
                return reply(StatusCode::OK, "hit", Bytes::from(body));
            }
            Ok(None) => {}
            // A cache that is down is a miss, not an outage.
            Err(e) => eprintln!("cache read failed: {e}"),
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        match self.fetch(&path).await {
            Ok((status, body)) => {
                if status == StatusCode::OK {
                    if let Err(e) = self.cache.set(&path, body.to_vec(), Some(self.ttl)).await {
                        eprintln!("cache write failed: {e}");
                    }
                }
                reply(status, "miss", body)
            }
            Err(e) => reply(
                StatusCode::BAD_GATEWAY,
                "miss",
                Bytes::from(format!("upstream failed: {e}\n")),
            ),
        }
    }

    /// `GET path` from the upstream over a new HTTP/1.1 connection.
    async fn fetch(&self, path: &str) -> Result<(StatusCode, Bytes), Error> {
        let stream = TcpStream::connect(&self.upstream).await?;
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(conn);
        let req = Request::get(path)
            .header(HOST, &self.upstream)
            .body(Empty::<Bytes>::new())?;
        let res = sender.send_request(req).await?;
        let status = res.status();
        Ok((status, res.into_body().collect().await?.to_bytes()))
    }
}

fn reply(status: StatusCode, cache: &'static str, body: Bytes) -> Response<Full<Bytes>> {
    let mut res = Response::new(Full::new(body));
    *res.status_mut() = status;
    let headers = res.headers_mut();
    headers.insert("x-cache", HeaderValue::from_static(cache));
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    res
}
