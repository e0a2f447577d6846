// EdgeCache.memcached inside workerd (Miniflare 4): the package bundled like
// wrangler, TCP through `cloudflare:sockets` connect() to a real memcached on
// loopback, started here on a free port and stopped after.
//
// Run: node --test --test-concurrency=1 tests/workers/   (after scripts/build.sh)

import { after, before } from "node:test";
import { join } from "node:path";
import { bundleWorkers, describeCases, root } from "./harness.mjs";
import { freePort, startMemcached } from "../support/memcached-server.mjs";

const scripts = await bundleWorkers("workers-memcached", {
  "memcached-worker.js": join(root, "tests/workers/memcached-worker.js"),
  "checks.js": join(root, "tests/workers/checks.js"),
});

const CASES = [
  ["roundtrip", "binary, empty, unicode-keyed, long-keyed and 900 KiB values, has, delete, mn; over the item size is EDGECACHE_VALUE_TOO_LARGE"],
  ["ttl-exact", "a 120 ms TTL and a 250 ms default TTL expire on time"],
  ["many-and-clear", "getMany/deleteMany of 1,200 keys in order; clear() empties only its namespace, for every connection"],
  ["stampede", "getOrSet: 50 concurrent callers across two caches run the loader once"],
  ["tiered", "with a memory tier, hot reads never reach memcached and misses read through"],
  ["down", "a server that is down is EDGECACHE_UNAVAILABLE on every call, within the connect timeout"],
  ["across-requests-1", "a module-scope cache connects in one request"],
  ["across-requests-2", "and keeps working in the next request (workerd ties sockets to requests)"],
];

let server;
before(async () => {
  server = await startMemcached();
});
after(async () => {
  await server?.stop();
});

describeCases(
  "memcached from a worker in workerd (test worker, one route per case)",
  scripts["memcached-worker.js"],
  async () => ({
    bindings: { MEMCACHED_PORT: String(server.port), DOWN_PORT: String(await freePort()) },
  }),
  CASES,
);
