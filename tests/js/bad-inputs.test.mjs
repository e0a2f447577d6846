// The bad-input matrix: every exported constructor and method, every argument
// position, times every bad input, on every kind of cache. Run with
// `node --test tests/js/` after a build.
//
// tests/js/api.test.mjs checks the memory cache's validation one rule at a
// time (each key rule, each value type, each TTL); this file is the cross
// product instead: the same list of hostile values goes into each position
// of each call — EdgeCache.memory, EdgeCache.kv (bare and tiered, over a fake
// binding), every instance method, the text/JSON helpers, getOrSet, and
// ResponseCache's constructor and methods — and each call must
//
// - reject (or, for the synchronous constructors, throw) a coded error:
//   name "EdgeCacheError" and a stable EDGECACHE_* code, never a wasm trap
//   (WebAssembly.RuntimeError) nor a stray TypeError; or, where the value is
//   in fact valid in that position (an empty string as text, `null` as JSON),
//   succeed;
// - leave the cache working, holding the same data.
//
// Then: loaders that throw, return non-Promises or never settle; keys at and
// just over the limits (16 KiB in memory, 512 bytes in KV with the namespace
// encoding); values over maxBytes / KV's 25 MiB; and a KV binding that
// fails in every way a binding can (fault injection).

import { describe, it } from "node:test";
import assert from "node:assert/strict";

import { EdgeCache, ErrorCode, ResponseCache } from "../../pkg/node.js";
import { assertCoded, detachedUint8Array, outcome, throwingObject } from "../support/bad-inputs.mjs";

const MIB = 1 << 20;
const utf8 = new TextEncoder();

// ---------------------------------------------------------------------------
// Helpers (the shapes of api.test.mjs's `coded` and `seededCache`)
// ---------------------------------------------------------------------------

function bytes(...values) {
  return new Uint8Array(values);
}

const nextMacrotask = () => new Promise((resolve) => setImmediate(resolve));

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
  ["2**53", () => 2 ** 53],
  ["a boolean", () => true],
  ["a bigint", () => 1n],
  ["a symbol", () => Symbol("bad")],
  ["a function", () => () => undefined],
  ["a plain array", () => ["alpha", 1]],
  ["an ArrayBuffer", () => new ArrayBuffer(8)],
  ["a DataView", () => new DataView(new ArrayBuffer(8))],
  ["an Int16Array", () => new Int16Array(4)],
  ["a detached Uint8Array", detachedUint8Array],
  ["a view of a SharedArrayBuffer", () => new Uint8Array(new SharedArrayBuffer(8))],
  ["an object whose getters throw", throwingObject],
  ["options with a misspelt field", () => ({ ttl: 1000, maxEntrys: 3, fetchr: null })],
  ["options with an unknown field", () => ({ ttlMs: 1000, extra: true })],
];

// ---------------------------------------------------------------------------
// What each argument position accepts, and the code it refuses with
// ---------------------------------------------------------------------------

const isWellFormedString = (v) => typeof v === "string" && v.isWellFormed();
const HUNDRED_YEARS_MS = 100 * 365 * 24 * 60 * 60 * 1000;
const validMaxEntries = (v) => v === undefined || (Number.isSafeInteger(v) && v >= 1 && v <= 2 ** 32 - 2);
const validMaxBytes = (v) => v === undefined || (Number.isSafeInteger(v) && v > 96);
const validTtl = (v) => v === undefined || (typeof v === "number" && v > 0 && v <= HUNDRED_YEARS_MS);
function hasJsonForm(v) {
  try {
    return JSON.stringify(v) !== undefined;
  } catch {
    return false;
  }
}

/** position -> { accepts(value): boolean, code(value): expected error code } */
const POSITIONS = {
  key: { accepts: () => false, code: () => ErrorCode.INVALID_KEY },
  keys: { accepts: () => false, code: () => ErrorCode.INVALID_KEY },
  keyInList: { accepts: () => false, code: () => ErrorCode.INVALID_KEY },
  value: { accepts: () => false, code: () => ErrorCode.INVALID_VALUE },
  text: { accepts: isWellFormedString, code: () => ErrorCode.INVALID_VALUE },
  json: { accepts: hasJsonForm, code: () => ErrorCode.INVALID_VALUE },
  options: { accepts: (v) => v === undefined, code: () => ErrorCode.INVALID_OPTIONS },
  // A function that returns undefined is a loader with a bad result.
  loader: {
    accepts: () => false,
    code: (v) => (typeof v === "function" ? ErrorCode.INVALID_VALUE : ErrorCode.INVALID_OPTIONS),
  },
  ignored: { accepts: () => true, code: () => undefined },
  request: { accepts: () => false, code: () => ErrorCode.INVALID_KEY },
  response: { accepts: () => false, code: () => ErrorCode.INVALID_VALUE },
  cache: { accepts: () => false, code: () => ErrorCode.INVALID_OPTIONS },
  binding: { accepts: () => false, code: () => ErrorCode.INVALID_OPTIONS },
};

