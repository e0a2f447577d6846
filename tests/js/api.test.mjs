// Tests of the public JavaScript API of the built package (pkg/), run with
// `node --test tests/js/`. Rebuild with `bash scripts/build.sh` after changing
// js/ or src/.
//
// Time is controlled by replacing Date.now (the cache reads it on every call);
// the suites that do so restore it in an afterEach hook.

import { describe, it, beforeEach, afterEach } from "node:test";
import assert from "node:assert/strict";

import { EdgeCache, ErrorCode } from "../../pkg/node.js";
import { REMOVED_SATURATED } from "../../pkg/constants.js";

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

const ENTRY_OVERHEAD = 96;
const MAX_KEY_BYTES = 16384;
const HUNDRED_YEARS_MS = 100 * 365 * 24 * 60 * 60 * 1000;
const T0 = 1_700_000_000_000;

const utf8 = new TextEncoder();

function bytes(...values) {
  return new Uint8Array(values);
}

function filled(length, fill = 7) {
  return new Uint8Array(length).fill(fill);
}

/** What an entry is charged: key UTF-8 bytes + value bytes + overhead. */
function weight(key, value) {
  return utf8.encode(key).length + value.byteLength + ENTRY_OVERHEAD;
}

/**
 * What the byte bound sees: `stats().bytes` counts keys and values, and the
 * memory cache's bound adds ENTRY_OVERHEAD per entry.
 */
function charged(stats) {
  return stats.bytes + stats.entries * ENTRY_OVERHEAD;
}

/** A validator for assert.throws/rejects: a real coded EdgeCacheError. */
function coded(code) {
  return (error) => {
    assert.ok(error instanceof Error, `expected an Error instance, got ${String(error)}`);
    assert.equal(error.name, "EdgeCacheError", `unexpected ${error.name}: ${error.message}`);
    assert.equal(error.code, code, `unexpected code for: ${error.message}`);
    assert.equal(typeof error.message, "string");
    assert.ok(error.message.length > 0);
    return true;
  };
}

/** Calls `call`, which must return a Promise (not throw) that rejects with `code`. */
async function assertRejectsWith(call, code) {
  let promise;
  assert.doesNotThrow(() => {
    promise = call();
  }, "the method must reject, not throw synchronously");
  assert.ok(promise instanceof Promise, "the method must return a Promise");
  await assert.rejects(promise, coded(code));
}

