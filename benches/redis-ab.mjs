// Two builds of the package against each other on EdgeCache.redis gets, in
// one Node process and against one redis-server, so the machine's drift
// between runs cancels out: 20 rounds alternating which build goes first,
// each round 1,000 sequential 1 KiB gets and one Promise.all of 1,000
// gets; medians. How benches/README.md measured each change to the Redis
// get path (the ratios are new / base: below 1 is faster).
//
// Usage: node benches/redis-ab.mjs BASE_PKG_DIR [NEW_PKG_DIR (default pkg/)]
// (Build the base with scripts/build.sh in a worktree of the older commit.)
// Not a test: it asserts nothing.

import { resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { startRedis } from "../tests/support/redis-server.mjs";

const [baseDir, newDir = new URL("../pkg/", import.meta.url).pathname] = process.argv.slice(2);
if (baseDir === undefined) {
  console.error("usage: node benches/redis-ab.mjs BASE_PKG_DIR [NEW_PKG_DIR]");
  process.exit(2);
}
const load = async (dir) => (await import(pathToFileURL(`${resolve(dir)}/node.js`).href)).EdgeCache;
const builds = { base: await load(baseDir), new: await load(newDir) };

const ROUNDS = 20;
const N = 1_000;
const value = new Uint8Array(1024).fill(7);
const median = (values) => values.toSorted((a, b) => a - b)[values.length >> 1];

const server = await startRedis();
try {
  const caches = {};
  for (const [name, EdgeCache] of Object.entries(builds)) {
    const cache = EdgeCache.redis({ connect: `127.0.0.1:${server.port}`, namespace: name });
    for (let i = 0; i < N; i++) await cache.set(`k${i}`, value);
    caches[name] = cache;
  }
  const sequential = { base: [], new: [] };
  const concurrent = { base: [], new: [] };
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? ["base", "new"] : ["new", "base"];
    for (const name of order) {
      const cache = caches[name];
      let started = performance.now();
      for (let i = 0; i < N; i++) await cache.get("k0");
      sequential[name].push(((performance.now() - started) * 1000) / N);
      started = performance.now();
      await Promise.all(Array.from({ length: N }, (_, i) => cache.get(`k${i}`)));
      concurrent[name].push(performance.now() - started);
    }
  }
  console.log("| build | sequential get (µs) | 1,000 concurrent gets (ms) |\n| --- | ---: | ---: |");
  for (const name of ["base", "new"]) {
    console.log(`| ${name} | ${median(sequential[name]).toFixed(1)} | ${median(concurrent[name]).toFixed(2)} |`);
  }
  const ratio = (m) => (median(m.new) / median(m.base)).toFixed(3);
  console.log(`\nnew / base: sequential ${ratio(sequential)}, concurrent ${ratio(concurrent)}`);
  for (const cache of Object.values(caches)) cache.close();
} finally {
  await server.stop();
}
