// Node entry: compiles the .wasm synchronously from the package directory, so
// `import { EdgeCache } from "edgecache"` (or require) needs no init call.
import { readFileSync } from "node:fs";
import net from "node:net";
import { initSync } from "./wasm/edgecache.js";
import { nodeTcp, registerTcp } from "./redis.js";

const bytes = readFileSync(new URL("./wasm/edgecache_bg.wasm", import.meta.url));
initSync({ module: new WebAssembly.Module(bytes) });
registerTcp(nodeTcp(net));

export * from "./core.js";
