// EdgeCache.redis against bare RESP clients on the same redis-server, in the
// same run, in Node (node:net) and in workerd (Miniflare, cloudflare:sockets):
//
//   get p50       one awaited 1 KiB get at a time; the peer is a bare `GET`
//                 over its own socket (write the command, read the reply
//                 whole: no key encoding, no record check, no wasm)
//   1,000 gets    Promise.all of 1,000 gets of 1 KiB values; the peer is a
//                 bare pipelined client (1,000 `GET`s in one write, replies
//                 read in order, each value a view into the socket's chunk).
//                 A second reference, the same client giving each value an
//                 ArrayBuffer of its own (a copy), does what EdgeCache must:
//                 its values never share a buffer (tests/js/redis.test.mjs),
//                 and in Node allocating an ArrayBuffer costs about as much
//                 as the bare client's whole per-value time
//
// and, where Debian's redis-tools is installed, `redis-benchmark -P 16 -t get
// -d 1024` as a second reference for throughput. Ratios are ours / peer for
// latency (lower is better, target <= 1.2x) and ours / peer for throughput
// (higher is better, target >= 0.8x).
//
// Usage: bash scripts/build.sh && node benches/redis.mjs [--quick] [--json out.json]
// (RUNTIMES=node or RUNTIMES=workerd measures one of them.)
// Not a test: it asserts nothing and prints a markdown table.

import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import net from "node:net";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { bundleWorkers, root, startMiniflare, workerOptions } from "../tests/workers/harness.mjs";
import { startRedis } from "../tests/support/redis-server.mjs";

const quick = process.argv.includes("--quick");
const jsonOut = process.argv.includes("--json") ? process.argv[process.argv.indexOf("--json") + 1] : undefined;
const pkgDir = process.env.EDGECACHE_PKG
  ? pathToFileURL(`${resolve(process.env.EDGECACHE_PKG)}/`)
  : new URL("../pkg/", import.meta.url);
const { EdgeCache } = await import(new URL("node.js", pkgDir).href);

const VALUE = new Uint8Array(1024).fill(7);
const CONCURRENT = 1_000;
const SINGLE_OPS = quick ? 1_000 : 5_000;
const ROUNDS = quick ? 10 : 40;
const RUNTIMES = process.env.RUNTIMES?.split(",") ?? ["node", "workerd"];

const median = (values) => values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)];
const us = (v) => `${v.toFixed(1)} µs`;
const stored = (key) => `5:bench:${key}`;

/** A bare RESP client over one node:net socket: GETs, pipelined or not. */
class BareClient {
  #socket;
  #buffer = Buffer.alloc(0);
  #want = 0;
  #replies = [];
  #done = null;
  #copy = false;

  static async open(port) {
    const socket = net.connect({ host: "127.0.0.1", port });
    await new Promise((ok, fail) => socket.once("connect", ok).once("error", fail));
    socket.setNoDelay(true);
    return new BareClient(socket);
  }

  constructor(socket) {
    this.#socket = socket;
    socket.on("data", (chunk) => {
      this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
      this.#parse();
    });
  }

