// The EdgeCache class: the public JavaScript API, shared by every entry point.
//
// The entry files (node.js, browser.js, ...) install the wasm modules they
// have (runtime.js) and re-export this module, so users never call init().
// This file owns the factories, Promises, the text/JSON helpers and request
// coalescing; the stores are drivers (memory.js, persistent.js) and the
// argument checks are in checks.js. Eviction, expiry, byte accounting and
// statistics run in Rust.

import { R2_MAX_KEY_BYTES, R2_MAX_VALUE_BYTES } from "./constants.js";
import {
  checkKey,
  checkKeys,
  checkTtlMs,
  checkValue,
  optionalNamespace,
  optionalNumber,
  optionalString,
  readTtl,
  utf8Length,
} from "./checks.js";
import { MemoryDriver } from "./memory.js";
import { ErrorCode, codedError, describe, readOptions } from "./options.js";
import { PersistentDriver, readStoreOptions } from "./persistent.js";
import { indexedDbGlue, storesGlue, tcpGlue } from "./runtime.js";
import { streamBody } from "./streams.js";
import { memoryTier, persistentDriver } from "./tiered.js";

export { ErrorCode };

export { ResponseCache } from "./response-cache.js";

const PRIVATE = Symbol("EdgeCache.private");
const MEMORY_OPTIONS = ["maxEntries", "maxBytes", "defaultTtlMs", "namespace"];
const INDEXED_DB_OPTIONS = ["dbName", "storeName", "namespace", "defaultTtlMs", "maxEntries", "maxBytes", "memory"];
const R2_OPTIONS = ["prefix", "namespace", "defaultTtlMs", "memory"];
const STREAM_WRITE_OPTIONS = ["ttlMs", "length"];
const KV_OPTIONS = ["namespace", "defaultTtlMs", "memory"];
const REDIS_OPTIONS = [
  "connect",
  "username",
  "password",
  "namespace",
  "defaultTtlMs",
  "connectTimeoutMs",
  "replyTimeoutMs",
  "tls",
  "memory",
];
const MEMCACHED_OPTIONS = ["connect", "namespace", "defaultTtlMs", "connectTimeoutMs", "replyTimeoutMs", "memory"];
const DEFAULT_REPLY_TIMEOUT_MS = 10_000;
const GET_OR_SET_OPTIONS = ["ttlMs", "lockMs"];
// How long a memcached getOrSet winner may take to fill before another
// caller takes over (memcached counts it in whole seconds).
const DEFAULT_LOCK_MS = 30_000;
const D1_OPTIONS = ["table", "namespace", "defaultTtlMs", "memory"];
const PURGE_OPTIONS = ["maxRows"];
// The codes that mean "the storage cannot serve requests now": healthCheck
// answers false for them.
const STORAGE_FAILURES = new Set([
  ErrorCode.BACKEND,
  ErrorCode.UNAVAILABLE,
  ErrorCode.QUOTA_EXCEEDED,
  ErrorCode.BLOCKED,
  ErrorCode.AUTH,
]);

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * A bounded, TTL-aware cache. Create one with `EdgeCache.memory(options)`;
 * every method returns a Promise. See index.d.ts for the full contract.
 */
export class EdgeCache {
  #driver;
  #namespace;
  #inflight = new Map();

  /** @private Use EdgeCache.memory(), EdgeCache.indexedDb(), EdgeCache.kv() or EdgeCache.d1(). */
  constructor(token, driver, namespace) {
    if (token !== PRIVATE) {
      throw codedError(ErrorCode.INVALID_OPTIONS, "use EdgeCache.memory(options) to create a cache");
    }
    this.#driver = driver;
    this.#namespace = namespace;
  }

  /** An in-memory cache, bounded by entries and bytes (S3-FIFO eviction). */
  static memory(options) {
    const opts = readOptions(options, MEMORY_OPTIONS, "EdgeCache.memory options");
    const namespace = optionalNamespace(opts);
    return new EdgeCache(PRIVATE, new MemoryDriver(opts), namespace);
  }

