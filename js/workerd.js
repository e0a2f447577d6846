// Cloudflare Workers (workerd) entry. workerd refuses to compile WebAssembly
// from bytes at run time, so the .wasm is imported as a module: wrangler and
// Miniflare hand it over already compiled.
import wasmModule from "./wasm/edgecache_bg.wasm";
import { connect } from "cloudflare:sockets";
import { initSync } from "./wasm/edgecache.js";
import { cloudflareTcp, registerTcp } from "./redis.js";

initSync({ module: wasmModule });
registerTcp(cloudflareTcp(connect));

export * from "./core.js";
