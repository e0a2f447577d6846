//! `MemcachedBackend` against real `memcached` processes (started per test
//! on a free loopback port). Needs `/usr/bin/memcached` (`bash
//! scripts/setup.sh` installs Debian's package); without it the tests fail.
// Native only: it starts processes and opens TCP sockets.
#![cfg(not(target_arch = "wasm32"))]
// Helpers outside #[test] fns too: a panic in test code is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "support/memcached_server.rs"]
// The shared TCP support has Redis-only knobs (Dial::Never, closes()).
#[allow(dead_code)]
mod support;

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use edgecache::memcached::meta::{self, Flag, Status, WireKey};
use edgecache::memcached::rules::{generation_key, item_key, parse_generation};
use edgecache::time::ManualClock;
use edgecache::{
    conformance, record, CacheBackend, Error, ExpiryAware, MemcachedBackend, MemoryBackend,
    TieredBackend,
};
use support::{free_port, MemcachedServer, RawClient, TcpConnector};

type Backend = MemcachedBackend<TcpConnector>;

fn block_on<F: Future>(f: F) -> F::Output {
    pollster::block_on(f)
}

fn backend(server: &MemcachedServer) -> (Backend, TcpConnector) {
    let connector = TcpConnector::new(server.addr());
    let b = MemcachedBackend::builder(connector.clone())
        .build()
        .unwrap();
    (b, connector)
}

fn code<T: std::fmt::Debug>(r: edgecache::Result<T>) -> &'static str {
    r.unwrap_err().code()
}

/// The current generation of `namespace`, read behind the backend's back.
fn generation(raw: &mut RawClient, namespace: Option<&str>) -> u64 {
    let (value, _) = raw.get(&generation_key(namespace)).unwrap();
    parse_generation(&value).unwrap()
}

#[test]
fn passes_the_conformance_suite_against_a_real_server() {
    let server = MemcachedServer::start();
    let clock = ManualClock::new(1_700_000_000_000);
    let store = MemcachedBackend::builder(TcpConnector::new(server.addr()))
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
}

#[test]
fn ttls_are_exact_milliseconds_and_memcached_gets_the_ceiling_plus_two_seconds() {
    let server = MemcachedServer::start();
    let (cache, _) = backend(&server);
    let mut raw = server.raw();
    let start = Instant::now();
    block_on(cache.set("short", b"v".to_vec(), Some(Duration::from_millis(300)))).unwrap();
    block_on(cache.set("one-ms", b"v".to_vec(), Some(Duration::from_millis(1)))).unwrap();
    block_on(cache.set("forever", b"v".to_vec(), None)).unwrap();
    block_on(cache.set(
        "long",
        b"v".to_vec(),
        Some(Duration::from_secs(40 * 86_400)),
    ))
    .unwrap();
    let g = generation(&mut raw, None);
    let ttl_of = |raw: &mut RawClient, k: &str| raw.get(&item_key(g, None, k)).unwrap().1;
    // ceil(0.3 s) + 2; the server may already have ticked once.
    assert!((2..=3).contains(&ttl_of(&mut raw, "short")));
    assert_eq!(ttl_of(&mut raw, "forever"), -1);
    // Over 30 days memcached would read T as a Unix time: none is sent.
    assert_eq!(ttl_of(&mut raw, "long"), -1);
    // The record carries the exact expiry.
    let entry = block_on(cache.get_with_expiry("short")).unwrap().unwrap();
    let (stored, _) = raw.get(&item_key(g, None, "short")).unwrap();
    assert_eq!(
        record::decode(&stored).unwrap().expires_at,
        entry.expires_at
    );
    let written = entry.expires_at.unwrap() - 300;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    assert!(written <= now + 1 && now - written < 5_000);
    thread::sleep(Duration::from_millis(320).saturating_sub(start.elapsed()));
    assert_eq!(block_on(cache.get("short")).unwrap(), None);
    assert_eq!(block_on(cache.get("one-ms")).unwrap(), None);
    // Expired by the record while memcached still holds the item.
    assert!(raw.get(&item_key(g, None, "short")).is_some());
    assert_eq!(block_on(cache.get("forever")).unwrap(), Some(b"v".to_vec()));
}