function deferred() {
  let resolve;
  let reject;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const nextMacrotask = () => new Promise((resolve) => setImmediate(resolve));

/** A cache holding three known entries, for checking that bad calls change nothing. */
async function seededCache(options) {
  const cache = EdgeCache.memory(options);
  const values = new Map([
    ["alpha", bytes(1, 2, 3)],
    ["beta", bytes(4, 5)],
    ["gamma-é", bytes(6)],
  ]);
  for (const [key, value] of values) await cache.set(key, value);
  return { cache, values };
}

/**
 * Asserts that the cache still holds exactly `values` (the same objects), that
 * nothing was inserted, evicted or expired since `before` was taken, and that
 * the cache still accepts writes.
 */
async function assertIntact(cache, values, before) {
  const after = await cache.stats();
  for (const field of ["entries", "bytes", "inserts", "evictions", "expirations"]) {
    assert.equal(after[field], before[field], `stats.${field} changed after a rejected call`);
  }
  for (const [key, value] of values) {
    assert.equal(await cache.get(key), value, `${key} lost its value after a rejected call`);
  }
  const probe = bytes(42);
  await cache.set("probe-after-error", probe);
  assert.equal(await cache.get("probe-after-error"), probe);
  await cache.delete("probe-after-error");
  assert.equal(await cache.has("probe-after-error"), false);
}

/** Replaces Date.now for the tests of the enclosing describe; returns a clock handle. */
function useFakeClock() {
  const clock = { now: T0 };
  let realNow;
  beforeEach(() => {
    realNow = Date.now;
    clock.now = T0;
    Date.now = () => clock.now;
  });
  afterEach(() => {
    Date.now = realNow;
  });
  return clock;
}

// Bad inputs shared by several suites.

const NON_STRING_KEYS = [
  ["undefined", undefined],
  ["null", null],
  ["a number", 42],
  ["zero", 0],
  ["a boolean", true],
  ["a bigint", 1n],
  ["a symbol", Symbol("key")],
  ["a plain object", { key: "a" }],
  ["an array", ["a"]],
  ["a String object", new String("a")],
  ["a Uint8Array", bytes(97)],
  ["a function", () => "a"],
];

const LONE_SURROGATE_KEYS = [
  ["a lone high surrogate", "\uD800"],
  ["a lone low surrogate", "\uDFFF"],
  ["a trailing high surrogate", "key\uD83D"],
  ["a leading low surrogate", "\uDE00key"],
  ["a reversed surrogate pair", "\uDE00\uD83D"],
];

function spoofedDataView() {
  const view = new DataView(new ArrayBuffer(4));
  Object.defineProperty(view, Symbol.toStringTag, { value: "Uint8Array" });
  return view;
}

function spoofedUint16Array() {
  const array = new Uint16Array(2);
  Object.defineProperty(array, Symbol.toStringTag, { value: "Uint8Array" });
  return array;
}

function detachedView(length) {
  const view = filled(length);
  structuredClone(view.buffer, { transfer: [view.buffer] });
  assert.equal(view.byteLength, 0, "the test failed to detach the buffer");
  return view;
}

const NON_UINT8ARRAY_VALUES = [
  ["undefined", () => undefined],
  ["null", () => null],
  ["a number", () => 5],
  ["a string", () => "abc"],
  ["an array of bytes", () => [1, 2, 3]],
  ["a plain object", () => ({ 0: 1, length: 1 })],
  ["an ArrayBuffer", () => new ArrayBuffer(3)],
  ["a DataView", () => new DataView(new ArrayBuffer(3))],
  ["an Int8Array", () => new Int8Array(3)],
  ["a Uint8ClampedArray", () => new Uint8ClampedArray(3)],
  ["a Uint16Array", () => new Uint16Array(3)],
  ["a DataView disguised with Symbol.toStringTag", spoofedDataView],
  ["a Uint16Array disguised with Symbol.toStringTag", spoofedUint16Array],
  ["a Proxy around a Uint8Array", () => new Proxy(bytes(1, 2), {})],
  ["a view of a SharedArrayBuffer", () => new Uint8Array(new SharedArrayBuffer(4))],
  ["a view of a detached buffer", () => detachedView(8)],
  ["a detached empty view", () => detachedView(0)],
];

const BAD_TTLS = [
  ["negative", -1],
  ["zero", 0],
  ["negative zero", -0],
  ["NaN", NaN],
  ["Infinity", Infinity],
  ["-Infinity", -Infinity],
  ["2**53", 2 ** 53],
  ["just over 100 years", HUNDRED_YEARS_MS + 1],
  ["a numeric string", "1000"],
  ["null", null],
  ["a bigint", 1000n],
  ["a boolean", true],
  ["an object", { ms: 1000 }],
];

function throwingGetterOptions(name) {
  return Object.defineProperty({}, name, {
    enumerable: true,
    get() {
      throw new Error("getter exploded");
    },
  });
}

const throwingOwnKeysProxy = () =>
  new Proxy(
    {},
    {
      ownKeys() {
        throw new Error("ownKeys exploded");
      },
    },
  );

const BAD_WRITE_OPTIONS = [
  ["a number", () => 1000],
  ["a string", () => "ttlMs"],
  ["null", () => null],
  ["an array", () => [1000]],
  ["an unknown option name", () => ({ ttl: 1000 })],
  ["a known and an unknown name", () => ({ ttlMs: 1000, maxEntries: 3 })],
  ["a throwing ttlMs getter", () => throwingGetterOptions("ttlMs")],
  ["a Proxy whose ownKeys throws", throwingOwnKeysProxy],
  ...BAD_TTLS.map(([label, ttlMs]) => [`ttlMs ${label}`, () => ({ ttlMs })]),
];

// ---------------------------------------------------------------------------
// Creation and options
// ---------------------------------------------------------------------------

describe("module exports", () => {
  it("exports the stable error codes, frozen", () => {
    assert.deepEqual({ ...ErrorCode }, {
      INVALID_KEY: "EDGECACHE_INVALID_KEY",
      INVALID_VALUE: "EDGECACHE_INVALID_VALUE",
      INVALID_OPTIONS: "EDGECACHE_INVALID_OPTIONS",
      VALUE_TOO_LARGE: "EDGECACHE_VALUE_TOO_LARGE",
      DECODE: "EDGECACHE_DECODE",
      BACKEND: "EDGECACHE_BACKEND",
      UNAVAILABLE: "EDGECACHE_UNAVAILABLE",
      QUOTA_EXCEEDED: "EDGECACHE_QUOTA_EXCEEDED",
      BLOCKED: "EDGECACHE_BLOCKED",
      AUTH: "EDGECACHE_AUTH",
      UNSUPPORTED: "EDGECACHE_UNSUPPORTED",
    });
    assert.ok(Object.isFrozen(ErrorCode));
  });

  it("refuses direct construction with a coded error", () => {
    assert.throws(() => new EdgeCache(), coded(ErrorCode.INVALID_OPTIONS));
    assert.throws(() => new EdgeCache({}, {}, "ns"), coded(ErrorCode.INVALID_OPTIONS));
  });
});

describe("EdgeCache.memory(options)", () => {
  it("creates a working cache with no options, an empty object or undefined", async () => {
    for (const cache of [EdgeCache.memory(), EdgeCache.memory({}), EdgeCache.memory(undefined)]) {
      assert.ok(cache instanceof EdgeCache);
      const value = bytes(1);
      await cache.set("k", value);
      assert.equal(await cache.get("k"), value);
    }
  });

  it("accepts every documented option and exposes the namespace", async () => {
    const cache = EdgeCache.memory({ maxEntries: 5, maxBytes: 4096, defaultTtlMs: 60_000, namespace: "sessions" });
    assert.equal(cache.namespace, "sessions");
    assert.equal(EdgeCache.memory().namespace, undefined);
    await cache.set("k", bytes(1));
    assert.equal(await cache.has("k"), true);
  });

  it("accepts the smallest bounds: maxEntries 1 and maxBytes 97", async () => {
    const cache = EdgeCache.memory({ maxEntries: 1, maxBytes: ENTRY_OVERHEAD + 1 });
    const value = new Uint8Array(0);
    await cache.set("k", value);
    assert.equal(await cache.get("k"), value);
    assert.equal(charged(await cache.stats()), ENTRY_OVERHEAD + 1);
  });

  it("accepts a namespace of exactly 256 UTF-8 bytes", () => {
    assert.equal(EdgeCache.memory({ namespace: "é".repeat(128) }).namespace, "é".repeat(128));
  });

  it("keeps caches independent of each other", async () => {
    const a = EdgeCache.memory({ namespace: "a" });
    const b = EdgeCache.memory({ namespace: "b" });
    await a.set("shared-key", bytes(1));
    assert.equal(await b.get("shared-key"), undefined);
    assert.equal((await b.stats()).entries, 0);
  });

  const badOptions = [
    ["a number", 10],
    ["a string", "maxEntries=10"],
    ["null", null],
    ["an array", [10]],
    ["an unknown option name", { maxEntry: 10 }],
    ["a write option name", { ttlMs: 1000 }],
    ["a misspelt name next to valid ones", { maxEntries: 10, maxbytes: 1000 }],
    ["maxEntries as a string", { maxEntries: "10" }],
    ["maxEntries as null", { maxEntries: null }],
    ["maxEntries as a bigint", { maxEntries: 10n }],
    ["maxEntries 0", { maxEntries: 0 }],
    ["maxEntries -1", { maxEntries: -1 }],
    ["maxEntries 1.5", { maxEntries: 1.5 }],
    ["maxEntries NaN", { maxEntries: NaN }],
    ["maxEntries Infinity", { maxEntries: Infinity }],
    ["maxEntries 2**32", { maxEntries: 2 ** 32 }],
    ["maxEntries 2**53", { maxEntries: 2 ** 53 }],
    ["maxBytes as a string", { maxBytes: "1000" }],
    ["maxBytes as a boolean", { maxBytes: true }],
    ["maxBytes 0", { maxBytes: 0 }],
    ["maxBytes equal to the per-entry overhead", { maxBytes: ENTRY_OVERHEAD }],
    ["maxBytes 1000.5", { maxBytes: 1000.5 }],
    ["maxBytes NaN", { maxBytes: NaN }],
    ["maxBytes Infinity", { maxBytes: Infinity }],
    ...BAD_TTLS.map(([label, defaultTtlMs]) => [`defaultTtlMs ${label}`, { defaultTtlMs }]),
    ["namespace empty", { namespace: "" }],
    ["namespace a number", { namespace: 5 }],
    ["namespace null", { namespace: null }],
    ["namespace over 256 UTF-8 bytes", { namespace: "é".repeat(128) + "a" }],
  ];
  for (const [label, options] of badOptions) {
    it(`throws EDGECACHE_INVALID_OPTIONS synchronously for ${label}`, () => {
      assert.throws(() => EdgeCache.memory(options), coded(ErrorCode.INVALID_OPTIONS));
    });
  }

  it("throws EDGECACHE_INVALID_OPTIONS when an option getter throws", () => {
    for (const name of ["maxEntries", "maxBytes", "defaultTtlMs", "namespace"]) {
      assert.throws(() => EdgeCache.memory(throwingGetterOptions(name)), coded(ErrorCode.INVALID_OPTIONS));
    }
  });

  it("throws EDGECACHE_INVALID_OPTIONS when enumerating the options throws", () => {
    assert.throws(() => EdgeCache.memory(throwingOwnKeysProxy()), coded(ErrorCode.INVALID_OPTIONS));
  });
});

// ---------------------------------------------------------------------------
// Basic operations
// ---------------------------------------------------------------------------

describe("basic operations", () => {
  it("every method returns a Promise", async () => {
    const cache = EdgeCache.memory();
    const calls = [
      () => cache.set("k", bytes(1)),
      () => cache.get("k"),
      () => cache.has("k"),
      () => cache.getMany(["k"]),
      () => cache.setText("t", "x"),
      () => cache.getText("t"),
      () => cache.setJson("j", 1),
      () => cache.getJson("j"),
      () => cache.getOrSet("o", () => bytes(1)),
      () => cache.delete("k"),
      () => cache.deleteMany(["t"]),
      () => cache.healthCheck(),
      () => cache.stats(),
      () => cache.clear(),
    ];
    for (const call of calls) {
      const result = call();
      assert.ok(result instanceof Promise, `${call} did not return a Promise`);
      await result;
    }
  });

  it("get resolves to undefined for a missing key", async () => {
    const cache = EdgeCache.memory();
    assert.equal(await cache.get("missing"), undefined);
  });

  it("get returns the very Uint8Array that was stored", async () => {
    const cache = EdgeCache.memory();
    const value = bytes(1, 2, 3);
    await cache.set("k", value);
    const got = await cache.get("k");
    assert.equal(got, value);
    assert.deepEqual([...got], [1, 2, 3]);
  });

  it("stores an empty value as a hit, not a miss", async () => {
    const cache = EdgeCache.memory();
    const empty = new Uint8Array(0);
    await cache.set("empty", empty);
    assert.equal(await cache.get("empty"), empty);
    assert.equal(await cache.has("empty"), true);
  });

  it("accepts a Node Buffer (a Uint8Array subclass) and returns it", async () => {
    const cache = EdgeCache.memory();
    const value = Buffer.from("buffer");
    await cache.set("buf", value);
    assert.equal(await cache.get("buf"), value);
  });

  it("accepts a subarray view and accounts only the view's bytes", async () => {
    const cache = EdgeCache.memory();
    const view = filled(100).subarray(10, 20);
    await cache.set("view", view);
    assert.equal(await cache.get("view"), view);
    assert.equal(charged(await cache.stats()), weight("view", view));
  });

  it("stores a view of a resizable buffer so that later resizes cannot skew accounting", async () => {
    const cache = EdgeCache.memory();
    const buffer = new ArrayBuffer(4, { maxByteLength: 64 });
    const view = new Uint8Array(buffer); // length-tracking
    view.set([1, 2, 3, 4]);
    await cache.set("rab", view);
    buffer.resize(64);
    const got = await cache.get("rab");
    assert.deepEqual([...got], [1, 2, 3, 4]);
    assert.equal(charged(await cache.stats()), "rab".length + 4 + ENTRY_OVERHEAD);
  });

  it("treats keys like __proto__ and constructor as ordinary keys", async () => {
    const cache = EdgeCache.memory();
    for (const key of ["__proto__", "constructor", "hasOwnProperty", "toString"]) {
      assert.equal(await cache.get(key), undefined);
      const value = bytes(key.length);
      await cache.set(key, value);
      assert.equal(await cache.get(key), value);
    }
    assert.equal((await cache.stats()).entries, 4);
  });

  it("accepts non-ASCII keys, including well-formed surrogate pairs", async () => {
    const cache = EdgeCache.memory();
    for (const key of ["é", "日本語", "😀", "a😀b", "\u0000", " "]) {
      const value = bytes(1);
      await cache.set(key, value);
      assert.equal(await cache.get(key), value, JSON.stringify(key));
    }
  });

  it("set overwrites the value under a key", async () => {
    const cache = EdgeCache.memory();
    const first = bytes(1);
    const second = bytes(2, 2);
    await cache.set("k", first);
    await cache.set("k", second);
    assert.equal(await cache.get("k"), second);
    assert.equal((await cache.stats()).entries, 1);
  });

  it("delete removes a key, and deleting a missing key is fine", async () => {
    const cache = EdgeCache.memory();
    await cache.set("a", bytes(1));
    await cache.set("b", bytes(2));
    assert.equal(await cache.delete("a"), undefined);
    assert.equal(await cache.get("a"), undefined);
    assert.equal(await cache.has("a"), false);
    await cache.delete("a");
    await cache.delete("never-set");
    const stats = await cache.stats();
    assert.equal(stats.entries, 1);
    assert.equal(charged(stats), weight("b", bytes(2)));
  });

  it("has reports whether a key holds a live value", async () => {
    const cache = EdgeCache.memory();
    assert.equal(await cache.has("k"), false);
    await cache.set("k", bytes(1));
    assert.equal(await cache.has("k"), true);
  });

  it("getMany returns the values in order, undefined for misses, same objects", async () => {
    const cache = EdgeCache.memory();
    const a = bytes(1);
    const c = bytes(3);
    await cache.set("a", a);
    await cache.set("c", c);
    const got = await cache.getMany(["c", "missing", "a", "c"]);
    assert.equal(got.length, 4);
    assert.equal(got[0], c);
    assert.equal(got[1], undefined);
    assert.equal(got[2], a);
    assert.equal(got[3], c);
    assert.deepEqual(await cache.getMany([]), []);
  });

  it("deleteMany removes every listed key and only those", async () => {
    const cache = EdgeCache.memory();
    const keep = bytes(9);
    await cache.set("a", bytes(1));
    await cache.set("b", bytes(2));
    await cache.set("keep", keep);
    await cache.deleteMany(["a", "b", "missing"]);
    assert.deepEqual(await cache.getMany(["a", "b"]), [undefined, undefined]);
    assert.equal(await cache.get("keep"), keep);
    assert.equal((await cache.stats()).entries, 1);
    await cache.deleteMany([]);
    assert.equal((await cache.stats()).entries, 1);
  });

  it("clear empties the cache, which keeps working afterwards", async () => {
    const cache = EdgeCache.memory();
    for (let i = 0; i < 10; i++) await cache.set(`k${i}`, filled(i));
    await cache.clear();
    const stats = await cache.stats();
    assert.equal(stats.entries, 0);
    assert.equal(charged(stats), 0);
    for (let i = 0; i < 10; i++) assert.equal(await cache.has(`k${i}`), false);
    assert.equal(await cache.get("k3"), undefined);
    const value = bytes(1);
    await cache.set("k3", value);
    assert.equal(await cache.get("k3"), value);
    assert.equal((await cache.stats()).entries, 1);
    // No key from before the clear may resolve to the new entry.
    for (let i = 0; i < 10; i++) {
      if (i !== 3) assert.equal(await cache.get(`k${i}`), undefined, `k${i} after clear`);
    }
  });

  it("healthCheck resolves to true", async () => {
    assert.equal(await EdgeCache.memory().healthCheck(), true);
  });

  it("stats has exactly the seven documented numeric fields, all zero at first", async () => {
    assert.deepEqual(await EdgeCache.memory().stats(), {
      hits: 0,
      misses: 0,
      inserts: 0,
      evictions: 0,
      expirations: 0,
      entries: 0,
      bytes: 0,
    });
  });
});

// ---------------------------------------------------------------------------
// Text and JSON helpers
// ---------------------------------------------------------------------------

describe("overwrites", () => {
  it("an overwrite of the same length (stored without an engine call) is counted, bounded and read back like any other", async () => {
    const cache = EdgeCache.memory({ maxEntries: 2 });
    await cache.set("a", bytes(1, 2));
    const same = bytes(3, 4);
    await cache.set("a", same);
    assert.equal(await cache.get("a"), same);
    let stats = await cache.stats();
    assert.deepEqual([stats.inserts, stats.entries, charged(stats)], [2, 1, weight("a", same)]);
    const longer = bytes(5, 6, 7);
    await cache.set("a", longer);
    stats = await cache.stats();
    assert.deepEqual([stats.inserts, charged(stats)], [3, weight("a", longer)]);
    // Evictions still see the entry where it was: fill past the bound.
    await cache.set("b", bytes(1));
    await cache.set("c", bytes(1));
    stats = await cache.stats();
    assert.equal(stats.entries, 2);
    assert.equal(stats.inserts, 5);
  });

  it("once an entry may expire, an overwrite without a TTL clears the old one's", async () => {
    const cache = EdgeCache.memory();
    await cache.set("k", bytes(1), { ttlMs: 60_000 });
    const forever = bytes(2);
    await cache.set("k", forever);
    const realNow = Date.now;
    try {
      Date.now = () => realNow() + 120_000;
      assert.equal(await cache.get("k"), forever);
    } finally {
      Date.now = realNow;
    }
  });
});

describe("exact expiry (issue 14 §7)", () => {
  it("a 1 ms entry read straight after its write is gone only once a millisecond has passed", async () => {
    // Date.now() truncates: a write is dated from the end of its millisecond,
    // so an entry never expires before its TTL (it used to, about 25 times
    // in 20,000 here). performance.now() measures the real time between.
    const cache = EdgeCache.memory();
    const value = new Uint8Array([1]);
    for (let i = 0; i < 20_000; i++) {
      const started = performance.now();
      await cache.set("brief", value, { ttlMs: 1 });
      const hit = (await cache.get("brief")) !== undefined;
      const elapsed = performance.now() - started;
      assert.ok(hit || elapsed >= 0.95, `read ${i}: gone after ${elapsed.toFixed(3)} ms`);
    }
  });
});

describe("text helpers", () => {
  it("setText stores UTF-8 and getText decodes it", async () => {
    const cache = EdgeCache.memory();
    for (const text of ["hello", "", "héllo wörld", "日本語", "emoji 😀", "\uFEFFwith a BOM", "nul\u0000byte"]) {
      await cache.setText("t", text);
      assert.equal(await cache.getText("t"), text);
      assert.deepEqual([...(await cache.get("t"))], [...utf8.encode(text)]);
    }
  });

  it("getText resolves to undefined for a missing key", async () => {
    assert.equal(await EdgeCache.memory().getText("missing"), undefined);
  });

  it("getText rejects with EDGECACHE_DECODE on invalid UTF-8 and leaves the value", async () => {
    const cache = EdgeCache.memory();
    for (const invalid of [bytes(0xff), bytes(0xc3), bytes(0xe2, 0x82), bytes(0xed, 0xa0, 0x80), bytes(0x61, 0xfe)]) {
      await cache.set("bin", invalid);
      await assertRejectsWith(() => cache.getText("bin"), ErrorCode.DECODE);
      assert.equal(await cache.get("bin"), invalid);
    }
  });

  it("setText rejects non-strings with EDGECACHE_INVALID_VALUE and stores nothing", async () => {
    const { cache, values } = await seededCache();
    for (const text of [undefined, null, 5, bytes(104, 105), ["hi"], new String("hi"), { toString: () => "hi" }]) {
      const before = await cache.stats();
      await assertRejectsWith(() => cache.setText("t", text), ErrorCode.INVALID_VALUE);
      assert.equal(await cache.has("t"), false);
      await assertIntact(cache, values, before);
    }
  });

  it("setText rejects text with lone surrogates with EDGECACHE_INVALID_VALUE", async () => {
    const { cache, values } = await seededCache();
    for (const [, text] of LONE_SURROGATE_KEYS) {
      const before = await cache.stats();
      await assertRejectsWith(() => cache.setText("t", text), ErrorCode.INVALID_VALUE);
      assert.equal(await cache.has("t"), false);
      await assertIntact(cache, values, before);
    }
  });
});

describe("JSON helpers", () => {
  it("setJson/getJson round-trip JSON values, including falsy ones", async () => {
    const cache = EdgeCache.memory();
    const samples = [{ a: 1, b: [true, null, "x"], c: { d: "é😀" } }, [1, 2, 3], "text", 42, -0.5, 0, false, null, ""];
    for (const value of samples) {
      await cache.setJson("j", value);
      assert.deepEqual(await cache.getJson("j"), value);
      assert.equal(await cache.getText("j"), JSON.stringify(value));
    }
  });

  it("setJson uses toJSON like JSON.stringify", async () => {
    const cache = EdgeCache.memory();
    const date = new Date(Date.UTC(2020, 0, 2));
    await cache.setJson("date", { when: date });
    assert.deepEqual(await cache.getJson("date"), { when: "2020-01-02T00:00:00.000Z" });
  });

  it("getJson resolves to undefined for a missing key", async () => {
    assert.equal(await EdgeCache.memory().getJson("missing"), undefined);
  });

  it("getJson rejects with EDGECACHE_DECODE on non-JSON text and on invalid UTF-8", async () => {
    const cache = EdgeCache.memory();
    for (const text of ["{not json", "", "undefined", "{'a':1}", "1 2"]) {
      await cache.setText("j", text);
      await assertRejectsWith(() => cache.getJson("j"), ErrorCode.DECODE);
      assert.equal(await cache.getText("j"), text, "the stored data must be left as it is");
    }
    const invalid = bytes(0x7b, 0xff, 0x7d);
    await cache.set("j", invalid);
    await assertRejectsWith(() => cache.getJson("j"), ErrorCode.DECODE);
    assert.equal(await cache.get("j"), invalid);
  });

  it("setJson rejects values without a JSON form with EDGECACHE_INVALID_VALUE and stores nothing", async () => {
    const { cache, values } = await seededCache();
    const circular = {};
    circular.self = circular;
    const unencodable = [
      ["undefined", undefined],
      ["a function", () => 1],
      ["a symbol", Symbol("s")],
      ["a bigint", 10n],
      ["an object holding a bigint", { n: 10n }],
      ["a circular object", circular],
      ["a toJSON that throws an Error", { toJSON: () => { throw new Error("nope"); } }],
      ["a toJSON that throws a string", { toJSON: () => { throw "nope"; } }],
      ["a toJSON that throws null", { toJSON: () => { throw null; } }],
      ["a toJSON that throws undefined", { toJSON: () => { throw undefined; } }],
      ["a toJSON that throws a symbol", { toJSON: () => { throw Symbol("nope"); } }],
    ];
    for (const [label, value] of unencodable) {
      const before = await cache.stats();
      await assert.rejects(cache.setJson("j", value), coded(ErrorCode.INVALID_VALUE), label);
      assert.equal(await cache.has("j"), false, label);
      await assertIntact(cache, values, before);
    }
  });
});

// ---------------------------------------------------------------------------
// Key validation
// ---------------------------------------------------------------------------

/** Every single-key method, called with `key` and otherwise valid arguments. */
function keyedCalls(cache, key, loader) {
  return [
    ["get", () => cache.get(key)],
    ["set", () => cache.set(key, bytes(1))],
    ["set with ttlMs", () => cache.set(key, bytes(1), { ttlMs: 1000 })],
    ["has", () => cache.has(key)],
    ["delete", () => cache.delete(key)],
    ["getText", () => cache.getText(key)],
    ["setText", () => cache.setText(key, "x")],
    ["getJson", () => cache.getJson(key)],
    ["setJson", () => cache.setJson(key, { x: 1 })],
    ["getOrSet", () => cache.getOrSet(key, loader)],
    ["getMany", () => cache.getMany(["alpha", key])],
    ["deleteMany", () => cache.deleteMany(["alpha", key])],
  ];
}

describe("key validation", () => {
  const invalidKeys = [
    ...NON_STRING_KEYS,
    ["the empty string", ""],
    ...LONE_SURROGATE_KEYS,
    ["16385 ASCII bytes", "a".repeat(MAX_KEY_BYTES + 1)],
    ["16386 bytes of 'é'", "é".repeat(MAX_KEY_BYTES / 2 + 1)],
  ];
  for (const [label, key] of invalidKeys) {
    it(`every method rejects ${label} with EDGECACHE_INVALID_KEY and changes nothing`, async () => {
      const { cache, values } = await seededCache();
      let loaderCalls = 0;
      const loader = () => {
        loaderCalls++;
        return bytes(1);
      };
      for (const [method, call] of keyedCalls(cache, key, loader)) {
        const before = await cache.stats();
        await assert.rejects(
          (async () => {
            let promise;
            assert.doesNotThrow(() => {
              promise = call();
            }, `${method} threw synchronously`);
            return promise;
          })(),
          coded(ErrorCode.INVALID_KEY),
          method,
        );
        await assertIntact(cache, values, before);
      }
      assert.equal(loaderCalls, 0, "getOrSet must not run the loader for an invalid key");
    });
  }

  it("getMany and deleteMany reject a non-array with EDGECACHE_INVALID_KEY", async () => {
    const { cache, values } = await seededCache();
    for (const notArray of [undefined, null, "alpha", { 0: "alpha", length: 1 }, new Set(["alpha"])]) {
      const before = await cache.stats();
      await assertRejectsWith(() => cache.getMany(notArray), ErrorCode.INVALID_KEY);
      await assertRejectsWith(() => cache.deleteMany(notArray), ErrorCode.INVALID_KEY);
      await assertIntact(cache, values, before);
    }
  });

  it("deleteMany with one invalid key deletes none of the valid ones", async () => {
    const { cache, values } = await seededCache();
    const before = await cache.stats();
    await assertRejectsWith(() => cache.deleteMany(["alpha", "beta", ""]), ErrorCode.INVALID_KEY);
    await assertIntact(cache, values, before);
  });

  it("getMany with one invalid key counts no hits or misses", async () => {
    const { cache } = await seededCache();
    const before = await cache.stats();
    await assertRejectsWith(() => cache.getMany(["alpha", "missing", 7]), ErrorCode.INVALID_KEY);
    const after = await cache.stats();
    assert.equal(after.hits, before.hits);
    assert.equal(after.misses, before.misses);
  });

  // Keys of exactly 16384 UTF-8 bytes are accepted by both the JS check and
  // the Rust check; one more byte is refused by both, whatever the characters.
  const boundaryKeys = [
    ["ASCII", "a".repeat(MAX_KEY_BYTES), "a".repeat(MAX_KEY_BYTES + 1)],
    ["2-byte 'é'", "é".repeat(MAX_KEY_BYTES / 2), "é".repeat(MAX_KEY_BYTES / 2) + "a"],
    ["mixed 'é' and ASCII", "é".repeat(MAX_KEY_BYTES / 2 - 1) + "ab", "é".repeat(MAX_KEY_BYTES / 2 - 1) + "abc"],
    ["3-byte '€'", "€".repeat(5461) + "a", "€".repeat(5461) + "ab"],
    ["3-byte '€' and 2-byte 'é'", "€".repeat(5460) + "éé", "€".repeat(5462)],
    ["4-byte '😀'", "😀".repeat(MAX_KEY_BYTES / 4), "😀".repeat(MAX_KEY_BYTES / 4) + "a"],
  ];
  for (const [label, atLimit, overLimit] of boundaryKeys) {
    it(`accepts a ${label} key of exactly 16384 UTF-8 bytes in get and set, refuses 16385+`, async () => {
      assert.equal(utf8.encode(atLimit).length, MAX_KEY_BYTES, "test key at the limit is mis-sized");
      assert.ok(utf8.encode(overLimit).length > MAX_KEY_BYTES, "test key over the limit is mis-sized");

      const { cache, values } = await seededCache();
      const baseBytes = charged(await cache.stats());
      assert.equal(await cache.get(atLimit), undefined);
      const value = bytes(1, 2);
      await cache.set(atLimit, value);
      assert.equal(await cache.get(atLimit), value);
      assert.equal(await cache.has(atLimit), true);
      assert.deepEqual(await cache.getMany([atLimit]), [value]);
      assert.equal(charged(await cache.stats()), baseBytes + MAX_KEY_BYTES + 2 + ENTRY_OVERHEAD);

      const before = await cache.stats();
      await assertRejectsWith(() => cache.set(overLimit, value), ErrorCode.INVALID_KEY);
      await assertRejectsWith(() => cache.get(overLimit), ErrorCode.INVALID_KEY);
      await assertRejectsWith(() => cache.has(overLimit), ErrorCode.INVALID_KEY);
      await assertRejectsWith(() => cache.getOrSet(overLimit, () => value), ErrorCode.INVALID_KEY);
      await assertIntact(cache, new Map([...values, [atLimit, value]]), before);

      await cache.delete(atLimit);
      assert.equal(charged(await cache.stats()), baseBytes);
    });
  }
});

// ---------------------------------------------------------------------------
// Value validation
// ---------------------------------------------------------------------------

describe("value validation", () => {
  for (const [label, make] of NON_UINT8ARRAY_VALUES) {
    it(`set rejects ${label} with EDGECACHE_INVALID_VALUE and changes nothing`, async () => {
      const { cache, values } = await seededCache();
      // Both a new key and an existing key: the old value must survive.
      for (const key of ["new-key", "alpha"]) {
        const before = await cache.stats();
        await assertRejectsWith(() => cache.set(key, make()), ErrorCode.INVALID_VALUE);
        await assertRejectsWith(() => cache.set(key, make(), { ttlMs: 1000 }), ErrorCode.INVALID_VALUE);
        await assertIntact(cache, values, before);
      }
      assert.equal(await cache.has("new-key"), false);
    });
  }

  it("rejects a value whose entry exceeds maxBytes with EDGECACHE_VALUE_TOO_LARGE and evicts nothing", async () => {
    const { cache, values } = await seededCache({ maxBytes: 1000 });
    const before = await cache.stats();
    // "big" is 3 bytes: 3 + 902 + 96 = 1001 > 1000.
    await assertRejectsWith(() => cache.set("big", filled(902)), ErrorCode.VALUE_TOO_LARGE);
    // The same for a 2-byte key: 2 + 903 + 96 = 1001.
    await assertRejectsWith(() => cache.set("é", filled(903)), ErrorCode.VALUE_TOO_LARGE);
    await assertRejectsWith(() => cache.setText("big", "x".repeat(902)), ErrorCode.VALUE_TOO_LARGE);
    await assertRejectsWith(() => cache.set("big", filled(1 << 20)), ErrorCode.VALUE_TOO_LARGE);
    assert.equal(await cache.has("big"), false);
    await assertIntact(cache, values, before);
  });

  it("charges a value's real size even when its byteLength property lies", async () => {
    const { cache, values } = await seededCache({ maxBytes: 1000 });
    const before = await cache.stats();
    const liar = filled(100_000);
    Object.defineProperty(liar, "byteLength", { value: 1 });
    await assertRejectsWith(() => cache.set("liar", liar), ErrorCode.VALUE_TOO_LARGE);
    await assertIntact(cache, values, before);
    const small = filled(10);
    Object.defineProperty(small, "byteLength", { value: 100_000 });
    await cache.set("small", small);
    assert.equal(charged(await cache.stats()), charged(before) + "small".length + 10 + 96);
  });

  it("accepts an entry of exactly maxBytes, evicting everything else to fit it", async () => {
    const { cache, values } = await seededCache({ maxBytes: 1000 });
    const big = filled(901); // 3 + 901 + 96 = 1000
    await cache.set("big", big);
    assert.equal(await cache.get("big"), big);
    const stats = await cache.stats();
    assert.equal(stats.entries, 1);
    assert.equal(charged(stats), 1000);
    assert.equal(stats.evictions, values.size);
    for (const key of values.keys()) assert.equal(await cache.has(key), false);
  });

  it("a write that evicts more entries than set's packed count carries forgets every one of them", async () => {
    // MemoryCore.set packs the removal count into its result below
    // REMOVED_SATURATED; from there on the count is read with removedCount().
    const n = REMOVED_SATURATED + 1;
    const empty = new Uint8Array(0);
    const keys = Array.from({ length: n }, (_, i) => `k${i}`);
    const total = keys.reduce((sum, key) => sum + key.length + ENTRY_OVERHEAD, 0);
    const cache = EdgeCache.memory({ maxEntries: n + 1, maxBytes: total });
    for (const key of keys) await cache.set(key, empty);
    assert.equal((await cache.stats()).entries, n);
    const big = filled(total - "big".length - ENTRY_OVERHEAD);
    await cache.set("big", big);
    const stats = await cache.stats();
    assert.equal(stats.entries, 1);
    assert.equal(stats.evictions, n);
    assert.equal(charged(stats), total);
    assert.equal(await cache.get("big"), big);
    for (const key of keys) if (await cache.has(key)) assert.fail(`${key} is still indexed after its eviction`);
    // The freed slots are reused by later writes without answering for the old keys.
    await cache.set("after", empty);
    assert.equal(await cache.get("after"), empty);
    assert.equal(await cache.get(keys[0]), undefined);
  });

  it("a too-large overwrite keeps the old value", async () => {
    const { cache, values } = await seededCache({ maxBytes: 1000 });
    const before = await cache.stats();
    await assertRejectsWith(() => cache.set("alpha", filled(2000)), ErrorCode.VALUE_TOO_LARGE);
    await assertIntact(cache, values, before);
  });
});

// ---------------------------------------------------------------------------
// Write options and TTL validation
// ---------------------------------------------------------------------------

describe("write options validation", () => {
  for (const [label, make] of BAD_WRITE_OPTIONS) {
    it(`writes reject options with ${label} with EDGECACHE_INVALID_OPTIONS and store nothing`, async () => {
      const { cache, values } = await seededCache();
      let loaderCalls = 0;
      const loader = () => {
        loaderCalls++;
        return bytes(1);
      };
      const writes = [
        ["set", (key) => cache.set(key, bytes(1), make())],
        ["setText", (key) => cache.setText(key, "x", make())],
        ["setJson", (key) => cache.setJson(key, [1], make())],
        ["getOrSet", (key) => cache.getOrSet(key, loader, make())],
      ];
      for (const [method, write] of writes) {
        for (const key of ["new-key", "alpha"]) {
          const before = await cache.stats();
          await assert.rejects(
            (async () => {
              let promise;
              assert.doesNotThrow(() => {
                promise = write(key);
              }, `${method} threw synchronously`);
              return promise;
            })(),
            coded(ErrorCode.INVALID_OPTIONS),
            `${method}(${key})`,
          );
          await assertIntact(cache, values, before);
        }
      }
      assert.equal(await cache.has("new-key"), false);
      assert.equal(loaderCalls, 0, "getOrSet must not run the loader when its options are invalid");
    });
  }

  it("accepts a TTL of exactly 100 years and ttlMs: undefined", async () => {
    const cache = EdgeCache.memory();
    const a = bytes(1);
    const b = bytes(2);
    await cache.set("a", a, { ttlMs: HUNDRED_YEARS_MS });
    await cache.set("b", b, { ttlMs: undefined });
    assert.equal(await cache.get("a"), a);
    assert.equal(await cache.get("b"), b);
  });
});

// ---------------------------------------------------------------------------
// Bounds, accounting and eviction
// ---------------------------------------------------------------------------

describe("bounds and byte accounting", () => {
  it("charges key UTF-8 bytes + value bytes + 96 per entry", async () => {
    const cache = EdgeCache.memory();
    await cache.set("abc", filled(10));
    assert.equal(charged(await cache.stats()), 3 + 10 + 96);
    // stats().bytes itself counts the key and the value only.
    assert.equal((await cache.stats()).bytes, 3 + 10);
    await cache.set("é", filled(5)); // 2-byte key
    assert.equal(charged(await cache.stats()), 3 + 10 + 96 + 2 + 5 + 96);
    await cache.setText("😀", "日本"); // 4-byte key, 6-byte value
    assert.equal(charged(await cache.stats()), 3 + 10 + 96 + 2 + 5 + 96 + 4 + 6 + 96);
    assert.equal((await cache.stats()).entries, 3);
  });

  it("an overwrite replaces the value and re-accounts its bytes", async () => {
    const cache = EdgeCache.memory();
    await cache.set("k", filled(10));
    const larger = filled(50);
    await cache.set("k", larger);
    let stats = await cache.stats();
    assert.equal(charged(stats), 1 + 50 + 96);
    assert.equal(stats.entries, 1);
    assert.equal(stats.inserts, 2);
    const smaller = filled(3);
    await cache.set("k", smaller);
    stats = await cache.stats();
    assert.equal(charged(stats), 1 + 3 + 96);
    assert.equal(await cache.get("k"), smaller);
  });

  it("maxEntries holds after every write and evictions are counted", async () => {
    const cache = EdgeCache.memory({ maxEntries: 5 });
    for (let i = 0; i < 100; i++) {
      await cache.set(`key-${i}`, bytes(i));
      const stats = await cache.stats();
      assert.ok(stats.entries <= 5, `entries ${stats.entries} > 5 after write ${i}`);
      assert.equal(stats.entries, Math.min(i + 1, 5));
      assert.equal(stats.evictions, Math.max(0, i + 1 - 5));
    }
  });

  it("a one-entry cache keeps the newest entry", async () => {
    const cache = EdgeCache.memory({ maxEntries: 1 });
    for (let i = 0; i < 5; i++) {
      const value = bytes(i);
      await cache.set(`k${i}`, value);
      assert.equal(await cache.get(`k${i}`), value);
      assert.equal((await cache.stats()).entries, 1);
    }
    assert.equal(await cache.has("k0"), false);
  });

  it("maxBytes holds after every write with mixed sizes", async () => {
    const cache = EdgeCache.memory({ maxBytes: 1000 });
    for (let i = 0; i < 60; i++) {
      await cache.set(`key-${i}`, filled((i * 37) % 400));
      const stats = await cache.stats();
      assert.ok(charged(stats) <= 1000, `bytes ${charged(stats)} > 1000 after write ${i}`);
    }
    assert.ok((await cache.stats()).evictions > 0);
  });

  it("under random writes, reads and deletes, both bounds hold and the key index matches the accounting", async () => {
    const maxEntries = 20;
    const maxBytes = 3000;
    const cache = EdgeCache.memory({ maxEntries, maxBytes });
    const keys = Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? `ключ-${i}` : `key-${i}`));
    const latest = new Map(); // key -> the last value written
    let seed = 12345;
    const random = (n) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    let overwrites = 0;
    let deletes = 0;
    for (let step = 0; step < 400; step++) {
      const key = keys[random(keys.length)];
      const op = random(10);
      if (op < 6) {
        if (await cache.has(key)) overwrites++;
        const value = filled(random(300), step % 256);
        await cache.set(key, value);
        latest.set(key, value);
        assert.equal(await cache.get(key), value, "a write must be readable at once");
      } else if (op < 9) {
        const got = await cache.get(key);
        assert.ok(got === undefined || got === latest.get(key), `get(${key}) returned another key's value`);
      } else {
        if (await cache.has(key)) deletes++;
        await cache.delete(key);
      }
      // The live keys, as the JS key index sees them, must add up to what the
      // Rust core accounts.
      let entries = 0;
      let expectedBytes = 0;
      for (const k of keys) {
        if (await cache.has(k)) {
          entries++;
          expectedBytes += weight(k, latest.get(k));
        }
      }
      const stats = await cache.stats();
      assert.ok(stats.entries <= maxEntries, `entries over bound at step ${step}`);
      assert.ok(charged(stats) <= maxBytes, `bytes over bound at step ${step}`);
      assert.equal(stats.entries, entries, `entry count drifted at step ${step}`);
      assert.equal(charged(stats), expectedBytes, `byte accounting drifted at step ${step}`);
    }
    const stats = await cache.stats();
    assert.ok(stats.evictions > 0, "the workload should have forced evictions");
    assert.equal(stats.entries, stats.inserts - overwrites - deletes - stats.evictions);
    const got = await cache.getMany(keys);
    got.forEach((value, i) => assert.ok(value === undefined || value === latest.get(keys[i])));
  });

  it("a key read a few times survives a scan of one-off writes (scan resistance)", async () => {
    const cache = EdgeCache.memory({ maxEntries: 10 });
    const hot = bytes(1);
    const cold = bytes(2);
    await cache.set("hot", hot);
    await cache.set("cold", cold);
    for (let i = 0; i < 3; i++) assert.equal(await cache.get("hot"), hot);
    for (let i = 0; i < 200; i++) await cache.set(`scan-${i}`, bytes(i & 0xff));
    assert.ok((await cache.stats()).evictions >= 190);
    assert.equal(await cache.has("cold"), false, "the unread key should have been evicted by the scan");
    assert.equal(await cache.get("hot"), hot, "the frequently read key should survive the scan");
  });

  it("has() does not protect a key from eviction the way a read does", async () => {
    const cache = EdgeCache.memory({ maxEntries: 10 });
    await cache.set("peeked", bytes(1));
    for (let i = 0; i < 3; i++) assert.equal(await cache.has("peeked"), true);
    for (let i = 0; i < 200; i++) await cache.set(`scan-${i}`, bytes(i & 0xff));
    assert.equal(await cache.has("peeked"), false);
  });
});

