// Node entry (Deno and Bun take it too): compiles the server .wasm (memory,
// KV, D1, R2, Redis, HTTP) synchronously from the package directory, so
// `import { EdgeCache } from "edgecache"` (or require) needs no init call.
// IndexedDB, which Node has only through a polyfill, loads its own module on
// first use.
import { readFileSync } from "node:fs";
import net from "node:net";
import * as server from "./wasm/server/edgecache.js";
import { nodeTcp, registerTcp } from "./redis.js";
import { install } from "./runtime.js";

const compile = (path) => new WebAssembly.Module(readFileSync(new URL(path, import.meta.url)));
server.initSync({ module: compile("./wasm/server/edgecache_bg.wasm") });
registerTcp(nodeTcp(net));

let indexedDb;
install({
  memory: server,
  stores: server,
  indexedDb: () =>
    (indexedDb ??= import("./wasm/idb/edgecache.js").then((idb) => {
      idb.initSync({ module: compile("./wasm/idb/edgecache_bg.wasm") });
      return idb;
    })),
  http: async () => server,
});

export * from "./core.js";