// ---------------------------------------------------------------------------
// The caches under test
// ---------------------------------------------------------------------------

/**
 * A Map behind the Workers KV binding shape. `fault[op]`, when set, replaces
 * the operation (to throw, reject, hang or answer garbage).
 */
function fakeKv() {
  const store = new Map();
  const fault = {};
  const copy = (value) =>
    value instanceof ArrayBuffer ? new Uint8Array(value.slice(0)) : new Uint8Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
  const binding = {
    get(key, options) {
      if (fault.get) return fault.get(key, options);
      const value = store.get(key);
      return Promise.resolve(value === undefined ? null : value.slice().buffer);
    },
    put(key, value, options) {
      if (fault.put) return fault.put(key, value, options);
      store.set(key, copy(value));
      return Promise.resolve();
    },
    delete(key) {
      if (fault.delete) return fault.delete(key);
      store.delete(key);
      return Promise.resolve();
    },
    list({ prefix = "", cursor, limit = 1000 } = {}) {
      if (fault.list) return fault.list({ prefix, cursor, limit });
      const names = [...store.keys()].filter((k) => k.startsWith(prefix)).sort();
      const start = cursor === undefined ? 0 : Number(cursor);
      const page = names.slice(start, start + limit);
      const done = start + limit >= names.length;
      return Promise.resolve({
        keys: page.map((name) => ({ name })),
        list_complete: done,
        cursor: done ? undefined : String(start + limit),
      });
    },
  };
  return { binding, store, fault };
}

const TARGETS = [
  { name: "memory", make: () => ({ cache: EdgeCache.memory({ maxEntries: 100, maxBytes: 4 * MIB }) }), maxKeyBytes: 16384, copies: false },
  {
    name: "kv",
    make: () => {
      const kv = fakeKv();
      return { cache: EdgeCache.kv(kv.binding), kv };
    },
    maxKeyBytes: 512 - "0::".length,
    copies: true,
  },
  {
    name: "kv tiered",
    make: () => {
      const kv = fakeKv();
      return { cache: EdgeCache.kv(kv.binding, { namespace: "ns", memory: { maxEntries: 10, maxBytes: 64 * 1024 } }), kv };
    },
    maxKeyBytes: 512 - "2:ns:".length,
    copies: true,
  },
];

const SEED = [
  ["alpha", () => bytes(1, 2, 3)],
  ["beta", () => bytes(4, 5)],
  ["gamma-é", () => bytes(6)],
];

async function seeded(target) {
  const made = target.make();
  for (const [key, value] of SEED) await made.cache.set(key, value());
  return made;
}

/** The cache still holds the seed, accepts a write and forgets a delete. */
async function assertIntact(cache, what) {
  for (const [key, value] of SEED) {
    assert.deepEqual(await cache.get(key), value(), `${what}: ${key} changed`);
  }
  const probe = bytes(42);
  await cache.set("probe-after-error", probe);
  assert.deepEqual(await cache.get("probe-after-error"), probe, what);
  await cache.delete("probe-after-error");
  assert.equal(await cache.has("probe-after-error"), false, what);
}

// Each instance call: [method, position, call(cache, bad)]. The good
// arguments around the bad one are valid; writes go to "alpha", so a refused
// write must leave its old value in place.
const INSTANCE_CALLS = [
  ["get", "key", (c, bad) => c.get(bad)],
  ["has", "key", (c, bad) => c.has(bad)],
  ["delete", "key", (c, bad) => c.delete(bad)],
  ["set", "key", (c, bad) => c.set(bad, bytes(9))],
  ["set", "value", (c, bad) => c.set("alpha", bad)],
  ["set", "options", (c, bad) => c.set("alpha", bytes(9), bad)],
  ["getMany", "keys", (c, bad) => c.getMany(bad)],
  ["getMany", "keyInList", (c, bad) => c.getMany(["alpha", bad, "beta"])],
  ["deleteMany", "keys", (c, bad) => c.deleteMany(bad)],
  ["deleteMany", "keyInList", (c, bad) => c.deleteMany(["alpha", bad, "beta"])],
  ["getText", "key", (c, bad) => c.getText(bad)],
  ["setText", "key", (c, bad) => c.setText(bad, "text")],
  ["setText", "text", (c, bad) => c.setText("alpha", bad)],
  ["setText", "options", (c, bad) => c.setText("alpha", "text", bad)],
  ["getJson", "key", (c, bad) => c.getJson(bad)],
  ["setJson", "key", (c, bad) => c.setJson(bad, { ok: true })],
  ["setJson", "json", (c, bad) => c.setJson("alpha", bad)],
  ["setJson", "options", (c, bad) => c.setJson("alpha", [1], bad)],
  ["getOrSet", "key", (c, bad) => c.getOrSet(bad, () => bytes(1))],
  ["getOrSet", "loader", (c, bad) => c.getOrSet("missing", bad)],
  ["getOrSet", "options", (c, bad) => c.getOrSet("missing", () => bytes(1), bad)],
  ["healthCheck", "ignored", (c, bad) => c.healthCheck(bad)],
];

