// The page side of tests/browsers: the packed package (no bundler: an import
// map names its browser entry) and the helpers the cases use. The runner calls
// `window.runCase(name)`, which resolves to { ok } or { ok: false, error }.
import { EdgeCache } from "edgecache";
import { cases, quotaCase, rawQuotaCase } from "./cases.mjs";

// ---- spy: IndexedDB as the cache uses it (raw helpers are left out)
let rawCalls = 0; // > 0 while a raw helper calls into IndexedDB
let transactions = 0;
const connections = new Map(); // db name -> connections the cache was handed
const { open } = IDBFactory.prototype;
IDBFactory.prototype.open = function (name, ...rest) {
  const request = open.call(this, name, ...rest);
  if (rawCalls === 0) {
    request.addEventListener("success", () => {
      if (!connections.has(name)) connections.set(name, []);
      connections.get(name).push(request.result);
    });
  }
  return request;
};
const { transaction } = IDBDatabase.prototype;
IDBDatabase.prototype.transaction = function (...args) {
  if (rawCalls === 0) transactions++;
  return transaction.apply(this, args);
};
// Transactions in which the cache put something (a write batch; not the
// clean-up after a failed one, which only deletes).
let putTransactions = 0;
const withPuts = new WeakSet();
const { put } = IDBObjectStore.prototype;
IDBObjectStore.prototype.put = function (...args) {
  if (rawCalls === 0 && !withPuts.has(this.transaction)) {
    withPuts.add(this.transaction);
    putTransactions++;
  }
  return put.apply(this, args);
};
const spy = {
  transactions: () => transactions,
  putTransactions: () => putTransactions,
  connections: (name) => connections.get(name) ?? [],
};

// ---- raw: plain IndexedDB, the other tab
const done = (request) =>
  new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
const asRaw = (f) => {
  rawCalls++;
  try {
    return f();
  } finally {
    rawCalls--;
  }
};
const STORE = "entries";
const raw = {
  /** A connection (at `version`, running `upgrade(db)` on upgradeneeded), kept open. */
  open(name, version, upgrade) {
    const request = asRaw(() => (version === undefined ? indexedDB.open(name) : indexedDB.open(name, version)));
    if (upgrade) request.onupgradeneeded = () => upgrade(request.result);
    return done(request);
  },
  async version(name) {
    const db = await raw.open(name);
    db.close();
    return db.version;
  },
  async run(name, mode, f) {
    const db = await raw.open(name);
    try {
      const tx = asRaw(() => db.transaction(STORE, mode));
      const result = await done(f(tx.objectStore(STORE)));
      await new Promise((resolve, reject) => {
        tx.oncomplete = resolve;
        tx.onabort = tx.onerror = () => reject(tx.error);
      });
      return result;
    } finally {
      db.close();
    }
  },
  put: (name, key, value) => raw.run(name, "readwrite", (store) => store.put(value, key)),
  get: (name, key) => raw.run(name, "readonly", (store) => store.get(key)),
  keys: (name) => raw.run(name, "readonly", (store) => store.getAllKeys()),
  count: (name) => raw.run(name, "readonly", (store) => store.count()),
  deleteDatabase: (name) => done(asRaw(() => indexedDB.deleteDatabase(name))),
};

// ---- assertions
const show = (v) => JSON.stringify(v, (_, x) => (x === undefined ? "<undefined>" : x instanceof Uint8Array ? Array.from(x) : x));
function eq(actual, expected, what = "") {
  if (show(actual) !== show(expected)) throw new Error(`${what ? `${what}: ` : ""}expected ${show(expected)}, got ${show(actual)}`);
}
function ok(value, what = "expected a truthy value") {
  if (!value) throw new Error(what);
}
/** The error `f()` throws or rejects with; fails if it succeeds. */
async function error(f) {
  try {
    await f();
  } catch (e) {
    return e;
  }
  throw new Error("expected an error, but the call succeeded");
}
const code = async (f) => (await error(f)).code;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
async function within(ms, what, promise) {
  let timer;
  const timeout = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
const run = Math.random().toString(36).slice(2);
const db = (name) => `edgecache-engines-${name}-${run}`;

/** Runs `f` with `window.indexedDB` replaced by `factory` (if given), restoring it after. */
async function withIndexedDb(factory, f) {
  if (!factory) return f();
  const own = Object.getOwnPropertyDescriptor(window, "indexedDB");
  Object.defineProperty(window, "indexedDB", { value: factory, configurable: true, writable: true });
  try {
    return await f();
  } finally {
    if (own) Object.defineProperty(window, "indexedDB", own);
    else delete window.indexedDB;
  }
}

const t = { EdgeCache, raw, spy, eq, ok, error, code, sleep, within, db, withIndexedDb };

window.runCase = async (name, extra = {}) => {
  try {
    await cases[name]({ ...t, ...extra });
    return { ok: true };
  } catch (e) {
    return { ok: false, error: `${e?.code ? `${e.code}: ` : ""}${e?.message ?? e}\n${e?.stack ?? ""}` };
  }
};
/**
 * The quota case: "bucket" (Chromium's Storage Buckets API, a bucket with a
 * 200 kB quota) or "page" (the page's own storage, which the engine was
 * launched with a small quota for; `count` x `size` bytes overflow it).
 * `raw`: the same overflow by plain IndexedDB (rawQuotaCase), without edgecache;
 * `options`: more options of the cache.
 */
window.runQuota = async (mode, { count = 20, size = 50_000, raw = false, options } = {}) => {
  try {
    let factory;
    if (mode === "bucket") {
      const bucket = await navigator.storageBuckets.open(db(raw ? "raw-bucket" : "bucket"), { quota: 200_000 });
      factory = bucket.indexedDB;
    }
    const run = raw ? rawQuotaCase : quotaCase;
    return { ok: true, ...(await run(t, { factory, count, size, options })) };
  } catch (e) {
    return { ok: false, error: `${e?.code ? `${e.code}: ` : ""}${e?.message ?? e}\n${e?.stack ?? ""}` };
  }
};
/** What the engine says about this origin's storage. */
window.estimate = async () => (navigator.storage?.estimate ? navigator.storage.estimate() : null);
window.caseNames = Object.keys(cases);
document.getElementById("status").textContent = "ready";
