// The bad-input matrix for EdgeCache.r2 (bare and tiered, over a Map-backed
// double of an R2 bucket binding), in the shape of bad-inputs.test.mjs: every
// method, including the R2-only getStream/setStream, every argument position,
// times every hostile value. Each call must reject with a coded error (never
// a wasm trap nor a stray TypeError) or, where the value is valid there,
// succeed; and the cache must keep its data. Then: a binding that fails in
// every way a binding can, and answers that are not R2 objects.
//
// Run: node --test tests/js/r2-bad-inputs.test.mjs   (after scripts/build.sh)

import { describe, it } from "node:test";
import assert from "node:assert/strict";

import { EdgeCache, ErrorCode } from "../../pkg/node.js";
import { assertCoded, detachedUint8Array, outcome, throwingObject } from "../support/bad-inputs.mjs";

const MIB = 1 << 20;

const bytes = (...values) => new Uint8Array(values);

const BAD_INPUTS = [
  ["undefined", () => undefined],
  ["null", () => null],
  ["the empty string", () => ""],
  ["a 1 MiB string", () => "k".repeat(MIB)],
  ["a lone surrogate", () => "\uD800"],
  ["a number", () => 42],
  ["NaN", () => NaN],
  ["-1", () => -1],
  ["Infinity", () => Infinity],
  ["a boolean", () => true],
  ["a bigint", () => 1n],
  ["a symbol", () => Symbol("bad")],
  ["a function", () => () => undefined],
  ["a plain array", () => ["alpha", 1]],
  ["a DataView", () => new DataView(new ArrayBuffer(8))],
  ["an Int16Array", () => new Int16Array(4)],
  ["a detached Uint8Array", detachedUint8Array],
  ["a view of a SharedArrayBuffer", () => new Uint8Array(new SharedArrayBuffer(8))],
  ["a SharedArrayBuffer", () => new SharedArrayBuffer(8)],
  ["an object whose getters throw", throwingObject],
  ["options with a misspelt field", () => ({ ttl: 1000, lenght: 3 })],
  ["options with an unknown field", () => ({ ttlMs: 1000, extra: true })],
];

/**
 * A Map behind the R2 binding shape, keeping { bytes, customMetadata }.
 * `fault[op]`, when set, replaces the operation.
 */
function fakeR2() {
  const store = new Map();
  const fault = {};
  const object = (key, entry, withBody) => ({
    key,
    size: entry.bytes.length,
    customMetadata: { ...entry.customMetadata },
    ...(withBody
      ? {
          body: new Blob([entry.bytes]).stream(),
          arrayBuffer: async () => entry.bytes.slice().buffer,
        }
      : {}),
  });
  const binding = {
    async get(key) {
      if (fault.get) return fault.get(key);
      const entry = store.get(key);
      return entry === undefined ? null : object(key, entry, true);
    },
    async head(key) {
      if (fault.head) return fault.head(key);
      const entry = store.get(key);
      return entry === undefined ? null : object(key, entry, false);
    },
    async put(key, value, options) {
      if (fault.put) return fault.put(key, value, options);
      if (typeof key !== "string" || new TextEncoder().encode(key).length > 1024) {
        throw new Error("put: The specified object name is not valid. (10020)");
      }
      const data = new Uint8Array(await new Response(value).arrayBuffer());
      store.set(key, { bytes: data, customMetadata: { ...(options?.customMetadata ?? {}) } });
      return object(key, store.get(key), false);
    },
    async delete(keys) {
      if (fault.delete) return fault.delete(keys);
      const list = Array.isArray(keys) ? keys : [keys];
      if (list.length > 1000) throw new Error("delete: too many keys (10014)");
      for (const key of list) store.delete(key);
    },
    async list({ prefix = "", cursor, limit = 1000 } = {}) {
      if (fault.list) return fault.list({ prefix, cursor, limit });
      const keys = [...store.keys()].filter((k) => k.startsWith(prefix)).sort();
      const start = cursor === undefined ? 0 : Number(cursor);
      const page = keys.slice(start, start + limit);
      const truncated = start + limit < keys.length;
      return { objects: page.map((key) => ({ key })), truncated, cursor: truncated ? String(start + limit) : undefined, delimitedPrefixes: [] };
    },
  };
  return { binding, store, fault };
}

