// The EdgeCache class: the public JavaScript API, shared by every entry point.
//
// The entry files (node.js, browser.js, ...) initialise the wasm module
// synchronously and re-export this module, so users never call init().
// This file owns argument checks, Promises, the text/JSON helpers and request
// coalescing. Eviction, expiry, byte accounting and statistics run in Rust
// (MemoryCore); for the memory cache the key index and the values stay on the
// JS side so that a hit never copies bytes or a string across the boundary.

import { MemoryCore, checkTtlMs } from "./wasm/edgecache.js";

const PRIVATE = Symbol("EdgeCache.private");
const TWO_POW_32 = 4294967296;
const REMOVED_SATURATED = 2 ** 21 - 1;
const MEMORY_OPTIONS = ["maxEntries", "maxBytes", "defaultTtlMs", "namespace"];
const WRITE_OPTIONS = ["ttlMs"];

/** Stable error codes; `error.code` is always one of these. */
export const ErrorCode = Object.freeze({
  INVALID_KEY: "EDGECACHE_INVALID_KEY",
  INVALID_VALUE: "EDGECACHE_INVALID_VALUE",
  INVALID_OPTIONS: "EDGECACHE_INVALID_OPTIONS",
  VALUE_TOO_LARGE: "EDGECACHE_VALUE_TOO_LARGE",
  DECODE: "EDGECACHE_DECODE",
  BACKEND: "EDGECACHE_BACKEND",
  UNSUPPORTED: "EDGECACHE_UNSUPPORTED",
});

function codedError(code, message) {
  const error = new Error(message);
  error.name = "EdgeCacheError";
  error.code = code;
  return error;
}

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

// Intrinsic getters read a typed array's internal slots: they work across
// realms, and an own property, a spoofed Symbol.toStringTag or a Proxy cannot
// fake them (a lying `byteLength` would otherwise bypass the byte bound).
const intrinsic = (proto, name) => Object.getOwnPropertyDescriptor(proto, name)?.get;
const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype);
const typedArrayName = intrinsic(TypedArrayPrototype, Symbol.toStringTag);
const bufferOf = intrinsic(TypedArrayPrototype, "buffer");
const byteLengthOf = intrinsic(TypedArrayPrototype, "byteLength");
const isResizable = intrinsic(ArrayBuffer.prototype, "resizable");
const sharedByteLength =
  typeof SharedArrayBuffer === "undefined" ? undefined : intrinsic(SharedArrayBuffer.prototype, "byteLength");

function isShared(buffer) {
  if (sharedByteLength === undefined) return false;
  try {
    sharedByteLength.call(buffer);
    return true;
  } catch {
    return false;
  }
}

// Returns the array to store: the caller's own, or a fixed-length copy of a
// view over a resizable buffer (whose length could change under the byte
// accounting). Callers size it with byteLengthOf(), never value.byteLength.
function checkValue(value) {
  if (typedArrayName.call(value) !== "Uint8Array") {
    throw codedError(ErrorCode.INVALID_VALUE, `values must be Uint8Array, got ${describe(value)}`);
  }
  const buffer = bufferOf.call(value);
  if (isShared(buffer)) {
    throw codedError(ErrorCode.INVALID_VALUE, "values must not be views into a SharedArrayBuffer");
  }
  if (byteLengthOf.call(value) === 0) {
    try {
      new Uint8Array(buffer, 0, 0);
    } catch {
      throw codedError(ErrorCode.INVALID_VALUE, "the value's ArrayBuffer is detached");
    }
  }
  return isResizable?.call(buffer) === true ? Uint8Array.prototype.slice.call(value) : value;
}

function describe(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (ArrayBuffer.isView(value)) return value[Symbol.toStringTag] ?? "a DataView";
  if (value instanceof ArrayBuffer) return "an ArrayBuffer";
  return typeof value;
}

// Reads an options bag: undefined is {}, anything else must be a plain object
// whose every field is known. Getters run once; one that throws is a coded
// error rather than a stray exception.
function readOptions(options, allowed, what) {
  if (options === undefined) return {};
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw codedError(ErrorCode.INVALID_OPTIONS, `${what} must be an object, got ${describe(options)}`);
  }
  const out = {};
  try {
    for (const name of Object.keys(options)) {
      if (!allowed.includes(name)) {
        throw codedError(
          ErrorCode.INVALID_OPTIONS,
          `unknown option ${JSON.stringify(name)} in ${what}; expected one of ${allowed.join(", ")}`,
        );
      }
      out[name] = options[name];
    }
  } catch (error) {
    if (error?.code === ErrorCode.INVALID_OPTIONS) throw error;
    throw codedError(ErrorCode.INVALID_OPTIONS, `reading ${what} threw: ${error}`);
  }
  return out;
}