// ---------------------------------------------------------------------------
// The matrix
// ---------------------------------------------------------------------------

describe("bad inputs: every EdgeCache method × every position × every bad input", () => {
  assert.ok(BAD_INPUTS.length >= 15);
  for (const target of TARGETS) {
    for (const [method, position, call] of INSTANCE_CALLS) {
      it(`${target.name}: ${method}(${position}) refuses every bad input with a coded error and keeps the data`, async () => {
        const { cache } = await seeded(target);
        const { accepts, code } = POSITIONS[position];
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
          // An accepted write replaced alpha: put the seed back, then check.
          await cache.set("alpha", SEED[0][1]());
          await cache.delete("missing");
          await assertIntact(cache, what);
        }
      });
    }
  }

  it("memory: clear(bad) ignores its argument and clears; stats(bad) reports", async () => {
    for (const [label, make] of BAD_INPUTS) {
      const { cache } = await seeded(TARGETS[0]);
      await cache.clear(make());
      const stats = await cache.stats(make());
      assert.equal(stats.entries, 0, label);
      await cache.set("after", bytes(1));
      assert.deepEqual(await cache.get("after"), bytes(1), label);
    }
  });
});

const REDIS = "redis://127.0.0.1:1";

describe("bad inputs: constructors", () => {
  const constructors = [
    ["EdgeCache.memory", "options", (bad) => EdgeCache.memory(bad)],
    ["EdgeCache.memory", "options.maxEntries", (bad) => EdgeCache.memory({ maxEntries: bad }), validMaxEntries],
    ["EdgeCache.memory", "options.maxBytes", (bad) => EdgeCache.memory({ maxBytes: bad }), validMaxBytes],
    ["EdgeCache.memory", "options.defaultTtlMs", (bad) => EdgeCache.memory({ defaultTtlMs: bad }), validTtl],
    ["EdgeCache.memory", "options.namespace", (bad) => EdgeCache.memory({ namespace: bad }), (v) => v === undefined],
    ["EdgeCache.kv", "binding", (bad) => EdgeCache.kv(bad)],
    ["EdgeCache.kv", "options", (bad) => EdgeCache.kv(fakeKv().binding, bad)],
    ["EdgeCache.kv", "options.namespace", (bad) => EdgeCache.kv(fakeKv().binding, { namespace: bad }), (v) => v === undefined],
    ["EdgeCache.kv", "options.defaultTtlMs", (bad) => EdgeCache.kv(fakeKv().binding, { defaultTtlMs: bad }), validTtl],
    ["EdgeCache.kv", "options.memory", (bad) => EdgeCache.kv(fakeKv().binding, { memory: bad })],
    ["EdgeCache.kv", "options.memory.maxEntries", (bad) => EdgeCache.kv(fakeKv().binding, { memory: { maxEntries: bad } }), validMaxEntries],
    // EdgeCache.redis connects on first use: these build caches that never call out.
    ["EdgeCache.redis", "options", (bad) => EdgeCache.redis(bad), () => false], // connect is required
    ["EdgeCache.redis", "options.connect", (bad) => EdgeCache.redis({ connect: bad }), (v) => typeof v === "function"],
    ["EdgeCache.redis", "options.username", (bad) => EdgeCache.redis({ connect: REDIS, username: bad, password: "p" }), (v) => v === undefined],
    ["EdgeCache.redis", "options.password", (bad) => EdgeCache.redis({ connect: REDIS, password: bad }), (v) => v === undefined],
    ["EdgeCache.redis", "options.namespace", (bad) => EdgeCache.redis({ connect: REDIS, namespace: bad }), (v) => v === undefined],
    ["EdgeCache.redis", "options.defaultTtlMs", (bad) => EdgeCache.redis({ connect: REDIS, defaultTtlMs: bad }), validTtl],
    ["EdgeCache.redis", "options.connectTimeoutMs", (bad) => EdgeCache.redis({ connect: REDIS, connectTimeoutMs: bad }), validTtl],
    ["EdgeCache.redis", "options.replyTimeoutMs", (bad) => EdgeCache.redis({ connect: REDIS, replyTimeoutMs: bad }), (v) => v === undefined || (typeof v === "number" && v > 0 && v <= 2 ** 31 - 1)],
    ["EdgeCache.redis", "options.memory", (bad) => EdgeCache.redis({ connect: REDIS, memory: bad })],
    ["new ResponseCache", "cache", (bad) => new ResponseCache(bad)],
    ["new ResponseCache", "options", (bad) => new ResponseCache(EdgeCache.memory(), bad)],
    ["new ResponseCache", "options.shared", (bad) => new ResponseCache(EdgeCache.memory(), { shared: bad }), (v) => v === undefined || typeof v === "boolean"],
    ["new ResponseCache", "options.cacheSetCookie", (bad) => new ResponseCache(EdgeCache.memory(), { cacheSetCookie: bad }), (v) => v === undefined || typeof v === "boolean"],
    ["new ResponseCache", "options.targetedField", (bad) => new ResponseCache(EdgeCache.memory(), { targetedField: bad }), (v) => v === undefined || (typeof v === "string" && v !== "")],
    ["new ResponseCache", "options.fetcher", (bad) => new ResponseCache(EdgeCache.memory(), { fetcher: bad }), (v) => v === undefined || typeof v === "function"],
    ["new ResponseCache", "options.onError", (bad) => new ResponseCache(EdgeCache.memory(), { onError: bad }), (v) => v === undefined || typeof v === "function"],
    ["new ResponseCache", "options.collapseTimeoutMs", (bad) => new ResponseCache(EdgeCache.memory(), { collapseTimeoutMs: bad }), (v) => v === undefined || (Number.isSafeInteger(v) && v >= 0 && v <= 600_000)],
    ["new ResponseCache", "options.staleIfErrorMs", (bad) => new ResponseCache(EdgeCache.memory(), { staleIfErrorMs: bad }), (v) => v === undefined || (Number.isSafeInteger(v) && v >= 0 && v <= 365 * 24 * 3600 * 1000)],
    ["new ResponseCache", "options.maxBodyBytes", (bad) => new ResponseCache(EdgeCache.memory(), { maxBodyBytes: bad }), (v) => v === undefined || (Number.isSafeInteger(v) && v >= 0 && v <= 2 ** 31)],
  ];
  // `options` itself: only undefined (or a valid bag) is accepted.
  for (const [name, position, construct, acceptsOverride] of constructors) {
    it(`${name}(${position}) throws a coded error synchronously for every bad input`, () => {
      const accepts = acceptsOverride ?? ((v) => v === undefined && !["binding", "cache"].includes(position));
      for (const [label, make] of BAD_INPUTS) {
        const bad = make();
        const what = `${name}(${position} = ${label})`;
        let made;
        let error;
        try {
          made = construct(bad);
        } catch (e) {
          error = e;
        }
        if (accepts(bad)) {
          assert.equal(error, undefined, `${what} should be accepted: ${error?.message}`);
          assert.ok(made !== undefined && !(made instanceof Promise), what);
        } else {
          assert.notEqual(error, undefined, `${what} was accepted`);
          assertCoded(error, ErrorCode.INVALID_OPTIONS, what);
        }
      }
      // The wasm instance is healthy afterwards.
      assert.ok(EdgeCache.memory() instanceof EdgeCache);
    });
  }
});