#[test]
fn memcached_never_drops_an_entry_before_its_ttl() {
    // memcached's clock ticks once a second at an arbitrary phase: with T =
    // ceil(ttl) the item could vanish up to two seconds early. Entries of
    // 1 s written at spread-out moments must all be there just before 1 s.
    let server = MemcachedServer::start();
    let (cache, _) = backend(&server);
    let ttl = Duration::from_millis(1_000);
    let mut written = Vec::new();
    for i in 0..5 {
        let key = format!("k{i}");
        block_on(cache.set(&key, vec![1], Some(ttl))).unwrap();
        written.push((key, Instant::now()));
        thread::sleep(Duration::from_millis(190));
    }
    // Each is read at 900-990 ms of its life.
    for (key, at) in &written {
        let due = *at + Duration::from_millis(900);
        thread::sleep(due.saturating_duration_since(Instant::now()));
        if at.elapsed() < Duration::from_millis(990) {
            assert_eq!(block_on(cache.get(key)).unwrap(), Some(vec![1]), "{key}");
        }
    }
}

#[test]
fn expiry_follows_the_backend_clock_not_the_servers() {
    let server = MemcachedServer::start();
    let clock = ManualClock::new(1_000_000);
    let cache = MemcachedBackend::builder(TcpConnector::new(server.addr()))
        .clock(clock.clone())
        .build()
        .unwrap();
    block_on(cache.set("k", b"v".to_vec(), Some(Duration::from_secs(10)))).unwrap();
    assert_eq!(
        block_on(cache.get_with_expiry("k"))
            .unwrap()
            .unwrap()
            .expires_at,
        Some(1_010_000)
    );
    clock.advance(Duration::from_millis(9_999));
    assert!(block_on(cache.exists("k")).unwrap());
    clock.advance(Duration::from_millis(1));
    assert!(!block_on(cache.exists("k")).unwrap());
}

#[test]
fn binary_and_unicode_keys_go_base64_with_the_b_flag() {
    let server = MemcachedServer::start();
    let (cache, _) = backend(&server);
    let mut raw = server.raw();
    let keys = [
        "with space",
        "line\r\nbreak",
        "nul\u{0}byte",
        "ключ🔑",
        "tab\tdel\u{7f}",
        "mg injected v\r\nmn",
    ];
    for (i, key) in keys.iter().enumerate() {
        block_on(cache.set(key, vec![i as u8], None)).unwrap();
    }
    let g = generation(&mut raw, None);
    for (i, key) in keys.iter().enumerate() {
        assert_eq!(
            block_on(cache.get(key)).unwrap(),
            Some(vec![i as u8]),
            "{key:?}"
        );
        let wire = item_key(g, None, key);
        assert!(wire.is_binary(), "{key:?}");
        let (stored, _) = raw.get(&wire).unwrap();
        assert_eq!(record::decode(&stored).unwrap().value, [i as u8]);
    }
    // One pipelined batch of them all, in order, with a miss between.
    let mut batch: Vec<&str> = keys.to_vec();
    batch.insert(2, "missing key");
    let got = block_on(cache.mget(&batch)).unwrap();
    assert_eq!(got[2], None);
    assert_eq!(got.iter().flatten().count(), keys.len());
    // Plain keys stay plain.
    assert!(!item_key(g, None, "user:42").is_binary());
}

