//! The IndexedDB backend in a real browser (`wasm-pack test --headless
//! --chrome -- --test browser`). Every test uses its own database. Raw
//! IndexedDB access (through `indexed_db_futures`, outside the backend) plants
//! corrupt values, inspects what is stored, and plays the other tab.
#![cfg(target_arch = "wasm32")]
// wasm_bindgen_test functions are tests, but clippy does not know them as such.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::future::Future;
use std::pin::pin;
use std::time::Duration;

use edgecache::time::ManualClock;
use edgecache::{
    conformance, key, record, CacheBackend, ExpiryAware, IndexedDbBackend, MemoryBackend,
    TieredBackend,
};
use futures::future::{join_all, select, Either};
use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const T0: u64 = 1_000_000;

/// A database name no other test (or earlier run) uses.
fn unique(test: &str) -> String {
    format!(
        "edgecache-test-{test}-{}",
        (js_sys::Math::random() * 1e12) as u64
    )
}

fn cache(db: &str, clock: &ManualClock) -> IndexedDbBackend {
    IndexedDbBackend::builder()
        .db_name(db)
        .clock(clock.clone())
        .build()
        .unwrap()
}

/// The stored (namespace-encoded) form of a root key.
fn sk(k: &str) -> String {
    key::encode(None, k)
}

async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

/// `fut`'s output, or a test failure if it takes longer than `ms`: a hang is
/// a bug, never a reason to wait for the runner's timeout.
async fn within<T>(ms: i32, what: &str, fut: impl Future<Output = T>) -> T {
    match select(pin!(fut), pin!(sleep(ms))).await {
        Either::Left((out, _)) => out,
        Either::Right(_) => panic!("{what} did not finish within {ms} ms"),
    }
}

fn code<T: std::fmt::Debug>(r: edgecache::Result<T>) -> &'static str {
    r.unwrap_err().code()
}

/// IndexedDB without the backend: the other tab, and a look at what is stored.
mod raw {
    use indexed_db_futures::database::Database;
    use indexed_db_futures::prelude::*;
    use indexed_db_futures::transaction::TransactionMode;
    use wasm_bindgen::JsValue;

    pub const STORE: &str = "entries";

    /// A connection at the database's current version.
    pub async fn open(name: &str) -> Database {
        Database::open(name).build().unwrap().await.unwrap()
    }

    pub async fn put(name: &str, key: &str, value: &JsValue) {
        let db = open(name).await;
        let tx = db
            .transaction(STORE)
            .with_mode(TransactionMode::Readwrite)
            .build()
            .unwrap();
        let store = tx.object_store(STORE).unwrap();
        store
            .put(value.clone())
            .with_key(key)
            .primitive()
            .unwrap()
            .await
            .unwrap();
        drop(store);
        tx.commit().await.unwrap();
        db.close();
    }

    /// The stored value (`Some(undefined)` for a stored `undefined`).
    pub async fn get(name: &str, key: &str) -> Option<JsValue> {
        let db = open(name).await;
        let tx = db.transaction(STORE).build().unwrap();
        let store = tx.object_store(STORE).unwrap();
        let mut found = store
            .get_all::<JsValue>()
            .with_query(key)
            .with_limit(1)
            .primitive()
            .unwrap()
            .await
            .unwrap();
        let value = found.next().transpose().unwrap();
        drop(store);
        drop(tx);
        db.close();
        value
    }

    pub async fn keys(name: &str) -> Vec<String> {
        let db = open(name).await;
        let tx = db.transaction(STORE).build().unwrap();
        let store = tx.object_store(STORE).unwrap();
        let keys = store
            .get_all_keys::<String>()
            .primitive()
            .unwrap()
            .await
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        drop(store);
        drop(tx);
        db.close();
        keys
    }

    /// The sum of the stored `s` fields and the number of entries.
    pub async fn totals(name: &str) -> (u64, u64) {
        let db = open(name).await;
        let tx = db.transaction(STORE).build().unwrap();
        let store = tx.object_store(STORE).unwrap();
        let values = store
            .get_all::<JsValue>()
            .primitive()
            .unwrap()
            .await
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        drop(store);
        drop(tx);
        db.close();
        let bytes = values
            .iter()
            .map(|v| {
                js_sys::Reflect::get(v, &"s".into())
                    .unwrap()
                    .as_f64()
                    .unwrap() as u64
            })
            .sum::<u64>();
        // What a handle without a namespace reports: each entry's size less
        // its 11-byte record header and its 3-byte "0::" key prefix.
        let n = values.len() as u64;
        (n, bytes - n * (11 + 3))
    }
}

fn object(fields: &[(&str, JsValue)]) -> JsValue {
    let obj = Object::new();
    for (name, value) in fields {
        Reflect::set(&obj, &JsValue::from_str(name), value).unwrap();
    }
    obj.into()
}

fn bytes(b: &[u8]) -> JsValue {
    Uint8Array::from(b).into()
}

// ---------------------------------------------------------------- contract

#[wasm_bindgen_test]
async fn passes_the_conformance_suite() {
    let clock = ManualClock::new(T0);
    let store = cache(&unique("conformance"), &clock);
    conformance::run(
        |ns| match ns {
            Some(ns) => store.with_namespace(ns),
            None => Ok(store.clone()),
        },
        &clock,
    )
    .await
    .unwrap();
}

/// The handle is `Send + Sync + Clone + 'static` (the trait demands it)
/// without `unsafe`: it holds only plain Rust data.
#[wasm_bindgen_test]
fn the_handle_is_send_sync_and_clone() {
    fn assert_backend<B: CacheBackend + ExpiryAware + Send + Sync + Clone + 'static>() {}
    assert_backend::<IndexedDbBackend>();
    assert_backend::<TieredBackend<MemoryBackend, IndexedDbBackend>>();
}

