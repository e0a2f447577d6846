// Two builds of the package against each other on EdgeCache.redis gets,
// against one redis-server, so the machine's drift between runs cancels
// out: 20 rounds alternating which build goes first, each round 1,000
// sequential 1 KiB gets and one Promise.all of 1,000 gets; medians. In Node
// both builds run in this process; with --workerd each build runs in a
// Miniflare worker of its own (benches/redis-ab-worker.js) and a round is
// one request, timed here. How benches/README.md measured each change to
// the Redis get path (the ratios are new / base: below 1 is faster).
//
// Usage: node benches/redis-ab.mjs [--workerd] BASE_PKG_DIR [NEW_PKG_DIR (default pkg/)]
// (Build the base with scripts/build.sh in a worktree of the older commit.)
// Not a test: it asserts nothing.

import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { startRedis } from "../tests/support/redis-server.mjs";

const args = process.argv.slice(2);
const workerd = args.includes("--workerd");
const [baseDir, newDir = new URL("../pkg/", import.meta.url).pathname] = args.filter((a) => a !== "--workerd");
if (baseDir === undefined) {
  console.error("usage: node benches/redis-ab.mjs [--workerd] BASE_PKG_DIR [NEW_PKG_DIR]");
  process.exit(2);
}

const ROUNDS = 20;
const N = 1_000;
const value = new Uint8Array(1024).fill(7);
const median = (values) => values.toSorted((a, b) => a - b)[values.length >> 1];

// Each build as { sequential(), concurrent(), close() }: the first answers
// after N sequential gets, the second after a Promise.all of N.
async function inNode(dir, name, port) {
  const { EdgeCache } = await import(pathToFileURL(`${resolve(dir)}/node.js`).href);
  const cache = EdgeCache.redis({ connect: `127.0.0.1:${port}`, namespace: name });
  for (let i = 0; i < N; i++) await cache.set(`k${i}`, value);
  return {
    async sequential() {
      for (let i = 0; i < N; i++) await cache.get("k0");
    },
    concurrent: () => Promise.all(Array.from({ length: N }, (_, i) => cache.get(`k${i}`))),
    close: () => cache.close(),
  };
}

async function inWorkerd(dir, name, port) {
  const { bundleWorkers, root, startMiniflare, workerOptions } = await import("../tests/workers/harness.mjs");
  const scripts = await bundleWorkers(`bench-redis-ab-${name}`, { "ab.js": join(root, "benches/redis-ab-worker.js") }, { pkg: resolve(dir) });
  const mf = await startMiniflare(workerOptions(scripts["ab.js"], { bindings: { REDIS_PORT: String(port), NAMESPACE: name } }));
  // The values, written with this build's record format.
  const { EdgeCache } = await import(pathToFileURL(`${resolve(dir)}/node.js`).href);
  const writer = EdgeCache.redis({ connect: `127.0.0.1:${port}`, namespace: name });
  for (let i = 0; i < N; i++) await writer.set(`k${i}`, value);
  writer.close();
  const run = async (mode) => {
    const response = await mf.dispatchFetch(`http://bench/?mode=${mode}&n=${N}`);
    const hits = await response.text();
    if (hits !== String(N)) throw new Error(`${name} (workerd): ${response.status} ${hits.slice(0, 300)}`);
  };
  await run("sequential"); // the first request opens the module-scope socket
  return { sequential: () => run("sequential"), concurrent: () => run("concurrent"), close: () => mf.dispose() };
}

const server = await startRedis();
const builds = {};
try {
  const open = workerd ? inWorkerd : inNode;
  builds.base = await open(baseDir, "base", server.port);
  builds.new = await open(newDir, "new", server.port);
  const sequential = { base: [], new: [] };
  const concurrent = { base: [], new: [] };
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? ["base", "new"] : ["new", "base"];
    for (const name of order) {
      let started = performance.now();
      await builds[name].sequential();
      sequential[name].push(((performance.now() - started) * 1000) / N);
      started = performance.now();
      await builds[name].concurrent();
      concurrent[name].push(performance.now() - started);
    }
  }
  console.log(`${workerd ? "workerd (Miniflare)" : "Node"}\n`);
  console.log("| build | sequential get (µs) | 1,000 concurrent gets (ms) |\n| --- | ---: | ---: |");
  for (const name of ["base", "new"]) {
    console.log(`| ${name} | ${median(sequential[name]).toFixed(1)} | ${median(concurrent[name]).toFixed(2)} |`);
  }
  const ratio = (m) => (median(m.new) / median(m.base)).toFixed(3);
  console.log(`\nnew / base: sequential ${ratio(sequential)}, concurrent ${ratio(concurrent)}`);
} finally {
  for (const build of Object.values(builds)) await build.close();
  await server.stop();
}