  // Bulk-string replies only ($<len>\r\n<bytes>\r\n or $-1\r\n).
  #parse() {
    let at = 0;
    while (this.#replies.length < this.#want) {
      const end = this.#buffer.indexOf(13, at);
      if (end < 0) break;
      const length = Number(this.#buffer.toString("latin1", at + 1, end));
      if (length < 0) {
        this.#replies.push(null);
        at = end + 2;
        continue;
      }
      if (this.#buffer.length < end + 2 + length + 2) break;
      const value = this.#buffer.subarray(end + 2, end + 2 + length);
      this.#replies.push(this.#copy ? new Uint8Array(value) : value);
      at = end + 2 + length + 2;
    }
    this.#buffer = this.#buffer.subarray(at);
    if (this.#replies.length === this.#want && this.#done) {
      const done = this.#done;
      this.#done = null;
      done(this.#replies);
    }
  }

  /**
   * Sends all `keys` as GETs in one write; resolves to their values: views
   * into the received chunks, or with `copy`, each in its own ArrayBuffer.
   */
  gets(keys, { copy = false } = {}) {
    const command = keys.map((k) => `*2\r\n$3\r\nGET\r\n$${Buffer.byteLength(k)}\r\n${k}\r\n`).join("");
    return new Promise((done) => {
      this.#want = keys.length;
      this.#copy = copy;
      this.#replies = [];
      this.#done = done;
      this.#socket.write(command);
    });
  }

  close() {
    this.#socket.destroy();
  }
}

/** redis-benchmark's GET requests per second with `-P 16`, or undefined without redis-tools. */
function redisBenchmark(port) {
  const run = spawnSync(
    "redis-benchmark",
    ["-h", "127.0.0.1", "-p", String(port), "-t", "get", "-P", "16", "-d", "1024", "-n", quick ? "50000" : "200000", "-q", "-c", "1"],
    { encoding: "utf8" },
  );
  if (run.error) return undefined;
  const m = /GET: ([\d.]+) requests per second/.exec(run.stdout);
  return m ? Number(m[1]) : undefined;
}

async function measureNode(port) {
  const cache = EdgeCache.redis({ connect: `redis://127.0.0.1:${port}`, namespace: "bench" });
  const keys = Array.from({ length: CONCURRENT }, (_, i) => `k${i}`);
  await Promise.all(keys.map((k) => cache.set(k, VALUE)));
  const bare = await BareClient.open(port);
  const storedKeys = keys.map(stored);

  // Single gets, interleaved in blocks so drift hits both alike.
  const ours = [];
  const peer = [];
  // Warm-up, interleaved as measured: V8 tiers our get up (its JavaScript
  // and its wasm) over the first few thousand calls, the bare client's much
  // sooner. Measured from the start, the first 1,000 pairs put ours at
  // 1.6-1.7x the bare GET and the ratio settles after about 4,000 (segments
  // of 500 pairs, two runs): 5,000 pairs of warm-up measure the steady state
  // a long-running server sees.
  for (let i = 0; i < (quick ? 1_000 : 5_000); i++) await cache.get("k0"), await bare.gets([stored("k0")]);
  for (let block = 0; block < SINGLE_OPS / 100; block++) {
    for (let i = 0; i < 100; i++) {
      const t0 = performance.now();
      const v = await cache.get("k0");
      ours.push((performance.now() - t0) * 1000);
      if (v?.length !== VALUE.length) throw new Error("ours lost k0");
    }
    for (let i = 0; i < 100; i++) {
      const t0 = performance.now();
      const [v] = await bare.gets([stored("k0")]);
      peer.push((performance.now() - t0) * 1000);
      if (v?.length !== VALUE.length + 11) throw new Error("bare lost k0"); // + the record header
    }
  }

  // 1,000 concurrent gets, rounds interleaved, in rotating order (the
  // garbage one leaves lands on whichever runs next).
  const concurrent = [
    {
      ms: [],
      run: async () => {
        const values = await Promise.all(keys.map((k) => cache.get(k)));
        if (values.some((v) => v?.length !== VALUE.length)) throw new Error("ours lost a key");
      },
    },
    {
      ms: [],
      run: async () => {
        const raw = await bare.gets(storedKeys);
        if (raw.length !== CONCURRENT || raw.some((v) => !(v?.length >= VALUE.length))) throw new Error("bare lost a key");
      },
    },
    {
      ms: [],
      run: async () => {
        const copied = await bare.gets(storedKeys, { copy: true });
        if (copied.some((v) => v.buffer.byteLength !== v.length)) throw new Error("bare shared a buffer");
      },
    },
  ];
  for (let round = -3; round < ROUNDS; round++) {
    for (let j = 0; j < concurrent.length; j++) {
      const client = concurrent[(round + 3 + j) % concurrent.length];
      const t0 = performance.now();
      await client.run();
      if (round >= 0) client.ms.push(performance.now() - t0);
    }
  }
  const [oursMs, peerMs, copiedMs] = concurrent.map((c) => c.ms);
  bare.close();
  await cache.clear();
  cache.close();
  return {
    getP50: median(ours),
    bareGetP50: median(peer),
    concurrentMs: median(oursMs),
    barePipelinedMs: median(peerMs),
    bareCopiedMs: median(copiedMs),
  };
}

async function measureWorkerd(port) {
  const scripts = await bundleWorkers("bench-redis", { "bench.js": join(root, "benches/backends-worker.js") });
  const mf = await startMiniflare(workerOptions(scripts["bench.js"], { bindings: { REDIS_PORT: String(port) } }));
  try {
    // performance.now() in workerd has 1 ms resolution, so a window must be
    // long for its average to mean anything: 1,000 gets (about 40 ms) put
    // the clock's step at 2-3% of a window, where windows of 50 gets (2 ms)
    // could only give multiples of 20 µs. The first request warms V8 up
    // (the cache is new in each request: sockets belong to one).
    const query = `concurrent=${CONCURRENT}&rounds=${ROUNDS}&windows=${quick ? 6 : 20}&ops=1000&reps=5`;
    await mf.dispatchFetch(`http://bench/redis?concurrent=${CONCURRENT}&rounds=2&windows=${quick ? 1 : 3}&ops=1000&reps=5`); // warm-up
    const response = await mf.dispatchFetch(`http://bench/redis?${query}`);
    const body = await response.text();
    if (response.status !== 200) throw new Error(`workerd: ${response.status} ${body.slice(0, 500)}`);
    return JSON.parse(body);
  } finally {
    await mf.dispose();
  }
}

const redis = await startRedis();
const results = {};
try {
  if (RUNTIMES.includes("node")) results.node = await measureNode(redis.port);
  if (RUNTIMES.includes("workerd")) results.workerd = await measureWorkerd(redis.port);
  results.redisBenchmarkRps = redisBenchmark(redis.port);
} finally {
  await redis.stop();
}

const rps = (ms) => (CONCURRENT / ms) * 1000;
const rows = [
  ["runtime", "get p50", "bare GET p50 (peer)", "get / bare", `${CONCURRENT} concurrent gets`, "bare pipelined (peer)", "throughput vs bare", "bare, values copied", "vs copied", "vs redis-benchmark -P 16"],
  ["---", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:"],
];
for (const [name, r] of Object.entries({ "Node (node:net)": results.node, "workerd (Miniflare)": results.workerd })) {
  if (r === undefined) continue;
  const ours = rps(r.concurrentMs);
  rows.push([
    name,
    us(r.getP50),
    us(r.bareGetP50),
    `${(r.getP50 / r.bareGetP50).toFixed(2)}×`,
    `${r.concurrentMs.toFixed(2)} ms (${Math.round(ours).toLocaleString("en")} gets/s)`,
    `${r.barePipelinedMs.toFixed(2)} ms (${Math.round(rps(r.barePipelinedMs)).toLocaleString("en")} gets/s)`,
    `${(r.barePipelinedMs / r.concurrentMs).toFixed(2)}×`,
    `${r.bareCopiedMs.toFixed(2)} ms`,
    `${(r.bareCopiedMs / r.concurrentMs).toFixed(2)}×`,
    results.redisBenchmarkRps ? `${(ours / results.redisBenchmarkRps).toFixed(2)}×` : "–",
  ]);
}
console.log(`EdgeCache.redis vs bare RESP clients, same redis-server, same run; 1 KiB values\n`);
console.log(rows.map((r) => `| ${r.join(" | ")} |`).join("\n"));
console.log(
  results.redisBenchmarkRps
    ? `\nredis-benchmark -P 16 -t get -d 1024 -c 1: ${Math.round(results.redisBenchmarkRps).toLocaleString("en")} GETs/s`
    : "\n(redis-benchmark not installed: no second reference)",
);
console.log("workerd times are window averages (performance.now() there has 1 ms resolution and advances on I/O).");
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(results, null, 2));