#[wasm_bindgen_test]
async fn roundtrips_values_and_expiry_with_the_real_clock() {
    let c = IndexedDbBackend::builder()
        .db_name(unique("roundtrip"))
        .build()
        .unwrap();
    let before = js_sys::Date::now() as u64;
    c.set("k", vec![1, 2, 3], Some(Duration::from_secs(60)))
        .await
        .unwrap();
    c.set("forever", vec![], None).await.unwrap();
    assert_eq!(c.get("k").await.unwrap(), Some(vec![1, 2, 3]));
    let entry = c.get_with_expiry("k").await.unwrap().unwrap();
    let at = entry.expires_at.unwrap();
    assert!(at >= before + 60_000 && at <= js_sys::Date::now() as u64 + 60_000);
    let entries = c.mget_with_expiry(&["forever", "nope"]).await.unwrap();
    assert_eq!(entries[0].as_ref().unwrap().expires_at, None);
    assert_eq!(entries[0].as_ref().unwrap().value, Vec::<u8>::new());
    assert_eq!(entries[1], None);
}

#[wasm_bindgen_test]
async fn build_checks_options_and_opens_nothing() {
    let b = IndexedDbBackend::builder;
    assert_eq!(
        code(b().max_entries(0).build()),
        "EDGECACHE_INVALID_OPTIONS"
    );
    assert_eq!(code(b().max_bytes(11).build()), "EDGECACHE_INVALID_OPTIONS");
    assert_eq!(code(b().db_name("").build()), "EDGECACHE_INVALID_OPTIONS");
    assert_eq!(
        code(b().store_name("").build()),
        "EDGECACHE_INVALID_OPTIONS"
    );
    assert_eq!(
        code(b().store_name("edgecache-meta").build()),
        "EDGECACHE_INVALID_OPTIONS"
    );
    assert_eq!(code(b().namespace("").build()), "EDGECACHE_INVALID_OPTIONS");
    assert_eq!(
        code(b().default_ttl(Duration::ZERO).build()),
        "EDGECACHE_INVALID_OPTIONS"
    );
    assert_eq!(
        code(b().open_timeout(Duration::ZERO).build()),
        "EDGECACHE_INVALID_OPTIONS"
    );
    assert_eq!(code(b().db_version(0).build()), "EDGECACHE_INVALID_OPTIONS");

    let db = unique("lazy");
    let c = b().db_name(&db).build().unwrap();
    let names = database_names().await;
    assert!(!names.contains(&db), "build() created {db}");
    assert!(c.raw_database().is_none());
    assert_eq!(c.transactions_started(), 0);
    assert!(c.health_check().await.unwrap());
    assert!(database_names().await.contains(&db));
    assert!(c.raw_database().is_some());
}

/// `indexedDB.databases()`, called dynamically.
async fn database_names() -> Vec<String> {
    let factory = web_sys::window().unwrap().indexed_db().unwrap().unwrap();
    let databases: js_sys::Function = Reflect::get(&factory, &"databases".into()).unwrap().into();
    let promise: js_sys::Promise = databases.call0(&factory).unwrap().into();
    let list: js_sys::Array = wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .unwrap()
        .into();
    list.iter()
        .map(|d| {
            Reflect::get(&d, &"name".into())
                .unwrap()
                .as_string()
                .unwrap()
        })
        .collect()
}

// ---------------------------------------------------------------- expiry

#[wasm_bindgen_test]
async fn an_expired_entry_is_a_miss_and_is_deleted() {
    let clock = ManualClock::new(T0);
    let db = unique("ttl");
    let c = cache(&db, &clock);
    c.set("k", b"v".to_vec(), Some(Duration::from_secs(5)))
        .await
        .unwrap();
    clock.advance(Duration::from_millis(4_999));
    let entry = c.get_with_expiry("k").await.unwrap().unwrap();
    assert_eq!(entry.expires_at, Some(T0 + 5_000));
    assert!(raw::get(&db, &sk("k")).await.is_some());
    clock.advance(Duration::from_millis(1));
    assert_eq!(c.get("k").await.unwrap(), None);
    assert!(
        raw::get(&db, &sk("k")).await.is_none(),
        "the expired record is deleted by the read that found it"
    );
    let stats = c.stats().await.unwrap();
    assert_eq!((stats.expirations, stats.entries, stats.bytes), (1, 0, 0));
    // The key works as usual afterwards.
    c.set("k", b"w".to_vec(), None).await.unwrap();
    assert_eq!(c.get("k").await.unwrap(), Some(b"w".to_vec()));
}

#[wasm_bindgen_test]
async fn default_ttl_applies_to_writes_without_one() {
    let clock = ManualClock::new(T0);
    let c = IndexedDbBackend::builder()
        .db_name(unique("default-ttl"))
        .default_ttl(Duration::from_secs(10))
        .clock(clock.clone())
        .build()
        .unwrap();
    c.set("a", vec![1], None).await.unwrap();
    c.set("b", vec![2], Some(Duration::from_secs(60)))
        .await
        .unwrap();
    clock.advance(Duration::from_secs(10));
    assert_eq!(
        c.mget(&["a", "b"]).await.unwrap(),
        vec![None, Some(vec![2])]
    );
}

#[wasm_bindgen_test]
async fn purge_goes_through_the_expiry_index_only() {
    let clock = ManualClock::new(T0);
    let db = unique("purge");
    let c = cache(&db, &clock);
    for i in 0..10 {
        c.set(
            &format!("short{i}"),
            vec![0; 50],
            Some(Duration::from_secs(1)),
        )
        .await
        .unwrap();
    }
    for i in 0..3 {
        c.set(
            &format!("long{i}"),
            vec![1],
            Some(Duration::from_secs(3_600)),
        )
        .await
        .unwrap();
        c.set(&format!("forever{i}"), vec![2], None).await.unwrap();
    }
    // A value with no `x` is not in the expiry index; a purge that scanned
    // the values would find it undecodable and delete it.
    raw::put(&db, &sk("junk"), &JsValue::from_str("not a record")).await;
    clock.advance(Duration::from_secs(2));

    assert_eq!(c.purge_expired().await.unwrap(), 10);
    let mut keys = raw::keys(&db).await;
    keys.sort();
    let mut expected: Vec<String> = ["forever0", "forever1", "forever2", "junk"]
        .into_iter()
        .chain(["long0", "long1", "long2"])
        .map(sk)
        .collect();
    expected.sort();
    assert_eq!(keys, expected);
    for i in 0..3 {
        assert_eq!(c.get(&format!("long{i}")).await.unwrap(), Some(vec![1]));
    }
    let stats = c.stats().await.unwrap();
    assert_eq!((stats.entries, stats.expirations), (6, 10));
    assert_eq!(c.purge_expired().await.unwrap(), 0);
}

