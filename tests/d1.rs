//! `D1Backend` inside a real wasm32 instance (`wasm-pack test --node -- --test d1`)
//! against a REAL local D1: Miniflare 4's Node-side proxy to workerd's D1
//! (`tests/support/miniflare-d1.mjs`), wrapped in a double that counts calls
//! and injects faults. Every test starts its own Miniflare (an empty database).
#![cfg(target_arch = "wasm32")]
// wasm_bindgen_test functions are tests, but clippy does not know them as such.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Duration;

use edgecache::time::ManualClock;
use edgecache::{
    backends::d1::sql, conformance, record, CacheBackend, D1Backend, Error, ExpiryAware,
    MemoryBackend, TieredBackend,
};
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

const START: u64 = 1_700_000_000_000;

#[wasm_bindgen(module = "/tests/support/miniflare-d1.mjs")]
extern "C" {
    #[wasm_bindgen(js_name = startD1)]
    fn start_d1() -> js_sys::Promise;
    #[wasm_bindgen(js_name = stopD1)]
    fn stop_d1(handle: &JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_name = sqlAll)]
    fn sql_all(db: &JsValue, sql: &str, params: Array) -> js_sys::Promise;
    #[wasm_bindgen(js_name = seedRows)]
    fn seed_rows(
        db: &JsValue,
        table: &str,
        ns: &str,
        prefix: &str,
        n: u32,
        value: &js_sys::ArrayBuffer,
        expires_at: Option<f64>,
    ) -> js_sys::Promise;

    #[derive(Clone, Debug)]
    type CountingD1;
    #[wasm_bindgen(constructor)]
    fn new(db: &JsValue) -> CountingD1;
    #[wasm_bindgen(method)]
    fn reset(this: &CountingD1);
    #[wasm_bindgen(method, js_name = setFault)]
    fn set_fault(this: &CountingD1, op: &str, kind: &str);
    #[wasm_bindgen(method, js_name = clearFault)]
    fn clear_fault(this: &CountingD1);
    #[wasm_bindgen(method)]
    fn count(this: &CountingD1, op: &str) -> u32;
    #[wasm_bindgen(method, js_name = roundTrips)]
    fn round_trips(this: &CountingD1) -> u32;
    #[wasm_bindgen(method, js_name = lastBatchSize)]
    fn last_batch_size(this: &CountingD1) -> i32;
    #[wasm_bindgen(method, js_name = statementsLike)]
    fn statements_like(this: &CountingD1, fragment: &str) -> u32;
}

/// A running Miniflare with its D1 proxy, stopped by [`Real::stop`].
struct Real {
    handle: JsValue,
    db: JsValue,
    counting: CountingD1,
    clock: ManualClock,
}

impl Real {
    async fn start() -> Real {
        let handle = JsFuture::from(start_d1()).await.unwrap();
        let db = Reflect::get(&handle, &"db".into()).unwrap();
        let counting = CountingD1::new(&db);
        Real {
            handle,
            db,
            counting,
            clock: ManualClock::new(START),
        }
    }

    fn builder(&self) -> edgecache::D1BackendBuilder {
        D1Backend::builder(self.counting.clone().into()).clock(self.clock.clone())
    }

    async fn open(&self) -> D1Backend {
        self.builder().open().await.unwrap()
    }

    async fn rows(&self, sql: &str, params: &[JsValue]) -> Vec<JsValue> {
        let params: Array = params.iter().collect();
        let rows = JsFuture::from(sql_all(&self.db, sql, params))
            .await
            .unwrap();
        Array::from(&rows).to_vec()
    }

    async fn count(&self, sql: &str, params: &[JsValue]) -> f64 {
        let rows = self.rows(sql, params).await;
        Reflect::get(&rows[0], &"n".into())
            .unwrap()
            .as_f64()
            .unwrap()
    }