describe("bad inputs: the async factory EdgeCache.d1", () => {
  // A D1 binding that answers every statement with no rows: enough for the
  // factory, which creates its table before resolving.
  function fakeD1() {
    const statement = {
      bind: () => statement,
      all: async () => ({ results: [], success: true, meta: { changes: 0 } }),
      run: async () => ({ success: true, meta: { changes: 0 } }),
    };
    return { prepare: () => statement, batch: async (statements) => statements.map(() => ({ results: [], success: true, meta: { changes: 0 } })) };
  }
  const isTableName = (v) => v === undefined;
  const positions = [
    ["binding", (bad) => EdgeCache.d1(bad), () => false],
    ["options", (bad) => EdgeCache.d1(fakeD1(), bad), (v) => v === undefined],
    ["options.table", (bad) => EdgeCache.d1(fakeD1(), { table: bad }), isTableName],
    ["options.namespace", (bad) => EdgeCache.d1(fakeD1(), { namespace: bad }), (v) => v === undefined],
    ["options.defaultTtlMs", (bad) => EdgeCache.d1(fakeD1(), { defaultTtlMs: bad }), validTtl],
    ["options.memory", (bad) => EdgeCache.d1(fakeD1(), { memory: bad }), (v) => v === undefined],
  ];
  for (const [position, open, accepts] of positions) {
    it(`EdgeCache.d1(${position}) rejects every bad input with a coded error, never throws`, async () => {
      for (const [label, make] of BAD_INPUTS) {
        const bad = make();
        const what = `EdgeCache.d1(${position} = ${label})`;
        const result = await outcome(() => open(bad));
        assert.notEqual(result.kind, "threw", `${what} threw synchronously`);
        if (accepts(bad)) {
          assert.equal(result.kind, "resolved", `${what}: ${result.error?.message}`);
          assert.ok(result.value instanceof EdgeCache, what);
        } else {
          assert.equal(result.kind, "rejected", `${what} was accepted`);
          assertCoded(result.error, ErrorCode.INVALID_OPTIONS, what);
        }
      }
    });
  }
});

// ---------------------------------------------------------------------------
// ResponseCache methods
// ---------------------------------------------------------------------------

