// EdgeCache.redis inside workerd (Miniflare 4): the package bundled like
// wrangler, TCP through `cloudflare:sockets` connect() to real redis-server
// processes on loopback, started here on free ports and stopped after.
//
// Run: node --test --test-concurrency=1 tests/workers/   (after scripts/build.sh)

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { join } from "node:path";
import { bundleWorkers, describeCases, root } from "./harness.mjs";
import { freePort, startRedis, startTlsRedis } from "../support/redis-server.mjs";

const scripts = await bundleWorkers("workers-redis", {
  "redis-worker.js": join(root, "tests/workers/redis-worker.js"),
  "checks.js": join(root, "tests/workers/checks.js"),
});

const CASES = [
  ["roundtrip", "binary, empty and 8 MiB values, has, delete and PING over cloudflare:sockets"],
  ["ttl-exact", "a 120 ms TTL and a 250 ms default TTL expire on time"],
  ["many-and-clear", "getMany/deleteMany of 1,200 keys in order; clear() empties only its namespace"],
  ["tiered", "with a memory tier, hot reads never reach Redis and misses read through"],
  ["auth", "password and ACL user work; wrong or missing credentials are EDGECACHE_AUTH"],
  ["down", "a server that is down is EDGECACHE_UNAVAILABLE on every call, within the connect timeout"],
  ["tls", "rediss:// attempts TLS (secureTransport on); tls.ca is refused; a self-signed certificate is EDGECACHE_UNAVAILABLE"],
  ["across-requests-1", "a module-scope cache connects in one request"],
  ["across-requests-2", "and keeps working in the next request (workerd ties sockets to requests)"],
];

let plain;
let auth;
let tls;
// Records the first bytes of every connection, then closes it.
const sniffed = [];
const sniffer = net.createServer((socket) => {
  socket.once("data", (first) => {
    sniffed.push(first);
    socket.destroy();
  });
  socket.on("error", () => {});
});
before(async () => {
  plain = await startRedis();
  auth = await startRedis(["--requirepass", "s3cret", "--user", "alice", "on", ">wonder", "~*", "&*", "+@all"]);
  tls = await startTlsRedis();
  await new Promise((resolve) => sniffer.listen(0, "127.0.0.1", resolve));
});
after(async () => {
  await plain?.stop();
  await auth?.stop();
  await tls?.stop();
  sniffer.close();
});

describeCases(
  "Redis from a worker in workerd (test worker, one route per case)",
  scripts["redis-worker.js"],
  async () => ({
    bindings: {
      REDIS_PORT: String(plain.port),
      AUTH_PORT: String(auth.port),
      DOWN_PORT: String(await freePort()),
      TLS_PORT: String(tls.port),
      SNIFF_PORT: String(sniffer.address().port),
    },
  }),
  CASES,
);

test("the tls case's rediss:// connection began with a TLS ClientHello (record type 22, version 3.x)", () => {
  assert.ok(sniffed.length > 0, "the sniffing port saw a connection");
  for (const first of sniffed) {
    assert.equal(first[0], 0x16, `a TLS handshake record, got ${first.subarray(0, 8).toString("hex")}`);
    assert.equal(first[1], 0x03);
  }
});
