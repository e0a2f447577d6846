// Miniflare 4 for the wasm tests of the D1 and R2 backends (tests/d1.rs,
// tests/r2.rs, through miniflare-d1.mjs and miniflare-r2.mjs): a fresh
// workerd with a worker that does nothing and the bindings asked for, whose
// Node-side proxies (`getD1Database`, `getR2Bucket`) reach workerd's real
// stores.
//
// wasm-bindgen-test copies each snippet alone into a temporary directory, so
// neither this file nor the `miniflare` package can be found relative to the
// snippet: both are resolved from the working directory (the crate root,
// where wasm-pack runs the tests). The snippets import this file by that
// path: a relative import would not resolve.
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

/** A new Miniflare with `bindings` (e.g. `{ d1Databases: ["DB"] }`). */
export async function startMiniflare(bindings) {
  const require = createRequire(`${process.cwd()}/package.json`);
  const { Miniflare } = await import(pathToFileURL(require.resolve("miniflare")).href);
  return new Miniflare({
    modules: true,
    script: "export default { fetch() { return new Response('') } }",
    cf: false,
    ...bindings,
  });
}
