//! `R2Backend` inside a real wasm32 instance (`wasm-pack test --node -- --test r2`),
//! against a REAL local R2: Miniflare 4 starts workerd with an R2 bucket and
//! `getR2Bucket` gives Node a proxy to it (`tests/support/miniflare-r2.mjs`).
//! Each test starts its own bucket and disposes it. A `Tap` around the proxy
//! counts calls and injects faults (throws, rejections, garbage answers).
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
use edgecache::{conformance, CacheBackend, ExpiryAware, MemoryBackend, R2Backend, TieredBackend};
use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::wasm_bindgen_test;

const START: u64 = 1_700_000_000_000;

#[wasm_bindgen(module = "/tests/support/miniflare-r2.mjs")]
extern "C" {
    #[derive(Clone, Debug)]
    type LocalR2;

    #[wasm_bindgen(static_method_of = LocalR2)]
    async fn start() -> LocalR2;

    #[wasm_bindgen(method)]
    async fn dispose(this: &LocalR2);

    #[wasm_bindgen(method, getter)]
    fn bucket(this: &LocalR2) -> JsValue;

    #[wasm_bindgen(method, js_name = putRaw)]
    async fn put_raw(this: &LocalR2, key: &str, bytes: &Uint8Array, custom_metadata: JsValue);

    #[wasm_bindgen(method)]
    async fn exists(this: &LocalR2, key: &str) -> JsValue;

    #[wasm_bindgen(method, js_name = metadataJson)]
    async fn metadata_json(this: &LocalR2, key: &str) -> JsValue;

    #[wasm_bindgen(method)]
    async fn count(this: &LocalR2, prefix: &str) -> JsValue;

    #[wasm_bindgen(method, js_name = putMany)]
    async fn put_many(this: &LocalR2, prefix: &str, n: u32, custom_metadata: JsValue);

    #[wasm_bindgen(js_name = readAll)]
    async fn read_all(stream: &JsValue) -> JsValue;

    #[wasm_bindgen(js_name = blobOf)]
    fn blob_of(bytes: &[u8]) -> JsValue;

    #[derive(Clone, Debug)]
    type Tap;

    #[wasm_bindgen(constructor)]
    fn new(bucket: &JsValue) -> Tap;

    #[wasm_bindgen(method)]
    fn reset(this: &Tap);

    #[wasm_bindgen(method, js_name = setFault)]
    fn set_fault(this: &Tap, method: &str, kind: &str);

    #[wasm_bindgen(method, js_name = clearFault)]
    fn clear_fault(this: &Tap);

    #[wasm_bindgen(method, js_name = callCount)]
    fn calls(this: &Tap, method: &str) -> u32;

    #[wasm_bindgen(method, js_name = maxInFlightCount)]
    fn max_in_flight(this: &Tap, method: &str) -> u32;

    #[wasm_bindgen(method, js_name = deleteSizesJson)]
    fn delete_sizes(this: &Tap) -> String;
}

impl LocalR2 {
    /// Writes an object directly (a copy of `bytes`: the call is async and
    /// must not hold a view into wasm memory).
    async fn put(&self, key: &str, bytes: &[u8], custom_metadata: JsValue) {
        self.put_raw(key, &Uint8Array::from(bytes), custom_metadata)
            .await;
    }

    async fn has(&self, key: &str) -> bool {
        self.exists(key).await.as_bool().unwrap()
    }

    async fn objects(&self, prefix: &str) -> u32 {
        self.count(prefix).await.as_f64().unwrap() as u32
    }

    async fn metadata(&self, key: &str) -> String {
        self.metadata_json(key).await.as_string().unwrap()
    }
}

fn metadata(fields: &[(&str, &str)]) -> JsValue {
    let object = Object::new();
    for (k, v) in fields {
        Reflect::set(&object, &(*k).into(), &(*v).into()).unwrap();
    }
    object.into()
}

