// Benchmarks EdgeCache.memory (the built package's node entry, which runs the
// node module pkg/wasm/node/; ../pkg or $EDGECACHE_PKG) against lru-cache
// and a plain Map, and prints markdown tables.
//
//   node benches/js-memory.mjs                 # full run (about 12 s on 2 cores; longer under load)
//   node benches/js-memory.mjs --quick         # smoke test (a few seconds)
//   node benches/js-memory.mjs --json out.json # also write the results as JSON
//
// Three parts, in one run:
//
// 1. Latency of awaited `get` and `set` at three value sizes over 10,000 keys.
//    Every peer is awaited the same way (`await cache.get(k)`), so each pays
//    one microtask per call; EdgeCache's methods are async, the others return
//    plain values that `await` wraps. Values are allocated before timing. Each
//    peer has its own hand-written loop so no call site inside the timed code
//    is shared (and made polymorphic) between peers. Rounds interleave the
//    peers (rotating their order), and the reported figure is the median over
//    rounds; ratios are EdgeCache / lru-cache (lower is better).
//
// 2. Latency of awaited `getJson` and `setJson` of a small object over 10,000
//    keys, against lru-cache holding the object itself (the headline ratio)
//    and lru-cache holding its JSON text (`JSON.stringify` on set,
//    `JSON.parse` on get: the same work EdgeCache does, minus the bytes).
//
// 3. Hit ratio at equal capacity (1,000 entries) on the traces the native
//    bench (benches/native/traces.rs) replays, generated the same way — Zipf
//    s = 0.8, 1.0, 1.2, Zipf 1.0 with scans, a loop 1.25x the capacity, Zipf
//    1.0 whose popular keys drift, and a mix half of one-hit wonders —
//    each printed with the same FNV-1a fingerprint: for every request `get`,
//    and `set` on a miss. Ratios are EdgeCache / lru-cache (higher is better).
//
// 4. A hot read through the memory tier of a persistent cache
//    (`EdgeCache.kv(binding, { memory })` over a Map-backed KV binding, every
//    key in the tier) against `EdgeCache.memory().get`: the same 1 KiB values
//    and keys, rounds interleaved. Ratio = tiered / memory (lower is better).
//
// Absolute times on a small shared machine are noisy; compare the ratios.

import os from "node:os";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";

// ---------------------------------------------------------------- arguments

function parseArgs(argv) {
  const args = { quick: false, json: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--quick") args.quick = true;
    else if (a === "--json") {
      args.json = argv[++i];
      if (args.json === undefined) usage("--json needs a file name");
    } else if (a.startsWith("--json=")) args.json = a.slice("--json=".length);
    else if (a === "--help" || a === "-h") usage();
    else usage(`unknown argument ${JSON.stringify(a)}`);
  }
  return args;
}

function usage(error) {
  const text = "usage: node benches/js-memory.mjs [--quick] [--json out.json]";
  if (error) {
    console.error(`${error}\n${text}`);
    process.exit(2);
  }
  console.log(text);
  process.exit(0);
}

const args = parseArgs(process.argv.slice(2));

// The built package: ../pkg, or the copy benches/run.sh made of it
// ($EDGECACHE_PKG), which a concurrent rebuild of pkg/ cannot pull away.
const pkgDir = process.env.EDGECACHE_PKG
  ? pathToFileURL(`${resolve(process.env.EDGECACHE_PKG)}/`)
  : new URL("../pkg/", import.meta.url);
const { EdgeCache } = await import(new URL("node.js", pkgDir).href).catch((error) => {
  console.error(`cannot load ${new URL("node.js", pkgDir).pathname} (build it with \`bash scripts/build.sh\`): ${error.message}`);
  process.exit(1);
});

const CONFIG = args.quick
  ? { keys: 10_000, warmupPasses: 3, rounds: 5, passesPerSample: 1 }
  : { keys: 10_000, warmupPasses: 10, rounds: 30, passesPerSample: 3 };
const SIZES = [16, 1024, 64 * 1024];
const KEY_BYTES_MAX = 16; // "key:" + up to 12 digits; checked below
const EDGECACHE_OVERHEAD = 96; // per-entry bytes EdgeCache charges (index.d.ts)

const HIT = {
  capacity: 1_000,
  distinctKeys: 10_000,
  requests: 100_000,
  zipfS: [0.8, 1.0, 1.2],
  scanZipfS: 1.0, // the scan trace's Zipf part
  scanEvery: 10_000, // Zipf requests between two scans
  scanLength: 2_000, // never-repeated keys per scan (2x the capacity)
  loopLength: 1_250, // keys in the loop (1.25x the capacity)
  slideEvery: 10_000, // requests between two shifts of the sliding trace's popular keys
  slideBy: 1_000, // keys the popularity moves by at each shift
  oneHitShare: 0.5, // never-repeated keys in the one-hit-wonder trace
  seed: 0x5eed_cafe,
};

