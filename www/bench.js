// The in-page benchmark: edgecache's IndexedDB backend against idb-keyval and
// localForage on the same data in the same run. Results are also left on
// `window.__edgecacheBench` for the end-to-end test and the bench script.
import { EdgeCache } from "edgecache";
import { createStore, get as idbGet, set as idbSet, clear as idbClear, getMany as idbGetMany } from "idb-keyval";
import localforage from "localforage";

const KEYS = 1000;
const VALUE_BYTES = 1024;
const MGET = 100;

async function time(fn) {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

function peers(run) {
  const keyval = createStore(`bench-idb-keyval-${run}`, "kv");
  const forage = localforage.createInstance({ name: `bench-localforage-${run}`, driver: localforage.INDEXEDDB });
  return {
    keyval: {
      set: (k, v) => idbSet(k, v, keyval),
      get: (k) => idbGet(k, keyval),
      getMany: (ks) => idbGetMany(ks, keyval),
      clear: () => idbClear(keyval),
    },
    forage: {
      set: (k, v) => forage.setItem(k, v),
      get: (k) => forage.getItem(k),
      getMany: (ks) => Promise.all(ks.map((k) => forage.getItem(k))),
      clear: () => forage.clear(),
    },
  };
}

async function measure(store, keys, values) {
  const result = {};
  await store.clear();
  result["set, sequential awaits"] = await time(async () => {
    for (let i = 0; i < keys.length; i++) await store.set(keys[i], values[i]);
  });
  await store.clear();
  result["set, Promise.all"] = await time(() => Promise.all(keys.map((k, i) => store.set(k, values[i]))));
  result["get, sequential awaits"] = await time(async () => {
    for (const k of keys) await store.get(k);
  });
  result["get, Promise.all"] = await time(() => Promise.all(keys.map((k) => store.get(k))));
  const some = keys.slice(0, MGET);
  result[`${MGET} single gets, sequential`] = await time(async () => {
    for (const k of some) await store.get(k);
  });
  result[`getMany of ${MGET}`] = await time(() => store.getMany(some));
  await store.clear();
  return result;
}

/** Runs every operation for every peer; renders `table`; returns the rows. */
export async function runBenchmark(table, status) {
  const run = Date.now();
  const keys = Array.from({ length: KEYS }, (_, i) => `key-${i}`);
  const values = keys.map((_, i) => new Uint8Array(VALUE_BYTES).fill(i & 0xff));
  const cache = await EdgeCache.indexedDb({ dbName: `bench-edgecache-${run}` });
  const ours = {
    set: (k, v) => cache.set(k, v),
    get: (k) => cache.get(k),
    getMany: (ks) => cache.getMany(ks),
    clear: () => cache.clear(),
  };
  const { keyval, forage } = peers(run);
  status("running edgecache…");
  const a = await measure(ours, keys, values);
  status("running idb-keyval…");
  const b = await measure(keyval, keys, values);
  status("running localForage…");
  const c = await measure(forage, keys, values);
  const rows = Object.keys(a).map((op) => ({
    op,
    edgecache: a[op],
    idbKeyval: b[op],
    localforage: c[op],
    vsIdbKeyval: b[op] / a[op],
    vsLocalforage: c[op] / a[op],
  }));
  // Ours, measured in the same run: mget of 100 vs 100 single gets.
  const singles = a[`${MGET} single gets, sequential`];
  const batched = a[`getMany of ${MGET}`];
  const summary = { mgetSpeedup: singles / batched };
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
  status(`done: getMany(${MGET}) is ${summary.mgetSpeedup.toFixed(1)}× faster than ${MGET} single gets`);
  window.__edgecacheBench = { rows, summary, userAgent: navigator.userAgent };
  return rows;
}
