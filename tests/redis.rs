//! `RedisBackend` against a real `redis-server` (started per test on a free
//! loopback port) and against scripted fake servers for the failures a real
//! one will not produce on demand. Needs `/usr/bin/redis-server`
//! (`bash scripts/setup.sh` installs it); without it the tests fail.
// Native only: it starts processes and opens TCP sockets.
#![cfg(not(target_arch = "wasm32"))]
// Helpers outside #[test] fns too: a panic in test code is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "support/redis_server.rs"]
mod support;

use std::future::Future;
use std::io::Write;
use std::pin::pin;
use std::task::{Context, Waker};
use std::thread;
use std::time::{Duration, Instant};

use edgecache::redis::resp::{self, Value};
use edgecache::time::ManualClock;
use edgecache::{
    conformance, record, CacheBackend, Entry, ExpiryAware, MemoryBackend, RedisBackend,
    TieredBackend,
};
use support::{Dial, FakeServer, RedisServer, Script, TcpConnector};

type Backend = RedisBackend<TcpConnector>;

fn block_on<F: Future>(f: F) -> F::Output {
    pollster::block_on(f)
}

fn backend(server: &RedisServer) -> (Backend, TcpConnector) {
    let connector = TcpConnector::new(server.addr());
    let b = RedisBackend::builder(connector.clone()).build().unwrap();
    (b, connector)
}

fn code<T: std::fmt::Debug>(r: edgecache::Result<T>) -> &'static str {
    r.unwrap_err().code()
}

#[test]
fn passes_the_conformance_suite_against_a_real_server() {
    let server = RedisServer::start();
    let clock = ManualClock::new(1_700_000_000_000);
    let store = RedisBackend::builder(TcpConnector::new(server.addr()))
        .clock(clock.clone())
        .build()
        .unwrap();
    block_on(conformance::run(
        |ns| match ns {
            Some(ns) => store.with_namespace(ns),
            None => Ok(store.clone()),
        },
        &clock,
    ))
    .unwrap();
    // Every key the suite wrote, it removed.
    assert_eq!(server.raw(&[]).dbsize(), 0);
}

#[test]
fn ttls_are_exact_milliseconds_on_the_server() {
    let server = RedisServer::start();
    let (cache, _) = backend(&server);
    let mut raw = server.raw(&[]);
    let start = Instant::now();
    block_on(cache.set("short", b"v".to_vec(), Some(Duration::from_millis(150)))).unwrap();
    let pttl = raw.pttl("0::short");
    assert!((1..=150).contains(&pttl), "PTTL {pttl}");
    // Sub-millisecond parts round up.
    block_on(cache.set("frac", b"v".to_vec(), Some(Duration::from_micros(1_500)))).unwrap();
    assert!(raw.pttl("0::frac") <= 2);
    block_on(cache.set("forever", b"v".to_vec(), None)).unwrap();
    assert_eq!(raw.pttl("0::forever"), -1);
    // The record carries the same expiry.
    let entry = block_on(cache.get_with_expiry("short")).unwrap().unwrap();
    let stored = raw.get("0::short").unwrap();
    assert_eq!(
        record::decode(&stored).unwrap().expires_at,
        entry.expires_at
    );
    assert_eq!(entry.value, b"v");
    assert!(entry.expires_at.is_some());
    thread::sleep(Duration::from_millis(300).saturating_sub(start.elapsed()));
    assert!(!raw.exists("0::short"), "Redis reclaimed the key itself");
    assert!(!raw.exists("0::frac"));
    assert_eq!(block_on(cache.get("short")).unwrap(), None);
    assert_eq!(block_on(cache.get("forever")).unwrap(), Some(b"v".to_vec()));
}

#[test]
fn default_ttl_applies_to_writes_without_one() {
    let server = RedisServer::start();
    let cache = RedisBackend::builder(TcpConnector::new(server.addr()))
        .default_ttl(Duration::from_secs(30))
        .build()
        .unwrap();
    block_on(cache.set("k", vec![1], None)).unwrap();
    let pttl = server.raw(&[]).pttl("0::k");
    assert!((29_000..=30_000).contains(&pttl), "PTTL {pttl}");
}

#[test]
fn expiry_follows_the_backend_clock_not_the_servers() {
    let server = RedisServer::start();
    let clock = ManualClock::new(1_000_000);
    let cache = RedisBackend::builder(TcpConnector::new(server.addr()))
        .clock(clock.clone())
        .build()
        .unwrap();
    block_on(cache.set("k", b"v".to_vec(), Some(Duration::from_secs(10)))).unwrap();
    assert_eq!(
        block_on(cache.get_with_expiry("k")).unwrap(),
        Some(Entry {
            value: b"v".to_vec(),
            expires_at: Some(1_010_000)
        })
    );
    clock.advance(Duration::from_secs(10));
    assert_eq!(block_on(cache.get("k")).unwrap(), None);
    // Still on the server (PX is real time), just expired for the cache.
    assert!(server.raw(&[]).exists("0::k"));
}