// ---------------------------------------------------------------------------
// Statistics
// ---------------------------------------------------------------------------

describe("stats counters", () => {
  it("count hits, misses and inserts across get, getMany, text and JSON reads", async () => {
    const cache = EdgeCache.memory();
    assert.equal(await cache.get("a"), undefined); // miss 1
    await cache.set("a", bytes(1)); // insert 1
    await cache.setText("t", "hi"); // insert 2
    await cache.setJson("j", { x: 1 }); // insert 3
    await cache.get("a"); // hit 1
    await cache.get("a"); // hit 2
    await cache.getMany(["a", "nope", "t", "nada"]); // hits 3-4, misses 2-3
    await cache.getText("t"); // hit 5
    await cache.getJson("j"); // hit 6
    await cache.getText("none"); // miss 4
    await cache.getJson("none"); // miss 5
    await cache.set("a", bytes(2)); // insert 4 (overwrite)
    await cache.delete("t");
    assert.deepEqual(await cache.stats(), {
      hits: 6,
      misses: 5,
      inserts: 4,
      evictions: 0,
      expirations: 0,
      entries: 2,
      // Keys and values: "a" and its 1-byte value, "j" and its JSON text.
      bytes: 1 + 1 + 1 + JSON.stringify({ x: 1 }).length,
    });
  });

  it("has counts neither a hit nor a miss", async () => {
    const cache = EdgeCache.memory();
    await cache.set("a", bytes(1));
    const before = await cache.stats();
    assert.equal(await cache.has("a"), true);
    assert.equal(await cache.has("a"), true);
    assert.equal(await cache.has("missing"), false);
    const after = await cache.stats();
    assert.equal(after.hits, before.hits);
    assert.equal(after.misses, before.misses);
  });

  it("getOrSet counts a hit for a cached key and a miss (plus an insert) for a loaded one", async () => {
    const cache = EdgeCache.memory();
    await cache.getOrSet("k", () => bytes(1));
    let stats = await cache.stats();
    assert.deepEqual([stats.hits, stats.misses, stats.inserts], [0, 1, 1]);
    await cache.getOrSet("k", () => bytes(2));
    stats = await cache.stats();
    assert.deepEqual([stats.hits, stats.misses, stats.inserts], [1, 1, 1]);
  });

  it("count evictions for entries pushed out by a bound", async () => {
    const cache = EdgeCache.memory({ maxEntries: 2 });
    await cache.set("a", bytes(1));
    await cache.set("b", bytes(2));
    await cache.set("c", bytes(3));
    const stats = await cache.stats();
    assert.equal(stats.evictions, 1);
    assert.equal(stats.entries, 2);
    assert.equal(stats.inserts, 3);
    assert.equal(stats.expirations, 0);
  });

  it("deletes and clear are neither evictions nor expirations", async () => {
    const cache = EdgeCache.memory();
    await cache.set("a", bytes(1));
    await cache.set("b", bytes(1));
    await cache.delete("a");
    await cache.clear();
    const stats = await cache.stats();
    assert.equal(stats.evictions, 0);
    assert.equal(stats.expirations, 0);
  });
});

