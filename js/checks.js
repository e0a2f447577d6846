// Argument checks shared by every cache: keys, values, option values and
// TTLs, each failing with a coded Error before anything reaches wasm. The
// limits come from Rust (constants.js, generated); a TTL's range is checked
// by Rust itself (`checkTtlMs`), so both sides refuse the same values.

import { MAX_KEY_BYTES, MAX_NAMESPACE_BYTES } from "./constants.js";
import { ErrorCode, arrayBufferCheck, codedError, describe, intrinsic, readOptions, typedArrayName } from "./options.js";
import { memoryGlue } from "./runtime.js";

const WRITE_OPTIONS = ["ttlMs"];

export function utf8Length(s) {
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

export function checkKey(key) {
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

export function checkKeys(keys) {
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
export const byteLengthOf = intrinsic(TypedArrayPrototype, "byteLength");
// Returns the array to store: the caller's own, or a fixed-length copy of a
// view over a resizable buffer (whose length could change under the byte
// accounting). Callers size it with byteLengthOf(), never value.byteLength,
// or read `checkedBytes`: its length, until the next checkValue call.
export let checkedBytes = 0;
export function checkValue(value) {
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
  checkedBytes = byteLengthOf.call(value);
  if (checkedBytes === 0) {
    try {
      new Uint8Array(buffer, 0, 0);
    } catch {
      throw codedError(ErrorCode.INVALID_VALUE, "the value's ArrayBuffer is detached");
    }
  }
  return resizable ? Uint8Array.prototype.slice.call(value) : value;
}

export function optionalNumber(options, name) {
  const value = options[name];
  if (value === undefined) return undefined;
  if (typeof value !== "number") {
    throw codedError(ErrorCode.INVALID_OPTIONS, `${name} must be a number, got ${describe(value)}`);
  }
  return value;
}

export function optionalString(options, name) {
  const value = options[name];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.length === 0) {
    throw codedError(ErrorCode.INVALID_OPTIONS, `${name} must be a non-empty string, got ${describe(value)}`);
  }
  return value;
}

export function optionalNamespace(options) {
  const namespace = options.namespace;
  // Well-formed only: a lone surrogate has no UTF-8 form, so "\uD800" and
  // "\uDFFF" would both reach Rust as "\uFFFD" and share one namespace.
  if (
    namespace !== undefined &&
    (typeof namespace !== "string" || namespace.length === 0 || !namespace.isWellFormed() || utf8Length(namespace) > MAX_NAMESPACE_BYTES)
  ) {
    throw codedError(ErrorCode.INVALID_OPTIONS, `namespace must be a non-empty, well-formed string of at most ${MAX_NAMESPACE_BYTES} bytes`);
  }
  return namespace;
}

/** Throws the coded error Rust gives for a `ttlMs` out of range. */
export function checkTtlMs(ttlMs) {
  memoryGlue().checkTtlMs(ttlMs);
}

export function readTtl(options) {
  if (options === undefined) return undefined;
  const ttlMs = optionalNumber(readOptions(options, WRITE_OPTIONS, "write options"), "ttlMs");
  if (ttlMs !== undefined) checkTtlMs(ttlMs);
  return ttlMs;
}
