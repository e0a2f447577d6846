// Service-worker entry: `import { EdgeCache, ResponseCache } from
// "edgecache/service-worker"`. A service worker may not call import(), classic
// or module (HTML: HostLoadImportedModule throws for a
// ServiceWorkerGlobalScope), and browser.js reaches its IndexedDB and HTTP
// modules through import(). So this entry imports all three statically: one
// file for a bundler, and plain static imports for an unbundled module worker
// (`register("/sw.js", { type: "module" })`). The memory module is compiled at
// import, as in browser.js; IndexedDB and HTTP are instantiated on first use,
// so a worker that never calls them does not pay for their compilation.
import { initSync, MemoryCore, checkTtlMs } from "./wasm/memory/edgecache.js";
import wasm from "./wasm/memory/inline.js";
import { decodeBase64 } from "./base64.js";
import { load as loadIndexedDb } from "./browser-indexeddb.js";
import { load as loadHttp } from "./browser-http.js";
import { install, loadOnce } from "./runtime.js";

initSync({ module: new WebAssembly.Module(decodeBase64(wasm)) });

install({
  memory: { MemoryCore, checkTtlMs },
  indexedDb: loadOnce("IndexedDB", loadIndexedDb),
  http: loadOnce("HTTP caching", loadHttp),
});

export * from "./core.js";