#[test]
fn values_and_keys_are_binary_safe() {
    let server = RedisServer::start();
    let (cache, _) = backend(&server);
    let all: Vec<u8> = (0..=255).collect();
    let crlf = b"\r\n$3\r\n*1\r\n\r\n".to_vec();
    for (key, value) in [
        ("all", all.clone()),
        ("crlf", crlf.clone()),
        ("key\r\nwith\r\nCRLF * ? [x]", b"k".to_vec()),
        ("empty", Vec::new()),
    ] {
        block_on(cache.set(key, value.clone(), None)).unwrap();
        assert_eq!(block_on(cache.get(key)).unwrap(), Some(value), "{key:?}");
    }
    let mut raw = server.raw(&[]);
    assert_eq!(raw.get("0::all").unwrap()[record::HEADER_LEN..], all[..]);
    assert_eq!(raw.get("0::crlf").unwrap()[record::HEADER_LEN..], crlf[..]);
}

#[test]
fn large_values_roundtrip_and_oversized_ones_are_refused_before_any_io() {
    let server = RedisServer::start();
    let (cache, connector) = backend(&server);
    let big: Vec<u8> = (0..8 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    block_on(cache.set("big", big.clone(), None)).unwrap();
    assert_eq!(block_on(cache.get("big")).unwrap(), Some(big.clone()));
    let got = block_on(cache.mget(&["big", "none", "big"])).unwrap();
    assert_eq!(got, vec![Some(big.clone()), None, Some(big)]);

    // Nothing listens on the dead port: a refused write makes no call.
    let dead = TcpConnector::new(std::net::SocketAddr::from((
        [127, 0, 0, 1],
        support::free_port(),
    )));
    let offline = RedisBackend::builder(dead.clone()).build().unwrap();
    let max = Backend::MAX_VALUE_BYTES - record::HEADER_LEN;
    // Zeroed pages: the allocation is never touched.
    let err = block_on(offline.set("huge", vec![0u8; max + 1], None)).unwrap_err();
    assert_eq!(err.code(), "EDGECACHE_VALUE_TOO_LARGE", "{err}");
    assert_eq!(code(block_on(offline.get(""))), "EDGECACHE_INVALID_KEY");
    let long = "k".repeat(edgecache::key::MAX_KEY_BYTES + 1);
    assert_eq!(
        code(block_on(offline.delete(&long))),
        "EDGECACHE_INVALID_KEY"
    );
    assert_eq!(
        code(block_on(offline.set("k", vec![], Some(Duration::ZERO)))),
        "EDGECACHE_INVALID_OPTIONS"
    );
    assert_eq!(
        dead.counters.timeouts.lock().unwrap().len(),
        0,
        "no connect attempted"
    );
    drop(connector);
}

#[test]
fn clear_all_deletes_only_its_namespace_across_many_scan_pages() {
    let server = RedisServer::start();
    let (root, connector) = backend(&server);
    let mut raw = server.raw(&[]);
    // Namespaces full of glob characters: unescaped, their MATCH patterns
    // would also match the foreign keys below.
    for ns in ["n*", "?", "[ab]", "x\\", "]"] {
        let cache = root.with_namespace(ns).unwrap();
        for i in 0..2_500 {
            block_on(cache.set(&format!("k{i}"), vec![1], None)).unwrap();
        }
    }
    let foreign = [
        "user:1",
        "0::x-lookalike",
        "2:nx:k",    // namespace "nx": "2:n*:*" would match it
        "1:x:k",     // "1:?:*"
        "4:a:zz",    // "4:[ab]:*" would match "4:a:..."
        "2:x\\\\:k", // a neighbour of "x\\"
        "1::k",
        "1:]]:k",
        "2:n*", // the prefix without its colon
    ];
    for key in foreign {
        raw.set(key, b"foreign");
    }
    let mut left = 5 * 2_500 + foreign.len() as i64;
    assert_eq!(raw.dbsize(), left);
    for ns in ["n*", "?", "[ab]", "x\\", "]"] {
        let cache = root.with_namespace(ns).unwrap();
        let writes = connector.counters.writes();
        block_on(cache.clear_all()).unwrap();
        assert!(
            connector.counters.writes() - writes >= 3,
            "2,500 keys take more than one SCAN page"
        );
        left -= 2_500;
        assert_eq!(raw.dbsize(), left, "after clearing {ns:?}");
        assert_eq!(block_on(cache.get("k0")).unwrap(), None);
    }
    for key in foreign {
        assert_eq!(raw.get(key), Some(b"foreign".to_vec()), "{key:?} survived");
    }
    // The root namespace's clear removes "0::x-lookalike" (it is in the
    // empty namespace: key "x-lookalike") and nothing else.
    block_on(root.clear_all()).unwrap();
    assert!(!raw.exists("0::x-lookalike"));
    assert_eq!(raw.dbsize(), foreign.len() as i64 - 1);
    // Clearing an empty namespace is fine.
    block_on(root.with_namespace("empty").unwrap().clear_all()).unwrap();
}

#[test]
fn mget_and_mdelete_of_many_keys_are_one_write_each() {
    let server = RedisServer::start();
    let (cache, connector) = backend(&server);
    let keys: Vec<String> = (0..2_500).map(|i| format!("key{i}")).collect();
    for (i, k) in keys.iter().enumerate().filter(|(i, _)| i % 3 != 0) {
        block_on(cache.set(k, i.to_string().into_bytes(), None)).unwrap();
    }
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let writes = connector.counters.writes();
    let got = block_on(cache.mget(&refs)).unwrap();
    assert_eq!(
        connector.counters.writes() - writes,
        1,
        "one pipelined write"
    );
    for (i, v) in got.iter().enumerate() {
        let expected = (i % 3 != 0).then(|| i.to_string().into_bytes());
        assert_eq!(v, &expected, "key{i}");
    }
    let with_expiry = block_on(cache.mget_with_expiry(&refs[..4])).unwrap();
    assert_eq!(with_expiry[0], None);
    assert_eq!(with_expiry[1].as_ref().unwrap().expires_at, None);
    let writes = connector.counters.writes();
    block_on(cache.mdelete(&refs)).unwrap();
    assert_eq!(
        connector.counters.writes() - writes,
        1,
        "one pipelined write"
    );
    assert_eq!(server.raw(&[]).dbsize(), 0);
    assert_eq!(
        connector.counters.connects(),
        1,
        "one connection throughout"
    );
}

#[test]
fn passwords_are_sent_and_refusals_are_auth_errors() {
    let server = RedisServer::start_with(&["--requirepass", "s3cret"]);
    let good = RedisBackend::builder(TcpConnector::new(server.addr()))
        .password("s3cret")
        .build()
        .unwrap();
    assert!(block_on(good.health_check()).unwrap());
    block_on(good.set("k", b"v".to_vec(), None)).unwrap();
    assert_eq!(block_on(good.get("k")).unwrap(), Some(b"v".to_vec()));

    let wrong = RedisBackend::builder(TcpConnector::new(server.addr()))
        .password("nope")
        .build()
        .unwrap();
    let err = block_on(wrong.get("k")).unwrap_err();
    assert_eq!(err.code(), "EDGECACHE_AUTH", "{err}");
    assert!(err.to_string().contains("WRONGPASS"), "{err}");
    // Every call tries again, and is refused again.
    assert_eq!(code(block_on(wrong.health_check())), "EDGECACHE_AUTH");

    let none = RedisBackend::builder(TcpConnector::new(server.addr()))
        .build()
        .unwrap();
    let err = block_on(none.set("k", vec![], None)).unwrap_err();
    assert_eq!(err.code(), "EDGECACHE_AUTH", "{err}");
    assert!(err.to_string().contains("NOAUTH"), "{err}");

    // A password for a server that has none.
    let open = RedisServer::start();
    let needless = RedisBackend::builder(TcpConnector::new(open.addr()))
        .password("s3cret")
        .build()
        .unwrap();
    let err = block_on(needless.get("k")).unwrap_err();
    assert_eq!(err.code(), "EDGECACHE_AUTH", "{err}");
}

#[test]
fn acl_users_authenticate_with_username_and_password() {
    let server = RedisServer::start_with(&["--user", "app", "on", ">apppw", "~*", "&*", "+@all"]);
    let app = RedisBackend::builder(TcpConnector::new(server.addr()))
        .username("app")
        .password("apppw")
        .namespace("acl")
        .build()
        .unwrap();
    block_on(app.set("k", b"v".to_vec(), None)).unwrap();
    assert_eq!(block_on(app.get("k")).unwrap(), Some(b"v".to_vec()));
    assert!(server.raw(&[b"app", b"apppw"]).exists("3:acl:k"));

    for (user, pass) in [("app", "wrong"), ("nobody", "apppw")] {
        let refused = RedisBackend::builder(TcpConnector::new(server.addr()))
            .username(user)
            .password(pass)
            .build()
            .unwrap();
        let err = block_on(refused.get("k")).unwrap_err();
        assert_eq!(err.code(), "EDGECACHE_AUTH", "{user}: {err}");
    }
    let err = RedisBackend::builder(TcpConnector::new(server.addr()))
        .username("app")
        .build()
        .unwrap_err();
    assert_eq!(err.code(), "EDGECACHE_INVALID_OPTIONS");
}

#[test]
fn a_server_that_is_down_is_unavailable_fast() {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], support::free_port()));
    let cache = RedisBackend::builder(TcpConnector::new(addr))
        .build()
        .unwrap();
    let start = Instant::now();
    let err = block_on(cache.get("k")).unwrap_err();
    assert_eq!(err.code(), "EDGECACHE_UNAVAILABLE", "{err}");
    assert!(err.to_string().contains("cannot connect"), "{err}");
    assert_eq!(
        code(block_on(cache.health_check())),
        "EDGECACHE_UNAVAILABLE"
    );
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn the_connect_timeout_is_passed_to_the_connector_and_honoured() {
    let mut stalling = TcpConnector::new(std::net::SocketAddr::from(([127, 0, 0, 1], 9)));
    stalling.dial = Dial::Never;
    let cache = RedisBackend::builder(stalling.clone())
        .connect_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let start = Instant::now();
    let err = block_on(cache.get("k")).unwrap_err();
    let took = start.elapsed();
    assert_eq!(err.code(), "EDGECACHE_UNAVAILABLE", "{err}");
    assert!(err.to_string().contains("timed out"), "{err}");
    assert!(
        took >= Duration::from_millis(200) && took < Duration::from_secs(2),
        "{took:?}"
    );
    // The next call tries again, with the same timeout.
    assert_eq!(
        code(block_on(cache.health_check())),
        "EDGECACHE_UNAVAILABLE"
    );
    assert_eq!(
        *stalling.counters.timeouts.lock().unwrap(),
        vec![Duration::from_millis(200); 2]
    );
    // The default is 5 s.
    let server = RedisServer::start();
    let (default, connector) = backend(&server);
    block_on(default.health_check()).unwrap();
    assert_eq!(
        *connector.counters.timeouts.lock().unwrap(),
        vec![Duration::from_secs(5)]
    );
    assert_eq!(
        code(
            RedisBackend::builder(connector)
                .connect_timeout(Duration::ZERO)
                .build()
        ),
        "EDGECACHE_INVALID_OPTIONS"
    );
}

