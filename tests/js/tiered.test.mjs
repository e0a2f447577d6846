// The memory tier of persistent caches (js/tiered.js) in Node, over a
// Map-backed Workers KV binding: the rules of src/tiered.rs (a copy never
// outlives the stored entry, a read racing a write never refills the old
// value, a value too large for the tier leaves no older copy), hot reads that
// stay in JavaScript, and statistics (`has` uncounted, `bytes` defined once).

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { EdgeCache } from "../../pkg/node.js";

const bytes = (text) => new TextEncoder().encode(text);
const text = (value) => (value === undefined ? undefined : new TextDecoder().decode(value));

/** A KV binding over a Map whose reads can be held (`hold()` returns the release). */
function fakeKv() {
  const store = new Map();
  let gate;
  const binding = {
    async get(key) {
      const value = store.get(key);
      if (gate) await gate;
      return value === undefined ? null : value.slice().buffer;
    },
    async put(key, value) {
      store.set(key, new Uint8Array(value instanceof ArrayBuffer ? value.slice(0) : value.slice()));
    },
    async delete(key) {
      store.delete(key);
    },
    async list({ prefix = "" } = {}) {
      const keys = [...store.keys()].filter((k) => k.startsWith(prefix)).map((name) => ({ name }));
      return { keys, list_complete: true };
    },
  };
  const hold = () => {
    let release;
    gate = new Promise((resolve) => (release = resolve));
    return () => {
      gate = undefined;
      release();
    };
  };
  return { binding, store, hold };
}

