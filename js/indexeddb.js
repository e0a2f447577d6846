// IndexedDB reads straight into JavaScript. A read through the Rust core goes
// JS -> wasm -> IndexedDB -> wasm (decode, copy) -> JS; this reader asks
// IndexedDB itself, on the core's own connection, and hands back a view of
// the record IndexedDB cloned for it (no copy). It handles only the common
// answers — a live, well-formed record (a hit) and nothing stored (a miss) —
// and passes everything else to the core, which stays the authority: an
// expired or undecodable record (the core counts it and deletes it), a
// closed connection (the core reopens it), any error (the core reports it).
// Writes, bounds, purges and statistics stay in Rust (src/backends/idb/).
//
// Reads issued in the same tick share one readonly transaction, as the
// core's do: one `get` per key, and a `count` per `undefined` answer to tell
// a missing key from a stored `undefined` (never ours: passed to the core).
// (The core reads a lone key with `getAll(key, 1)`, which needs no `count`;
// a plain `get` is faster for a hit: 1,000 sequential one-key transactions
// took 0.78-0.94x the time with `get` in Chromium 156, six interleaved rounds.)
//
// A read issued while this driver's last read transaction is still active
// joins it instead of opening another. A transaction stays active while the
// `success` event of one of its requests is dispatched, microtasks included:
// so `for (const k of keys) await cache.get(k)` issues each read from the
// previous one's success, and saves opening and committing a transaction per
// read. What that is worth varies: raw IndexedDB in Chromium 156 answered 100
// awaited gets 1.6-1.7x faster in one transaction than in one transaction
// each on a small fresh store (benches/browser-idb.mjs prints this ceiling),
// but only 1.04-1.1x on this driver's own store of 1,000 records, where the
// request itself is most of a read; the JavaScript path around a read costs
// about as much again (2026-12-06, in the page: ~25 µs of ~230 µs a read).
// Joining answers every read as a transaction of its own would:
// - A read joins only while no write issued through any driver of this
//   module is in flight (`writesInFlight`). A write still in flight may be
//   one whose transaction opens after the joined one: then it waits for the
//   joined transaction to finish, and a read joining it would answer from
//   before the write however late it was issued. (A write that has finished
//   opened its transaction before the joined one: it could not finish while
//   a transaction opened before it, and still active, held the store.)
// - A writer in another tab waits for the joined transaction like for any
//   other; a transaction takes at most READS_PER_TRANSACTION reads, so a
//   loop of awaited reads holds writers back for at most that many.
// - An inactive or finished transaction throws on its first request
//   (`TransactionInactiveError`): the read then opens a transaction of its
//   own, as every read did before.

import { PersistentDriver } from "./persistent.js";

// The record header (src/record.rs): magic, format version, flags (bit 0:
// has expiry), expiry in ms since the epoch as a little-endian u64.
const MAGIC = 0xec;
const VERSION = 1;
const HEADER_LEN = 11;
const TWO_POW_32 = 4294967296;

/** The most reads one readonly transaction takes (see "joins" above). */
const READS_PER_TRANSACTION = 128;
/** Writes issued through any IndexedDbDriver and not settled (see "joins" above). */
let writesInFlight = 0;

/** `write()`, counted in `writesInFlight` until it settles. */
function writing(write) {
  writesInFlight++;
  let promise;
  try {
    promise = Promise.resolve(write());
  } catch (error) {
    promise = Promise.reject(error);
  }
  return promise.finally(() => writesInFlight--);
}

/** The outcome of one key: a hit `[value, expiresAt]`, a miss, or the core's. */
const MISS = 0;
const ASK_CORE = 1;

/** What a read resolves to: a value, an entry, or an array of either. */
const ONE_VALUE = 0;
const ONE_ENTRY = 1;
const VALUES = 2;
const ENTRIES = 3;

