// edgecache's D1 backend in Cloudflare Workers, as users run it: pkg/ packed
// with `npm pack`, installed into a fixture, bundled like wrangler and run in
// Miniflare 4 with a real (local) D1 database. tests/workers/d1-worker.js has
// one route per case (`GET /case/<name>` runs it inside workerd and answers
// { ok, details }); this file loops over the case names.
//
// Run: node --test --test-concurrency=1 tests/workers/d1.test.mjs   (after scripts/build.sh)

import { join } from "node:path";
import { bundleWorkers, describeCases, root } from "./harness.mjs";

const scripts = await bundleWorkers("workers-d1", {
  "d1-worker.js": join(root, "tests/workers/d1-worker.js"),
  "checks.js": join(root, "tests/workers/checks.js"),
});

// Case name in d1-worker.js → what it shows.
const D1_CASES = [
  ["set-get-ttl", "set/get/has/delete, binary and JSON values, and 1.5 s TTLs (given and default) that expire on time"],
  ["getmany-deletemany", "getMany of 251 keys and deleteMany of 200 are one D1 batch of 3 statements each, in order, with misses and repeats"],
  ["clear-namespace", "clear() empties its own namespace only (a + b:c never meets a:b + c)"],
  ["table-created-once", "EdgeCache.d1 creates the table and its expiry index once per binding and table; BLOBs come back as byte arrays"],
  ["tiered-hot-reads", "a memory tier answers repeated reads: 100 reads cost 1 D1 read (0 after a local write)"],
  ["bad-options-and-failures", "bad bindings, table names and options are EDGECACHE_INVALID_OPTIONS; 2,000,000-byte rows work and larger ones are EDGECACHE_VALUE_TOO_LARGE before any call; D1 failures are EDGECACHE_BACKEND"],
  ["purge-expired", "purgeExpired deletes at most maxRows expired rows per call and spares live ones; reads never delete"],
];

describeCases(
  "D1 backend inside workerd (test worker, one route per case)",
  scripts["d1-worker.js"],
  () => ({ d1Databases: ["DB"] }),
  D1_CASES,
);