// lru-cache is loaded twice, as two module instances, so the `max`-only cache
// and the `maxSize` one do not share (and make polymorphic) the type feedback
// of lru-cache's own methods.
// (import.meta.resolve gives the file a plain `import "lru-cache"` loads.)
const lruUrl = import.meta.resolve("lru-cache");
const { LRUCache } = await import(lruUrl);
const { LRUCache: LRUCacheSized } = await import(`${lruUrl}?instance=sized`);
const lruVersion = lruPackageVersion(lruUrl);

function lruPackageVersion(url) {
  // Walk up from the resolved file to lru-cache's package.json.
  for (let dir = new URL(".", url); dir.pathname !== "/"; dir = new URL("..", dir)) {
    try {
      const pkg = JSON.parse(readFileSync(new URL("package.json", dir), "utf8"));
      if (pkg.name === "lru-cache") return pkg.version;
    } catch {
      // no package.json here (or a partial one): keep walking
    }
  }
  return "unknown";
}

// ---------------------------------------------------------------- helpers

function mulberry32(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle(array, random) {
  for (let i = array.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [array[i], array[j]] = [array[j], array[i]];
  }
  return array;
}

function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

function summary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    median: quantile(sorted, 0.5),
    p25: quantile(sorted, 0.25),
    p75: quantile(sorted, 0.75),
    min: sorted[0],
    max: sorted[sorted.length - 1],
  };
}

const fmtNs = (ns) => (ns >= 1000 ? ns.toFixed(0) : ns >= 100 ? ns.toFixed(0) : ns.toFixed(1));
const fmtRatio = (r) => r.toFixed(2);
const fmtPct = (x) => `${(100 * x).toFixed(2)}%`;
const fmtSize = (n) => (n >= 1024 ? `${n / 1024} KiB` : `${n} B`);

function table(header, rows) {
  const lines = [`| ${header.join(" | ")} |`, `|${header.map((h, i) => (i === 0 ? "---" : "---:")).join("|")}|`];
  for (const row of rows) lines.push(`| ${row.join(" | ")} |`);
  return lines.join("\n");
}

function check(condition, message) {
  if (!condition) throw new Error(`benchmark sanity check failed: ${message}`);
}

const maybeGc = typeof globalThis.gc === "function" ? globalThis.gc : () => {};

// ---------------------------------------------------------------- timed loops
//
// One function per peer and operation, written out: a shared loop would make
// its `cache.get` call site polymorphic and slow every peer down unevenly.
// Each returns a count so the work cannot be optimised away.

async function ecGet(cache, keys) {
  let hits = 0;
  for (let i = 0; i < keys.length; i++) if ((await cache.get(keys[i])) !== undefined) hits++;
  return hits;
}
async function lruGet(cache, keys) {
  let hits = 0;
  for (let i = 0; i < keys.length; i++) if ((await cache.get(keys[i])) !== undefined) hits++;
  return hits;
}
async function lruSizedGet(cache, keys) {
  let hits = 0;
  for (let i = 0; i < keys.length; i++) if ((await cache.get(keys[i])) !== undefined) hits++;
  return hits;
}
async function mapGet(cache, keys) {
  let hits = 0;
  for (let i = 0; i < keys.length; i++) if ((await cache.get(keys[i])) !== undefined) hits++;
  return hits;
}

async function ecSet(cache, keys, values) {
  for (let i = 0; i < keys.length; i++) await cache.set(keys[i], values[i]);
  return keys.length;
}
async function lruSet(cache, keys, values) {
  for (let i = 0; i < keys.length; i++) await cache.set(keys[i], values[i]);
  return keys.length;
}
async function lruSizedSet(cache, keys, values) {
  for (let i = 0; i < keys.length; i++) await cache.set(keys[i], values[i]);
  return keys.length;
}
async function mapSet(cache, keys, values) {
  for (let i = 0; i < keys.length; i++) await cache.set(keys[i], values[i]);
  return keys.length;
}

// ---------------------------------------------------------------- peers

function edgeCacheBytesFor(n, size) {
  // Room for every entry with a factor-2 margin; the memory cache only
  // accounts these bytes (it holds references to the caller's arrays).
  return 2 * n * (size + KEY_BYTES_MAX + EDGECACHE_OVERHEAD);
}

function makePeers(n, size) {
  const maxBytes = edgeCacheBytesFor(n, size);
  return [
    {
      name: "EdgeCache",
      make: () => EdgeCache.memory({ maxEntries: n, maxBytes }),
      get: ecGet,
      set: ecSet,
      clear: (c) => c.clear(),
      count: async (c) => (await c.stats()).entries,
    },
    {
      name: "lru-cache",
      make: () => new LRUCache({ max: n }),
      get: lruGet,
      set: lruSet,
      clear: (c) => c.clear(),
      count: (c) => c.size,
    },
    {
      name: "lru-cache+size",
      make: () =>
        new LRUCacheSized({
          max: n,
          maxSize: maxBytes,
          sizeCalculation: (value, key) => value.byteLength + key.length + EDGECACHE_OVERHEAD,
        }),
      get: lruSizedGet,
      set: lruSizedSet,
      clear: (c) => c.clear(),
      count: (c) => c.size,
    },
    {
      name: "Map",
      make: () => new Map(),
      get: mapGet,
      set: mapSet,
      clear: (c) => c.clear(),
      count: (c) => c.size,
    },
  ];
}