  /**
   * A cache persisted in IndexedDB (surviving reloads, shared by tabs), with
   * a memory tier in front when `options.memory` is given. Resolves once the
   * database is open.
   */
  static async indexedDb(options) {
    const { opts, namespace, storeOptions, memory } = readStoreOptions(options, INDEXED_DB_OPTIONS, "EdgeCache.indexedDb");
    const [dbName, storeName] = [optionalString(opts, "dbName"), optionalString(opts, "storeName")];
    const [maxEntries, maxBytes] = [optionalNumber(opts, "maxEntries"), optionalNumber(opts, "maxBytes")];
    const tier = memoryTier(memory);
    // In the browser the IndexedDB module loads on this first call.
    const glue = await indexedDbGlue();
    const core = await glue.PersistentCore.openIndexedDb(storeOptions(glue), dbName, storeName, maxEntries, maxBytes);
    // Reads go straight to IndexedDB from JavaScript (indexeddb.js).
    const store = new glue.IndexedDbDriver(core, await core.indexedDbReader());
    return new EdgeCache(PRIVATE, persistentDriver(core, tier, store), namespace);
  }

  /**
   * A cache over a Workers KV binding (or any object of its shape), tiered
   * behind an isolate-local memory cache when `options.memory` is given.
   * TTLs are exact (KV's own 60 s minimum is only a storage hint).
   */
  static kv(binding, options) {
    const { namespace, storeOptions, memory } = readStoreOptions(options, KV_OPTIONS, "EdgeCache.kv");
    const tier = memoryTier(memory);
    const glue = storesGlue("EdgeCache.kv");
    const core = glue.PersistentCore.openKv(binding, storeOptions(glue));
    return new EdgeCache(PRIVATE, persistentDriver(core, tier), namespace);
  }

  /**
   * A cache in a Redis server (TCP: `cloudflare:sockets` in workerd,
   * `node:net` in Node), tiered behind a memory cache when `options.memory`
   * is given. Connects on the first call and again after a failure.
   */
  static redis(options) {
    const { opts, namespace, storeOptions, memory } = readStoreOptions(options, REDIS_OPTIONS, "EdgeCache.redis");
    if (opts.connect === undefined) {
      throw codedError(ErrorCode.INVALID_OPTIONS, 'EdgeCache.redis needs connect: a redis:// URL, "host:port", { hostname, port } or a function');
    }
    const replyTimeoutMs = optionalNumber(opts, "replyTimeoutMs") ?? DEFAULT_REPLY_TIMEOUT_MS;
    if (!(replyTimeoutMs > 0 && replyTimeoutMs <= 2 ** 31 - 1)) {
      throw codedError(ErrorCode.INVALID_OPTIONS, `replyTimeoutMs must be a positive number of milliseconds up to 2^31 - 1, got ${replyTimeoutMs}`);
    }
    const tcp = tcpGlue("EdgeCache.redis");
    const { open, username, password } = tcp.readConnect(opts.connect, replyTimeoutMs, opts.tls);
    const tier = memoryTier(memory);
    const glue = storesGlue("EdgeCache.redis");
    const core = glue.PersistentCore.openRedis(
      open,
      storeOptions(glue),
      tcp.readCredential(opts.username, "username") ?? username,
      tcp.readCredential(opts.password, "password") ?? password,
      optionalNumber(opts, "connectTimeoutMs"),
    );
    return new EdgeCache(PRIVATE, persistentDriver(core, tier, new tcp.RedisDriver(core)), namespace);
  }

