// Node entry for server bundles (the `module` condition under `node`, which
// esbuild --platform=node, webpack --target node and Rollup's node-resolve
// apply and Node itself does not): the same as node.js with the .wasm inlined
// as base64, so the bundle runs wherever it is copied. About 0.8 MB more
// bundle, and a few ms more startup than reading the file (plain Node keeps
// node.js).
import { Buffer } from "node:buffer";
import wasm from "./wasm/node/inline.js";
import { start } from "./node-start.js";

start(Buffer.from(wasm, "base64"));

export * from "./core.js";
