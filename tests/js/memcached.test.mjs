// EdgeCache.memcached from Node (node:net), against real memcached processes
// started on free loopback ports (tests/support/memcached-server.mjs) and
// looked at with an independent raw meta-protocol client. The trait-level
// conformance suite runs natively in tests/memcached.rs; this file checks the
// JavaScript surface, the Node transport, the failure paths a user meets and
// getOrSet's fill shared across caches (processes).
//
// Run: node --test tests/js/memcached.test.mjs   (after scripts/build.sh)

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { EdgeCache, ErrorCode } from "../../pkg/node.js";
import { freePort, rawClient, startMemcached } from "../support/memcached-server.mjs";

const bytes = (text) => new TextEncoder().encode(text);
const text = (value) => (value === undefined ? undefined : new TextDecoder().decode(value));
const utf8 = (s) => Buffer.byteLength(s);
/** The raw key of an entry: "{generation}:{len}:{namespace}:{key}". */
const storedKey = (generation, namespace, key) => `${generation}:${utf8(namespace ?? "")}:${namespace ?? ""}:${key}`;

async function rejectsWith(promise, code) {
  await assert.rejects(promise, (error) => {
    assert.equal(error.name, "EdgeCacheError", `${error.name}: ${error.message}`);
    assert.equal(error.code, code, error.message);
    return true;
  });
}