describe("the memory tier of a persistent cache", () => {
  it("answers hot reads from JavaScript with the stored array, without touching the store", async () => {
    const kv = fakeKv();
    const cache = EdgeCache.kv(kv.binding, { memory: { maxEntries: 100 } });
    const value = bytes("v");
    await cache.set("k", value);
    kv.store.clear(); // the store forgets: only the tier can answer now
    assert.equal(await cache.get("k"), value, "the tier holds the array that was set");
    assert.equal(await cache.has("k"), true);
    assert.deepEqual((await cache.getMany(["k"])).map(text), ["v"]);
  });

  it("copies a store hit into the tier for the entry's remaining lifetime only", async () => {
    const kv = fakeKv();
    const writer = EdgeCache.kv(kv.binding); // another isolate, no tier
    const cache = EdgeCache.kv(kv.binding, { memory: { maxEntries: 100 } });
    await writer.set("k", bytes("v"), { ttlMs: 300 });
    const written = Date.now();
    assert.equal(text(await cache.get("k")), "v", "read from the store, copied into the tier");
    kv.store.clear();
    assert.equal(text(await cache.get("k")), "v", "the tier's copy answers");
    await sleep(Math.max(0, written + 320 - Date.now()));
    assert.equal(await cache.get("k"), undefined, "the copy expired with the stored entry");
  });

  it("a copy of an entry without expiry takes the cache's default TTL", async () => {
    const kv = fakeKv();
    const writer = EdgeCache.kv(kv.binding);
    const cache = EdgeCache.kv(kv.binding, { defaultTtlMs: 200, memory: {} });
    await writer.set("k", bytes("v"));
    assert.equal(text(await cache.get("k")), "v");
    kv.store.clear();
    assert.equal(text(await cache.get("k")), "v");
    await sleep(230);
    assert.equal(await cache.get("k"), undefined);
  });

  it("a read that races a write of its key does not put the old value into the tier", async () => {
    const kv = fakeKv();
    const cache = EdgeCache.kv(kv.binding, { memory: { maxEntries: 100 } });
    await EdgeCache.kv(kv.binding).set("k", bytes("old"));
    const release = kv.hold();
    const read = cache.get("k"); // reads "old" from the store, held
    await sleep(5);
    release(); // the write below must not wait behind the held read
    const write = cache.set("k", bytes("new"));
    assert.equal(text(await read), "old");
    await write;
    assert.equal(text(await cache.get("k")), "new");
    kv.store.clear();
    assert.equal(text(await cache.get("k")), "new", "the tier holds the new value");
  });

  it("a read that began before a write finished does not refill, even once the write is done", async () => {
    const kv = fakeKv();
    const cache = EdgeCache.kv(kv.binding, { memory: { maxEntries: 100 } });
    await EdgeCache.kv(kv.binding).set("k", bytes("old"));
    const release = kv.hold();
    const read = cache.get("k");
    await sleep(5);
    // Another isolate's write lands in the store meanwhile; this isolate's
    // own delete starts and finishes while the read is held.
    const deleting = cache.delete("k");
    release();
    await deleting;
    await read;
    kv.store.clear();
    assert.equal(await cache.get("k"), undefined, "nothing was refilled after the delete");
  });

  it("a value too large for the tier is stored, and no older copy keeps answering", async () => {
    const kv = fakeKv();
    const cache = EdgeCache.kv(kv.binding, { memory: { maxBytes: 1024 } });
    await cache.set("k", bytes("small"));
    const big = new Uint8Array(4096).fill(7);
    await cache.set("k", big);
    assert.deepEqual(await cache.get("k"), big, "read from the store");
    kv.store.clear();
    assert.equal(await cache.get("k"), undefined, "the tier kept no copy of either value");
  });

  it("a failed store write leaves the tier as it was", async () => {
    const kv = fakeKv();
    const cache = EdgeCache.kv(kv.binding, { memory: {} });
    await cache.set("k", bytes("v1"));
    kv.binding.put = () => Promise.reject(new Error("KV is down"));
    await assert.rejects(cache.set("k", bytes("v2")));
    assert.equal(text(await cache.get("k")), "v1");
  });

  it("getMany reads the keys the tier lacks in one store call and copies them", async () => {
    const kv = fakeKv();
    const cache = EdgeCache.kv(kv.binding, { memory: {} });
    const writer = EdgeCache.kv(kv.binding);
    await cache.set("a", bytes("A"));
    await writer.set("b", bytes("B"));
    assert.deepEqual((await cache.getMany(["a", "b", "c", "b"])).map(text), ["A", "B", undefined, "B"]);
    kv.store.clear();
    assert.deepEqual((await cache.getMany(["a", "b"])).map(text), ["A", "B"]);
  });

  it("delete, deleteMany and clear reach both tiers", async () => {
    const kv = fakeKv();
    const cache = EdgeCache.kv(kv.binding, { namespace: "ns", memory: {} });
    for (const k of ["a", "b", "c", "d"]) await cache.set(k, bytes(k));
    await cache.delete("a");
    await cache.deleteMany(["b", "c"]);
    assert.deepEqual((await cache.getMany(["a", "b", "c", "d"])).map(text), [undefined, undefined, undefined, "d"]);
    await cache.clear();
    assert.equal(await cache.get("d"), undefined);
    assert.equal(kv.store.size, 0);
  });

  it("bad tier bounds throw before the store is opened, named as memory options", () => {
    assert.throws(
      () => EdgeCache.kv(fakeKv().binding, { memory: { maxEntries: -1 } }),
      (e) => e.code === "EDGECACHE_INVALID_OPTIONS" && e.message.includes("memory.maxEntries must"),
    );
    assert.throws(
      () => EdgeCache.kv(fakeKv().binding, { memory: { maxBytes: 1.5 } }),
      (e) => e.code === "EDGECACHE_INVALID_OPTIONS" && e.message.includes("memory.maxBytes must"),
    );
  });
});

describe("statistics", () => {
  it("has() counts neither a hit nor a miss, tiered or not", async () => {
    const kv = fakeKv();
    for (const cache of [EdgeCache.memory(), EdgeCache.kv(kv.binding, { memory: {} })]) {
      await cache.set("k", bytes("v"));
      await cache.get("k");
      await cache.get("nope");
      const before = await cache.stats();
      assert.equal(await cache.has("k"), true);
      assert.equal(await cache.has("nope"), false);
      const after = await cache.stats();
      assert.deepEqual([after.hits, after.misses], [before.hits, before.misses]);
      assert.deepEqual([after.hits, after.misses], [1, 1]);
    }
  });

  it("bytes counts keys (UTF-8) and values, the same in the memory cache and a tier", async () => {
    const kv = fakeKv();
    for (const cache of [EdgeCache.memory(), EdgeCache.kv(kv.binding, { namespace: "n", memory: {} })]) {
      await cache.set("k", new Uint8Array(1));
      await cache.set("é", new Uint8Array(10));
      const stats = await cache.stats();
      assert.deepEqual([stats.entries, stats.bytes], [2, 1 + 1 + 2 + 10]);
    }
  });
});
