// The IndexedDB and tiered cases of tests/browser.rs, through the package's
// JavaScript API, for every browser engine (tests/browsers/browsers.test.mjs
// runs each in Chromium, Firefox and WebKit). This module imports nothing: the
// page (page/suite.js) passes in the package and the helpers, so Node can
// import it too, for the case names.
//
// What the Rust tests reach through the backend's internals, these reach
// through the browser: `spy` counts `IDBDatabase#transaction` calls and keeps
// the connections `indexedDB.open` hands out (so a case can close one under
// the cache, as Safari does), and `raw` is plain IndexedDB, playing the other
// tab. The JavaScript API has no clock to inject, so expiry waits for real
// time (TTLs of 200 ms, waits of 400 ms or more: no case measures time).
//
// Each case gets `t`: { EdgeCache, db(name) (a database name no other run
// uses), raw, spy, sleep, within, eq, ok, error, code }.
//
// Not here: purgeExpired (the JavaScript API has it for D1 only), and the
// builder options the JavaScript API does not expose (db_version,
// open_timeout), so the blocked-upgrade, newer-build and queued-open cases
// stay Rust-only (tests/browser.rs, Chromium).

/** The stored form of a key: `<namespace length>:<namespace>:<key>`. */
export const sk = (key, ns = "") => `${ns.length}:${ns}:${key}`;

const bytes = (...b) => new Uint8Array(b);
const text = (s) => new TextEncoder().encode(s);

