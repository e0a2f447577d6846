//! Compile-time check that every native backend's futures are `Send`, so
//! they can run in `tokio::spawn` and on multi-threaded executors. This file
//! failing to build is the failure; the test itself only builds futures and
//! drops them unpolled.
//!
//! On wasm32 the futures are not `Send` (JavaScript handles are `!Send`, and
//! there is one thread), so the check is native only.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used)]

use std::future::Future;
use std::time::Duration;

use edgecache::{CacheBackend, ExpiryAware, MemoryBackend, TieredBackend};

/// Requires a `Send` future (and drops it unpolled).
fn send<F: Future + Send>(_: F) {}

/// Requires a backend that can be moved into tasks and shared between them.
fn shared<B: Send + Sync + 'static>(_: &B) {}

/// Every method of [`CacheBackend`] and [`ExpiryAware`] on a concrete
/// backend (a generic function could not see the futures' auto traits).
macro_rules! every_future_is_send {
    ($backend:expr) => {{
        let b = $backend;
        shared(&b);
        let keys: &[&str] = &["a", "b"];
        send(b.get("k"));
        send(b.set("k", b"v".to_vec(), Some(Duration::from_secs(1))));
        send(b.delete("k"));
        send(b.exists("k"));
        send(b.mget(keys));
        send(b.mdelete(keys));
        send(b.health_check());
        send(b.clear_all());
        send(b.get_with_expiry("k"));
        send(b.mget_with_expiry(keys));
    }};
}

#[test]
fn memory_and_tiered_futures_are_send() {
    every_future_is_send!(MemoryBackend::new());
    every_future_is_send!(TieredBackend::new(
        MemoryBackend::new(),
        MemoryBackend::new()
    ));
}

#[cfg(feature = "tokio")]
#[test]
fn redis_futures_over_the_tokio_connector_are_send() {
    use edgecache::net::TokioConnector;
    use edgecache::{RedisBackend, RedisBackendBuilder};

    let redis = RedisBackend::builder(TokioConnector::tcp("127.0.0.1", 6379))
        .build()
        .unwrap();
    every_future_is_send!(redis.clone());
    every_future_is_send!(TieredBackend::new(MemoryBackend::new(), redis));
    send(RedisBackend::connect("redis://127.0.0.1:6379"));
    let _ = RedisBackendBuilder::from_url("redis://127.0.0.1:6379").unwrap();
}

#[cfg(feature = "rocksdb")]
#[test]
fn rocksdb_futures_are_send() {
    use edgecache::RocksDbBackend;

    let dir = std::env::temp_dir().join(format!("edgecache-send-{}", std::process::id()));
    let rocks = RocksDbBackend::builder(&dir).build().unwrap();
    every_future_is_send!(rocks.clone());
    every_future_is_send!(TieredBackend::new(MemoryBackend::new(), rocks));
    let _ = std::fs::remove_dir_all(&dir);
}