#[test]
fn long_keys_are_hashed_and_stay_distinct() {
    let server = MemcachedServer::start();
    let (cache, _) = backend(&server);
    let mut raw = server.raw();
    let base = "k".repeat(edgecache::key::MAX_KEY_BYTES - 1);
    let (a, b) = (format!("{base}a"), format!("{base}b"));
    block_on(cache.set(&a, b"A".to_vec(), None)).unwrap();
    block_on(cache.set(&b, b"B".to_vec(), None)).unwrap();
    assert_eq!(block_on(cache.get(&a)).unwrap(), Some(b"A".to_vec()));
    assert_eq!(block_on(cache.get(&b)).unwrap(), Some(b"B".to_vec()));
    // Exactly at memcached's limit a key is plain; one byte more, hashed.
    let g = generation(&mut raw, None);
    let head = format!("{g}:0::").len();
    let fits = "x".repeat(meta::MAX_KEY_BYTES - head);
    let over = format!("{fits}x");
    block_on(cache.set(&fits, b"fits".to_vec(), None)).unwrap();
    block_on(cache.set(&over, b"over".to_vec(), None)).unwrap();
    assert!(raw
        .get(&WireKey::new(format!("{g}:0::{fits}").as_bytes()).unwrap())
        .is_some());
    assert!(item_key(g, None, &over)
        .as_str()
        .starts_with(&format!("{g}:#")));
    assert_eq!(block_on(cache.get(&over)).unwrap(), Some(b"over".to_vec()));
    // A long namespace is hashed with the key.
    let ns = cache.with_namespace(&"n".repeat(256)).unwrap();
    block_on(ns.set("k", b"ns".to_vec(), None)).unwrap();
    assert_eq!(block_on(ns.get("k")).unwrap(), Some(b"ns".to_vec()));
    assert_eq!(block_on(cache.get("k")).unwrap(), None);
    block_on(ns.clear_all()).unwrap();
    assert_eq!(block_on(ns.get("k")).unwrap(), None);
    // Over the crate's key limit: refused, as everywhere.
    let huge = "k".repeat(edgecache::key::MAX_KEY_BYTES + 1);
    assert_eq!(
        code(block_on(cache.set(&huge, vec![1], None))),
        "EDGECACHE_INVALID_KEY"
    );
}

#[test]
fn clear_all_bumps_the_generation_seen_by_every_process_and_old_items_age_out() {
    let server = MemcachedServer::start();
    let (a, _) = backend(&server);
    let (b, b_conn) = backend(&server); // another process: its own connection
    let a_ns = a.with_namespace("pages").unwrap();
    let b_ns = b.with_namespace("pages").unwrap();
    let other = a.with_namespace("other").unwrap();
    let mut raw = server.raw();
    block_on(a_ns.set("k", b"1".to_vec(), None)).unwrap();
    block_on(other.set("k", b"2".to_vec(), None)).unwrap();
    block_on(a.set("k", b"3".to_vec(), None)).unwrap();
    assert_eq!(block_on(b_ns.get("k")).unwrap(), Some(b"1".to_vec()));
    let before = generation(&mut raw, Some("pages"));
    let writes = b_conn.counters.writes();
    block_on(a_ns.clear_all()).unwrap();
    assert_eq!(generation(&mut raw, Some("pages")), before + 1);
    // b's next call sees the clear: its first write reads the new
    // generation after its own mg, and it sends the mg again.
    assert_eq!(block_on(b_ns.get("k")).unwrap(), None);
    assert_eq!(b_conn.counters.writes(), writes + 2);
    // ... and only one write from then on.
    assert_eq!(block_on(b_ns.get("k")).unwrap(), None);
    assert_eq!(b_conn.counters.writes(), writes + 3);
    // A write by b after the clear is seen by a.
    block_on(b_ns.set("k", b"new".to_vec(), None)).unwrap();
    assert_eq!(block_on(a_ns.get("k")).unwrap(), Some(b"new".to_vec()));
    // Other namespaces and the root are untouched.
    assert_eq!(block_on(other.get("k")).unwrap(), Some(b"2".to_vec()));
    assert_eq!(block_on(a.get("k")).unwrap(), Some(b"3".to_vec()));
    // The old item is still in memcached (it ages out), unreachable.
    let (old, _) = raw.get(&item_key(before, Some("pages"), "k")).unwrap();
    assert_eq!(record::decode(&old).unwrap().value, b"1");
    // A counter that disappears is recreated from the clock, never an old
    // number.
    let mut req = Vec::new();
    meta::md(&mut req, &generation_key(Some("pages")), &[]);
    raw.request(req);
    assert_eq!(block_on(b_ns.get("k")).unwrap(), None);
    let recreated = generation(&mut raw, Some("pages"));
    assert!(recreated != before && recreated != before + 1);
}

#[test]
fn a_set_racing_a_clear_never_lands_in_the_old_generation_unseen() {
    // b's cached generation is stale when it writes: its ms goes to the old
    // generation, the mg after it shows the change, and the write is sent
    // again under the new one.
    let server = MemcachedServer::start();
    let (a, _) = backend(&server);
    let (b, _) = backend(&server);
    block_on(b.get("warm")).unwrap();
    block_on(a.clear_all()).unwrap();
    block_on(b.set("k", b"v".to_vec(), None)).unwrap();
    assert_eq!(block_on(a.get("k")).unwrap(), Some(b"v".to_vec()));
    block_on(a.clear_all()).unwrap();
    block_on(b.delete("k")).unwrap();
    block_on(a.set("k", b"w".to_vec(), None)).unwrap();
    assert_eq!(block_on(b.get("k")).unwrap(), Some(b"w".to_vec()));
}

