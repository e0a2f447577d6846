// Latency of every backend from a worker, in one Miniflare run over the
// PACKED package: set and get of a 1 KiB value (p50 / p99 of per-op window
// averages, timed inside workerd), and a hot get through a memory tier in
// front of each persistent backend. Local stores: Miniflare's KV, D1 and R2
// (SQLite and files behind workerd), a redis-server and a memcached on loopback, so the
// figures compare the backends' own costs, not a network.
//
// Usage: bash scripts/build.sh && node benches/backends.mjs [--json out.json]
// Not a test: it asserts nothing and prints a markdown table.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { bundleWorkers, root, startMiniflare, workerOptions } from "../tests/workers/harness.mjs";
import { startRedis } from "../tests/support/redis-server.mjs";
import { startMemcached } from "../tests/support/memcached-server.mjs";

const WINDOWS = Number(process.env.WINDOWS ?? 30);
const BACKENDS = process.env.BACKENDS?.split(",") ?? ["memory", "kv", "d1", "r2", "redis", "memcached"];
const jsonOut = process.argv.includes("--json") ? process.argv[process.argv.indexOf("--json") + 1] : undefined;

const scripts = await bundleWorkers("bench-backends", { "bench.js": join(root, "benches/backends-worker.js") });
const redis = await startRedis();
const memcached = await startMemcached();
const mf = await startMiniflare(
  workerOptions(scripts["bench.js"], {
    kvNamespaces: ["KV"],
    d1Databases: ["DB"],
    r2Buckets: ["BUCKET"],
    bindings: { REDIS_PORT: String(redis.port), MEMCACHED_PORT: String(memcached.port) },
  }),
);

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
const summary = (values) => {
  const sorted = values.toSorted((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
};
const us = (v) => (v === undefined ? "–" : v >= 1000 ? `${(v / 1000).toFixed(2)} ms` : v >= 1 ? `${v.toFixed(1)} µs` : `${v.toFixed(3)} µs`);

const results = {};
try {
  for (const backend of BACKENDS) {
    // Windows long enough for a 1 ms clock: memory and Redis are fast.
    const ops = { memory: 100_000, redis: 50, memcached: 50 }[backend] ?? 10;
    await mf.dispatchFetch(`http://bench/measure?backend=${backend}&windows=3&ops=${ops}&hotOps=200`); // warm-up
    const response = await mf.dispatchFetch(`http://bench/measure?backend=${backend}&windows=${WINDOWS}&ops=${ops}`);
    const body = await response.text();
    if (response.status !== 200) throw new Error(`${backend}: ${response.status} ${body.slice(0, 500)}`);
    const r = JSON.parse(body);
    results[backend] = {
      set: summary(r.set.perOpUs),
      get: summary(r.get.perOpUs),
      raw: r.raw && summary(r.raw.perOpUs),
      hot: r.hot && summary(r.hot.perOpUs),
      frozenWindows: r.set.frozen + r.get.frozen + (r.raw?.frozen ?? 0) + (r.hot?.frozen ?? 0),
    };
  }
} finally {
  await mf.dispose();
  await redis.stop();
  await memcached.stop();
}

const rows = [
  [
    "backend",
    "set p50",
    "get p50",
    "get p99",
    "raw binding get p50 (peer)",
    "get / raw get",
    "hot get through a memory tier, p50",
    "hot get vs raw get",
  ],
  ["---", "---:", "---:", "---:", "---:", "---:", "---:", "---:"],
  ...BACKENDS.map((b) => {
    const r = results[b];
    const overhead = r.raw ? `${(r.get.p50 / r.raw.p50).toFixed(2)}×` : "–";
    const speedup = r.hot && r.raw ? `${(r.raw.p50 / r.hot.p50).toFixed(0)}× faster` : "–";
    return [b, us(r.set.p50), us(r.get.p50), us(r.get.p99), us(r.raw?.p50), overhead, us(r.hot?.p50), speedup];
  }),
];
console.log(`Backends from a worker (Miniflare 4, local stores), 1 KiB values, ${WINDOWS} windows each\n`);
console.log(rows.map((r) => `| ${r.join(" | ")} |`).join("\n"));
const frozen = Object.values(results).reduce((a, r) => a + r.frozenWindows, 0);
if (frozen > 0) console.log(`\n(${frozen} windows read 0 ms and count as 0 µs)`);
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(results, null, 2));