/// The reply a real server gives to `MGET` of one key holding `value`.
fn mget_reply(value: &[u8]) -> Vec<u8> {
    let rec = record::encode(None, value);
    let mut out = format!("*1\r\n${}\r\n", rec.len()).into_bytes();
    out.extend_from_slice(&rec);
    out.extend_from_slice(b"\r\n");
    out
}

/// A script that answers every `MGET` with `value`, until EOF.
fn serve_value(value: &'static [u8]) -> Script {
    Box::new(move |s, read| {
        while let Some(cmd) = read(s) {
            assert_eq!(cmd[0], b"MGET");
            s.write_all(&mget_reply(value)).unwrap();
        }
    })
}

#[test]
fn a_connection_dropped_mid_reply_is_unavailable_and_the_next_call_reconnects() {
    let fake = FakeServer::start(vec![
        Box::new(|s, read| {
            read(s).unwrap();
            let reply = mget_reply(b"hello");
            s.write_all(&reply[..reply.len() - 4]).unwrap();
            // Closing the stream ends the reply half-way.
        }),
        serve_value(b"hello"),
    ]);
    let connector = TcpConnector::new(fake.addr);
    let cache = RedisBackend::builder(connector.clone()).build().unwrap();
    let err = block_on(cache.get("k")).unwrap_err();
    assert_eq!(err.code(), "EDGECACHE_UNAVAILABLE", "{err}");
    assert!(err.to_string().contains("mid-reply"), "{err}");
    assert_eq!(block_on(cache.get("k")).unwrap(), Some(b"hello".to_vec()));
    assert_eq!(block_on(cache.get("k")).unwrap(), Some(b"hello".to_vec()));
    assert_eq!(fake.accepted(), 2);
    assert_eq!(connector.counters.connects(), 2);
}