#[test]
fn values_over_the_servers_item_size_are_value_too_large_with_its_limit() {
    let server = MemcachedServer::start(); // -I 1m
    let (cache, connector) = backend(&server);
    block_on(cache.set("fits", vec![7; 1_000_000], None)).unwrap();
    assert_eq!(
        block_on(cache.get("fits")).unwrap().unwrap().len(),
        1_000_000
    );
    let err = block_on(cache.set("big", vec![7; 2 * 1024 * 1024], None)).unwrap_err();
    assert_eq!(
        err,
        Error::ValueTooLarge {
            size: 2 * 1024 * 1024 + 11,
            limit: 1024 * 1024
        }
    );
    // The connection survived, and the limit is now known: refused before
    // any I/O.
    let writes = connector.counters.writes();
    let err = block_on(cache.set("big", vec![7; 1024 * 1024 + 1], None)).unwrap_err();
    assert_eq!(err.code(), "EDGECACHE_VALUE_TOO_LARGE");
    assert_eq!(connector.counters.writes(), writes);
    assert_eq!(connector.counters.connects(), 1);
    assert_eq!(block_on(cache.get("big")).unwrap(), None);
    // A server with a larger item size takes more.
    let big_server = MemcachedServer::start_with(&["-I", "4m"]);
    let (big, _) = backend(&big_server);
    block_on(big.set("big", vec![7; 3 * 1024 * 1024], None)).unwrap();
    assert_eq!(
        block_on(big.get("big")).unwrap().unwrap().len(),
        3 * 1024 * 1024
    );
}

#[test]
fn get_many_is_one_pipelined_write() {
    let server = MemcachedServer::start();
    let (cache, connector) = backend(&server);
    for i in (0..200).step_by(2) {
        block_on(cache.set(&format!("k{i}"), vec![i as u8], None)).unwrap();
    }
    let keys: Vec<String> = (0..200).map(|i| format!("k{i}")).collect();
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let writes = connector.counters.writes();
    let got = block_on(cache.mget(&refs)).unwrap();
    assert_eq!(connector.counters.writes(), writes + 1);
    for (i, v) in got.iter().enumerate() {
        let expected = (i % 2 == 0).then(|| vec![i as u8]);
        assert_eq!(v, &expected, "k{i}");
    }
    block_on(cache.mdelete(&refs)).unwrap();
    assert_eq!(connector.counters.writes(), writes + 2);
    assert!(block_on(cache.mget(&refs))
        .unwrap()
        .iter()
        .all(Option::is_none));
}

#[test]
fn get_many_over_10_000_keys_is_split_into_batches_in_order() {
    let server = MemcachedServer::start();
    let (cache, connector) = backend(&server);
    let keys: Vec<String> = (0..12_345).map(|i| format!("k{i}")).collect();
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    block_on(cache.set("k0", b"first".to_vec(), None)).unwrap();
    block_on(cache.set("k12344", b"last".to_vec(), None)).unwrap();
    let writes = connector.counters.writes();
    let got = block_on(cache.mget(&refs)).unwrap();
    assert_eq!(
        connector.counters.writes(),
        writes + 2,
        "two batches of at most 10,000"
    );
    assert_eq!(got.len(), keys.len());
    assert_eq!(got[0].as_deref(), Some(&b"first"[..]));
    assert_eq!(got[12_344].as_deref(), Some(&b"last"[..]));
    assert_eq!(got.iter().flatten().count(), 2);
}

