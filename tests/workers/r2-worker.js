// The test worker for tests/workers/r2.test.mjs: one route per case.
// `GET /case/<name>` runs the case inside workerd against the real Miniflare
// R2 binding `env.BUCKET` (through a spy where the case counts or breaks
// calls) and answers `{ ok, details: { failures, notes } }`; `GET /cases`
// lists the case names.
//
// It imports `edgecache` as a user's worker does: bundled from the packed
// tarball installed in a fixture, like wrangler.
import { EdgeCache } from "edgecache";
import { serveCases } from "./checks.js";

const encoder = new TextEncoder();
const MIB = 1024 * 1024;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
const bytes = (text) => encoder.encode(text);
const utf8 = (text) => encoder.encode(text).length;
/** The object key as R2Backend writes it: "{prefix}{len}:{namespace}:{key}". */
const objectKey = (prefix, namespace, key) => `${prefix ?? ""}${utf8(namespace ?? "")}:${namespace ?? ""}:${key}`;

const METHODS = ["get", "head", "put", "delete", "list"];

/**
 * A Proxy over an R2 binding that counts the calls the cache makes, records
 * the size of every delete, and lets a case replace any method
 * (`spy.fault.get = (key) => ...`).
 */
function spyOn(bucket) {
  const spy = {
    calls: {},
    deletes: [],
    fault: {},
    reset() {
      for (const op of METHODS) this.calls[op] = 0;
      this.deletes = [];
    },
  };
  spy.reset();
  const wrap = (op) =>
    function (...args) {
      spy.calls[op]++;
      if (op === "delete") spy.deletes.push(Array.isArray(args[0]) ? args[0].length : 1);
      if (spy.fault[op]) return spy.fault[op](...args);
      return bucket[op](...args);
    };
  const methods = Object.fromEntries(METHODS.map((op) => [op, wrap(op)]));
  const binding = new Proxy(bucket, {
    get(target, prop) {
      return Object.hasOwn(methods, prop) ? methods[prop] : Reflect.get(target, prop);
    },
  });
  return { spy, binding };
}

/** Runs `tasks` (functions returning promises) `width` at a time. */
async function inBatches(tasks, width) {
  for (let i = 0; i < tasks.length; i += width) await Promise.all(tasks.slice(i, i + width).map((task) => task()));
}

async function countObjects(bucket, prefix) {
  let n = 0;
  let cursor;
  do {
    const page = await bucket.list({ prefix, cursor, limit: 1000 });
    n += page.objects.length;
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor !== undefined);
  return n;
}

/** Byte `i` of the generated large values. */
const patternByte = (i) => (i * 31 + (i >>> 13)) & 0xff;

/** A ReadableStream of `size` pattern bytes, in 1 MiB chunks, never all in memory. */
function patternStream(size) {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= size) {
        controller.close();
        return;
      }
      const n = Math.min(MIB, size - offset);
      const chunk = new Uint8Array(n);
      for (let i = 0; i < n; i++) chunk[i] = patternByte(offset + i);
      offset += n;
      controller.enqueue(chunk);
    },
  });
}

/** Reads a stream, checking every byte against the pattern; returns { length, mismatches }. */
async function checkPattern(stream) {
  let length = 0;
  let mismatches = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    for (let i = 0; i < value.length; i++) if (value[i] !== patternByte(length + i)) mismatches++;
    length += value.length;
  }
  return { length, mismatches };
}

