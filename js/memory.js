// The memory store: S3-FIFO in Rust (MemoryCore), addressed by slot number;
// the key index and the caller's values stay here, so a hit never copies
// bytes or a string across the boundary (see ARCHITECTURE.md).

import { MAX_KEY_BYTES, REMOVED_SATURATED } from "./constants.js";
import { byteLengthOf, checkKey, checkValue, checkedBytes, optionalNumber, readTtl } from "./checks.js";
import { memoryGlue } from "./runtime.js";

const TWO_POW_32 = 4294967296;
const NO_LOG = new Uint32Array(0);
// Above any key's UTF-8 length (MAX_KEY_BYTES), so a hash (32 bits) and a
// length pack into one safe integer.
const KEY_BYTES_SPAN = 2 ** 15;
if (MAX_KEY_BYTES >= KEY_BYTES_SPAN) throw new Error("edgecache: KEY_BYTES_SPAN must exceed MAX_KEY_BYTES");

// FNV-1a over the key's UTF-16 code units, seeded per cache, computing the
// key's UTF-8 length in the same pass (left in `hashedKeyBytes`, or -1 if the
// key has a lone surrogate, which has no UTF-8 form). Hashing here saves
// copying the key string into wasm memory on every set, and the length and
// the surrogate check save a new key's check a second pass (see `write`).
// The hash only feeds S3-FIFO's ghost queue (and tiered.js's write stripes):
// a collision merely admits a key early (or skips a refill).
let hashedKeyBytes = 0;
export function hashKey(key, seed) {
  let h = seed;
  let bytes = 0;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    h = Math.imul(h ^ c, 16777619);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if ((c & 0xf800) !== 0xd800) bytes += 3;
    else {
      // A surrogate: a high one followed by a low one is a pair (four bytes
      // of UTF-8); anything else is lone (charCodeAt past the end is NaN).
      const low = key.charCodeAt(i + 1);
      if (c > 0xdbff || (low & 0xfc00) !== 0xdc00) {
        hashedKeyBytes = -1;
        return h >>> 0;
      }
      h = Math.imul(h ^ low, 16777619);
      i++;
      bytes += 4;
    }
  }
  hashedKeyBytes = bytes;
  return h >>> 0;
}

// 32 random bits from crypto.getRandomValues(), or Math.random() where the
// platform refuses (a Worker's module scope, a runtime without Web Crypto).
// Exported for tests.
export function drawSeed() {
  try {
    return globalThis.crypto.getRandomValues(new Uint32Array(1))[0];
  } catch {
    return (Math.random() * 2 ** 32) >>> 0;
  }
}

export class MemoryDriver {
  /** Answers synchronously: EdgeCache may skip awaiting it. */
  sync = true;
  #core;
  #slots = new Map(); // key -> slot
  #keys = []; // slot -> key
  #values = []; // slot -> the caller's Uint8Array
  // slot -> hashKey(key) * KEY_BYTES_SPAN + the key's UTF-8 length, so an
  // overwrite does not hash the key again (one array: less to grow).
  #keyMeta = [];
  // The FNV seed, drawn on this cache's first insert (undefined until then):
  // Workers refuse random values outside a request handler, and a cache may
  // be built at module scope.
  #seed;
  // Until some entry has a TTL, nothing can expire and reading the clock
  // (a third of a hit's cost) is skipped: the engine gets time 0.
  #mayExpire;
  #inserts = 0; // overwrites counted here instead of in the engine (see #store)
  #misses = 0; // misses the key index answers, counted here
  // The core's hit log (see MemoryCore.hitLog): while no entry can expire, a
  // hit writes its slot here instead of calling into wasm, and the next core
  // call applies the first #logged slots (every call but hitLog() takes
  // #logged first, then the log counts from 0 again). Empty until the first
  // hit asks for it, and again whenever wasm memory has grown.
  #hitLog = NO_LOG;
  #logged = 0;

  constructor(options) {
    const defaultTtlMs = optionalNumber(options, "defaultTtlMs");
    this.#core = new (memoryGlue().MemoryCore)(optionalNumber(options, "maxEntries"), optionalNumber(options, "maxBytes"), defaultTtlMs);
    this.#mayExpire = defaultTtlMs !== undefined;
  }