const TARGETS = [
  { name: "r2", make: () => EdgeCache.r2(fakeR2().binding, { prefix: "c/" }) },
  { name: "r2 tiered", make: () => EdgeCache.r2(fakeR2().binding, { prefix: "c/", namespace: "ns", memory: { maxEntries: 10, maxBytes: 64 * 1024 } }) },
];

const SEED = [
  ["alpha", () => bytes(1, 2, 3)],
  ["beta", () => bytes(4, 5)],
  ["gamma-é", () => bytes(6)],
];

async function seeded(target) {
  const cache = target.make();
  for (const [key, value] of SEED) await cache.set(key, value());
  return cache;
}

async function assertIntact(cache, what) {
  for (const [key, value] of SEED) assert.deepEqual(await cache.get(key), value(), `${what}: ${key} changed`);
  await cache.setStream("probe-after-error", bytes(42));
  assert.deepEqual(await cache.get("probe-after-error"), bytes(42), what);
  await cache.delete("probe-after-error");
  assert.equal(await cache.has("probe-after-error"), false, what);
}

const HUNDRED_YEARS_MS = 100 * 365 * 24 * 60 * 60 * 1000;
const validTtl = (v) => v === undefined || (typeof v === "number" && v > 0 && v <= HUNDRED_YEARS_MS);
// In Node there is no FixedLengthStream: a valid length is passed through
// (workerd checks it against the stream; tests/workers/r2-worker.js).
const validLength = (v) => v === undefined || (Number.isSafeInteger(v) && v >= 0);

const isBody = (v) => {
  try {
    return v instanceof Blob || v instanceof ReadableStream || (v instanceof ArrayBuffer && !(v instanceof SharedArrayBuffer));
  } catch {
    return false;
  }
};

// [method, position, call, accepts(bad), code(bad)]
const CALLS = [
  ["get", "key", (c, bad) => c.get(bad), () => false, () => ErrorCode.INVALID_KEY],
  ["has", "key", (c, bad) => c.has(bad), () => false, () => ErrorCode.INVALID_KEY],
  ["delete", "key", (c, bad) => c.delete(bad), () => false, () => ErrorCode.INVALID_KEY],
  ["set", "key", (c, bad) => c.set(bad, bytes(9)), () => false, () => ErrorCode.INVALID_KEY],
  ["set", "value", (c, bad) => c.set("alpha", bad), () => false, () => ErrorCode.INVALID_VALUE],
  ["set", "options", (c, bad) => c.set("alpha", bytes(1, 2, 3), bad), (v) => v === undefined, () => ErrorCode.INVALID_OPTIONS],
  ["getMany", "keyInList", (c, bad) => c.getMany(["alpha", bad]), () => false, () => ErrorCode.INVALID_KEY],
  ["deleteMany", "keyInList", (c, bad) => c.deleteMany(["alpha", bad]), () => false, () => ErrorCode.INVALID_KEY],
  ["getStream", "key", (c, bad) => c.getStream(bad), () => false, () => ErrorCode.INVALID_KEY],
  ["setStream", "key", (c, bad) => c.setStream(bad, bytes(9)), () => false, () => ErrorCode.INVALID_KEY],
  // The detached view and the SharedArrayBuffer view are refused like set's values.
  ["setStream", "body", (c, bad) => c.setStream("alpha", bad), isBody, () => ErrorCode.INVALID_VALUE],
  ["setStream", "options", (c, bad) => c.setStream("alpha", bytes(1, 2, 3), bad), (v) => v === undefined, () => ErrorCode.INVALID_OPTIONS],
  [
    "setStream",
    "options.length",
    (c, bad) => c.setStream("alpha", new Blob([bytes(1, 2, 3)]).stream(), { length: bad }),
    validLength,
    () => ErrorCode.INVALID_OPTIONS,
  ],
  ["setStream", "options.ttlMs", (c, bad) => c.setStream("alpha", bytes(1, 2, 3), { ttlMs: bad }), validTtl, () => ErrorCode.INVALID_OPTIONS],
];

