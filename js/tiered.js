// The memory tier of a persistent cache (`options.memory`): the JavaScript
// memory cache (memory.js: values stay in JS, the S3-FIFO engine is
// addressed by slot numbers) in front of a PersistentCore, so a hot read
// never crosses into wasm and never copies a value.
//
// The rules are TieredBackend's (src/tiered.rs), which native Rust users get:
// - a store hit is copied into the tier with exactly the store's expiry, so
//   a copy never outlives the stored entry;
// - writes go to the store first, then to the tier, dated from before the
//   store's write (the copy's TTL counts from no later than the store's);
//   a value the tier refuses (over its byte bound) leaves no older copy;
// - a read that races a write of its key does not refill the tier with what
//   it read (maybe the old value): refills are skipped while a write to the
//   key's stripe is in flight or has started since the read began. Marks are
//   kept per stripe, not per key, so their memory is fixed.

import { ErrorCode } from "./options.js";
import { MemoryDriver, hashKey } from "./memory.js";
import { PersistentDriver } from "./persistent.js";

const STRIPES = 64;

/**
 * The memory tier `memory` asks for (`readStoreOptions`' `memory`:
 * `{ maxEntries, maxBytes, defaultTtlMs }`), or `undefined` for none. Made
 * before the store is opened, so bad bounds throw first.
 */
export function memoryTier(memory) {
  if (memory === undefined) return undefined;
  try {
    return new MemoryDriver(memory);
  } catch (error) {
    // Its bounds are named `memory.maxEntries` and `memory.maxBytes`.
    if (error?.code === ErrorCode.INVALID_OPTIONS) {
      error.message = error.message.replace(/\b(max(Entries|Bytes) must)/, "memory.$1");
    }
    throw error;
  }
}

/**
 * EdgeCache's driver over `core`, behind `tier` (from `memoryTier`) if any;
 * `store` is the driver for the store alone (default: a PersistentDriver;
 * IndexedDB's reads in JavaScript).
 */
export function persistentDriver(core, tier, store = new PersistentDriver(core)) {
  return tier === undefined ? store : new TieredDriver(core, store, tier);
}

/** EdgeCache's driver for a persistent store behind a memory tier. */
class TieredDriver extends PersistentDriver {
  #front;
  #back;
  #seed = (Math.random() * 2 ** 32) >>> 0;
  // Writes started and finished per stripe (exact: below 2^53).
  #started = new Float64Array(STRIPES);
  #finished = new Float64Array(STRIPES);

  constructor(core, back, front) {
    super(core, { shared: back.shared });
    this.#back = back;
    this.#front = front;
  }

  /** memcached's cross-process getOrSet claim, from the store itself. */
  claim(key, lockMs) {
    return this.#back.claim(key, lockMs);
  }

  #stripe(key) {
    return hashKey(key, this.#seed) % STRIPES;
  }

  /** True if no write to `stripe` started since `started` or is in flight. */
  #quietSince(stripe, started) {
    return this.#started[stripe] === started && this.#finished[stripe] === started;
  }

  /** Runs `write` with `stripes` (all of them for `undefined`) marked busy. */
  async #around(stripes, write) {
    const marked = stripes ?? Array.from({ length: STRIPES }, (_, i) => i);
    for (const s of marked) this.#started[s]++;
    try {
      return await write();
    } finally {
      for (const s of marked) this.#finished[s]++;
    }
  }

  /** Copies a store entry into the tier unless a write got in the way. */
  #refill(key, [value, expiresAt], stripe, started) {
    if (!this.#quietSince(stripe, started)) return;
    try {
      this.#front.fill(key, value, expiresAt);
    } catch {
      // Too large for the tier's byte bound: only a lost speed-up.
    }
  }

  // The checked calls: the tier checks an unknown key (memory.js), and a
  // key the tier holds was checked when it was stored.

  read(key) {
    const value = this.#front.read(key);
    return value !== undefined ? value : this.#load(key);
  }

  contains(key) {
    return this.#front.contains(key) || this.#back.has(key);
  }

  get(key) {
    const value = this.#front.get(key);
    return value !== undefined ? value : this.#load(key);
  }

  has(key) {
    return this.#front.has(key) || this.#back.has(key);
  }

  async #load(key) {
    const stripe = this.#stripe(key);
    const started = this.#started[stripe];
    const entry = await this.#back.getWithExpiry(key);
    if (entry === undefined) return undefined;
    this.#refill(key, entry, stripe, started);
    return entry[0];
  }

  set(key, value, ttlMs) {
    const now = Date.now();
    return this.#around([this.#stripe(key)], async () => {
      await this.#back.set(key, value, ttlMs);
      try {
        this.#front.setAt(key, value, ttlMs, now);
      } catch {
        // The tier cannot hold it: it must not keep serving an older value.
        this.#front.delete(key);
      }
    });
  }

  delete(key) {
    return this.#around([this.#stripe(key)], async () => {
      await this.#back.delete(key);
      this.#front.delete(key);
    });
  }

  async getMany(keys) {
    const values = this.#front.getMany(keys);
    const missing = [];
    for (let i = 0; i < values.length; i++) if (values[i] === undefined) missing.push(i);
    if (missing.length === 0) return values;
    const missingKeys = missing.map((i) => keys[i]);
    const stripes = missingKeys.map((key) => this.#stripe(key));
    const snapshot = stripes.map((s) => this.#started[s]);
    const entries = await this.#back.getManyWithExpiry(missingKeys);
    for (let j = 0; j < missing.length; j++) {
      const entry = entries[j];
      if (entry === undefined) continue;
      this.#refill(missingKeys[j], entry, stripes[j], snapshot[j]);
      values[missing[j]] = entry[0];
    }
    return values;
  }

  deleteMany(keys) {
    return this.#around(
      keys.map((key) => this.#stripe(key)),
      async () => {
        await this.#back.deleteMany(keys);
        this.#front.deleteMany(keys);
      },
    );
  }

  clear() {
    return this.#around(undefined, async () => {
      await this.#back.clear();
      this.#front.clear();
    });
  }

  /**
   * Runs `write`, a write to `key` that bypasses the tier (R2's
   * `setStream`), dropping the tier's copy before and after it so no read
   * can bring the old value back.
   */
  replacing(key, write) {
    return this.#around([this.#stripe(key)], async () => {
      this.#front.delete(key);
      try {
        return await write();
      } finally {
        this.#front.delete(key);
      }
    });
  }

  /**
   * A read is a hit if either tier served it; a store that counts its
   * entries (IndexedDB, D1) is the authority on everything else, and the
   * others (KV, R2, Redis) are reported through the tier.
   */
  close() {
    this.#back.close();
  }

  async stats() {
    const front = this.#front.stats();
    if (!this.#back.countsEntries) return front;
    const back = await this.#back.stats();
    back.hits += front.hits;
    return back;
  }
}