  /**
   * A cache in a memcached server (1.6 or later; TCP: `cloudflare:sockets` in
   * workerd, `node:net` in Node), tiered behind a memory cache when
   * `options.memory` is given. Connects on the first call and again after a
   * failure. `getOrSet` fills a missing key once across every isolate and
   * process sharing the server (memcached's stampede protection).
   */
  static memcached(options) {
    const { opts, namespace, storeOptions, memory } = readStoreOptions(options, MEMCACHED_OPTIONS, "EdgeCache.memcached");
    if (opts.connect === undefined) {
      throw codedError(ErrorCode.INVALID_OPTIONS, 'EdgeCache.memcached needs connect: a memcached:// URL, "host:port", { hostname, port } or a function');
    }
    const replyTimeoutMs = optionalNumber(opts, "replyTimeoutMs") ?? DEFAULT_REPLY_TIMEOUT_MS;
    if (!(replyTimeoutMs > 0 && replyTimeoutMs <= 2 ** 31 - 1)) {
      throw codedError(ErrorCode.INVALID_OPTIONS, `replyTimeoutMs must be a positive number of milliseconds up to 2^31 - 1, got ${replyTimeoutMs}`);
    }
    const open = tcpGlue("EdgeCache.memcached").readMemcachedConnect(opts.connect, replyTimeoutMs);
    const tier = memoryTier(memory);
    const glue = storesGlue("EdgeCache.memcached");
    const core = glue.PersistentCore.openMemcached(open, storeOptions(glue), optionalNumber(opts, "connectTimeoutMs"));
    return new EdgeCache(PRIVATE, persistentDriver(core, tier, new PersistentDriver(core, { shared: true })), namespace);
  }

  /**
   * A cache in a table of a Cloudflare D1 database (`env.DB`), tiered behind
   * an isolate-local memory cache when `options.memory` is given. Resolves
   * once the table exists: it is created (with its expiry index) if missing,
   * once per binding and table in an isolate. Strongly consistent; TTLs exact.
   */
  static async d1(binding, options) {
    const { opts, namespace, storeOptions, memory } = readStoreOptions(options, D1_OPTIONS, "EdgeCache.d1");
    const table = optionalString(opts, "table");
    const tier = memoryTier(memory);
    const glue = storesGlue("EdgeCache.d1");
    const core = await glue.PersistentCore.openD1(binding, storeOptions(glue), table);
    return new EdgeCache(PRIVATE, persistentDriver(core, tier), namespace);
  }

  /**
   * D1 caches only: deletes at most `options.maxRows` (default 1,000) expired
   * rows of the table, resolving to how many. Writes already purge a little
   * now and then; call this from a cron trigger to purge more.
   */
  async purgeExpired(options) {
    const maxRows = optionalNumber(readOptions(options, PURGE_OPTIONS, "purgeExpired options"), "maxRows");
    if (typeof this.#driver.purgeExpired !== "function") {
      throw codedError(ErrorCode.UNSUPPORTED, "purgeExpired is for D1 caches: other stores expire entries themselves");
    }
    return this.#driver.purgeExpired(maxRows);
  }

  /**
   * A cache over a Cloudflare R2 bucket binding (or any object of its
   * shape), tiered behind an isolate-local memory cache when
   * `options.memory` is given. TTLs are exact (kept in each object's
   * customMetadata). The cache also has getStream/setStream, which pass
   * bodies to and from the bucket without copying them into wasm.
   */
  static r2(binding, options) {
    const { opts, namespace, storeOptions, memory } = readStoreOptions(options, R2_OPTIONS, "EdgeCache.r2");
    const prefix = opts.prefix;
    // Rust checks the form (empty, or ending in "/" without ":"); a lone
    // surrogate would reach it as U+FFFD and merge two prefixes.
    if (prefix !== undefined && (typeof prefix !== "string" || !prefix.isWellFormed())) {
      throw codedError(ErrorCode.INVALID_OPTIONS, `prefix must be a well-formed string, got ${describe(prefix)}`);
    }
    const tier = memoryTier(memory);
    const glue = storesGlue("EdgeCache.r2");
    const core = glue.PersistentCore.openR2(binding, storeOptions(glue), prefix);
    // The bytes "{prefix}{len}:{namespace}:" adds to every object key.
    const nsBytes = namespace === undefined ? 0 : utf8Length(namespace);
    const overhead = utf8Length(prefix ?? "") + String(nsBytes).length + 2 + nsBytes;
    return new R2Cache(PRIVATE, persistentDriver(core, tier), namespace, core, overhead);
  }

  /** The namespace this cache's keys live in, if any. */
  get namespace() {
    return this.#namespace;
  }

  // The four hot calls leave their argument checks to the driver (in the
  // same order: key, value, options), so the memory driver can skip the key
  // check for a key it holds (it was checked when it was stored).

  async get(key) {
    return this.#driver.read(key);
  }

  async set(key, value, options) {
    return this.#driver.write(key, value, options);
  }

  async delete(key) {
    return this.#driver.remove(key);
  }

