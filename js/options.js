// Errors and option bags, shared by every class the package exports
// (core.js, response-cache.js): one coded Error shape, one options reader.

// Intrinsic getters read an object's internal slots: they work across realms,
// and an own property, a spoofed Symbol.toStringTag or a Proxy cannot fake them.
export const intrinsic = (proto, name) => Object.getOwnPropertyDescriptor(proto, name)?.get;
export const typedArrayName = intrinsic(Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag);

// The codes are generated from Rust's `Error::CODES` (pkg/constants.js).
import { ErrorCode } from "./constants.js";

export { ErrorCode };

export function codedError(code, message) {
  const error = new Error(message);
  error.name = "EdgeCacheError";
  error.code = code;
  return error;
}

// ArrayBuffer.prototype's `resizable` getter (or `byteLength` where resizable
// buffers do not exist) answers for an ArrayBuffer and throws for a
// SharedArrayBuffer: one call is both the brand check and the resizable test.
export const arrayBufferCheck =
  intrinsic(ArrayBuffer.prototype, "resizable") ?? intrinsic(ArrayBuffer.prototype, "byteLength");

// For error messages only. Must never throw itself: a Proxy's traps (or a
// getter) could, and would turn a coded error into a stray exception.
export function describe(value) {
  try {
    if (value === null) return "null";
    if (Array.isArray(value)) return "an array";
    if (ArrayBuffer.isView(value)) return typedArrayName.call(value) ?? "a DataView";
    if (value instanceof ArrayBuffer) return "an ArrayBuffer";
  } catch {
    // A hostile object: its type is all we say.
  }
  return typeof value;
}

const sharedByteLengthOf =
  typeof SharedArrayBuffer === "function" ? intrinsic(SharedArrayBuffer.prototype, "byteLength") : undefined;

// True for an ArrayBuffer, a SharedArrayBuffer or any view of one (brand
// checks through the intrinsic getters: they work across realms and cannot
// be faked). Such an object has no own enumerable keys, so it would
// otherwise pass for an empty options bag.
function isBinary(value) {
  if (ArrayBuffer.isView(value)) return true;
  for (const getter of [arrayBufferCheck, sharedByteLengthOf]) {
    try {
      getter?.call(value);
      if (getter) return true;
    } catch {
      // Not this kind of buffer.
    }
  }
  return false;
}

// Reads an options bag: undefined is {}, anything else must be a plain object
// whose every field is known. Getters run once; one that throws is a coded
// error rather than a stray exception.
export function readOptions(options, allowed, what) {
  if (options === undefined) return {};
  if (typeof options !== "object" || options === null || Array.isArray(options) || isBinary(options)) {
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

