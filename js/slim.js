// Bring-your-own-wasm entry, for strict Content-Security-Policy pages or to
// cache the .wasm separately: call `init()` (or `initSync()`) once with the
// module, its URL or its bytes before using EdgeCache.
//
//   import { init, EdgeCache } from "edgecache/slim";
//   import wasmUrl from "edgecache/edgecache_bg.wasm?url"; // Vite
//   await init({ module_or_path: wasmUrl });
export { default as init, initSync } from "./wasm/edgecache.js";
export * from "./core.js";
