// Cloudflare Workers (workerd) entry. workerd refuses to compile WebAssembly
// from bytes at run time, so the server .wasm (memory, KV, D1, R2, Redis,
// HTTP; no IndexedDB, which workerd lacks) is imported as a module: wrangler
// and Miniflare hand it over already compiled.
import wasmModule from "./wasm/server/edgecache_bg.wasm";
import { connect } from "cloudflare:sockets";
import * as server from "./wasm/server/edgecache.js";
import { cloudflareTcp, registerTcp } from "./redis.js";
import { install } from "./runtime.js";
import { noIndexedDb } from "./no-indexeddb.js";

server.initSync({ module: wasmModule });
registerTcp(cloudflareTcp(connect));

install({ memory: server, stores: server, indexedDb: noIndexedDb, http: async () => server });

export * from "./core.js";
