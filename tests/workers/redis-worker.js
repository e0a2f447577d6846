// The Redis test worker for tests/workers/redis.test.mjs: one route per case
// (see checks.js). Each case runs inside workerd and talks to real
// redis-server processes on loopback through `cloudflare:sockets` connect(),
// which the package's workerd entry uses for `connect: "redis://..."`.
// Ports arrive as bindings: REDIS_PORT (no auth), AUTH_PORT (requirepass
// "s3cret" and ACL user alice/wonder), DOWN_PORT (nothing listening),
// TLS_PORT (TLS only, self-signed certificate), SNIFF_PORT (records the first
// bytes of each connection and closes it).
import { EdgeCache } from "edgecache";
import { serveCases } from "./checks.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const bytes = (text) => encoder.encode(text);
const text = (value) => (value === undefined ? undefined : decoder.decode(value));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const url = (port) => `redis://127.0.0.1:${port}`;

// Module scope on purpose: used by two requests in a row ("across-requests").
let shared;

const cases = {
  async roundtrip(env, t) {
    const cache = EdgeCache.redis({ connect: url(env.REDIS_PORT), namespace: "w-roundtrip" });
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    await cache.set("bin", all);
    t.equal(await cache.get("bin"), all, "every byte value round-trips");
    await cache.set("empty", new Uint8Array());
    t.equal(await cache.get("empty"), new Uint8Array(), "an empty value is not a miss");
    t.equal(await cache.has("bin"), true, "has");
    await cache.delete("bin");
    t.equal(await cache.get("bin"), undefined, "get after delete");
    const big = new Uint8Array(8 * 1024 * 1024).fill(42);
    await cache.set("big", big);
    const back = await cache.get("big");
    t.ok(back?.length === big.length && back.every((b) => b === 42), "an 8 MiB value round-trips");
    t.equal(await cache.healthCheck(), true, "healthCheck (PING)");
    cache.close();
  },

  async "ttl-exact"(env, t) {
    const cache = EdgeCache.redis({ connect: url(env.REDIS_PORT), namespace: "w-ttl", defaultTtlMs: 250 });
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
    const mine = EdgeCache.redis({ connect: url(env.REDIS_PORT), namespace: "w-mine" });
    const other = EdgeCache.redis({ connect: url(env.REDIS_PORT), namespace: "w-other" });
    const keys = Array.from({ length: 1_200 }, (_, i) => `k${i}`);
    await Promise.all(keys.map((k) => mine.set(k, bytes(k))));
    await other.set("k1", bytes("other"));
    const values = await mine.getMany(keys);
    t.equal(values.map(text), keys, "getMany of 1,200 keys, in order");
    await mine.deleteMany(keys.slice(0, 600));
    t.equal((await mine.getMany(["k0", "k599", "k600"])).map(text), [undefined, undefined, "k600"], "deleteMany");
    await mine.clear();
    t.equal(await mine.get("k1199"), undefined, "clear() emptied the namespace (several SCAN pages)");
    t.equal(text(await other.get("k1")), "other", "clear() left the other namespace alone");
    mine.close();
    other.close();
  },

  async tiered(env, t) {
    const cache = EdgeCache.redis({ connect: url(env.REDIS_PORT), namespace: "w-tiered", memory: { maxEntries: 100 } });
    const direct = EdgeCache.redis({ connect: url(env.REDIS_PORT), namespace: "w-tiered" });
    await cache.set("hot", bytes("h"));
    await direct.delete("hot");
    t.equal(text(await cache.get("hot")), "h", "the memory tier answers a hot read without Redis");
    t.equal((await cache.stats()).entries, 1, "stats come from the memory tier");
    await direct.set("cold", bytes("c"));
    t.equal(text(await cache.get("cold")), "c", "a miss in memory reads through to Redis");
    cache.close();
    direct.close();
  },

  async auth(env, t) {
    const good = EdgeCache.redis({ connect: url(env.AUTH_PORT), password: "s3cret" });
    await good.set("k", bytes("v"));
    t.equal(text(await good.get("k")), "v", "password");
    const acl = EdgeCache.redis({ connect: `redis://alice:wonder@127.0.0.1:${env.AUTH_PORT}` });
    t.equal(text(await acl.get("k")), "v", "ACL user from the URL");
    await t.rejects(EdgeCache.redis({ connect: url(env.AUTH_PORT), password: "wrong" }).get("k"), "EDGECACHE_AUTH", "wrong password");
    await t.rejects(EdgeCache.redis({ connect: url(env.AUTH_PORT) }).get("k"), "EDGECACHE_AUTH", "no password");
    good.close();
    acl.close();
  },

  async down(env, t) {
    const cache = EdgeCache.redis({ connect: url(env.DOWN_PORT), connectTimeoutMs: 2_000 });
    const started = Date.now();
    await t.rejects(cache.get("k"), "EDGECACHE_UNAVAILABLE", "a server that is down");
    await t.rejects(cache.set("k", bytes("v")), "EDGECACHE_UNAVAILABLE", "and again on the next call");
    t.note("msToFail", Date.now() - started);
    t.ok(Date.now() - started < 4_000, "fails within the connect timeout");
  },

  // TLS in workerd: `secureTransport: "on"`, which trusts the public
  // certificate authorities only. The test server's certificate is
  // self-signed, so the handshake is refused; what is checked: a custom CA is
  // refused up front, rediss:// attempts TLS (the sniffing port on SNIFF_PORT
  // records a ClientHello; tests/workers/redis.test.mjs checks it) and a
  // refused handshake is a clear EDGECACHE_UNAVAILABLE, not a hang.
  async tls(env, t) {
    const ca = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    await t.rejects(
      () => EdgeCache.redis({ connect: `rediss://127.0.0.1:${env.TLS_PORT}`, tls: { ca } }),
      "EDGECACHE_INVALID_OPTIONS",
      "tls.ca is refused in workerd",
    );
    const started = Date.now();
    const selfSigned = EdgeCache.redis({ connect: `rediss://127.0.0.1:${env.TLS_PORT}`, connectTimeoutMs: 3_000 });
    const error = await t.rejects(selfSigned.get("k"), "EDGECACHE_UNAVAILABLE", "a self-signed certificate is refused");
    t.note("selfSigned", error?.message);
    t.ok(/Redis/.test(error?.message ?? "") && /127\.0\.0\.1/.test(error?.message ?? ""), "the error says what could not connect where", error?.message);
    t.ok(Date.now() - started < 3_500, "within the connect timeout");
    const sniffed = EdgeCache.redis({ connect: `rediss://127.0.0.1:${env.SNIFF_PORT}`, connectTimeoutMs: 3_000, replyTimeoutMs: 3_000 });
    await t.rejects(sniffed.get("k"), "EDGECACHE_UNAVAILABLE", "a server that ends the handshake");
  },

  // A cache in module scope, first used by this request...
  async "across-requests-1"(env, t) {
    shared = EdgeCache.redis({ connect: url(env.REDIS_PORT), namespace: "w-shared" });
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
