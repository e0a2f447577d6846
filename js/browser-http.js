// The HTTP-caching module of the browser entry, imported on the first use
// of a ResponseCache: its .wasm (the RFC 9111 policy) is inlined here, and
// the ResponseCache engine (http-cache.js) comes with it, so a bundler puts
// both in this chunk only.
import init, * as glue from "./wasm/http/edgecache.js";
import wasm from "./wasm/http/inline.js";
import { decodeBase64 } from "./base64.js";
import { httpModule } from "./http-cache.js";

/** Instantiates the module (asynchronously); resolves to the HttpPolicy and the ResponseCache engine. */
export async function load() {
  await init({ module_or_path: decodeBase64(wasm) });
  return httpModule(glue);
}