describe("hits logged in JavaScript (a hit on an entry without expiry makes no wasm call)", () => {
  it("a logged hit bumps the entry's frequency before the next write can evict it", async () => {
    // S3-FIFO promotes a key read during its stay in the small queue to the
    // main queue; an unread one is evicted when new keys push it out. So "a"
    // survives 150 inserts into 100 entries only if its read reached the
    // engine before those inserts did.
    const read = EdgeCache.memory({ maxEntries: 100 });
    const unread = EdgeCache.memory({ maxEntries: 100 });
    for (const cache of [read, unread]) {
      await cache.set("a", bytes(1));
      // A cache's first hit calls into wasm (and fetches the log): this one.
      await cache.set("w", bytes(1));
      assert.ok(await cache.get("w"));
    }
    assert.ok(await read.get("a"));
    for (let i = 0; i < 150; i++) {
      await read.set(`k${i}`, bytes(1));
      await unread.set(`k${i}`, bytes(1));
    }
    assert.equal(await read.has("a"), true, "the read key was evicted: its hit did not reach the engine in time");
    assert.equal(await unread.has("a"), false, "control: an unread key is evicted");
  });

  it("counts every hit, across many logs' worth of them and interleaved with other calls", async () => {
    const cache = EdgeCache.memory();
    await cache.set("a", bytes(1));
    await cache.set("b", bytes(2));
    let hits = 0;
    for (let i = 0; i < 1000; i++) {
      assert.ok(await cache.get(i % 3 === 0 ? "a" : "b"));
      hits++;
      if (i % 97 === 0) assert.equal((await cache.stats()).hits, hits);
      if (i % 101 === 0) await cache.set("c", bytes(i % 7));
      if (i % 103 === 0) await cache.delete("c");
    }
    assert.deepEqual(await cache.getMany(["a", "b", "nope"]), [bytes(1), bytes(2), undefined]);
    const stats = await cache.stats();
    assert.equal(stats.hits, hits + 2);
    assert.equal(stats.misses, 1);
  });

  it("keeps counting once wasm memory has grown under the log's view", async () => {
    const cache = EdgeCache.memory();
    // Fill the log with the slots of 300 keys, then free those slots: a hit
    // written where the log no longer is would leave their numbers there,
    // and applying them would count misses (vacant slots), not hits.
    const keys = Array.from({ length: 300 }, (_, i) => `x${i}`);
    for (const key of keys) await cache.set(key, bytes(1));
    for (const key of keys) await cache.get(key);
    await cache.set("a", bytes(1));
    await cache.deleteMany(keys);
    // Another cache's engine takes some megabytes: wasm memory grows, which
    // detaches every view of the old memory, the log's included.
    const big = EdgeCache.memory({ maxEntries: 200_000 });
    const value = bytes(1);
    for (let i = 0; i < 200_000; i++) await big.set(`k${i}`, value);
    for (let i = 0; i < 600; i++) await cache.get("a");
    const stats = await cache.stats();
    assert.deepEqual([stats.hits, stats.misses], [900, 0]);
    await big.clear();
  });
});

