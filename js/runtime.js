// Which wasm modules this entry has, and how the classes reach them. Each
// entry file (node.js, workerd.js, browser.js, slim.js) calls `install` once
// when it is imported, before any user code runs; nothing here touches wasm
// at import, so core.js stays the same for every runtime.
//
// - memory: the module with MemoryCore and checkTtlMs, loaded at import.
// - stores: the module with PersistentCore for the synchronous factories
//   (kv, r2, redis), or undefined where this entry has none (the browser).
// - indexedDb(), http(): promises of the modules with IndexedDB and
//   HttpPolicy: loaded on first use in the browser, already there elsewhere.

import { ErrorCode, codedError } from "./options.js";

let modules;

/** Called by the entry file: `{ memory, stores?, indexedDb, http }`. */
export function install(given) {
  modules = given;
}

/** The memory cache's wasm exports. */
export function memoryGlue() {
  return modules.memory;
}

/** The persistent stores' wasm exports, for `what` (a factory's name). */
export function storesGlue(what) {
  if (modules.stores === undefined) {
    throw codedError(
      ErrorCode.UNSUPPORTED,
      `${what} is not in the browser build (it needs a Workers binding or a TCP socket): use it in Node or Cloudflare Workers`,
    );
  }
  return modules.stores;
}

/** A promise of the wasm exports with IndexedDB (`PersistentCore.openIndexedDb`). */
export function indexedDbGlue() {
  return modules.indexedDb();
}

/** A promise of the wasm exports with `HttpPolicy`. */
export function httpGlue() {
  return modules.http();
}