export const cases = {
  async "values, TTLs, batches and text round-trip with the real clock"(t) {
    const c = await t.EdgeCache.indexedDb({ dbName: t.db("roundtrip") });
    await c.set("k", bytes(1, 2, 3), { ttlMs: 60_000 });
    await c.set("forever", bytes());
    t.eq(Array.from(await c.get("k")), [1, 2, 3]);
    t.eq(Array.from(await c.get("forever")), []);
    t.eq(await c.get("nope"), undefined);
    t.eq(await c.has("k"), true);
    t.eq(await c.has("nope"), false);
    await c.setText("greeting", "héllo 🔑");
    t.eq(await c.getText("greeting"), "héllo 🔑");
    await c.setJson("json", { a: [1, "b"] });
    t.eq(await c.getJson("json"), { a: [1, "b"] });
    const many = await c.getMany(["k", "nope", "forever"]);
    t.eq(many.map((v) => (v === undefined ? null : Array.from(v))), [[1, 2, 3], null, []]);
    await c.deleteMany(["k", "forever"]);
    t.eq(await c.getMany(["k", "forever"]), [undefined, undefined]);
    await c.delete("greeting");
    t.eq(await c.get("greeting"), undefined);
    t.eq(await c.healthCheck(), true);
    c.close();
  },

  async "bad options are refused with EDGECACHE_INVALID_OPTIONS"(t) {
    for (const options of [
      { maxEntries: 0 },
      { dbName: "" },
      { storeName: "" },
      { storeName: "edgecache-meta" },
      { namespace: "" },
      { defaultTtlMs: 0 },
      { unknown: 1 },
    ]) {
      t.eq(await t.code(async () => t.EdgeCache.indexedDb({ dbName: t.db("options"), ...options })), "EDGECACHE_INVALID_OPTIONS", JSON.stringify(options));
    }
  },

  async "an expired entry is a miss and is deleted by the read that found it"(t) {
    const db = t.db("ttl");
    const c = await t.EdgeCache.indexedDb({ dbName: db });
    await c.set("k", text("v"), { ttlMs: 200 });
    t.eq(await c.getText("k"), "v");
    t.ok(await t.raw.get(db, sk("k")), "stored");
    await t.sleep(400);
    t.eq(await c.get("k"), undefined);
    t.eq(await t.raw.get(db, sk("k")), undefined, "the expired record is deleted");
    const stats = await c.stats();
    t.eq([stats.expirations, stats.entries], [1, 0]);
    await c.setText("k", "w");
    t.eq(await c.getText("k"), "w");
  },

  async "defaultTtlMs applies to writes without a TTL"(t) {
    const c = await t.EdgeCache.indexedDb({ dbName: t.db("default-ttl"), defaultTtlMs: 200 });
    await c.setText("a", "1");
    await c.setText("b", "2", { ttlMs: 60_000 });
    await t.sleep(400);
    t.eq([await c.getText("a"), await c.getText("b")], [undefined, "2"]);
  },

  async "corrupt, foreign and mistyped values are misses and are removed"(t) {
    const db = t.db("corrupt");
    const c = await t.EdgeCache.indexedDb({ dbName: db });
    await c.setText("good", "fine");
    const planted = {
      string: "garbage",
      number: 42,
      null: null,
      object: { foo: 1 },
      json: { r: text('{"json":true}') },
      empty: { r: bytes() },
      "array-not-bytes": { r: [236, 1] },
      text: { r: "ec..." },
    };
    for (const [k, value] of Object.entries(planted)) await t.raw.put(db, sk(k), value);
    for (const k of Object.keys(planted)) {
      t.eq(await c.get(k), undefined, k);
      t.eq(await t.raw.get(db, sk(k)), undefined, `${k} was not removed`);
    }
    // Batched reads the same way.
    await t.raw.put(db, sk("string"), "again");
    await t.raw.put(db, sk("number"), 7);
    await t.raw.put(db, sk("undefined"), undefined);
    const got = await c.getMany(["string", "good", "undefined", "absent", "number"]);
    t.eq(got.map((v) => (v === undefined ? null : new TextDecoder().decode(v))), [null, "fine", null, null, null]);
    t.eq(await t.raw.keys(db), [sk("good")]);
    for (const k of Object.keys(planted)) {
      await c.setText(k, k);
      t.eq(await c.getText(k), k);
    }
    t.eq((await c.stats()).entries, await t.raw.count(db));
  },

  async "data survives close() and is shared by two instances"(t) {
    const db = t.db("persist");
    const c = await t.EdgeCache.indexedDb({ dbName: db });
    await c.setText("k", "kept", { ttlMs: 60_000 });
    c.close();
    t.eq(await c.getText("k"), "kept", "reopened after close()");
    const other = await t.EdgeCache.indexedDb({ dbName: db });
    t.eq(await other.getText("k"), "kept");
    await other.setText("k2", "from other");
    t.eq(await c.getText("k2"), "from other");
    c.close();
    other.close();
    const later = await t.EdgeCache.indexedDb({ dbName: db });
    t.eq((await later.stats()).entries, 2);
    later.close();
  },

  async "another tab upgrading is not blocked, and the cache then fails clearly"(t) {
    const db = t.db("upgrade");
    const c = await t.EdgeCache.indexedDb({ dbName: db });
    await c.setText("k", "v");
    const version = await t.raw.version(db);
    // The other tab opens a newer version: our connection must step aside (or this open would block).
    const other = await t.within(5_000, "the other tab's upgrade", t.raw.open(db, version + 1, (d) => d.createObjectStore("extra")));
    const error = await t.within(5_000, "reading after the upgrade", t.error(() => c.get("k")));
    t.eq(error.code, "EDGECACHE_UNAVAILABLE", error.message);
    t.ok(/newer schema/.test(error.message), error.message);
    t.eq((await t.within(5_000, "writing after the upgrade", t.error(() => c.setText("k", "w")))).code, "EDGECACHE_UNAVAILABLE");
    other.close();
    t.ok(await t.raw.get(db, sk("k")), "the data is left alone");
  },

  async "another tab deleting the database is not blocked, and the cache recreates it"(t) {
    const db = t.db("deleted");
    const c = await t.EdgeCache.indexedDb({ dbName: db });
    await c.setText("k", "v");
    await t.within(5_000, "deleteDatabase", t.raw.deleteDatabase(db));
    t.eq(await c.get("k"), undefined);
    await c.setText("k2", "w");
    t.eq(await c.getText("k2"), "w");
    t.eq((await c.stats()).entries, 1);
  },

  async "a connection closed under the cache is reopened transparently"(t) {
    const db = t.db("closed");
    const c = await t.EdgeCache.indexedDb({ dbName: db });
    await c.setText("k", "v");
    // close() behind the cache's back, as the browser may do: no event fires.
    const closeAll = () => t.spy.connections(db).forEach((connection) => connection.close());
    closeAll();
    await c.setText("k2", "w");
    closeAll();
    t.eq(await c.getText("k"), "v");
    closeAll();
    t.eq((await c.getMany(["k", "k2"])).map((v) => new TextDecoder().decode(v)), ["v", "w"]);
    closeAll();
    t.eq((await c.stats()).entries, 2);
    closeAll();
    await c.deleteMany(["k"]);
    closeAll();
    await c.clear();
    t.eq(await c.get("k2"), undefined);
    // The browser closing it with a `close` event (what Safari does when it drops a connection).
    for (const connection of t.spy.connections(db)) {
      connection.close();
      connection.dispatchEvent(new Event("close"));
    }
    await c.setText("k3", "x");
    t.eq(await c.getText("k3"), "x");
  },

  async "a database without the cache's store is refused clearly"(t) {
    const db = t.db("other-store");
    await (await t.EdgeCache.indexedDb({ dbName: db })).setText("k", "1");
    // The factory opens the database, so it is the one that refuses.
    const error = await t.error(() => t.EdgeCache.indexedDb({ dbName: db, storeName: "elsewhere" }));
    t.eq(error.code, "EDGECACHE_INVALID_OPTIONS", error.message);
    t.ok(error.message.includes("elsewhere"), error.message);
  },

  async "concurrent sets share one transaction and resolve once committed"(t) {
    const db = t.db("batch");
    const c = await t.EdgeCache.indexedDb({ dbName: db });
    t.eq(await c.healthCheck(), true);
    const keys = Array.from({ length: 100 }, (_, i) => `k${i}`);
    let before = t.spy.transactions();
    await Promise.all(keys.map((k, i) => c.set(k, bytes(i))));
    t.eq(t.spy.transactions() - before, 1, "one write transaction");
    // Resolved means committed: another connection sees every value.
    t.eq((await t.raw.keys(db)).length, 100);
    before = t.spy.transactions();
    const values = await c.getMany(keys);
    t.eq(t.spy.transactions() - before, 1, "one read transaction");
    t.ok(values.every((v, i) => v.length === 1 && v[0] === i), "every value");
    await c.deleteMany(keys);
    t.eq((await t.raw.keys(db)).length, 0);
  },

  async "reads awaited in turn share a transaction; a read issued after a write sees it"(t) {
    const db = t.db("joined");
    const c = await t.EdgeCache.indexedDb({ dbName: db });
    const keys = Array.from({ length: 10 }, (_, i) => `k${i}`);
    await Promise.all(keys.map((k) => c.setText(k, `old ${k}`)));
    // Each read is issued from the previous one's success, while its
    // transaction is still active: the reads join it.
    const before = t.spy.transactions();
    for (const k of keys) t.eq(await c.getText(k), `old ${k}`);
    t.eq((await c.getMany(keys)).length, 10);
    t.eq(t.spy.transactions() - before, 1, "eleven awaited reads, one transaction");
    // A write issued between two reads and not awaited joins the write
    // batch when it is called, so the batch's transaction begins before
    // that of any read issued after it, even in the same tick; and no read
    // joins a transaction opened before the write.
    t.eq(await c.getText("k0"), "old k0");
    const write = c.setText("k0", "new");
    t.eq(await c.getText("k0"), "new", "a read issued in the same tick as a write");
    t.eq(await c.getText("k0"), "new", "a read issued after a write and a read");
    await write;
    t.eq(await c.getText("k1"), "old k1");
    const removal = c.deleteMany(["k1", "k2"]);
    t.eq(await c.get("k1"), undefined, "a read issued in the same tick as a removal");
    t.eq(await c.getMany(["k1", "k2", "k3"]), [undefined, undefined, text("old k3")], "after a removal and a read");
    await removal;
    // Not awaited at all: the write is in the same tick as the read.
    const [, same] = await Promise.all([c.setText("k4", "same tick"), c.getText("k4")]);
    t.eq(same, "same tick", "set(k, v); get(k) in one tick reads v");
    // The same through another handle on the database.
    t.eq(await c.getText("k3"), "old k3");
    const other = await t.EdgeCache.indexedDb({ dbName: db });
    t.eq(await c.getText("k3"), "old k3");
    const clear = other.clear();
    await c.get("k3");
    t.eq(await c.get("k3"), undefined, "after another handle's clear and a read");
    await clear;
  },

  async "a loop of awaited reads does not hold another connection's write back"(t) {
    const db = t.db("writer");
    const c = await t.EdgeCache.indexedDb({ dbName: db });
    await c.setText("k", "v");
    // The other tab's readwrite transaction waits for the cache's readonly
    // one; a transaction takes a bounded number of reads, so the write gets
    // its turn while the loop goes on.
    t.eq(await c.getText("k"), "v");
    let written = false;
    const write = t.raw.put(db, sk("other"), "x").then(() => (written = true));
    let reads = 0;
    while (!written && reads < 5_000) {
      await c.get("k");
      reads++;
    }
    t.ok(written, `the other connection's write was still waiting after ${reads} reads`);
    await write;
  },

  async "the last write of a key in a batch wins"(t) {
    const db = t.db("last-wins");
    const c = await t.EdgeCache.indexedDb({ dbName: db });
    const other = await t.EdgeCache.indexedDb({ dbName: db, namespace: "ns" });
    await c.healthCheck();
    await Promise.all([c.setText("k", "first"), c.setText("k", "second"), c.setText("gone", "x"), c.delete("gone"), other.setText("k", "namespaced")]);
    t.eq(await c.getText("k"), "second");
    t.eq(await c.get("gone"), undefined);
    t.eq(await other.getText("k"), "namespaced");
  },

  // Safari auto-commits a transaction as soon as its callbacks stop using
  // it; a cache that awaits anything but IndexedDB inside one fails there
  // (TransactionInactiveError). Calls interleaved with timers and microtasks
  // in every order must all land.
  async "calls interleaved with timers and microtasks all commit (transaction auto-commit timing)"(t) {
    const db = t.db("interleaved");
    const c = await t.EdgeCache.indexedDb({ dbName: db });
    const pause = (i) => (i % 3 === 0 ? t.sleep(i % 7) : i % 3 === 1 ? Promise.resolve() : new Promise((r) => queueMicrotask(r)));
    const ops = Array.from({ length: 120 }, async (_, i) => {
      const k = `k${i % 40}`; // every op on k writes the same value, so any order reads it back
      await pause(i);
      await c.set(k, bytes(i % 40));
      await pause(i + 1);
      t.eq(Array.from((await c.get(k)) ?? []), [i % 40], `${k} read back`);
      if (i % 10 === 0) {
        await c.set(`d${i}`, bytes(1));
        await pause(i + 2);
        await c.delete(`d${i}`);
        t.eq(await c.get(`d${i}`), undefined, `d${i} deleted`);
      }
    });
    await Promise.all(ops);
    // Resolved means committed: another connection sees exactly the 40 keys.
    t.eq((await t.raw.keys(db)).sort(), Array.from({ length: 40 }, (_, i) => sk(`k${i}`)).sort());
    t.eq((await c.stats()).entries, 40);
  },

  async "maxEntries evicts expired entries first, then the oldest written"(t) {
    const db = t.db("max-entries");
    const c = await t.EdgeCache.indexedDb({ dbName: db, maxEntries: 4 });
    await c.set("old", bytes(0));
    await c.set("expiring", bytes(1), { ttlMs: 200 });
    await c.set("a", bytes(2));
    await c.set("b", bytes(3));
    await t.sleep(400);
    await c.set("c", bytes(4));
    t.eq((await t.raw.keys(db)).sort(), ["a", "b", "c", "old"].map((k) => sk(k)).sort());
    await c.set("d", bytes(5));
    await c.set("a", bytes(6)); // rewriting makes "a" the newest
    await c.set("e", bytes(7));
    t.eq((await t.raw.keys(db)).sort(), ["a", "c", "d", "e"].map((k) => sk(k)).sort());
    await Promise.all(Array.from({ length: 6 }, (_, i) => c.set(`n${i}`, bytes(i))));
    t.eq((await t.raw.keys(db)).sort(), ["n2", "n3", "n4", "n5"].map((k) => sk(k)).sort());
    const stats = await c.stats();
    t.eq([stats.entries, stats.evictions, stats.expirations], [4, 8, 1]);
  },

  async "maxBytes holds, and a value larger than maxBytes is refused before writing"(t) {
    const db = t.db("max-bytes");
    const c = await t.EdgeCache.indexedDb({ dbName: db, maxBytes: 400 });
    for (let i = 0; i < 3; i++) await c.set(`k${i}`, new Uint8Array(100));
    await c.set("k0", new Uint8Array(10));
    await c.set("k3", new Uint8Array(100));
    await c.set("k4", new Uint8Array(100)); // over 400: the oldest written (k1) goes
    t.eq((await t.raw.keys(db)).sort(), ["k0", "k2", "k3", "k4"].map((k) => sk(k)).sort());
    t.eq((await c.stats()).evictions, 1);
    const before = t.spy.transactions();
    t.eq(await t.code(() => c.set("big", new Uint8Array(400))), "EDGECACHE_VALUE_TOO_LARGE");
    t.eq(await t.code(() => c.set("k0", new Uint8Array(1_000))), "EDGECACHE_VALUE_TOO_LARGE");
    t.eq(t.spy.transactions(), before, "nothing was attempted");
    t.eq((await c.get("k0")).length, 10, "a refused overwrite keeps the old value");
  },

  async "clear() clears one namespace only"(t) {
    const db = t.db("namespaces");
    const open = (namespace) => t.EdgeCache.indexedDb({ dbName: db, ...(namespace ? { namespace } : {}) });
    const [root, a, aColon, aSemi, b] = await Promise.all([open(), open("a"), open("a:"), open("a;"), open("b")]);
    for (const [i, k] of ["x", "zz", "~", "\uFFFF", "🔑"].entries()) await a.set(k, bytes(i));
    await aColon.set("x", bytes(10));
    await aSemi.set("x", bytes(11));
    await b.set("x", bytes(12));
    await root.set("1:a:x", bytes(13)); // looks like a's key
    await a.clear();
    for (const k of ["x", "zz", "~", "\uFFFF", "🔑"]) t.eq(await a.get(k), undefined, k);
    t.eq([await aColon.get("x"), await aSemi.get("x"), await b.get("x"), await root.get("1:a:x")].map((v) => v?.[0]), [10, 11, 12, 13]);
    t.eq(await t.raw.count(db), 4);
    await root.clear();
    t.eq(await root.get("1:a:x"), undefined);
    t.eq((await b.get("x"))[0], 12);
  },

  async "stats count hits, misses, inserts, evictions and expirations"(t) {
    const c = await t.EdgeCache.indexedDb({ dbName: t.db("stats"), maxEntries: 2 });
    await c.set("a", bytes(1), { ttlMs: 200 });
    await c.get("a"); // hit
    await c.get("zz"); // miss
    await t.sleep(400);
    await c.get("a"); // miss + expiration
    await c.set("b", bytes(1));
    await c.set("c", bytes(1));
    await c.set("d", bytes(1)); // evicts b
    const s = await c.stats();
    t.eq({ hits: s.hits, misses: s.misses, inserts: s.inserts, evictions: s.evictions, expirations: s.expirations, entries: s.entries }, { hits: 1, misses: 2, inserts: 4, evictions: 1, expirations: 1, entries: 2 });
  },

  async "tiered: the contract holds with a memory tier in front"(t) {
    const db = t.db("tiered");
    const c = await t.EdgeCache.indexedDb({ dbName: db, memory: { maxEntries: 100 } });
    await c.set("k", bytes(1, 2), { ttlMs: 60_000 });
    await c.setText("t", "text");
    t.eq(Array.from(await c.get("k")), [1, 2]);
    t.eq(await c.getText("t"), "text");
    t.eq((await c.getMany(["k", "nope"])).map((v) => v && Array.from(v)), [[1, 2], undefined]);
    await c.delete("k");
    t.eq(await c.get("k"), undefined);
    t.eq(await t.raw.get(db, sk("k")), undefined, "deleted in IndexedDB too");
    t.ok(await t.raw.get(db, sk("t")), "written through to IndexedDB");
    await c.set("short", bytes(3), { ttlMs: 200 });
    await t.sleep(400);
    t.eq(await c.get("short"), undefined, "expired in both tiers");
    await c.clear();
    t.eq(await c.get("t"), undefined);
    t.eq(await t.raw.count(db), 0);
    // A plain IndexedDB cache on the same database sees the tiered cache's writes.
    await c.setText("shared", "yes");
    t.eq(await (await t.EdgeCache.indexedDb({ dbName: db })).getText("shared"), "yes");
  },

  async "tiered: an IndexedDB hit fills the memory tier, which then serves without a transaction"(t) {
    const db = t.db("tiered-fill");
    await (await t.EdgeCache.indexedDb({ dbName: db })).setText("k", "v", { ttlMs: 600 });
    const c = await t.EdgeCache.indexedDb({ dbName: db, memory: { maxEntries: 100 } });
    t.eq(await c.getText("k"), "v");
    const before = t.spy.transactions();
    t.eq(await c.getText("k"), "v");
    t.eq(t.spy.transactions(), before, "served from the memory tier");
    await t.sleep(800);
    t.eq(await c.getText("k"), undefined, "the memory tier keeps the remaining TTL, not a new one");
  },
};