#[test]
fn foreign_values_are_misses() {
    let server = MemcachedServer::start();
    let (cache, _) = backend(&server);
    let mut raw = server.raw();
    block_on(cache.set("warm", vec![], None)).unwrap();
    let g = generation(&mut raw, None);
    raw.set(&item_key(g, None, "foreign"), b"not a record");
    assert_eq!(block_on(cache.get("foreign")).unwrap(), None);
    block_on(cache.set("foreign", b"ours".to_vec(), None)).unwrap();
    assert_eq!(
        block_on(cache.get("foreign")).unwrap(),
        Some(b"ours".to_vec())
    );
    // A generation counter that is not a number is a backend error.
    raw.set(&generation_key(Some("bad")), b"x");
    let bad = cache.with_namespace("bad").unwrap();
    assert_eq!(code(block_on(bad.get("k"))), "EDGECACHE_BACKEND");
}

#[test]
fn a_server_that_is_down_is_unavailable() {
    let cache = MemcachedBackend::builder(TcpConnector::new(std::net::SocketAddr::from((
        [127, 0, 0, 1],
        free_port(),
    ))))
    .build()
    .unwrap();
    assert_eq!(code(block_on(cache.get("k"))), "EDGECACHE_UNAVAILABLE");
    assert_eq!(
        code(block_on(cache.health_check())),
        "EDGECACHE_UNAVAILABLE"
    );
    let err = block_on(cache.set("k", vec![1], None)).unwrap_err();
    assert!(
        err.to_string().contains("cannot connect to memcached"),
        "{err}"
    );
}

#[test]
fn a_killed_server_is_unavailable_and_a_restarted_one_is_used_again() {
    let mut server = MemcachedServer::start();
    let (cache, connector) = backend(&server);
    block_on(cache.set("k", b"v".to_vec(), None)).unwrap();
    assert!(block_on(cache.health_check()).unwrap());
    server.stop();
    assert_eq!(code(block_on(cache.get("k"))), "EDGECACHE_UNAVAILABLE");
    assert_eq!(
        code(block_on(cache.health_check())),
        "EDGECACHE_UNAVAILABLE"
    );
    server.restart();
    // Empty after the restart; the generation is recreated.
    assert_eq!(block_on(cache.get("k")).unwrap(), None);
    block_on(cache.set("k", b"again".to_vec(), None)).unwrap();
    assert_eq!(block_on(cache.get("k")).unwrap(), Some(b"again".to_vec()));
    // A kept connection to a server restarted behind its back is replaced
    // without failing the call.
    server.restart();
    let connects = connector.counters.connects();
    assert_eq!(block_on(cache.get("k")).unwrap(), None);
    assert_eq!(connector.counters.connects(), connects + 1);
}

#[test]
fn handles_share_one_connection_and_sit_behind_a_tiered_backend() {
    let server = MemcachedServer::start();
    let (cache, connector) = backend(&server);
    let ns = cache.with_namespace("a").unwrap();
    block_on(cache.set("k", vec![1], None)).unwrap();
    block_on(ns.set("k", vec![2], None)).unwrap();
    assert_eq!(connector.counters.connects(), 1);
    let tiered = TieredBackend::new(MemoryBackend::new(), cache.clone());
    block_on(tiered.set("t", b"v".to_vec(), Some(Duration::from_secs(60)))).unwrap();
    assert_eq!(block_on(cache.get("t")).unwrap(), Some(b"v".to_vec()));
    assert_eq!(block_on(tiered.get("t")).unwrap(), Some(b"v".to_vec()));
    cache.disconnect();
    assert_eq!(block_on(ns.get("k")).unwrap(), Some(vec![2]));
    assert_eq!(connector.counters.connects(), 2);
}