describe("EdgeCache.memcached in Node against a real memcached", () => {
  let server;
  let raw;
  const caches = [];
  const open = (options = {}) => {
    const cache = EdgeCache.memcached({ connect: `memcached://127.0.0.1:${server.port}`, ...options });
    caches.push(cache);
    return cache;
  };
  /** The namespace's generation, read behind the cache's back. */
  const generation = async (namespace) => {
    const got = await raw.get(`g:${utf8(namespace ?? "")}:${namespace ?? ""}:`);
    return text(got.value);
  };

  before(async () => {
    server = await startMemcached();
    raw = await rawClient(server.port);
  });
  after(async () => {
    for (const cache of caches) cache.close();
    raw?.close();
    await server?.stop();
  });

  it("stores binary values as records under generation-prefixed keys, memcached TTL = ceil + 2 s", async () => {
    const cache = open({ namespace: "pages" });
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    await cache.set("bin", all);
    await cache.set("ttl", bytes("x"), { ttlMs: 60_500 });
    assert.deepEqual(await cache.get("bin"), all);
    const g = await generation("pages");
    const stored = await raw.get(storedKey(g, "pages", "bin"));
    assert.equal(stored.value.length, 11 + 256, "the 11-byte record header, then the bytes");
    assert.deepEqual(new Uint8Array(stored.value.subarray(11)), all);
    assert.equal(stored.ttl, -1, "no TTL means no expiry");
    const { ttl } = await raw.get(storedKey(g, "pages", "ttl"));
    assert.ok(ttl >= 62 && ttl <= 63, `memcached TTL ${ttl} s`);
    assert.equal(await cache.has("ttl"), true);
    await cache.delete("ttl");
    assert.equal(await raw.get(storedKey(g, "pages", "ttl")), undefined);
  });

  it("expires a 150 ms TTL exactly, though memcached keeps the item seconds longer", async () => {
    const cache = open({ namespace: "short" });
    await cache.set("k", bytes("v"), { ttlMs: 150 });
    assert.equal(text(await cache.get("k")), "v");
    await sleep(200);
    assert.equal(await cache.get("k"), undefined);
    assert.equal(await cache.has("k"), false);
    assert.ok(await raw.get(storedKey(await generation("short"), "short", "k")), "memcached still holds it");
  });

  it("binary and unicode keys go base64 with the b flag; long keys are hashed", async () => {
    const cache = open({ namespace: "keys" });
    const keys = ["with space", "ключ🔑", "line\r\nbreak", "nul\u0000", "k".repeat(5000), "k".repeat(4999) + "j"];
    for (const [i, key] of keys.entries()) await cache.set(key, bytes(String(i)));
    const got = await cache.getMany([...keys, "missing"]);
    assert.deepEqual(got.map(text), [...keys.map((_, i) => String(i)), undefined]);
    const g = await generation("keys");
    const stored = await raw.get(storedKey(g, "keys", "ключ🔑"), { binary: true });
    assert.equal(text(stored.value.subarray(11)), "1");
    await rejectsWith(cache.set("k".repeat(16 * 1024 + 1), bytes("x")), ErrorCode.INVALID_KEY);
  });

  it("applies defaultTtlMs; getText/getJson work", async () => {
    const cache = open({ namespace: "json", defaultTtlMs: 30_000 });
    await cache.setJson("j", { a: [1, 2] });
    assert.deepEqual(await cache.getJson("j"), { a: [1, 2] });
    await cache.setText("t", "héllo");
    assert.equal(await cache.getText("t"), "héllo");
    const { ttl } = await raw.get(storedKey(await generation("json"), "json", "t"));
    assert.ok(ttl >= 31 && ttl <= 32, `memcached TTL ${ttl}`);
  });

  it("getMany and deleteMany keep order over 500 keys; 200 concurrent calls each get their own reply", async () => {
    const cache = open({ namespace: "many" });
    const keys = Array.from({ length: 500 }, (_, i) => `k${i}`);
    await Promise.all(keys.filter((_, i) => i % 3 === 0).map((k) => cache.set(k, bytes(k))));
    const got = await cache.getMany(keys);
    assert.deepEqual(
      got.map(text),
      keys.map((k, i) => (i % 3 === 0 ? k : undefined)),
    );
    await cache.deleteMany(keys);
    assert.ok((await cache.getMany(keys)).every((v) => v === undefined));
    const values = await Promise.all(keys.slice(0, 200).map((k) => cache.set(k, bytes(k)).then(() => cache.get(k))));
    assert.deepEqual(values.map(text), keys.slice(0, 200));
  });

  it("clear() bumps the namespace's generation: every cache on the server sees it, other namespaces keep theirs", async () => {
    const a = open({ namespace: "clear" });
    const b = open({ namespace: "clear" }); // another process: its own connection
    const other = open({ namespace: "clear-other" });
    await a.set("k", bytes("1"));
    await other.set("k", bytes("2"));
    assert.equal(text(await b.get("k")), "1");
    const before = await generation("clear");
    await a.clear();
    assert.equal(BigInt(await generation("clear")), BigInt(before) + 1n);
    assert.equal(await b.get("k"), undefined);
    assert.equal(text(await other.get("k")), "2");
    // The old item is still there (it ages out), unreachable.
    assert.ok(await raw.get(storedKey(before, "clear", "k")));
    await b.set("k", bytes("new"));
    assert.equal(text(await a.get("k")), "new");
  });

  it("a value over the server's item size is EDGECACHE_VALUE_TOO_LARGE with memcached's limit", async () => {
    const cache = open({ namespace: "big" });
    await cache.set("fits", new Uint8Array(1_000_000));
    assert.equal((await cache.get("fits")).length, 1_000_000);
    await assert.rejects(cache.set("big", new Uint8Array(2 * 1024 * 1024)), (error) => {
      assert.equal(error.code, ErrorCode.VALUE_TOO_LARGE);
      assert.match(error.message, /1048576/);
      return true;
    });
    assert.equal(await cache.get("big"), undefined);
    assert.equal((await cache.get("fits")).length, 1_000_000, "the connection survived");
  });

  it("keeps hot reads in the memory tier; stats need it", async () => {
    const tiered = open({ namespace: "tier", memory: { maxEntries: 10 } });
    await tiered.set("k", bytes("v"));
    assert.equal(text(await tiered.get("k")), "v");
    assert.equal((await tiered.stats()).hits, 1);
    await rejectsWith(open().stats(), ErrorCode.UNSUPPORTED);
  });

  it("getOrSet: 50 concurrent callers across two caches call the loader once", async () => {
    const a = open({ namespace: "stampede" });
    const b = open({ namespace: "stampede" });
    let loads = 0;
    const loader = async () => {
      loads++;
      await sleep(150);
      return bytes("filled");
    };
    const got = await Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? a : b).getOrSet(`hot`, loader, { ttlMs: 60_000 })),
    );
    assert.equal(loads, 1);
    assert.ok(got.every((v) => text(v) === "filled"));
    assert.equal(text(await b.get("hot")), "filled");
    // A loader that throws fails its caller and stores nothing; the claim
    // is released when lockMs passes, and the next caller loads.
    await rejectsWith(
      a.getOrSet("flaky", async () => {
        throw Object.assign(new Error("origin down"), { name: "EdgeCacheError", code: "EDGECACHE_BACKEND" });
      }, { lockMs: 1000 }),
      "EDGECACHE_BACKEND",
    );
    const started = Date.now();
    assert.equal(text(await b.getOrSet("flaky", async () => bytes("second"), { lockMs: 1000 })), "second");
    assert.ok(Date.now() - started < 4_000);
    await rejectsWith(a.getOrSet("x", async () => bytes("v"), { lockMs: 10 }), ErrorCode.INVALID_OPTIONS);
    await rejectsWith(a.getOrSet("x", async () => bytes("v"), { nope: 1 }), ErrorCode.INVALID_OPTIONS);
  });

  it("getOrSet: callers in two Node processes call the loader once between them", async () => {
    const script = `
      import { EdgeCache } from ${JSON.stringify(new URL("../../pkg/node.js", import.meta.url).href)};
      const cache = EdgeCache.memcached({ connect: "127.0.0.1:${server.port}", namespace: "xproc" });
      let loads = 0;
      await cache.healthCheck();
      console.log("ready");
      await new Promise((resolve) => process.stdin.once("data", resolve));
      const got = await Promise.all(Array.from({ length: 25 }, () => cache.getOrSet("k", async () => {
        loads++;
        await new Promise((r) => setTimeout(r, 200));
        return new TextEncoder().encode("from child");
      })));
      console.log(JSON.stringify({ loads, values: [...new Set(got.map((v) => new TextDecoder().decode(v)))] }));
      cache.close();
    `;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["pipe", "pipe", "inherit"] });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    while (!out.includes("ready")) {
      assert.equal(child.exitCode, null, "the child process exited early");
      await sleep(10);
    }
    const cache = open({ namespace: "xproc" });
    await cache.healthCheck();
    let loads = 0;
    child.stdin.end("go\n"); // ended: an open pipe would keep the child alive
    const got = await Promise.all(
      Array.from({ length: 25 }, () =>
        cache.getOrSet("k", async () => {
          loads++;
          await sleep(200);
          return bytes("from parent");
        }),
      ),
    );
    assert.equal(await exited, 0);
    const theirs = JSON.parse(out.slice(out.indexOf("{")));
    assert.equal(loads + theirs.loads, 1, `loads: parent ${loads}, child ${theirs.loads}`);
    const values = new Set([...got.map(text), ...theirs.values]);
    assert.equal(values.size, 1, [...values].join(", "));
  });

  it("healthCheck answers; close() drops the connection and the next call reconnects", async () => {
    const cache = open({ namespace: "close" });
    assert.equal(await cache.healthCheck(), true);
    await cache.set("k", bytes("v"));
    cache.close();
    cache.close();
    assert.equal(text(await cache.get("k")), "v");
  });
});