/** `n` random bytes (random: Chromium compresses values). */
function random(n) {
  const b = new Uint8Array(n);
  for (let at = 0; at < n; at += 65536) crypto.getRandomValues(b.subarray(at, Math.min(n, at + 65536)));
  return b;
}

/**
 * A real QuotaExceededError (run by the quota tests, not for every engine:
 * each engine sets a quota its own way). `factory`: the IDBFactory with the
 * small quota (the cache picks up `indexedDB` while its factory opens the
 * database), or undefined for the page's own; `count` values of `size`
 * random bytes in one batch overflow it (random: Chromium compresses values);
 * `options`: more options of the cache (bounds).
 * Resolves to { leftovers: the batch's keys readable after the failure,
 * entriesBefore, entriesAfter, bytesBefore, bytesAfter: stats() around it, transactions:
 * those the batch took (2 where a clean-up followed it) }.
 */
export async function quotaCase(t, { factory, count, size, options = {} }) {
  const db = t.db("quota");
  const c = await t.withIndexedDb(factory, () => t.EdgeCache.indexedDb({ dbName: db, ...options }));
  await c.set("kept", new Uint8Array(100).fill(1));
  await c.set("gone", new Uint8Array(100).fill(2));
  const before = await c.stats();
  const puts = t.spy.putTransactions();
  const tx = t.spy.transactions();
  const results = await Promise.allSettled(Array.from({ length: count }, (_, i) => c.set(`big${i}`, random(size))));
  // One batch, not split or retried (where the engine kept part of it, a
  // second transaction deletes what it kept: see undo_leftovers in
  // src/backends/idb/txn.rs).
  t.eq(t.spy.putTransactions() - puts, 1, "one batch");
  const transactions = t.spy.transactions() - tx;
  for (const r of results) {
    t.eq(r.status, "rejected", "every write of the batch fails");
    t.eq(r.reason?.code, "EDGECACHE_QUOTA_EXCEEDED", String(r.reason?.message));
    t.ok(r.reason instanceof Error, "a real Error");
  }
  // Earlier data is intact. Whether anything of the batch was written is
  // returned (the caller asserts it: nothing, where the engine behaves).
  t.eq(Array.from(await c.get("kept")), new Array(100).fill(1));
  const found = await c.getMany(Array.from({ length: count }, (_, i) => `big${i}`));
  const leftovers = found.flatMap((v, i) => (v === undefined ? [] : [`big${i}`]));
  const { entries, bytes } = await c.stats();
  // Removals still commit, so space can be freed; and writes work again after.
  await c.delete("gone");
  t.eq(await c.get("gone"), undefined);
  await c.deleteMany(leftovers);
  t.eq((await c.stats()).entries, 1);
  await c.setText("after", "ok");
  t.eq(await c.getText("after"), "ok");
  await c.clear();
  t.eq((await c.stats()).entries, 0);
  c.close();
  return { leftovers, entriesBefore: before.entries, entriesAfter: entries, bytesBefore: before.bytes, bytesAfter: bytes, transactions };
}

