// The HTTP-caching module of the browser entry, imported on the first use
// of a ResponseCache: its .wasm (the RFC 9111 policy) is inlined here, so a
// bundler puts it in this chunk only.
import init, * as glue from "./wasm/http/edgecache.js";
import wasm from "./wasm/http/inline.js";
import { decodeBase64 } from "./base64.js";

/** Instantiates the module (asynchronously); resolves to its exports. */
export async function load() {
  await init({ module_or_path: decodeBase64(wasm) });
  return glue;
}