  async has(key) {
    return this.#driver.contains(key);
  }

  async getMany(keys) {
    checkKeys(keys);
    return this.#driver.getMany(keys);
  }

  async deleteMany(keys) {
    checkKeys(keys);
    return this.#driver.deleteMany(keys);
  }

  async clear() {
    return this.#driver.clear();
  }

  // False when the storage cannot serve requests (down, unreachable,
  // refusing the credentials, blocked, full, or failing): that is the
  // answer a health check exists to give. Other codes are the caller's
  // mistakes and still reject.
  async healthCheck() {
    try {
      return await this.#driver.healthCheck();
    } catch (error) {
      if (STORAGE_FAILURES.has(error?.code)) return false;
      throw error;
    }
  }

  async stats() {
    return this.#driver.stats();
  }

  /**
   * Closes the connection to the storage, if the cache holds one (IndexedDB,
   * Redis); the next call opens a new one. Synchronous; never throws.
   */
  close() {
    this.#driver.close();
  }

  async getText(key) {
    const bytes = await this.get(key);
    if (bytes === undefined) return undefined;
    try {
      return decoder.decode(bytes);
    } catch {
      throw codedError(ErrorCode.DECODE, `the value under ${JSON.stringify(key)} is not valid UTF-8`);
    }
  }

  async setText(key, text, options) {
    if (typeof text !== "string") {
      throw codedError(ErrorCode.INVALID_VALUE, `setText expects a string, got ${describe(text)}`);
    }
    if (!text.isWellFormed()) {
      throw codedError(ErrorCode.INVALID_VALUE, "text must be well-formed Unicode (no lone surrogates)");
    }
    return this.set(key, encoder.encode(text), options);
  }

  async getJson(key) {
    const text = await this.getText(key).catch((error) => {
      throw error.code === ErrorCode.DECODE
        ? codedError(ErrorCode.DECODE, `the value under ${JSON.stringify(key)} is not JSON`)
        : error;
    });
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text);
    } catch {
      throw codedError(ErrorCode.DECODE, `the value under ${JSON.stringify(key)} is not JSON`);
    }
  }

  async setJson(key, value, options) {
    let text;
    try {
      text = JSON.stringify(value);
    } catch (error) {
      throw codedError(ErrorCode.INVALID_VALUE, `value cannot be encoded as JSON: ${error instanceof Error ? error.message : describe(error)}`);
    }
    if (text === undefined) {
      // undefined, a function or a symbol: JSON has no form for it.
      throw codedError(ErrorCode.INVALID_VALUE, `a value of type ${describe(value)} has no JSON form`);
    }
    return this.set(key, encoder.encode(text), options);
  }

  async getOrSet(key, loader, options) {
    checkKey(key);
    if (typeof loader !== "function") {
      throw codedError(ErrorCode.INVALID_OPTIONS, `getOrSet expects a loader function, got ${describe(loader)}`);
    }
    let ttlMs, lockMs;
    if (options !== undefined && this.#driver.shared) {
      // memcached's getOrSet also takes lockMs.
      const opts = readOptions(options, GET_OR_SET_OPTIONS, "getOrSet options");
      ttlMs = optionalNumber(opts, "ttlMs");
      if (ttlMs !== undefined) checkTtlMs(ttlMs);
      lockMs = optionalNumber(opts, "lockMs");
      if (lockMs !== undefined && !(lockMs >= 1000 && lockMs <= 2 ** 31 - 1)) {
        throw codedError(ErrorCode.INVALID_OPTIONS, `lockMs must be a number of milliseconds from 1000 to 2^31 - 1, got ${describe(lockMs)}`);
      }
    } else {
      ttlMs = readTtl(options);
    }
    if (this.#driver.sync) {
      // The memory cache answers a hit without a coalescing round trip.
      const cached = this.#driver.get(key);
      if (cached !== undefined) return cached;
    }
    let pending = this.#inflight.get(key);
    if (pending === undefined) {
      pending = this.#driver.shared
        ? this.#getOrLoadShared(key, loader, ttlMs, lockMs ?? DEFAULT_LOCK_MS)
        : this.#getOrLoad(key, loader, ttlMs);
      this.#inflight.set(key, pending);
    }
    return pending;
  }

  // memcached: one loader call across every isolate and process. The
  // server gives one caller the win (claim resolves true); the others see
  // false and ask again with backoff (5 ms doubling to 200 ms) until the
  // value is there, or, after twice lockMs without one, load it themselves.
  async #getOrLoadShared(key, loader, ttlMs, lockMs) {
    try {
      await undefined; // register this load before anything can settle it
      const cached = await this.#driver.get(key);
      if (cached !== undefined) return cached;
      let pause = 5;
      const giveUp = Date.now() + 2 * lockMs;
      for (;;) {
        const claim = await this.#driver.claim(key, lockMs);
        if (Array.isArray(claim)) return claim[0];
        if (claim === true || Date.now() >= giveUp) {
          const value = checkValue(await loader(key));
          await this.#driver.set(key, value, ttlMs);
          return value;
        }
        await new Promise((resolve) => setTimeout(resolve, pause));
        pause = Math.min(pause * 2, 200);
      }
    } finally {
      this.#inflight.delete(key);
    }
  }

  async #getOrLoad(key, loader, ttlMs) {
    try {
      // Always await here: the yield lets the caller register this load
      // before a loader that throws synchronously can settle it. (The memory
      // cache was already checked, synchronously, by getOrSet.)
      const cached = await (this.#driver.sync ? undefined : this.#driver.get(key));
      if (cached !== undefined) return cached;
      const value = checkValue(await loader(key));
      await this.#driver.set(key, value, ttlMs);
      return value;
    } finally {
      this.#inflight.delete(key);
    }
  }
}

