// What the Node entries (node.js, node-inline.js) share: instantiate the node
// .wasm (every store and the HTTP policy, built for speed) from its bytes,
// register node:net and node:tls for the TCP backends (Redis, memcached), and install the modules for core.js.
import net from "node:net";
import tls from "node:tls";
import * as node from "./wasm/node/edgecache.js";
import { nodeTcp, registerTcp } from "./tcp.js";
import { httpModule } from "./http-cache.js";
import { indexedDbModule } from "./indexeddb.js";
import { install } from "./runtime.js";
import * as tcp from "./tcp-stores.js";

/** Compiles `bytes` (the node .wasm) synchronously and installs it. */
export function start(bytes) {
  node.initSync({ module: new WebAssembly.Module(bytes) });
  registerTcp(nodeTcp(net, tls));
  install({ memory: node, stores: node, tcp, indexedDb: async () => indexedDbModule(node), http: async () => httpModule(node) });
}