const PEER_NAMES = makePeers(1, 1).map((p) => p.name);

// ---------------------------------------------------------------- part 1: latency

const OPS = [
  {
    name: "get",
    note: "hit; cache holds all keys",
    async run(peer, state, keys) {
      const hits = await peer.get(state.cache, keys);
      check(hits === keys.length, `${peer.name} get: ${hits}/${keys.length} hits`);
    },
  },
  {
    name: "set",
    note: "overwrite of a present key with a different array",
    async run(peer, state, keys) {
      // Alternate between two arrays per key so every write replaces the
      // stored value with a different one (lru-cache skips work when the value
      // is the same object).
      state.current ^= 1;
      await peer.set(state.cache, keys, state.values[state.current]);
    },
  },
  {
    // Issue 14 §1's insert: new keys with eviction. Before the insert op,
    // which refills the cache with `keys` for the next round's get.
    name: "set (insert, evicting)",
    note: "new keys into a cache full of others: every write evicts one; refilling it is not timed",
    untimedBefore: async (peer, state) => {
      await peer.clear(state.cache);
      await peer.set(state.cache, state.keys, state.values[0]);
    },
    async run(peer, state) {
      await peer.set(state.cache, state.newKeys, state.values[1]);
    },
  },
  {
    name: "set (insert)",
    note: "into a just-cleared cache; the clear is not timed",
    untimedBefore: async (peer, state) => {
      await peer.clear(state.cache);
    },
    async run(peer, state, keys) {
      state.current ^= 1;
      await peer.set(state.cache, keys, state.values[state.current]);
    },
  },
];

async function latencyForSize(size, rows) {
  const n = CONFIG.keys;
  const random = mulberry32(0x1234_5678 ^ size);
  const keyNames = Array.from({ length: n }, (_, i) => `key:${i}`);
  check(keyNames.every((k) => k.length <= KEY_BYTES_MAX), "key length");
  // Access order: one fixed shuffle, the same for every peer.
  const order = shuffle([...Array(n).keys()], random);
  const keys = order.map((i) => keyNames[i]);
  // As many keys again, never stored before an evicting insert writes them.
  const newKeys = order.map((i) => `key:${n + i}`);
  const stored = new Set(keyNames);
  check(newKeys.every((k) => k.length <= KEY_BYTES_MAX && !stored.has(k)), "new keys");
  // Two distinct arrays per key (the second a view over the first's buffer,
  // so 64 KiB values cost 640 MiB, not 1.28 GiB), indexed like `keys`.
  const buffers = order.map(() => {
    const a = new Uint8Array(size);
    a[0] = 1;
    return a;
  });
  const values = [buffers, buffers.map((a) => new Uint8Array(a.buffer, 0, size))];

  const peers = makePeers(n, size);
  const states = new Map();
  for (const peer of peers) {
    const state = { cache: peer.make(), values, current: 0, keys, newKeys };
    await peer.set(state.cache, keys, values[0]);
    const count = await peer.count(state.cache);
    check(count === n, `${peer.name} holds ${count} of ${n} entries at ${size} B`);
    states.set(peer, state);
  }
  // The stored array is the caller's own.
  const ec = states.get(peers[0]).cache;
  check((await ec.get(keys[0])) === values[0][0], "EdgeCache returns the stored array");

  const samples = new Map(OPS.map((op) => [op, new Map(peers.map((p) => [p, []]))]));
  const totalRounds = CONFIG.warmupPasses + CONFIG.rounds;
  for (let round = 0; round < totalRounds; round++) {
    const warm = round < CONFIG.warmupPasses;
    for (const op of OPS) {
      for (let j = 0; j < peers.length; j++) {
        const peer = peers[(round + j) % peers.length];
        const state = states.get(peer);
        let ns = 0;
        for (let pass = 0; pass < (warm ? 1 : CONFIG.passesPerSample); pass++) {
          if (op.untimedBefore) await op.untimedBefore(peer, state);
          const t0 = performance.now();
          await op.run(peer, state, keys);
          ns += (performance.now() - t0) * 1e6;
        }
        if (!warm) samples.get(op).get(peer).push(ns / (CONFIG.passesPerSample * n));
      }
    }
  }

  for (const peer of peers) {
    const count = await peer.count(states.get(peer).cache);
    check(count === n, `${peer.name} still holds ${count} of ${n} entries`);
  }

  for (const op of OPS) {
    const byPeer = samples.get(op);
    const peerStats = {};
    for (const peer of peers) peerStats[peer.name] = { ...summary(byPeer.get(peer)), samples: byPeer.get(peer) };
    const perRound = (other) =>
      summary(byPeer.get(peers[0]).map((v, i) => v / byPeer.get(peers.find((p) => p.name === other))[i]));
    const vsLru = perRound("lru-cache");
    const vsLruSized = perRound("lru-cache+size");
    rows.push({
      op: op.name,
      note: op.note,
      valueBytes: size,
      keys: n,
      nsPerOp: peerStats,
      ratioVsLru: peerStats.EdgeCache.median / peerStats["lru-cache"].median,
      ratioVsLruPerRound: vsLru,
      ratioVsLruSized: peerStats.EdgeCache.median / peerStats["lru-cache+size"].median,
      ratioVsLruSizedPerRound: vsLruSized,
    });
  }
  // Let the values go before the next size.
  states.clear();
  maybeGc();
}

