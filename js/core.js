// The EdgeCache class: the public JavaScript API, shared by every entry point.
//
// The entry files (node.js, browser.js, ...) initialise the wasm module
// synchronously and re-export this module, so users never call init().
// This file owns argument checks, Promises, the text/JSON helpers and request
// coalescing. Eviction, expiry, byte accounting and statistics run in Rust
// (MemoryCore); for the memory cache the key index and the values stay on the
// JS side so that a hit never copies bytes or a string across the boundary.

import { IndexedDbOptions, MemoryCore, PersistentCore, RedisOptions, checkTtlMs } from "./wasm/edgecache.js";
import { ErrorCode, arrayBufferCheck, codedError, describe, intrinsic, readOptions, typedArrayName } from "./options.js";
import { readConnect, readCredential } from "./redis.js";

export { ErrorCode };

export { ResponseCache } from "./response-cache.js";

const PRIVATE = Symbol("EdgeCache.private");
const TWO_POW_32 = 4294967296;
const REMOVED_SATURATED = 2 ** 21 - 1;
const MEMORY_OPTIONS = ["maxEntries", "maxBytes", "defaultTtlMs", "namespace"];
const INDEXED_DB_OPTIONS = ["dbName", "storeName", "namespace", "defaultTtlMs", "maxEntries", "maxBytes", "memory"];
const MEMORY_TIER_OPTIONS = ["maxEntries", "maxBytes"];
const R2_OPTIONS = ["prefix", "namespace", "defaultTtlMs", "memory"];
const STREAM_WRITE_OPTIONS = ["ttlMs", "length"];
// R2's single-put limit (5 GiB less 5 MiB): Rust's r2_layout::MAX_VALUE_BYTES.
const R2_MAX_VALUE_BYTES = 5 * 1024 ** 3 - 5 * 1024 ** 2;
// R2's object key limit (r2_layout::MAX_KEY_BYTES).
const R2_MAX_KEY_BYTES = 1024;
const KV_OPTIONS = ["namespace", "defaultTtlMs", "memory"];
const REDIS_OPTIONS = [
  "connect",
  "username",
  "password",
  "namespace",
  "defaultTtlMs",
  "connectTimeoutMs",
  "replyTimeoutMs",
  "memory",
];
const DEFAULT_REPLY_TIMEOUT_MS = 10_000;
const D1_OPTIONS = ["table", "namespace", "defaultTtlMs", "memory"];
const PURGE_OPTIONS = ["maxRows"];
const WRITE_OPTIONS = ["ttlMs"];

// Rust's key::MAX_KEY_BYTES; the tests check both sides refuse the same keys.
const MAX_KEY_BYTES = 16 * 1024;

function utf8Length(s) {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

function checkKey(key) {
  if (typeof key !== "string") {
    throw codedError(ErrorCode.INVALID_KEY, `keys must be strings, got ${describe(key)}`);
  }
  if (key.length === 0) throw codedError(ErrorCode.INVALID_KEY, "keys must not be empty");
  // A UTF-8 key is at least as many bytes as UTF-16 units and at most three
  // times as many, so only keys in between need counting.
  if (key.length > MAX_KEY_BYTES || (key.length * 3 > MAX_KEY_BYTES && utf8Length(key) > MAX_KEY_BYTES)) {
    throw codedError(ErrorCode.INVALID_KEY, `keys must be at most ${MAX_KEY_BYTES} bytes of UTF-8`);
  }
  if (!key.isWellFormed()) {
    // A lone surrogate has no UTF-8 form: two different keys would collide.
    throw codedError(ErrorCode.INVALID_KEY, "keys must be well-formed Unicode (no lone surrogates)");
  }
}

function checkKeys(keys) {
  if (!Array.isArray(keys)) {
    throw codedError(ErrorCode.INVALID_KEY, `expected an array of keys, got ${describe(keys)}`);
  }
  for (const key of keys) checkKey(key);
  return keys;
}

// Intrinsic getters (see options.js): a lying `byteLength` would otherwise
// bypass the byte bound.
const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype);
const bufferOf = intrinsic(TypedArrayPrototype, "buffer");
const byteLengthOf = intrinsic(TypedArrayPrototype, "byteLength");
// Returns the array to store: the caller's own, or a fixed-length copy of a
// view over a resizable buffer (whose length could change under the byte
// accounting). Callers size it with byteLengthOf(), never value.byteLength.
function checkValue(value) {
  if (typedArrayName.call(value) !== "Uint8Array") {
    throw codedError(ErrorCode.INVALID_VALUE, `values must be Uint8Array, got ${describe(value)}`);
  }
  const buffer = bufferOf.call(value);
  let resizable;
  try {
    resizable = arrayBufferCheck.call(buffer) === true;
  } catch {
    throw codedError(ErrorCode.INVALID_VALUE, "values must not be views into a SharedArrayBuffer");
  }
  if (byteLengthOf.call(value) === 0) {
    try {
      new Uint8Array(buffer, 0, 0);
    } catch {
      throw codedError(ErrorCode.INVALID_VALUE, "the value's ArrayBuffer is detached");
    }
  }
  return resizable ? Uint8Array.prototype.slice.call(value) : value;
}