/**
 * `[value, expiresAt | undefined]` for a stored object `{ r, ... }` holding a
 * live record of this format, else ASK_CORE (expired, foreign, truncated,
 * another version: the core decides, counts and cleans up).
 */
function live(stored, now) {
  const r = stored?.r;
  if (!(r instanceof Uint8Array) || r.length < HEADER_LEN || r[0] !== MAGIC || r[1] !== VERSION) return ASK_CORE;
  const flags = r[2];
  // The top byte of each half is added, not OR-ed: `|` works in int32.
  const low = (r[3] | (r[4] << 8) | (r[5] << 16)) + r[6] * 2 ** 24;
  const high = (r[7] | (r[8] << 8) | (r[9] << 16)) + r[10] * 2 ** 24;
  if (flags === 0) return low === 0 && high === 0 ? [r.subarray(HEADER_LEN), undefined] : ASK_CORE;
  // Expiries beyond 2^53 ms are not written (TTLs are at most a century).
  if (flags !== 1 || high >= 2 ** 21) return ASK_CORE;
  const expiresAt = high * TWO_POW_32 + low;
  return expiresAt > now ? [r.subarray(HEADER_LEN), expiresAt] : ASK_CORE;
}

/**
 * What `EdgeCache.indexedDb` needs of a wasm module with the idb feature:
 * its classes, and this file's driver. Entries install it (runtime.js), so
 * in the browser the driver is in the lazily loaded IndexedDB chunk, not in
 * the page load.
 */
export const indexedDbModule = (glue) => ({
  PersistentCore: glue.PersistentCore,
  StoreOptions: glue.StoreOptions,
  IndexedDbDriver,
});

/** EdgeCache's driver for IndexedDB: PersistentDriver with reads in JavaScript. */
export class IndexedDbDriver extends PersistentDriver {
  #core;
  #store;
  #prefix;
  #db; // the core's IDBDatabase while it is open; undefined until known
  #opening; // a pending core.indexedDbReader()
  #batch; // this tick's reads: { keys, calls: [{ start, count, shape, resolve, reject }] }
  // The last read transaction's store and the reads it took: a read may
  // join it (see "joins" above).
  #reader;
  // Counted here for the reads answered here; the core counts the rest.
  #hits = 0;
  #misses = 0;

  /** `parts` = `[db, storeName, keyPrefix]` from `core.indexedDbReader()`. */
  constructor(core, [db, store, prefix]) {
    super(core);
    this.#core = core;
    this.#db = db;
    this.#store = store;
    this.#prefix = prefix;
  }

