// The CPU cost of one awaited EdgeCache.redis get, without the network: the
// platform's TCP is replaced by a fake socket that answers each write with
// the reply of an `MGET` of one 1 KiB value, through `deliver` in a
// microtask (as a real socket's data event would, later), so a get runs all
// of our code (RedisDriver, the glue, the wasm core, tcp.js's reply timeout)
// and none of the kernel's or the server's. On the loaded 2-core machine,
// round trips to a real redis-server move more than a change to our code
// (benches/redis-ab.mjs); this isolates our part.
//
//   node benches/redis-cpu-ab.mjs BASE_PKG_DIR NEW_PKG_DIR
//     both builds in this process, 40 alternating rounds of 20,000 sequential
//     gets; medians, and the median of the per-round ratios (new / base:
//     below 1 is cheaper). Give the base as two directories (a copy) for
//     the null result: one directory twice is one module instance.
//
//   node benches/redis-cpu-ab.mjs --floor PKG_DIR
//     one build against a bare client on the same fake socket (a GET
//     written as a string, the bulk reply parsed in the data event, the
//     value copied into an ArrayBuffer of its own as ours is, one Promise):
//     the CPU a get cannot avoid, and what ours adds to it
//
//   node benches/redis-cpu-ab.mjs --only PKG_DIR N
//     N gets of one build, for instruction counts (the difference of two N,
//     divided by their difference):
//     valgrind --tool=callgrind --smc-check=all --callgrind-out-file=/dev/null \
//       node --single-threaded benches/redis-cpu-ab.mjs --only pkg 2000
//
// Not a test: it asserts nothing but that the fake answers.

import { resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";

const ROUNDS = 40;
const N = 20_000;

// The stored record: magic, version, no expiry flag, expiry 0, the value.
const value = new Uint8Array(1024).fill(7);
const record = new Uint8Array(11 + value.length);
record.set([0xec, 1, 0]);
record.set(value, 11);
const head = new TextEncoder().encode(`*1\r\n$${record.length}\r\n`);
const reply = new Uint8Array(head.length + record.length + 2);
reply.set(head);
reply.set(record, head.length);
reply.set([13, 10], head.length + record.length);

// A cache of the build in `dir` over the fake socket, after a warm-up.
async function open(dir, name) {
  const base = pathToFileURL(`${resolve(dir)}/`).href;
  const { registerTcp } = await import(`${base}tcp.js`);
  const { EdgeCache } = await import(`${base}node.js`);
  registerTcp(async (_target, _signal, deliver) => {
    const pending = [];
    let waiting = false;
    return {
      write() {
        queueMicrotask(() => {
          const chunk = Buffer.from(reply); // a fresh buffer, as a socket's
          if (waiting) {
            waiting = false;
            deliver(chunk);
          } else pending.push(chunk);
        });
        return undefined;
      },
      read() {
        if (pending.length > 0) return pending.shift();
        waiting = true;
        return undefined;
      },
      close() {},
    };
  });
  const cache = EdgeCache.redis({ connect: "127.0.0.1:6379", namespace: name });
  for (let i = 0; i < 3_000; i++) {
    if ((await cache.get("k0"))?.length !== value.length) throw new Error(`${dir}: the fake socket's value did not come back`);
  }
  return cache;
}

async function gets(cache, n) {
  for (let i = 0; i < n; i++) await cache.get("k0");
}

// A bare RESP client's get over the same kind of fake socket: the reply
// (a GET's bulk string of the same record) comes in a microtask, as a fresh
// Buffer; the value is copied out of it, as EdgeCache's values are.
function bareFloor() {
  const bulk = Buffer.concat([Buffer.from(`$${record.length}\r\n`), record, Buffer.from("\r\n")]);
  const waiting = [];
  const data = (chunk) => {
    const end = chunk.indexOf(13);
    const length = Number(chunk.toString("latin1", 1, end));
    waiting.shift()(new Uint8Array(chunk.subarray(end + 2, end + 2 + length)));
  };
  const socket = { write: () => queueMicrotask(() => data(Buffer.from(bulk))) };
  const get = (key) =>
    new Promise((resolve) => {
      waiting.push(resolve);
      socket.write(`*2\r\n$3\r\nGET\r\n$${key.length}\r\n${key}\r\n`);
    });
  return {
    async get(key) {
      const v = await get(key);
      if (v.length !== record.length) throw new Error("the bare client lost its value");
      return v;
    },
  };
}

// Alternating rounds of N sequential gets on each of two caches; prints the
// medians and the median of the per-round ratios (second / first).
async function compare([firstName, first], [secondName, second]) {
  const builds = { [firstName]: first, [secondName]: second };
  const times = { [firstName]: [], [secondName]: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of round % 2 === 0 ? [firstName, secondName] : [secondName, firstName]) {
      const started = performance.now();
      await gets(builds[name], N);
      times[name].push(((performance.now() - started) * 1000) / N);
    }
  }
  const median = (values) => values.toSorted((a, b) => a - b)[values.length >> 1];
  const [a, b] = [median(times[firstName]), median(times[secondName])];
  console.log(`µs per get: ${firstName} ${a.toFixed(2)}, ${secondName} ${b.toFixed(2)}`);
  const paired = median(times[secondName].map((t, i) => t / times[firstName][i]));
  console.log(`${secondName} / ${firstName}: ${(b / a).toFixed(3)} (medians), ${paired.toFixed(3)} (paired rounds)`);
}

const args = process.argv.slice(2);
if (args[0] === "--only") {
  await gets(await open(args[1], "only"), Number(args[2]));
} else if (args[0] === "--floor") {
  const bare = bareFloor();
  await gets(bare, 3_000);
  await compare(["bare", bare], ["ours", await open(args[1], "ours")]);
} else {
  const [baseDir, newDir] = args;
  if (newDir === undefined) {
    console.error("usage: node benches/redis-cpu-ab.mjs BASE_PKG_DIR NEW_PKG_DIR | --floor PKG_DIR | --only PKG_DIR N");
    process.exit(2);
  }
  await compare(["base", await open(baseDir, "base")], ["new", await open(newDir, "new")]);
}