    async fn seed(&self, ns: &str, prefix: &str, n: u32, value: &[u8], expires_at: Option<u64>) {
        let buffer = Uint8Array::new_from_slice(value).buffer();
        JsFuture::from(seed_rows(
            &self.db,
            sql::DEFAULT_TABLE,
            ns,
            prefix,
            n,
            &buffer,
            expires_at.map(|e| e as f64),
        ))
        .await
        .unwrap();
    }

    async fn stop(self) {
        JsFuture::from(stop_d1(&self.handle)).await.unwrap();
    }
}

fn code<T: std::fmt::Debug>(r: edgecache::Result<T>) -> &'static str {
    r.unwrap_err().code()
}

fn backend_message<T: std::fmt::Debug>(r: edgecache::Result<T>) -> String {
    match r {
        Err(Error::Backend(message)) => message,
        other => panic!("expected a backend error, got {other:?}"),
    }
}

fn get(row: &JsValue, column: &str) -> JsValue {
    Reflect::get(row, &column.into()).unwrap()
}

// ---- the trait-level suite, against real D1 ----

#[wasm_bindgen_test]
async fn d1_backend_passes_the_conformance_suite_on_real_d1() {
    let real = Real::start().await;
    let d1 = real.open().await;
    conformance::run(
        |ns| match ns {
            Some(ns) => d1.with_namespace(ns),
            None => Ok(d1.clone()),
        },
        &real.clock,
    )
    .await
    .unwrap();
    assert!(real.counting.count("batch") > 0 && real.counting.count("run") > 0);
    real.stop().await;
}

#[wasm_bindgen_test]
async fn tiered_memory_over_d1_passes_the_conformance_suite() {
    let real = Real::start().await;
    let d1 = real.open().await;
    let memory = MemoryBackend::builder()
        .max_entries(1_000)
        .clock(real.clock.clone())
        .build()
        .unwrap();
    conformance::run(
        |ns| {
            let (l1, l2) = match ns {
                Some(ns) => (memory.with_namespace(ns)?, d1.with_namespace(ns)?),
                None => (memory.clone(), d1.clone()),
            };
            Ok(TieredBackend::with_clock(l1, l2, real.clock.clone()))
        },
        &real.clock,
    )
    .await
    .unwrap();
    real.stop().await;
}

// ---- schema, stored form, blobs ----

#[wasm_bindgen_test]
async fn rows_hold_a_record_and_its_expiry_in_the_documented_schema() {
    let real = Real::start().await;
    let d1 = real.open().await.with_namespace("ns").unwrap();
    d1.set("k", vec![0, 1, 255], Some(Duration::from_millis(1_500)))
        .await
        .unwrap();
    d1.set("forever", b"f".to_vec(), None).await.unwrap();
    let rows = real
        .rows(
            r#"SELECT "namespace", "key", "value", typeof("value") AS t, "expires_at" FROM "edgecache" ORDER BY "key""#,
            &[],
        )
        .await;
    assert_eq!(rows.len(), 2);
    let k = &rows[1];
    assert_eq!(get(k, "namespace").as_string().unwrap(), "ns");
    assert_eq!(get(k, "key").as_string().unwrap(), "k");
    assert_eq!(get(k, "t").as_string().unwrap(), "blob");
    // The proxy (like workerd) answers a BLOB as an Array of byte numbers.
    let value = get(k, "value");
    assert!(Array::is_array(&value), "BLOB came back as {value:?}");
    let bytes: Vec<u8> = Array::from(&value)
        .iter()
        .map(|n| n.as_f64().unwrap() as u8)
        .collect();
    assert_eq!(bytes, record::encode(Some(START + 1_500), &[0, 1, 255]));
    assert_eq!(
        get(k, "expires_at").as_f64().unwrap(),
        (START + 1_500) as f64
    );
    assert!(get(&rows[0], "expires_at").is_null());
    // Both indexes exist: the primary key's and the partial one on expiry.
    let index = real
        .rows(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'edgecache' AND name = 'edgecache_expires_at'",
            &[],
        )
        .await;
    assert_eq!(index.len(), 1);
    real.stop().await;
}