#[test]
fn concurrent_calls_share_the_pipelined_connection_and_get_their_own_replies() {
    let server = MemcachedServer::start();
    let (cache, connector) = backend(&server);
    let barrier = Arc::new(Barrier::new(16));
    let threads: Vec<_> = (0..16)
        .map(|t| {
            let (cache, barrier) = (
                cache.with_namespace(&format!("t{t}")).unwrap(),
                Arc::clone(&barrier),
            );
            thread::spawn(move || {
                barrier.wait();
                for i in 0..50u32 {
                    let key = format!("k{i}");
                    let value = format!("{t}:{i}").into_bytes();
                    block_on(cache.set(&key, value.clone(), None)).unwrap();
                    assert_eq!(block_on(cache.get(&key)).unwrap(), Some(value));
                    if i % 10 == 9 {
                        block_on(cache.clear_all()).unwrap();
                        assert_eq!(block_on(cache.get(&key)).unwrap(), None);
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(connector.counters.connects(), 1);
}

#[test]
fn get_or_set_fills_once_for_50_concurrent_callers_across_two_caches() {
    let server = MemcachedServer::start();
    let (a, _) = backend(&server);
    let (b, _) = backend(&server);
    let fills = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(Barrier::new(50));
    let threads: Vec<_> = (0..50)
        .map(|i| {
            let cache = if i % 2 == 0 { a.clone() } else { b.clone() };
            let (fills, barrier) = (Arc::clone(&fills), Arc::clone(&barrier));
            thread::spawn(move || {
                barrier.wait();
                block_on(cache.get_or_set(
                    "hot",
                    Some(Duration::from_secs(60)),
                    Duration::from_secs(5),
                    || async {
                        fills.fetch_add(1, Ordering::SeqCst);
                        thread::sleep(Duration::from_millis(200));
                        Ok(b"filled".to_vec())
                    },
                    |d| async move { thread::sleep(d) },
                ))
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap().unwrap(), b"filled");
    }
    assert_eq!(fills.load(Ordering::SeqCst), 1);
    // Stored like any set: a plain get reads it.
    assert_eq!(block_on(a.get("hot")).unwrap(), Some(b"filled".to_vec()));
    // A hit calls nothing.
    let again = block_on(b.get_or_set(
        "hot",
        None,
        Duration::from_secs(5),
        || async { panic!("filled on a hit") },
        |_| async {},
    ));
    assert_eq!(again.unwrap(), b"filled");
}

#[test]
fn a_failed_fill_releases_the_claim_when_its_lock_expires() {
    let server = MemcachedServer::start();
    let (a, _) = backend(&server);
    let (b, _) = backend(&server);
    let sleep = |d: Duration| async move { thread::sleep(d) };
    let failed = block_on(a.get_or_set(
        "k",
        None,
        Duration::from_secs(1),
        || async { Err(Error::Backend("origin down".into())) },
        sleep,
    ));
    assert_eq!(code(failed), "EDGECACHE_BACKEND");
    // b waits on the stub until memcached drops it (1 s + its tick), then
    // wins and fills.
    let start = Instant::now();
    let got = block_on(b.get_or_set(
        "k",
        None,
        Duration::from_secs(1),
        || async { Ok(b"second".to_vec()) },
        sleep,
    ))
    .unwrap();
    assert_eq!(got, b"second");
    assert!(start.elapsed() < Duration::from_secs(4));
    assert_eq!(block_on(a.get("k")).unwrap(), Some(b"second".to_vec()));
}

#[test]
fn a_protocol_error_reply_closes_the_connection() {
    // A server that is not memcached (an HTTP-ish answer) is a backend
    // error, and the next call reconnects.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        for stream in listener.incoming().take(2) {
            let mut s = stream.unwrap();
            use std::io::{Read, Write};
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf);
            let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n");
        }
    });
    let connector = TcpConnector::new(addr);
    let cache = MemcachedBackend::builder(connector.clone())
        .build()
        .unwrap();
    assert_eq!(code(block_on(cache.get("k"))), "EDGECACHE_BACKEND");
    assert_eq!(code(block_on(cache.get("k"))), "EDGECACHE_BACKEND");
    assert_eq!(connector.counters.connects(), 2);
}

#[test]
fn the_backend_is_send_sync_clone_and_its_builder_checks_options() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<Backend>();
    let connector = TcpConnector::new(std::net::SocketAddr::from(([127, 0, 0, 1], 1)));
    let bad = |b: edgecache::MemcachedBackendBuilder<TcpConnector>| b.build().unwrap_err().code();
    assert_eq!(
        bad(MemcachedBackend::builder(connector.clone()).namespace("")),
        "EDGECACHE_INVALID_OPTIONS"
    );
    assert_eq!(
        bad(MemcachedBackend::builder(connector.clone()).connect_timeout(Duration::ZERO)),
        "EDGECACHE_INVALID_OPTIONS"
    );
    assert_eq!(
        bad(MemcachedBackend::builder(connector).default_ttl(Duration::ZERO)),
        "EDGECACHE_INVALID_OPTIONS"
    );
    // Unused in this test, but part of the raw client's API.
    let _ = (Flag::Value, Status::Done);
}
