// Cloudflare Workers (workerd) entry. workerd refuses to compile WebAssembly
// from bytes at run time, so the workerd .wasm (memory, KV, D1, R2, Redis,
// HTTP; no IndexedDB, which workerd lacks; built for size) is imported as a module: wrangler
// and Miniflare hand it over already compiled.
import wasmModule from "./wasm/workerd/edgecache_bg.wasm";
import { connect } from "cloudflare:sockets";
import * as workerd from "./wasm/workerd/edgecache.js";
import { cloudflareTcp, registerTcp } from "./tcp.js";
import { httpModule } from "./http-cache.js";
import { install } from "./runtime.js";
import * as tcp from "./tcp-stores.js";
import { noIndexedDb } from "./no-indexeddb.js";

workerd.initSync({ module: wasmModule });
registerTcp(cloudflareTcp(connect), { trustsCustomCa: false });

install({ memory: workerd, stores: workerd, tcp, indexedDb: noIndexedDb, http: async () => httpModule(workerd) });

export * from "./core.js";