// ---------------------------------------------------------------- part 4: tiered hot reads

async function memoryHotGet(cache, keys) {
  let hits = 0;
  for (let i = 0; i < keys.length; i++) if ((await cache.get(keys[i])) !== undefined) hits++;
  return hits;
}
async function tieredHotGet(cache, keys) {
  let hits = 0;
  for (let i = 0; i < keys.length; i++) if ((await cache.get(keys[i])) !== undefined) hits++;
  return hits;
}

/** A Workers KV binding over a Map (the tier answers every timed read). */
function mapKv() {
  const store = new Map();
  return {
    get: async (key) => store.get(key)?.slice().buffer ?? null,
    put: async (key, value) => void store.set(key, new Uint8Array(value instanceof ArrayBuffer ? value.slice(0) : value.slice())),
    delete: async (key) => void store.delete(key),
    list: async () => ({ keys: [], list_complete: true }),
  };
}

async function tieredLatency() {
  const n = CONFIG.keys;
  const size = 1024;
  const keys = shuffle(
    Array.from({ length: n }, (_, i) => `key:${i}`),
    mulberry32(0x7ea5),
  );
  const values = keys.map(() => new Uint8Array(size).fill(1));
  const maxBytes = edgeCacheBytesFor(n, size);
  const memory = EdgeCache.memory({ maxEntries: n, maxBytes });
  const tiered = EdgeCache.kv(mapKv(), { memory: { maxEntries: n, maxBytes } });
  for (let i = 0; i < n; i++) {
    await memory.set(keys[i], values[i]);
    await tiered.set(keys[i], values[i]);
  }
  const runs = [
    ["memory", () => memoryHotGet(memory, keys)],
    ["tiered", () => tieredHotGet(tiered, keys)],
  ];
  const samples = { memory: [], tiered: [] };
  for (let round = 0; round < CONFIG.warmupPasses + CONFIG.rounds; round++) {
    for (let j = 0; j < runs.length; j++) {
      const [name, run] = runs[(round + j) % runs.length];
      const t0 = performance.now();
      let hits = 0;
      for (let pass = 0; pass < CONFIG.passesPerSample; pass++) hits += await run();
      const ns = ((performance.now() - t0) * 1e6) / (CONFIG.passesPerSample * n);
      check(hits === CONFIG.passesPerSample * n, `${name}: ${hits} hits`);
      if (round >= CONFIG.warmupPasses) samples[name].push(ns);
    }
  }
  const stats = await tiered.stats();
  check(stats.misses === 0, `the tier missed ${stats.misses} reads`);
  const perRound = summary(samples.tiered.map((v, i) => v / samples.memory[i]));
  return {
    keys: n,
    valueBytes: size,
    nsPerOp: { memory: summary(samples.memory), tiered: summary(samples.tiered) },
    ratio: summary(samples.tiered).median / summary(samples.memory).median,
    ratioPerRound: perRound,
  };
}

// ---------------------------------------------------------------- part 2: JSON latency
//
// A small object per key; `setJson` alternates between two distinct objects
// per key (as `set` alternates arrays), `getJson` reads every key once per
// pass. lru-cache holds either the object (what a JS app does when it can)
// or its JSON text (the same stringify/parse EdgeCache pays, minus the UTF-8
// bytes).

async function ecGetJson(cache, keys) {
  let n = 0;
  for (let i = 0; i < keys.length; i++) if ((await cache.getJson(keys[i])) !== undefined) n++;
  return n;
}
async function lruObjGet(cache, keys) {
  let n = 0;
  for (let i = 0; i < keys.length; i++) if ((await cache.get(keys[i])) !== undefined) n++;
  return n;
}
async function lruTextGet(cache, keys) {
  let n = 0;
  for (let i = 0; i < keys.length; i++) {
    const text = await cache.get(keys[i]);
    if (text !== undefined && JSON.parse(text) !== undefined) n++;
  }
  return n;
}
async function ecSetJson(cache, keys, objects) {
  for (let i = 0; i < keys.length; i++) await cache.setJson(keys[i], objects[i]);
  return keys.length;
}
async function lruObjSet(cache, keys, objects) {
  for (let i = 0; i < keys.length; i++) await cache.set(keys[i], objects[i]);
  return keys.length;
}
async function lruTextSet(cache, keys, objects) {
  for (let i = 0; i < keys.length; i++) await cache.set(keys[i], JSON.stringify(objects[i]));
  return keys.length;
}