async function readAll(stream) {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const cases = {
  // set/get/has, exact TTLs with real time, the default TTL, and what the
  // objects look like in the bucket.
  async "ttl-and-layout"(env, t) {
    const cache = EdgeCache.r2(env.BUCKET, { prefix: "ttl/", namespace: "n" });
    const withDefault = EdgeCache.r2(env.BUCKET, { prefix: "ttl/", namespace: "d", defaultTtlMs: 1_500 });
    t.ok(cache instanceof EdgeCache, "an R2 cache is an EdgeCache");
    t.equal(cache.namespace, "n", "namespace");
    const start = Date.now();
    await cache.set("short", bytes("s"), { ttlMs: 1_500 });
    await cache.set("forever", bytes("f"));
    await withDefault.setText("default", "d");
    await cache.setJson("json", { a: [1, 2] });
    // Every write's expiry is at most this + 1.5 s (workerd's clock moves on I/O).
    const afterWrites = Date.now();
    t.equal(await cache.get("short"), bytes("s"), "live before its TTL");
    t.equal(await cache.has("short"), true, "has before its TTL");
    t.equal(await withDefault.getText("default"), "d", "default TTL: live before");
    t.equal(await cache.getJson("json"), { a: [1, 2] }, "JSON round trip");
    const head = await env.BUCKET.head(objectKey("ttl/", "n", "short"));
    t.equal(head?.customMetadata?.v, "1", "customMetadata.v");
    const expiresAt = Number(head?.customMetadata?.expiresAt);
    t.ok(expiresAt >= start + 1_500 && expiresAt <= afterWrites + 1_500, "customMetadata.expiresAt is the exact expiry", head?.customMetadata);
    t.equal((await env.BUCKET.head(objectKey("ttl/", "n", "forever")))?.customMetadata, { v: "1" }, "no expiresAt without a TTL");
    const body = await env.BUCKET.get(objectKey("ttl/", "n", "short"));
    t.equal(new Uint8Array(await body.arrayBuffer()), bytes("s"), "the body is the bare value");

    await sleep(afterWrites + 1_550 - Date.now());
    t.equal(await cache.get("short"), undefined, "expired at its TTL");
    t.equal(await cache.has("short"), false, "has after expiry");
    t.equal(await cache.getStream("short"), undefined, "getStream after expiry");
    t.equal(await withDefault.getText("default"), undefined, "default TTL: expired");
    t.equal(await cache.get("forever"), bytes("f"), "no TTL: still there");
    t.ok((await env.BUCKET.head(objectKey("ttl/", "n", "short"))) !== null, "expired objects are left in the bucket (reads never delete)");
    await cache.clear();
    await withDefault.clear();
    t.equal(await countObjects(env.BUCKET, "ttl/"), 0, "clear removes expired objects too");
  },

  // getMany keeps order; deleteMany sends one delete per 1,000 keys.
  async "many"(env, t) {
    const { spy, binding } = spyOn(env.BUCKET);
    const cache = EdgeCache.r2(binding, { prefix: "many/" });
    await cache.set("a", bytes("A"));
    await cache.set("c", bytes("C"));
    t.equal(await cache.getMany(["a", "b", "c", "a"]), [bytes("A"), undefined, bytes("C"), bytes("A")], "getMany in order");
    const keys = Array.from({ length: 1_100 }, (_, i) => `k${i}`);
    spy.reset();
    await cache.deleteMany([...keys, "a", "c"]);
    t.equal(spy.deletes, [1_000, 102], "deleteMany: one delete([...]) per 1,000 keys");
    t.equal(await cache.getMany(["a", "c"]), [undefined, undefined], "deleted");
  },

  // clear() pages through more than 1,000 objects and deletes only its own
  // prefix and namespace.
  async "clear-own-prefix"(env, t) {
    const { spy, binding } = spyOn(env.BUCKET);
    const a = EdgeCache.r2(binding, { prefix: "a/" });
    const aNamed = EdgeCache.r2(env.BUCKET, { prefix: "a/", namespace: "x" });
    const b = EdgeCache.r2(env.BUCKET, { prefix: "b/" });
    const nested = EdgeCache.r2(env.BUCKET, { prefix: "a/b/" });
    await inBatches(
      Array.from({ length: 1_100 }, (_, i) => () => a.set(`k${i}`, bytes(String(i)))),
      50,
    );
    await aNamed.set("k0", bytes("x"));
    await b.set("k0", bytes("b"));
    await nested.set("k0", bytes("nested"));
    await env.BUCKET.put("a/readme.txt", "not a cache object");
    spy.reset();
    await a.clear();
    t.equal(spy.calls.list, 2, "two list pages");
    t.equal(spy.deletes, [1_000, 100], "each page deleted in one call");
    t.equal(await countObjects(env.BUCKET, "a/0::"), 0, "its objects are gone");
    t.equal(await aNamed.get("k0"), bytes("x"), "same prefix, other namespace: kept");
    t.equal(await b.get("k0"), bytes("b"), "other prefix: kept");
    t.equal(await nested.get("k0"), bytes("nested"), "a prefix under it: kept");
    t.ok((await env.BUCKET.head("a/readme.txt")) !== null, "foreign object under the prefix: kept");
    for (const cache of [aNamed, b, nested]) await cache.clear();
    await env.BUCKET.delete("a/readme.txt");
  },

  // The memory tier answers repeated reads; setStream on a tiered cache
  // never leaves the old value in memory.
  async "tiered-hot-reads"(env, t) {
    const { spy, binding } = spyOn(env.BUCKET);
    const writer = EdgeCache.r2(env.BUCKET, { prefix: "hot/" });
    const tiered = EdgeCache.r2(binding, { prefix: "hot/", memory: { maxEntries: 100 } });
    await writer.set("k", bytes("v1"));
    spy.reset();
    for (let i = 0; i < 100; i++) t.equal(await tiered.get("k"), bytes("v1"), `read ${i}`);
    t.equal(spy.calls.get, 1, "100 reads cost 1 R2 get");
    await tiered.set("k2", bytes("local"));
    spy.reset();
    t.equal(await tiered.get("k2"), bytes("local"), "a local write is in memory");
    t.equal(spy.calls.get, 0, "no R2 get after a local write");
    const stats = await tiered.stats();
    t.ok(stats.hits >= 100, "tiered stats come from the memory tier", stats);
    await t.rejects(writer.stats(), "EDGECACHE_UNSUPPORTED", "a bare R2 cache has no stats");

    await tiered.setStream("k", new Blob([bytes("v2 streamed")]));
    t.equal(await tiered.get("k"), bytes("v2 streamed"), "setStream on a tiered cache: the memory copy is gone");
    t.equal(await tiered.getText("k"), "v2 streamed", "and the new value is then served");
    await writer.clear();
  },

  // Bodies that never pass through wasm: a 50 MiB stream in and out, Blobs,
  // buffers, response bodies; streamed and copied values read each other.
  async "streams"(env, t) {
    const cache = EdgeCache.r2(env.BUCKET, { prefix: "streams/", namespace: "s" });
    const size = 50 * MIB;
    let started = Date.now();
    await cache.setStream("big", patternStream(size), { length: size, ttlMs: 60_000 });
    t.note("50 MiB setStream ms", Date.now() - started);
    const head = await env.BUCKET.head(objectKey("streams/", "s", "big"));
    t.equal(head?.size, size, "the object is 50 MiB");
    t.ok(head?.customMetadata?.expiresAt !== undefined, "with its expiry", head?.customMetadata);
    started = Date.now();
    const out = await cache.getStream("big");
    t.ok(out instanceof ReadableStream, "getStream gives a ReadableStream");
    t.equal(out && (await checkPattern(out)), { length: size, mismatches: 0 }, "50 MiB streamed back byte for byte");
    t.note("50 MiB getStream ms", Date.now() - started);

    await cache.setStream("blob", new Blob([bytes("from a blob")]));
    t.equal(await cache.getText("blob"), "from a blob", "a Blob body, read with get");
    await cache.setStream("buffer", bytes("from a buffer").buffer);
    t.equal(await cache.getText("buffer"), "from a buffer", "an ArrayBuffer body");
    await cache.setStream("u8", bytes("from a Uint8Array"));
    t.equal(await cache.getText("u8"), "from a Uint8Array", "a Uint8Array body");
    await cache.setStream("response", new Response("from a response body").body);
    t.equal(await cache.getText("response"), "from a response body", "a Response body (R2 knows its length)");
    await cache.set("copied", bytes("set, then streamed"));
    const copied = await cache.getStream("copied");
    t.equal(copied && (await readAll(copied)), bytes("set, then streamed"), "set() values stream out unchanged");

    const unknown = new ReadableStream({ start: (c) => (c.enqueue(bytes("x")), c.close()) });
    const err = await t.rejects(cache.setStream("unknown", unknown), "EDGECACHE_BACKEND", "a stream of unknown length is refused by R2");
    t.note("unknown-length error", err?.message);
    await t.rejects(cache.setStream("short", patternStream(10), { length: 20 }), "EDGECACHE_BACKEND", "a stream shorter than its length fails the put");
    t.equal(await cache.get("short"), undefined, "and stores nothing");
    await cache.setStream("exact", patternStream(10), { length: 10 });
    t.equal((await cache.get("exact"))?.length, 10, "a stream of exactly its length is stored");
    await cache.clear();
  },

  // Bad options and inputs are coded errors before any R2 call.
  async "bad-inputs"(env, t) {
    const { spy, binding } = spyOn(env.BUCKET);
    const bad = [
      [() => EdgeCache.r2(undefined), "EDGECACHE_INVALID_OPTIONS", "no binding"],
      [() => EdgeCache.r2({ get() {}, put() {}, delete() {}, list() {} }), "EDGECACHE_INVALID_OPTIONS", "a KV-shaped binding (no head)"],
      [() => EdgeCache.r2(binding, { prefix: "cache" }), "EDGECACHE_INVALID_OPTIONS", "prefix without a trailing /"],
      [() => EdgeCache.r2(binding, { prefix: "a:b/" }), "EDGECACHE_INVALID_OPTIONS", "prefix with :"],
      [() => EdgeCache.r2(binding, { prefix: 5 }), "EDGECACHE_INVALID_OPTIONS", "numeric prefix"],
      [() => EdgeCache.r2(binding, { prefix: "\uD800/" }), "EDGECACHE_INVALID_OPTIONS", "lone surrogate in prefix"],
      [() => EdgeCache.r2(binding, { namespace: "" }), "EDGECACHE_INVALID_OPTIONS", "empty namespace"],
      [() => EdgeCache.r2(binding, { defaultTtlMs: -1 }), "EDGECACHE_INVALID_OPTIONS", "negative default TTL"],
      [() => EdgeCache.r2(binding, { ttl: 5 }), "EDGECACHE_INVALID_OPTIONS", "unknown option"],
      [() => EdgeCache.r2(binding, { memory: { size: 1 } }), "EDGECACHE_INVALID_OPTIONS", "unknown memory option"],
      [() => EdgeCache.r2(binding, "opts"), "EDGECACHE_INVALID_OPTIONS", "options not an object"],
    ];
    for (const [make, code, what] of bad) await t.rejects(make, code, what);
    const cache = EdgeCache.r2(binding, { prefix: "bad/", namespace: "n" });
    spy.reset();
    const long = "k".repeat(1_024 - "bad/1:n:".length + 1);
    await t.rejects(cache.set(long, bytes("v")), "EDGECACHE_INVALID_KEY", "key over 1,024 bytes with prefix and namespace (set)");
    await t.rejects(cache.get(long), "EDGECACHE_INVALID_KEY", "(get)");
    await t.rejects(cache.getStream(long), "EDGECACHE_INVALID_KEY", "(getStream)");
    await t.rejects(cache.setStream(long, bytes("v")), "EDGECACHE_INVALID_KEY", "(setStream)");
    await t.rejects(cache.setStream("k", 42), "EDGECACHE_INVALID_VALUE", "setStream of a number");
    await t.rejects(cache.setStream("k", "text"), "EDGECACHE_INVALID_VALUE", "setStream of a string");
    await t.rejects(cache.setStream("k", new Uint16Array(2)), "EDGECACHE_INVALID_VALUE", "setStream of a Uint16Array");
    await t.rejects(cache.setStream("k", new Blob(["x"]), { length: 1 }), "EDGECACHE_INVALID_OPTIONS", "length with a Blob");
    await t.rejects(cache.setStream("k", patternStream(1), { length: -1 }), "EDGECACHE_INVALID_OPTIONS", "negative length");
    await t.rejects(cache.setStream("k", patternStream(1), { length: 1.5 }), "EDGECACHE_INVALID_OPTIONS", "fractional length");
    await t.rejects(cache.setStream("k", patternStream(1), { length: 6 * 1024 * MIB }), "EDGECACHE_VALUE_TOO_LARGE", "length over R2's single-put limit");
    await t.rejects(cache.setStream("k", bytes("v"), { ttlMs: 0 }), "EDGECACHE_INVALID_OPTIONS", "zero TTL");
    await t.rejects(cache.setStream("k", bytes("v"), { ttl: 5 }), "EDGECACHE_INVALID_OPTIONS", "unknown write option");
    const accepted = await cache.set("k".repeat(1_024 - "bad/1:n:".length), bytes("fits")).then(() => true, (e) => e.message);
    t.equal(accepted, true, "a key of exactly 1,024 bytes with prefix and namespace is accepted");
    t.equal(spy.calls.put, 1, "only the valid write reached R2");
    t.equal(spy.calls.get + spy.calls.head, 0, "no reads reached R2");
    await t.rejects(cache.setStream(long, patternStream(5), { length: 5 }), "EDGECACHE_INVALID_KEY", "(setStream of a stream with a length)");
    t.equal(spy.calls.put, 1, "still no put");
    const fitsKey = "k".repeat(1_024 - "bad/1:n:".length);
    const streamed = await cache.setStream(fitsKey, patternStream(5), { length: 5 }).then(() => true, (e) => e.message);
    t.equal(streamed, true, "setStream takes a key of exactly 1,024 bytes with prefix and namespace");
    t.equal(await cache.get(fitsKey), new Uint8Array([0, 31, 62, 93, 124]), "and stores the stream");
    t.equal(typeof EdgeCache.memory().getStream, "undefined", "memory caches have no stream methods");
    await cache.clear();
  },

  // Failing calls are coded errors; foreign objects are misses.
  async "binding-failures"(env, t) {
    const { spy, binding } = spyOn(env.BUCKET);
    const cache = EdgeCache.r2(binding, { prefix: "faults/" });
    await cache.set("k", bytes("v"));
    spy.fault.get = () => {
      throw new Error("get: We encountered an internal error. Please try again. (10001)");
    };
    const err = await t.rejects(cache.get("k"), "EDGECACHE_BACKEND", "get throws");
    t.ok(/10001/.test(err?.message ?? ""), "the message is R2's", err?.message);
    spy.fault.get = async () => 42;
    await t.rejects(cache.get("k"), "EDGECACHE_BACKEND", "get answers a number");
    await t.rejects(cache.getStream("k"), "EDGECACHE_BACKEND", "getStream on a number");
    delete spy.fault.get;
    spy.fault.put = () => Promise.reject(new Error("put: Reduce your concurrent request rate for the same object. (10058)"));
    await t.rejects(cache.set("k", bytes("w")), "EDGECACHE_BACKEND", "put rejects (429-like)");
    await t.rejects(cache.setStream("k", bytes("w")), "EDGECACHE_BACKEND", "setStream put rejects");
    delete spy.fault.put;
    spy.fault.list = async () => ({ objects: "nope", truncated: false });
    await t.rejects(cache.clear(), "EDGECACHE_BACKEND", "list answers garbage");
    delete spy.fault.list;
    t.equal(await cache.get("k"), bytes("v"), "the cache works again, the value untouched");

    await env.BUCKET.put(objectKey("faults/", undefined, "foreign"), "raw");
    await env.BUCKET.put(objectKey("faults/", undefined, "v2"), "raw", { customMetadata: { v: "2" } });
    await env.BUCKET.put(objectKey("faults/", undefined, "garbled"), "raw", { customMetadata: { v: "1", expiresAt: "tomorrow" } });
    for (const key of ["foreign", "v2", "garbled"]) {
      t.equal(await cache.get(key), undefined, `${key}: a miss`);
      t.equal(await cache.has(key), false, `${key}: has is false`);
      t.equal(await cache.getStream(key), undefined, `${key}: no stream`);
    }
    await cache.clear();
    t.equal(await countObjects(env.BUCKET, "faults/"), 0, "clear removes foreign objects in its namespace too");
  },
};

export default { fetch: serveCases(cases) };
