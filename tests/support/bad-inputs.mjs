// Shared by the bad-input matrices (tests/js/bad-inputs.test.mjs,
// tests/js/r2-bad-inputs.test.mjs): what a coded failure looks like, how a
// call ended, and hostile values no ordinary test would build.

import assert from "node:assert/strict";
import { ErrorCode } from "../../pkg/node.js";

const CODES = new Set(Object.values(ErrorCode));

/** Asserts `error` is a coded EdgeCacheError (of `code`, if given), never a trap. */
export function assertCoded(error, code, what) {
  assert.ok(!(error instanceof WebAssembly.RuntimeError), `${what}: wasm trap: ${error?.message}`);
  assert.ok(error instanceof Error, `${what}: expected an Error, got ${String(error)}`);
  assert.equal(error.name, "EdgeCacheError", `${what}: ${error.name}: ${error.message}`);
  assert.ok(CODES.has(error.code), `${what}: unknown code ${error.code}`);
  if (code !== undefined) assert.equal(error.code, code, `${what}: ${error.message}`);
  assert.ok(typeof error.message === "string" && error.message.length > 0, what);
}

/** Runs `call`; reports whether it threw synchronously, rejected or resolved. */
export async function outcome(call) {
  let result;
  try {
    result = call();
  } catch (error) {
    return { kind: "threw", error };
  }
  if (!(result instanceof Promise)) return { kind: "returned", value: result };
  try {
    return { kind: "resolved", value: await result };
  } catch (error) {
    return { kind: "rejected", error };
  }
}

export function detachedUint8Array() {
  const view = new Uint8Array(8);
  structuredClone(view.buffer, { transfer: [view.buffer] });
  assert.equal(view.byteLength, 0, "the test failed to detach the buffer");
  return view;
}

/** An object every property access, key listing or conversion of which throws. */
export function throwingObject() {
  const boom = () => {
    throw new Error("getter exploded");
  };
  return new Proxy(
    {},
    { get: boom, has: boom, ownKeys: boom, getOwnPropertyDescriptor: boom, getPrototypeOf: boom },
  );
}

// The hostile values. Each goes into every argument position below.
