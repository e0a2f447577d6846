// EdgeCache.memcached against a bare meta-protocol client on the same
// memcached, in the same run, in Node (node:net):
//
//   get p50       one awaited 1 KiB get at a time; the peer is a bare
//                 `mg <key> v` over its own socket (write the command, read
//                 the reply whole: no key encoding, no generation check, no
//                 record check, no wasm)
//   1,000 gets    Promise.all of 1,000 gets of 1 KiB values; the peer is a
//                 bare pipelined client (1,000 `mg`s in one write, replies
//                 read in order)
//
// Usage: bash scripts/build.sh && node benches/memcached.mjs [--quick] [--json out.json]
// Not a test: it asserts nothing and prints a markdown table.

import { writeFileSync } from "node:fs";
import net from "node:net";
import { performance } from "node:perf_hooks";
import { EdgeCache } from "../pkg/node.js";
import { startMemcached } from "../tests/support/memcached-server.mjs";

const quick = process.argv.includes("--quick");
const jsonOut = process.argv.includes("--json") ? process.argv[process.argv.indexOf("--json") + 1] : undefined;
const VALUE = new Uint8Array(1024).fill(7);
const CONCURRENT = 1_000;
const SINGLE_OPS = quick ? 1_000 : 5_000;
const ROUNDS = quick ? 10 : 40;

const median = (values) => values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)];
const us = (v) => `${v.toFixed(1)} µs`;

/** A bare meta-protocol client over one node:net socket: `mg`s, pipelined or not. */
class BareClient {
  #socket;
  #buffer = Buffer.alloc(0);
  #want = 0;
  #replies = [];
  #done = null;

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

  // `VA <size> ...\r\n<data>\r\n` or `EN\r\n`.
  #parse() {
    let at = 0;
    while (this.#replies.length < this.#want) {
      const end = this.#buffer.indexOf(13, at);
      if (end < 0) break;
      if (this.#buffer[at] === 69 /* E */) {
        this.#replies.push(null);
        at = end + 2;
        continue;
      }
      const length = Number(this.#buffer.toString("latin1", at + 3, end).split(" ")[0]);
      if (this.#buffer.length < end + 2 + length + 2) break;
      this.#replies.push(this.#buffer.subarray(end + 2, end + 2 + length));
      at = end + 2 + length + 2;
    }
    this.#buffer = this.#buffer.subarray(at);
    if (this.#replies.length === this.#want && this.#done) {
      const done = this.#done;
      this.#done = null;
      done(this.#replies);
    }
  }

  /** Sends `mg <key> v` for every key in one write; resolves to the values. */
  gets(keys) {
    const command = keys.map((k) => `mg ${k} v\r\n`).join("");
    return new Promise((done) => {
      this.#want = keys.length;
      this.#replies = [];
      this.#done = done;
      this.#socket.write(command);
    });
  }

  close() {
    this.#socket.destroy();
  }
}

const server = await startMemcached();
let result;
try {
  const cache = EdgeCache.memcached({ connect: `memcached://127.0.0.1:${server.port}`, namespace: "bench" });
  const keys = Array.from({ length: CONCURRENT }, (_, i) => `k${i}`);
  await Promise.all(keys.map((k) => cache.set(k, VALUE)));
  const bare = await BareClient.open(server.port);
  const [generation] = await bare.gets(["g:5:bench:"]);
  const stored = (key) => `${generation.toString()}:5:bench:${key}`;
  const storedKeys = keys.map(stored);

  // Single gets, interleaved in blocks so drift hits both alike.
  const ours = [];
  const peer = [];
  for (let i = 0; i < 200; i++) await cache.get("k0"), await bare.gets([stored("k0")]); // warm-up
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

  // 1,000 concurrent gets, rounds interleaved.
  const oursMs = [];
  const peerMs = [];
  for (let round = -3; round < ROUNDS; round++) {
    let t0 = performance.now();
    const values = await Promise.all(keys.map((k) => cache.get(k)));
    const a = performance.now() - t0;
    if (values.some((v) => v?.length !== VALUE.length)) throw new Error("ours lost a key");
    t0 = performance.now();
    const raw = await bare.gets(storedKeys);
    const b = performance.now() - t0;
    if (raw.some((v) => !(v?.length >= VALUE.length))) throw new Error("bare lost a key");
    if (round >= 0) oursMs.push(a), peerMs.push(b);
  }
  bare.close();
  cache.close();
  result = { getP50: median(ours), bareGetP50: median(peer), concurrentMs: median(oursMs), barePipelinedMs: median(peerMs) };
} finally {
  await server.stop();
}

const rps = (ms) => (CONCURRENT / ms) * 1000;
console.log(`EdgeCache.memcached vs a bare meta client, Node (node:net), 1 KiB values, loopback memcached\n`);
console.log(
  [
    ["get p50", "bare mg p50 (peer)", "get / bare", `${CONCURRENT} concurrent gets`, "bare pipelined (peer)", "throughput vs bare"],
    ["---:", "---:", "---:", "---:", "---:", "---:"],
    [
      us(result.getP50),
      us(result.bareGetP50),
      `${(result.getP50 / result.bareGetP50).toFixed(2)}×`,
      `${result.concurrentMs.toFixed(2)} ms (${Math.round(rps(result.concurrentMs)).toLocaleString("en")}/s)`,
      `${result.barePipelinedMs.toFixed(2)} ms`,
      `${(result.barePipelinedMs / result.concurrentMs).toFixed(2)}×`,
    ],
  ]
    .map((r) => `| ${r.join(" | ")} |`)
    .join("\n"),
);
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(result, null, 2));