// FNV-1a over the key's UTF-16 code units, seeded per cache, computing the
// key's UTF-8 length in the same pass (left in `hashedKeyBytes`). Hashing here
// saves copying the key string into wasm memory on every set. The hash only
// feeds S3-FIFO's ghost queue: a collision merely admits a key early.
let hashedKeyBytes = 0;
function hashKey(key, seed) {
  let h = seed;
  let bytes = 0;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    h = Math.imul(h ^ c, 16777619);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      // A surrogate pair (keys are well-formed): four bytes of UTF-8.
      h = Math.imul(h ^ key.charCodeAt(++i), 16777619);
      bytes += 4;
    } else bytes += 3;
  }
  hashedKeyBytes = bytes;
  return h >>> 0;
}

function optionalNumber(options, name) {
  const value = options[name];
  if (value === undefined) return undefined;
  if (typeof value !== "number") {
    throw codedError(ErrorCode.INVALID_OPTIONS, `${name} must be a number, got ${describe(value)}`);
  }
  return value;
}

function optionalString(options, name) {
  const value = options[name];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.length === 0) {
    throw codedError(ErrorCode.INVALID_OPTIONS, `${name} must be a non-empty string, got ${describe(value)}`);
  }
  return value;
}

function optionalNamespace(options) {
  const namespace = options.namespace;
  // Well-formed only: a lone surrogate has no UTF-8 form, so "\uD800" and
  // "\uDFFF" would both reach Rust as "\uFFFD" and share one namespace.
  if (
    namespace !== undefined &&
    (typeof namespace !== "string" || namespace.length === 0 || !namespace.isWellFormed() || utf8Length(namespace) > 256)
  ) {
    throw codedError(ErrorCode.INVALID_OPTIONS, "namespace must be a non-empty, well-formed string of at most 256 bytes");
  }
  return namespace;
}

// The options every persistent cache reads the same way: the bag itself
// (names checked against `allowed`), the namespace, the default TTL, and the
// memory tier's bounds (`memory`: [maxEntries, maxBytes], or undefined for
// no tier; `tier`: [tiered, maxEntries, maxBytes], as the Rust `open*`
// constructors take them).
function readStoreOptions(options, allowed, what) {
  const opts = readOptions(options, allowed, `${what} options`);
  const namespace = optionalNamespace(opts);
  const defaultTtlMs = optionalNumber(opts, "defaultTtlMs");
  if (opts.memory === undefined) return { opts, namespace, defaultTtlMs, memory: undefined, tier: [false] };
  const bounds = readOptions(opts.memory, MEMORY_TIER_OPTIONS, `${what} memory options`);
  const memory = [optionalNumber(bounds, "maxEntries"), optionalNumber(bounds, "maxBytes")];
  return { opts, namespace, defaultTtlMs, memory, tier: [true, ...memory] };
}

