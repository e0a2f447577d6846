// EdgeCache.redis from Node (node:net), against real redis-server processes
// started on free loopback ports (tests/support/redis-server.mjs) and looked
// at with an independent raw RESP client. The trait-level conformance suite
// runs natively in tests/redis.rs; this file checks the JavaScript surface,
// the Node transport and the failure paths a user meets.
//
// Run: node --test tests/js/redis.test.mjs   (after scripts/build.sh)

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { spawnSync } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { EdgeCache, ErrorCode } from "../../pkg/node.js";
import { freePort, rawClient, startRedis, startTlsRedis } from "../support/redis-server.mjs";

const bytes = (text) => new TextEncoder().encode(text);
const text = (value) => (value === undefined ? undefined : new TextDecoder().decode(value));
const utf8 = (s) => Buffer.byteLength(s);
/** The key as the Redis backend stores it: "{len}:{namespace}:{key}". */
const storedKey = (namespace, key) => `${utf8(namespace ?? "")}:${namespace ?? ""}:${key}`;

async function rejectsWith(promise, code) {
  await assert.rejects(promise, (error) => {
    assert.equal(error.name, "EdgeCacheError", `${error.name}: ${error.message}`);
    assert.equal(error.code, code, error.message);
    return true;
  });
}

/**
 * A TCP proxy in front of `port` that can cut connections: after
 * `cutAfter(n)`, the next server→client reply is forwarded only up to n bytes
 * and then the connection is destroyed (a connection dropped mid-reply).
 */
