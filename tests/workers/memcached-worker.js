// The memcached test worker for tests/workers/memcached.test.mjs: one route
// per case (see checks.js). Each case runs inside workerd and talks to a real
// memcached on loopback through `cloudflare:sockets` connect(), which the
// package's workerd entry uses for `connect: "memcached://..."`. Ports arrive
// as bindings: MEMCACHED_PORT, DOWN_PORT (nothing listening).
import { EdgeCache } from "edgecache";
import { serveCases } from "./checks.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const bytes = (text) => encoder.encode(text);
const text = (value) => (value === undefined ? undefined : decoder.decode(value));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const url = (port) => `memcached://127.0.0.1:${port}`;

// Module scope on purpose: used by two requests in a row ("across-requests").
let shared;

const cases = {
  async roundtrip(env, t) {
    const cache = EdgeCache.memcached({ connect: url(env.MEMCACHED_PORT), namespace: "w-roundtrip" });
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    await cache.set("bin", all);
    t.equal(await cache.get("bin"), all, "every byte value round-trips");
    await cache.set("empty", new Uint8Array());
    t.equal(await cache.get("empty"), new Uint8Array(), "an empty value is not a miss");
    await cache.set("ключ 🔑", bytes("u"));
    t.equal(text(await cache.get("ключ 🔑")), "u", "a unicode key with a space (base64, b flag)");
    const long = "k".repeat(4_000);
    await cache.set(long, bytes("long"));
    t.equal(text(await cache.get(long)), "long", "a 4,000-byte key (hashed)");
    t.equal(await cache.has("bin"), true, "has");
    await cache.delete("bin");
    t.equal(await cache.get("bin"), undefined, "get after delete");
    const big = new Uint8Array(900 * 1024).fill(42);
    await cache.set("big", big);
    const back = await cache.get("big");
    t.ok(back?.length === big.length && back.every((b) => b === 42), "a 900 KiB value round-trips");
    await t.rejects(cache.set("huge", new Uint8Array(2 * 1024 * 1024)), "EDGECACHE_VALUE_TOO_LARGE", "over the item size");
    t.equal(await cache.healthCheck(), true, "healthCheck (mn)");
    cache.close();
  },

  async "ttl-exact"(env, t) {
    const cache = EdgeCache.memcached({ connect: url(env.MEMCACHED_PORT), namespace: "w-ttl", defaultTtlMs: 250 });
    await cache.set("short", bytes("s"), { ttlMs: 120 });
    await cache.set("default", bytes("d"));
    await cache.set("forever", bytes("f"), { ttlMs: 60_000 });
    t.equal(text(await cache.get("short")), "s", "live before its TTL");
    await sleep(170);
    t.equal(await cache.get("short"), undefined, "a 120 ms TTL is gone at 170 ms");
    t.equal(text(await cache.get("default")), "d", "defaultTtlMs 250 still live at 170 ms");
    await sleep(130);
    t.equal(await cache.get("default"), undefined, "defaultTtlMs 250 gone at 300 ms");
    t.equal(text(await cache.get("forever")), "f", "a long TTL is live");
    cache.close();
  },

  async "many-and-clear"(env, t) {
    const mine = EdgeCache.memcached({ connect: url(env.MEMCACHED_PORT), namespace: "w-mine" });
    const again = EdgeCache.memcached({ connect: url(env.MEMCACHED_PORT), namespace: "w-mine" });
    const other = EdgeCache.memcached({ connect: url(env.MEMCACHED_PORT), namespace: "w-other" });
    const keys = Array.from({ length: 1_200 }, (_, i) => `k${i}`);
    await Promise.all(keys.map((k) => mine.set(k, bytes(k))));
    await other.set("k1", bytes("other"));
    const values = await mine.getMany(keys);
    t.equal(values.map(text), keys, "getMany of 1,200 keys, in order");
    await mine.deleteMany(keys.slice(0, 600));
    t.equal((await mine.getMany(["k0", "k599", "k600"])).map(text), [undefined, undefined, "k600"], "deleteMany");
    t.equal(text(await again.get("k1199")), "k1199", "another connection reads the namespace");
    await mine.clear();
    t.equal(await mine.get("k1199"), undefined, "clear() emptied the namespace");
    t.equal(await again.get("k1199"), undefined, "and another connection sees the new generation");
    t.equal(text(await other.get("k1")), "other", "clear() left the other namespace alone");
    mine.close();
    again.close();
    other.close();
  },

  async stampede(env, t) {
    const a = EdgeCache.memcached({ connect: url(env.MEMCACHED_PORT), namespace: "w-stampede" });
    const b = EdgeCache.memcached({ connect: url(env.MEMCACHED_PORT), namespace: "w-stampede" });
    let loads = 0;
    const loader = async () => {
      loads++;
      await sleep(100);
      return bytes("filled");
    };
    const got = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).getOrSet("hot", loader, { ttlMs: 60_000 })));
    t.equal(loads, 1, "50 callers across two caches: one loader run");
    t.ok(got.every((v) => text(v) === "filled"), "every caller got the value");
    a.close();
    b.close();
  },

  async tiered(env, t) {
    const cache = EdgeCache.memcached({ connect: url(env.MEMCACHED_PORT), namespace: "w-tiered", memory: { maxEntries: 100 } });
    const direct = EdgeCache.memcached({ connect: url(env.MEMCACHED_PORT), namespace: "w-tiered" });
    await cache.set("hot", bytes("h"));
    await direct.delete("hot");
    t.equal(text(await cache.get("hot")), "h", "the memory tier answers a hot read without memcached");
    await direct.set("cold", bytes("c"));
    t.equal(text(await cache.get("cold")), "c", "a miss in memory reads through to memcached");
    cache.close();
    direct.close();
  },

  async down(env, t) {
    const cache = EdgeCache.memcached({ connect: url(env.DOWN_PORT), connectTimeoutMs: 2_000 });
    const started = Date.now();
    await t.rejects(cache.get("k"), "EDGECACHE_UNAVAILABLE", "a server that is down");
    await t.rejects(cache.set("k", bytes("v")), "EDGECACHE_UNAVAILABLE", "and again on the next call");
    t.ok(Date.now() - started < 4_000, "fails within the connect timeout");
  },

  // A cache in module scope, first used by this request...
  async "across-requests-1"(env, t) {
    shared = EdgeCache.memcached({ connect: url(env.MEMCACHED_PORT), namespace: "w-shared" });
    await shared.set("k", bytes("first request"));
    t.equal(text(await shared.get("k")), "first request", "works in the request that connected");
  },

  // ...and by the next one: workerd ties a socket to the request that opened
  // it, so the cache must reconnect instead of failing.
  async "across-requests-2"(env, t) {
    t.ok(shared !== undefined, "the first request ran in this isolate");
    if (shared === undefined) return;
    const outcome = await shared.get("k").then(
      (value) => ({ value: text(value) }),
      (error) => ({ error: `${error.code}: ${error.message}` }),
    );
    t.equal(outcome, { value: "first request" }, "a later request reads through the module-scope cache");
    shared.close();
  },
};

export default { fetch: serveCases(cases) };
