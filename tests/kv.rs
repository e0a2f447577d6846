//! `KvBackend` inside a real wasm32 instance (`wasm-pack test --node -- --test kv`),
//! against an in-memory double of a Workers KV binding that enforces KV's
//! rules (60 s minimum `expirationTtl`, 512-byte keys, 25 MiB values,
//! 1,000-key `list` pages with a cursor) and can inject faults.
#![cfg(target_arch = "wasm32")]
// wasm_bindgen_test functions are tests, but clippy does not know them as such.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Duration;

use edgecache::record;
use edgecache::time::ManualClock;
use edgecache::{
    conformance, CacheBackend, Error, ExpiryAware, KvBackend, MemoryBackend, TieredBackend,
};
use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

const START: u64 = 1_700_000_000_000;

#[wasm_bindgen(inline_js = r#"
const encoder = new TextEncoder();
const KEY_LIMIT = 512;
const VALUE_LIMIT = 25 * 1024 * 1024;
const METADATA_LIMIT = 1024;
const OPS = ["get", "put", "delete", "list"];

function checkKey(verb, key) {
  if (typeof key !== "string") throw new TypeError(`KV ${verb} failed: key must be a string`);
  if (key === "") throw new Error(`KV ${verb} failed: 400 Key names must not be empty.`);
  if (key === "." || key === "..") throw new Error(`KV ${verb} failed: 400 Illegal key name "${key}".`);
  const len = encoder.encode(key).length;
  if (len > KEY_LIMIT) {
    throw new Error(`KV ${verb} failed: 414 UTF-8 encoded length of ${len} exceeds key length limit of ${KEY_LIMIT}.`);
  }
}

// An in-memory Workers KV namespace: the real method shapes, the real
// limits, and switches for faults. Its own expiry uses real time.
export class FakeKv {
  constructor() {
    this.data = new Map();
    this.fault = null;
    this.resetCounters();
    this.lastPut = null;
  }

  resetCounters() {
    this.calls = {};
    this.inFlight = {};
    this.maxInFlight = {};
    for (const op of OPS) {
      this.calls[op] = 0;
      this.inFlight[op] = 0;
      this.maxInFlight[op] = 0;
    }
  }

  // ---- the KV shape ----

  get(key, options) {
    return this._op("get", key, options, () => {
      checkKey("GET", key);
      if (options?.type !== "arrayBuffer") throw new Error("the fake serves only { type: \"arrayBuffer\" }");
      const entry = this._live(key);
      return entry ? entry.bytes.slice().buffer : null;
    });
  }

  put(key, value, options) {
    return this._op("put", key, options, () => {
      checkKey("PUT", key);
      if (!(value instanceof ArrayBuffer)) throw new TypeError("KV PUT failed: the fake expects an ArrayBuffer");
      if (value.byteLength > VALUE_LIMIT) {
        throw new Error(`KV PUT failed: 413 Value length of ${value.byteLength} exceeds limit of ${VALUE_LIMIT}.`);
      }
      let expiration;
      const ttl = options?.expirationTtl;
      if (ttl !== undefined) {
        if (typeof ttl !== "number" || !Number.isInteger(ttl) || ttl < 60) {
          throw new Error(`KV PUT failed: 400 Invalid expiration_ttl of ${ttl}. Expiration TTL must be at least 60.`);
        }
        expiration = Math.floor(Date.now() / 1000) + ttl;
      }
      let metadata;
      if (options?.metadata !== undefined) {
        const json = JSON.stringify(options.metadata);
        const len = encoder.encode(json).length;
        if (len > METADATA_LIMIT) {
          throw new Error(`KV PUT failed: 413 Metadata length of ${len} exceeds limit of ${METADATA_LIMIT}.`);
        }
        metadata = JSON.parse(json);
      }
      this.data.set(key, { bytes: new Uint8Array(value.slice(0)), expiration, metadata });
      this.lastPut = { key, expirationTtl: ttl, metadata, keys: Object.keys(options ?? {}) };
    });
  }

  delete(key) {
    return this._op("delete", key, undefined, () => {
      checkKey("DELETE", key);
      this.data.delete(key);
    });
  }

  list(options) {
    return this._op("list", options?.prefix, options, () => this._listPage(options));
  }