async function startProxy(port) {
  let cut = null;
  let connections = 0;
  const server = net.createServer((client) => {
    connections++;
    const upstream = net.connect({ host: "127.0.0.1", port });
    client.on("data", (d) => upstream.write(d));
    upstream.on("data", (d) => {
      if (cut !== null) {
        const n = cut;
        cut = null;
        client.end(d.subarray(0, n), () => client.destroy());
        upstream.destroy();
        return;
      }
      client.write(d);
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", close);
    upstream.on("error", close);
    client.on("close", close);
    upstream.on("close", close);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: server.address().port,
    cutAfter: (n) => {
      cut = n;
    },
    connections: () => connections,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

describe("EdgeCache.redis in Node against a real redis-server", () => {
  let server;
  let raw;
  const caches = [];
  const open = (options = {}) => {
    const cache = EdgeCache.redis({ connect: `redis://127.0.0.1:${server.port}`, ...options });
    caches.push(cache);
    return cache;
  };

  before(async () => {
    server = await startRedis();
    raw = await rawClient(server.port);
  });
  after(async () => {
    for (const cache of caches) cache.close();
    raw?.close();
    await server?.stop();
  });

  it("stores binary values under injective keys with exact PX TTLs", async () => {
    const cache = open({ namespace: "pages" });
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    await cache.set("bin", all);
    await cache.set("ttl", bytes("x"), { ttlMs: 60_000 });
    assert.deepEqual(await cache.get("bin"), all);
    // What the server holds: the 11-byte record header, then the bytes.
    const stored = await raw.command("GET", storedKey("pages", "bin"));
    assert.equal(stored.length, 11 + 256);
    assert.deepEqual(new Uint8Array(stored.subarray(11)), all);
    assert.equal(await raw.command("PTTL", storedKey("pages", "bin")), -1, "no TTL means no expiry");
    const pttl = await raw.command("PTTL", storedKey("pages", "ttl"));
    assert.ok(pttl > 59_000 && pttl <= 60_000, `PTTL ${pttl} is the TTL in milliseconds`);
    assert.equal(await cache.has("ttl"), true);
    await cache.delete("ttl");
    assert.equal(await raw.command("EXISTS", storedKey("pages", "ttl")), 0);
  });

  it("expires a 150 ms TTL on time, in the cache and on the server", async () => {
    const cache = open({ namespace: "short" });
    await cache.set("k", bytes("v"), { ttlMs: 150 });
    assert.equal(text(await cache.get("k")), "v");
    await sleep(200);
    assert.equal(await cache.get("k"), undefined);
    assert.equal(await raw.command("EXISTS", storedKey("short", "k")), 0, "Redis removed the key itself");
  });

  it("applies defaultTtlMs, and getText/getJson/getOrSet work over Redis", async () => {
    const cache = open({ namespace: "defaults", defaultTtlMs: 30_000 });
    await cache.setJson("j", { a: [1, 2] });
    assert.deepEqual(await cache.getJson("j"), { a: [1, 2] });
    const pttl = await raw.command("PTTL", storedKey("defaults", "j"));
    assert.ok(pttl > 29_000 && pttl <= 30_000, `PTTL ${pttl}`);
    let runs = 0;
    const loader = async () => {
      runs++;
      await sleep(10);
      return bytes("loaded");
    };
    const got = await Promise.all([cache.getOrSet("l", loader), cache.getOrSet("l", loader)]);
    assert.deepEqual(got.map(text), ["loaded", "loaded"]);
    assert.equal(runs, 1);
  });

  it("getMany uses one MGET and deleteMany one UNLINK, in order, for 500 keys", async () => {
    const cache = open({ namespace: "many" });
    const keys = Array.from({ length: 500 }, (_, i) => `k${i}`);
    await Promise.all(keys.filter((_, i) => i % 2 === 0).map((k) => cache.set(k, bytes(k))));
    await raw.command("CONFIG", "RESETSTAT");
    const values = await cache.getMany(keys);
    assert.deepEqual(values.map(text), keys.map((k, i) => (i % 2 === 0 ? k : undefined)));
    await cache.deleteMany(keys);
    assert.deepEqual((await cache.getMany(keys.slice(0, 4))).map(text), [undefined, undefined, undefined, undefined]);
    const stats = (await raw.command("INFO", "commandstats")).toString();
    const calls = (name) => Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
    assert.equal(calls("mget"), 2, stats);
    assert.equal(calls("unlink"), 1, stats);
    assert.equal(calls("get"), 0, stats);
  });

  it("answers 200 concurrent calls on one connection, each with its own reply", async () => {
    const cache = open({ namespace: "concurrent" });
    await Promise.all(Array.from({ length: 200 }, (_, i) => cache.set(`k${i}`, bytes(`v${i}`))));
    const got = await Promise.all(Array.from({ length: 200 }, (_, i) => cache.get(`k${i}`)));
    assert.deepEqual(got.map(text), Array.from({ length: 200 }, (_, i) => `v${i}`));
  });

  it("gets made in one tick go out together as MGETs of 64 keys, each get with its own outcome", async () => {
    const cache = open({ namespace: "batched" });
    const keys = Array.from({ length: 300 }, (_, i) => `k${i}`);
    const value = (i) => bytes(`v${i}`.repeat(1 + (i % 700)));
    await Promise.all(keys.map((k, i) => (i % 3 === 0 ? undefined : cache.set(k, value(i)))));
    await raw.command("CONFIG", "RESETSTAT");
    // A bad key fails alone (checked before it joins the batch).
    const got = await Promise.allSettled([...keys.map((k) => cache.get(k)), cache.get("")]);
    const stats = (await raw.command("INFO", "commandstats")).toString();
    assert.equal(Number(/cmdstat_mget:calls=(\d+)/.exec(stats)?.[1]), Math.ceil(300 / 64), stats);
    assert.equal(got.at(-1).status, "rejected");
    assert.equal(got.at(-1).reason.code, ErrorCode.INVALID_KEY);
    got.pop();
    for (const [i, outcome] of got.entries()) {
      assert.equal(outcome.status, "fulfilled");
      if (i % 3 === 0) assert.equal(outcome.value, undefined, `k${i}`);
      else assert.deepEqual(outcome.value, value(i), `k${i}`);
    }
    // Every value has an ArrayBuffer of its own: writing to one, or
    // detaching its buffer, leaves the others as they were.
    for (const { value } of got) if (value) assert.equal(value.buffer.byteLength, value.byteLength);
    const small = got[1].value;
    small.fill(0);
    structuredClone(got[4].value.buffer, { transfer: [got[4].value.buffer] });
    assert.deepEqual(got[2].value, value(2));
    assert.deepEqual(got[5].value, value(5));
    // getOrSet and getText take the same path.
    assert.equal(await cache.getText("k1"), "v1v1");
    assert.equal(text(await cache.getOrSet("k0", async () => bytes("loaded"))), "loaded");
  });

  it("empty values in a batch come back empty, first, last, alone and among others", async () => {
    const cache = open({ namespace: "batch-empty" });
    await cache.set("e1", new Uint8Array());
    await cache.set("e2", new Uint8Array());
    await cache.set("v", bytes("value"));
    assert.deepEqual(await cache.get("e1"), new Uint8Array(), "alone");
    const got = await Promise.all(["e1", "v", "missing", "e2"].map((k) => cache.get(k)));
    assert.deepEqual(got, [new Uint8Array(), bytes("value"), undefined, new Uint8Array()]);
    // Through a memory tier (the path that also reads each expiry).
    const tiered = open({ namespace: "batch-empty", memory: { maxEntries: 10 } });
    const viaTier = await Promise.all(["e1", "v", "e2"].map((k) => tiered.get(k)));
    assert.deepEqual(viaTier, [new Uint8Array(), bytes("value"), new Uint8Array()]);
  });

  it("with a memory tier, a batch's values fill the tier as exact copies", async () => {
    const cache = open({ namespace: "tier-batch", memory: { maxEntries: 1000 } });
    const other = open({ namespace: "tier-batch" });
    await Promise.all(Array.from({ length: 100 }, (_, i) => other.set(`k${i}`, bytes(`v${i}`))));
    const got = await Promise.all(Array.from({ length: 100 }, (_, i) => cache.get(`k${i}`)));
    for (const [i, v] of got.entries()) {
      assert.equal(text(v), `v${i}`);
      assert.equal(v.buffer.byteLength, v.byteLength, "no shared buffer kept by the tier");
    }
    await raw.command("DEL", ...Array.from({ length: 100 }, (_, i) => storedKey("tier-batch", `k${i}`)));
    assert.equal(text(await cache.get("k42")), "v42", "served by the memory tier");
  });

  it("through a memory tier, each value of a batch keeps its own expiry, alone or beside values with none", async () => {
    const writer = open({ namespace: "tier-ttl" });
    const tiered = open({ namespace: "tier-ttl", memory: { maxEntries: 100 } });
    await writer.set("short", bytes("s"), { ttlMs: 300 });
    await writer.set("long", bytes("l"));
    await writer.set("alone", bytes("a"), { ttlMs: 300 });
    // One batch with an expiry and none; a batch of one key with an expiry.
    assert.deepEqual((await Promise.all([tiered.get("long"), tiered.get("short")])).map(text), ["l", "s"]);
    assert.equal(text(await tiered.get("alone")), "a");
    // Gone from Redis behind the tier's back: each copy answers until its own expiry.
    await raw.command("DEL", ...["short", "long", "alone"].map((k) => storedKey("tier-ttl", k)));
    assert.equal(text(await tiered.get("short")), "s", "before its expiry, from the tier");
    await sleep(350);
    assert.equal(await tiered.get("short"), undefined, "the tier's copy expired with the entry");
    assert.equal(await tiered.get("alone"), undefined, "the tier's copy expired with the entry");
    assert.equal(text(await tiered.get("long")), "l", "no expiry: the tier keeps its copy");
  });

  it("clear() deletes only its namespace, over many SCAN pages, never other keys", async () => {
    const mine = open({ namespace: "a*b?" });
    const other = open({ namespace: "other" });
    const root = open();
    await Promise.all(Array.from({ length: 2500 }, (_, i) => mine.set(`k${i}`, bytes("x"))));
    await other.set("k1", bytes("o"));
    await root.set("k1", bytes("r"));
    await raw.command("SET", "user:1", "foreign");
    await raw.command("SET", "4:a*bc:k1", "glob lookalike");
    await mine.clear();
    assert.equal(await mine.get("k1"), undefined);
    assert.equal(await raw.command("EXISTS", storedKey("a*b?", "k2499")), 0);
    assert.equal(text(await other.get("k1")), "o");
    assert.equal(text(await root.get("k1")), "r");
    assert.equal((await raw.command("GET", "user:1")).toString(), "foreign");
    assert.equal((await raw.command("GET", "4:a*bc:k1")).toString(), "glob lookalike");
  });

  it("keeps hot reads in the memory tier", async () => {
    const cache = open({ namespace: "tiered", memory: { maxEntries: 100 } });
    await cache.set("hot", bytes("h"));
    await raw.command("DEL", storedKey("tiered", "hot"));
    assert.equal(text(await cache.get("hot")), "h", "served by the memory tier");
    const stats = await cache.stats();
    assert.equal(stats.entries, 1);
    await rejectsWith(open({ namespace: "bare" }).stats(), ErrorCode.UNSUPPORTED);
  });

  it("healthCheck answers PING; close() drops the connection and the next call reconnects", async () => {
    const cache = open({ namespace: "close" });
    assert.equal(await cache.healthCheck(), true);
    await cache.set("k", bytes("v"));
    const before = Number(/connected_clients:(\d+)/.exec((await raw.command("INFO", "clients")).toString())[1]);
    cache.close();
    cache.close();
    await sleep(50);
    const afterClose = Number(/connected_clients:(\d+)/.exec((await raw.command("INFO", "clients")).toString())[1]);
    assert.equal(afterClose, before - 1);
    assert.equal(text(await cache.get("k")), "v");
  });

  it("an idle connection does not keep the Node process alive", async () => {
    const script = `
      import { EdgeCache } from ${JSON.stringify(new URL("../../pkg/node.js", import.meta.url).href)};
      const cache = EdgeCache.redis({ connect: { hostname: "127.0.0.1", port: ${server.port} } });
      await cache.set("exit", new Uint8Array([1]));
      console.log((await cache.get("exit")).length);
    `;
    const started = Date.now();
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 10_000 });
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout.trim(), "1");
    assert.ok(Date.now() - started < 5_000, "exited without close()");
  });
});

describe("EdgeCache.redis failures", () => {
  it("a server that is down is EDGECACHE_UNAVAILABLE, fast; once it is up the next call works", async () => {
    const port = await freePort();
    const cache = EdgeCache.redis({ connect: `127.0.0.1:${port}` });
    const started = Date.now();
    await rejectsWith(cache.get("k"), ErrorCode.UNAVAILABLE);
    assert.ok(Date.now() - started < 2_000);
    assert.equal(await cache.healthCheck(), false, "a health check answers false, it does not reject");
    const server = await startRedis([], { port });
    try {
      await cache.set("k", bytes("up"));
      assert.equal(text(await cache.get("k")), "up");
      // Restarted underneath: the first call sees the dead connection, a later one reconnects.
      await server.restart();
      // (A miss is fine too: the backend may retry an idempotent command once
      // on a fresh connection when a reused one turns out to be dead.)
      const first = await cache.get("k").then(
        (value) => ({ value }),
        (error) => ({ code: error.code }),
      );
      assert.ok(first.code === ErrorCode.UNAVAILABLE || ("value" in first && first.value === undefined), JSON.stringify(first));
      assert.equal(await cache.get("k"), undefined, "a fresh server is empty");
      await cache.set("k", bytes("again"));
      assert.equal(text(await cache.get("k")), "again");
    } finally {
      cache.close();
      await server.stop();
    }
  });

  it("after a get that cannot connect, the next gets on every cache answer at once", async () => {
    // A get runs on the core's own executor: a failure must not leave it
    // unable to poll the next get (this hung once).
    const server = await startRedis();
    const down = EdgeCache.redis({ connect: `127.0.0.1:${await freePort()}` });
    const up = EdgeCache.redis({ connect: `127.0.0.1:${server.port}` });
    const prompt = (promise) =>
      Promise.race([promise, sleep(2_000).then(() => Promise.reject(new Error("no answer within 2 s")))]);
    try {
      await up.set("k", bytes("v"));
      for (let round = 0; round < 3; round++) {
        await rejectsWith(prompt(down.get("k")), ErrorCode.UNAVAILABLE);
        assert.equal(text(await prompt(up.get("k"))), "v");
        const [failed, answered] = await prompt(Promise.allSettled([down.get("k"), up.get("k")]));
        assert.equal(failed.reason?.code, ErrorCode.UNAVAILABLE);
        assert.equal(text(answered.value), "v");
      }
    } finally {
      down.close();
      up.close();
      await server.stop();
    }
  });

  it("honours connectTimeoutMs when the socket never opens", async () => {
    const cache = EdgeCache.redis({ connect: () => new Promise(() => {}), connectTimeoutMs: 100 });
    const started = Date.now();
    await rejectsWith(cache.get("k"), ErrorCode.UNAVAILABLE);
    const took = Date.now() - started;
    assert.ok(took >= 90 && took < 2_000, `took ${took} ms`);
  });

  it("a reply that stalls past replyTimeoutMs is EDGECACHE_UNAVAILABLE, once (no retry), and the next call reconnects", async () => {
    // A fake server: the first connection answers one command (a miss), then
    // goes silent; later connections answer every command.
    let connections = 0;
    const server = net.createServer((socket) => {
      const n = ++connections;
      let answered = 0;
      socket.on("data", () => {
        if (n === 1 && answered++ >= 1) return; // stall
        socket.write("*1\r\n$-1\r\n"); // MGET of one missing key
      });
      socket.on("error", () => {});
    });
    await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
    const cache = EdgeCache.redis({ connect: { hostname: "127.0.0.1", port: server.address().port }, replyTimeoutMs: 300 });
    try {
      assert.equal(await cache.get("k"), undefined);
      const started = Date.now();
      await rejectsWith(cache.get("k"), ErrorCode.UNAVAILABLE);
      const took = Date.now() - started;
      assert.ok(took >= 280 && took < 550, `failed after ${took} ms: one timeout, not a retry that waits again`);
      assert.equal(connections, 1, "a stalled reply is not retried on a new connection");
      assert.equal(await cache.get("k"), undefined);
      assert.equal(connections, 2);
    } finally {
      cache.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("a connection dropped mid-reply is EDGECACHE_UNAVAILABLE, and the next call reconnects", async () => {
    const server = await startRedis();
    const proxy = await startProxy(server.port);
    const cache = EdgeCache.redis({ connect: `redis://127.0.0.1:${proxy.port}`, namespace: "drop" });
    try {
      await cache.set("big", new Uint8Array(100_000).fill(7));
      proxy.cutAfter(5_000);
      await rejectsWith(cache.get("big"), ErrorCode.UNAVAILABLE);
      const value = await cache.get("big");
      assert.equal(value.length, 100_000);
      assert.ok(value.every((b) => b === 7));
      assert.equal(proxy.connections(), 2);
    } finally {
      cache.close();
      await proxy.close();
      await server.stop();
    }
  });

  it("AUTH: password and ACL user work; wrong or missing credentials are EDGECACHE_AUTH", async () => {
    const server = await startRedis(["--requirepass", "s3cret", "--user", "alice", "on", ">wonder", "~*", "&*", "+@all"]);
    const opened = [];
    const open = (options) => {
      const cache = EdgeCache.redis({ connect: `127.0.0.1:${server.port}`, ...options });
      opened.push(cache);
      return cache;
    };
    try {
      await open({ password: "s3cret" }).set("k", bytes("v"));
      assert.equal(text(await open({ username: "alice", password: "wonder" }).get("k")), "v");
      assert.equal(text(await EdgeCache.redis({ connect: `redis://alice:wonder@127.0.0.1:${server.port}` }).get("k")), "v");
      await rejectsWith(open({ password: "wrong" }).get("k"), ErrorCode.AUTH);
      await rejectsWith(open({ username: "alice", password: "s3cret" }).get("k"), ErrorCode.AUTH);
      await rejectsWith(open({ username: "mallory", password: "wonder" }).get("k"), ErrorCode.AUTH);
      await rejectsWith(open({}).get("k"), ErrorCode.AUTH);
    } finally {
      for (const cache of opened) cache.close();
      await server.stop();
    }
  });

  it("a password the server does not need is EDGECACHE_AUTH", async () => {
    const server = await startRedis();
    const cache = EdgeCache.redis({ connect: `127.0.0.1:${server.port}`, password: "unneeded" });
    try {
      await rejectsWith(cache.get("k"), ErrorCode.AUTH);
    } finally {
      cache.close();
      await server.stop();
    }
  });

  it("refuses bad options with EDGECACHE_INVALID_OPTIONS before connecting", () => {
    const bad = [
      undefined,
      {},
      { connect: 42 },
      { connect: "" },
      { connect: "rediss://127.0.0.1:6379", tls: false },
      { connect: "127.0.0.1", tls: "yes" },
      { connect: "127.0.0.1", tls: { ca: "not a certificate" } },
      { connect: "127.0.0.1", tls: { ca: [] } },
      { connect: "127.0.0.1", tls: { rejectUnauthorized: false } },
      { connect: () => null, tls: true },
      { connect: "http://127.0.0.1" },
      { connect: "redis://127.0.0.1:6379/2" },
      { connect: "redis://127.0.0.1:99999" },
      { connect: "redis://user:%zz@127.0.0.1:6379" },
      { connect: { hostname: "", port: 6379 } },
      { connect: { hostname: "127.0.0.1", port: 0 } },
      { connect: "127.0.0.1", password: 42 },
      { connect: "127.0.0.1", username: "" },
      { connect: "127.0.0.1", connectTimeoutMs: -1 },
      { connect: "127.0.0.1", connectTimeoutMs: Number.NaN },
      { connect: "127.0.0.1", replyTimeoutMs: 0 },
      { connect: "127.0.0.1", replyTimeoutMs: "1000" },
      { connect: "127.0.0.1", defaultTtlMs: 0 },
      { connect: "127.0.0.1", namespace: "" },
      { connect: "127.0.0.1", memory: { maxEntries: -1 } },
      { connect: "127.0.0.1", db: 1 },
    ];
    for (const options of bad) {
      assert.throws(
        () => EdgeCache.redis(options),
        (error) => error.code === ErrorCode.INVALID_OPTIONS,
        JSON.stringify(options),
      );
    }
  });

  it("a connect function returning something that is not a socket is EDGECACHE_UNAVAILABLE", async () => {
    for (const returned of [null, 42, {}, { readable: {}, writable: {} }]) {
      const cache = EdgeCache.redis({ connect: () => returned });
      await rejectsWith(cache.get("k"), ErrorCode.UNAVAILABLE);
    }
    const throwing = EdgeCache.redis({
      connect: () => {
        throw new Error("no route");
      },
    });
    await rejectsWith(throwing.get("k"), ErrorCode.UNAVAILABLE);
  });
});

/**
 * A connect function returning Web Streams sockets (as workerd's
 * `cloudflare:sockets` does) over node:net connections to `port`. After
 * `refuse()`, every socket opened so far refuses its writes and its reads at
 * once, as workerd refuses a socket opened by an earlier request; the read
 * is refused first, to show the order does not matter.
 */
function streamSockets(port) {
  const opened = [];
  const connect = () => {
    const conn = net.connect({ host: "127.0.0.1", port });
    const state = { refused: false, ended: false };
    opened.push(state);
    const refusal = () => new Error("Cannot perform I/O on behalf of a different request.");
    const readable = new ReadableStream({
      start(controller) {
        const end = (how) => {
          if (state.ended) return;
          state.ended = true;
          how();
        };
        conn.on("data", (chunk) => {
          if (!state.ended) controller.enqueue(new Uint8Array(chunk));
        });
        conn.on("close", () => end(() => controller.close()));
        conn.on("error", (error) => end(() => controller.error(error)));
        state.fail = () => end(() => controller.error(refusal()));
      },
      cancel() {
        state.ended = true;
        conn.destroy();
      },
    });
    const writable = new WritableStream({
      async write(chunk) {
        if (state.refused) {
          await sleep(1);
          throw refusal();
        }
        await new Promise((resolve, reject) => conn.write(chunk, (error) => (error ? reject(error) : resolve())));
      },
    });
    const opening = new Promise((resolve, reject) => {
      conn.once("connect", resolve);
      conn.once("error", reject);
    });
    return { readable, writable, opened: opening, close: () => conn.destroy() };
  };
  return {
    connect,
    opened,
    refuse() {
      for (const state of opened) {
        state.refused = true;
        state.fail();
      }
    },
  };
}

describe("EdgeCache.redis over a connect function's Web Streams sockets", () => {
  let server;
  before(async () => {
    server = await startRedis();
  });
  after(async () => {
    await server?.stop();
  });

  it("stores and reads, and a kept socket that refuses I/O is replaced and the call sent again", async () => {
    const sockets = streamSockets(server.port);
    const cache = EdgeCache.redis({ connect: sockets.connect, namespace: "streams" });
    await cache.set("k", bytes("v1"));
    assert.equal(text(await cache.get("k")), "v1");
    assert.equal(sockets.opened.length, 1);
    sockets.refuse();
    assert.equal(text(await cache.get("k")), "v1");
    await cache.set("k", bytes("v2"));
    assert.deepEqual((await cache.getMany(["k", "nope"])).map(text), ["v2", undefined]);
    assert.equal(sockets.opened.length, 2, "one new socket replaced the refused one");
    cache.close();
  });

  it("a socket that refuses I/O on the call that opened it fails that call, once, without waiting", async () => {
    const sockets = streamSockets(server.port);
    const refusing = {
      connect: () => {
        const socket = sockets.connect();
        sockets.refuse();
        return socket;
      },
    };
    const cache = EdgeCache.redis({ connect: refusing.connect, namespace: "streams", replyTimeoutMs: 10_000 });
    const started = Date.now();
    await rejectsWith(cache.get("k"), ErrorCode.UNAVAILABLE);
    assert.ok(Date.now() - started < 5_000, "the call waited for the reply timeout");
    assert.equal(sockets.opened.length, 1, "a fresh connection's failure is not retried");
    cache.close();
  });
});

describe("EdgeCache.redis over TLS (rediss://, node:tls)", () => {
  let server;
  before(async () => {
    server = await startTlsRedis();
  });
  after(async () => {
    await server?.stop();
  });

  it("stores and reads over TLS when the server's certificate is trusted with tls.ca", async () => {
    const cache = EdgeCache.redis({ connect: `rediss://127.0.0.1:${server.port}`, tls: { ca: server.cert }, namespace: "tls" });
    await cache.set("k", bytes("over tls"));
    assert.equal(text(await cache.get("k")), "over tls");
    const many = await Promise.all(Array.from({ length: 100 }, (_, i) => cache.set(`k${i}`, bytes(`v${i}`)).then(() => cache.get(`k${i}`))));
    assert.deepEqual(many.map(text), Array.from({ length: 100 }, (_, i) => `v${i}`));
    assert.equal(await cache.healthCheck(), true);
    cache.close();
    // tls: { ca } with { hostname, port } is TLS too.
    const object = EdgeCache.redis({ connect: { hostname: "127.0.0.1", port: server.port }, tls: { ca: [server.cert] }, namespace: "tls" });
    assert.equal(text(await object.get("k")), "over tls");
    await object.clear();
    object.close();
  });

  it("an untrusted certificate is EDGECACHE_UNAVAILABLE, saying why; plain TCP to a TLS port fails too", async () => {
    const untrusted = EdgeCache.redis({ connect: `rediss://127.0.0.1:${server.port}` });
    await assert.rejects(untrusted.get("k"), (error) => {
      assert.equal(error.code, ErrorCode.UNAVAILABLE, error.message);
      assert.match(error.message, /TLS/);
      assert.match(error.message, /self[- ]signed certificate/i);
      return true;
    });
    const plain = EdgeCache.redis({ connect: `redis://127.0.0.1:${server.port}`, replyTimeoutMs: 2000 });
    await rejectsWith(plain.get("k"), ErrorCode.UNAVAILABLE);
    plain.close();
    untrusted.close();
  });
});