#[test]
fn a_stale_connection_is_replaced_once_without_failing_the_call() {
    let mut server = RedisServer::start();
    let (cache, connector) = backend(&server);
    block_on(cache.set("k", b"v".to_vec(), None)).unwrap();
    server.restart();
    // The kept connection died with the old server: the call finds out
    // before any reply arrives and goes again on a new connection. The
    // restarted server is empty (no persistence).
    assert_eq!(block_on(cache.get("k")).unwrap(), None);
    assert_eq!(connector.counters.connects(), 2);
    block_on(cache.set("k", b"w".to_vec(), None)).unwrap();
    assert_eq!(block_on(cache.get("k")).unwrap(), Some(b"w".to_vec()));
    assert_eq!(connector.counters.connects(), 2);
    // While it is down, calls fail fast as unavailable.
    server.stop();
    assert_eq!(code(block_on(cache.get("k"))), "EDGECACHE_UNAVAILABLE");
    assert_eq!(code(block_on(cache.get("k"))), "EDGECACHE_UNAVAILABLE");
}

#[test]
fn a_reused_connection_dropped_mid_reply_is_not_retried() {
    let fake = FakeServer::start(vec![
        Box::new(|s, read| {
            read(s).unwrap();
            s.write_all(&mget_reply(b"hello")).unwrap();
            read(s).unwrap();
            let reply = mget_reply(b"hello");
            // Part of the reply arrived: the command ran, so it is not
            // sent again; the caller hears the connection dropped.
            s.write_all(&reply[..reply.len() - 4]).unwrap();
        }),
        serve_value(b"again"),
    ]);
    let connector = TcpConnector::new(fake.addr);
    let cache = RedisBackend::builder(connector.clone()).build().unwrap();
    assert_eq!(block_on(cache.get("k")).unwrap(), Some(b"hello".to_vec()));
    let err = block_on(cache.get("k")).unwrap_err();
    assert_eq!(err.code(), "EDGECACHE_UNAVAILABLE", "{err}");
    assert!(err.to_string().contains("mid-reply"), "{err}");
    assert_eq!(connector.counters.connects(), 1);
    assert_eq!(block_on(cache.get("k")).unwrap(), Some(b"again".to_vec()));
    assert_eq!(connector.counters.connects(), 2);
}

#[test]
fn a_fresh_connection_that_fails_is_not_retried() {
    // Closed before replying, on its first use: no second connection.
    let fake = FakeServer::start(vec![
        Box::new(|s, read| {
            read(s).unwrap();
        }),
        serve_value(b"later"),
    ]);
    let connector = TcpConnector::new(fake.addr);
    let cache = RedisBackend::builder(connector.clone()).build().unwrap();
    let err = block_on(cache.get("k")).unwrap_err();
    assert_eq!(err.code(), "EDGECACHE_UNAVAILABLE", "{err}");
    assert_eq!(connector.counters.connects(), 1);
    assert_eq!(block_on(cache.get("k")).unwrap(), Some(b"later".to_vec()));
}

#[test]
fn disconnect_closes_the_connection_and_the_next_call_reconnects() {
    let server = RedisServer::start();
    let (cache, connector) = backend(&server);
    block_on(cache.set("k", b"v".to_vec(), None)).unwrap();
    cache.disconnect();
    cache.disconnect();
    assert_eq!(connector.counters.closes(), 1);
    assert_eq!(block_on(cache.get("k")).unwrap(), Some(b"v".to_vec()));
    assert_eq!(connector.counters.connects(), 2);
}

