// Browser and bundler entry: the .wasm is inlined as base64 and compiled
// synchronously at import, so it works in Vite's dev server and production
// build with no plugin, no init() call and no top-level await.
import { initSync } from "./wasm/edgecache.js";
import wasmBase64 from "./wasm/inline.js";

function decodeBase64(text) {
  if (typeof Uint8Array.fromBase64 === "function") return Uint8Array.fromBase64(text);
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

initSync({ module: new WebAssembly.Module(decodeBase64(wasmBase64)) });

export * from "./core.js";