describe("bad inputs: ResponseCache methods", () => {
  const URL_ = "https://origin.example/page";
  function origin() {
    let calls = 0;
    const fetcher = async () => {
      calls++;
      return new Response("fresh page", { headers: { "cache-control": "public, max-age=60", etag: '"v1"' } });
    };
    return { fetcher, calls: () => calls };
  }
  const calls = [
    ["match", "request", (rc, bad) => rc.match(bad)],
    ["delete", "request", (rc, bad) => rc.delete(bad)],
    ["put", "request", (rc, bad) => rc.put(bad, new Response("x"))],
    ["put", "response", (rc, bad) => rc.put(URL_, bad)],
    ["fetch", "request", (rc, bad) => rc.fetch(bad)],
    ["fetch", "options", (rc, bad) => rc.fetch(URL_, bad)],
    ["fetch", "options.fetcher", (rc, bad) => rc.fetch(URL_, { fetcher: bad })],
    ["fetch", "options.waitUntil", (rc, bad) => rc.fetch(URL_, { waitUntil: bad })],
  ];
  for (const target of TARGETS) {
    for (const [method, position, call] of calls) {
      it(`${target.name}: ResponseCache.${method}(${position}) rejects every bad input with a coded error`, async () => {
        const { cache } = await seeded(target);
        const { fetcher } = origin();
        const rc = new ResponseCache(cache, { fetcher });
        assert.equal(await (await rc.fetch(URL_)).text(), "fresh page");
        for (const [label, make] of BAD_INPUTS) {
          const bad = make();
          const what = `${target.name} ResponseCache.${method}(${position} = ${label})`;
          const result = await outcome(() => call(rc, bad));
          assert.notEqual(result.kind, "threw", `${what} threw synchronously`);
          const accepted =
            bad === undefined && ["options", "options.fetcher", "options.waitUntil"].includes(position);
          if (accepted) {
            assert.equal(result.kind, "resolved", `${what}: ${result.error?.message}`);
          } else if (position === "options.fetcher" && typeof bad === "function") {
            // A fetcher that resolves to undefined: not a Response. The page is
            // fresh in the cache, so the fetcher is not even called.
            assert.ok(result.kind === "resolved" || result.error?.code === ErrorCode.INVALID_VALUE, what);
          } else if (position === "options.waitUntil" && typeof bad === "function") {
            assert.equal(result.kind, "resolved", what);
          } else {
            assert.equal(result.kind, "rejected", `${what} resolved`);
            assertCoded(result.error, POSITIONS[position]?.code(bad) ?? ErrorCode.INVALID_OPTIONS, what);
          }
          // The stored page and the cache's own data are intact.
          const page = await rc.match(URL_);
          assert.ok(page, `${what}: the stored page is gone`);
          assert.equal(await page.text(), "fresh page", what);
          await assertIntact(cache, what);
        }
      });
    }
  }

  it("fetch: a fetcher that throws, returns a non-Response or never settles", async () => {
    const cache = EdgeCache.memory();
    const failure = new Error("origin down");
    // A fetcher that fails is an origin that cannot be reached: a 502 (or a
    // stale-if-error response), never a rejection, and the error goes to
    // onError. One that resolves to something else is the caller's bug.
    const unreachable = (r, reported) =>
      r.kind === "resolved" && r.value.status === 502 && r.value.headers.get("x-edgecache") === "ERROR" && reported.includes(failure);
    const fetchers = [
      ["throws synchronously", () => {
        throw failure;
      }, unreachable],
      ["rejects", async () => {
        throw failure;
      }, unreachable],
      ["returns a string", () => "not a response", (r) => r.error?.code === ErrorCode.INVALID_VALUE],
      ["returns a plain object", () => ({ status: 200, headers: {} }), (r) => r.error?.code === ErrorCode.INVALID_VALUE],
      ["resolves to null", async () => null, (r) => r.error?.code === ErrorCode.INVALID_VALUE],
    ];
    for (const [label, fetcher, check] of fetchers) {
      const reported = [];
      const rc = new ResponseCache(cache, { fetcher, onError: (error) => reported.push(error) });
      const result = await outcome(() => rc.fetch(`https://origin.example/${encodeURIComponent(label)}`));
      assert.ok(!(result.error instanceof WebAssembly.RuntimeError), label);
      assert.ok(check(result, reported), `${label}: ${result.kind} ${result.error?.name} ${result.error?.message} ${result.value?.status}`);
    }
    // A fetcher that never settles blocks only its own request.
    let hung = 0;
    const rc = new ResponseCache(cache, {
      fetcher: (request) => {
        if (request.url.endsWith("/hang")) {
          hung++;
          return new Promise(() => {});
        }
        return new Response("ok", { headers: { "cache-control": "max-age=60" } });
      },
    });
    let settled = false;
    rc.fetch("https://origin.example/hang").finally(() => {
      settled = true;
    });
    await nextMacrotask();
    assert.equal(await (await rc.fetch("https://origin.example/other")).text(), "ok");
    assert.equal((await rc.fetch("https://origin.example/other")).headers.get("x-edgecache"), "HIT");
    assert.equal(hung, 1);
    assert.equal(settled, false);
  });

  it("fetch: URLs too long to be a cache key are forwarded uncached, never an error", async () => {
    for (const target of TARGETS) {
      const { cache } = await seeded(target);
      const { fetcher, calls } = origin();
      const rc = new ResponseCache(cache, { fetcher });
      // Just over KV's 512-byte keys, and over the memory cache's 16 KiB.
      for (const length of [600, 20_000, MIB]) {
        const url = `https://origin.example/${"q".repeat(length)}`;
        const response = await rc.fetch(url);
        assert.equal(await response.text(), "fresh page", `${target.name} ${length}`);
        assert.ok(["MISS", "BYPASS"].includes(response.headers.get("x-edgecache")), `${target.name} ${length}`);
      }
      assert.ok(calls() >= 3);
      await assertIntact(cache, target.name);
    }
  });
});