  get(key) {
    return new Promise((resolve, reject) => this.#enqueue([key], ONE_VALUE, resolve, reject));
  }

  getWithExpiry(key) {
    return new Promise((resolve, reject) => this.#enqueue([key], ONE_ENTRY, resolve, reject));
  }

  getMany(keys) {
    return new Promise((resolve, reject) => this.#enqueue(keys, VALUES, resolve, reject));
  }

  getManyWithExpiry(keys) {
    return new Promise((resolve, reject) => this.#enqueue(keys, ENTRIES, resolve, reject));
  }

  /** Adds `keys` to this tick's batch; `shape` says what `resolve` gets. */
  #enqueue(keys, shape, resolve, reject) {
    if (this.#batch === undefined) {
      this.#batch = { keys: [], calls: [] };
      queueMicrotask(() => this.#flush());
    }
    const { keys: all, calls } = this.#batch;
    calls.push({ start: all.length, count: keys.length, shape, resolve, reject });
    for (let i = 0; i < keys.length; i++) all.push(keys[i]);
  }

  // Every write is counted in flight, so no read joins a transaction it may follow.

  set(key, value, ttlMs) {
    return writing(() => super.set(key, value, ttlMs));
  }

  delete(key) {
    return writing(() => super.delete(key));
  }

  deleteMany(keys) {
    return writing(() => super.deleteMany(keys));
  }

  clear() {
    return writing(() => super.clear());
  }

  purgeExpired(maxRows) {
    return writing(() => super.purgeExpired(maxRows));
  }

  replacing(key, write) {
    return writing(() => super.replacing(key, write));
  }

  async stats() {
    const stats = await super.stats();
    stats.hits += this.#hits;
    stats.misses += this.#misses;
    return stats;
  }

  close() {
    this.#db = undefined;
    this.#reader = undefined;
    super.close();
  }

  async #flush() {
    const { keys, calls } = this.#batch;
    this.#batch = undefined;
    let outcomes;
    try {
      outcomes = await this.#read(keys);
    } catch {
      // A closed connection (versionchange, close()), an aborted
      // transaction, anything: the core reopens, retries and reports.
      this.#db = undefined;
      this.#reader = undefined;
      outcomes = keys.map(() => ASK_CORE);
    }
    for (const call of calls) this.#answer(call, keys, outcomes);
  }

  /** Settles one call of a batch from the outcomes of its keys. */
  #answer({ start, count, shape, resolve, reject }, keys, outcomes) {
    const entries = new Array(count).fill(undefined);
    const ask = [];
    for (let i = 0; i < count; i++) {
      const outcome = outcomes[start + i];
      if (outcome === ASK_CORE) ask.push(i);
      else if (outcome === MISS) this.#misses++;
      else {
        this.#hits++;
        entries[i] = outcome;
      }
    }
    const settle = () => {
      if (shape === ONE_VALUE) resolve(entries[0]?.[0]);
      else if (shape === ONE_ENTRY) resolve(entries[0]);
      else if (shape === VALUES) resolve(entries.map((entry) => entry?.[0]));
      else resolve(entries);
    };
    if (ask.length === 0) return settle();
    this.#core.getManyWithExpiry(ask.map((i) => keys[start + i])).then((answers) => {
      ask.forEach((i, j) => (entries[i] = answers[j]));
      settle();
    }, reject);
  }

  /** One readonly transaction for `keys`; an outcome per key. */
  async #read(keys) {
    if (keys.length === 0) return [];
    const db = this.#db ?? (await this.#connection());
    if (db === undefined) return keys.map(() => ASK_CORE);
    const stored = keys.map((key) => this.#prefix + key);
    const now = Date.now();
    let store;
    let gets;
    const reader = this.#reader;
    if (reader !== undefined && writesInFlight === 0 && reader.reads + keys.length <= READS_PER_TRANSACTION) {
      try {
        gets = [reader.store.get(stored[0])];
        store = reader.store;
        reader.reads += keys.length;
      } catch {
        // Inactive or finished: open a transaction of our own.
      }
    }
    if (store === undefined) {
      store = db.transaction(this.#store, "readonly").objectStore(this.#store);
      gets = [store.get(stored[0])];
      this.#reader = { store, reads: keys.length };
    }
    for (let i = 1; i < stored.length; i++) gets.push(store.get(stored[i]));
    await request(gets[gets.length - 1]);
    const values = gets.map((g) => g.result);
    // A stored `undefined` is not ours, but must reach the core (which
    // deletes it) rather than read as a miss: count the undefined answers.
    const counts = new Map();
    values.forEach((value, i) => value === undefined && counts.set(i, store.count(stored[i])));
    if (counts.size > 0) await request([...counts.values()].at(-1));
    return values.map((value, i) => {
      if (value !== undefined) return live(value, now);
      return counts.get(i).result > 0 ? ASK_CORE : MISS;
    });
  }

  /** The core's connection, opened by the core (undefined if it cannot). */
  async #connection() {
    this.#opening ??= this.#core.indexedDbReader().finally(() => (this.#opening = undefined));
    const parts = await this.#opening.catch(() => undefined);
    this.#db = parts?.[0];
    return this.#db;
  }
}

/** Resolves to `request`'s result (requests of one transaction answer in order). */
function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}
