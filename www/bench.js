// The in-page benchmark: edgecache's IndexedDB backend against idb-keyval and
// localForage on the same data in the same run. Results are also left on
// `window.__edgecacheBench` for the end-to-end test and the bench script
// (benches/browser-idb.mjs).
//
// Fairness: every peer stores the same Uint8Arrays under the same keys in a
// database of its own, starting from the same state, and is used the way its
// documentation shows (idb-keyval's getMany; localForage has none, so
// Promise.all of getItem). The steps run in lockstep: each step runs for
// every peer before the next step starts, and the order of the peers
// rotates from one repetition to the next, so none is always first (a cold
// JIT, a compaction, or another process's burst of load then falls on each
// peer in turn). Every step is repeated (a write step after clearing the
// store, untimed) and the median taken. Before each timing the page pauses
// (SETTLE_MS, untimed): IndexedDB goes on working after a peer's promises
// resolve (1,000 one-get transactions still finish and fire \`complete\`),
// and the rotation keeps the cyclic order, so without the pause each peer
// would always pay for the same other peer's leftovers.
import { EdgeCache } from "edgecache";
import { createStore, get as idbGet, set as idbSet, clear as idbClear, getMany as idbGetMany } from "idb-keyval";
import localforage from "localforage";

const KEYS = 1000;
const VALUE_BYTES = 1024;
const MGET = 100;
const HOT_READS = 1000;
// Repetitions of the 1,000-key steps and of the 100-key ones.
const REPEATS = 3;
const SHORT_REPEATS = 5;
// The untimed pause before each timing (see "Fairness" above).
const SETTLE_MS = 100;

