// The browser entry of the built package (pkg/browser.js), run in Node (which
// has atob and WebAssembly) in a process of its own (node --test runs each
// file alone): it must work with only its memory module loaded at import,
// load the HTTP module on the first ResponseCache call, and refuse the
// Workers-only stores with a coded error. Run with `node --test tests/js/`
// after `bash scripts/build.sh`.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import * as browser from "../../pkg/browser.js";
import * as constants from "../../pkg/constants.js";
import { staticGraph } from "../support/static-graph.mjs";

const codeOf = async (thunk) => {
  try {
    await thunk();
  } catch (error) {
    assert.ok(error instanceof Error, "a real Error");
    assert.equal(error.name, "EdgeCacheError");
    return error.code;
  }
  assert.fail("expected a rejection");
};

describe("entries", () => {
  it("the browser entry's memory cache works with only the memory module loaded", async () => {
    const cache = browser.EdgeCache.memory({ maxEntries: 10, defaultTtlMs: 60_000 });
    await cache.set("k", new Uint8Array([1, 2]));
    assert.deepEqual(await cache.get("k"), new Uint8Array([1, 2]));
    // TTLs are checked by the memory module's Rust, as in every entry.
    assert.equal(await codeOf(() => cache.set("k", new Uint8Array(1), { ttlMs: -1 })), "EDGECACHE_INVALID_OPTIONS");
  });

  it("the browser entry refuses the Workers and TCP stores with EDGECACHE_UNSUPPORTED", async () => {
    const { EdgeCache } = browser;
    for (const factory of [() => EdgeCache.kv({}), () => EdgeCache.r2({}), () => EdgeCache.redis({ connect: "redis://127.0.0.1:1" }), () => EdgeCache.d1({})]) {
      assert.equal(await codeOf(factory), "EDGECACHE_UNSUPPORTED");
    }
    // Option checks still come first: a bad bag is a bad bag everywhere.
    assert.equal(await codeOf(() => EdgeCache.kv({}, { nope: 1 })), "EDGECACHE_INVALID_OPTIONS");
  });

  it("ships no TCP store code: browsers have no TCP (redis.js, memcached.js and tcp.js stay out)", () => {
    const pkg = fileURLToPath(new URL("../../pkg/", import.meta.url));
    for (const entry of ["browser.js", "service-worker.js"]) {
      const files = staticGraph(join(pkg, entry));
      assert.ok(files.includes(join(pkg, "core.js")), `${entry} reaches core.js`);
      for (const file of ["tcp-stores.js", "redis.js", "memcached.js", "tcp.js"]) {
        assert.ok(!files.includes(join(pkg, file)), `${entry} imports ${file}`);
      }
    }
  });

  it("EdgeCache.indexedDb without IndexedDB is EDGECACHE_UNAVAILABLE (after loading its module on first use)", async () => {
    assert.equal(await codeOf(() => browser.EdgeCache.indexedDb()), "EDGECACHE_UNAVAILABLE");
  });

  it("the browser entry's ResponseCache loads the HTTP module on first use and works", async () => {
    const origin = async () => new Response("hello", { headers: { "cache-control": "max-age=60" } });
    const responses = new browser.ResponseCache(browser.EdgeCache.memory(), { fetcher: origin });
    const first = await responses.fetch("https://example.com/a");
    assert.equal(first.headers.get("x-edgecache"), "MISS");
    const second = await responses.fetch("https://example.com/a");
    assert.equal(second.headers.get("x-edgecache"), "HIT");
    assert.equal(await second.text(), "hello");
  });

  it("ErrorCode and the limits come from the Rust crate", () => {
    assert.equal(browser.ErrorCode, constants.ErrorCode);
    assert.ok(Object.isFrozen(constants.ErrorCode));
    const rust = readFileSync(new URL("../../src/error.rs", import.meta.url), "utf8");
    for (const [name, code] of Object.entries(constants.ErrorCode)) {
      assert.ok(rust.includes(`("${name}", "${code}")`), `${name} is in Error::CODES`);
    }
    assert.equal(constants.MAX_KEY_BYTES, 16 * 1024);
    assert.equal(constants.R2_MAX_KEY_BYTES, 1024);
  });
});
