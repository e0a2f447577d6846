// Bring-your-own-wasm entry, for strict Content-Security-Policy pages or to
// cache the .wasm separately: call `init()` (or `initSync()`) once with the
// module, its URL or its bytes before using EdgeCache. The module is the
// full build (every store and the HTTP policy): `edgecache/edgecache_bg.wasm`.
//
//   import { init, EdgeCache } from "edgecache/slim";
//   import wasmUrl from "edgecache/edgecache_bg.wasm?url"; // Vite
//   await init({ module_or_path: wasmUrl });
import initFull, * as full from "./wasm/full/edgecache.js";
import { install } from "./runtime.js";

const installFull = () =>
  install({ memory: full, stores: full, indexedDb: async () => full, http: async () => full });

/** Loads and instantiates the .wasm; resolves once EdgeCache is usable. Idempotent. */
export async function init(options) {
  const exports = await initFull(options);
  installFull();
  return exports;
}

/** Instantiates an already compiled module (or bytes) synchronously. */
export function initSync(options) {
  const exports = full.initSync(options);
  installFull();
  return exports;
}

export default init;
export * from "./core.js";