/**
 * The engine on its own, without edgecache: one readwrite transaction of
 * `count` plain puts of `size` random bytes (keys big0, big1, ...) that
 * overflows the quota, as quotaCase's batch does. Resolves to { ended:
 * "complete" or "abort: " and the transaction's error name, puts: each put's
 * outcome ("ok" or its error name), kept: the batch's keys stored after the
 * transaction ended }. The database is deleted after.
 */
export async function rawQuotaCase(t, { factory = indexedDB, count, size }) {
  const name = t.db("raw-quota");
  const done = (request) =>
    new Promise((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  const open = factory.open(name, 1);
  open.onupgradeneeded = () => open.result.createObjectStore("entries");
  const db = await done(open);
  try {
    const tx = db.transaction("entries", "readwrite");
    const store = tx.objectStore("entries");
    const requests = Array.from({ length: count }, (_, i) => store.put(random(size), `big${i}`));
    const ended = await new Promise((resolve) => {
      tx.oncomplete = () => resolve("complete");
      tx.onabort = () => resolve(`abort: ${tx.error?.name}`);
    });
    const puts = requests.map((r) => r.error?.name ?? "ok");
    const kept = await done(db.transaction("entries").objectStore("entries").getAllKeys());
    return { ended, puts, kept: kept.sort((a, b) => Number(a.slice(3)) - Number(b.slice(3))) };
  } finally {
    db.close();
    await done(factory.deleteDatabase(name));
  }
}
