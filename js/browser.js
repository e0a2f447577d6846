// Browser and bundler entry. Only the memory cache's .wasm (a few tens of KB)
// is inlined and compiled at import, so it works in every bundler and in a
// plain <script type="module"> with no init call. IndexedDB and ResponseCache
// load their own modules on first use, through dynamic imports that bundlers
// split into chunks of their own.
import { initSync, MemoryCore, checkTtlMs } from "./wasm/memory/edgecache.js";
import wasm from "./wasm/memory/inline.js";
import { decodeBase64 } from "./base64.js";
import { ErrorCode, codedError } from "./options.js";
import { install } from "./runtime.js";

initSync({ module: new WebAssembly.Module(decodeBase64(wasm)) });

// Loads a module once; a failed load (the chunk could not be fetched) is a
// coded error and is tried again on the next call.
const once = (what, load) => {
  let loaded;
  return () =>
    (loaded ??= load().catch((error) => {
      loaded = undefined;
      throw codedError(ErrorCode.UNAVAILABLE, `loading edgecache's ${what} module failed: ${error?.message ?? error}`);
    }));
};

install({
  memory: { MemoryCore, checkTtlMs },
  indexedDb: once("IndexedDB", () => import("./browser-indexeddb.js").then((m) => m.load())),
  http: once("HTTP caching", () => import("./browser-http.js").then((m) => m.load())),
});

export * from "./core.js";