  _listPage(options) {
    const { prefix = "", cursor, limit = 1000 } = options ?? {};
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw new Error(`KV LIST failed: 400 Invalid key_count_limit of ${limit}.`);
    }
    const names = [...this.data.keys()].filter((n) => n.startsWith(prefix) && this._live(n)).sort();
    let start = 0;
    if (cursor !== undefined) {
      if (typeof cursor !== "string" || !cursor.startsWith("after:")) {
        throw new Error(`KV LIST failed: 400 Invalid cursor ${cursor}.`);
      }
      const after = cursor.slice("after:".length);
      start = names.findIndex((n) => n > after);
      if (start < 0) start = names.length;
    }
    const page = names.slice(start, start + limit).map((name) => {
      const { expiration, metadata } = this.data.get(name);
      return { name, expiration, metadata };
    });
    if (start + limit >= names.length) return { keys: page, list_complete: true, cacheStatus: null };
    return { keys: page, list_complete: false, cursor: "after:" + page[page.length - 1].name, cacheStatus: null };
  }

  // ---- faults, counters, inspection ----

  // kind: throw | reject429 | rejectString | rejectObject | rejectUndefined |
  //       string | number | uint8 | noCursor | stuckCursor | ignorePrefix
  setFault(op, kind, match) { this.fault = { op, kind, match }; }
  clearFault() { this.fault = null; }
  callCount(op) { return this.calls[op]; }
  inFlightCount(op) { return this.inFlight[op]; }
  maxInFlightCount(op) { return this.maxInFlight[op]; }
  size() { return this.data.size; }
  countWithPrefix(prefix) { return [...this.data.keys()].filter((n) => n.startsWith(prefix)).length; }
  has(name) { return this.data.has(name); }
  storedLength(name) { return this.data.get(name)?.bytes.length ?? -1; }
  lastPutKey() { return this.lastPut?.key; }
  lastExpirationTtl() { return this.lastPut?.expirationTtl; }
  lastPutOptionKeys() { return (this.lastPut?.keys ?? []).sort().join(","); }
  lastMetadata() { return this.lastPut?.metadata; }
  truncate(name, len) { const e = this.data.get(name); e.bytes = e.bytes.slice(0, len); }
  storeRaw(name, bytes) { this.data.set(name, { bytes: new Uint8Array(bytes), expiration: undefined, metadata: undefined }); }

  _live(name) {
    const entry = this.data.get(name);
    if (entry && entry.expiration !== undefined && Date.now() / 1000 >= entry.expiration) {
      this.data.delete(name);
      return undefined;
    }
    return entry;
  }

  _op(op, key, options, work) {
    this.calls[op]++;
    const f = this.fault;
    const hit = f !== null && f.op === op && (f.match === "" || (typeof key === "string" && key.includes(f.match)));
    const verb = op.toUpperCase();
    if (hit && f.kind === "throw") throw new TypeError(`KV ${verb} failed: synchronous throw`);
    this.inFlight[op]++;
    this.maxInFlight[op] = Math.max(this.maxInFlight[op], this.inFlight[op]);
    return (async () => {
      try {
        // Answer later, as a real binding does.
        await null;
        await null;
        if (hit) {
          switch (f.kind) {
            case "reject429": throw new Error(`KV ${verb} failed: 429 Too Many Requests`);
            case "rejectString": throw "KV is busy";
            case "rejectObject": throw { status: 503, reason: "overloaded" };
            case "rejectUndefined": throw undefined;
            case "string": return "not an ArrayBuffer";
            case "number": return 42;
            case "uint8": {
              const entry = this._live(key);
              return entry ? entry.bytes.slice() : null;
            }
            case "noCursor": return { keys: [], list_complete: false };
            case "stuckCursor": return { keys: [], list_complete: false, cursor: "after:" };
            case "ignorePrefix": return this._listPage({ ...options, prefix: "" });
          }
        }
        return work();
      } finally {
        this.inFlight[op]--;
      }
    })();
  }
}
"#)]
extern "C" {
    #[derive(Clone, Debug)]
    type FakeKv;

    #[wasm_bindgen(constructor)]
    fn new() -> FakeKv;

    #[wasm_bindgen(method, js_name = put)]
    fn put_raw(
        this: &FakeKv,
        key: &str,
        value: &js_sys::ArrayBuffer,
        options: &JsValue,
    ) -> js_sys::Promise;

    #[wasm_bindgen(method, js_name = list)]
    fn list_raw(this: &FakeKv, options: &JsValue) -> js_sys::Promise;

    #[wasm_bindgen(method, js_name = setFault)]
    fn set_fault(this: &FakeKv, op: &str, kind: &str, matching: &str);

    #[wasm_bindgen(method, js_name = clearFault)]
    fn clear_fault(this: &FakeKv);

    #[wasm_bindgen(method, js_name = resetCounters)]
    fn reset_counters(this: &FakeKv);

    #[wasm_bindgen(method, js_name = callCount)]
    fn calls(this: &FakeKv, op: &str) -> u32;

    #[wasm_bindgen(method, js_name = inFlightCount)]
    fn in_flight(this: &FakeKv, op: &str) -> u32;

    #[wasm_bindgen(method, js_name = maxInFlightCount)]
    fn max_in_flight(this: &FakeKv, op: &str) -> u32;

    #[wasm_bindgen(method)]
    fn size(this: &FakeKv) -> u32;

    #[wasm_bindgen(method, js_name = countWithPrefix)]
    fn count_with_prefix(this: &FakeKv, prefix: &str) -> u32;

    #[wasm_bindgen(method)]
    fn has(this: &FakeKv, name: &str) -> bool;

    #[wasm_bindgen(method, js_name = storedLength)]
    fn stored_length(this: &FakeKv, name: &str) -> i32;

    #[wasm_bindgen(method, js_name = lastPutKey)]
    fn last_put_key(this: &FakeKv) -> Option<String>;

    #[wasm_bindgen(method, js_name = lastExpirationTtl)]
    fn last_expiration_ttl(this: &FakeKv) -> JsValue;

    #[wasm_bindgen(method, js_name = lastPutOptionKeys)]
    fn last_put_option_keys(this: &FakeKv) -> String;

    #[wasm_bindgen(method, js_name = lastMetadata)]
    fn last_metadata(this: &FakeKv) -> JsValue;

    #[wasm_bindgen(method)]
    fn truncate(this: &FakeKv, name: &str, len: u32);

    #[wasm_bindgen(method, js_name = storeRaw)]
    fn store_raw(this: &FakeKv, name: &str, bytes: &[u8]);
}

