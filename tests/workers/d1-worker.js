// The test worker for tests/workers/d1.test.mjs: one route per case.
// `GET /case/<name>` runs the case inside workerd against the real Miniflare
// D1 binding `env.DB` (through a counting spy where the case needs one) and
// answers `{ ok, details: { failures, notes } }`; `GET /cases` lists them.
//
// It imports `edgecache` as a user's worker does (bundled from the packed
// tarball like wrangler: workerd condition, .wasm as a CompiledWasm module).
import { EdgeCache } from "edgecache";
import { serveCases, show } from "./checks.js";

const encoder = new TextEncoder();
const bytes = (text) => encoder.encode(text);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
// D1's row limit as src/backends/d1/sql.rs counts it: namespace + key + 11-byte header + value + 8.
const MAX_ROW_BYTES = 2_000_000;
const RECORD_HEADER = 11;

/**
 * A D1 binding over `db` that counts what the cache sends: `batch` calls
 * (and their sizes), `all`/`run` calls, and the SQL of every `prepare`.
 * `spy.fault.batch` / `spy.fault.all` replace a method.
 */
function spyOn(db) {
  const spy = {
    batches: [],
    all: 0,
    run: 0,
    sql: [],
    fault: {},
    reset() {
      this.batches = [];
      this.all = 0;
      this.run = 0;
      this.sql = [];
    },
    roundTrips() {
      return this.batches.length + this.all + this.run;
    },
  };
  const wrap = (inner) => ({
    inner,
    bind: (...values) => wrap(inner.bind(...values)),
    all() {
      spy.all++;
      return spy.fault.all ? spy.fault.all() : inner.all();
    },
    run() {
      spy.run++;
      return inner.run();
    },
  });
  const binding = {
    prepare(sql) {
      spy.sql.push(sql);
      return wrap(db.prepare(sql));
    },
    batch(statements) {
      spy.batches.push(statements.length);
      if (spy.fault.batch) return spy.fault.batch();
      return db.batch(statements.map((s) => s.inner));
    },
  };
  return { spy, binding };
}

