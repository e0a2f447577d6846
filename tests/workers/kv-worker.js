// The test worker for tests/workers/workers.test.mjs: one route per case, as
// workers-rs does (test/src/kv.rs). `GET /case/<name>` runs the case inside
// workerd against the real Miniflare KV binding `env.CACHE` (through a spy
// or a faulty double where the case needs one) and answers
// `{ ok, details: { failures, notes } }`; `GET /cases` lists the case names.
//
// It imports `edgecache` as a user's worker does: the test bundles it from the
// packed tarball installed in a fixture, like wrangler (workerd condition,
// .wasm as a CompiledWasm module).
import { EdgeCache, ResponseCache } from "edgecache";
import { serveCases, show } from "./checks.js";

const encoder = new TextEncoder();
const MIB = 1024 * 1024;
// KvBackend's limits, as src/backends/kv/rules.rs sets them.
const KEY_LIMIT = 512;
const VALUE_LIMIT = 25 * MIB;
const RECORD_HEADER = 11;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
const bytes = (text) => encoder.encode(text);
const utf8 = (text) => encoder.encode(text).length;
/** The key as KvBackend stores it: "{len}:{namespace}:{key}". */
const storedKey = (namespace, key) => `${utf8(namespace ?? "")}:${namespace ?? ""}:${key}`;

/**
 * A Proxy over a KV binding that counts the calls the cache makes, tracks how
 * many are in flight, records put options, and lets a case replace any method
 * (`spy.fault.get = (key) => ...`) or delay it (`spy.delayMs`).
 */
function spyOn(binding) {
  const spy = {
    calls: { get: 0, put: 0, delete: 0, list: 0 },
    inFlight: 0,
    maxInFlight: 0,
    puts: [],
    lists: [],
    fault: {},
    delayMs: 0,
    reset() {
      for (const op of Object.keys(this.calls)) this.calls[op] = 0;
      this.inFlight = 0;
      this.maxInFlight = 0;
      this.puts = [];
      this.lists = [];
    },
    total() {
      return Object.values(this.calls).reduce((a, b) => a + b, 0);
    },
  };
  const wrap = (op) =>
    function (...args) {
      spy.calls[op]++;
      if (op === "put") spy.puts.push({ key: args[0], options: args[2] });
      if (op === "list") spy.lists.push(args[0]);
      if (spy.fault[op]) return spy.fault[op](...args);
      spy.inFlight++;
      spy.maxInFlight = Math.max(spy.maxInFlight, spy.inFlight);
      const run = async () => {
        try {
          if (spy.delayMs) await sleep(spy.delayMs);
          return await binding[op](...args);
        } finally {
          spy.inFlight--;
        }
      };
      return run();
    };
  const methods = { get: wrap("get"), put: wrap("put"), delete: wrap("delete"), list: wrap("list") };
  const proxy = new Proxy(binding, {
    get(target, prop) {
      return Object.hasOwn(methods, prop) ? methods[prop] : Reflect.get(target, prop);
    },
  });
  return { spy, binding: proxy };
}

/** Runs `tasks` (functions returning promises) `width` at a time. */
async function inBatches(tasks, width) {
  for (let i = 0; i < tasks.length; i += width) await Promise.all(tasks.slice(i, i + width).map((task) => task()));
}

