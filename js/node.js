// Node entry (Deno and Bun take it too): compiles the node .wasm (every
// store and the HTTP policy, built for speed: it is read from disk, so its
// bytes cost little) synchronously from the package directory, so
// `import { EdgeCache } from "edgecache"` (or require) needs no init call.
import { readFileSync } from "node:fs";
import net from "node:net";
import tls from "node:tls";
import * as node from "./wasm/node/edgecache.js";
import { nodeTcp, registerTcp } from "./tcp.js";
import { httpModule } from "./http-cache.js";
import { install } from "./runtime.js";

node.initSync({ module: new WebAssembly.Module(readFileSync(new URL("./wasm/node/edgecache_bg.wasm", import.meta.url))) });
registerTcp(nodeTcp(net, tls));

install({ memory: node, stores: node, indexedDb: async () => node, http: async () => httpModule(node) });

export * from "./core.js";