  #now() {
    return this.#mayExpire ? Date.now() : 0;
  }

  // EdgeCache's checked calls (read, write, contains, remove): a key found
  // in #slots was checked when it was stored, so only an unknown key is
  // checked (then answered as usual: a miss, or a coded error).

  read(key) {
    return this.get(key);
  }

  write(key, value, options) {
    let old = this.#slots.get(key);
    let hash;
    let keyBytes;
    if (old === undefined) {
      // checkKey's checks, in its order, with the hashing pass counting the
      // UTF-8 length and finding lone surrogates: checkKey runs again only
      // to throw its error.
      if (typeof key !== "string" || key.length === 0 || key.length > MAX_KEY_BYTES) checkKey(key);
      hash = hashKey(key, (this.#seed ??= drawSeed()));
      keyBytes = hashedKeyBytes;
      if (!(keyBytes > 0 && keyBytes <= MAX_KEY_BYTES)) checkKey(key);
    }
    const stored = checkValue(value);
    const length = checkedBytes;
    let ttlMs;
    if (options !== undefined) {
      ttlMs = readTtl(options);
      // Reading the options may have run the caller's getters: look again.
      old = this.#slots.get(key);
    }
    this.#store(key, stored, ttlMs, old, undefined, hash, keyBytes, length);
  }

  contains(key) {
    return this.has(key);
  }

  remove(key) {
    if (!this.#slots.has(key)) checkKey(key);
    this.delete(key);
  }

  get(key) {
    const slot = this.#slots.get(key);
    if (slot === undefined) {
      checkKey(key);
      this.#misses++;
      return undefined;
    }
    // A detached view (wasm memory grew) has length 0, so it is never
    // written to: the next branch asks for a fresh one.
    if (!this.#mayExpire && this.#logged < this.#hitLog.length) {
      this.#hitLog[this.#logged++] = slot;
      return this.#values[slot];
    }
    const hit = this.#core.get(this.#takeLogged(), slot, this.#now());
    if (this.#hitLog.length === 0) this.#hitLog = this.#core.hitLog();
    if (hit) return this.#values[slot];
    this.#forget(slot);
    return undefined;
  }

  has(key) {
    const slot = this.#slots.get(key);
    if (slot === undefined) {
      checkKey(key);
      return false;
    }
    if (this.#core.has(this.#takeLogged(), slot, this.#now())) return true;
    // has() only answers false for a live slot when it has just expired.
    this.#forget(slot);
    return false;
  }

  /** Stores a checked key, value and TTL. */
  set(key, value, ttlMs) {
    this.#store(key, value, ttlMs, this.#slots.get(key));
  }

  /**
   * `set` dated from `now` (a `Date.now()` read earlier), so a TTL counts
   * from then: a memory tier dates its copy no later than the store's write.
   */
  setAt(key, value, ttlMs, now) {
    this.#store(key, value, ttlMs, this.#slots.get(key), now);
  }

  /**
   * Stores a checked key and value that expire at `expiresAt` (ms since the
   * epoch; `undefined`: no expiry of their own, so the default TTL applies):
   * a memory tier's copy of a stored entry, which must not outlive it.
   * Does nothing if `expiresAt` has come.
   */
  fill(key, value, expiresAt) {
    const now = Date.now();
    let ttlMs;
    if (expiresAt !== undefined) {
      // The engine dates a write at the end of the current millisecond
      // (now + 1, as Date.now() truncates): the copy expires at expiresAt.
      ttlMs = expiresAt - (now + 1);
      if (!(ttlMs >= 1)) return;
    }
    this.#store(key, value, ttlMs, this.#slots.get(key), now);
  }

  // `hash` and `keyBytes`: hashKey's answer for a new key, and `length`: the
  // value's byteLength, if the caller has them already.
  #store(key, value, ttlMs, old, at, hash, keyBytes, length = byteLengthOf.call(value)) {
    if (ttlMs !== undefined) this.#mayExpire = true;
    if (old !== undefined && !this.#mayExpire && length === byteLengthOf.call(this.#values[old])) {
      // An overwrite that changes nothing the engine keeps: the same key and
      // value length (so the same weight), and no expiry on any entry. The
      // engine's replace would only count an insert (it does not touch
      // frequencies or queues), so it is counted here and the call skipped.
      this.#values[old] = value;
      this.#inserts++;
      return;
    }
    if (old !== undefined) {
      const meta = this.#keyMeta[old];
      keyBytes = meta % KEY_BYTES_SPAN;
      hash = (meta - keyBytes) / KEY_BYTES_SPAN;
    } else if (hash === undefined) {
      hash = hashKey(key, (this.#seed ??= drawSeed()));
      keyBytes = hashedKeyBytes;
    }
    const packed = this.#core.set(this.#takeLogged(), keyBytes, hash, length, ttlMs, old, at ?? this.#now());
    // A refused write (value over the byte bound) changed nothing.
    if (packed < 0) throw this.#core.takeError();
    let removed = Math.floor(packed / TWO_POW_32);
    const slot = packed - removed * TWO_POW_32;
    if (removed === REMOVED_SATURATED) removed = this.#core.removedCount();
    // Release every freed slot before claiming the new one: it may reuse one.
    // The key's own old slot keeps its Map entry, which is overwritten below.
    if (old !== undefined) {
      this.#keys[old] = undefined;
      this.#values[old] = undefined;
    }
    for (let i = 0; i < removed; i++) this.#forget(this.#core.removed(i));
    this.#slots.set(key, slot);
    this.#keys[slot] = key;
    this.#values[slot] = value;
    this.#keyMeta[slot] = hash * KEY_BYTES_SPAN + keyBytes;
  }

  delete(key) {
    const slot = this.#slots.get(key);
    if (slot === undefined) return;
    this.#core.delete(this.#takeLogged(), slot);
    this.#forget(slot);
  }

  getMany(keys) {
    return keys.map((key) => this.get(key));
  }

  deleteMany(keys) {
    for (const key of keys) this.delete(key);
  }

  healthCheck() {
    return true;
  }

  clear() {
    this.#core.clear(this.#takeLogged());
    this.#slots.clear();
    // Emptied in place: the arrays keep their capacity for what comes next.
    this.#keys.fill(undefined);
    this.#values.fill(undefined);
  }

  stats() {
    const stats = this.#core.stats(this.#takeLogged());
    stats.inserts += this.#inserts;
    stats.misses += this.#misses;
    return stats;
  }

  close() {}

  /** The hits logged since the last core call, which the next one applies. */
  #takeLogged() {
    const n = this.#logged;
    this.#logged = 0;
    return n;
  }

  #forget(slot) {
    const key = this.#keys[slot];
    if (key === undefined) return;
    this.#slots.delete(key);
    this.#keys[slot] = undefined;
    this.#values[slot] = undefined;
  }
}