// ---------------------------------------------------------------------------
// Loaders
// ---------------------------------------------------------------------------

describe("bad inputs: getOrSet loaders", () => {
  const failure = new Error("loader failed");
  const LOADERS = [
    // The loader's own error reaches the caller unchanged (README: "a
    // rejection reaches every waiting caller"), whatever its shape.
    ["throws synchronously", () => {
      throw failure;
    }, (e) => e === failure],
    ["throws a non-Error", () => {
      throw "plain string";
    }, (e) => e === "plain string"],
    ["returns a thenable whose then throws", () => ({
      then() {
        throw failure;
      },
    }), (e) => e === failure],
    // Results that are not a Uint8Array: a coded error.
    ["returns a number (not a Promise)", () => 42, (e) => e?.code === ErrorCode.INVALID_VALUE],
    ["returns a string (not a Promise)", () => "bytes", (e) => e?.code === ErrorCode.INVALID_VALUE],
    ["returns undefined", () => undefined, (e) => e?.code === ErrorCode.INVALID_VALUE],
    ["resolves to an ArrayBuffer", async () => new ArrayBuffer(4), (e) => e?.code === ErrorCode.INVALID_VALUE],
    ["resolves to a detached Uint8Array", async () => detachedUint8Array(), (e) => e?.code === ErrorCode.INVALID_VALUE],
    ["resolves to a SharedArrayBuffer view", async () => new Uint8Array(new SharedArrayBuffer(4)), (e) => e?.code === ErrorCode.INVALID_VALUE],
  ];
  for (const target of TARGETS) {
    for (const [label, loader, isExpected] of LOADERS) {
      it(`${target.name}: a loader that ${label} rejects every waiting caller and caches nothing`, async () => {
        const { cache } = await seeded(target);
        const outcomes = await Promise.allSettled([1, 2, 3].map(() => cache.getOrSet("loaded", loader)));
        for (const o of outcomes) {
          assert.equal(o.status, "rejected", label);
          assert.ok(!(o.reason instanceof WebAssembly.RuntimeError), label);
          assert.ok(isExpected(o.reason), `${label}: got ${o.reason?.name} ${o.reason?.code} ${o.reason}`);
        }
        assert.equal(await cache.has("loaded"), false);
        await assertIntact(cache, label);
        assert.deepEqual(await cache.getOrSet("loaded", () => bytes(7)), bytes(7), "a later getOrSet loads again");
      });
    }

    it(`${target.name}: a loader that never settles blocks only its key; later callers join it`, async () => {
      const { cache } = await seeded(target);
      let calls = 0;
      const never = () => {
        calls++;
        return new Promise(() => {});
      };
      let settled = 0;
      const first = cache.getOrSet("stuck", never);
      first.finally(() => settled++);
      await nextMacrotask();
      const second = cache.getOrSet("stuck", never, { ttlMs: 1000 });
      second.finally(() => settled++);
      await nextMacrotask();
      assert.equal(calls, 1, "the second caller must join the first load");
      // Everything else works meanwhile.
      await assertIntact(cache, target.name);
      assert.deepEqual(await cache.getOrSet("other", () => bytes(8)), bytes(8));
      assert.deepEqual(await cache.getMany(["alpha", "other", "stuck"]), [bytes(1, 2, 3), bytes(8), undefined]);
      await nextMacrotask();
      assert.equal(settled, 0, "the stuck load is still pending (and nothing hangs the test)");
    });
  }
});

// ---------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------