#[wasm_bindgen_test]
async fn writes_purge_a_few_expired_entries_on_the_way() {
    let clock = ManualClock::new(T0);
    let db = unique("purge-on-write");
    let c = cache(&db, &clock);
    for i in 0..20 {
        c.set(&format!("e{i}"), vec![0], Some(Duration::from_secs(1)))
            .await
            .unwrap();
    }
    clock.advance(Duration::from_secs(1));
    c.set("new", vec![1], None).await.unwrap();
    // 8 per write batch, without any bound pressing.
    assert_eq!(raw::keys(&db).await.len(), 1 + 20 - 8);
    // A look that found a full 8 makes the next batch look again at once.
    c.set("new2", vec![1], None).await.unwrap();
    assert_eq!(raw::keys(&db).await.len(), 2 + 20 - 16);
    c.set("new3", vec![1], None).await.unwrap();
    assert_eq!(raw::keys(&db).await.len(), 3, "the last 4 expired");

    // That look found fewer than 8: the next look waits a second (by the
    // backend's clock), however many batches come and expire meanwhile.
    for i in 0..5 {
        c.set(&format!("f{i}"), vec![0], Some(Duration::from_millis(1)))
            .await
            .unwrap();
    }
    clock.advance(Duration::from_millis(999));
    c.set("new4", vec![1], None).await.unwrap();
    assert_eq!(
        raw::keys(&db).await.len(),
        4 + 5,
        "no look within the second"
    );
    clock.advance(Duration::from_millis(1));
    c.set("new5", vec![1], None).await.unwrap();
    assert_eq!(raw::keys(&db).await.len(), 5, "the look a second later");
}

// ---------------------------------------------------------------- corrupt data

