// Every EdgeCacheError message a user can trigger from Node, in one table
// (issue 16 §3.5): each row's code and exact message, and for every row the
// rules a message follows: it says each thing once (no prefix repeated, no
// "EdgeCacheError:" or other "…Error:" nested inside), names no internals
// (no stack, no "undefined"/"[object Object]"), and is one line.
//
// Run: node --test tests/js/error-messages.test.mjs   (after scripts/build.sh)

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { EdgeCache, ResponseCache } from "../../pkg/node.js";

/** A loopback TCP server doing `onConnection(socket)`; resolves to its port. Unref'd. */
async function tcpServer(onConnection) {
  const server = net.createServer((socket) => {
    socket.on("error", () => {});
    onConnection(socket);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  server.unref();
  return server.address().port;
}
const redisOn = async (onConnection, options) => {
  const cache = EdgeCache.redis({ connect: `127.0.0.1:${await tcpServer(onConnection)}`, ...options });
  try {
    return await cache.get("k");
  } finally {
    cache.close();
  }
};

const bytes = new Uint8Array([1]);
const kvDouble = (overrides = {}) => ({
  get: async () => null,
  put: async () => {},
  delete: async () => {},
  list: async () => ({ keys: [], list_complete: true }),
  ...overrides,
});
const failingKv = kvDouble({
  get: async () => {
    throw new Error("KV GET failed: 503");
  },
});

/** [what the user did, the call, its code, its exact message] */
const ROWS = [
  // Options, memory cache
  ["EdgeCache.memory with an unknown option", () => EdgeCache.memory({ maxEntrie: 1 }), "EDGECACHE_INVALID_OPTIONS", "unknown option \"maxEntrie\" in EdgeCache.memory options; expected one of maxEntries, maxBytes, defaultTtlMs, namespace"],
  ["EdgeCache.memory with options that are not an object", () => EdgeCache.memory(5), "EDGECACHE_INVALID_OPTIONS", "EdgeCache.memory options must be an object, got number"],
  ["EdgeCache.memory with a negative maxEntries", () => EdgeCache.memory({ maxEntries: -1 }), "EDGECACHE_INVALID_OPTIONS", "invalid options: maxEntries must be a positive whole number, got -1"],
  ["EdgeCache.memory with a string maxBytes", () => EdgeCache.memory({ maxBytes: "1" }), "EDGECACHE_INVALID_OPTIONS", "maxBytes must be a number, got string"],
  ["EdgeCache.memory with defaultTtlMs 0", () => EdgeCache.memory({ defaultTtlMs: 0 }), "EDGECACHE_INVALID_OPTIONS", "invalid options: ttlMs must be a positive, finite number of milliseconds, got 0"],
  ["EdgeCache.memory with an empty namespace", () => EdgeCache.memory({ namespace: "" }), "EDGECACHE_INVALID_OPTIONS", "namespace must be a non-empty, well-formed string of at most 256 bytes"],
  // Keys and values
  ["get with an empty key", () => EdgeCache.memory().get(""), "EDGECACHE_INVALID_KEY", "keys must not be empty"],
  ["get with a number key", () => EdgeCache.memory().get(1), "EDGECACHE_INVALID_KEY", "keys must be strings, got number"],
  ["get with a lone surrogate", () => EdgeCache.memory().get("a\ud800"), "EDGECACHE_INVALID_KEY", "keys must be well-formed Unicode (no lone surrogates)"],
  ["get with a 16 KiB + 1 key", () => EdgeCache.memory().get("k".repeat(16385)), "EDGECACHE_INVALID_KEY", "keys must be at most 16384 bytes of UTF-8"],
  ["set with a string value", () => EdgeCache.memory().set("k", "v"), "EDGECACHE_INVALID_VALUE", "values must be Uint8Array, got string"],
  ["set with ttlMs -1", () => EdgeCache.memory().set("k", bytes, { ttlMs: -1 }), "EDGECACHE_INVALID_OPTIONS", "invalid options: ttlMs must be a positive, finite number of milliseconds, got -1"],
  ["set with ttlMs over 100 years", () => EdgeCache.memory().set("k", bytes, { ttlMs: 4e12 }), "EDGECACHE_INVALID_OPTIONS", "invalid options: ttlMs of 4000000000000 is longer than the limit of 100 years"],
  ["set with an unknown write option", () => EdgeCache.memory().set("k", bytes, { ttl: 5 }), "EDGECACHE_INVALID_OPTIONS", "unknown option \"ttl\" in write options; expected one of ttlMs"],
  ["set of an entry over maxBytes", () => EdgeCache.memory({ maxBytes: 100 }).set("k", new Uint8Array(10)), "EDGECACHE_VALUE_TOO_LARGE", "value too large: the entry needs 107 bytes but the cache holds at most 100"],
  ["getMany with a string", () => EdgeCache.memory().getMany("k"), "EDGECACHE_INVALID_KEY", "expected an array of keys, got string"],
  ["setJson of undefined", () => EdgeCache.memory().setJson("k", undefined), "EDGECACHE_INVALID_VALUE", "a value of type undefined has no JSON form"],
  ["setJson of a BigInt", () => EdgeCache.memory().setJson("k", 1n), "EDGECACHE_INVALID_VALUE", "value cannot be encoded as JSON: Do not know how to serialize a BigInt"],
  ["setText of a number", () => EdgeCache.memory().setText("k", 1), "EDGECACHE_INVALID_VALUE", "setText expects a string, got number"],
  ["getOrSet with a loader that is not a function", () => EdgeCache.memory().getOrSet("k", 5), "EDGECACHE_INVALID_OPTIONS", "getOrSet expects a loader function, got number"],
  [
    "getText of bytes that are not UTF-8",
    async () => {
      const c = EdgeCache.memory();
      await c.set("k", new Uint8Array([0xff]));
      return c.getText("k");
    },
    "EDGECACHE_DECODE", "the value under \"k\" is not valid UTF-8"],
  [
    "getJson of bytes that are not JSON",
    async () => {
      const c = EdgeCache.memory();
      await c.setText("k", "{");
      return c.getJson("k");
    },
    "EDGECACHE_DECODE", "the value under \"k\" is not JSON"],
  // Browser-only and Workers-only stores from Node
  ["EdgeCache.indexedDb in Node", () => EdgeCache.indexedDb(), "EDGECACHE_UNAVAILABLE", "storage unavailable: IndexedDB is not available in this runtime (there is no indexedDB global)"],
  // KV
  ["EdgeCache.kv with no binding", () => EdgeCache.kv(undefined), "EDGECACHE_INVALID_OPTIONS", "invalid options: the KV binding must be an object with get, put, delete and list methods (a Workers KV namespace, or any object of its shape), got undefined"],
  ["EdgeCache.kv with a binding missing put", () => EdgeCache.kv({ get() {} }), "EDGECACHE_INVALID_OPTIONS", "invalid options: the KV binding has no callable `put` method: it must have get, put, delete and list (a Workers KV namespace, or any object of its shape)"],
  ["a KV key over 512 bytes", () => EdgeCache.kv(kvDouble()).get("k".repeat(600)), "EDGECACHE_INVALID_KEY", "invalid key: key is 603 bytes in Workers KV with its namespace encoding (\"0::\"); the limit is 512 bytes (UTF-8)"],
  ["a KV binding that rejects", () => EdgeCache.kv(failingKv).get("k"), "EDGECACHE_BACKEND", "backend failure: KV get of \"0::k\": KV GET failed: 503"],
  ["stats() of a bare KV cache", () => EdgeCache.kv(kvDouble()).stats(), "EDGECACHE_UNSUPPORTED", "unsupported operation: Workers KV cannot report one cache's entries or bytes; give the cache a memory tier for stats"],
  ["EdgeCache.kv with a memory tier of 0 entries", () => EdgeCache.kv(kvDouble(), { memory: { maxEntries: 0 } }), "EDGECACHE_INVALID_OPTIONS", "invalid options: memory.maxEntries must be a positive whole number, got 0"],
  // D1 and R2 bindings
  ["EdgeCache.d1 with no binding", () => EdgeCache.d1(undefined), "EDGECACHE_INVALID_OPTIONS", "invalid options: the D1 binding must be a D1 database (env.DB: an object with prepare and batch methods), got undefined"],
  ["EdgeCache.d1 with a bad table name", () => EdgeCache.d1({ prepare() {}, batch() {} }, { table: "1bad" }), "EDGECACHE_INVALID_OPTIONS", "invalid options: table name \"1bad\" starts with a digit: use 1-64 ASCII letters, digits and underscores, not starting with a digit"],
  ["EdgeCache.r2 with no binding", () => EdgeCache.r2(undefined), "EDGECACHE_INVALID_OPTIONS", "invalid options: the R2 binding must be an object with get, head, put, delete and list methods (an R2 bucket binding, or any object of its shape), got undefined"],
  ["EdgeCache.r2 with a prefix not ending in /", () => EdgeCache.r2({ get() {}, put() {}, head() {}, delete() {}, list() {} }, { prefix: "cache" }), "EDGECACHE_INVALID_OPTIONS", "invalid options: the R2 key prefix must end in '/' and contain no ':' (so caches under different prefixes never share an object), got \"cache\""],
  // Redis
  ["EdgeCache.redis with no connect", () => EdgeCache.redis({}), "EDGECACHE_INVALID_OPTIONS", "EdgeCache.redis needs connect: a redis:// URL, \"host:port\", { hostname, port } or a function"],
  ["EdgeCache.redis with a database number", () => EdgeCache.redis({ connect: "redis://127.0.0.1/1" }), "EDGECACHE_INVALID_OPTIONS", "connect: database selection is not supported (use namespaces), got \"/1\""],
  ["EdgeCache.redis with a tls option that is not true, false or { ca }", () => EdgeCache.redis({ connect: "redis://127.0.0.1", tls: "yes" }), "EDGECACHE_INVALID_OPTIONS", "tls must be true, false or { ca }, got string"],
  ["EdgeCache.redis with port 0", () => EdgeCache.redis({ connect: "127.0.0.1:0" }), "EDGECACHE_INVALID_OPTIONS", "connect: port must be an integer from 1 to 65535, got number"],
  ["a Redis server that refuses connections", () => EdgeCache.redis({ connect: "redis://127.0.0.1:1" }).get("k"), "EDGECACHE_UNAVAILABLE", "storage unavailable: cannot connect to Redis: connect ECONNREFUSED 127.0.0.1:1"],
  [
    "a connect function that throws",
    () =>
      EdgeCache.redis({
        connect: () => {
          throw new Error("no route to host");
        },
      }).get("k"),
    "EDGECACHE_UNAVAILABLE", "storage unavailable: cannot connect to Redis: the connect function: no route to host"],
  ["a Redis server that never replies (replyTimeoutMs 100)", () => redisOn(() => {}, { replyTimeoutMs: 100 }), "EDGECACHE_UNAVAILABLE", "storage unavailable: Redis connection dropped: no reply within 100 ms"],
  ["a Redis server that hangs up on a command", () => redisOn((socket) => socket.once("data", () => socket.destroy())), "EDGECACHE_UNAVAILABLE", "storage unavailable: the Redis server closed the connection before replying"],
  ["a server that is not Redis", () => redisOn((socket) => socket.once("data", () => socket.write("HTTP/1.1 400 Bad Request\r\n\r\n"))), "EDGECACHE_BACKEND", "backend failure: invalid reply from the Redis server: unknown type byte 'H'"],
  ["a connect function that returns no socket", () => EdgeCache.redis({ connect: () => ({}) }).get("k"), "EDGECACHE_UNAVAILABLE", "storage unavailable: cannot connect to Redis: the connect function must return a socket with readable and writable streams, got object"],
  // ResponseCache
  ["new ResponseCache without a cache", () => new ResponseCache({}), "EDGECACHE_INVALID_OPTIONS", "ResponseCache needs an EdgeCache to store responses in"],
  ["new ResponseCache with shared: \"false\"", () => new ResponseCache(EdgeCache.memory(), { shared: "false" }), "EDGECACHE_INVALID_OPTIONS", "shared must be a boolean, got string"],
  ["new ResponseCache with timeoutMs -1", () => new ResponseCache(EdgeCache.memory(), { timeoutMs: -1 }), "EDGECACHE_INVALID_OPTIONS", "timeoutMs must be an integer from 0 to 600000"],
  ["ResponseCache.fetch of a relative URL", () => new ResponseCache(EdgeCache.memory()).fetch("/page"), "EDGECACHE_INVALID_KEY", "expected a Request or an absolute URL: Failed to parse URL from /page"],
  ["ResponseCache.fetch with a fetcher resolving to a string", () => new ResponseCache(EdgeCache.memory(), { fetcher: async () => "hi" }).fetch("https://a.example/"), "EDGECACHE_INVALID_VALUE", "the fetcher's result must be a Response, got string"],
];

async function outcome(call) {
  try {
    await call();
  } catch (error) {
    return error;
  }
  return undefined;
}

// Messages print as a table: `node tests/js/error-messages.test.mjs --print`.
if (process.argv.includes("--print")) {
  for (const [what, call] of ROWS) {
    const e = await outcome(call);
    console.log(JSON.stringify([what, e?.code, e?.message]));
  }
  process.exit(0);
}

/** The rules every message follows; returns what is wrong, or undefined. */
function fault(message) {
  if (typeof message !== "string" || message.length === 0) return "no message";
  if (/\n/.test(message)) return "more than one line";
  if (/\b\w*Error: /.test(message)) return "an error's name quoted inside (nesting)";
  if (/\bat .*\(.*:\d+:\d+\)/.test(message)) return "a stack frame";
  if (/\[object \w+\]|\bundefined: |: undefined$/.test(message)) return "an internal value";
  // Each thing once: no ": "-separated part repeats the start (three words)
  // of an earlier one, so "cannot connect to Redis: cannot connect to Redis
  // at …" or "invalid options: invalid options: …" fail.
  const starts = message.split(": ").map((part) => part.toLowerCase().split(/\s+/).slice(0, 3).join(" "));
  const repeated = starts.find((start, i) => starts.indexOf(start) !== i);
  if (repeated !== undefined) return `"${repeated}" said twice`;
  return undefined;
}

describe("every EdgeCacheError message a user can trigger (Node)", () => {
  it("the rules catch what they are meant to", () => {
    assert.ok(fault("storage unavailable: cannot connect to Redis: cannot connect to Redis: EdgeCacheError: x"));
    assert.ok(fault("invalid options: invalid options: x"));
    assert.ok(fault("backend failure: TypeError: x is not a function"));
    assert.equal(fault("storage unavailable: cannot connect to Redis: connect ECONNREFUSED 127.0.0.1:1"), undefined);
  });

  for (const [what, call, code, message] of ROWS) {
    it(`${what}: ${code}`, async () => {
      const error = await outcome(call);
      assert.ok(error instanceof Error, `expected an Error, got ${error}`);
      assert.equal(error.name, "EdgeCacheError");
      assert.equal(error.code, code);
      assert.equal(error.message, message);
      assert.equal(fault(error.message), undefined, `${fault(error.message)}: ${error.message}`);
    });
  }
});