describe("bad inputs: keys at and just over the limits, values over the bounds", () => {
  for (const target of TARGETS) {
    it(`${target.name}: a key of ${target.maxKeyBytes} UTF-8 bytes works, one byte more is EDGECACHE_INVALID_KEY`, async () => {
      const { cache } = await seeded(target);
      const ascii = "a".repeat(target.maxKeyBytes);
      // The same limit in two-byte characters (one ASCII byte to make it exact).
      const accented = "é".repeat(Math.floor(target.maxKeyBytes / 2)) + (target.maxKeyBytes % 2 ? "a" : "");
      for (const atLimit of [ascii, accented]) {
        assert.equal(utf8.encode(atLimit).length, target.maxKeyBytes);
        const value = bytes(1, 2);
        await cache.set(atLimit, value);
        assert.deepEqual(await cache.get(atLimit), value);
        assert.deepEqual(await cache.getOrSet(atLimit, () => bytes(0)), value);
        await cache.delete(atLimit);
        for (const over of [atLimit + "a", atLimit + "é"]) {
          for (const call of [
            () => cache.set(over, value),
            () => cache.get(over),
            () => cache.has(over),
            () => cache.delete(over),
            () => cache.getMany(["alpha", over]),
            () => cache.getOrSet(over, () => value),
            () => cache.setText(over, "x"),
          ]) {
            const result = await outcome(call);
            assert.equal(result.kind, "rejected", `${target.name}: ${utf8.encode(over).length}-byte key accepted`);
            assertCoded(result.error, ErrorCode.INVALID_KEY, target.name);
          }
        }
      }
      await assertIntact(cache, target.name);
    });
  }

  it("memory: values whose entry exceeds maxBytes are EDGECACHE_VALUE_TOO_LARGE and evict nothing", async () => {
    const { cache } = await seeded({ make: () => ({ cache: EdgeCache.memory({ maxBytes: 4096 }) }) });
    const before = await cache.stats();
    // "alpha" (5) + 96 overhead + 3996 = 4097 bytes.
    for (const call of [
      () => cache.set("alpha", new Uint8Array(3996)),
      () => cache.set("big", new Uint8Array(MIB)),
      () => cache.setText("big", "x".repeat(4000)),
      () => cache.setJson("big", "x".repeat(4000)),
      () => cache.getOrSet("big", () => new Uint8Array(5000)),
    ]) {
      const result = await outcome(call);
      assert.equal(result.kind, "rejected");
      assertCoded(result.error, ErrorCode.VALUE_TOO_LARGE, "memory maxBytes");
    }
    const after = await cache.stats();
    assert.equal(after.entries, before.entries);
    assert.equal(after.evictions, 0);
    await assertIntact(cache, "memory maxBytes");
    await cache.set("alpha", new Uint8Array(3995)); // exactly 4096: accepted
    const stats = await cache.stats();
    assert.equal(stats.bytes + 96 * stats.entries, 4096, "charged: key + value + 96 per entry");
  });

  for (const target of TARGETS.slice(1)) {
    it(`${target.name}: values over KV's 25 MiB are EDGECACHE_VALUE_TOO_LARGE; a value over the memory tier's bound still goes to KV`, async () => {
      const { cache, kv } = await seeded(target);
      const limit = 25 * MIB - 11; // KV's value limit less the record header
      const result = await outcome(() => cache.set("huge", new Uint8Array(limit + 1)));
      assert.equal(result.kind, "rejected");
      assertCoded(result.error, ErrorCode.VALUE_TOO_LARGE, target.name);
      assert.equal(await cache.has("huge"), false);
      const atLimit = new Uint8Array(limit);
      await cache.set("huge", atLimit);
      assert.equal((await cache.get("huge")).byteLength, limit);
      await cache.delete("huge");
      // Bigger than the memory tier (64 KiB) but fine for KV.
      await cache.set("medium", new Uint8Array(100_000).fill(3));
      assert.deepEqual(await cache.get("medium"), new Uint8Array(100_000).fill(3));
      assert.ok(kv.store.size >= SEED.length + 1);
      await assertIntact(cache, target.name);
    });
  }
});

// ---------------------------------------------------------------------------
// Fault injection: a KV binding that fails
// ---------------------------------------------------------------------------