function smallObject(i, variant) {
  return { id: i, name: `user-${i}`, roles: ["reader", variant ? "writer" : "editor"], active: true, score: i / 7 };
}

async function jsonLatency(rows) {
  const n = CONFIG.keys;
  const random = mulberry32(0x0b1e_c7);
  const keyNames = Array.from({ length: n }, (_, i) => `key:${i}`);
  const order = shuffle([...Array(n).keys()], random);
  const keys = order.map((i) => keyNames[i]);
  const objects = [order.map((i) => smallObject(i, 0)), order.map((i) => smallObject(i, 1))];
  const jsonBytes = Buffer.byteLength(JSON.stringify(objects[0][0]));
  // A separate lru-cache module instance for each peer (see the note above).
  const { LRUCache: LRUObj } = await import(`${lruUrl}?instance=json-object`);
  const { LRUCache: LRUText } = await import(`${lruUrl}?instance=json-text`);
  const peers = [
    { name: "EdgeCache", make: () => EdgeCache.memory({ maxEntries: n, maxBytes: 2 * n * 256 }), get: ecGetJson, set: ecSetJson },
    { name: "lru-cache (object)", make: () => new LRUObj({ max: n }), get: lruObjGet, set: lruObjSet },
    { name: "lru-cache (JSON text)", make: () => new LRUText({ max: n }), get: lruTextGet, set: lruTextSet },
  ];
  const states = new Map();
  for (const peer of peers) {
    const cache = peer.make();
    await peer.set(cache, keys, objects[0]);
    states.set(peer, { cache, current: 0 });
  }
  const ec = states.get(peers[0]).cache;
  check(JSON.stringify(await ec.getJson(keys[0])) === JSON.stringify(objects[0][0]), "EdgeCache getJson round trip");
  const ops = [
    { name: "getJson", note: "hit; a fresh object parsed from the stored bytes (lru-cache (object): the stored object itself)", run: (p, st) => p.get(st.cache, keys) },
    {
      name: "setJson",
      note: "overwrite of a present key with a different object",
      run: (p, st) => {
        st.current ^= 1;
        return p.set(st.cache, keys, objects[st.current]);
      },
    },
  ];
  const samples = new Map(ops.map((op) => [op, new Map(peers.map((p) => [p, []]))]));
  for (let round = 0; round < CONFIG.warmupPasses + CONFIG.rounds; round++) {
    const warm = round < CONFIG.warmupPasses;
    for (const op of ops) {
      for (let j = 0; j < peers.length; j++) {
        const peer = peers[(round + j) % peers.length];
        const state = states.get(peer);
        let ns = 0;
        for (let pass = 0; pass < (warm ? 1 : CONFIG.passesPerSample); pass++) {
          const t0 = performance.now();
          const done = await op.run(peer, state);
          ns += (performance.now() - t0) * 1e6;
          check(done === n, `${peer.name} ${op.name}: ${done}/${n}`);
        }
        if (!warm) samples.get(op).get(peer).push(ns / (CONFIG.passesPerSample * n));
      }
    }
  }
  for (const op of ops) {
    const byPeer = samples.get(op);
    const nsPerOp = {};
    for (const peer of peers) nsPerOp[peer.name] = { ...summary(byPeer.get(peer)), samples: byPeer.get(peer) };
    const perRound = (name) =>
      summary(byPeer.get(peers[0]).map((v, i) => v / byPeer.get(peers.find((p) => p.name === name))[i]));
    rows.push({
      op: op.name,
      note: op.note,
      jsonBytes,
      keys: n,
      nsPerOp,
      ratioVsLruObject: nsPerOp.EdgeCache.median / nsPerOp["lru-cache (object)"].median,
      ratioVsLruObjectPerRound: perRound("lru-cache (object)"),
      ratioVsLruText: nsPerOp.EdgeCache.median / nsPerOp["lru-cache (JSON text)"].median,
      ratioVsLruTextPerRound: perRound("lru-cache (JSON text)"),
    });
  }
  states.clear();
  maybeGc();
}

// ---------------------------------------------------------------- part 3: hit ratio

function zipfSampler(n, s, random) {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let r = 0; r < n; r++) {
    sum += 1 / Math.pow(r + 1, s);
    cdf[r] = sum;
  }
  for (let r = 0; r < n; r++) cdf[r] /= sum;
  cdf[n - 1] = 1;
  return function sample() {
    const u = random();
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return lo; // rank, 0 = most popular
  };
}

