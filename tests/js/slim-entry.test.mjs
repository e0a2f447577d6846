// The slim entry of the built package (pkg/slim.js), in a process of its own:
// nothing works before init(), which takes the node module's bytes; then
// every store's factory is there (the node module has them all), and a second
// init is harmless. Run with `node --test tests/js/` after a build.

import { it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import { EdgeCache, ResponseCache, init, initSync } from "../../pkg/slim.js";

it("slim: a coded error before init(), everything after it", async () => {
  assert.throws(() => EdgeCache.memory(), { name: "EdgeCacheError", code: "EDGECACHE_UNAVAILABLE" });
  const bytes = readFileSync(new URL("../../pkg/wasm/node/edgecache_bg.wasm", import.meta.url));
  await init({ module_or_path: bytes });
  initSync({ module: bytes }); // idempotent
  const cache = EdgeCache.memory({ maxEntries: 4 });
  await cache.set("k", new Uint8Array([7]));
  assert.deepEqual(await cache.get("k"), new Uint8Array([7]));
  // The node module has the stores: a bad KV binding is a bad binding, not "unsupported".
  assert.throws(() => EdgeCache.kv(42), { code: "EDGECACHE_INVALID_OPTIONS" });
  const responses = new ResponseCache(cache, {
    fetcher: async () => new Response("x", { headers: { "cache-control": "max-age=60" } }),
  });
  await responses.fetch("https://example.com/");
  assert.equal((await responses.fetch("https://example.com/")).headers.get("x-edgecache"), "HIT");
});