// ---------------------------------------------------------------------------
// TTL expiry (fake clock)
// ---------------------------------------------------------------------------

describe("TTL expiry", () => {
  const clock = useFakeClock();
  // Date.now() truncates: a write read as T0 may have happened at T0 + 0.99,
  // so an entry with ttlMs t is live while the clock reads up to T0 + t and
  // gone from T0 + t + 1 (issue 14 §7: never early, at most 1 ms late).

  it("an entry is live until ttlMs has passed, then it misses and is counted as expired", async () => {
    const cache = EdgeCache.memory();
    const value = bytes(1);
    await cache.set("k", value, { ttlMs: 1000 });
    clock.now = T0 + 1000;
    assert.equal(await cache.get("k"), value);
    clock.now = T0 + 1001;
    assert.equal(await cache.get("k"), undefined);
    const stats = await cache.stats();
    assert.equal(stats.expirations, 1);
    assert.equal(stats.entries, 0);
    assert.equal(charged(stats), 0);
    assert.equal(stats.hits, 1);
    assert.equal(stats.misses, 1);
    assert.equal(stats.evictions, 0);
  });

  it("has() is false for an expired entry, which it removes without counting a hit or miss", async () => {
    const cache = EdgeCache.memory();
    await cache.set("k", bytes(1), { ttlMs: 50 });
    assert.equal(await cache.has("k"), true);
    clock.now = T0 + 50;
    assert.equal(await cache.has("k"), true);
    clock.now = T0 + 51;
    assert.equal(await cache.has("k"), false);
    const stats = await cache.stats();
    assert.equal(stats.entries, 0);
    assert.equal(stats.expirations, 1);
    assert.equal(stats.hits, 0);
    assert.equal(stats.misses, 0);
  });

  it("getMany, getText and getJson treat expired entries as misses", async () => {
    const cache = EdgeCache.memory();
    await cache.set("a", bytes(1), { ttlMs: 10 });
    await cache.setText("t", "x", { ttlMs: 10 });
    await cache.setJson("j", [1], { ttlMs: 10 });
    const live = bytes(9);
    await cache.set("live", live);
    clock.now = T0 + 11;
    assert.deepEqual(await cache.getMany(["a", "live"]), [undefined, live]);
    assert.equal(await cache.getText("t"), undefined);
    assert.equal(await cache.getJson("j"), undefined);
    assert.equal((await cache.stats()).entries, 1);
  });

  it("defaultTtlMs applies to every kind of write that gives no TTL", async () => {
    const cache = EdgeCache.memory({ defaultTtlMs: 500 });
    await cache.set("set", bytes(1));
    await cache.setText("text", "x");
    await cache.setJson("json", { a: 1 });
    await cache.getOrSet("loaded", () => bytes(2));
    const keys = ["set", "text", "json", "loaded"];
    clock.now = T0 + 500;
    for (const key of keys) assert.equal(await cache.has(key), true, `${key} expired early`);
    clock.now = T0 + 501;
    for (const key of keys) assert.equal(await cache.has(key), false, `${key} did not expire`);
    assert.equal((await cache.stats()).expirations, keys.length);
  });

  it("an explicit ttlMs overrides defaultTtlMs, shorter or longer", async () => {
    const cache = EdgeCache.memory({ defaultTtlMs: 500 });
    await cache.set("short", bytes(1), { ttlMs: 100 });
    await cache.set("long", bytes(2), { ttlMs: 5000 });
    await cache.set("default", bytes(3));
    clock.now = T0 + 101;
    assert.equal(await cache.has("short"), false);
    assert.equal(await cache.has("default"), true);
    clock.now = T0 + 501;
    assert.equal(await cache.has("default"), false);
    assert.equal(await cache.has("long"), true);
    clock.now = T0 + 5001;
    assert.equal(await cache.has("long"), false);
  });

  it("entries without a TTL or default never expire", async () => {
    const cache = EdgeCache.memory();
    const value = bytes(1);
    await cache.set("k", value);
    clock.now = T0 + HUNDRED_YEARS_MS;
    assert.equal(await cache.get("k"), value);
    assert.equal((await cache.stats()).expirations, 0);
  });

  it("an overwrite gives the entry the new write's TTL", async () => {
    const cache = EdgeCache.memory();
    await cache.set("renewed", bytes(1), { ttlMs: 1000 });
    await cache.set("made-permanent", bytes(1), { ttlMs: 1000 });
    await cache.set("shortened", bytes(1));
    clock.now = T0 + 900;
    const renewed = bytes(2);
    await cache.set("renewed", renewed, { ttlMs: 1000 });
    await cache.set("made-permanent", bytes(2));
    await cache.set("shortened", bytes(2), { ttlMs: 100 });
    clock.now = T0 + 1001;
    assert.equal(await cache.get("renewed"), renewed);
    assert.equal(await cache.has("made-permanent"), true);
    assert.equal(await cache.has("shortened"), false);
    clock.now = T0 + 1901;
    assert.equal(await cache.has("renewed"), false);
    assert.equal(await cache.has("made-permanent"), true);
  });

  it("expired entries make room before any live entry is evicted", async () => {
    const cache = EdgeCache.memory({ maxEntries: 3 });
    const a = bytes(1);
    const c = bytes(3);
    await cache.set("a", a);
    await cache.set("b", bytes(2), { ttlMs: 50 });
    await cache.set("c", c);
    clock.now = T0 + 60;
    const d = bytes(4);
    await cache.set("d", d);
    const stats = await cache.stats();
    assert.equal(stats.evictions, 0);
    assert.equal(stats.expirations, 1);
    assert.deepEqual(await cache.getMany(["a", "b", "c", "d"]), [a, undefined, c, d]);
  });

  it("writes sweep expired entries that are never read again", async () => {
    const cache = EdgeCache.memory();
    for (let i = 0; i < 5; i++) await cache.set(`old-${i}`, bytes(i), { ttlMs: 100 });
    clock.now = T0 + 200;
    for (let i = 0; i < 3; i++) await cache.set(`new-${i}`, bytes(i));
    const stats = await cache.stats();
    assert.ok(stats.expirations > 0, "no expired entry was swept");
    assert.equal(stats.entries, 8 - stats.expirations);
    assert.equal(charged(stats), 3 * weight("new-0", bytes(0)) + (5 - stats.expirations) * weight("old-0", bytes(0)));
    assert.equal(stats.evictions, 0);
  });

  it("a sub-millisecond TTL rounds up to one millisecond", async () => {
    const cache = EdgeCache.memory();
    const value = bytes(1);
    await cache.set("k", value, { ttlMs: 0.5 });
    assert.equal(await cache.get("k"), value);
    clock.now = T0 + 1;
    assert.equal(await cache.get("k"), value);
    clock.now = T0 + 2;
    assert.equal(await cache.get("k"), undefined);
  });

  it("a tiny positive TTL is not treated as already expired", async () => {
    const cache = EdgeCache.memory();
    const value = bytes(1);
    await cache.set("k", value, { ttlMs: 1e-7 });
    assert.equal(await cache.get("k"), value);
  });

  it("getOrSet runs the loader again once the stored value has expired", async () => {
    const cache = EdgeCache.memory();
    let calls = 0;
    const loader = () => bytes(++calls);
    const first = await cache.getOrSet("k", loader, { ttlMs: 1000 });
    clock.now = T0 + 1000;
    assert.equal(await cache.getOrSet("k", loader, { ttlMs: 1000 }), first);
    assert.equal(calls, 1);
    clock.now = T0 + 1001;
    const second = await cache.getOrSet("k", loader, { ttlMs: 1000 });
    assert.equal(calls, 2);
    assert.notEqual(second, first);
    assert.equal(await cache.get("k"), second);
  });
});