// A trace is an array of key strings plus, per request, whether it is part of
// a scan (so the Zipf part's hit ratio can be reported on its own). The
// native bench (benches/native/traces.rs) builds the same sequences.
function makeTrace(zipfS, withScans) {
  const random = mulberry32(HIT.seed);
  // Popularity rank -> key, through a seeded permutation.
  const keyOfRank = shuffle(
    Array.from({ length: HIT.distinctKeys }, (_, i) => `item:${i}`),
    random,
  );
  const sample = zipfSampler(HIT.distinctKeys, zipfS, random);
  const keys = [];
  const isScan = [];
  let scanned = 0;
  for (let i = 0; i < HIT.requests; i++) {
    if (withScans && i > 0 && i % HIT.scanEvery === 0) {
      for (let j = 0; j < HIT.scanLength; j++) {
        keys.push(`scan:${scanned++}`);
        isScan.push(true);
      }
    }
    keys.push(keyOfRank[sample()]);
    isScan.push(false);
  }
  return { keys, isScan };
}

// The looping pattern of the LIRS paper (Jiang and Zhang, SIGMETRICS 2002):
// a loop longer than the cache, on which LRU misses every request.
function makeLoop() {
  const keys = Array.from({ length: HIT.requests }, (_, i) => `item:${i % HIT.loopLength}`);
  return { keys, isScan: keys.map(() => false) };
}

// Zipf 1.0 whose popular keys drift: every slideEvery requests the rank -> key
// mapping shifts by slideBy keys (traces.rs `sliding`).
function makeSliding() {
  const random = mulberry32(HIT.seed);
  const keyOfRank = shuffle(
    Array.from({ length: HIT.distinctKeys }, (_, i) => `item:${i}`),
    random,
  );
  const sample = zipfSampler(HIT.distinctKeys, 1.0, random);
  const keys = [];
  for (let i = 0; i < HIT.requests; i++) {
    const offset = Math.floor(i / HIT.slideEvery) * HIT.slideBy;
    keys.push(keyOfRank[(sample() + offset) % HIT.distinctKeys]);
  }
  return { keys, isScan: keys.map(() => false) };
}

// A web-like mix heavy in one-hit wonders: each request is, with probability
// oneHitShare, a key never seen before, else Zipf 0.9 (traces.rs
// `one_hit_wonders`). The new keys count as "scan" requests, so the Zipf
// part's hit ratio is reported on its own.
function makeOneHit() {
  const random = mulberry32(HIT.seed);
  const keyOfRank = shuffle(
    Array.from({ length: HIT.distinctKeys }, (_, i) => `item:${i}`),
    random,
  );
  const sample = zipfSampler(HIT.distinctKeys, 0.9, random);
  const keys = [];
  const isScan = [];
  let once = 0;
  for (let i = 0; i < HIT.requests; i++) {
    if (random() < HIT.oneHitShare) {
      keys.push(`once:${once++}`);
      isScan.push(true);
    } else {
      keys.push(keyOfRank[sample()]);
      isScan.push(false);
    }
  }
  return { keys, isScan };
}