describe("EdgeCache.memcached failures", () => {
  it("a server that is down is EDGECACHE_UNAVAILABLE; killed and restarted, the cache works again", async () => {
    const port = await freePort();
    const cache = EdgeCache.memcached({ connect: `127.0.0.1:${port}` });
    const started = Date.now();
    await rejectsWith(cache.get("k"), ErrorCode.UNAVAILABLE);
    assert.ok(Date.now() - started < 2_000);
    assert.equal(await cache.healthCheck(), false, "a server that is down answers false, not a rejection");
    const server = await startMemcached([], { port });
    try {
      await cache.set("k", bytes("up"));
      assert.equal(text(await cache.get("k")), "up");
      await server.stop();
      await rejectsWith(cache.get("k"), ErrorCode.UNAVAILABLE);
      await server.restart();
      assert.equal(await cache.get("k"), undefined, "a fresh server is empty");
      await cache.set("k", bytes("again"));
      assert.equal(text(await cache.get("k")), "again");
      // Restarted underneath a kept connection: replaced without failing.
      await server.restart();
      assert.equal(await cache.get("k"), undefined);
    } finally {
      cache.close();
      await server.stop();
    }
  });

  it("honours connectTimeoutMs when the socket never opens", async () => {
    const cache = EdgeCache.memcached({ connect: () => new Promise(() => {}), connectTimeoutMs: 100 });
    const started = Date.now();
    await rejectsWith(cache.get("k"), ErrorCode.UNAVAILABLE);
    const took = Date.now() - started;
    assert.ok(took >= 90 && took < 2_000, `took ${took} ms`);
  });

  it("a server that stops answering is EDGECACHE_UNAVAILABLE after replyTimeoutMs", async () => {
    const server = net.createServer(() => {}); // accepts, never answers
    await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
    const cache = EdgeCache.memcached({ connect: { hostname: "127.0.0.1", port: server.address().port }, replyTimeoutMs: 150 });
    try {
      const started = Date.now();
      await rejectsWith(cache.get("k"), ErrorCode.UNAVAILABLE);
      assert.ok(Date.now() - started < 3_000);
    } finally {
      cache.close();
      server.close();
    }
  });

  it("a server that does not speak the meta protocol is EDGECACHE_BACKEND", async () => {
    const server = net.createServer((s) => s.on("data", () => s.write("HTTP/1.1 400 Bad Request\r\n\r\n")));
    await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
    const cache = EdgeCache.memcached({ connect: `127.0.0.1:${server.address().port}` });
    try {
      await rejectsWith(cache.get("k"), ErrorCode.BACKEND);
    } finally {
      cache.close();
      server.close();
    }
  });

  it("refuses bad options with EDGECACHE_INVALID_OPTIONS before connecting", () => {
    for (const options of [
      undefined,
      {},
      { connect: "redis://127.0.0.1" },
      { connect: "memcached://user:pw@127.0.0.1" },
      { connect: "memcached://127.0.0.1/path" },
      { connect: "127.0.0.1:0" },
      { connect: "127.0.0.1:70000" },
      { connect: { hostname: "", port: 1 } },
      { connect: 42 },
      { connect: "127.0.0.1", password: "x" },
      { connect: "127.0.0.1", namespace: "" },
      { connect: "127.0.0.1", defaultTtlMs: 0 },
      { connect: "127.0.0.1", connectTimeoutMs: -1 },
      { connect: "127.0.0.1", replyTimeoutMs: 0 },
      { connect: "127.0.0.1", memory: { maxEntries: -1 } },
    ]) {
      assert.throws(
        () => EdgeCache.memcached(options),
        (error) => error.code === ErrorCode.INVALID_OPTIONS,
        JSON.stringify(options),
      );
    }
  });
});