// ---------------------------------------------------------------------------
// getOrSet
// ---------------------------------------------------------------------------

describe("getOrSet", () => {
  it("returns the cached value without running the loader", async () => {
    const cache = EdgeCache.memory();
    const value = bytes(1);
    await cache.set("k", value);
    let calls = 0;
    const got = await cache.getOrSet("k", () => {
      calls++;
      return bytes(2);
    });
    assert.equal(got, value);
    assert.equal(calls, 0);
  });

  it("on a miss runs the loader with the key, stores and returns its value", async () => {
    const cache = EdgeCache.memory();
    const value = bytes(7);
    const seen = [];
    const got = await cache.getOrSet("the-key", async (key) => {
      seen.push(key);
      return value;
    });
    assert.equal(got, value);
    assert.deepEqual(seen, ["the-key"]);
    assert.equal(await cache.get("the-key"), value);
  });

  it("accepts a synchronous loader", async () => {
    const cache = EdgeCache.memory();
    const value = bytes(3);
    assert.equal(await cache.getOrSet("k", () => value), value);
    assert.equal(await cache.get("k"), value);
  });

  for (const [label, options] of [
    ["without a TTL", undefined],
    ["with a TTL", { ttlMs: 60_000 }],
  ]) {
    it(`runs the loader once for 50 concurrent callers ${label}`, async () => {
      const cache = EdgeCache.memory();
      const gate = deferred();
      const value = bytes(1, 2, 3);
      let calls = 0;
      const loader = async () => {
        calls++;
        await gate.promise;
        return value;
      };
      const pending = [];
      for (let i = 0; i < 25; i++) pending.push(cache.getOrSet("k", loader, options));
      await nextMacrotask(); // the loader is now running; later callers must join it
      for (let i = 0; i < 25; i++) pending.push(cache.getOrSet("k", loader, options));
      await nextMacrotask();
      assert.equal(calls, 1);
      gate.resolve();
      const results = await Promise.all(pending);
      assert.equal(calls, 1);
      assert.equal(results.length, 50);
      for (const result of results) assert.equal(result, value);
      assert.equal(await cache.get("k"), value);
      assert.equal((await cache.stats()).inserts, 1);
    });
  }

  it("runs the loader once when concurrent callers mix TTL and no TTL", async () => {
    const cache = EdgeCache.memory();
    let calls = 0;
    const value = bytes(1);
    const loader = async () => {
      calls++;
      await nextMacrotask();
      return value;
    };
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => cache.getOrSet("k", loader, i % 2 ? { ttlMs: 1000 } : undefined)),
    );
    assert.equal(calls, 1);
    for (const result of results) assert.equal(result, value);
  });

  it("runs one loader per key for concurrent callers of different keys", async () => {
    const cache = EdgeCache.memory();
    const calls = new Map();
    const loader = async (key) => {
      calls.set(key, (calls.get(key) ?? 0) + 1);
      await nextMacrotask();
      return utf8.encode(key);
    };
    const keys = ["a", "b", "c"];
    const results = await Promise.all(keys.flatMap((key) => [0, 1, 2].map(() => cache.getOrSet(key, loader))));
    assert.deepEqual([...calls.entries()].sort(), [["a", 1], ["b", 1], ["c", 1]]);
    results.forEach((result, i) => assert.equal(new TextDecoder().decode(result), keys[Math.floor(i / 3)]));
  });

  it("passes a loader rejection to every waiting caller and does not cache it", async () => {
    const { cache, values } = await seededCache();
    const before = await cache.stats();
    const gate = deferred();
    let calls = 0;
    const failing = async () => {
      calls++;
      await gate.promise;
      return bytes(1);
    };
    const pending = Array.from({ length: 50 }, () => cache.getOrSet("k", failing));
    const failure = new Error("backend down");
    gate.reject(failure);
    const outcomes = await Promise.allSettled(pending);
    assert.equal(calls, 1);
    for (const outcome of outcomes) {
      assert.equal(outcome.status, "rejected");
      assert.equal(outcome.reason, failure);
    }
    assert.equal(await cache.has("k"), false);
    await assertIntact(cache, values, before);

    const value = bytes(2);
    let retries = 0;
    const got = await cache.getOrSet("k", async () => {
      retries++;
      return value;
    });
    assert.equal(retries, 1, "the next getOrSet must run the loader again");
    assert.equal(got, value);
    assert.equal(await cache.get("k"), value);
  });

  it("rejects every caller when the loader throws synchronously, and recovers", async () => {
    const cache = EdgeCache.memory();
    const failure = new Error("sync failure");
    let calls = 0;
    const throwing = () => {
      calls++;
      throw failure;
    };
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => cache.getOrSet("k", throwing)));
    assert.equal(calls, 1);
    for (const outcome of outcomes) {
      assert.equal(outcome.status, "rejected");
      assert.equal(outcome.reason, failure);
    }
    assert.equal(await cache.has("k"), false);
    const value = bytes(1);
    assert.equal(await cache.getOrSet("k", () => value), value);
    assert.equal(await cache.get("k"), value);
  });

  for (const [label, make] of NON_UINT8ARRAY_VALUES) {
    it(`rejects with EDGECACHE_INVALID_VALUE and caches nothing when the loader returns ${label}`, async () => {
      const { cache, values } = await seededCache();
      const before = await cache.stats();
      let calls = 0;
      const outcomes = await Promise.allSettled(
        Array.from({ length: 3 }, () =>
          cache.getOrSet("k", async () => {
            calls++;
            return make();
          }),
        ),
      );
      assert.equal(calls, 1);
      for (const outcome of outcomes) {
        assert.equal(outcome.status, "rejected");
        coded(ErrorCode.INVALID_VALUE)(outcome.reason);
      }
      assert.equal(await cache.has("k"), false);
      await assertIntact(cache, values, before);
      const value = bytes(5);
      assert.equal(await cache.getOrSet("k", () => value), value, "a later getOrSet must load again");
    });
  }

  it("rejects with EDGECACHE_VALUE_TOO_LARGE and caches nothing when the loaded value is too large", async () => {
    const { cache, values } = await seededCache({ maxBytes: 1000 });
    const before = await cache.stats();
    await assertRejectsWith(() => cache.getOrSet("k", () => filled(1000)), ErrorCode.VALUE_TOO_LARGE);
    assert.equal(await cache.has("k"), false);
    await assertIntact(cache, values, before);
  });

  for (const [label, loader] of [
    ["undefined", undefined],
    ["null", null],
    ["a Uint8Array", bytes(1)],
    ["a Promise", Promise.resolve(bytes(1))],
    ["a string", "loader"],
    ["an object", { load: () => bytes(1) }],
  ]) {
    it(`rejects a loader that is ${label} with EDGECACHE_INVALID_OPTIONS`, async () => {
      const { cache, values } = await seededCache();
      const before = await cache.stats();
      await assertRejectsWith(() => cache.getOrSet("k", loader), ErrorCode.INVALID_OPTIONS);
      assert.equal(await cache.has("k"), false);
      await assertIntact(cache, values, before);
    });
  }
});