/// A fresh bucket and a manual clock at [`START`], with a backend over the
/// bucket itself (prefix `test/`).
async fn start() -> (LocalR2, ManualClock, R2Backend) {
    let r2 = LocalR2::start().await;
    let clock = ManualClock::new(START);
    let cache = R2Backend::builder(r2.bucket())
        .prefix("test/")
        .clock(clock.clone())
        .build()
        .unwrap();
    (r2, clock, cache)
}

/// A fresh bucket and a `Tap` around it, with a backend over the tap (prefix
/// `test/`, the default clock).
async fn start_tapped() -> (LocalR2, Tap, R2Backend) {
    let r2 = LocalR2::start().await;
    let tap = Tap::new(&r2.bucket());
    let cache = R2Backend::builder(tap.clone().into())
        .prefix("test/")
        .build()
        .unwrap();
    (r2, tap, cache)
}

fn bytes_of(value: JsValue) -> Vec<u8> {
    value.dyn_into::<Uint8Array>().unwrap().to_vec()
}

#[wasm_bindgen_test]
async fn the_local_bucket_is_real_r2() {
    // What the backend relies on, straight through the proxy: metadata
    // strings come back, a missing key is null, names over 1,024 bytes are
    // refused by R2 itself.
    let r2 = LocalR2::start().await;
    r2.put("probe", b"abc", metadata(&[("v", "1"), ("expiresAt", "5")]))
        .await;
    assert_eq!(r2.metadata("probe").await, r#"{"v":"1","expiresAt":"5"}"#);
    assert_eq!(r2.metadata("missing").await, "null");
    let tap = Tap::new(&r2.bucket());
    let put = Reflect::get(&tap, &"put".into()).unwrap();
    let long = "k".repeat(1_025);
    let promise = js_sys::Function::from(put)
        .call2(&tap, &long.into(), &"x".into())
        .unwrap();
    let err = wasm_bindgen_futures::JsFuture::from(js_sys::Promise::from(promise))
        .await
        .unwrap_err();
    let message = Reflect::get(&err, &"message".into())
        .unwrap()
        .as_string()
        .unwrap();
    assert!(message.contains("10020"), "{message}");
    r2.dispose().await;
}

#[wasm_bindgen_test]
async fn r2_backend_passes_the_conformance_suite() {
    let (r2, clock, store) = start().await;
    let result = conformance::run(
        |ns| match ns {
            Some(ns) => store.with_namespace(ns),
            None => Ok(store.clone()),
        },
        &clock,
    )
    .await;
    r2.dispose().await;
    result.unwrap();
}

#[wasm_bindgen_test]
async fn tiered_memory_over_r2_passes_the_conformance_suite() {
    let (r2, clock, store) = start().await;
    let memory = MemoryBackend::builder()
        .clock(clock.clone())
        .build()
        .unwrap();
    let result = conformance::run(
        |ns| {
            Ok(match ns {
                Some(ns) => TieredBackend::with_clock(
                    memory.with_namespace(ns)?,
                    store.with_namespace(ns)?,
                    clock.clone(),
                ),
                None => TieredBackend::with_clock(memory.clone(), store.clone(), clock.clone()),
            })
        },
        &clock,
    )
    .await;
    r2.dispose().await;
    result.unwrap();
}

#[wasm_bindgen_test]
async fn objects_hold_the_bare_value_and_the_expiry_in_custom_metadata() {
    let (r2, _clock, store) = start().await;
    let cache = store.with_namespace("ns").unwrap();
    cache
        .set("k", b"value".to_vec(), Some(Duration::from_millis(1_500)))
        .await
        .unwrap();
    assert_eq!(
        r2.metadata("test/2:ns:k").await,
        format!(r#"{{"v":"1","expiresAt":"{}"}}"#, START + 1_500)
    );
    cache.set("forever", b"f".to_vec(), None).await.unwrap();
    assert_eq!(r2.metadata("test/2:ns:forever").await, r#"{"v":"1"}"#);
    let entry = cache.get_with_expiry("k").await.unwrap().unwrap();
    assert_eq!(entry.value, b"value");
    assert_eq!(entry.expires_at, Some(START + 1_500));
    // The body is the value, nothing more: a stream reads it as it is.
    let body = cache.get_body("k").await.unwrap().unwrap();
    assert_eq!(bytes_of(read_all(&body).await), b"value");
    r2.dispose().await;
}

#[wasm_bindgen_test]
async fn expired_objects_are_misses_and_are_not_deleted_on_read() {
    let (r2, clock, cache) = start().await;
    cache
        .set("k", b"v".to_vec(), Some(Duration::from_secs(5)))
        .await
        .unwrap();
    clock.advance(Duration::from_millis(4_999));
    assert!(cache.exists("k").await.unwrap());
    assert!(cache.get_body("k").await.unwrap().is_some());
    clock.advance(Duration::from_millis(1));
    assert_eq!(cache.get("k").await.unwrap(), None);
    assert!(!cache.exists("k").await.unwrap());
    assert_eq!(cache.mget(&["k"]).await.unwrap(), vec![None]);
    assert!(cache.get_body("k").await.unwrap().is_none());
    assert!(cache.get_with_expiry("k").await.unwrap().is_none());
    assert!(r2.has("test/0::k").await, "reads never delete");
    // The next set replaces it.
    cache.set("k", b"new".to_vec(), None).await.unwrap();
    assert_eq!(cache.get("k").await.unwrap(), Some(b"new".to_vec()));
    r2.dispose().await;
}

#[wasm_bindgen_test]
async fn the_default_ttl_applies_and_an_explicit_ttl_overrides_it() {
    let r2 = LocalR2::start().await;
    let clock = ManualClock::new(START);
    let cache = R2Backend::builder(r2.bucket())
        .default_ttl(Duration::from_secs(2))
        .clock(clock.clone())
        .build()
        .unwrap();
    cache.set("d", b"1".to_vec(), None).await.unwrap();
    cache
        .set("e", b"2".to_vec(), Some(Duration::from_secs(10)))
        .await
        .unwrap();
    clock.advance(Duration::from_secs(2));
    assert_eq!(
        cache.mget(&["d", "e"]).await.unwrap(),
        vec![None, Some(b"2".to_vec())]
    );
    r2.dispose().await;
}

#[wasm_bindgen_test]
async fn objects_without_or_with_foreign_or_garbled_metadata_are_misses() {
    let (r2, _clock, cache) = start().await;
    let cases: Vec<(&str, JsValue)> = vec![
        ("none", JsValue::UNDEFINED),
        ("empty", metadata(&[])),
        ("foreign", metadata(&[("owner", "someone")])),
        ("extra", metadata(&[("v", "1"), ("owner", "someone")])),
        ("v2", metadata(&[("v", "2")])),
        ("garbled", metadata(&[("v", "1"), ("expiresAt", "soon")])),
        ("padded", metadata(&[("v", "1"), ("expiresAt", "01")])),
        (
            "huge",
            metadata(&[("v", "1"), ("expiresAt", "99999999999999999999")]),
        ),
    ];
    for (key, meta) in &cases {
        r2.put(&format!("test/0::{key}"), b"raw", meta.clone())
            .await;
    }
    let keys: Vec<&str> = cases.iter().map(|(k, _)| *k).collect();
    assert_eq!(cache.mget(&keys).await.unwrap(), vec![None; keys.len()]);
    for key in &keys {
        assert_eq!(cache.get(key).await.unwrap(), None, "{key}");
        assert!(!cache.exists(key).await.unwrap(), "{key}");
        assert!(cache.get_body(key).await.unwrap().is_none(), "{key}");
        assert!(r2.has(&format!("test/0::{key}")).await, "{key} left alone");
    }
    // A well-formed object written by someone else is read.
    r2.put("test/0::ok", b"raw", metadata(&[("v", "1")])).await;
    assert_eq!(cache.get("ok").await.unwrap(), Some(b"raw".to_vec()));
    // And set replaces a foreign object.
    cache.set("foreign", b"mine".to_vec(), None).await.unwrap();
    assert_eq!(cache.get("foreign").await.unwrap(), Some(b"mine".to_vec()));
    r2.dispose().await;
}

#[wasm_bindgen_test]
async fn object_keys_are_at_most_1024_bytes_before_any_call() {
    let (r2, tap, store) = start_tapped().await;
    let cache = store.with_namespace("ns").unwrap();
    // "test/" + "2:ns:" = 10 bytes.
    let fits = "k".repeat(1_024 - 10);
    cache.set(&fits, b"v".to_vec(), None).await.unwrap();
    assert_eq!(cache.get(&fits).await.unwrap(), Some(b"v".to_vec()));
    assert!(r2.has(&format!("test/2:ns:{fits}")).await);
    tap.reset();
    let over = "k".repeat(1_024 - 9);
    let two_byte = "é".repeat(508); // 1,016 bytes of UTF-8 in 508 chars
    for key in [over.as_str(), two_byte.as_str()] {
        for op in [
            "put", "get", "head", "delete", "mget", "mdelete", "getBody", "putBody",
        ] {
            let err = run_op(&cache, op, key).await.unwrap_err();
            assert_eq!(err.code(), "EDGECACHE_INVALID_KEY", "{op}");
        }
    }
    for method in ["get", "head", "put", "delete", "list"] {
        assert_eq!(tap.calls(method), 0, "{method} was called");
    }
    r2.dispose().await;
}

#[wasm_bindgen_test]
async fn builder_refuses_bad_bindings_prefixes_and_namespaces() {
    let code = |b: edgecache::R2BackendBuilder| b.build().unwrap_err().code();
    assert_eq!(
        code(R2Backend::builder(JsValue::NULL)),
        "EDGECACHE_INVALID_OPTIONS"
    );
    assert_eq!(
        code(R2Backend::builder("bucket".into())),
        "EDGECACHE_INVALID_OPTIONS"
    );
    let no_head = Object::new();
    for m in ["get", "put", "delete", "list"] {
        Reflect::set(&no_head, &m.into(), &js_sys::Function::new_no_args("")).unwrap();
    }
    assert_eq!(
        code(R2Backend::builder(no_head.clone().into())),
        "EDGECACHE_INVALID_OPTIONS"
    );
    Reflect::set(&no_head, &"head".into(), &js_sys::Function::new_no_args("")).unwrap();
    let ok: JsValue = no_head.into();
    assert!(R2Backend::builder(ok.clone()).build().is_ok());
    for bad in ["cache", "a:b/", "x/y"] {
        assert_eq!(
            code(R2Backend::builder(ok.clone()).prefix(bad)),
            "EDGECACHE_INVALID_OPTIONS"
        );
    }
    assert_eq!(
        code(R2Backend::builder(ok.clone()).namespace("")),
        "EDGECACHE_INVALID_OPTIONS"
    );
    assert_eq!(
        code(R2Backend::builder(ok.clone()).default_ttl(Duration::ZERO)),
        "EDGECACHE_INVALID_OPTIONS"
    );
    let store = R2Backend::builder(ok)
        .prefix(format!("{}/", "p".repeat(800)))
        .build()
        .unwrap();
    assert_eq!(
        store.with_namespace(&"n".repeat(250)).unwrap_err().code(),
        "EDGECACHE_INVALID_OPTIONS"
    );
}

#[wasm_bindgen_test]
async fn clear_all_pages_through_more_than_1000_objects_and_spares_everything_else() {
    let r2 = LocalR2::start().await;
    let clock = ManualClock::new(START);
    let tap = Tap::new(&r2.bucket());
    let store = R2Backend::builder(tap.clone().into())
        .prefix("test/")
        .clock(clock.clone())
        .build()
        .unwrap();
    let big = store.with_namespace("big").unwrap();
    let v1 = metadata(&[("v", "1")]);
    // 2,150 objects of namespace "big" (written raw, for speed), and
    // neighbours that must survive: another namespace, the root namespace,
    // another prefix holding the same namespace, and foreign objects.
    r2.put_many("test/3:big:k", 2_150, v1.clone()).await;
    store
        .with_namespace("bigger")
        .unwrap()
        .set("k", vec![1], None)
        .await
        .unwrap();
    store.set("3:big:k0", vec![2], None).await.unwrap(); // root: "test/0::3:big:k0"
    R2Backend::builder(r2.bucket())
        .prefix("test/other/")
        .namespace("big")
        .build()
        .unwrap()
        .set("k0", vec![3], None)
        .await
        .unwrap();
    r2.put("test/foreign", b"x", JsValue::UNDEFINED).await;
    r2.put("unprefixed", b"x", JsValue::UNDEFINED).await;
    assert_eq!(r2.objects("test/3:big:").await, 2_150);
    tap.reset();
    big.clear_all().await.unwrap();
    assert_eq!(r2.objects("test/3:big:").await, 0);
    assert_eq!(tap.calls("list"), 3, "three pages of at most 1,000");
    assert_eq!(tap.delete_sizes(), "[1000,1000,150]");
    assert_eq!(
        store
            .with_namespace("bigger")
            .unwrap()
            .get("k")
            .await
            .unwrap(),
        Some(vec![1])
    );
    assert_eq!(store.get("3:big:k0").await.unwrap(), Some(vec![2]));
    assert!(r2.has("test/other/3:big:k0").await);
    assert!(r2.has("test/foreign").await);
    assert!(r2.has("unprefixed").await);
    // The root namespace's clear spares the named ones and foreign objects.
    store.clear_all().await.unwrap();
    assert_eq!(store.get("3:big:k0").await.unwrap(), None);
    assert!(r2.has("test/6:bigger:k").await);
    assert!(r2.has("test/foreign").await);
    r2.dispose().await;
}

#[wasm_bindgen_test]
async fn clear_all_deletes_only_its_prefix_even_if_list_ignores_it_and_stops_on_bad_cursors() {
    let (r2, tap, store) = start_tapped().await;
    let cache = store.with_namespace("a").unwrap();
    cache.set("k", vec![1], None).await.unwrap();
    r2.put("other", b"x", JsValue::UNDEFINED).await;
    tap.set_fault("list", "listIgnorePrefix");
    cache.clear_all().await.unwrap();
    assert!(!r2.has("test/1:a:k").await);
    assert!(r2.has("other").await);
    for (kind, says) in [
        ("listNoCursor", "a `cursor` string when `truncated` is true"),
        ("listStuck", "cursor it was given"),
        ("listBadKeys", "{ key: string }"),
        ("number", "expected an object"),
    ] {
        tap.set_fault("list", kind);
        let err = cache.clear_all().await.unwrap_err();
        assert_eq!(err.code(), "EDGECACHE_BACKEND", "{kind}");
        assert!(err.to_string().contains(says), "{kind}: {err}");
    }
    r2.dispose().await;
}

#[wasm_bindgen_test]
async fn mget_is_concurrent_but_bounded_and_mdelete_sends_1000_keys_a_call() {
    let (r2, tap, cache) = start_tapped().await;
    let keys: Vec<String> = (0..40).map(|i| format!("k{i}")).collect();
    for key in keys.iter().step_by(2) {
        cache.set(key, key.as_bytes().to_vec(), None).await.unwrap();
    }
    tap.reset();
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let got = cache.mget(&refs).await.unwrap();
    for (i, value) in got.iter().enumerate() {
        let expected = (i % 2 == 0).then(|| keys[i].as_bytes().to_vec());
        assert_eq!(value, &expected, "{}", keys[i]);
    }
    assert_eq!(tap.calls("get"), 40);
    assert_eq!(tap.max_in_flight("get"), 16);
    let many: Vec<String> = (0..2_500).map(|i| format!("m{i}")).collect();
    let mut all: Vec<&str> = many.iter().map(String::as_str).collect();
    all.extend(&refs);
    tap.reset();
    cache.mdelete(&all).await.unwrap();
    assert_eq!(tap.delete_sizes(), "[1000,1000,540]");
    assert_eq!(r2.objects("test/").await, 0);
    cache.mdelete(&[]).await.unwrap();
    assert_eq!(
        cache.mget(&[]).await.unwrap(),
        Vec::<Option<Vec<u8>>>::new()
    );
    r2.dispose().await;
}

#[wasm_bindgen_test]
async fn exists_is_one_head_and_health_check_one_head_of_a_reserved_key() {
    let (r2, tap, cache) = start_tapped().await;
    cache.set("k", vec![0; 1 << 20], None).await.unwrap();
    tap.reset();
    assert!(cache.exists("k").await.unwrap());
    assert!(cache.health_check().await.unwrap());
    assert_eq!((tap.calls("head"), tap.calls("get")), (2, 0));
    tap.set_fault("head", "reject");
    assert_eq!(
        cache.health_check().await.unwrap_err().code(),
        "EDGECACHE_BACKEND"
    );
    r2.dispose().await;
}

/// Calls the backend method that `op` names (the binding method it ends up
/// calling, or the backend's: `getBody`, `putBody`, `mget`, `mdelete`) with
/// `key` (after a valid key, for `mget` and `mdelete`).
async fn run_op(cache: &R2Backend, op: &str, key: &str) -> edgecache::Result<()> {
    match op {
        "get" => cache.get(key).await.map(drop),
        "getBody" => cache.get_body(key).await.map(drop),
        "mget" => cache.mget(&["j", key]).await.map(drop),
        "head" => cache.exists(key).await.map(drop),
        "put" => cache.set(key, b"v".to_vec(), None).await,
        "putBody" => cache.put_body(key, &"v".into(), None).await,
        "delete" => cache.delete(key).await,
        "mdelete" => cache.mdelete(&["j", key]).await,
        "list" => cache.clear_all().await,
        _ => unreachable!(),
    }
}

#[wasm_bindgen_test]
async fn every_injected_fault_is_a_backend_error_and_the_backend_keeps_working() {
    let (r2, tap, cache) = start_tapped().await;
    let ops: &[(&str, &[&str])] = &[
        ("get", &["get", "getBody", "mget"]),
        ("head", &["head"]),
        ("put", &["put", "putBody"]),
        ("delete", &["delete", "mdelete", "list"]),
        ("list", &["list"]),
    ];
    let mut checked = 0;
    for (method, uses) in ops {
        for kind in ["throw", "reject", "rejectString", "rejectUndefined"] {
            for op in *uses {
                // clear_all only deletes when there is something to delete.
                cache.set("k", b"v".to_vec(), None).await.unwrap();
                tap.set_fault(method, kind);
                let err = run_op(&cache, op, "k").await.unwrap_err();
                tap.clear_fault();
                assert_eq!(
                    err.code(),
                    "EDGECACHE_BACKEND",
                    "{method}/{kind} via {op}: {err}"
                );
                assert!(
                    err.to_string().contains("R2 "),
                    "{method}/{kind} via {op}: {err}"
                );
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 4 * 10);
    // Answers of the wrong type, and objects whose parts misbehave.
    cache.set("k", b"v".to_vec(), None).await.unwrap();
    for (method, kind, op, says) in [
        ("get", "number", "get", "the number 42"),
        ("get", "string", "getBody", "the string"),
        ("head", "string", "head", "the string"),
        ("get", "metadataThrows", "get", "metadata getter threw"),
        ("head", "metadataThrows", "head", "metadata getter threw"),
        ("get", "arrayBufferString", "get", "expected an ArrayBuffer"),
        ("get", "arrayBufferRejects", "mget", "body read failed"),
        ("get", "arrayBufferString", "getBody", "a `body` stream"),
    ] {
        tap.set_fault(method, kind);
        let err = run_op(&cache, op, "k").await.unwrap_err();
        tap.clear_fault();
        assert_eq!(err.code(), "EDGECACHE_BACKEND", "{kind} via {op}");
        assert!(err.to_string().contains(says), "{kind} via {op}: {err}");
    }
    // Metadata of the wrong type is not a failure: the object is not ours.
    tap.set_fault("get", "metadataNumber");
    assert_eq!(cache.get("k").await.unwrap(), None);
    tap.clear_fault();
    assert_eq!(cache.get("k").await.unwrap(), Some(b"v".to_vec()));
    r2.dispose().await;
}

#[wasm_bindgen_test]
async fn streamed_and_copied_values_read_each_other() {
    let (r2, clock, cache) = start().await;
    let value: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    cache
        .put_body("blob", &blob_of(&value), Some(Duration::from_secs(3)))
        .await
        .unwrap();
    assert_eq!(cache.get("blob").await.unwrap(), Some(value.clone()));
    assert_eq!(
        r2.metadata("test/0::blob").await,
        format!(r#"{{"v":"1","expiresAt":"{}"}}"#, START + 3_000)
    );
    cache.set("bytes", value.clone(), None).await.unwrap();
    let body = cache.get_body("bytes").await.unwrap().unwrap();
    assert_eq!(bytes_of(read_all(&body).await), value);
    let buffer = Uint8Array::from(value.as_slice()).buffer();
    cache.put_body("buffer", &buffer, None).await.unwrap();
    assert_eq!(cache.get("buffer").await.unwrap(), Some(value));
    clock.advance(Duration::from_secs(3));
    assert!(cache.get_body("blob").await.unwrap().is_none());
    assert_eq!(
        cache
            .put_body("blob", &"x".into(), Some(Duration::ZERO))
            .await
            .unwrap_err()
            .code(),
        "EDGECACHE_INVALID_OPTIONS"
    );
    r2.dispose().await;
}

#[wasm_bindgen_test]
async fn a_32_mib_value_round_trips() {
    let (r2, _clock, cache) = start().await;
    let value: Vec<u8> = (0..32u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    cache.set("big", value.clone(), None).await.unwrap();
    let got = cache.get("big").await.unwrap().unwrap();
    assert_eq!(got.len(), value.len());
    assert!(got == value);
    r2.dispose().await;
}

#[wasm_bindgen_test]
async fn an_l2_hit_fills_l1_with_the_remaining_ttl() {
    let r2 = LocalR2::start().await;
    let clock = ManualClock::new(START);
    let tap = Tap::new(&r2.bucket());
    let l2 = R2Backend::builder(tap.clone().into())
        .clock(clock.clone())
        .build()
        .unwrap();
    l2.set("k", b"v".to_vec(), Some(Duration::from_secs(10)))
        .await
        .unwrap();
    let l1 = MemoryBackend::builder()
        .clock(clock.clone())
        .build()
        .unwrap();
    let tiered = TieredBackend::with_clock(l1.clone(), l2, clock.clone());
    clock.advance(Duration::from_secs(4));
    tap.reset();
    for _ in 0..5 {
        assert_eq!(tiered.get("k").await.unwrap(), Some(b"v".to_vec()));
    }
    assert_eq!(
        tap.calls("get"),
        1,
        "the memory tier answers after the first read"
    );
    clock.advance(Duration::from_millis(5_999));
    assert_eq!(l1.get("k").await.unwrap(), Some(b"v".to_vec()));
    clock.advance(Duration::from_millis(1));
    assert_eq!(
        l1.get("k").await.unwrap(),
        None,
        "L1 copy ends with the R2 entry"
    );
    assert_eq!(tiered.get("k").await.unwrap(), None);
    r2.dispose().await;
}
