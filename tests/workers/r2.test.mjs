// The R2 cache (EdgeCache.r2) in Cloudflare Workers, as users run it: pkg/
// packed with `npm pack`, installed into a fixture, bundled like wrangler and
// run in Miniflare 4 with a real (in-memory) R2 bucket. tests/workers/r2-worker.js
// has one route per case (`GET /case/<name>` runs it inside workerd and
// answers { ok, details }); this file loops over the case names.
//
// Run: node --test tests/workers/r2.test.mjs   (after scripts/build.sh)

import { join } from "node:path";
import { bundleWorkers, describeCases, root } from "./harness.mjs";

const scripts = await bundleWorkers("workers-r2", {
  "r2-worker.js": join(root, "tests/workers/r2-worker.js"),
  "checks.js": join(root, "tests/workers/checks.js"),
});

// Case name in r2-worker.js → what it shows.
const R2_CASES = [
  ["ttl-and-layout", "exact TTLs with real time (1.5 s, default TTL): misses on time, objects hold the bare value and { v, expiresAt } customMetadata, expired objects stay until clear()"],
  ["many", "getMany keeps order; deleteMany sends one delete([...]) per 1,000 keys"],
  ["clear-own-prefix", "clear() pages through 1,100 objects in two list pages and spares other namespaces, prefixes, nested prefixes and foreign objects"],
  ["tiered-hot-reads", "the memory tier answers repeated reads (100 reads, 1 R2 get); setStream on a tiered cache leaves no stale memory copy"],
  ["streams", "a 50 MiB stream goes in (length + FixedLengthStream) and out (getStream) byte for byte; Blob, ArrayBuffer, Uint8Array and Response bodies; unknown or wrong lengths are EDGECACHE_BACKEND"],
  ["bad-inputs", "bad bindings, prefixes and options, keys over 1,024 bytes and bad stream bodies are coded errors before any R2 call"],
  ["binding-failures", "R2 throws, rejections and garbage answers are EDGECACHE_BACKEND with R2's message; foreign or garbled objects are misses"],
];

describeCases(
  "EdgeCache.r2 inside workerd (test worker, one route per case)",
  scripts["r2-worker.js"],
  () => ({ r2Buckets: ["BUCKET"], r2Persist: false }),
  R2_CASES,
);