describe("the FNV seed of the memory cache's ghost queue (SECURITY.md, threat 6)", () => {
  it("is drawn from crypto.getRandomValues once per cache, on its first insert, not at construction", async (t) => {
    const draws = t.mock.method(globalThis.crypto, "getRandomValues");
    const a = EdgeCache.memory();
    const b = EdgeCache.memory();
    assert.equal(draws.mock.callCount(), 0, "nothing drawn at construction (Workers refuse it at module scope)");
    await a.set("k1", new Uint8Array([1]));
    await a.set("k2", new Uint8Array([2]));
    assert.equal(draws.mock.callCount(), 1);
    await b.set("k1", new Uint8Array([1]));
    assert.equal(draws.mock.callCount(), 2, "each cache draws its own");
    const [first, second] = draws.mock.calls.map((call) => call.result[0]);
    assert.notEqual(first, second);
  });

  it("falls back to Math.random where random values are refused, and the cache still works", async (t) => {
    t.mock.method(globalThis.crypto, "getRandomValues", () => {
      throw new Error("Disallowed operation called within global scope");
    });
    const cache = EdgeCache.memory();
    await cache.set("k", new Uint8Array([7]));
    assert.deepEqual(await cache.get("k"), new Uint8Array([7]));
  });
});

describe("healthCheck answers false when the storage is down (issue 16 §3.4)", () => {
  const kvBinding = (get) => ({ get, put: async () => {}, delete: async () => {}, list: async () => ({ keys: [], list_complete: true }) });

  it("Redis at redis://127.0.0.1:1 (nothing listening): false, fast", async () => {
    const cache = EdgeCache.redis({ connect: "redis://127.0.0.1:1" });
    assert.equal(await cache.healthCheck(), false);
    assert.equal(await EdgeCache.redis({ connect: "redis://127.0.0.1:1", memory: { maxEntries: 10 } }).healthCheck(), false, "tiered");
  });

  it("a KV binding that rejects: false; once it answers again: true", async () => {
    let down = true;
    const cache = EdgeCache.kv(
      kvBinding(async () => {
        if (down) throw new Error("KV GET failed: 503");
        return null;
      }),
    );
    assert.equal(await cache.healthCheck(), false);
    down = false;
    assert.equal(await cache.healthCheck(), true);
  });

  it("a closed Redis cache is no misuse: its health check reconnects like any call", async () => {
    const cache = EdgeCache.redis({ connect: "redis://127.0.0.1:1" });
    cache.close();
    assert.equal(await cache.healthCheck(), false);
  });
});
