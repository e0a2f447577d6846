// Types of edgecache/service-worker: the same API as the default entry.
export * from "./index.js";