const cases = {
  // The basics and exact TTLs on real time.
  async "set-get-ttl"(env, t) {
    const cache = await EdgeCache.d1(env.DB, { namespace: "basics" });
    t.equal(await cache.get("missing"), undefined, "a miss is undefined");
    await cache.set("k", bytes("v1"));
    t.equal(await cache.get("k"), bytes("v1"), "get after set");
    t.equal(await cache.has("k"), true, "has after set");
    await cache.set("k", new Uint8Array([0, 1, 255]));
    t.equal(await cache.get("k"), new Uint8Array([0, 1, 255]), "overwrite, binary bytes");
    await cache.setJson("json", { a: [1, 2] });
    t.equal(await cache.getJson("json"), { a: [1, 2] }, "JSON roundtrip");
    await cache.set("empty", new Uint8Array());
    t.equal(await cache.get("empty"), new Uint8Array(), "an empty value is not a miss");
    await cache.delete("k");
    t.equal(await cache.get("k"), undefined, "get after delete");

    const started = Date.now();
    await cache.set("short", bytes("s"), { ttlMs: 1_500 });
    const withDefault = await EdgeCache.d1(env.DB, { namespace: "basics", defaultTtlMs: 1_500 });
    await withDefault.set("default", bytes("d"));
    await sleep(1_000 - (Date.now() - started));
    t.equal(await cache.get("short"), bytes("s"), "live before its TTL");
    t.equal(await cache.get("default"), bytes("d"), "live before the default TTL");
    await sleep(1_600 - (Date.now() - started));
    t.equal(await cache.get("short"), undefined, "expired at its TTL");
    t.equal(await cache.get("default"), undefined, "expired at the default TTL");
    t.equal(await cache.has("short"), false, "has after expiry");
    await cache.clear();
  },

  // getMany/deleteMany of 250 keys: one batch of three statements each.
  async "getmany-deletemany"(env, t) {
    const { spy, binding } = spyOn(env.DB);
    const cache = await EdgeCache.d1(binding, { namespace: "many" });
    const keys = Array.from({ length: 250 }, (_, i) => `k${i}`);
    for (const key of keys) await cache.set(key, bytes(key));
    spy.reset();
    const values = await cache.getMany([...keys, "missing", "k0"]);
    t.equal(spy.batches, [3], "getMany of 251 distinct keys is one batch of 3 statements (99 keys each)");
    t.equal(spy.roundTrips(), 1, "one round trip");
    t.equal(values.length, 252, "one answer per key");
    t.ok(keys.every((key, i) => show(values[i]) === show(bytes(key))), "values in order");
    t.equal([values[250], values[251]], [undefined, bytes("k0")], "a miss and a repeat");
    spy.reset();
    await cache.deleteMany(keys.slice(0, 200));
    t.equal(spy.batches, [3], "deleteMany of 200 keys is one batch of 3 statements");
    t.equal(await cache.getMany(["k0", "k199", "k200", "k249"]), [undefined, undefined, bytes("k200"), bytes("k249")], "exactly those keys deleted");
    spy.reset();
    t.equal(await cache.get("k200"), bytes("k200"), "a single get");
    t.equal([spy.batches.length, spy.all], [0, 1], "a single get is one all(), no batch");
    await cache.clear();
  },

  // clear() empties its own namespace only.
  async "clear-namespace"(env, t) {
    const a = await EdgeCache.d1(env.DB, { namespace: "a" });
    const b = await EdgeCache.d1(env.DB, { namespace: "b" });
    const root = await EdgeCache.d1(env.DB);
    const ab = await EdgeCache.d1(env.DB, { namespace: "a:b" });
    for (let i = 0; i < 20; i++) await a.set(`k${i}`, bytes("a"));
    await b.set("k0", bytes("b"));
    await root.set("k0", bytes("root"));
    await ab.set("c", bytes("ab"));
    t.equal(await a.get("b:c"), undefined, "namespaces a + b:c and a:b + c do not meet");
    await a.clear();
    t.equal(await a.getMany(["k0", "k19"]), [undefined, undefined], "a is empty");
    t.equal([await b.get("k0"), await root.get("k0"), await ab.get("c")], [bytes("b"), bytes("root"), bytes("ab")], "the others survive");
    await root.clear();
    t.equal([await root.get("k0"), await b.get("k0")], [undefined, bytes("b")], "root's clear spares namespaces");
    await b.clear();
    await ab.clear();
  },

  // The table and its index are created once per binding and table.
  async "table-created-once"(env, t) {
    const { spy, binding } = spyOn(env.DB);
    await EdgeCache.d1(binding, { table: "created_once" });
    const creates = () => spy.sql.filter((s) => s.startsWith("CREATE")).length;
    t.equal([creates(), spy.batches], [2, [2]], "the first open creates table and index in one batch");
    spy.reset();
    const again = await EdgeCache.d1(binding, { table: "created_once", namespace: "x" });
    t.equal(spy.roundTrips(), 0, "a second open of the same table makes no call");
    await EdgeCache.d1(binding, { table: "another_table" });
    t.equal(creates(), 2, "another table is created");
    const { results } = await env.DB.prepare(
      "SELECT type, name FROM sqlite_master WHERE tbl_name = 'created_once' ORDER BY name",
    ).all();
    t.equal(
      results.filter((r) => !r.name.startsWith("sqlite_autoindex")),
      [{ type: "table", name: "created_once" }, { type: "index", name: "created_once_expires_at" }],
      "the table and its expiry index exist",
    );
    await again.set("k", bytes("v"));
    t.equal(await again.get("k"), bytes("v"), "the custom table works");
    // How workerd's D1 hands back a BLOB column: an Array of byte numbers.
    const row = await env.DB.prepare("SELECT value FROM created_once").first();
    t.note("blob column type in workerd", Object.prototype.toString.call(row.value));
    t.ok(Array.isArray(row.value) || row.value instanceof ArrayBuffer, "a BLOB is an Array (or ArrayBuffer)", row.value);
    t.equal(Array.from(row.value).slice(RECORD_HEADER), [118], "the value follows the 11-byte record header");
  },

  // A memory tier absorbs hot reads.
  async "tiered-hot-reads"(env, t) {
    const writer = await EdgeCache.d1(env.DB, { namespace: "hot" });
    await writer.set("hot", bytes("h"), { ttlMs: 60_000 });
    const { spy, binding } = spyOn(env.DB);
    const tiered = await EdgeCache.d1(binding, { namespace: "hot", memory: { maxEntries: 100 } });
    spy.reset();
    for (let i = 0; i < 100; i++) t.equal(await tiered.get("hot"), bytes("h"), `read ${i}`);
    t.equal(spy.roundTrips(), 1, "100 reads cost 1 D1 read");
    await tiered.set("local", bytes("l"));
    spy.reset();
    for (let i = 0; i < 10; i++) await tiered.get("local");
    t.equal(spy.roundTrips(), 0, "after a local write, reads cost no D1 call");
    const stats = await tiered.stats();
    t.equal([stats.entries, stats.hits >= 110], [2, true], "stats: D1's entries, both tiers' hits");
    await writer.clear();
  },

  // Bad input is coded, before any D1 call where possible.
  async "bad-options-and-failures"(env, t) {
    for (const [binding, options, what] of [
      [undefined, undefined, "no binding"],
      [{}, undefined, "an object without prepare/batch"],
      [env.DB, { table: "a-b" }, "a table name with a dash"],
      [env.DB, { table: "x; DROP TABLE edgecache" }, "an injection attempt"],
      [env.DB, { table: "sqlite_master" }, "a reserved table name"],
      [env.DB, { table: "" }, "an empty table name"],
      [env.DB, { table: 5 }, "a numeric table name"],
      [env.DB, { tabel: "x" }, "a misspelt option"],
      [env.DB, { memory: { maxEntry: 1 } }, "a misspelt memory option"],
      [env.DB, { defaultTtlMs: -1 }, "a negative default TTL"],
      [env.DB, { namespace: "" }, "an empty namespace"],
      [env.DB, "options", "options that are not an object"],
    ]) {
      await t.rejects(EdgeCache.d1(binding, options), "EDGECACHE_INVALID_OPTIONS", what);
    }
    const { spy, binding } = spyOn(env.DB);
    const cache = await EdgeCache.d1(binding, { namespace: "limits" });
    spy.reset();
    // namespace 6 + key 3 + header 11 + value + 8 bytes.
    const max = MAX_ROW_BYTES - 6 - 3 - RECORD_HEADER - 8;
    await t.rejects(cache.set("big", new Uint8Array(max + 1)), "EDGECACHE_VALUE_TOO_LARGE", "a row over 2,000,000 bytes");
    await t.rejects(cache.set("", bytes("v")), "EDGECACHE_INVALID_KEY", "an empty key");
    await t.rejects(cache.purgeExpired({ maxRows: 0 }), "EDGECACHE_INVALID_OPTIONS", "purgeExpired maxRows 0");
    t.equal(spy.roundTrips(), 0, "refused before any D1 call");
    const value = new Uint8Array(max).fill(7);
    await cache.set("big", value);
    const back = await cache.get("big");
    t.equal([back?.length, back?.[max - 1]], [max, 7], "a row of exactly 2,000,000 bytes roundtrips");

    spy.fault.all = () => Promise.reject(new Error("D1_ERROR: injected: SQLITE_BUSY"));
    const error = await t.rejects(cache.get("big"), "EDGECACHE_BACKEND", "a rejected all()");
    t.ok(/SQLITE_BUSY/.test(error?.message ?? ""), "the message is D1's", error?.message);
    t.equal(await cache.healthCheck(), false, "healthCheck over a failing D1 is false, not a rejection");
    spy.fault.all = () => "garbage";
    await t.rejects(cache.get("big"), "EDGECACHE_BACKEND", "an all() answering garbage");
    delete spy.fault.all;
    spy.fault.batch = () => {
      throw new Error("D1_ERROR: injected batch throw");
    };
    await t.rejects(cache.getMany(Array.from({ length: 150 }, (_, i) => `k${i}`)), "EDGECACHE_BACKEND", "a throwing batch()");
    delete spy.fault.batch;
    t.equal((await cache.get("big"))?.length, max, "the cache works once D1 answers again");
    t.equal(await cache.healthCheck(), true, "and its health check is true again");
    await t.rejects(EdgeCache.d1({ prepare: () => ({ bind() { return this; } }), batch: () => Promise.reject(new Error("D1_ERROR: nope")) }), "EDGECACHE_BACKEND", "table creation failing up front");
    await t.rejects(EdgeCache.memory().purgeExpired(), "EDGECACHE_UNSUPPORTED", "purgeExpired on a memory cache");
    await cache.clear();
  },

  // Expired rows go in bounded purges, on demand.
  async "purge-expired"(env, t) {
    const cache = await EdgeCache.d1(env.DB, { table: "purged" });
    for (let i = 0; i < 30; i++) await cache.set(`e${i}`, bytes("e"), { ttlMs: 50 });
    await cache.set("keep", bytes("k"));
    await sleep(100);
    t.equal(await cache.get("e0"), undefined, "an expired row is a miss");
    const count = async () => (await env.DB.prepare("SELECT count(*) AS n FROM purged").first()).n;
    t.equal(await count(), 31, "reads do not delete");
    t.equal(await cache.purgeExpired({ maxRows: 10 }), 10, "at most maxRows per call");
    t.equal(await cache.purgeExpired(), 20, "the rest");
    t.equal(await cache.purgeExpired(), 0, "nothing left to purge");
    t.equal([await count(), await cache.get("keep")], [1, bytes("k")], "live rows stay");
    const stats = await cache.stats();
    t.equal([stats.entries, stats.expirations], [1, 30], "stats");
  },
};

export default { fetch: serveCases(cases) };
