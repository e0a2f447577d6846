// The service-worker entry of the built package (pkg/service-worker.js), in a
// process of its own (node --test runs each file alone, so no other entry has
// installed its modules first). Service workers refuse import(), so nothing
// this entry loads may call it: checked on the files, then the entry is run
// in Node (the HTTP module instantiated on first use; no IndexedDB in Node).
// Its behaviour in a real service worker is tests/pkg/service-worker.test.mjs.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import * as sw from "../../pkg/service-worker.js";
import { staticGraph } from "../support/static-graph.mjs";

const pkg = fileURLToPath(new URL("../../pkg/", import.meta.url));

describe("the service-worker entry", () => {
  it("loads everything statically: no import() in any file it reaches", () => {
    const files = staticGraph(join(pkg, "service-worker.js"));
    for (const module of ["wasm/memory/inline.js", "wasm/idb/inline.js", "wasm/http/inline.js", "response-cache.js"]) {
      assert.ok(files.includes(join(pkg, module)), `${module} is in the entry's static graph`);
    }
    for (const file of files) {
      const code = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
      assert.doesNotMatch(code, /\bimport\s*\(/, `${file} calls import()`);
    }
  });

  it("is exported as edgecache/service-worker, typed like the default entry", () => {
    const manifest = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8"));
    assert.deepEqual(manifest.exports["./service-worker"], { types: "./service-worker.d.ts", default: "./service-worker.js" });
    assert.ok(manifest.sideEffects.includes("./service-worker.js"), "its import compiles the memory module: a side effect");
    assert.match(readFileSync(join(pkg, "service-worker.d.ts"), "utf8"), /export \* from "\.\/index\.js";/);
  });

  it("has the memory cache at import and ResponseCache on first use", async () => {
    const cache = sw.EdgeCache.memory({ maxEntries: 10 });
    await cache.setText("k", "v");
    assert.equal(await cache.getText("k"), "v");
    const origin = async () => new Response("hello", { headers: { "cache-control": "max-age=60" } });
    const responses = new sw.ResponseCache(sw.EdgeCache.memory(), { fetcher: origin });
    assert.equal((await responses.fetch("https://example.com/a")).headers.get("x-edgecache"), "MISS");
    const second = await responses.fetch("https://example.com/a");
    assert.equal(second.headers.get("x-edgecache"), "HIT");
    assert.equal(await second.text(), "hello");
  });

  it("EdgeCache.indexedDb without IndexedDB is EDGECACHE_UNAVAILABLE; Workers stores are EDGECACHE_UNSUPPORTED", async () => {
    await assert.rejects(sw.EdgeCache.indexedDb(), { name: "EdgeCacheError", code: "EDGECACHE_UNAVAILABLE" });
    await assert.rejects(async () => sw.EdgeCache.kv({}), { name: "EdgeCacheError", code: "EDGECACHE_UNSUPPORTED" });
  });
});
