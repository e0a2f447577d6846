// The persistent stores (IndexedDB, Workers KV, D1, R2, Redis, memcached),
// in Rust (PersistentCore): every method returns a Promise and values cross
// as copies. This file adapts that core to EdgeCache's driver shape and reads
// the options all stores share; tiered.js puts a memory tier in front.

import { checkKey, checkValue, optionalNamespace, optionalNumber, readTtl } from "./checks.js";
import { readOptions } from "./options.js";

const MEMORY_TIER_OPTIONS = ["maxEntries", "maxBytes"];

/**
 * The options every persistent cache reads the same way: the bag itself
 * (names checked against `allowed`), the namespace, the default TTL and the
 * memory tier's bounds. Returns the bag, the namespace, `storeOptions`,
 * which makes the Rust `StoreOptions` every `PersistentCore.open*` takes
 * from the wasm module that will open the store, and `memory`: the memory
 * tier's options (`undefined`: no tier).
 */
export function readStoreOptions(options, allowed, what) {
  const opts = readOptions(options, allowed, `${what} options`);
  const namespace = optionalNamespace(opts);
  const defaultTtlMs = optionalNumber(opts, "defaultTtlMs");
  let memory;
  if (opts.memory !== undefined) {
    const bounds = readOptions(opts.memory, MEMORY_TIER_OPTIONS, `${what} memory options`);
    memory = {
      maxEntries: optionalNumber(bounds, "maxEntries"),
      maxBytes: optionalNumber(bounds, "maxBytes"),
      defaultTtlMs,
    };
  }
  const storeOptions = (glue) => new glue.StoreOptions(namespace, defaultTtlMs);
  return { opts, namespace, storeOptions, memory };
}

/**
 * EdgeCache's driver over a `PersistentCore` (a store alone; tiered.js
 * extends it with a memory tier). The checked calls (`read`, `write`,
 * `remove`, `contains`) check their arguments, then make the plain call.
 */
export class PersistentDriver {
  sync = false;
  /** True for a store whose getOrSet is shared across isolates (memcached). */
  shared;
  #core;

  constructor(core, { shared = false } = {}) {
    this.#core = core;
    this.shared = shared;
  }

  /** `get` with EdgeCache's argument checks. */
  read(key) {
    checkKey(key);
    return this.get(key);
  }

  /** `set` with EdgeCache's argument checks (key, value, options). */
  write(key, value, options) {
    checkKey(key);
    const stored = checkValue(value);
    return this.set(key, stored, readTtl(options));
  }

  /** `delete` with EdgeCache's argument check. */
  remove(key) {
    checkKey(key);
    return this.delete(key);
  }

  /** `has` with EdgeCache's argument check. */
  contains(key) {
    checkKey(key);
    return this.has(key);
  }

  get(key) {
    return this.#core.get(key);
  }

  /** `[value, expiresAt | undefined]` for a live entry, or `undefined`. */
  getWithExpiry(key) {
    return this.#core.getWithExpiry(key);
  }

  /** `getWithExpiry` for each of `keys`, in one round trip. */
  getManyWithExpiry(keys) {
    return this.#core.getManyWithExpiry(keys);
  }

  /** True if `stats` answers (IndexedDB, D1); other stores count nothing. */
  get countsEntries() {
    return this.#core.countsEntries;
  }

  has(key) {
    return this.#core.has(key);
  }

  set(key, value, ttlMs) {
    return this.#core.set(key, value, ttlMs);
  }

  delete(key) {
    return this.#core.delete(key);
  }

  getMany(keys) {
    return this.#core.getMany(keys);
  }

  deleteMany(keys) {
    return this.#core.deleteMany(keys);
  }

  clear() {
    return this.#core.clear();
  }

  /** Runs `write`, a write to `key` that bypasses the driver (R2's `setStream`). */
  replacing(key, write) {
    return write();
  }

  healthCheck() {
    return this.#core.healthCheck();
  }

  stats() {
    return this.#core.stats();
  }

  close() {
    this.#core.close();
  }

  /** memcached only: `[value]`, true (this caller fills) or false (wait). */
  claim(key, lockMs) {
    return this.#core.claim(key, lockMs);
  }

  purgeExpired(maxRows) {
    return this.#core.purgeExpired(maxRows);
  }
}