// FNV-1a 32 over the keys (ASCII), each followed by "\n": the fingerprint the
// native bench prints for the same trace.
function fingerprint(keys) {
  let h = 0x811c9dc5;
  for (const k of keys) {
    for (let i = 0; i < k.length; i++) h = Math.imul(h ^ k.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ 10, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}

async function replay(cache, trace, value) {
  let hits = 0;
  let zipfHits = 0;
  const { keys, isScan } = trace;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    if ((await cache.get(k)) !== undefined) {
      hits++;
      if (!isScan[i]) zipfHits++;
    } else {
      await cache.set(k, value);
    }
  }
  return { hits, zipfHits };
}

async function hitRatios() {
  const value = new Uint8Array(16);
  const traces = [
    ...HIT.zipfS.map((s) => ({
      id: `zipf-${s.toFixed(1)}`,
      name: `Zipf s = ${s.toFixed(1)}`,
      trace: makeTrace(s, false),
    })),
    {
      id: "scan",
      name:
        `Zipf s = ${HIT.scanZipfS.toFixed(1)} + ${Math.floor((HIT.requests - 1) / HIT.scanEvery)} scans of ${HIT.scanLength.toLocaleString("en-US")} ` +
        `new keys (one every ${HIT.scanEvery.toLocaleString("en-US")} Zipf requests)`,
      trace: makeTrace(HIT.scanZipfS, true),
    },
    {
      id: "loop",
      name: `loop over ${HIT.loopLength.toLocaleString("en-US")} keys (1.25x the capacity), in order`,
      trace: makeLoop(),
    },
    {
      id: "sliding",
      name: `Zipf s = 1.0 whose popular keys shift by ${HIT.slideBy.toLocaleString("en-US")} every ${HIT.slideEvery.toLocaleString("en-US")} requests`,
      trace: makeSliding(),
    },
    {
      id: "one-hit",
      name: `${HIT.oneHitShare * 100}% never-repeated keys, the rest Zipf s = 0.9`,
      trace: makeOneHit(),
    },
  ];
  const rows = [];
  for (const { id, name, trace } of traces) {
    const requests = trace.keys.length;
    const zipfRequests = trace.isScan.filter((s) => !s).length;
    const ec = EdgeCache.memory({ maxEntries: HIT.capacity, maxBytes: 1 << 30 });
    const lru = new LRUCache({ max: HIT.capacity });
    const ecResult = await replay(ec, trace, value);
    const lruResult = await replay(lru, trace, value);
    const stats = await ec.stats();
    check(stats.hits === ecResult.hits, "EdgeCache stats.hits matches the replay's count");
    check(stats.entries <= HIT.capacity, "EdgeCache respects maxEntries");
    check(lru.size <= HIT.capacity, "lru-cache respects max");
    const row = {
      id,
      trace: name,
      fingerprint: fingerprint(trace.keys),
      requests,
      zipfRequests,
      distinctKeys: new Set(trace.keys).size,
      capacity: HIT.capacity,
      hitRatio: { EdgeCache: ecResult.hits / requests, "lru-cache": lruResult.hits / requests },
      zipfHitRatio: {
        EdgeCache: ecResult.zipfHits / zipfRequests,
        "lru-cache": lruResult.zipfHits / zipfRequests,
      },
      ratio: lruResult.hits > 0 ? ecResult.hits / lruResult.hits : null, // null: lru-cache hit nothing
    };
    rows.push(row);
  }
  return rows;
}

// ---------------------------------------------------------------- main

const started = performance.now();
const machine = {
  node: process.version,
  v8: process.versions.v8,
  cpu: os.cpus()[0]?.model ?? "unknown",
  cpus: os.cpus().length,
  platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  date: new Date().toISOString(),
  loadAvgAtStart: os.loadavg(),
};
const edgecachePkg = describePkg();

function describePkg() {
  // Which build was measured: the package version and the .wasm's size and
  // build time (pkg/ is generated, so it may lag behind js/ and src/).
  let version = "unknown";
  try {
    version = JSON.parse(readFileSync(new URL("package.json", pkgDir), "utf8")).version;
  } catch {
    // leave "unknown"
  }
  // The node entry's module: wasm/node/ (a package from before the
  // per-runtime modules had one wasm/edgecache_bg.wasm for every entry).
  let wasm = "unknown";
  for (const file of ["wasm/node/edgecache_bg.wasm", "wasm/edgecache_bg.wasm"]) {
    try {
      const st = statSync(new URL(file, pkgDir));
      wasm = `${file} ${st.size} B, built ${st.mtime.toISOString()}`;
      break;
    } catch {
      // try the next layout, else leave "unknown"
    }
  }
  return { version, wasm };
}

const latencyRows = [];
for (const size of SIZES) await latencyForSize(size, latencyRows);
const jsonRows = [];
await jsonLatency(jsonRows);
const hitRows = await hitRatios();
const tieredRow = await tieredLatency();
const seconds = (performance.now() - started) / 1000;
machine.loadAvgAtEnd = os.loadavg();

const out = [];
out.push(`# EdgeCache.memory vs lru-cache vs Map${args.quick ? " (--quick)" : ""}`);
out.push("");
out.push(`- node ${machine.node} (V8 ${machine.v8}), ${machine.platform}`);
out.push(`- CPU: ${machine.cpu} x ${machine.cpus}`);
out.push(`- date: ${machine.date}`);
out.push(`- EdgeCache ${edgecachePkg.version} from ${pkgDir.pathname} (.wasm ${edgecachePkg.wasm}); lru-cache ${lruVersion}`);
out.push(
  `- load average (1/5/15 min) at start ${machine.loadAvgAtStart.map((x) => x.toFixed(2)).join(" / ")}, ` +
    `at end ${machine.loadAvgAtEnd.map((x) => x.toFixed(2)).join(" / ")} (on ${machine.cpus} CPUs)`,
);
out.push("");
out.push("## Awaited get / set latency (median ns/op; ratio = EdgeCache / peer, lower is better)");
out.push("");
out.push(
  `${CONFIG.keys.toLocaleString("en-US")} keys at every value size (64 KiB included: all peers store references to the same ` +
    `pre-allocated arrays). ${CONFIG.warmupPasses} warm-up rounds, then ${CONFIG.rounds} rounds of ` +
    `${CONFIG.passesPerSample} pass(es) over all keys per peer, peers interleaved in rotating order.`,
);
out.push("");
out.push(
  table(
    [
      "op",
      "value",
      ...PEER_NAMES.map((n) => `${n} ns`),
      "EdgeCache / lru-cache",
      "per-round ratio, median [IQR]",
      "EdgeCache / lru-cache+size",
    ],
    latencyRows.map((r) => [
      r.op,
      fmtSize(r.valueBytes),
      ...PEER_NAMES.map((n) => fmtNs(r.nsPerOp[n].median)),
      `**${fmtRatio(r.ratioVsLru)}**`,
      `${fmtRatio(r.ratioVsLruPerRound.median)} [${fmtRatio(r.ratioVsLruPerRound.p25)}–${fmtRatio(r.ratioVsLruPerRound.p75)}]`,
      fmtRatio(r.ratioVsLruSized),
    ]),
  ),
);
out.push("");
out.push("- EdgeCache: `EdgeCache.memory({ maxEntries: 10000, maxBytes: 2 × 10000 × (value + 16 + 96) })`.");
out.push("- lru-cache: `new LRUCache({ max: 10000 })` — entry bound only (the usual configuration; the headline ratio).");
out.push(
  "- lru-cache+size: also `maxSize` (same as EdgeCache's maxBytes) and `sizeCalculation: (v, k) => v.byteLength + k.length + 96`, " +
    "i.e. the same byte accounting EdgeCache always does.",
);
out.push("- Map: `new Map()`, unbounded.");
out.push(`- ops: ${OPS.map((o) => `\`${o.name}\` = ${o.note}`).join("; ")}.`);
out.push("");
out.push("## Awaited getJson / setJson of a small object (median ns/op; ratio = EdgeCache / peer, lower is better)");
out.push("");
out.push(
  `${CONFIG.keys.toLocaleString("en-US")} keys, one object of ${jsonRows[0].jsonBytes} bytes of JSON per key; same rounds as above.`,
);
out.push("");
out.push(
  table(
    ["op", "EdgeCache ns", "lru-cache (object) ns", "lru-cache (JSON text) ns", "EdgeCache / lru-cache (object)", "per-round, median [IQR]", "EdgeCache / lru-cache (JSON text)"],
    jsonRows.map((r) => [
      r.op,
      fmtNs(r.nsPerOp.EdgeCache.median),
      fmtNs(r.nsPerOp["lru-cache (object)"].median),
      fmtNs(r.nsPerOp["lru-cache (JSON text)"].median),
      `**${fmtRatio(r.ratioVsLruObject)}**`,
      `${fmtRatio(r.ratioVsLruObjectPerRound.median)} [${fmtRatio(r.ratioVsLruObjectPerRound.p25)}–${fmtRatio(r.ratioVsLruObjectPerRound.p75)}]`,
      fmtRatio(r.ratioVsLruText),
    ]),
  ),
);
out.push("");
out.push(`- ops: ${jsonRows.map((r) => `\`${r.op}\` = ${r.note}`).join("; ")}.`);
out.push("");
out.push(`## Hit ratio at equal capacity (${HIT.capacity.toLocaleString("en-US")} entries; ratio = EdgeCache / lru-cache, higher is better)`);
out.push("");
out.push(
  `Zipf over ${HIT.distinctKeys.toLocaleString("en-US")} keys, ${HIT.requests.toLocaleString("en-US")} ` +
    `requests per trace (scans not counted), mulberry32 seed 0x${HIT.seed.toString(16)}; each request is \`get\`, then \`set\` on a miss. ` +
    "Scan keys never repeat, so they miss in both caches; \"Zipf-part\" excludes them. " +
    "Fingerprints (FNV-1a 32 of the request keys) match the native bench's for the same traces.",
);
out.push("");
out.push(
  table(
    ["trace", "requests", "fingerprint", "EdgeCache", "lru-cache", "EdgeCache / lru-cache", "Zipf-part EdgeCache", "Zipf-part lru-cache"],
    hitRows.map((r) => [
      `${r.id}: ${r.trace}`,
      r.requests.toLocaleString("en-US"),
      r.fingerprint,
      fmtPct(r.hitRatio.EdgeCache),
      fmtPct(r.hitRatio["lru-cache"]),
      `**${r.ratio === null ? "∞ (lru-cache: 0 hits)" : fmtRatio(r.ratio)}**`,
      fmtPct(r.zipfHitRatio.EdgeCache),
      fmtPct(r.zipfHitRatio["lru-cache"]),
    ]),
  ),
);
out.push("");
out.push("## Hot read through a memory tier (median ns/op; ratio = tiered / memory, lower is better)");
out.push("");
out.push(
  table(
    ["read", "EdgeCache.memory ns", "tiered (memory over KV) ns", "tiered / memory", "per-round, median [IQR]"],
    [
      [
        `awaited get, ${tieredRow.keys.toLocaleString("en-US")} keys of ${fmtSize(tieredRow.valueBytes)}, all in the tier`,
        fmtNs(tieredRow.nsPerOp.memory.median),
        fmtNs(tieredRow.nsPerOp.tiered.median),
        `**${fmtRatio(tieredRow.ratio)}**`,
        `${fmtRatio(tieredRow.ratioPerRound.median)} [${fmtRatio(tieredRow.ratioPerRound.p25)}–${fmtRatio(tieredRow.ratioPerRound.p75)}]`,
      ],
    ],
  ),
);
out.push("");
out.push(`Total time: ${seconds.toFixed(1)} s.`);
console.log(out.join("\n"));

if (args.json) {
  writeFileSync(
    args.json,
    `${JSON.stringify(
      {
        machine,
        lruCacheVersion: lruVersion,
        edgecache: edgecachePkg,
        quick: args.quick,
        config: { ...CONFIG, sizes: SIZES, hit: HIT },
        latency: latencyRows,
        json: jsonRows,
        hitRatio: hitRows,
        tiered: tieredRow,
        seconds,
      },
      null,
      2,
    )}\n`,
  );
  console.error(`wrote ${args.json}`);
}