#[wasm_bindgen_test]
async fn corrupt_foreign_and_mistyped_values_are_misses_and_are_removed() {
    let clock = ManualClock::new(T0);
    let db = unique("corrupt");
    let c = cache(&db, &clock);
    c.set("good", b"fine".to_vec(), None).await.unwrap();
    // An entry the backend wrote, whose record was then truncated in place
    // (its `w` and `s` survive, so it is counted in the totals).
    c.set("truncated", b"0123456789".to_vec(), None)
        .await
        .unwrap();
    let stored = raw::get(&db, &sk("truncated")).await.unwrap();
    let full = record::encode(None, b"0123456789");
    Reflect::set(&stored, &"r".into(), &bytes(&full[..7])).unwrap();
    raw::put(&db, &sk("truncated"), &stored).await;

    let mut future = record::encode(None, b"v2");
    future[1] = record::VERSION + 1;
    let mut bad_flags = record::encode(None, b"x");
    bad_flags[2] = 0x80;
    let planted: Vec<(&str, JsValue)> = vec![
        ("string", JsValue::from_str("garbage")),
        ("number", JsValue::from_f64(42.0)),
        ("null", JsValue::NULL),
        ("undefined", JsValue::UNDEFINED),
        ("object", object(&[("foo", JsValue::from_f64(1.0))])),
        ("json", object(&[("r", bytes(br#"{"json":true}"#))])),
        ("empty", object(&[("r", bytes(&[]))])),
        (
            "header-only-prefix",
            object(&[("r", bytes(&[record::MAGIC]))]),
        ),
        ("future-format", object(&[("r", bytes(&future))])),
        ("unknown-flags", object(&[("r", bytes(&bad_flags))])),
        (
            "array-not-bytes",
            object(&[("r", js_sys::Array::of2(&236.into(), &1.into()).into())]),
        ),
        (
            "arraybuffer",
            object(&[("r", Uint8Array::from(&full[..]).buffer().into())]),
        ),
        ("text", object(&[("r", JsValue::from_str("ec..."))])),
    ];
    for (k, value) in &planted {
        raw::put(&db, &sk(k), value).await;
    }

    for (k, _) in &planted {
        assert_eq!(c.get(k).await.unwrap(), None, "{k}");
        assert!(raw::get(&db, &sk(k)).await.is_none(), "{k} was not removed");
    }
    assert_eq!(c.get("truncated").await.unwrap(), None);
    assert!(raw::get(&db, &sk("truncated")).await.is_none());

    // Batched reads treat them the same way (they read with `get`, which
    // answers `undefined` for a stored `undefined` and for a missing key
    // alike; both must still come out right).
    raw::put(&db, &sk("string"), &JsValue::from_str("again")).await;
    raw::put(&db, &sk("number"), &JsValue::from_f64(7.0)).await;
    raw::put(&db, &sk("undefined"), &JsValue::UNDEFINED).await;
    let got = c
        .mget(&["string", "good", "undefined", "absent", "number"])
        .await
        .unwrap();
    assert_eq!(got, vec![None, Some(b"fine".to_vec()), None, None, None]);
    assert_eq!(raw::keys(&db).await, vec![sk("good")]);

    // Every key works again, and the totals match what is stored.
    for (k, _) in &planted {
        c.set(k, k.as_bytes().to_vec(), None).await.unwrap();
        assert_eq!(c.get(k).await.unwrap(), Some(k.as_bytes().to_vec()));
    }
    let stats = c.stats().await.unwrap();
    assert_eq!((stats.entries, stats.bytes), raw::totals(&db).await);
}

// ---------------------------------------------------------------- persistence

#[wasm_bindgen_test]
async fn data_survives_close_and_is_shared_by_instances() {
    let clock = ManualClock::new(T0);
    let db = unique("persist");
    let c = cache(&db, &clock);
    c.set("k", b"kept".to_vec(), Some(Duration::from_secs(60)))
        .await
        .unwrap();
    let first = c.raw_database().unwrap();
    c.close();
    assert!(c.raw_database().is_none());
    assert_eq!(c.get("k").await.unwrap(), Some(b"kept".to_vec()));
    assert_ne!(c.raw_database().unwrap(), first, "reopened");

    // Another instance (another connection) on the same database.
    let other = cache(&db, &clock);
    assert_eq!(other.get("k").await.unwrap(), Some(b"kept".to_vec()));
    other.set("k2", b"from other".to_vec(), None).await.unwrap();
    assert_eq!(c.get("k2").await.unwrap(), Some(b"from other".to_vec()));

    // Dropping every handle closes the connection; the data stays.
    drop(c);
    drop(other);
    let later = cache(&db, &clock);
    assert_eq!(
        later
            .get_with_expiry("k")
            .await
            .unwrap()
            .unwrap()
            .expires_at,
        Some(T0 + 60_000)
    );
    assert_eq!(later.stats().await.unwrap().entries, 2);
}

// ---------------------------------------------------------------- other tabs

#[wasm_bindgen_test]
async fn another_tab_upgrading_is_not_blocked_and_we_fail_clearly_after() {
    use indexed_db_futures::prelude::*;
    let clock = ManualClock::new(T0);
    let db = unique("upgrade");
    let c = cache(&db, &clock);
    c.set("k", b"v".to_vec(), None).await.unwrap();
    assert!(c.raw_database().is_some());

    // The other tab opens version 2: our connection must step aside.
    let other = within(5_000, "the other tab's upgrade", async {
        indexed_db_futures::database::Database::open(db.as_str())
            .with_version(2u32)
            .with_on_upgrade_needed(|_, db| {
                db.create_object_store("extra").build()?;
                Ok(())
            })
            .build()
            .unwrap()
            .await
    })
    .await
    .unwrap();
    assert!(
        c.raw_database().is_none(),
        "versionchange dropped the connection"
    );

    // Version 2 is newer than we understand: a clear error, promptly, and
    // the stored data is left alone.
    let err = within(5_000, "reopening", c.get("k")).await.unwrap_err();
    assert_eq!(err.code(), "EDGECACHE_UNAVAILABLE");
    assert!(err.to_string().contains("newer schema"), "{err}");
    assert_eq!(
        code(within(5_000, "writing", c.set("k", vec![], None)).await),
        "EDGECACHE_UNAVAILABLE"
    );
    other.close();
    assert!(raw::get(&db, &sk("k")).await.is_some());
}

#[wasm_bindgen_test]
async fn a_newer_build_in_another_tab_takes_over_and_keeps_the_data() {
    let clock = ManualClock::new(T0);
    let db = unique("two-builds");
    let old = cache(&db, &clock);
    old.set("k", b"v".to_vec(), None).await.unwrap();
    let new = IndexedDbBackend::builder()
        .db_name(&db)
        .db_version(2)
        .clock(clock.clone())
        .build()
        .unwrap();
    let got = within(5_000, "the newer build's first read", new.get("k")).await;
    assert_eq!(got.unwrap(), Some(b"v".to_vec()));
    assert_eq!(
        code(within(5_000, "the older build", old.get("k")).await),
        "EDGECACHE_UNAVAILABLE"
    );
}

#[wasm_bindgen_test]
async fn another_tab_deleting_the_database_is_not_blocked_and_we_recreate_it() {
    let clock = ManualClock::new(T0);
    let db = unique("deleted");
    let c = cache(&db, &clock);
    c.set("k", b"v".to_vec(), None).await.unwrap();
    within(5_000, "deleteDatabase", async {
        indexed_db_futures::database::Database::delete_by_name(&db)
            .unwrap()
            .await
            .unwrap()
    })
    .await;
    assert_eq!(c.get("k").await.unwrap(), None);
    c.set("k2", b"w".to_vec(), None).await.unwrap();
    assert_eq!(c.get("k2").await.unwrap(), Some(b"w".to_vec()));
    assert_eq!(c.stats().await.unwrap().entries, 1);
}

#[wasm_bindgen_test]
async fn a_blocked_upgrade_fails_fast_and_completes_when_unblocked() {
    let clock = ManualClock::new(T0);
    let db = unique("blocked");
    let v1 = cache(&db, &clock);
    v1.set("k", b"v".to_vec(), None).await.unwrap();
    drop(v1);
    // An old tab that ignores versionchange keeps version 1 open.
    let holder = raw::open(&db).await;

    let v2 = IndexedDbBackend::builder()
        .db_name(&db)
        .db_version(2)
        .clock(clock.clone())
        .build()
        .unwrap();
    let err = within(5_000, "a blocked open", v2.get("k"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "EDGECACHE_BLOCKED", "{err}");
    assert_eq!(
        code(
            within(
                1_000,
                "a second call while blocked",
                v2.set("x", vec![], None)
            )
            .await
        ),
        "EDGECACHE_BLOCKED"
    );

    holder.close();
    let mut value = None;
    for _ in 0..100 {
        match v2.get("k").await {
            Ok(v) => {
                value = v;
                break;
            }
            Err(e) => assert_eq!(e.code(), "EDGECACHE_BLOCKED"),
        }
        sleep(20).await;
    }
    assert_eq!(value, Some(b"v".to_vec()), "the upgrade completed");
    v2.set("x", vec![1], None).await.unwrap();
}

#[wasm_bindgen_test]
async fn an_open_queued_behind_another_tab_times_out_instead_of_hanging() {
    let clock = ManualClock::new(T0);
    let db = unique("queued");
    let first = cache(&db, &clock);
    first.set("k", vec![1], None).await.unwrap();
    drop(first);
    // An old tab that ignores versionchange, and another tab deleting the
    // database: the deletion waits for the old tab, and our open (queued
    // behind the deletion) gets no event at all.
    let holder = raw::open(&db).await;
    let deletion = indexed_db_futures::database::Database::delete_by_name(&db).unwrap();
    let c = IndexedDbBackend::builder()
        .db_name(&db)
        .open_timeout(Duration::from_millis(300))
        .clock(clock)
        .build()
        .unwrap();
    let err = within(5_000, "an open queued behind a deletion", c.get("k"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "EDGECACHE_BLOCKED", "{err}");
    assert!(err.to_string().contains("within 300 ms"), "{err}");
    assert_eq!(
        code(within(1_000, "a call while still queued", c.get("k")).await),
        "EDGECACHE_BLOCKED"
    );

    holder.close();
    within(5_000, "the deletion", deletion).await.unwrap();
    let mut answer = None;
    for _ in 0..100 {
        if let Ok(v) = c.get("k").await {
            answer = Some(v);
            break;
        }
        sleep(20).await;
    }
    assert_eq!(
        answer,
        Some(None),
        "opened a fresh database after the deletion"
    );
    c.set("k", vec![2], None).await.unwrap();
    assert_eq!(c.get("k").await.unwrap(), Some(vec![2]));
}

#[wasm_bindgen_test]
async fn a_connection_closed_underneath_is_reopened_transparently() {
    let clock = ManualClock::new(T0);
    let c = cache(&unique("closed"), &clock);
    c.set("k", b"v".to_vec(), None).await.unwrap();

    // close() behind the backend's back: no event fires.
    c.raw_database().unwrap().close();
    c.set("k2", b"w".to_vec(), None).await.unwrap();
    c.raw_database().unwrap().close();
    assert_eq!(c.get("k").await.unwrap(), Some(b"v".to_vec()));
    c.raw_database().unwrap().close();
    assert_eq!(
        c.mget(&["k", "k2"]).await.unwrap(),
        vec![Some(b"v".to_vec()), Some(b"w".to_vec())]
    );
    c.raw_database().unwrap().close();
    assert_eq!(c.stats().await.unwrap().entries, 2);
    c.raw_database().unwrap().close();
    c.mdelete(&["k"]).await.unwrap();
    c.raw_database().unwrap().close();
    assert_eq!(c.purge_expired().await.unwrap(), 0);
    c.raw_database().unwrap().close();
    c.clear_all().await.unwrap();
    assert_eq!(c.get("k2").await.unwrap(), None);

    // The browser closing it (a `close` event) is handled too.
    let raw = c.raw_database().unwrap();
    raw.close();
    raw.dispatch_event(&web_sys::Event::new("close").unwrap())
        .unwrap();
    assert!(c.raw_database().is_none(), "the close event dropped it");
    c.set("k3", vec![3], None).await.unwrap();
    assert_eq!(c.get("k3").await.unwrap(), Some(vec![3]));
}

/// Runs `fut` with `window.indexedDB` replaced by `factory`, restoring it
/// before returning (whatever `fut` returned).
async fn with_indexeddb<T>(factory: &JsValue, fut: impl Future<Output = T>) -> T {
    let window: Object = web_sys::window().unwrap().into();
    let name = JsValue::from_str("indexedDB");
    let original = Object::get_own_property_descriptor(&window, &name);
    let shadow = object(&[("value", factory.clone()), ("configurable", JsValue::TRUE)]);
    Object::define_property(&window, &name, shadow.unchecked_ref());
    let out = fut.await;
    if original.is_undefined() {
        Reflect::delete_property(&window, &name).unwrap();
    } else {
        Object::define_property(&window, &name, original.unchecked_ref());
    }
    out
}

#[wasm_bindgen_test]
async fn without_indexeddb_calls_fail_with_unavailable() {
    let c = IndexedDbBackend::builder()
        .db_name(unique("unavailable"))
        .build()
        .unwrap();
    let (get, set, health) = with_indexeddb(&JsValue::UNDEFINED, async {
        (
            c.get("k").await,
            c.set("k", vec![1], None).await,
            c.health_check().await,
        )
    })
    .await;
    assert_eq!(code(get), "EDGECACHE_UNAVAILABLE");
    assert_eq!(code(set), "EDGECACHE_UNAVAILABLE");
    assert_eq!(code(health), "EDGECACHE_UNAVAILABLE");
    // Usable once IndexedDB is back.
    c.set("k", vec![1], None).await.unwrap();
    assert_eq!(c.get("k").await.unwrap(), Some(vec![1]));
}

/// A real `QuotaExceededError`: a storage bucket (Chromium's Storage Buckets
/// API) with a 200 kB quota, whose `IDBFactory` the backend picks up as
/// `indexedDB` while it opens its connection.
#[wasm_bindgen_test]
async fn quota_exceeded_fails_the_batch_keeps_the_data_and_removals_still_work() {
    let navigator = Reflect::get(&web_sys::window().unwrap(), &"navigator".into()).unwrap();
    let buckets = Reflect::get(&navigator, &"storageBuckets".into()).unwrap();
    assert!(
        !buckets.is_undefined(),
        "this test needs Chromium's Storage Buckets API"
    );
    let open: js_sys::Function = Reflect::get(&buckets, &"open".into())
        .unwrap()
        .unchecked_into();
    let options = object(&[("quota", JsValue::from_f64(200_000.0))]);
    let bucket = open
        .call2(&buckets, &JsValue::from_str(&unique("bucket")), &options)
        .unwrap();
    let bucket = wasm_bindgen_futures::JsFuture::from(js_sys::Promise::from(bucket))
        .await
        .unwrap();
    let factory = Reflect::get(&bucket, &"indexedDB".into()).unwrap();

    let clock = ManualClock::new(T0);
    let c = cache("quota", &clock);
    assert!(with_indexeddb(&factory, c.health_check()).await.unwrap());
    c.set("kept", vec![1; 100], None).await.unwrap();
    c.set("gone", vec![2; 100], None).await.unwrap();
    let before = c.stats().await.unwrap();

    // 20 x 50 kB in one batch: the transaction aborts at commit, and every
    // caller gets the error.
    let keys: Vec<String> = (0..20).map(|i| format!("big{i}")).collect();
    let tx0 = c.transactions_started();
    let results = join_all(keys.iter().map(|k| c.set(k, vec![3; 50_000], None))).await;
    assert_eq!(c.transactions_started() - tx0, 1);
    for r in &results {
        assert_eq!(r.as_ref().unwrap_err().code(), "EDGECACHE_QUOTA_EXCEEDED");
    }

    // Nothing of the batch was written; earlier data and totals are intact.
    assert_eq!(c.get("kept").await.unwrap(), Some(vec![1; 100]));
    assert_eq!(c.mget(&["big0", "big19"]).await.unwrap(), vec![None, None]);
    let after = c.stats().await.unwrap();
    assert_eq!((after.entries, after.bytes), (before.entries, before.bytes));

    // Removals still commit (and keep the totals right), so space can be freed.
    c.delete("gone").await.unwrap();
    assert_eq!(c.get("gone").await.unwrap(), None);
    let s = c.stats().await.unwrap();
    assert_eq!((s.entries, s.bytes), (1, before.bytes / 2));
    c.clear_all().await.unwrap();
    assert_eq!(c.get("kept").await.unwrap(), None);
    assert_eq!(c.stats().await.unwrap().entries, 0);
    c.close();
}

#[wasm_bindgen_test]
async fn a_database_without_our_store_is_refused_clearly() {
    let clock = ManualClock::new(T0);
    let db = unique("other-store");
    cache(&db, &clock).set("k", vec![1], None).await.unwrap();
    let c = IndexedDbBackend::builder()
        .db_name(&db)
        .store_name("elsewhere")
        .clock(clock)
        .build()
        .unwrap();
    let err = c.get("k").await.unwrap_err();
    assert_eq!(err.code(), "EDGECACHE_INVALID_OPTIONS");
    assert!(err.to_string().contains("elsewhere"), "{err}");
}

// ---------------------------------------------------------------- batching

#[wasm_bindgen_test]
async fn concurrent_sets_share_one_transaction_and_resolve_after_it() {
    let clock = ManualClock::new(T0);
    let db = unique("batch");
    let c = cache(&db, &clock);
    assert!(c.health_check().await.unwrap()); // the connection is open
    let keys: Vec<String> = (0..100).map(|i| format!("k{i}")).collect();

    let before = c.transactions_started();
    let results = join_all(
        keys.iter()
            .enumerate()
            .map(|(i, k)| c.set(k, vec![i as u8], None)),
    )
    .await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(
        c.transactions_started() - before,
        1,
        "one write transaction"
    );
    // Resolved means committed: another connection sees every value.
    assert_eq!(raw::keys(&db).await.len(), 100);

    let key_refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let before = c.transactions_started();
    let values = c.mget(&key_refs).await.unwrap();
    assert_eq!(c.transactions_started() - before, 1, "one read transaction");
    assert!(values
        .iter()
        .enumerate()
        .all(|(i, v)| v.as_deref() == Some(&[i as u8][..])));

    let before = c.transactions_started();
    c.mdelete(&key_refs).await.unwrap();
    assert_eq!(
        c.transactions_started() - before,
        1,
        "one delete transaction"
    );
    assert_eq!(raw::keys(&db).await.len(), 0);
}

#[wasm_bindgen_test]
async fn the_last_write_of_a_key_in_a_batch_wins() {
    let clock = ManualClock::new(T0);
    let c = cache(&unique("last-wins"), &clock);
    let other = c.with_namespace("ns").unwrap();
    c.health_check().await.unwrap();
    let before = c.transactions_started();
    let (a, b, d, e, f) = futures::join!(
        c.set("k", b"first".to_vec(), None),
        c.set("k", b"second".to_vec(), None),
        c.set("gone", b"x".to_vec(), None),
        c.delete("gone"),
        other.set("k", b"namespaced".to_vec(), None),
    );
    for r in [a, b, d, e, f] {
        r.unwrap();
    }
    assert_eq!(c.transactions_started() - before, 1);
    assert_eq!(c.get("k").await.unwrap(), Some(b"second".to_vec()));
    assert_eq!(c.get("gone").await.unwrap(), None);
    assert_eq!(other.get("k").await.unwrap(), Some(b"namespaced".to_vec()));
    assert_eq!(c.stats().await.unwrap().entries, 2);
}

#[wasm_bindgen_test]
async fn sets_from_tasks_spawned_in_the_same_tick_share_a_batch() {
    let clock = ManualClock::new(T0);
    let c = cache(&unique("spawned"), &clock);
    c.health_check().await.unwrap();
    let before = c.transactions_started();
    let mut done = Vec::new();
    for i in 0..10u8 {
        let (tx, rx) = futures::channel::oneshot::channel();
        let c = c.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let _ = tx.send(c.set(&format!("k{i}"), vec![i], None).await);
        });
        done.push(rx);
    }
    for rx in done {
        rx.await.unwrap().unwrap();
    }
    assert_eq!(c.transactions_started() - before, 1);
}

/// The measurement behind write coalescing (a ratio in one run, not a timed
/// assertion): 1,000 concurrent sets against 1,000 sequential ones.
#[wasm_bindgen_test]
async fn write_coalescing_measurement() {
    let c = IndexedDbBackend::builder()
        .db_name(unique("measure"))
        .build()
        .unwrap();
    c.health_check().await.unwrap();
    let n = 1_000;
    let value = vec![7u8; 100];

    let (tx0, t0) = (c.transactions_started(), js_sys::Date::now());
    let keys: Vec<String> = (0..n).map(|i| format!("c{i}")).collect();
    let results = join_all(keys.iter().map(|k| c.set(k, value.clone(), None))).await;
    assert!(results.iter().all(Result::is_ok));
    let (concurrent_tx, concurrent_ms) = (c.transactions_started() - tx0, js_sys::Date::now() - t0);

    let (tx0, t0) = (c.transactions_started(), js_sys::Date::now());
    for i in 0..n {
        c.set(&format!("s{i}"), value.clone(), None).await.unwrap();
    }
    let (sequential_tx, sequential_ms) = (c.transactions_started() - tx0, js_sys::Date::now() - t0);

    console_log!(
        "write coalescing, {n} sets of 100 bytes: concurrent {concurrent_tx} transaction(s) \
         in {concurrent_ms} ms; sequential {sequential_tx} transactions in {sequential_ms} ms \
         ({:.1}x)",
        sequential_ms / concurrent_ms.max(1.0)
    );
    assert_eq!(concurrent_tx, 1);
    assert_eq!(sequential_tx, n);
    assert_eq!(c.stats().await.unwrap().entries, 2 * n);
}

// ---------------------------------------------------------------- bounds

#[wasm_bindgen_test]
async fn max_entries_evicts_expired_first_then_oldest_written() {
    let clock = ManualClock::new(T0);
    let db = unique("max-entries");
    let c = IndexedDbBackend::builder()
        .db_name(&db)
        .max_entries(4)
        .clock(clock.clone())
        .build()
        .unwrap();
    c.set("old", vec![0], None).await.unwrap();
    c.set("expiring", vec![1], Some(Duration::from_secs(1)))
        .await
        .unwrap();
    c.set("a", vec![2], None).await.unwrap();
    c.set("b", vec![3], None).await.unwrap();
    clock.advance(Duration::from_secs(1));

    // One over: the expired entry goes, although "old" was written earlier.
    c.set("c", vec![4], None).await.unwrap();
    let mut keys = raw::keys(&db).await;
    keys.sort();
    assert_eq!(keys, ["a", "b", "c", "old"].map(sk));

    // No expired entries left: the oldest-written go.
    c.set("d", vec![5], None).await.unwrap();
    c.set("a", vec![6], None).await.unwrap(); // rewriting makes "a" newest
    c.set("e", vec![7], None).await.unwrap();
    let mut keys = raw::keys(&db).await;
    keys.sort();
    assert_eq!(keys, ["a", "c", "d", "e"].map(sk));

    // A batch larger than the bound keeps its newest writes.
    let keys: Vec<String> = (0..6).map(|i| format!("n{i}")).collect();
    let results = join_all(keys.iter().zip(0u8..).map(|(k, i)| c.set(k, vec![i], None))).await;
    assert!(results.iter().all(Result::is_ok));
    let mut keys = raw::keys(&db).await;
    keys.sort();
    assert_eq!(keys, ["n2", "n3", "n4", "n5"].map(sk));
    let stats = c.stats().await.unwrap();
    assert_eq!(stats.entries, 4);
    assert_eq!(stats.evictions, 2 + 6);
    assert_eq!(stats.expirations, 1);
    assert_eq!((stats.entries, stats.bytes), raw::totals(&db).await);
}

#[wasm_bindgen_test]
async fn max_bytes_holds_and_overwrites_are_accounted() {
    let clock = ManualClock::new(T0);
    let db = unique("max-bytes");
    let c = IndexedDbBackend::builder()
        .db_name(&db)
        .max_bytes(400)
        .clock(clock.clone())
        .build()
        .unwrap();
    // The bound charges "0::kN" (5 bytes) + 11-byte header + 100 bytes =
    // 116 per entry; stats report the key and value: 102.
    for i in 0..3 {
        c.set(&format!("k{i}"), vec![0; 100], None).await.unwrap();
    }
    assert_eq!(c.stats().await.unwrap().bytes, 306);
    // Overwriting with a smaller value subtracts the old size.
    c.set("k0", vec![0; 10], None).await.unwrap();
    assert_eq!(c.stats().await.unwrap().bytes, 306 - 90);
    c.set("k3", vec![0; 100], None).await.unwrap(); // 374
                                                    // 490 > 400: the oldest-written goes (k1; k0 was rewritten since).
    c.set("k4", vec![0; 100], None).await.unwrap();
    let mut keys = raw::keys(&db).await;
    keys.sort();
    assert_eq!(keys, ["k0", "k2", "k3", "k4"].map(sk));
    let stats = c.stats().await.unwrap();
    assert_eq!(
        (stats.entries, stats.bytes, stats.evictions),
        (4, 374 - 4 * 14, 1)
    );
    assert_eq!((stats.entries, stats.bytes), raw::totals(&db).await);
}

#[wasm_bindgen_test]
async fn a_value_larger_than_max_bytes_is_refused_before_writing() {
    let clock = ManualClock::new(T0);
    let db = unique("too-large");
    let c = IndexedDbBackend::builder()
        .db_name(&db)
        .max_bytes(400)
        .clock(clock)
        .build()
        .unwrap();
    c.set("small", vec![1], None).await.unwrap();
    let before = c.transactions_started();
    let err = c.set("big", vec![0; 400], None).await.unwrap_err();
    assert_eq!(
        err,
        edgecache::Error::ValueTooLarge {
            size: 6 + 11 + 400,
            limit: 400
        }
    );
    // An overwrite that is too large keeps the old value.
    assert_eq!(
        code(c.set("small", vec![0; 1_000], None).await),
        "EDGECACHE_VALUE_TOO_LARGE"
    );
    assert_eq!(c.transactions_started(), before, "nothing was attempted");
    assert_eq!(c.get("small").await.unwrap(), Some(vec![1]));
    assert_eq!(raw::keys(&db).await, vec![sk("small")]);
}

/// Unbounded handles keep no totals: their puts leave the totals record
/// alone (their newer write stamps show it is stale), their removals delete
/// it. A bounded handle on the same store still sees exact totals, and
/// still enforces its bound, by recounting when the record is stale.
#[wasm_bindgen_test]
async fn bounded_and_unbounded_handles_on_one_store_agree_on_the_totals() {
    let clock = ManualClock::new(T0);
    let db = unique("mixed");
    let bounded = IndexedDbBackend::builder()
        .db_name(&db)
        .max_entries(5)
        .clock(clock.clone())
        .build()
        .unwrap();
    let unbounded = cache(&db, &clock);
    bounded.set("a", vec![1; 10], None).await.unwrap();
    assert_eq!(
        bounded.stats().await.unwrap().entries,
        1,
        "the record is fresh"
    );
    // Same clock tick: stamps still increase across handles of one tab.
    unbounded.set("b", vec![2; 20], None).await.unwrap();
    unbounded.set("a", vec![3; 30], None).await.unwrap();
    for c in [&bounded, &unbounded] {
        let s = c.stats().await.unwrap();
        assert_eq!((s.entries, s.bytes), raw::totals(&db).await);
        assert_eq!(s.entries, 2);
    }
    unbounded.delete("b").await.unwrap();
    let s = bounded.stats().await.unwrap();
    assert_eq!((s.entries, s.bytes), raw::totals(&db).await);
    assert_eq!(s.entries, 1);

    // 1 + 6 entries written around the bounded handle; its next write
    // recounts and evicts the oldest-written down to its bound.
    for i in 0..6 {
        unbounded
            .set(&format!("u{i}"), vec![4], None)
            .await
            .unwrap();
    }
    bounded.set("z", vec![5], None).await.unwrap();
    let mut keys = raw::keys(&db).await;
    keys.sort();
    assert_eq!(keys, ["u2", "u3", "u4", "u5", "z"].map(sk));
    let s = bounded.stats().await.unwrap();
    assert_eq!((s.entries, s.bytes), raw::totals(&db).await);
    assert_eq!((s.entries, s.evictions), (5, 3));
}

// ---------------------------------------------------------------- namespaces, stats

#[wasm_bindgen_test]
async fn clear_all_clears_one_namespace_and_keeps_the_totals() {
    let clock = ManualClock::new(T0);
    let db = unique("namespaces");
    let root = cache(&db, &clock);
    let a = root.with_namespace("a").unwrap();
    let a_colon = root.with_namespace("a:").unwrap();
    let a_semi = root.with_namespace("a;").unwrap();
    let b = root.with_namespace("b").unwrap();
    for (i, k) in ["x", "zz", "~", "\u{FFFF}", "🔑"].iter().enumerate() {
        a.set(k, vec![i as u8], None).await.unwrap();
    }
    a_colon.set("x", vec![10], None).await.unwrap();
    a_semi.set("x", vec![11], None).await.unwrap();
    b.set("x", vec![12], None).await.unwrap();
    root.set("1:a:x", vec![13], None).await.unwrap(); // looks like a's key
    assert_eq!(a.get("x").await.unwrap(), Some(vec![0]));
    assert_eq!(root.get("1:a:x").await.unwrap(), Some(vec![13]));

    a.clear_all().await.unwrap();
    for k in ["x", "zz", "~", "\u{FFFF}", "🔑"] {
        assert_eq!(a.get(k).await.unwrap(), None, "{k}");
    }
    assert_eq!(a_colon.get("x").await.unwrap(), Some(vec![10]));
    assert_eq!(a_semi.get("x").await.unwrap(), Some(vec![11]));
    assert_eq!(b.get("x").await.unwrap(), Some(vec![12]));
    assert_eq!(root.get("1:a:x").await.unwrap(), Some(vec![13]));
    let stats = root.stats().await.unwrap();
    assert_eq!(stats.entries, 4);
    assert_eq!((stats.entries, stats.bytes), raw::totals(&db).await);

    root.clear_all().await.unwrap();
    assert_eq!(root.get("1:a:x").await.unwrap(), None);
    assert_eq!(b.get("x").await.unwrap(), Some(vec![12]));
    assert_eq!(root.stats().await.unwrap().entries, 3);
}

#[wasm_bindgen_test]
async fn stats_count_every_outcome() {
    let clock = ManualClock::new(T0);
    let db = unique("stats");
    let c = IndexedDbBackend::builder()
        .db_name(&db)
        .max_entries(2)
        .clock(clock.clone())
        .build()
        .unwrap();
    c.set("a", vec![1], Some(Duration::from_millis(5)))
        .await
        .unwrap();
    c.get("a").await.unwrap(); // hit
    c.get("zz").await.unwrap(); // miss
    clock.advance(Duration::from_millis(5));
    c.get("a").await.unwrap(); // miss + expiration
    c.set("b", vec![1], None).await.unwrap();
    c.set("c", vec![1], None).await.unwrap();
    c.set("d", vec![1], None).await.unwrap(); // evicts b

    // exists is not a read: counted as neither a hit nor a miss.
    assert!(c.exists("c").await.unwrap());
    assert!(!c.exists("zz").await.unwrap());
    let s = c.stats().await.unwrap();
    assert_eq!((s.hits, s.misses, s.inserts), (1, 2, 4));
    assert_eq!((s.evictions, s.expirations, s.entries), (1, 1, 2));
    // The key "c" and a 1-byte value: 2 bytes each (stored: "0::c" + 11 + 1).
    assert_eq!(s.bytes, 4);
    // A namespaced handle shares the counters and the store.
    let n = c.with_namespace("n").unwrap();
    n.get("c").await.unwrap();
    assert_eq!(c.stats().await.unwrap().misses, 3);
}

// ---------------------------------------------------------------- tiered

#[wasm_bindgen_test]
async fn tiered_memory_over_indexeddb_passes_the_conformance_suite() {
    let clock = ManualClock::new(T0);
    let l1 = MemoryBackend::builder()
        .max_entries(1_000)
        .clock(clock.clone())
        .build()
        .unwrap();
    let l2 = cache(&unique("tiered"), &clock);
    conformance::run(
        |ns| {
            let (a, b) = match ns {
                Some(ns) => (l1.with_namespace(ns)?, l2.with_namespace(ns)?),
                None => (l1.clone(), l2.clone()),
            };
            Ok(TieredBackend::with_clock(a, b, clock.clone()))
        },
        &clock,
    )
    .await
    .unwrap();
}

#[wasm_bindgen_test]
async fn an_indexeddb_hit_fills_the_memory_tier_for_its_remaining_ttl() {
    let clock = ManualClock::new(T0);
    let l1 = MemoryBackend::builder()
        .max_entries(100)
        .clock(clock.clone())
        .build()
        .unwrap();
    let l2 = cache(&unique("tiered-fill"), &clock);
    let tiered = TieredBackend::with_clock(l1.clone(), l2.clone(), clock.clone());
    l2.set("k", b"v".to_vec(), Some(Duration::from_secs(10)))
        .await
        .unwrap();
    clock.advance(Duration::from_secs(7));
    assert_eq!(l1.get("k").await.unwrap(), None);
    assert_eq!(tiered.get("k").await.unwrap(), Some(b"v".to_vec()));
    assert_eq!(
        l1.get_with_expiry("k").await.unwrap().unwrap().expires_at,
        Some(T0 + 10_000)
    );
    // Served from L1 now: no IndexedDB transaction.
    let before = l2.transactions_started();
    assert_eq!(tiered.get("k").await.unwrap(), Some(b"v".to_vec()));
    assert_eq!(l2.transactions_started(), before);
    clock.advance(Duration::from_secs(3));
    assert_eq!(tiered.get("k").await.unwrap(), None);
}