describe("fault injection: a KV binding that throws, rejects, hangs or answers garbage", () => {
  const boom = () => {
    throw new Error("binding exploded");
  };
  const reject = () => Promise.reject(new Error("KV 503"));
  const FAULTS = [
    ["get throws synchronously", "get", boom, "error"],
    ["get rejects", "get", reject, "error"],
    ["get rejects with a non-Error", "get", () => Promise.reject("rate limited"), "error"],
    ["get answers a string", "get", () => Promise.resolve("not bytes"), "error"],
    ["get answers a number", "get", () => 42, "error"],
    ["get answers a plain object", "get", () => Promise.resolve({ byteLength: 3 }), "error"],
    ["get answers foreign bytes (not a record)", "get", () => Promise.resolve(utf8.encode("{\"json\":true}").buffer), "miss"],
    ["get answers a truncated record", "get", () => Promise.resolve(new Uint8Array([0xec, 1, 0]).buffer), "miss"],
    ["get answers a record with a future version", "get", () => Promise.resolve(new Uint8Array([0xec, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]).buffer), "miss"],
    ["put throws synchronously", "put", boom, "error"],
    ["put rejects", "put", reject, "error"],
    ["delete rejects", "delete", reject, "error"],
    ["list rejects", "list", reject, "error"],
    ["list answers garbage", "list", () => Promise.resolve({ keys: "nope" }), "error"],
    ["list answers keys without names", "list", () => Promise.resolve({ keys: [{}, null, 5], list_complete: true }), "error"],
  ];
  const OPERATIONS = [
    ["get", "get", (c) => c.get("alpha")],
    ["has", "get", (c) => c.has("alpha")],
    ["getMany", "get", (c) => c.getMany(["alpha", "beta"])],
    ["getText", "get", (c) => c.getText("alpha")],
    ["getOrSet", "get", (c) => c.getOrSet("alpha", () => bytes(9))],
    ["set", "put", (c) => c.set("alpha", bytes(9))],
    ["setJson", "put", (c) => c.setJson("alpha", { v: 9 })],
    ["delete", "delete", (c) => c.delete("alpha")],
    ["deleteMany", "delete", (c) => c.deleteMany(["alpha", "beta"])],
    ["clear", "list", (c) => c.clear()],
  ];
  for (const [label, op, fault, expect] of FAULTS) {
    it(`${label}: every call that reaches it rejects with a coded error${expect === "miss" ? " or misses" : ""}, and the cache recovers`, async () => {
      const kv = fakeKv();
      const cache = EdgeCache.kv(kv.binding);
      for (const [key, value] of SEED) await cache.set(key, value());
      for (const [name, uses, call] of OPERATIONS.filter(([, uses]) => uses === op)) {
        kv.fault[op] = fault;
        const result = await outcome(() => call(cache));
        delete kv.fault[op];
        const what = `${label}: ${name}`;
        assert.notEqual(result.kind, "threw", what);
        if (expect === "miss" && uses === "get" && name !== "getOrSet") {
          assert.equal(result.kind, "resolved", `${what}: ${result.error?.message}`);
          assert.ok([undefined, false].includes(result.value) || Array.isArray(result.value), what);
        } else if (expect === "miss" && name === "getOrSet") {
          // A garbage record is a miss: the loader runs and its value is stored.
          assert.equal(result.kind, "resolved", what);
        } else {
          assert.equal(result.kind, "rejected", `${what} resolved`);
          assertCoded(result.error, ErrorCode.BACKEND, what);
        }
        // Restore the seed (a miss may have deleted the garbage record, a
        // successful getOrSet replaced alpha) and check the cache works.
        for (const [key, value] of SEED) await cache.set(key, value());
        await assertIntact(cache, what);
      }
    });
  }

  it("a binding that never settles blocks only the calls waiting on it", async () => {
    const kv = fakeKv();
    const cache = EdgeCache.kv(kv.binding, { memory: { maxEntries: 10 } });
    await cache.set("warm", bytes(1));
    kv.fault.get = () => new Promise(() => {});
    let settled = false;
    cache.get("cold").finally(() => {
      settled = true;
    });
    // The memory tier still answers, and writes still go through.
    assert.deepEqual(await cache.get("warm"), bytes(1));
    await cache.set("new", bytes(2));
    assert.deepEqual(await cache.get("new"), bytes(2));
    await nextMacrotask();
    assert.equal(settled, false);
    delete kv.fault.get;
    assert.equal(await cache.get("cold"), undefined);
  });
});

// ---------------------------------------------------------------------------
// Namespaces never meet
// ---------------------------------------------------------------------------

describe("namespaces: look-alike names never share keys", () => {
  it("KV: namespace a + key b:c and namespace a:b + key c are different entries; clear() clears one", async () => {
    const kv = fakeKv();
    const a = EdgeCache.kv(kv.binding, { namespace: "a" });
    const ab = EdgeCache.kv(kv.binding, { namespace: "a:b" });
    const root = EdgeCache.kv(kv.binding);
    await a.set("b:c", bytes(1));
    await ab.set("c", bytes(2));
    await root.set("1:a:b:c", bytes(3));
    assert.deepEqual(await a.get("b:c"), bytes(1));
    assert.deepEqual(await ab.get("c"), bytes(2));
    assert.deepEqual(await root.get("1:a:b:c"), bytes(3));
    assert.equal(await a.get("c"), undefined);
    assert.equal(await ab.get("b:c"), undefined);
    assert.equal(kv.store.size, 3);
    await a.clear();
    assert.equal(await a.get("b:c"), undefined);
    assert.deepEqual(await ab.get("c"), bytes(2));
    assert.deepEqual(await root.get("1:a:b:c"), bytes(3));
  });

  it("a namespace with a lone surrogate is refused: \\uD800 and \\uDFFF would both become U+FFFD and collide", () => {
    const { binding } = fakeKv();
    for (const namespace of ["\uD800", "\uDFFF", "ns\uD83D", "\uDE00ns"]) {
      for (const make of [
        () => EdgeCache.kv(binding, { namespace }),
        () => EdgeCache.kv(binding, { namespace, memory: {} }),
        () => EdgeCache.memory({ namespace }),
      ]) {
        let error;
        try {
          make();
        } catch (e) {
          error = e;
        }
        assertCoded(error, ErrorCode.INVALID_OPTIONS, JSON.stringify(namespace));
      }
    }
    // Well-formed non-ASCII namespaces are fine, and distinct.
    const x = EdgeCache.kv(binding, { namespace: "😀" });
    const y = EdgeCache.kv(binding, { namespace: "😁" });
    return (async () => {
      await x.set("k", bytes(1));
      assert.equal(await y.get("k"), undefined);
    })();
  });
});