function readTtl(options) {
  if (options === undefined) return undefined;
  const ttlMs = optionalNumber(readOptions(options, WRITE_OPTIONS, "write options"), "ttlMs");
  if (ttlMs !== undefined) checkTtlMs(ttlMs);
  return ttlMs;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

// The memory store: S3-FIFO in Rust, addressed by slot; keys and values here.
class MemoryDriver {
  /** Answers synchronously: EdgeCache may skip awaiting it. */
  sync = true;
  #core;
  #slots = new Map(); // key -> slot
  #keys = []; // slot -> key
  #values = []; // slot -> the caller's Uint8Array
  #seed = (Math.random() * 2 ** 32) >>> 0;
  // Until some entry has a TTL, nothing can expire and reading the clock
  // (a third of a hit's cost) is skipped: the engine gets time 0.
  #mayExpire;

  constructor(options) {
    const defaultTtlMs = optionalNumber(options, "defaultTtlMs");
    this.#core = new MemoryCore(optionalNumber(options, "maxEntries"), optionalNumber(options, "maxBytes"), defaultTtlMs);
    this.#mayExpire = defaultTtlMs !== undefined;
  }

  #now() {
    return this.#mayExpire ? Date.now() : 0;
  }

  get(key) {
    const slot = this.#slots.get(key);
    if (slot === undefined) {
      this.#core.miss();
      return undefined;
    }
    if (this.#core.get(slot, this.#now())) return this.#values[slot];
    this.#forget(slot);
    return undefined;
  }

  has(key) {
    const slot = this.#slots.get(key);
    if (slot === undefined) return false;
    if (this.#core.has(slot, this.#now())) return true;
    // has() only answers false for a live slot when it has just expired.
    this.#forget(slot);
    return false;
  }

  set(key, value, ttlMs) {
    if (ttlMs !== undefined) this.#mayExpire = true;
    const old = this.#slots.get(key);
    const hash = hashKey(key, this.#seed);
    const packed = this.#core.set(hashedKeyBytes, hash, byteLengthOf.call(value), ttlMs, old, this.#now());
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
  }

  delete(key) {
    const slot = this.#slots.get(key);
    if (slot === undefined) return;
    this.#core.delete(slot);
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
    this.#core.clear();
    this.#slots.clear();
    this.#keys = [];
    this.#values = [];
  }

  stats() {
    return this.#core.stats();
  }

  close() {}

  #forget(slot) {
    const key = this.#keys[slot];
    if (key === undefined) return;
    this.#slots.delete(key);
    this.#keys[slot] = undefined;
    this.#values[slot] = undefined;
  }
}

// A persistent store (IndexedDB, optionally behind a memory tier), all in
// Rust: every method returns a Promise, values cross as copies.
class PersistentDriver {
  sync = false;
  #core;

  constructor(core) {
    this.#core = core;
  }

  get(key) {
    return this.#core.get(key);
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

  healthCheck() {
    return this.#core.healthCheck();
  }

  stats() {
    return this.#core.stats();
  }

  close() {
    this.#core.close();
  }

  purgeExpired(maxRows) {
    return this.#core.purgeExpired(maxRows);
  }
}

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
    const { opts, namespace, defaultTtlMs, memory } = readStoreOptions(options, INDEXED_DB_OPTIONS, "EdgeCache.indexedDb");
    const config = new IndexedDbOptions();
    config.setNames(optionalString(opts, "dbName"), optionalString(opts, "storeName"), namespace);
    config.setStore(defaultTtlMs, optionalNumber(opts, "maxEntries"), optionalNumber(opts, "maxBytes"));
    if (memory !== undefined) config.setMemory(...memory);
    const core = await PersistentCore.openIndexedDb(config);
    return new EdgeCache(PRIVATE, new PersistentDriver(core), namespace);
  }

  /**
   * A cache over a Workers KV binding (or any object of its shape), tiered
   * behind an isolate-local memory cache when `options.memory` is given.
   * TTLs are exact (KV's own 60 s minimum is only a storage hint).
   */
  static kv(binding, options) {
    const { namespace, defaultTtlMs, tier } = readStoreOptions(options, KV_OPTIONS, "EdgeCache.kv");
    const core = PersistentCore.openKv(binding, namespace, defaultTtlMs, ...tier);
    return new EdgeCache(PRIVATE, new PersistentDriver(core), namespace);
  }

  /**
   * A cache in a Redis server (TCP: `cloudflare:sockets` in workerd,
   * `node:net` in Node), tiered behind a memory cache when `options.memory`
   * is given. Connects on the first call and again after a failure.
   */
  static redis(options) {
    const { opts, namespace, defaultTtlMs, memory } = readStoreOptions(options, REDIS_OPTIONS, "EdgeCache.redis");
    if (opts.connect === undefined) {
      throw codedError(ErrorCode.INVALID_OPTIONS, 'EdgeCache.redis needs connect: a redis:// URL, "host:port", { hostname, port } or a function');
    }
    const replyTimeoutMs = optionalNumber(opts, "replyTimeoutMs") ?? DEFAULT_REPLY_TIMEOUT_MS;
    if (!(replyTimeoutMs > 0 && replyTimeoutMs <= 2 ** 31 - 1)) {
      throw codedError(ErrorCode.INVALID_OPTIONS, `replyTimeoutMs must be a positive number of milliseconds up to 2^31 - 1, got ${replyTimeoutMs}`);
    }
    const { open, username, password } = readConnect(opts.connect, replyTimeoutMs);
    const rust = new RedisOptions();
    rust.setAuth(readCredential(opts.username, "username") ?? username, readCredential(opts.password, "password") ?? password);
    rust.setStore(namespace, defaultTtlMs, optionalNumber(opts, "connectTimeoutMs"));
    if (memory !== undefined) rust.setMemory(...memory);
    const core = PersistentCore.openRedis(open, rust);
    return new EdgeCache(PRIVATE, new PersistentDriver(core), namespace);
  }

  /**
   * A cache in a table of a Cloudflare D1 database (`env.DB`), tiered behind
   * an isolate-local memory cache when `options.memory` is given. Resolves
   * once the table exists: it is created (with its expiry index) if missing,
   * once per binding and table in an isolate. Strongly consistent; TTLs exact.
   */
  static async d1(binding, options) {
    const { opts, namespace, defaultTtlMs, tier } = readStoreOptions(options, D1_OPTIONS, "EdgeCache.d1");
    const core = await PersistentCore.openD1(binding, optionalString(opts, "table"), namespace, defaultTtlMs, ...tier);
    return new EdgeCache(PRIVATE, new PersistentDriver(core), namespace);
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
    const { opts, namespace, defaultTtlMs, tier } = readStoreOptions(options, R2_OPTIONS, "EdgeCache.r2");
    const prefix = opts.prefix;
    // Rust checks the form (empty, or ending in "/" without ":"); a lone
    // surrogate would reach it as U+FFFD and merge two prefixes.
    if (prefix !== undefined && (typeof prefix !== "string" || !prefix.isWellFormed())) {
      throw codedError(ErrorCode.INVALID_OPTIONS, `prefix must be a well-formed string, got ${describe(prefix)}`);
    }
    const core = PersistentCore.openR2(binding, prefix, namespace, defaultTtlMs, ...tier);
    // The bytes "{prefix}{len}:{namespace}:" adds to every object key.
    const nsBytes = namespace === undefined ? 0 : utf8Length(namespace);
    const overhead = utf8Length(prefix ?? "") + String(nsBytes).length + 2 + nsBytes;
    return new R2Cache(PRIVATE, new PersistentDriver(core), namespace, core, overhead);
  }

  /** The namespace this cache's keys live in, if any. */
  get namespace() {
    return this.#namespace;
  }

  async get(key) {
    checkKey(key);
    return this.#driver.get(key);
  }

  async set(key, value, options) {
    checkKey(key);
    const stored = checkValue(value);
    return this.#driver.set(key, stored, readTtl(options));
  }

  async delete(key) {
    checkKey(key);
    return this.#driver.delete(key);
  }

  async has(key) {
    checkKey(key);
    return this.#driver.has(key);
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

  async healthCheck() {
    return this.#driver.healthCheck();
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
      throw codedError(ErrorCode.INVALID_VALUE, `value cannot be encoded as JSON: ${describe(value)}`);
    }
    return this.set(key, encoder.encode(text), options);
  }

  async getOrSet(key, loader, options) {
    checkKey(key);
    if (typeof loader !== "function") {
      throw codedError(ErrorCode.INVALID_OPTIONS, `getOrSet expects a loader function, got ${describe(loader)}`);
    }
    const ttlMs = readTtl(options);
    if (this.#driver.sync) {
      // The memory cache answers a hit without a coalescing round trip.
      const cached = this.#driver.get(key);
      if (cached !== undefined) return cached;
    }
    let pending = this.#inflight.get(key);
    if (pending === undefined) {
      pending = this.#getOrLoad(key, loader, ttlMs);
      this.#inflight.set(key, pending);
    }
    return pending;
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

const blobSizeOf = typeof Blob === "function" ? intrinsic(Blob.prototype, "size") : undefined;

// The body of setStream and its size in bytes (undefined for a stream whose
// length is not given). A stream with a `length` is wrapped in workerd's
// FixedLengthStream, which R2's put needs for a stream of known length.
// Brand check through the intrinsic `locked` getter: a Proxy or an object
// with a spoofed prototype cannot pass, and nothing here can throw.
const streamLockedOf = typeof ReadableStream === "function" ? intrinsic(ReadableStream.prototype, "locked") : undefined;
function isReadableStream(value) {
  try {
    if (streamLockedOf !== undefined) {
      streamLockedOf.call(value);
      return true;
    }
    return value instanceof ReadableStream;
  } catch {
    return false;
  }
}

function streamBody(body, length) {
  if (isReadableStream(body)) {
    if (length === undefined) return { body, size: undefined };
    if (typeof FixedLengthStream !== "function") return { body, size: length };
    if (streamLockedOf?.call(body)) throw codedError(ErrorCode.INVALID_VALUE, "the stream is locked (already being read)");
    // eslint-disable-next-line no-undef
    const fixed = new FixedLengthStream(length);
    // A source that fails, or is shorter or longer than `length`, errors the
    // readable side: R2's put rejects, and that is the error reported.
    body.pipeTo(fixed.writable).catch(() => {});
    return { body: fixed.readable, size: length };
  }
  if (length !== undefined) {
    throw codedError(ErrorCode.INVALID_OPTIONS, "length is only for ReadableStream bodies (others know their size)");
  }
  if (blobSizeOf !== undefined) {
    try {
      return { body, size: blobSizeOf.call(body) };
    } catch {
      // Not a Blob.
    }
  }
  if (typedArrayName.call(body) === "Uint8Array") {
    const value = checkValue(body);
    return { body: value, size: byteLengthOf.call(value) };
  }
  let size;
  try {
    // Throws for anything but an ArrayBuffer (a SharedArrayBuffer included).
    arrayBufferCheck.call(body);
    size = intrinsic(ArrayBuffer.prototype, "byteLength").call(body);
  } catch {
    throw codedError(
      ErrorCode.INVALID_VALUE,
      `setStream expects a ReadableStream, Blob, ArrayBuffer or Uint8Array, got ${describe(body)}`,
    );
  }
  return { body, size };
}

/**
 * An EdgeCache over R2 (`EdgeCache.r2`), with the stream methods only R2
 * caches have. Not exported: `instanceof EdgeCache` holds.
 */
class R2Cache extends EdgeCache {
  #core;
  #keyOverhead;

  constructor(token, driver, namespace, core, keyOverhead) {
    super(token, driver, namespace);
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
    return this.#core.setStream(key, stored, ttlMs);
  }
}