describe("EdgeCache.r2 bad inputs: every method × every position × every bad input", () => {
  for (const target of TARGETS) {
    for (const [method, position, call, accepts, code] of CALLS) {
      it(`${target.name}: ${method}(${position}) refuses every bad input with a coded error and keeps the data`, async () => {
        const cache = await seeded(target);
        for (const [label, make] of BAD_INPUTS) {
          const bad = make();
          const what = `${target.name} ${method}(${position} = ${label})`;
          const result = await outcome(() => call(cache, bad));
          assert.notEqual(result.kind, "threw", `${what} threw synchronously: ${result.error?.message}`);
          assert.notEqual(result.kind, "returned", `${what} did not return a Promise`);
          if (accepts(bad)) {
            assert.equal(result.kind, "resolved", `${what} should succeed: ${result.error?.message}`);
          } else {
            assert.equal(result.kind, "rejected", `${what} resolved to ${String(result.value)}`);
            assertCoded(result.error, code(bad), what);
          }
          await cache.set("alpha", SEED[0][1]());
          await assertIntact(cache, what);
        }
      });
    }
  }

  it("EdgeCache.r2(binding, options) throws a coded error synchronously for every bad binding, option and prefix", () => {
    const good = fakeR2().binding;
    const rows = [
      ["binding", (bad) => EdgeCache.r2(bad), () => false],
      ["options", (bad) => EdgeCache.r2(good, bad), (v) => v === undefined],
      ["options.prefix", (bad) => EdgeCache.r2(good, { prefix: bad }), (v) => v === undefined || v === ""],
      ["options.namespace", (bad) => EdgeCache.r2(good, { namespace: bad }), (v) => v === undefined],
      ["options.defaultTtlMs", (bad) => EdgeCache.r2(good, { defaultTtlMs: bad }), validTtl],
      ["options.memory", (bad) => EdgeCache.r2(good, { memory: bad }), (v) => v === undefined],
    ];
    for (const [position, construct, accepts] of rows) {
      for (const [label, make] of BAD_INPUTS) {
        const bad = make();
        const what = `EdgeCache.r2(${position} = ${label})`;
        let made;
        let error;
        try {
          made = construct(bad);
        } catch (e) {
          error = e;
        }
        if (accepts(bad)) {
          assert.equal(error, undefined, `${what} should be accepted: ${error?.message}`);
          assert.ok(made instanceof EdgeCache, what);
        } else {
          assert.notEqual(error, undefined, `${what} was accepted`);
          assertCoded(error, ErrorCode.INVALID_OPTIONS, what);
        }
      }
    }
    for (const prefix of ["cache", "a:b/", "a/b", "x".repeat(1_021) + "/"]) {
      assert.throws(() => EdgeCache.r2(good, { prefix }), (e) => e.code === ErrorCode.INVALID_OPTIONS, prefix);
    }
    assert.ok(EdgeCache.r2(good, { prefix: "cache/v2/" }) instanceof EdgeCache);
  });
});

