// Node entry (Deno and Bun take it too): compiles the node .wasm (every
// store and the HTTP policy, built for speed: it is read from disk, so its
// bytes cost little) synchronously from the package directory, so
// `import { EdgeCache } from "edgecache"` (or require) needs no init call.
//
// A server bundle (esbuild --platform=node, bun build --target=node, webpack,
// Rollup) moves this file away from wasm/: bundlers that apply the `module`
// condition take node-inline.js instead (see package.json), and for those that
// do not (bun build --target=node) the bytes come from the inlined copy
// through require(), which such a bundler follows and plain Node never reaches
// (the file is there), so Node neither loads nor parses the inlined copy.
import { Buffer } from "node:buffer";
import { readFileSync } from "node:fs";
import { start } from "./node-start.js";

start(wasmBytes());

function wasmBytes() {
  try {
    return readFileSync(new URL("./wasm/node/edgecache_bg.wasm", import.meta.url));
  } catch (error) {
    if (error?.code !== "ENOENT" || typeof require !== "function") throw error;
    return Buffer.from(require("./wasm/node/inline.js").default, "base64");
  }
}

export * from "./core.js";