#[wasm_bindgen_test]
async fn the_purge_uses_the_expiry_index() {
    let real = Real::start().await;
    let d1 = real.open().await;
    drop(d1);
    let sql = sql::Statements::new(sql::DEFAULT_TABLE).unwrap();
    let plan = real
        .rows(
            &format!("EXPLAIN QUERY PLAN {}", sql.purge()),
            &[JsValue::from(1.0), JsValue::from(10.0)],
        )
        .await;
    let details: Vec<String> = plan
        .iter()
        .map(|row| get(row, "detail").as_string().unwrap())
        .collect();
    assert!(
        details.iter().any(|d| d.contains("edgecache_expires_at")),
        "{details:?}"
    );
    real.stop().await;
}

// ---- batches ----

#[wasm_bindgen_test]
async fn mget_and_mdelete_of_many_keys_are_one_batch_each() {
    let real = Real::start().await;
    let d1 = real
        .builder()
        .namespace("many")
        .purge_on_write(0, 1)
        .open()
        .await
        .unwrap();
    let value = record::encode(None, b"v");
    real.seed("many", "k", 1_200, &value, None).await;
    for n in [1usize, 99, 100, 250, 1_200] {
        let keys: Vec<String> = (0..n).map(|i| format!("k{}", n - 1 - i)).collect();
        let mut refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        refs.push("missing");
        refs.push(refs[0]);
        real.counting.reset();
        let got = d1.mget(&refs).await.unwrap();
        assert_eq!(real.counting.round_trips(), 1, "{n} keys");
        let distinct = n + 1;
        if distinct > sql::KEYS_PER_STATEMENT {
            assert_eq!(real.counting.count("batch"), 1);
            assert_eq!(
                real.counting.last_batch_size() as usize,
                sql::statements_for(distinct)
            );
        }
        assert_eq!(got.len(), n + 2);
        assert!(got[..n].iter().all(|v| v.as_deref() == Some(&b"v"[..])));
        assert_eq!(got[n], None);
        assert_eq!(got[n + 1].as_deref(), Some(&b"v"[..]));
    }
    // Deleting 1,200 keys (plus 50 missing ones): one batch of 13 statements.
    let keys: Vec<String> = (0..1_250).map(|i| format!("k{i}")).collect();
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    real.counting.reset();
    d1.mdelete(&refs).await.unwrap();
    assert_eq!(real.counting.round_trips(), 1);
    assert_eq!(real.counting.last_batch_size(), 13);
    let left = real
        .count(r#"SELECT count(*) AS n FROM "edgecache""#, &[])
        .await;
    assert_eq!(left, 0.0);
    real.stop().await;
}

#[wasm_bindgen_test]
async fn a_single_key_is_one_statement_and_empty_batches_make_no_call() {
    let real = Real::start().await;
    let d1 = real.builder().purge_on_write(0, 1).open().await.unwrap();
    real.counting.reset();
    d1.set("a", b"1".to_vec(), None).await.unwrap();
    assert_eq!(
        (real.counting.count("run"), real.counting.round_trips()),
        (1, 1)
    );
    assert_eq!(d1.get("a").await.unwrap(), Some(b"1".to_vec()));
    d1.delete("a").await.unwrap();
    assert_eq!(real.counting.round_trips(), 3);
    assert_eq!(real.counting.count("batch"), 0);
    d1.mget(&[]).await.unwrap();
    d1.mdelete(&[]).await.unwrap();
    assert_eq!(real.counting.round_trips(), 3);
    // A bad key anywhere in a batch refuses the batch before any call.
    assert_eq!(code(d1.mget(&["ok", ""]).await), "EDGECACHE_INVALID_KEY");
    assert_eq!(code(d1.mdelete(&["ok", ""]).await), "EDGECACHE_INVALID_KEY");
    assert_eq!(real.counting.round_trips(), 3);
    real.stop().await;
}

// ---- purges ----

#[wasm_bindgen_test]
async fn purges_are_bounded_and_spare_live_rows() {
    let real = Real::start().await;
    let d1 = real.builder().purge_on_write(3, 50).open().await.unwrap();
    let expired = record::encode(Some(START - 1), b"old");
    real.seed("", "old", 250, &expired, Some(START - 1)).await;
    let live = record::encode(Some(START + 60_000), b"new");
    real.seed("other", "live", 30, &live, Some(START + 60_000))
        .await;
    let forever = record::encode(None, b"keep");
    real.seed("", "keep", 20, &forever, None).await;
    let total = || real.count(r#"SELECT count(*) AS n FROM "edgecache""#, &[]);
    assert_eq!(total().await, 300.0);

    // An expired row is a miss, and a read does not delete it.
    real.counting.reset();
    assert_eq!(d1.get("old0").await.unwrap(), None);
    assert_eq!(real.counting.statements_like("DELETE"), 0);
    assert_eq!(total().await, 300.0);

    // On demand: one statement, at most the rows asked for.
    real.counting.reset();
    assert_eq!(d1.purge_expired(100).await.unwrap(), 100);
    assert_eq!(
        (real.counting.round_trips(), real.counting.count("run")),
        (1, 1)
    );
    assert_eq!(total().await, 200.0);

    // On writes: the 1st, 4th, 7th... write carries a purge of <= 50 rows in its batch.
    real.counting.reset();
    for i in 0..4 {
        d1.set(&format!("w{i}"), b"w".to_vec(), None).await.unwrap();
    }
    assert_eq!(real.counting.count("batch"), 2);
    assert_eq!(real.counting.count("run"), 2);
    assert_eq!(real.counting.last_batch_size(), 2);
    assert_eq!(total().await, 200.0 - 100.0 + 4.0);

    // Purging what is left: 50 rows, then nothing more than exists.
    assert_eq!(d1.purge_expired(10_000).await.unwrap(), 50);
    assert_eq!(d1.purge_expired(10_000).await.unwrap(), 0);
    // Limits are clamped: at least one row, at most 10,000.
    assert_eq!(d1.purge_expired(0).await.unwrap(), 0);
    let stats = d1.stats().await.unwrap();
    assert_eq!(stats.expirations, 100 + 2 * 50 + 50);
    // Live rows of every namespace survived; the clock moving on expires them.
    assert_eq!(total().await, 30.0 + 20.0 + 4.0);
    real.clock.advance(Duration::from_secs(60));
    assert_eq!(d1.purge_expired(10_000).await.unwrap(), 30);
    real.stop().await;
}

#[wasm_bindgen_test]
async fn clear_deletes_its_namespace_a_thousand_rows_at_a_time() {
    let real = Real::start().await;
    let root = real.open().await;
    let a = root.with_namespace("a").unwrap();
    let value = record::encode(None, b"v");
    real.seed("a", "k", 2_500, &value, None).await;
    real.seed("b", "k", 10, &value, None).await;
    real.seed("", "k", 10, &value, None).await;
    real.counting.reset();
    a.clear_all().await.unwrap();
    // 1,000 + 1,000 + 500 (fewer than asked: done).
    assert_eq!(real.counting.count("run"), 3);
    let shared = &real;
    let per_ns = |ns: &'static str| async move {
        shared
            .count(
                r#"SELECT count(*) AS n FROM "edgecache" WHERE "namespace" = ?1"#,
                &[ns.into()],
            )
            .await
    };
    assert_eq!(per_ns("a").await, 0.0);
    assert_eq!(per_ns("b").await, 10.0);
    assert_eq!(per_ns("").await, 10.0);
    root.clear_all().await.unwrap();
    assert_eq!(per_ns("").await, 0.0);
    assert_eq!(per_ns("b").await, 10.0);
    real.stop().await;
}

// ---- stored data this build cannot read ----

#[wasm_bindgen_test]
async fn corrupt_and_foreign_values_are_misses() {
    let real = Real::start().await;
    let d1 = real.open().await;
    let good = record::encode(None, b"value");
    let mut future = good.clone();
    future[1] = 2;
    real.seed("", "truncated", 1, &good[..5], None).await;
    real.seed("", "foreign", 1, b"{\"json\":true}", None).await;
    real.seed("", "future", 1, &future, None).await;
    real.seed("", "empty", 1, b"", None).await;
    // Not a BLOB at all: TEXT and INTEGER values written by someone else.
    real.rows(
        r#"INSERT INTO "edgecache" VALUES ('', 'text', 'hello', NULL), ('', 'int', 5, NULL)"#,
        &[],
    )
    .await;
    let keys = ["truncated0", "foreign0", "future0", "empty0", "text", "int"];
    for key in keys {
        assert_eq!(d1.get(key).await.unwrap(), None, "{key}");
        assert!(!d1.exists(key).await.unwrap(), "{key}");
        assert_eq!(d1.get_with_expiry(key).await.unwrap(), None, "{key}");
    }
    assert_eq!(d1.mget(&keys).await.unwrap(), vec![None; 6]);
    // The next set replaces them.
    for key in keys {
        d1.set(key, b"fresh".to_vec(), None).await.unwrap();
        assert_eq!(d1.get(key).await.unwrap(), Some(b"fresh".to_vec()));
    }
    real.stop().await;
}

// ---- options and limits ----

#[wasm_bindgen_test]
async fn table_names_are_validated_before_any_call() {
    let real = Real::start().await;
    for bad in [
        "",
        "1x",
        "a-b",
        "t\"; DROP TABLE edgecache; --",
        "sqlite_x",
        "_cf_KV",
    ] {
        let result = real.builder().table(bad).open().await;
        assert_eq!(code(result), "EDGECACHE_INVALID_OPTIONS", "{bad:?}");
    }
    assert_eq!(
        real.counting.round_trips() + real.counting.count("prepare"),
        0
    );
    // Two tables in one database are two caches.
    let one = real.builder().table("one").open().await.unwrap();
    let two = real.builder().table("order").open().await.unwrap();
    assert_eq!(two.table(), "order");
    one.set("k", b"1".to_vec(), None).await.unwrap();
    two.set("k", b"2".to_vec(), None).await.unwrap();
    assert_eq!(one.get("k").await.unwrap(), Some(b"1".to_vec()));
    two.clear_all().await.unwrap();
    assert_eq!(one.get("k").await.unwrap(), Some(b"1".to_vec()));
    real.stop().await;
}

#[wasm_bindgen_test]
async fn bad_bindings_and_options_are_coded() {
    for binding in [
        JsValue::NULL,
        JsValue::UNDEFINED,
        JsValue::from(5),
        JsValue::from("DB"),
        Object::new().into(),
    ] {
        assert_eq!(
            code(D1Backend::builder(binding).build()),
            "EDGECACHE_INVALID_OPTIONS"
        );
    }
    let only_prepare = Object::new();
    Reflect::set(
        &only_prepare,
        &"prepare".into(),
        &js_sys::Function::new_no_args(""),
    )
    .unwrap();
    let err = D1Backend::builder(only_prepare.into()).build().unwrap_err();
    assert!(err.to_string().contains("batch"), "{err}");
    let real = Real::start().await;
    assert_eq!(
        code(real.builder().namespace("").build()),
        "EDGECACHE_INVALID_OPTIONS"
    );
    assert_eq!(
        code(real.builder().default_ttl(Duration::ZERO).build()),
        "EDGECACHE_INVALID_OPTIONS"
    );
    real.stop().await;
}

#[wasm_bindgen_test]
async fn rows_up_to_d1s_limit_roundtrip_and_larger_ones_make_no_call() {
    let real = Real::start().await;
    let d1 = real.open().await.with_namespace("ns").unwrap();
    // namespace 2 + key 3 + header 11 + value + 8 = 2,000,000 bytes.
    let max_value = sql::MAX_ROW_BYTES - 2 - 3 - record::HEADER_LEN - 8;
    let value: Vec<u8> = (0..max_value).map(|i| (i % 251) as u8).collect();
    d1.set("big", value.clone(), None).await.unwrap();
    assert_eq!(d1.get("big").await.unwrap(), Some(value.clone()));
    real.counting.reset();
    let mut over = value;
    over.push(0);
    match d1.set("big", over, None).await {
        Err(Error::ValueTooLarge { size, limit }) => {
            assert_eq!((size, limit), (2_000_001, 2_000_000));
        }
        other => panic!("{other:?}"),
    }
    // A longer key counts too.
    let err = d1.set("bigg", vec![0; max_value], None).await;
    assert_eq!(code(err), "EDGECACHE_VALUE_TOO_LARGE");
    let huge_key = "k".repeat(edgecache::key::MAX_KEY_BYTES + 1);
    assert_eq!(code(d1.get(&huge_key).await), "EDGECACHE_INVALID_KEY");
    assert_eq!(
        real.counting.round_trips() + real.counting.count("prepare"),
        0
    );
    real.stop().await;
}

// ---- table creation ----

#[wasm_bindgen_test]
async fn the_table_is_created_once_per_binding_and_again_after_a_drop() {
    let real = Real::start().await;
    let first = real.open().await;
    assert_eq!(real.counting.count("batch"), 1);
    real.counting.reset();
    let second = real.builder().namespace("x").open().await.unwrap();
    assert_eq!(real.counting.round_trips(), 0, "memoised: no call");
    first.set("k", b"v".to_vec(), None).await.unwrap();
    real.rows(r#"DROP TABLE "edgecache""#, &[]).await;
    let message = backend_message(second.get("k").await);
    assert!(message.contains("no such table"), "{message}");
    assert!(message.contains("create the table"), "{message}");
    // The failure forgot the memo: the next open creates the table again.
    let third = real.open().await;
    assert_eq!(third.get("k").await.unwrap(), None);
    assert!(third.health_check().await.unwrap());
    real.stop().await;
}

// ---- a binding that misbehaves ----

#[wasm_bindgen_test]
async fn binding_failures_are_backend_errors_and_the_backend_recovers() {
    let real = Real::start().await;
    let d1 = real.builder().purge_on_write(0, 1).open().await.unwrap();
    d1.set("k", b"v".to_vec(), None).await.unwrap();
    d1.set("j", b"w".to_vec(), None).await.unwrap();
    let cases = [
        ("prepare", "throw", "injected prepare throw"),
        (
            "prepare",
            "garbage",
            "expected prepare() to return a statement",
        ),
        ("bind", "throw", "injected bind throw"),
        ("bind", "garbage", "expected bind() to return a statement"),
        ("all", "throw", "injected all throw"),
        ("all", "reject", "SQLITE_BUSY"),
        ("all", "rejectString", "D1 is busy"),
        (
            "all",
            "rejectUndefined",
            "non-Error value thrown: undefined",
        ),
        ("all", "garbage", "a D1 result"),
        ("all", "resultsNotArray", "`results` to be an array"),
        ("all", "rowNotObject", "every row to be an object"),
        ("all", "keyNotText", "column key to be text"),
        ("batch", "throw", "injected batch throw"),
        ("batch", "reject", "SQLITE_BUSY"),
        ("batch", "garbage", "an array of results"),
        ("batch", "shortBatch", "expected 2 results, got 1"),
        ("batch", "resultsNotArray", "`results` to be an array"),
    ];
    let keys: Vec<String> = (0..150).map(|i| format!("m{i}")).collect();
    let mut many: Vec<&str> = keys.iter().map(String::as_str).collect();
    many.push("k");
    for (op, kind, expected) in cases {
        real.counting.set_fault(op, kind);
        let result = if op == "batch" {
            d1.mget(&many).await
        } else {
            d1.get("k").await.map(|v| vec![v])
        };
        let message = backend_message(result);
        assert!(message.contains(expected), "{op}/{kind}: {message}");
        assert!(message.starts_with("D1 "), "{op}/{kind}: {message}");
        real.counting.clear_fault();
        assert_eq!(
            d1.get("k").await.unwrap(),
            Some(b"v".to_vec()),
            "{op}/{kind}"
        );
    }
    // Writes whose answer lacks meta.changes: the purge and clear need it.
    real.counting.set_fault("run", "noChanges");
    let message = backend_message(d1.purge_expired(10).await);
    assert!(message.contains("meta.changes"), "{message}");
    assert!(backend_message(d1.clear_all().await).contains("meta.changes"));
    // A plain write does not read it.
    d1.set("k", b"v2".to_vec(), None).await.unwrap();
    real.counting.set_fault("run", "reject");
    assert!(backend_message(d1.set("k", b"v3".to_vec(), None).await).contains("SQLITE_BUSY"));
    real.counting.clear_fault();
    assert_eq!(d1.get("k").await.unwrap(), Some(b"v2".to_vec()));
    // Real D1 errors come through with D1's message.
    let wrong = real.builder().table("missing").build().unwrap();
    let message = backend_message(wrong.get("k").await);
    assert!(
        message.contains("D1_ERROR") && message.contains("no such table"),
        "{message}"
    );
    assert!(backend_message(wrong.health_check().await).contains("no such table"));
    real.stop().await;
}

// ---- stats and tiering ----

#[wasm_bindgen_test]
async fn stats_count_live_rows_and_bytes_of_the_namespace() {
    let real = Real::start().await;
    let root = real.builder().purge_on_write(0, 1).open().await.unwrap();
    let a = root.with_namespace("a").unwrap();
    a.set("k1", vec![1; 10], None).await.unwrap();
    a.set("k2", vec![2; 20], Some(Duration::from_secs(1)))
        .await
        .unwrap();
    root.set("other", vec![3; 5], None).await.unwrap();
    assert_eq!(a.get("k1").await.unwrap(), Some(vec![1; 10]));
    assert_eq!(a.get("nope").await.unwrap(), None);
    // exists is not a read: counted as neither a hit nor a miss.
    assert!(a.exists("k1").await.unwrap());
    assert!(!a.exists("nope").await.unwrap());
    let stats = a.stats().await.unwrap();
    assert_eq!(
        (stats.entries, stats.bytes),
        (2, (2 + 10) + (2 + 20)),
        "keys and values, without the 11-byte record headers"
    );
    assert_eq!((stats.hits, stats.misses, stats.inserts), (1, 1, 3));
    real.clock.advance(Duration::from_secs(1));
    let stats = a.stats().await.unwrap();
    assert_eq!((stats.entries, stats.bytes), (1, 2 + 10));
    real.stop().await;
}

#[wasm_bindgen_test]
async fn an_l2_hit_fills_l1_with_the_remaining_ttl() {
    let real = Real::start().await;
    let d1 = real.builder().purge_on_write(0, 1).open().await.unwrap();
    let memory = MemoryBackend::builder()
        .clock(real.clock.clone())
        .build()
        .unwrap();
    let tiered = TieredBackend::with_clock(memory.clone(), d1.clone(), real.clock.clone());
    d1.set("k", b"v".to_vec(), Some(Duration::from_secs(10)))
        .await
        .unwrap();
    real.clock.advance(Duration::from_secs(4));
    real.counting.reset();
    for _ in 0..50 {
        assert_eq!(tiered.get("k").await.unwrap(), Some(b"v".to_vec()));
    }
    assert_eq!(real.counting.round_trips(), 1, "one D1 read, then memory");
    let entry = memory.get_with_expiry("k").await.unwrap().unwrap();
    assert_eq!(entry.expires_at, Some(START + 10_000));
    real.clock.advance(Duration::from_secs(6));
    assert_eq!(tiered.get("k").await.unwrap(), None);
    real.stop().await;
}