#[test]
fn replies_of_the_wrong_type_are_coded_errors_and_replace_the_connection() {
    let fake = FakeServer::start(vec![
        Box::new(|s, read| {
            read(s).unwrap();
            s.write_all(b"+OK\r\n").unwrap(); // MGET answered with a status
                                              // Keep the stream open: the backend must drop it by itself.
            while read(s).is_some() {}
        }),
        Box::new(|s, read| {
            read(s).unwrap();
            s.write_all(b"*1\r\n:7\r\n").unwrap(); // an integer inside
            while read(s).is_some() {}
        }),
        Box::new(|s, read| {
            read(s).unwrap();
            s.write_all(b"@not resp\r\n").unwrap(); // not RESP at all
            while read(s).is_some() {}
        }),
        Box::new(|s, read| {
            read(s).unwrap();
            s.write_all(b"-ERR something broke\r\n").unwrap();
            while read(s).is_some() {}
        }),
        Box::new(|s, read| {
            read(s).unwrap();
            s.write_all(b"*2\r\n$-1\r\n$-1\r\n").unwrap(); // two values for one key
            while read(s).is_some() {}
        }),
        serve_value(b"fine"),
    ]);
    let connector = TcpConnector::new(fake.addr);
    let cache = RedisBackend::builder(connector.clone()).build().unwrap();
    for expected in [
        "simple string",
        "integer",
        "unknown type",
        "something broke",
        "2 values",
    ] {
        let err = block_on(cache.get("k")).unwrap_err();
        assert_eq!(err.code(), "EDGECACHE_BACKEND", "{err}");
        assert!(
            err.to_string().contains(expected),
            "{err} should say {expected:?}"
        );
    }
    assert_eq!(block_on(cache.get("k")).unwrap(), Some(b"fine".to_vec()));
    assert_eq!(fake.accepted(), 6);
    assert_eq!(
        connector.counters.closes(),
        5,
        "each failed connection was closed"
    );
}

#[test]
fn push_frames_and_attributes_never_take_the_place_of_a_reply() {
    let fake = FakeServer::start(vec![Box::new(|s, read| {
        while let Some(_cmd) = read(s) {
            let mut out = b">2\r\n+invalidate\r\n*1\r\n$1\r\nk\r\n|1\r\n+a\r\n:1\r\n".to_vec();
            out.extend_from_slice(&mget_reply(b"v"));
            out.extend_from_slice(b">1\r\n+late\r\n");
            s.write_all(&out).unwrap();
        }
    })]);
    let cache = RedisBackend::builder(TcpConnector::new(fake.addr))
        .build()
        .unwrap();
    for _ in 0..3 {
        assert_eq!(block_on(cache.get("k")).unwrap(), Some(b"v".to_vec()));
    }
    assert_eq!(fake.accepted(), 1);
}

#[test]
fn foreign_and_undecodable_values_are_misses() {
    let server = RedisServer::start();
    let (cache, _) = backend(&server);
    let mut raw = server.raw(&[]);
    raw.set("0::raw", b"not a record");
    assert_eq!(
        raw.command(&[b"LPUSH", b"0::list", b"x"]),
        Value::Integer(1)
    );
    assert_eq!(
        block_on(cache.mget(&["raw", "list"])).unwrap(),
        vec![None, None]
    );
    // A set replaces them.
    block_on(cache.set("list", b"v".to_vec(), None)).unwrap();
    assert_eq!(block_on(cache.get("list")).unwrap(), Some(b"v".to_vec()));
}

#[test]
fn a_dropped_in_flight_call_never_desynchronises_the_next() {
    let server = RedisServer::start();
    let mut connector = TcpConnector::new(server.addr());
    connector.yield_before_read = true;
    let cache = RedisBackend::builder(connector.clone()).build().unwrap();
    block_on(cache.set("one", b"1".to_vec(), None)).unwrap();
    block_on(cache.set("two", b"2".to_vec(), None)).unwrap();
    assert_eq!(connector.counters.connects(), 1);
    {
        // Poll once: the MGET is written, the read is pending. Then drop.
        let mut call = pin!(cache.get("one"));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(call.as_mut().poll(&mut cx).is_pending());
    }
    assert_eq!(block_on(cache.get("two")).unwrap(), Some(b"2".to_vec()));
    assert_eq!(block_on(cache.get("one")).unwrap(), Some(b"1".to_vec()));
    assert_eq!(
        connector.counters.connects(),
        2,
        "the abandoned connection was replaced"
    );
    assert_eq!(connector.counters.closes(), 1);
}

#[test]
fn handles_share_one_connection_and_sit_behind_a_tiered_backend() {
    let server = RedisServer::start();
    let (root, connector) = backend(&server);
    let a = root.with_namespace("a").unwrap();
    let b = a.clone();
    block_on(a.set("k", b"A".to_vec(), Some(Duration::from_secs(60)))).unwrap();
    block_on(root.set("k", b"R".to_vec(), None)).unwrap();
    assert_eq!(block_on(b.get("k")).unwrap(), Some(b"A".to_vec()));
    assert_eq!(block_on(root.get("k")).unwrap(), Some(b"R".to_vec()));
    assert_eq!(connector.counters.connects(), 1);
    assert!(root.with_namespace("").is_err());

    let tiered = TieredBackend::new(MemoryBackend::new(), a.clone());
    assert_eq!(block_on(tiered.get("k")).unwrap(), Some(b"A".to_vec()));
    block_on(tiered.set("t", b"T".to_vec(), None)).unwrap();
    assert_eq!(block_on(a.get("t")).unwrap(), Some(b"T".to_vec()));
}