function optionalNumber(options, name) {
  const value = options[name];
  if (value === undefined) return undefined;
  if (typeof value !== "number") {
    throw codedError(ErrorCode.INVALID_OPTIONS, `${name} must be a number, got ${describe(value)}`);
  }
  return value;
}

function readTtl(options) {
  const ttlMs = optionalNumber(readOptions(options, WRITE_OPTIONS, "write options"), "ttlMs");
  if (ttlMs !== undefined) checkTtlMs(ttlMs);
  return ttlMs;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

// The memory store: S3-FIFO in Rust, addressed by slot; keys and values here.
class MemoryDriver {
  #core;
  #slots = new Map(); // key -> slot
  #keys = []; // slot -> key
  #values = []; // slot -> the caller's Uint8Array

  constructor(options) {
    this.#core = new MemoryCore(
      optionalNumber(options, "maxEntries"),
      optionalNumber(options, "maxBytes"),
      optionalNumber(options, "defaultTtlMs"),
    );
  }

  get(key) {
    const slot = this.#slots.get(key);
    if (slot === undefined) {
      this.#core.miss();
      return undefined;
    }
    if (this.#core.get(slot, Date.now())) return this.#values[slot];
    this.#forget(slot);
    return undefined;
  }

  has(key) {
    const slot = this.#slots.get(key);
    if (slot === undefined) return false;
    if (this.#core.has(slot, Date.now())) return true;
    // has() only answers false for a live slot when it has just expired.
    this.#forget(slot);
    return false;
  }

  set(key, value, ttlMs) {
    const old = this.#slots.get(key);
    // Throws (changing nothing) for a bad TTL or a value over the byte bound.
    const packed = this.#core.set(key, byteLengthOf.call(value), ttlMs, old, Date.now());
    let removed = Math.floor(packed / TWO_POW_32);
    const slot = packed - removed * TWO_POW_32;
    if (removed === REMOVED_SATURATED) removed = this.#core.removedCount();
    // Forget every freed slot before claiming the new one: it may reuse one.
    if (old !== undefined) this.#forget(old);
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

  clear() {
    this.#core.clear();
    this.#slots.clear();
    this.#keys = [];
    this.#values = [];
  }

  stats() {
    return this.#core.stats();
  }

  #forget(slot) {
    const key = this.#keys[slot];
    if (key === undefined) return;
    this.#slots.delete(key);
    this.#keys[slot] = undefined;
    this.#values[slot] = undefined;
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

  /** @private Use EdgeCache.memory(). */
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
    const namespace = opts.namespace;
    if (namespace !== undefined) {
      if (typeof namespace !== "string" || namespace.length === 0 || utf8Length(namespace) > 256) {
        throw codedError(ErrorCode.INVALID_OPTIONS, "namespace must be a non-empty string of at most 256 bytes");
      }
    }
    return new EdgeCache(PRIVATE, new MemoryDriver(opts), namespace);
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
    this.#driver.set(key, stored, readTtl(options));
  }

  async delete(key) {
    checkKey(key);
    this.#driver.delete(key);
  }

  async has(key) {
    checkKey(key);
    return this.#driver.has(key);
  }

  async getMany(keys) {
    checkKeys(keys);
    return keys.map((key) => this.#driver.get(key));
  }

  async deleteMany(keys) {
    checkKeys(keys);
    for (const key of keys) this.#driver.delete(key);
  }

  async clear() {
    this.#driver.clear();
  }

  async healthCheck() {
    return true;
  }

  async stats() {
    return this.#driver.stats();
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
    const cached = this.#driver.get(key);
    if (cached !== undefined) return cached;
    let pending = this.#inflight.get(key);
    if (pending === undefined) {
      pending = this.#load(key, loader, ttlMs);
      this.#inflight.set(key, pending);
    }
    return pending;
  }

  async #load(key, loader, ttlMs) {
    // Yield once so the caller registers this load before a loader that
    // throws synchronously can settle it.
    await undefined;
    try {
      const value = checkValue(await loader(key));
      this.#driver.set(key, value, ttlMs);
      return value;
    } finally {
      this.#inflight.delete(key);
    }
  }
}
