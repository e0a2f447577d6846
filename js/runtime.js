// Which wasm modules this entry has, and how the classes reach them. Each
// entry file (node.js, workerd.js, browser.js, slim.js) calls `install` once
// when it is imported, before any user code runs; nothing here touches wasm
// at import, so core.js stays the same for every runtime.
//
// - memory: the module with MemoryCore and checkTtlMs, loaded at import.
// - stores: the module with PersistentCore for the synchronous factories
//   (kv, r2, redis), or undefined where this entry has none (the browser).
// - tcp: tcp-stores.js (Redis' and memcached's JavaScript), where stores are.
// - indexedDb(), http(): promises of the modules with IndexedDB and
//   HttpPolicy: loaded on first use in the browser, already there elsewhere.

import { ErrorCode, codedError } from "./options.js";

const modules = {};

/**
 * Called by the entry file: `{ memory, stores?, tcp?, indexedDb, http }`. An app
 * that imports two entries (say the default one and `edgecache/slim`) shares
 * this module: what was installed first stays.
 */
export function install(given) {
  for (const [name, value] of Object.entries(given)) modules[name] ??= value;
}

function notReady() {
  return codedError(
    ErrorCode.UNAVAILABLE,
    "the edgecache .wasm is not initialised: with edgecache/slim, call init() (or initSync()) first",
  );
}

/**
 * Loads a module on first use, once: `load` resolves to its exports. A failed
 * load (a chunk that could not be fetched) is a coded error and is tried again
 * on the next call. For the browser's entries, whose IndexedDB and HTTP
 * modules are instantiated (and, in browser.js, imported) on first use.
 */
export function loadOnce(what, load) {
  let loaded;
  return () =>
    (loaded ??= load().catch((error) => {
      loaded = undefined;
      throw codedError(ErrorCode.UNAVAILABLE, `loading edgecache's ${what} module failed: ${error?.message ?? error}${hint()}`);
    }));
}

// Dynamic import() is refused in service workers (HTML: HostLoadImportedModule
// throws for a ServiceWorkerGlobalScope), which is how browser.js loads its
// lazy modules: say which entry works there.
function hint() {
  const inServiceWorker = typeof ServiceWorkerGlobalScope === "function" && globalThis instanceof ServiceWorkerGlobalScope;
  return inServiceWorker ? ' (in a service worker, import from "edgecache/service-worker")' : "";
}

/** The memory cache's wasm exports. */
export function memoryGlue() {
  if (modules.memory === undefined) throw notReady();
  return modules.memory;
}

/** The persistent stores' wasm exports, for `what` (a factory's name). */
export function storesGlue(what) {
  if (modules.memory === undefined) throw notReady();
  if (modules.stores === undefined) {
    throw codedError(
      ErrorCode.UNSUPPORTED,
      `${what} is not in the browser build (it needs a Workers binding or a TCP socket): use it in Node or Cloudflare Workers`,
    );
  }
  return modules.stores;
}

/**
 * tcp-stores.js, for `what` (EdgeCache.redis or .memcached): refused as
 * storesGlue refuses, where this entry has no stores.
 */
export function tcpGlue(what) {
  storesGlue(what);
  return modules.tcp;
}

/** A promise of the wasm exports with IndexedDB (`PersistentCore.openIndexedDb`). */
export async function indexedDbGlue() {
  if (modules.indexedDb === undefined) throw notReady();
  return modules.indexedDb();
}

/** A promise of `{ HttpPolicy, HttpCache }` (see http-cache.js `httpModule`). */
export async function httpGlue() {
  if (modules.http === undefined) throw notReady();
  return modules.http();
}