const cases = {
  // TTLs under KV's 60 s minimum: KV gets expirationTtl 60 (it refuses less),
  // the record header holds the exact expiry, and readers check it.
  async "ttl-under-60s"(env, t) {
    const { spy, binding } = spyOn(env.CACHE);
    const plain = EdgeCache.kv(binding, { namespace: "ttl" });
    const withDefault = EdgeCache.kv(binding, { namespace: "ttl-default", defaultTtlMs: 2_000 });
    const tiered = EdgeCache.kv(binding, { namespace: "ttl-tiered", memory: { maxEntries: 100 } });

    // The anchor: Miniflare KV itself refuses a 2 s expirationTtl, so a cache
    // that passed TTLs through would fail the writes below.
    let refused;
    try {
      await env.CACHE.put("ttl-probe", "x", { expirationTtl: 2 });
    } catch (error) {
      refused = String(error);
    }
    t.ok(/60/.test(refused ?? ""), "Miniflare KV refuses expirationTtl: 2 (so clamping is needed)", refused);

    const start = Date.now();
    const tA = Date.now();
    await plain.set("a", bytes("one and a half"), { ttlMs: 1_500 });
    const tB = Date.now();
    await withDefault.set("b", bytes("two (default)"));
    const tC = Date.now();
    await tiered.set("c", bytes("tiered 1.5"), { ttlMs: 1_500 });
    t.equal(spy.puts.map((p) => p.options?.expirationTtl), [60, 60, 60], "KV is given expirationTtl max(ceil(ttl), 60)");
    const expiresIn = spy.puts.map((p, i) => p.options?.metadata?.expiresAt - [tA, tB, tC][i]);
    t.ok(expiresIn[0] >= 1_500 && expiresIn[0] < 1_550, "metadata.expiresAt is the exact expiry (1.5 s)", expiresIn);
    t.ok(expiresIn[1] >= 2_000 && expiresIn[1] < 2_050, "metadata.expiresAt is the exact default expiry (2 s)", expiresIn);

    await sleep(tC + 1_200 - Date.now());
    t.equal(await plain.getText("a"), "one and a half", "1.2 s: the 1.5 s entry is live");
    t.equal(await withDefault.getText("b"), "two (default)", "1.2 s: the 2 s default-TTL entry is live");
    t.equal(await tiered.getText("c"), "tiered 1.5", "1.2 s: the tiered 1.5 s entry is live");

    await sleep(tC + 1_530 - Date.now());
    t.equal(await plain.get("a"), undefined, "1.53 s: the 1.5 s entry has expired");
    t.equal(await plain.has("a"), false, "1.53 s: has() agrees");
    t.equal(await tiered.get("c"), undefined, "1.53 s: the tiered 1.5 s entry has expired in both tiers");
    t.ok(Date.now() < tB + 1_950, "(the next check runs before the 2 s entry's expiry)", Date.now() - tB);
    t.equal(await withDefault.getText("b"), "two (default)", "1.53 s: the 2 s entry is still live");

    await sleep(tB + 2_030 - Date.now());
    t.equal(await withDefault.get("b"), undefined, "2.03 s: the 2 s default-TTL entry has expired");
    t.equal(await plain.getMany(["a"]), [undefined], "getMany agrees");

    // KV still holds the records (it was told 60 s): the expiry seen above is
    // the record header's, checked by the cache, not KV's.
    const raw = await env.CACHE.get(storedKey("ttl", "a"), { type: "arrayBuffer" });
    t.ok(raw !== null && raw.byteLength === RECORD_HEADER + utf8("one and a half"), "KV still holds the expired record", raw?.byteLength);
    t.equal(spy.calls.delete + spy.calls.put, 3, "reads of expired records never write or delete (only the 3 sets wrote)");
    t.note("elapsedMs", Date.now() - start);
  },

  // Keys: at most 512 bytes of UTF-8 with the "{len}:{ns}:" encoding, checked
  // before any call; KV itself refuses 513.
  async "key-limit"(env, t) {
    const { spy, binding } = spyOn(env.CACHE);
    const ns = "keys"; // prefix "4:keys:" = 7 bytes
    const cache = EdgeCache.kv(binding, { namespace: ns });
    const bare = EdgeCache.kv(binding); // prefix "0::" = 3 bytes

    const fits = "k".repeat(KEY_LIMIT - utf8(storedKey(ns, "")));
    const over = fits + "k";
    const fitsWide = "é".repeat(252) + "a"; // 505 bytes of UTF-8 in 253 UTF-16 units
    const overWide = "é".repeat(253); // 506 bytes
    t.equal([utf8(storedKey(ns, fits)), utf8(storedKey(ns, over)), utf8(storedKey(ns, fitsWide)), utf8(storedKey(ns, overWide))], [512, 513, 512, 513], "the test keys straddle the limit");

    await cache.set(fits, bytes("at the limit"));
    t.equal(await cache.getText(fits), "at the limit", "a 512-byte stored key round-trips");
    t.ok((await env.CACHE.get(storedKey(ns, fits))) !== null, "and is in KV under its 512-byte stored key");
    await cache.set(fitsWide, bytes("wide"));
    t.equal(await cache.getText(fitsWide), "wide", "a 512-byte key counted in UTF-8 bytes (2-byte é) round-trips");
    const bareFits = "b".repeat(KEY_LIMIT - 3);
    await bare.set(bareFits, bytes("bare"));
    t.equal(await bare.getText(bareFits), "bare", "without a namespace, the 3-byte \"0::\" prefix counts too (509-byte key)");

    spy.reset();
    for (const [key, c] of [[over, cache], [overWide, cache], [bareFits + "b", bare]]) {
      const label = `${utf8(key)}-byte key`;
      const error = await t.rejects(c.set(key, bytes("x")), "EDGECACHE_INVALID_KEY", `set of a ${label} (513 stored)`);
      t.ok(/512/.test(error?.message ?? ""), "the message names the 512-byte limit", error?.message);
      await t.rejects(c.get(key), "EDGECACHE_INVALID_KEY", `get of a ${label}`);
      await t.rejects(c.has(key), "EDGECACHE_INVALID_KEY", `has of a ${label}`);
      await t.rejects(c.delete(key), "EDGECACHE_INVALID_KEY", `delete of a ${label}`);
      await t.rejects(c.getMany(["short", key]), "EDGECACHE_INVALID_KEY", `getMany with a ${label}`);
      await t.rejects(c.deleteMany(["short", key]), "EDGECACHE_INVALID_KEY", `deleteMany with a ${label}`);
    }
    t.equal(spy.calls, { get: 0, put: 0, delete: 0, list: 0 }, "refused keys make no KV call at all (not even for the valid key in the batch)");

    // The anchor: KV refuses a 513-byte key, so the limit is KV's own.
    let refused;
    try {
      await env.CACHE.put(storedKey(ns, over), "x");
    } catch (error) {
      refused = String(error);
    }
    t.ok(/513|limit/.test(refused ?? ""), "Miniflare KV refuses a 513-byte key", refused);
  },

  // Values: record header (11 bytes) + value at most 25 MiB, checked before
  // any call. Real sizes: workerd allocates 25 MiB without trouble.
  async "value-limit"(env, t) {
    const { spy, binding } = spyOn(env.CACHE);
    const cache = EdgeCache.kv(binding, { namespace: "values" });
    const largest = new Uint8Array(VALUE_LIMIT - RECORD_HEADER);
    largest[0] = 1;
    largest[largest.length - 1] = 2;
    const started = Date.now();
    await cache.set("largest", largest);
    const raw = await env.CACHE.get(storedKey("values", "largest"), { type: "arrayBuffer" });
    t.equal(raw?.byteLength, VALUE_LIMIT, "a value of 25 MiB - 11 bytes is stored as a 25 MiB record");
    const back = await cache.get("largest");
    t.equal([back?.length, back?.[0], back?.[back.length - 1]], [largest.length, 1, 2], "and reads back whole");

    spy.reset();
    const error = await t.rejects(cache.set("over", new Uint8Array(VALUE_LIMIT - RECORD_HEADER + 1)), "EDGECACHE_VALUE_TOO_LARGE", "a value 1 byte over (record 25 MiB + 1) is refused");
    t.ok(/26214400/.test(error?.message ?? ""), "the message names the 25 MiB limit in bytes", error?.message);
    t.equal(spy.calls.put, 0, "the oversized value made no KV call");
    t.equal(await cache.get("over"), undefined, "and nothing was stored");
    await cache.delete("largest");
    t.note("elapsedMs", Date.now() - started);

    // The anchor: KV refuses a record of 25 MiB + 1.
    let refused;
    try {
      await env.CACHE.put("values-probe", new Uint8Array(VALUE_LIMIT + 1));
    } catch (e) {
      refused = String(e);
    }
    t.ok(/limit/.test(refused ?? ""), "Miniflare KV refuses 25 MiB + 1 bytes", refused);
  },

  // clear() lists its own prefix a page (1,000 names) at a time, following
  // the cursor, and spares other namespaces.
  async "clear-pages"(env, t) {
    const { spy, binding } = spyOn(env.CACHE);
    const a = EdgeCache.kv(binding, { namespace: "clr-a", memory: { maxEntries: 2_000, maxBytes: 1 << 20 } });
    const b = EdgeCache.kv(binding, { namespace: "clr-b" });
    const ab = EdgeCache.kv(binding, { namespace: "clr-ab" }); // "6:clr-ab:" does not start with "5:clr-a:"
    const bare = EdgeCache.kv(binding);
    const started = Date.now();
    const keys = Array.from({ length: 1_100 }, (_, i) => `key-${i}`);
    await inBatches(keys.map((k) => () => a.set(k, bytes(k))), 100);
    t.note("setMs", Date.now() - started);
    await Promise.all([0, 1, 2, 3, 4].map((i) => b.set(`key-${i}`, bytes(`b${i}`))));
    await ab.set("key-0", bytes("ab"));
    await bare.set("clr-a-lookalike", bytes("bare"));
    t.equal((await env.CACHE.list({ prefix: storedKey("clr-a", "") })).keys.length, 1_000, "namespace A holds more than one page of keys");
    t.equal(await a.getText("key-1099"), "key-1099", "A's last key is readable before clear");

    spy.reset();
    const clearing = Date.now();
    await a.clear();
    t.note("clearMs", Date.now() - clearing);
    t.ok(spy.calls.list >= 2, "clear() listed more than one page", spy.calls.list);
    t.equal(spy.lists[0]?.prefix, storedKey("clr-a", ""), "it lists only A's prefix");
    t.ok(spy.lists.slice(1).every((o) => typeof o.cursor === "string" && o.cursor.length > 0), "later pages follow the cursor", spy.lists);
    t.equal(spy.calls.delete, 1_100, "it deleted exactly A's 1,100 keys");
    t.equal((await env.CACHE.list({ prefix: storedKey("clr-a", "") })).keys.length, 0, "KV holds none of A's keys");
    spy.reset();
    t.equal(await a.getMany(["key-0", "key-1099"]), [undefined, undefined], "A's keys are gone from the memory tier too");
    t.equal(spy.calls.get, 2, "(those reads went to KV)");
    t.equal(await Promise.all([0, 4].map((i) => b.getText(`key-${i}`))), ["b0", "b4"], "namespace B survives");
    t.equal(await ab.getText("key-0"), "ab", "a namespace whose name extends A's survives");
    t.equal(await bare.getText("clr-a-lookalike"), "bare", "keys without a namespace survive");
    await b.clear();
    await ab.clear();
    await bare.delete("clr-a-lookalike");
    t.note("elapsedMs", Date.now() - started);
  },

  // A failing binding: every failure is an EDGECACHE_BACKEND rejection or a
  // miss, never a crash, and the same cache keeps working afterwards.
  async "binding-failures"(env, t) {
    const { spy, binding } = spyOn(env.CACHE);
    const cache = EdgeCache.kv(binding, { namespace: "faults" });
    const tiered = EdgeCache.kv(binding, { namespace: "faults-tiered", memory: { maxEntries: 100 } });
    await cache.set("k", bytes("before"));
    await tiered.set("k", bytes("before"));

    // put rejects as KV does when a key is written more than once a second.
    spy.fault.put = () => Promise.reject(new Error("KV PUT failed: 429 Too Many Requests"));
    let error = await t.rejects(cache.set("k", bytes("after")), "EDGECACHE_BACKEND", "a put rejecting with 429");
    t.ok(/429/.test(error?.message ?? ""), "the message carries the binding's", error?.message);
    t.ok(error instanceof Error, "it is a real Error");
    await t.rejects(tiered.set("k", bytes("after")), "EDGECACHE_BACKEND", "a tiered put rejecting with 429");
    spy.fault.put = () => {
      throw new TypeError("put exploded");
    };
    await t.rejects(cache.set("k", bytes("after")), "EDGECACHE_BACKEND", "a put that throws synchronously");
    for (const value of ["a string", undefined, 42, { weird: true }]) {
      spy.fault.put = () => Promise.reject(value);
      await t.rejects(cache.set("k", bytes("after")), "EDGECACHE_BACKEND", `a put rejecting with ${show(value)}`);
    }
    delete spy.fault.put;
    t.equal(await cache.getText("k"), "before", "failed puts left the old value");
    t.equal(await tiered.getText("k"), "before", "a failed tiered put did not reach the memory tier");

    // get throws, answers the wrong type, or answers bytes that are no record.
    spy.fault.get = () => {
      throw new Error("get exploded");
    };
    await t.rejects(cache.get("k"), "EDGECACHE_BACKEND", "a get that throws");
    await t.rejects(cache.getMany(["k", "j"]), "EDGECACHE_BACKEND", "getMany over a get that throws");
    await t.rejects(cache.has("k"), "EDGECACHE_BACKEND", "has over a get that throws");
    t.equal(await cache.healthCheck(), false, "healthCheck over a get that throws is false, not a rejection");
    spy.fault.get = () => Promise.resolve("not a buffer");
    error = await t.rejects(cache.get("k"), "EDGECACHE_BACKEND", "a get answering a string");
    t.ok(/ArrayBuffer/.test(error?.message ?? ""), "the message says what was expected", error?.message);
    spy.fault.get = () => Promise.resolve({ value: 1 });
    await t.rejects(cache.get("k"), "EDGECACHE_BACKEND", "a get answering a plain object");

    const record = new Uint8Array(await env.CACHE.get(storedKey("faults", "k"), { type: "arrayBuffer" }));
    spy.reset();
    for (const [what, answer] of [
      ["truncated record (5 bytes)", record.slice(0, 5)],
      ["truncated header (10 bytes)", record.slice(0, RECORD_HEADER - 1)],
      ["record with a foreign first byte", Uint8Array.of(0x7b, ...record.slice(1))],
      ["record of a newer format version", Uint8Array.of(record[0], 99, ...record.slice(2))],
      ["empty buffer", new Uint8Array(0)],
    ]) {
      spy.fault.get = () => Promise.resolve(answer.slice().buffer);
      t.equal(await cache.get("k"), undefined, `a get answering a ${what} is a miss`);
    }
    t.equal([spy.calls.put, spy.calls.delete], [0, 0], "undecodable records are left alone (reads never write)");
    delete spy.fault.get;

    spy.fault.delete = () => Promise.reject(new Error("KV DELETE failed: 500"));
    await t.rejects(cache.delete("k"), "EDGECACHE_BACKEND", "a delete that rejects");
    await t.rejects(cache.deleteMany(["k", "j"]), "EDGECACHE_BACKEND", "deleteMany over a delete that rejects");
    delete spy.fault.delete;

    spy.fault.list = () => Promise.reject(new Error("KV LIST failed: 503"));
    await t.rejects(cache.clear(), "EDGECACHE_BACKEND", "clear over a list that rejects");
    spy.fault.list = () => Promise.resolve({ nope: true });
    await t.rejects(cache.clear(), "EDGECACHE_BACKEND", "clear over a list answering another shape");
    spy.fault.list = () => Promise.resolve({ keys: [], list_complete: false, cursor: "same" });
    await t.rejects(cache.clear(), "EDGECACHE_BACKEND", "clear over a list that returns the cursor it was given (no endless loop)");
    delete spy.fault.list;

    // The same caches still work.
    t.equal(await cache.getText("k"), "before", "after every failure the cache still reads");
    await cache.set("k", bytes("after"));
    t.equal(await cache.getText("k"), "after", "and writes");
    await tiered.set("k", bytes("after"));
    t.equal(await tiered.getText("k"), "after", "and so does the tiered cache");
    t.equal(await cache.healthCheck(), true, "healthCheck is true again");
    await cache.clear();
    await tiered.clear();
  },

  // A tiered cache answers repeated reads from its memory tier.
  async "tiered-memory-absorbs-reads"(env, t) {
    const { spy, binding } = spyOn(env.CACHE);
    const other = EdgeCache.kv(env.CACHE, { namespace: "tiers" }); // another isolate's writer
    const tiered = EdgeCache.kv(binding, { namespace: "tiers", memory: { maxEntries: 100 } });
    const bare = EdgeCache.kv(binding, { namespace: "tiers" });
    await other.set("remote", bytes("written elsewhere"), { ttlMs: 60_000 });

    spy.reset();
    for (let i = 0; i < 100; i++) t.equal(await tiered.getText("remote"), "written elsewhere", i === 0 ? "the first tiered read" : `tiered read ${i}`);
    t.equal(spy.calls.get, 1, "100 tiered reads of a key written elsewhere cost 1 KV get");

    spy.reset();
    await tiered.set("local", bytes("written here"));
    for (let i = 0; i < 100; i++) await tiered.get("local");
    t.equal([spy.calls.put, spy.calls.get], [1, 0], "a key written through the tiered cache is read 100 times with 0 KV gets");

    spy.reset();
    for (let i = 0; i < 100; i++) await bare.get("remote");
    t.equal(spy.calls.get, 100, "the same 100 reads without a memory tier cost 100 KV gets");

    spy.reset();
    for (let i = 0; i < 10; i++) t.equal(await tiered.get("absent"), undefined, "a miss");
    t.equal(spy.calls.get, 10, "misses are not cached: each one asks KV");

    const stats = await tiered.stats();
    t.ok(stats.hits >= 199 && stats.entries === 2, "stats() reports the memory tier's hits and entries", stats);
    await tiered.clear();
  },

  // getMany issues its KV gets concurrently (at most 32 in flight), in order.
  async "getmany-concurrency"(env, t) {
    const { spy, binding } = spyOn(env.CACHE);
    const cache = EdgeCache.kv(binding, { namespace: "many" });
    const tiered = EdgeCache.kv(binding, { namespace: "many", memory: { maxEntries: 1_000 } });
    const keys = Array.from({ length: 100 }, (_, i) => `key-${i}`);
    await inBatches(keys.filter((_, i) => i % 2 === 0).map((k) => () => cache.set(k, bytes(k))), 50);
    await cache.set("key-98", bytes("short-lived"), { ttlMs: 50 });
    await sleep(60);
    const expected = keys.map((k, i) => (i % 2 === 0 && i !== 98 ? k : undefined));

    spy.reset();
    spy.delayMs = 20;
    const started = Date.now();
    const values = await cache.getMany(keys);
    const elapsed = Date.now() - started;
    t.equal(values.map((v) => v && new TextDecoder().decode(v)), expected, "getMany answers in order, undefined for misses and the expired key");
    t.equal(spy.calls.get, 100, "one KV get per key");
    t.ok(spy.maxInFlight > 1 && spy.maxInFlight <= 32, "gets are concurrent, at most 32 in flight", spy.maxInFlight);
    t.ok(elapsed < 100 * 20 / 2, "100 gets of 20 ms each take far less than 2 s", elapsed);
    t.note("maxInFlight", spy.maxInFlight);
    t.note("elapsedMs", elapsed);

    spy.reset();
    await cache.deleteMany(keys.slice(0, 40));
    t.ok(spy.maxInFlight > 1 && spy.maxInFlight <= 32, "deleteMany is concurrent too, at most 32 in flight", spy.maxInFlight);
    spy.delayMs = 0;

    spy.reset();
    const first = await tiered.getMany(keys);
    const second = await tiered.getMany(keys);
    t.equal(second.map((v) => v && new TextDecoder().decode(v)), first.map((v) => v && new TextDecoder().decode(v)), "a tiered getMany answers the same twice");
    t.equal(spy.calls.get, 100 + 71, "the second tiered getMany asks KV only for the 71 misses");
    await cache.clear();
  },

  // ResponseCache over a KV binding that fails: the origin's answer still
  // reaches the client (a cache failure is a miss, never an error page).
  async "response-cache-survives-kv-failures"(env, t) {
    const { spy, binding } = spyOn(env.CACHE);
    let originHits = 0;
    const fetcher = async () => {
      originHits++;
      return new Response(`origin ${originHits}`, { headers: { "cache-control": "public, max-age=60" } });
    };
    const responses = new ResponseCache(EdgeCache.kv(binding, { namespace: "rc-faults" }), { fetcher });
    const attempt = async (url, what) => {
      try {
        const response = await responses.fetch(url);
        return { status: response.status, body: await response.text(), cache: response.headers.get("x-edgecache") };
      } catch (error) {
        t.failures.push({ what, threw: `${error?.code ?? ""} ${error?.message ?? error}` });
        return undefined;
      }
    };

    spy.fault.put = () => Promise.reject(new Error("KV PUT failed: 429 Too Many Requests"));
    let out = await attempt("https://example.com/put-fails", "fetch while KV put rejects with 429");
    t.equal(out && [out.status, out.body], [200, "origin 1"], "a put failing with 429 still serves the origin's response");
    delete spy.fault.put;

    spy.fault.get = () => {
      throw new Error("KV GET failed: 503");
    };
    out = await attempt("https://example.com/get-fails", "fetch while KV get throws");
    t.equal(out && [out.status, out.body], [200, "origin 2"], "a get that throws is a miss: the origin's response is served");
    delete spy.fault.get;

    out = await attempt("https://example.com/get-fails", "fetch after the faults");
    t.equal(out && [out.status, out.cache], [200, "HIT"], "once KV answers again, the response stored meanwhile is a HIT");
    await responses.delete("https://example.com/get-fails");
  },
};

export default { fetch: serveCases(cases) };
