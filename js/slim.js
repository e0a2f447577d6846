// Bring-your-own-wasm entry, for strict Content-Security-Policy pages or to
// cache the .wasm separately: call `init()` (or `initSync()`) once with the
// module, its URL or its bytes before using EdgeCache. The module is the
// node build (every store and the HTTP policy): `edgecache/edgecache_bg.wasm`.
//
//   import { init, EdgeCache } from "edgecache/slim";
//   import wasmUrl from "edgecache/edgecache_bg.wasm?url"; // Vite
//   await init({ module_or_path: wasmUrl });
import initNode, * as node from "./wasm/node/edgecache.js";
import { httpModule } from "./http-cache.js";
import { indexedDbModule } from "./indexeddb.js";
import { install } from "./runtime.js";
import * as tcp from "./tcp-stores.js";

const installNode = () =>
  install({ memory: node, stores: node, tcp, indexedDb: async () => indexedDbModule(node), http: async () => httpModule(node) });

/** Loads and instantiates the .wasm; resolves once EdgeCache is usable. Idempotent. */
export async function init(options) {
  const exports = await initNode(options);
  installNode();
  return exports;
}

/** Instantiates an already compiled module (or bytes) synchronously. */
export function initSync(options) {
  const exports = node.initSync(options);
  installNode();
  return exports;
}

export default init;
export * from "./core.js";