#[test]
fn the_backend_is_send_sync_clone_and_hides_the_password() {
    fn assert_traits<T: Send + Sync + Clone + 'static>() {}
    assert_traits::<Backend>();
    let builder = RedisBackend::builder(TcpConnector::new(std::net::SocketAddr::from((
        [127, 0, 0, 1],
        1,
    ))))
    .password("hunter2");
    assert!(!format!("{builder:?}").contains("hunter2"));
    let _ = resp::MAX_BULK_LEN;
}

// ---- Automatic pipelining ----

/// Polls `call` once with a waker that does nothing.
fn poll_once<F: Future>(call: std::pin::Pin<&mut F>) -> std::task::Poll<F::Output> {
    call.poll(&mut Context::from_waker(Waker::noop()))
}

/// A backend whose reads are `Pending` once before they block, so calls
/// polled together overlap as they do in JavaScript.
fn overlapping(addr: std::net::SocketAddr) -> (Backend, TcpConnector) {
    let mut connector = TcpConnector::new(addr);
    connector.yield_before_read = true;
    let b = RedisBackend::builder(connector.clone()).build().unwrap();
    (b, connector)
}

#[test]
fn concurrent_calls_share_writes_and_get_their_own_replies_in_order() {
    let server = RedisServer::start();
    let (cache, connector) = overlapping(server.addr());
    let keys: Vec<String> = (0..200).map(|i| format!("k{i}")).collect();
    let sets = keys
        .iter()
        .map(|k| cache.set(k, k.repeat(1 + k.len() % 7).into_bytes(), None));
    for r in block_on(futures_util::future::join_all(sets)) {
        r.unwrap();
    }
    let writes_after_sets = connector.counters.writes();
    // 200 calls: the first goes out alone, the rest queue behind its reply
    // and go out together.
    assert!(
        writes_after_sets <= 3,
        "200 concurrent sets took {writes_after_sets} writes"
    );
    // Gets, single and multi, of different sizes, mixed: each call gets the
    // replies to its own commands.
    let gets = keys.iter().enumerate().map(|(i, k)| {
        let cache = cache.clone();
        let keys = &keys;
        async move {
            if i % 3 == 0 {
                let many: Vec<&str> = keys[i..(i + 5).min(keys.len())]
                    .iter()
                    .map(String::as_str)
                    .collect();
                let got = cache.mget(&many).await.unwrap();
                let want: Vec<Option<Vec<u8>>> = many
                    .iter()
                    .map(|k| Some(k.repeat(1 + k.len() % 7).into_bytes()))
                    .collect();
                assert_eq!(got, want, "mget at {i}");
            } else {
                let got = cache.get(k).await.unwrap();
                assert_eq!(got, Some(k.repeat(1 + k.len() % 7).into_bytes()), "get {k}");
            }
        }
    });
    block_on(futures_util::future::join_all(gets));
    let get_writes = connector.counters.writes() - writes_after_sets;
    assert!(
        get_writes <= 3,
        "200 concurrent gets took {get_writes} writes"
    );
    assert_eq!(connector.counters.connects(), 1);
    // One call at a time is one write each.
    block_on(cache.get("k1")).unwrap();
    block_on(cache.get("k2")).unwrap();
    assert_eq!(
        connector.counters.writes() - writes_after_sets,
        get_writes + 2
    );
}

#[test]
fn a_connection_dropped_mid_pipeline_fails_exactly_the_calls_whose_replies_were_lost() {
    let fake = FakeServer::start(vec![
        Box::new(|s, read| {
            // The first call, alone; then three more in one write: the second
            // is answered, the third half, the fourth not at all.
            read(s).unwrap();
            s.write_all(&mget_reply(b"one")).unwrap();
            for _ in 0..3 {
                read(s).unwrap();
            }
            s.write_all(&mget_reply(b"two")).unwrap();
            let three = mget_reply(b"three");
            s.write_all(&three[..three.len() - 3]).unwrap();
        }),
        serve_value(b"later"),
    ]);
    let (cache, connector) = overlapping(fake.addr);
    let results = block_on(futures_util::future::join_all(
        ["a", "b", "c", "d"].map(|k| cache.get(k)),
    ));
    let mut results = results.into_iter();
    assert_eq!(results.next().unwrap().unwrap(), Some(b"one".to_vec()));
    assert_eq!(results.next().unwrap().unwrap(), Some(b"two".to_vec()));
    let mid = results.next().unwrap().unwrap_err();
    assert_eq!(mid.code(), "EDGECACHE_UNAVAILABLE", "{mid}");
    assert!(mid.to_string().contains("mid-reply"), "{mid}");
    let lost = results.next().unwrap().unwrap_err();
    assert_eq!(lost.code(), "EDGECACHE_UNAVAILABLE", "{lost}");
    assert_eq!(connector.counters.writes(), 2);
    assert_eq!(
        connector.counters.connects(),
        1,
        "a broken stream is not retried"
    );
    assert_eq!(block_on(cache.get("e")).unwrap(), Some(b"later".to_vec()));
    assert_eq!(connector.counters.connects(), 2);
}

