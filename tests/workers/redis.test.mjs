// EdgeCache.redis inside workerd (Miniflare 4): the package bundled like
// wrangler, TCP through `cloudflare:sockets` connect() to real redis-server
// processes on loopback, started here on free ports and stopped after.
//
// Run: node --test --test-concurrency=1 tests/workers/   (after scripts/build.sh)

import { after, before } from "node:test";
import { join } from "node:path";
import { bundleWorkers, describeCases, root } from "./harness.mjs";
import { freePort, startRedis } from "../support/redis-server.mjs";

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
  ["across-requests-1", "a module-scope cache connects in one request"],
  ["across-requests-2", "and keeps working in the next request (workerd ties sockets to requests)"],
];

let plain;
let auth;
before(async () => {
  plain = await startRedis();
  auth = await startRedis(["--requirepass", "s3cret", "--user", "alice", "on", ">wonder", "~*", "&*", "+@all"]);
});
after(async () => {
  await plain?.stop();
  await auth?.stop();
});

describeCases(
  "Redis from a worker in workerd (test worker, one route per case)",
  scripts["redis-worker.js"],
  async () => ({
    bindings: { REDIS_PORT: String(plain.port), AUTH_PORT: String(auth.port), DOWN_PORT: String(await freePort()) },
  }),
  CASES,
);
