// Types of edgecache/slim: the full API plus the init functions.
export * from "./index.js";

/** What `init` accepts: a compiled module, a URL or Response to fetch, or the bytes. */
export type WasmSource =
  | WebAssembly.Module
  | URL
  | string
  | Request
  | Response
  | BufferSource
  | Promise<Response | BufferSource | WebAssembly.Module>;

/** Loads and instantiates the .wasm; resolves once EdgeCache is usable. Idempotent. */
export default function init(options?: { module_or_path?: WasmSource }): Promise<unknown>;
/** Loads and instantiates the .wasm; resolves once EdgeCache is usable. Idempotent. */
export function init(options?: { module_or_path?: WasmSource }): Promise<unknown>;
/** Instantiates an already compiled module (or bytes) synchronously. */
export function initSync(options: { module: WebAssembly.Module | BufferSource }): unknown;