const OPS: [&str; 4] = ["get", "put", "delete", "list"];

fn setup() -> (FakeKv, ManualClock, KvBackend) {
    let fake = FakeKv::new();
    let clock = ManualClock::new(START);
    let kv = KvBackend::builder(fake.clone().into())
        .clock(clock.clone())
        .build()
        .unwrap();
    (fake, clock, kv)
}

fn total_calls(fake: &FakeKv) -> u32 {
    OPS.iter().map(|op| fake.calls(op)).sum()
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

fn prop(value: &JsValue, name: &str) -> JsValue {
    Reflect::get(value, &JsValue::from_str(name)).unwrap()
}

// ---- the double itself ----

#[wasm_bindgen_test]
async fn the_double_enforces_kv_rules() {
    let fake = FakeKv::new();
    let buffer = Uint8Array::new_from_slice(b"v").buffer();
    let options = Object::new();
    Reflect::set(&options, &"expirationTtl".into(), &5.into()).unwrap();
    let err = JsFuture::from(fake.put_raw("k", &buffer, &options))
        .await
        .unwrap_err();
    let message = prop(&err, "message").as_string().unwrap();
    assert_eq!(
        message,
        "KV PUT failed: 400 Invalid expiration_ttl of 5. Expiration TTL must be at least 60."
    );

    let long = "k".repeat(513);
    let err = JsFuture::from(fake.put_raw(&long, &buffer, &JsValue::UNDEFINED))
        .await
        .unwrap_err();
    assert!(prop(&err, "message")
        .as_string()
        .unwrap()
        .contains("414 UTF-8 encoded length of 513"));

    let ok = "k".repeat(512);
    JsFuture::from(fake.put_raw(&ok, &buffer, &JsValue::UNDEFINED))
        .await
        .unwrap();
    for i in 0..1_001 {
        JsFuture::from(fake.put_raw(&format!("p{i:04}"), &buffer, &JsValue::UNDEFINED))
            .await
            .unwrap();
    }
    let options = Object::new();
    Reflect::set(&options, &"prefix".into(), &"p".into()).unwrap();
    let page = JsFuture::from(fake.list_raw(&options)).await.unwrap();
    assert_eq!(prop(&page, "list_complete"), JsValue::FALSE);
    assert_eq!(js_sys::Array::from(&prop(&page, "keys")).length(), 1_000);
    Reflect::set(&options, &"cursor".into(), &prop(&page, "cursor")).unwrap();
    let page = JsFuture::from(fake.list_raw(&options)).await.unwrap();
    assert_eq!(prop(&page, "list_complete"), JsValue::TRUE);
    assert_eq!(js_sys::Array::from(&prop(&page, "keys")).length(), 1);
}

// ---- the suite ----

#[wasm_bindgen_test]
async fn kv_backend_passes_the_conformance_suite() {
    let (fake, clock, kv) = setup();
    conformance::run(
        |ns| match ns {
            Some(ns) => kv.with_namespace(ns),
            None => Ok(kv.clone()),
        },
        &clock,
    )
    .await
    .unwrap();
    assert!(fake.calls("put") > 0 && fake.calls("list") > 0);
}

#[wasm_bindgen_test]
async fn tiered_memory_over_kv_passes_the_conformance_suite() {
    let (_fake, clock, kv) = setup();
    let memory = MemoryBackend::builder()
        .max_entries(1_000)
        .clock(clock.clone())
        .build()
        .unwrap();
    conformance::run(
        |ns| {
            let (l1, l2) = match ns {
                Some(ns) => (memory.with_namespace(ns)?, kv.with_namespace(ns)?),
                None => (memory.clone(), kv.clone()),
            };
            Ok(TieredBackend::with_clock(l1, l2, clock.clone()))
        },
        &clock,
    )
    .await
    .unwrap();
}

#[wasm_bindgen_test]
async fn an_l2_hit_fills_l1_with_the_remaining_ttl() {
    let (fake, clock, kv) = setup();
    let memory = MemoryBackend::builder()
        .clock(clock.clone())
        .build()
        .unwrap();
    let tiered = TieredBackend::with_clock(memory.clone(), kv.clone(), clock.clone());
    kv.set("k", b"v".to_vec(), Some(Duration::from_secs(10)))
        .await
        .unwrap();
    clock.advance(Duration::from_secs(7));
    assert_eq!(memory.get("k").await.unwrap(), None);
    assert_eq!(tiered.get("k").await.unwrap(), Some(b"v".to_vec()));
    assert_eq!(
        memory
            .get_with_expiry("k")
            .await
            .unwrap()
            .unwrap()
            .expires_at,
        Some(START + 10_000),
        "L1 holds the copy for L2's remaining 3 s only"
    );
    fake.reset_counters();
    assert_eq!(tiered.get("k").await.unwrap(), Some(b"v".to_vec()));
    assert_eq!(fake.calls("get"), 0, "the second read is served by L1");
    clock.advance(Duration::from_secs(3));
    assert_eq!(memory.get("k").await.unwrap(), None);
    assert_eq!(tiered.get("k").await.unwrap(), None);
}

// ---- exact TTLs over KV's 60 s minimum ----

#[wasm_bindgen_test]
async fn a_5s_ttl_expires_after_5s_while_kv_was_given_60() {
    let (fake, clock, kv) = setup();
    kv.set("short", b"s".to_vec(), Some(Duration::from_secs(5)))
        .await
        .unwrap();
    assert_eq!(fake.last_expiration_ttl().as_f64(), Some(60.0));
    let metadata = fake.last_metadata();
    assert_eq!(
        prop(&metadata, "v").as_f64(),
        Some(f64::from(record::VERSION))
    );
    assert_eq!(
        prop(&metadata, "expiresAt").as_f64(),
        Some((START + 5_000) as f64)
    );
    assert_eq!(
        kv.get_with_expiry("short")
            .await
            .unwrap()
            .unwrap()
            .expires_at,
        Some(START + 5_000)
    );
    clock.advance(Duration::from_millis(4_999));
    assert_eq!(kv.get("short").await.unwrap(), Some(b"s".to_vec()));
    fake.reset_counters();
    clock.advance(Duration::from_millis(1));
    assert_eq!(kv.get("short").await.unwrap(), None);
    assert!(!kv.exists("short").await.unwrap());
    assert_eq!(kv.get_with_expiry("short").await.unwrap(), None);
    assert_eq!(kv.mget(&["short"]).await.unwrap(), vec![None]);
    assert!(
        fake.has("0::short"),
        "KV still holds it (its own TTL is 60 s)"
    );
    assert_eq!(
        fake.calls("put") + fake.calls("delete"),
        0,
        "reads never write"
    );
}

#[wasm_bindgen_test]
async fn kv_gets_whole_seconds_rounded_up_and_at_least_60() {
    let (fake, _clock, kv) = setup();
    let cases = [
        (Duration::from_millis(1), 60.0),
        (Duration::from_millis(59_001), 60.0),
        (Duration::from_secs(60), 60.0),
        (Duration::from_millis(60_001), 61.0),
        (Duration::from_nanos(90_000_000_001), 91.0),
        (Duration::from_secs(3_600), 3_600.0),
        (Duration::from_secs(30 * 24 * 3_600), 2_592_000.0),
    ];
    for (ttl, expected) in cases {
        kv.set("k", vec![1], Some(ttl)).await.unwrap();
        assert_eq!(
            fake.last_expiration_ttl().as_f64(),
            Some(expected),
            "{ttl:?}"
        );
    }
    kv.set("k", vec![1], None).await.unwrap();
    assert!(fake.last_expiration_ttl().is_undefined());
    assert_eq!(
        fake.last_put_option_keys(),
        "metadata",
        "no expirationTtl without a TTL"
    );
    assert!(prop(&fake.last_metadata(), "expiresAt").is_undefined());
}

#[wasm_bindgen_test]
async fn the_default_ttl_is_exact_too() {
    let fake = FakeKv::new();
    let clock = ManualClock::new(START);
    let kv = KvBackend::builder(fake.clone().into())
        .clock(clock.clone())
        .default_ttl(Duration::from_secs(2))
        .build()
        .unwrap();
    kv.set("k", b"v".to_vec(), None).await.unwrap();
    assert_eq!(fake.last_expiration_ttl().as_f64(), Some(60.0));
    clock.advance(Duration::from_millis(1_999));
    assert_eq!(kv.get("k").await.unwrap(), Some(b"v".to_vec()));
    clock.advance(Duration::from_millis(1));
    assert_eq!(kv.get("k").await.unwrap(), None);
    // An explicit TTL wins over the default.
    kv.set("k", b"v".to_vec(), Some(Duration::from_secs(120)))
        .await
        .unwrap();
    assert_eq!(fake.last_expiration_ttl().as_f64(), Some(120.0));
}

// ---- limits, checked before any call ----

async fn assert_key_refused(kv: &KvBackend, fake: &FakeKv, key: &str) {
    fake.reset_counters();
    assert_eq!(
        code(kv.set(key, vec![1], None).await),
        "EDGECACHE_INVALID_KEY"
    );
    assert_eq!(code(kv.get(key).await), "EDGECACHE_INVALID_KEY");
    assert_eq!(code(kv.get_with_expiry(key).await), "EDGECACHE_INVALID_KEY");
    assert_eq!(code(kv.exists(key).await), "EDGECACHE_INVALID_KEY");
    assert_eq!(code(kv.delete(key).await), "EDGECACHE_INVALID_KEY");
    assert_eq!(code(kv.mget(&["fine", key]).await), "EDGECACHE_INVALID_KEY");
    assert_eq!(
        code(kv.mdelete(&["fine", key]).await),
        "EDGECACHE_INVALID_KEY"
    );
    assert_eq!(
        total_calls(fake),
        0,
        "refused before any call: {} bytes",
        key.len()
    );
}

async fn assert_key_accepted(kv: &KvBackend, fake: &FakeKv, key: &str, stored_len: usize) {
    kv.set(key, b"v".to_vec(), None).await.unwrap();
    let stored = fake.last_put_key().unwrap();
    assert_eq!(stored.len(), stored_len);
    assert_eq!(kv.get(key).await.unwrap(), Some(b"v".to_vec()));
    kv.delete(key).await.unwrap();
    assert!(!fake.has(&stored));
}

#[wasm_bindgen_test]
async fn stored_keys_are_at_most_512_bytes_with_the_namespace_encoding() {
    let (fake, _clock, root) = setup();
    // No namespace: "0::" + key.
    assert_key_accepted(&root, &fake, &"a".repeat(508), 511).await;
    assert_key_accepted(&root, &fake, &"a".repeat(509), 512).await;
    assert_key_refused(&root, &fake, &"a".repeat(510)).await;
    // Namespace "ns": "2:ns:" + key.
    let ns = root.with_namespace("ns").unwrap();
    assert_key_accepted(&ns, &fake, &"a".repeat(506), 511).await;
    assert_key_accepted(&ns, &fake, &"a".repeat(507), 512).await;
    assert_key_refused(&ns, &fake, &"a".repeat(508)).await;
    // UTF-8 bytes, not characters: 'é' is two bytes.
    assert_key_accepted(&root, &fake, &format!("{}a", "é".repeat(254)), 512).await;
    assert_key_refused(&root, &fake, &"é".repeat(255)).await;
    // The message says what the limit is.
    let err = root.set(&"a".repeat(600), vec![], None).await.unwrap_err();
    assert!(err.to_string().contains("512"), "{err}");
}

#[wasm_bindgen_test]
async fn values_are_at_most_25_mib_with_the_record_header() {
    let (fake, _clock, kv) = setup();
    let largest = KvBackend::MAX_VALUE_BYTES - record::HEADER_LEN;
    assert_eq!(KvBackend::MAX_VALUE_BYTES, 25 * 1024 * 1024);

    fake.reset_counters();
    let err = kv.set("big", vec![7; largest + 1], None).await.unwrap_err();
    assert_eq!(
        err,
        Error::ValueTooLarge {
            size: KvBackend::MAX_VALUE_BYTES as u64 + 1,
            limit: KvBackend::MAX_VALUE_BYTES as u64
        }
    );
    assert_eq!(total_calls(&fake), 0, "refused before any call");

    let mut value = vec![7; largest];
    value[0] = 1;
    value[largest - 1] = 2;
    kv.set("big", value, None).await.unwrap();
    assert_eq!(
        fake.stored_length("0::big"),
        KvBackend::MAX_VALUE_BYTES as i32,
        "KV (which refuses more than 25 MiB) got a full-size record"
    );
    let back = kv.get("big").await.unwrap().unwrap();
    assert_eq!(back.len(), largest);
    assert_eq!((back[0], back[1], back[largest - 1]), (1, 7, 2));
}

// ---- clear_all ----

#[wasm_bindgen_test]
async fn clear_all_pages_through_more_than_1000_keys_and_spares_other_namespaces() {
    let (fake, _clock, root) = setup();
    let big = root.with_namespace("big").unwrap();
    let neighbour = root.with_namespace("big2").unwrap();
    for i in 0..2_100 {
        big.set(&format!("k{i}"), vec![1], None).await.unwrap();
    }
    for i in 0..5 {
        neighbour
            .set(&format!("k{i}"), vec![2], None)
            .await
            .unwrap();
        root.set(&format!("k{i}"), vec![3], None).await.unwrap();
    }
    assert_eq!(fake.count_with_prefix("3:big:"), 2_100);

    fake.reset_counters();
    big.clear_all().await.unwrap();
    assert_eq!(fake.count_with_prefix("3:big:"), 0);
    assert_eq!(fake.calls("list"), 3, "pages of 1,000, 1,000 and 100");
    assert_eq!(fake.calls("delete"), 2_100);
    assert_eq!(fake.calls("put") + fake.calls("get"), 0);
    let in_flight = fake.max_in_flight("delete");
    assert!(
        in_flight > 1 && in_flight <= 100,
        "deletes run concurrently in bounded batches: {in_flight} at once"
    );
    assert_eq!(fake.in_flight("delete"), 0, "nothing left in flight");

    assert_eq!(big.get("k0").await.unwrap(), None);
    assert_eq!(big.get("k2099").await.unwrap(), None);
    assert_eq!(fake.count_with_prefix("4:big2:"), 5);
    assert_eq!(fake.count_with_prefix("0::"), 5);
    assert_eq!(neighbour.get("k4").await.unwrap(), Some(vec![2]));
    assert_eq!(root.get("k4").await.unwrap(), Some(vec![3]));

    root.clear_all().await.unwrap();
    assert_eq!(fake.size(), 5, "only big2's keys are left");
}

#[wasm_bindgen_test]
async fn clear_all_stops_on_a_list_that_would_loop() {
    let (fake, _clock, kv) = setup();
    kv.set("k", vec![1], None).await.unwrap();
    fake.set_fault("list", "noCursor", "");
    let message = backend_message(kv.clear_all().await);
    assert!(message.contains("cursor"), "{message}");
    fake.set_fault("list", "stuckCursor", "");
    fake.reset_counters();
    let message = backend_message(kv.clear_all().await);
    assert!(message.contains("cursor"), "{message}");
    assert_eq!(fake.calls("list"), 2);
    fake.clear_fault();
    kv.clear_all().await.unwrap();
    assert_eq!(fake.size(), 0);
}

#[wasm_bindgen_test]
async fn clear_all_deletes_only_its_own_keys_even_if_list_ignores_the_prefix() {
    let (fake, _clock, root) = setup();
    let a = root.with_namespace("a").unwrap();
    let b = root.with_namespace("b").unwrap();
    for i in 0..1_200 {
        a.set(&format!("k{i}"), vec![1], None).await.unwrap();
    }
    b.set("k", vec![2], None).await.unwrap();
    root.set("k", vec![3], None).await.unwrap();
    fake.set_fault("list", "ignorePrefix", "");
    a.clear_all().await.unwrap();
    fake.clear_fault();
    assert_eq!(fake.count_with_prefix("1:a:"), 0);
    assert_eq!(fake.size(), 2);
    assert_eq!(b.get("k").await.unwrap(), Some(vec![2]));
    assert_eq!(root.get("k").await.unwrap(), Some(vec![3]));
}

// ---- faults ----

async fn run_op(kv: &KvBackend, op: &str) -> edgecache::Result<()> {
    match op {
        "get" => kv.get("faulty").await.map(drop),
        "put" => kv.set("faulty", b"x".to_vec(), None).await,
        "delete" => kv.delete("faulty").await,
        "list" => kv.clear_all().await,
        other => panic!("unknown op {other}"),
    }
}

#[wasm_bindgen_test]
async fn every_injected_fault_is_a_backend_error_and_the_backend_keeps_working() {
    let (fake, _clock, kv) = setup();
    let faults: [(&str, &[&str], &str); 7] = [
        ("throw", &OPS, "synchronous throw"),
        ("reject429", &OPS, "failed: 429 Too Many Requests"),
        ("rejectString", &OPS, "KV is busy"),
        (
            "rejectObject",
            &OPS,
            r#"{"status":503,"reason":"overloaded"}"#,
        ),
        ("rejectUndefined", &OPS, "undefined"),
        (
            "string",
            &["get", "list"],
            "the string \"not an ArrayBuffer\"",
        ),
        ("number", &["get", "list"], "the number 42"),
    ];
    for (kind, ops, expected) in faults {
        for op in ops {
            kv.set("faulty", b"before".to_vec(), None).await.unwrap();
            fake.set_fault(op, kind, "");
            let message = backend_message(run_op(&kv, op).await);
            assert!(message.contains(expected), "{op}/{kind}: {message}");
            assert_eq!(fake.in_flight(op), 0);
            fake.clear_fault();
            // The backend is unharmed.
            kv.set("after", b"ok".to_vec(), None).await.unwrap();
            assert_eq!(kv.get("after").await.unwrap(), Some(b"ok".to_vec()));
            run_op(&kv, op).await.unwrap();
        }
    }
    // The 429 message names the call that failed.
    fake.set_fault("put", "reject429", "");
    let message = backend_message(kv.set("k", vec![1], None).await);
    assert!(message.starts_with("KV put of \"0::k\""), "{message}");
    assert_eq!(
        Error::Backend(message).to_string(),
        "backend failure: KV put of \"0::k\": KV PUT failed: 429 Too Many Requests"
    );
    fake.clear_fault();
}

#[wasm_bindgen_test]
async fn health_check_is_one_read_and_reports_failures() {
    let (fake, _clock, kv) = setup();
    fake.reset_counters();
    assert!(kv.health_check().await.unwrap());
    assert_eq!(fake.calls("get"), 1);
    assert_eq!(total_calls(&fake), 1);
    for kind in ["throw", "reject429", "string"] {
        fake.set_fault("get", kind, "");
        assert_eq!(code(kv.health_check().await), "EDGECACHE_BACKEND", "{kind}");
    }
    fake.clear_fault();
    assert!(kv.health_check().await.unwrap());
}

#[wasm_bindgen_test]
async fn undecodable_records_are_misses_and_are_left_alone() {
    let (fake, _clock, kv) = setup();
    kv.set("k", b"value".to_vec(), None).await.unwrap();
    let full = fake.stored_length("0::k") as u32;
    let mut newer = record::encode(None, b"v");
    newer[1] = record::VERSION + 1;
    for len in [0, 5, record::HEADER_LEN as u32 - 1] {
        fake.truncate("0::k", len);
        fake.reset_counters();
        assert_eq!(kv.get("k").await.unwrap(), None, "truncated to {len}");
        assert!(!kv.exists("k").await.unwrap());
        assert_eq!(kv.get_with_expiry("k").await.unwrap(), None);
        assert_eq!(kv.mget(&["k", "k"]).await.unwrap(), vec![None, None]);
        assert_eq!(
            fake.calls("put") + fake.calls("delete"),
            0,
            "no write on read"
        );
        assert!(fake.has("0::k"));
        kv.set("k", b"value".to_vec(), None).await.unwrap();
        assert_eq!(fake.stored_length("0::k") as u32, full);
    }
    for foreign in [&br#"{"json":true}"#[..], &newer[..]] {
        fake.store_raw("0::k", foreign);
        assert_eq!(kv.get("k").await.unwrap(), None);
    }
    kv.set("k", b"again".to_vec(), None).await.unwrap();
    assert_eq!(kv.get("k").await.unwrap(), Some(b"again".to_vec()));
}

#[wasm_bindgen_test]
async fn a_uint8array_answer_is_accepted() {
    let (fake, _clock, kv) = setup();
    kv.set("k", b"bytes".to_vec(), None).await.unwrap();
    fake.set_fault("get", "uint8", "");
    assert_eq!(kv.get("k").await.unwrap(), Some(b"bytes".to_vec()));
    assert_eq!(kv.get("missing").await.unwrap(), None);
    fake.clear_fault();
}

// ---- batches ----

#[wasm_bindgen_test]
async fn mget_and_mdelete_issue_their_calls_concurrently_and_keep_order() {
    let (fake, _clock, kv) = setup();
    let keys: Vec<String> = (0..40).map(|i| format!("k{i}")).collect();
    for (i, key) in keys.iter().enumerate() {
        if i % 3 != 0 {
            kv.set(key, vec![i as u8], None).await.unwrap();
        }
    }
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    fake.reset_counters();
    let got = kv.mget(&refs).await.unwrap();
    let expected: Vec<Option<Vec<u8>>> = (0..40)
        .map(|i| (i % 3 != 0).then(|| vec![i as u8]))
        .collect();
    assert_eq!(got, expected);
    assert_eq!(fake.calls("get"), 40);
    assert!(
        fake.max_in_flight("get") > 1,
        "gets were issued one at a time"
    );
    let with_expiry = kv.mget_with_expiry(&refs).await.unwrap();
    assert_eq!(with_expiry.iter().filter(|e| e.is_some()).count(), 26);

    fake.reset_counters();
    kv.mdelete(&refs).await.unwrap();
    assert_eq!(fake.calls("delete"), 40);
    assert!(fake.max_in_flight("delete") > 1);
    assert_eq!(fake.size(), 0);
    assert_eq!(kv.mget(&refs).await.unwrap(), vec![None; 40]);
}

#[wasm_bindgen_test]
async fn a_failed_get_fails_mget_with_nothing_left_in_flight() {
    let (fake, _clock, kv) = setup();
    for i in 0..10 {
        kv.set(&format!("k{i}"), vec![i], None).await.unwrap();
    }
    let keys: Vec<String> = (0..10).map(|i| format!("k{i}")).collect();
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    for kind in ["reject429", "throw", "rejectObject", "number"] {
        fake.set_fault("get", kind, "k7");
        assert_eq!(code(kv.mget(&refs).await), "EDGECACHE_BACKEND", "{kind}");
        assert_eq!(fake.in_flight("get"), 0);
        fake.clear_fault();
    }
    for kind in ["reject429", "throw", "rejectObject"] {
        fake.set_fault("delete", kind, "k7");
        assert_eq!(code(kv.mdelete(&refs).await), "EDGECACHE_BACKEND", "{kind}");
        assert_eq!(fake.in_flight("delete"), 0);
        assert!(fake.has("0::k7"));
        fake.clear_fault();
        for i in 0..10 {
            kv.set(&format!("k{i}"), vec![i], None).await.unwrap();
        }
    }
    assert_eq!(kv.mget(&refs).await.unwrap()[7], Some(vec![7]));
}

#[wasm_bindgen_test]
async fn what_put_and_delete_resolve_to_does_not_matter() {
    // KV resolves them to undefined; adapters may resolve to anything.
    let (fake, _clock, kv) = setup();
    for kind in ["string", "number"] {
        fake.set_fault("put", kind, "");
        kv.set("k", vec![1], None).await.unwrap();
        fake.set_fault("delete", kind, "");
        kv.delete("k").await.unwrap();
        kv.mdelete(&["k", "j"]).await.unwrap();
    }
    fake.clear_fault();
}

#[wasm_bindgen_test]
async fn reads_and_deletes_never_write() {
    let (fake, _clock, kv) = setup();
    kv.set("k", vec![1], None).await.unwrap();
    fake.reset_counters();
    kv.get("k").await.unwrap();
    kv.get("missing").await.unwrap();
    kv.exists("k").await.unwrap();
    kv.mget(&["k", "missing"]).await.unwrap();
    kv.get_with_expiry("k").await.unwrap();
    assert_eq!(fake.calls("get"), 6);
    assert_eq!(total_calls(&fake), 6);
    kv.delete("k").await.unwrap();
    kv.delete("missing").await.unwrap();
    assert_eq!(fake.calls("delete"), 2);
    assert_eq!(fake.calls("put"), 0);
}

// ---- construction and handles ----

#[wasm_bindgen_test]
fn the_builder_checks_the_binding() {
    let not_objects = [
        JsValue::UNDEFINED,
        JsValue::NULL,
        JsValue::from(42),
        JsValue::from_str("KV"),
    ];
    for value in not_objects {
        let err = KvBackend::builder(value).build().unwrap_err();
        assert_eq!(err.code(), "EDGECACHE_INVALID_OPTIONS");
    }
    let noop = js_sys::Function::new_no_args("return null");
    for missing in ["get", "put", "delete", "list"] {
        let binding = Object::new();
        for method in ["get", "put", "delete", "list"] {
            let value: JsValue = if method == missing {
                JsValue::from(1)
            } else {
                noop.clone().into()
            };
            Reflect::set(&binding, &method.into(), &value).unwrap();
        }
        let err = KvBackend::new(binding.into()).unwrap_err();
        assert_eq!(err.code(), "EDGECACHE_INVALID_OPTIONS");
        assert!(err.to_string().contains(&format!("`{missing}`")), "{err}");
    }
    let fake: JsValue = FakeKv::new().into();
    assert!(KvBackend::new(fake.clone()).is_ok());
    assert_eq!(
        KvBackend::builder(fake.clone())
            .namespace("")
            .build()
            .unwrap_err()
            .code(),
        "EDGECACHE_INVALID_OPTIONS"
    );
    assert_eq!(
        KvBackend::builder(fake.clone())
            .default_ttl(Duration::ZERO)
            .build()
            .unwrap_err()
            .code(),
        "EDGECACHE_INVALID_OPTIONS"
    );
    let kv = KvBackend::new(fake).unwrap();
    assert_eq!(
        kv.with_namespace("").unwrap_err().code(),
        "EDGECACHE_INVALID_OPTIONS"
    );
}

#[wasm_bindgen_test]
async fn a_plain_object_with_synchronous_methods_is_a_binding() {
    // The few lines an adapter or test double needs.
    let binding = js_sys::Function::new_no_args(
        r#"
        const m = new Map();
        return {
          get: (k) => m.get(k) ?? null,
          put: (k, v) => { m.set(k, v); },
          delete: (k) => { m.delete(k); },
          list: ({ prefix }) => ({
            keys: [...m.keys()].filter((k) => k.startsWith(prefix)).map((name) => ({ name })),
            list_complete: true,
          }),
        };
        "#,
    )
    .call0(&JsValue::NULL)
    .unwrap();
    let kv = KvBackend::new(binding).unwrap();
    kv.set("k", b"v".to_vec(), Some(Duration::from_secs(1)))
        .await
        .unwrap();
    assert_eq!(kv.get("k").await.unwrap(), Some(b"v".to_vec()));
    kv.clear_all().await.unwrap();
    assert_eq!(kv.get("k").await.unwrap(), None);
    assert!(kv.health_check().await.unwrap());
}

#[wasm_bindgen_test]
async fn handles_share_the_binding_after_the_first_is_dropped() {
    let (fake, _clock, kv) = setup();
    let ns = kv.with_namespace("a").unwrap();
    let clone = kv.clone();
    drop(kv);
    ns.set("k", vec![1], None).await.unwrap();
    clone.set("k", vec![2], None).await.unwrap();
    assert!(fake.has("1:a:k") && fake.has("0::k"));
    drop(clone);
    assert_eq!(ns.get("k").await.unwrap(), Some(vec![1]));
}

#[wasm_bindgen_test]
fn handles_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync + Clone + 'static>() {}
    assert_send_sync::<KvBackend>();
}