async function time(fn) {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function peers(run) {
  const keyval = createStore(`bench-idb-keyval-${run}`, "kv");
  const forage = localforage.createInstance({ name: `bench-localforage-${run}`, driver: localforage.INDEXEDDB });
  return {
    idbKeyval: {
      set: (k, v) => idbSet(k, v, keyval),
      get: (k) => idbGet(k, keyval),
      getMany: (ks) => idbGetMany(ks, keyval),
      clear: () => idbClear(keyval),
    },
    localforage: {
      set: (k, v) => forage.setItem(k, v),
      get: (k) => forage.getItem(k),
      getMany: (ks) => Promise.all(ks.map((k) => forage.getItem(k))),
      clear: () => forage.clear(),
    },
  };
}

/**
 * The steps, in order: `op` names a timed one (a table row), `repeat` how many times it is timed,
 * `prepare` what each timing starts from (run untimed, just before it).
 */
function steps(keys, values) {
  const some = keys.slice(0, MGET);
  const clear = (s) => s.clear();
  return [
    {
      op: "set, sequential awaits",
      repeat: REPEATS,
      prepare: clear,
      run: async (s) => {
        for (let i = 0; i < keys.length; i++) await s.set(keys[i], values[i]);
      },
    },
    {
      op: "set, Promise.all",
      repeat: REPEATS,
      prepare: clear,
      run: (s) => Promise.all(keys.map((k, i) => s.set(k, values[i]))),
    },
    {
      op: "get, sequential awaits",
      repeat: REPEATS,
      run: async (s) => {
        for (const k of keys) await s.get(k);
      },
    },
    { op: "get, Promise.all", repeat: REPEATS, run: (s) => Promise.all(keys.map((k) => s.get(k))) },
    {
      op: `${MGET} single gets, sequential`,
      repeat: SHORT_REPEATS,
      run: async (s) => {
        for (const k of some) await s.get(k);
      },
    },
    { op: `getMany of ${MGET}`, repeat: SHORT_REPEATS, run: (s) => s.getMany(some) },
    {
      hot: true,
      run: async (s) => {
        for (let i = 0; i < HOT_READS; i++) await s.get(keys[0]);
      },
    },
    { run: clear },
  ];
}

/**
 * Runs every step for every peer in lockstep; returns { op: { peer: median ms } } and the hot-read times.
 * The order of the peers rotates with every repetition, starting from `rotation`, so a step repeated three
 * times puts each peer in each position once (all three databases share the origin's storage: whoever
 * writes right after another peer's megabyte may meet its compaction).
 */
async function measure(stores, keys, values, rotation, status) {
  const names = Object.keys(stores);
  const times = {};
  let hot = {};
  let turn = rotation;
  for (const step of steps(keys, values)) {
    const samples = Object.fromEntries(names.map((n) => [n, []]));
    for (let r = 0; r < (step.repeat ?? 1); r++) {
      const order = names.map((_, i) => names[(i + turn) % names.length]);
      turn++;
      for (const name of order) {
        if (step.op) status(`${step.op}: ${name}…`);
        await step.prepare?.(stores[name]);
        if (step.op) await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
        samples[name].push(await time(() => step.run(stores[name])));
      }
    }
    const medians = Object.fromEntries(names.map((n) => [n, median(samples[n])]));
    if (step.op) times[step.op] = medians;
    if (step.hot) hot = medians;
  }
  return { times, hot };
}

/**
 * Runs every operation for every peer; renders `table`; returns the rows. The page's `?rotation=N`
 * (benches/browser-idb.mjs passes the run number) shifts the order of the peers; without it, a random one.
 */
export async function runBenchmark(table, status) {
  const run = Date.now();
  const given = Number.parseInt(new URLSearchParams(location.search).get("rotation") ?? "", 10);
  const rotation = Number.isInteger(given) && given >= 0 ? given : Math.floor(Math.random() * 3);
  const keys = Array.from({ length: KEYS }, (_, i) => `key-${i}`);
  const values = keys.map((_, i) => new Uint8Array(VALUE_BYTES).fill(i & 0xff));
  const cache = await EdgeCache.indexedDb({ dbName: `bench-edgecache-${run}` });
  // The same backend with a memory tier in front, for the hot-read figure.
  const tiered = await EdgeCache.indexedDb({ dbName: `bench-edgecache-tiered-${run}`, memory: { maxEntries: 100 } });
  const stores = {
    edgecache: {
      set: (k, v) => cache.set(k, v),
      get: (k) => cache.get(k),
      getMany: (ks) => cache.getMany(ks),
      clear: () => cache.clear(),
    },
    ...peers(run),
  };
  status("running…");
  const { times, hot } = await measure(stores, keys, values, rotation, status);
  status("reading one key through the memory tier…");
  await tiered.set(keys[0], values[0]);
  await tiered.get(keys[0]); // now in the memory tier
  // Its peer: the same read from EdgeCache.memory, timed in turn with it.
  const memory = EdgeCache.memory({ maxEntries: 100 });
  await memory.set(keys[0], values[0]);
  const samples = [];
  const memorySamples = [];
  for (let r = 0; r < SHORT_REPEATS; r++) {
    samples.push(
      await time(async () => {
        for (let i = 0; i < HOT_READS; i++) await tiered.get(keys[0]);
      }),
    );
    memorySamples.push(
      await time(async () => {
        for (let i = 0; i < HOT_READS; i++) await memory.get(keys[0]);
      }),
    );
  }
  const tieredHot = median(samples);
  const memoryHot = median(memorySamples);
  await tiered.clear();
  const rows = Object.entries(times).map(([op, t]) => ({
    op,
    edgecache: t.edgecache,
    idbKeyval: t.idbKeyval,
    localforage: t.localforage,
    vsIdbKeyval: t.idbKeyval / t.edgecache,
    vsLocalforage: t.localforage / t.edgecache,
  }));
  // Ours, measured in the same run: mget of 100 vs 100 single gets.
  const singles = times[`${MGET} single gets, sequential`].edgecache;
  const batched = times[`getMany of ${MGET}`].edgecache;
  const summary = {
    mgetSpeedup: singles / batched,
    // One key read 1,000 times (sequential awaits): edgecache with a memory
    // tier in front of IndexedDB, and every peer (edgecache too) without one.
    hotRead: { op: `get one key ×${HOT_READS}, sequential`, tiered: tieredHot, memory: memoryHot, ...hot },
  };
  const ms = (x) => `${x.toFixed(1)} ms`;
  const ratio = (x) => `${x.toFixed(2)}×`;
  table.tBodies[0].replaceChildren(
    ...rows.map((r) => {
      const tr = document.createElement("tr");
      for (const text of [r.op, ms(r.edgecache), ms(r.idbKeyval), ms(r.localforage), ratio(r.vsIdbKeyval), ratio(r.vsLocalforage)]) {
        tr.append(Object.assign(document.createElement("td"), { textContent: text }));
      }
      return tr;
    }),
  );
  table.hidden = false;
  status(
    `done: getMany(${MGET}) is ${summary.mgetSpeedup.toFixed(1)}× faster than ${MGET} single gets; ` +
      `one key read ${HOT_READS} times: ${ms(tieredHot)} with a memory tier, ${ms(hot.edgecache)} without`,
  );
  window.__edgecacheBench = { rows, summary, rotation, userAgent: navigator.userAgent };
  return rows;
}