describe("EdgeCache.r2 over a binding that fails or answers garbage", () => {
  const FAULTS = [
    ["throws an Error", () => () => {
      throw new Error("R2 exploded (10001)");
    }],
    ["rejects with an Error", () => async () => {
      throw new Error("We encountered an internal error. (10001)");
    }],
    ["rejects with a string", () => async () => {
      throw "busy";
    }],
    ["rejects with undefined", () => async () => {
      throw undefined;
    }],
    ["rejects with an object whose getters throw", () => async () => {
      throw throwingObject();
    }],
    ["answers a number", () => async () => 42],
    ["answers a string", () => async () => "not an object"],
    ["answers an object whose getters throw", () => async () => throwingObject()],
  ];
  const healthCheck = (c) => c.healthCheck();
  const OPS = [
    ["get", (c) => c.get("alpha")],
    ["get", (c) => c.getMany(["alpha", "beta"])],
    ["get", (c) => c.getStream("alpha")],
    ["head", (c) => c.has("alpha")],
    ["head", healthCheck],
    ["put", (c) => c.set("alpha", bytes(7))],
    ["put", (c) => c.setStream("alpha", bytes(7))],
    ["list", (c) => c.clear()],
  ];
  for (const [label, fault] of FAULTS) {
    it(`every operation is EDGECACHE_BACKEND when the binding ${label}, and works again after`, async () => {
      const { binding, fault: faults } = fakeR2();
      const cache = EdgeCache.r2(binding, { prefix: "c/", memory: { maxEntries: 10 } });
      const plain = EdgeCache.r2(binding, { prefix: "c/" });
      for (const [op, run] of OPS) {
        for (const target of [plain, cache]) {
          await plain.set("alpha", bytes(1));
          await plain.set("beta", bytes(2));
          faults[op] = fault();
          const result = await outcome(() => run(target));
          delete faults[op];
          const what = `${op} ${label}`;
          // The tiered cache's memory tier may answer a read without R2.
          if (result.kind === "resolved" && target === cache && (op === "get" || op === "head")) continue;
          // A health check answers false instead of rejecting.
          if (run === healthCheck) {
            assert.deepEqual(result, { kind: "resolved", value: false }, `${what}: healthCheck`);
            continue;
          }
          // put/delete/list may answer anything; their answer is ignored.
          if (result.kind === "resolved" && op === "put" && label.startsWith("answers")) continue;
          assert.equal(result.kind, "rejected", `${what}: resolved`);
          assertCoded(result.error, ErrorCode.BACKEND, what);
        }
      }
      assert.deepEqual(await plain.get("alpha"), bytes(1));
      assert.equal(await plain.healthCheck(), true);
    });
  }

  it("objects whose customMetadata is missing, foreign, garbled or not strings are misses", async () => {
    const { binding, store } = fakeR2();
    const cache = EdgeCache.r2(binding);
    const raw = (customMetadata) => ({ bytes: bytes(1), customMetadata });
    const cases = {
      none: raw(undefined),
      empty: raw({}),
      foreign: raw({ owner: "x" }),
      numeric: raw({ v: 1 }),
      v2: raw({ v: "2" }),
      badExpiry: raw({ v: "1", expiresAt: "-1" }),
      extra: raw({ v: "1", note: "x" }),
    };
    for (const [key, entry] of Object.entries(cases)) store.set(`0::${key}`, entry);
    for (const key of Object.keys(cases)) {
      assert.equal(await cache.get(key), undefined, key);
      assert.equal(await cache.has(key), false, key);
      assert.equal(await cache.getStream(key), undefined, key);
    }
    assert.deepEqual(await cache.getMany(Object.keys(cases)), Object.keys(cases).map(() => undefined));
    assert.equal(store.size, Object.keys(cases).length, "misses are left in place");
  });

  it("streams: set and setStream values read each other; getStream of a tiered cache reads R2", async () => {
    const { binding, store } = fakeR2();
    const cache = EdgeCache.r2(binding, { memory: { maxEntries: 10 } });
    await cache.setStream("s", new Blob([bytes(1, 2, 3)]), { ttlMs: 60_000 });
    assert.deepEqual(await cache.get("s"), bytes(1, 2, 3));
    assert.equal(store.get("0::s").customMetadata.v, "1");
    assert.ok(Number(store.get("0::s").customMetadata.expiresAt) > Date.now());
    await cache.set("b", bytes(4, 5));
    const stream = await cache.getStream("b");
    assert.ok(stream instanceof ReadableStream);
    assert.deepEqual(new Uint8Array(await new Response(stream).arrayBuffer()), bytes(4, 5));
    // A stream with its length given (no FixedLengthStream in Node: passed as is).
    await cache.setStream("n", new Blob([bytes(6)]).stream(), { length: 1 });
    assert.deepEqual(await cache.get("n"), bytes(6));
    // The memory tier's copy of "b" does not survive a setStream.
    await cache.setStream("b", bytes(9));
    assert.deepEqual(await cache.get("b"), bytes(9));
  });
});
