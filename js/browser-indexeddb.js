// The IndexedDB module of the browser entry, imported on the first
// EdgeCache.indexedDb call: its .wasm (IndexedDB with a memory tier) is
// inlined here, so a bundler puts it in this chunk only.
import init, * as glue from "./wasm/idb/edgecache.js";
import wasm from "./wasm/idb/inline.js";
import { decodeBase64 } from "./base64.js";
import { indexedDbModule } from "./indexeddb.js";

/** Instantiates the module (asynchronously); resolves to what EdgeCache.indexedDb needs. */
export async function load() {
  await init({ module_or_path: decodeBase64(wasm) });
  return indexedDbModule(glue);
}
