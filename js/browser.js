// Browser and bundler entry. Only the memory cache's .wasm (a few tens of KB)
// is inlined and compiled at import, so it works in every bundler and in a
// plain <script type="module"> with no init call. IndexedDB and ResponseCache
// load their own modules on first use, through dynamic imports that bundlers
// split into chunks of their own. Service workers may not call import() (see
// service-worker.js, their entry, which imports the same modules statically).
import { initSync, MemoryCore, checkTtlMs } from "./wasm/memory/edgecache.js";
import wasm from "./wasm/memory/inline.js";
import { decodeBase64 } from "./base64.js";
import { install, loadOnce } from "./runtime.js";

initSync({ module: new WebAssembly.Module(decodeBase64(wasm)) });

install({
  memory: { MemoryCore, checkTtlMs },
  indexedDb: loadOnce("IndexedDB", () => import("./browser-indexeddb.js").then((m) => m.load())),
  http: loadOnce("HTTP caching", () => import("./browser-http.js").then((m) => m.load())),
});

export * from "./core.js";