/**
 * An EdgeCache over R2 (`EdgeCache.r2`), with the stream methods only R2
 * caches have. Not exported: `instanceof EdgeCache` holds.
 */
class R2Cache extends EdgeCache {
  #driver;
  #core;
  #keyOverhead;

  constructor(token, driver, namespace, core, keyOverhead) {
    super(token, driver, namespace);
    this.#driver = driver;
    this.#core = core;
    this.#keyOverhead = keyOverhead;
  }

  /**
   * The live value under `key` as the bucket's body stream, or undefined.
   * Read from R2 directly (not from the memory tier), never through wasm.
   */
  async getStream(key) {
    checkKey(key);
    return this.#core.getStream(key);
  }

  /**
   * Stores `body` (ReadableStream, Blob, ArrayBuffer or Uint8Array) under
   * `key` without copying it into wasm. A ReadableStream needs a known
   * length: a request or response body that has one, or `options.length`.
   */
  async setStream(key, body, options) {
    checkKey(key);
    // Rust refuses the same keys; checked here too so that a stream is not
    // piped into a FixedLengthStream that no put will read.
    if (this.#keyOverhead + utf8Length(key) > R2_MAX_KEY_BYTES) {
      throw codedError(ErrorCode.INVALID_KEY, `the key is over R2's ${R2_MAX_KEY_BYTES}-byte object keys with this cache's prefix and namespace`);
    }
    const opts = readOptions(options, STREAM_WRITE_OPTIONS, "setStream options");
    const ttlMs = optionalNumber(opts, "ttlMs");
    if (ttlMs !== undefined) checkTtlMs(ttlMs);
    const length = optionalNumber(opts, "length");
    if (length !== undefined && !(Number.isSafeInteger(length) && length >= 0)) {
      throw codedError(ErrorCode.INVALID_OPTIONS, `length must be a whole number of bytes, got ${length}`);
    }
    if (length !== undefined && length > R2_MAX_VALUE_BYTES) {
      throw codedError(ErrorCode.VALUE_TOO_LARGE, `length ${length} is over R2's single-put limit of ${R2_MAX_VALUE_BYTES} bytes`);
    }
    const { body: stored, size } = streamBody(body, length);
    if (size !== undefined && size > R2_MAX_VALUE_BYTES) {
      throw codedError(ErrorCode.VALUE_TOO_LARGE, `the body is ${size} bytes; R2's single-put limit is ${R2_MAX_VALUE_BYTES}`);
    }
    return this.#driver.replacing(key, () => this.#core.setStream(key, stored, ttlMs));
  }
}