#[test]
fn an_error_reply_mid_pipeline_fails_its_call_only_and_retires_the_connection() {
    let fake = FakeServer::start(vec![
        Box::new(|s, read| {
            read(s).unwrap();
            s.write_all(&mget_reply(b"one")).unwrap();
            for _ in 0..3 {
                read(s).unwrap();
            }
            let mut out = mget_reply(b"two");
            out.extend_from_slice(b"-ERR something broke\r\n");
            out.extend_from_slice(&mget_reply(b"four"));
            s.write_all(&out).unwrap();
            while read(s).is_some() {}
        }),
        serve_value(b"new"),
    ]);
    let (cache, connector) = overlapping(fake.addr);
    let results = block_on(futures_util::future::join_all(
        ["a", "b", "c", "d"].map(|k| cache.get(k)),
    ));
    let results: Vec<_> = results
        .into_iter()
        .map(|r| r.map_err(|e| e.to_string()))
        .collect();
    assert_eq!(results[0], Ok(Some(b"one".to_vec())));
    assert_eq!(results[1], Ok(Some(b"two".to_vec())));
    assert!(
        results[2].as_ref().unwrap_err().contains("something broke"),
        "{:?}",
        results[2]
    );
    assert_eq!(results[3], Ok(Some(b"four".to_vec())));
    // The connection that answered with an error is replaced.
    assert_eq!(block_on(cache.get("e")).unwrap(), Some(b"new".to_vec()));
    assert_eq!(connector.counters.connects(), 2);
    assert_eq!(connector.counters.closes(), 1);
}

#[test]
fn calls_on_a_stale_pipelined_connection_go_again_once_on_a_new_one() {
    let fake = FakeServer::start(vec![
        Box::new(|s, read| {
            read(s).unwrap();
            s.write_all(&mget_reply(b"old")).unwrap();
            // Then the kept connection dies with a call written and no byte
            // of its reply sent, another call queued behind it.
            read(s).unwrap();
        }),
        serve_value(b"new"),
    ]);
    let (cache, connector) = overlapping(fake.addr);
    assert_eq!(block_on(cache.get("a")).unwrap(), Some(b"old".to_vec()));
    let results = block_on(futures_util::future::join_all(
        ["b", "c"].map(|k| cache.get(k)),
    ));
    for r in results {
        assert_eq!(r.unwrap(), Some(b"new".to_vec()));
    }
    assert_eq!(connector.counters.connects(), 2);
    assert_eq!(fake.accepted(), 2);
}

#[test]
fn a_call_sent_again_fails_if_the_new_connection_fails_too() {
    let fake = FakeServer::start(vec![
        Box::new(|s, read| {
            read(s).unwrap();
            s.write_all(&mget_reply(b"old")).unwrap();
            read(s).unwrap();
        }),
        Box::new(|s, read| {
            // The resent call and the one queued behind it, in one write on
            // the new connection; closed before replying.
            read(s).unwrap();
            read(s).unwrap();
        }),
        serve_value(b"fine"),
    ]);
    let (cache, connector) = overlapping(fake.addr);
    assert_eq!(block_on(cache.get("a")).unwrap(), Some(b"old".to_vec()));
    let results = block_on(futures_util::future::join_all(
        ["b", "c"].map(|k| cache.get(k)),
    ));
    for r in results {
        let e = r.unwrap_err();
        assert_eq!(e.code(), "EDGECACHE_UNAVAILABLE", "{e}");
        assert!(e.to_string().contains("before replying"), "{e}");
    }
    assert_eq!(connector.counters.connects(), 2);
    assert_eq!(connector.counters.writes(), 3);
    assert_eq!(block_on(cache.get("d")).unwrap(), Some(b"fine".to_vec()));
}

#[test]
fn dropped_calls_never_make_another_call_read_the_wrong_reply() {
    let server = RedisServer::start();
    let (cache, connector) = overlapping(server.addr());
    for k in ["1", "2", "3", "4", "5", "6"] {
        block_on(cache.set(k, format!("value {k}").into_bytes(), None)).unwrap();
    }
    let want = |k: &str| Some(format!("value {k}").into_bytes());
    let connects = connector.counters.connects();

    // A call dropped while queued is never sent; one dropped in flight has
    // its reply read and thrown away.
    let mut two = Box::pin(cache.get("2"));
    let mut three = Box::pin(cache.get("3"));
    let mut four = Box::pin(cache.get("4"));
    let mut five = Box::pin(cache.get("5"));
    assert!(poll_once(two.as_mut()).is_pending()); // writes 2, awaits its reply
    assert!(poll_once(three.as_mut()).is_pending()); // queued
    assert!(poll_once(four.as_mut()).is_pending()); // queued
    assert!(poll_once(five.as_mut()).is_pending()); // queued
    drop(four);
    assert_eq!(block_on(two).unwrap(), want("2"));
    let writes = connector.counters.writes();
    assert!(poll_once(three.as_mut()).is_pending()); // writes 3 and 5 (not 4)
    assert_eq!(connector.counters.writes(), writes + 1);
    let mut six = Box::pin(cache.get("6"));
    assert!(poll_once(six.as_mut()).is_pending()); // queued behind them
    drop(five); // in flight, not driving: its reply is skipped
    assert_eq!(block_on(three).unwrap(), want("3"));
    assert_eq!(block_on(six).unwrap(), want("6"));
    assert_eq!(
        connector.counters.connects(),
        connects,
        "nothing was reconnected"
    );

    // The call doing the reading is dropped half-way: the connection is
    // closed, and the calls written with it go again on a new one.
    let mut one = Box::pin(cache.get("1"));
    assert!(poll_once(one.as_mut()).is_pending()); // writes 1
    let two = cache.get("2");
    let three = cache.get("3");
    let (mut two, mut three) = (Box::pin(two), Box::pin(three));
    assert!(poll_once(two.as_mut()).is_pending());
    assert!(poll_once(three.as_mut()).is_pending());
    drop(one); // the driver, mid-read; 2 and 3 are still queued
    assert_eq!(connector.counters.closes(), 1);
    assert_eq!(block_on(two).unwrap(), want("2"));
    assert_eq!(block_on(three).unwrap(), want("3"));
    assert_eq!(connector.counters.connects(), connects + 1);
    // And a driver dropped with other calls in flight on its connection.
    let mut a = Box::pin(cache.get("1"));
    assert!(poll_once(a.as_mut()).is_pending()); // writes 1
    let mut b = Box::pin(cache.get("2"));
    let mut c = Box::pin(cache.get("3"));
    assert!(poll_once(b.as_mut()).is_pending());
    assert!(poll_once(c.as_mut()).is_pending());
    assert_eq!(block_on(a).unwrap(), want("1"));
    assert!(poll_once(b.as_mut()).is_pending()); // writes 2 and 3, awaits
    drop(b); // the driver, mid-read, with 3 in flight
    assert_eq!(connector.counters.closes(), 2);
    assert_eq!(block_on(c).unwrap(), want("3"));
    assert_eq!(connector.counters.connects(), connects + 2);
    assert_eq!(block_on(cache.get("4")).unwrap(), want("4"));
}

#[test]
fn get_each_answers_every_key_on_its_own_in_one_write() {
    let server = RedisServer::start();
    let clock = ManualClock::new(1_700_000_000_000);
    let connector = TcpConnector::new(server.addr());
    let cache = RedisBackend::builder(connector.clone())
        .clock(clock.clone())
        .namespace("each")
        .build()
        .unwrap();
    let keys: Vec<String> = (0..150).map(|i| format!("k{i}")).collect();
    for (i, k) in keys.iter().enumerate().filter(|(i, _)| i % 4 != 0) {
        let ttl = (i % 2 == 0).then(|| Duration::from_secs(60));
        block_on(cache.set(k, k.as_bytes().to_vec(), ttl)).unwrap();
    }
    let too_long = "x".repeat(edgecache::key::MAX_KEY_BYTES + 1);
    let mut asked: Vec<&str> = keys.iter().map(String::as_str).collect();
    asked.insert(3, "");
    asked.insert(100, &too_long);
    let writes = connector.counters.writes();
    let outcomes = block_on(cache.get_each_with_expiry(&asked));
    assert_eq!(
        connector.counters.writes() - writes,
        1,
        "152 gets, three MGETs: one write"
    );
    assert_eq!(outcomes.len(), asked.len());
    for (key, outcome) in asked.iter().zip(outcomes) {
        if key.is_empty() || key.len() > 100 {
            // An invalid key fails alone.
            assert_eq!(outcome.unwrap_err().code(), "EDGECACHE_INVALID_KEY");
            continue;
        }
        let i: usize = key[1..].parse().unwrap();
        let want = (i % 4 != 0).then(|| Entry {
            value: key.as_bytes().to_vec(),
            expires_at: (i % 2 == 0).then_some(1_700_000_060_000),
        });
        assert_eq!(outcome.unwrap(), want, "{key}");
    }
    assert!(block_on(cache.get_each_with_expiry(&[])).is_empty());
    assert_eq!(connector.counters.connects(), 1);
}

#[test]
fn get_each_over_a_connection_dropped_mid_batch_fails_exactly_the_lost_mgets() {
    // 130 keys: MGETs of 64, 64 and 2 keys in one write; the server answers
    // the first, half of the second, and then closes the connection.
    let fake = FakeServer::start(vec![
        Box::new(|s, read| {
            let mut sizes = Vec::new();
            for _ in 0..3 {
                let cmd = read(s).unwrap();
                assert_eq!(cmd[0], b"MGET");
                sizes.push(cmd.len() - 1);
            }
            assert_eq!(sizes, [64, 64, 2]);
            let reply = |n: usize| {
                let rec = record::encode(None, b"v");
                let mut out = format!("*{n}\r\n").into_bytes();
                for _ in 0..n {
                    out.extend_from_slice(format!("${}\r\n", rec.len()).as_bytes());
                    out.extend_from_slice(&rec);
                    out.extend_from_slice(b"\r\n");
                }
                out
            };
            s.write_all(&reply(64)).unwrap();
            let second = reply(64);
            s.write_all(&second[..second.len() / 2]).unwrap();
        }),
        serve_value(b"later"),
    ]);
    let connector = TcpConnector::new(fake.addr);
    let cache = RedisBackend::builder(connector.clone()).build().unwrap();
    let keys: Vec<String> = (0..130).map(|i| format!("k{i}")).collect();
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let outcomes = block_on(cache.get_each_with_expiry(&refs));
    for (i, outcome) in outcomes.into_iter().enumerate() {
        if i < 64 {
            assert_eq!(outcome.unwrap().unwrap().value, b"v", "k{i}");
        } else {
            let e = outcome.unwrap_err();
            assert_eq!(e.code(), "EDGECACHE_UNAVAILABLE", "k{i}: {e}");
        }
    }
    assert_eq!(connector.counters.writes(), 1);
    assert_eq!(
        block_on(cache.get("k")).unwrap(),
        Some(b"later".to_vec()),
        "the next call reconnects"
    );
    assert_eq!(connector.counters.connects(), 2);
}
