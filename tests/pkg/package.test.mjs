// The package as users get it: `npm pack` of pkg/, installed into a fresh
// fixture directory per environment, then used with no init call in Node
// (ESM and CommonJS), type-checked by tsc, served by Vite (dev server and
// production build) to headless Chromium, and run in workerd via Miniflare.
//
// Fixtures live under tests/.work/ (git-ignored) so that the tools (vite,
// playwright-core, miniflare, esbuild, typescript) resolve from the repo's own
// node_modules, while `edgecache` resolves from the fixture's.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";

const root = fileURLToPath(new URL("../..", import.meta.url));
const work = join(root, "tests/.work");
const here = fileURLToPath(new URL(".", import.meta.url));
let tarball;

before(() => {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const out = execFileSync("npm", ["pack", "--json", "--pack-destination", work, join(root, "pkg")], {
    encoding: "utf8",
  });
  tarball = join(work, JSON.parse(out)[0].filename);
});

/** A fresh directory with `files`, `edgecache` installed from the tarball (plus `deps`). */
function fixture(name, files, deps = {}) {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(dir, file, ".."), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({
      name: `fixture-${name}`,
      private: true,
      type: "module",
      dependencies: { ...deps, edgecache: `file:${tarball}` },
    }),
  );
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--no-package-lock", "--silent"], { cwd: dir });
  return dir;
}

const USAGE = `
  const cache = EdgeCache.memory({ maxEntries: 10 });
  await cache.setText("greeting", "hello");
  const value = await cache.getText("greeting");
  let code;
  try { await cache.set("", new Uint8Array(1)); } catch (error) { code = error.code; }
  console.log(JSON.stringify({ value, code, miss: await cache.get("nope") ?? null }));
`;
const EXPECTED = { value: "hello", code: "EDGECACHE_INVALID_KEY", miss: null };

describe("Node 20", () => {
  let dir;
  before(() => {
    dir = fixture("node", {
      "esm.mjs": `import { EdgeCache } from "edgecache";\n${USAGE}`,
      "cjs.cjs": `const { EdgeCache } = require("edgecache");\n(async () => {${USAGE}})();`,
    });
  });

  test("an ES module imports EdgeCache and uses it with no init call", () => {
    const out = execFileSync(process.execPath, ["esm.mjs"], { cwd: dir, encoding: "utf8" });
    assert.deepEqual(JSON.parse(out), EXPECTED);
  });

  test("a CommonJS script requires EdgeCache and uses it with no init call", () => {
    const out = execFileSync(process.execPath, ["cjs.cjs"], { cwd: dir, encoding: "utf8" });
    assert.deepEqual(JSON.parse(out), EXPECTED);
  });
});

describe("TypeScript", () => {
  test("a typed consumer type-checks, and misuse is a type error (the types are not any)", () => {
    const dir = fixture("typescript", {
      "example.ts": `
import { EdgeCache, ErrorCode, type CacheStats, type EdgeCacheError } from "edgecache";
import { init } from "edgecache/slim";
import { EdgeCache as WorkerCache, ResponseCache } from "edgecache/service-worker";

async function main(): Promise<void> {
  const cache: EdgeCache = EdgeCache.memory({ maxEntries: 100, defaultTtlMs: 1_000 });
  await cache.set("k", new Uint8Array([1]), { ttlMs: 5 });
  const bytes: Uint8Array | undefined = await cache.get("k");
  const many: (Uint8Array | undefined)[] = await cache.getMany(["k", "j"]);
  const text: string | undefined = await cache.getText("k");
  const json = await cache.getJson<{ a: number }>("k");
  const n: number | undefined = json?.a;
  const stats: CacheStats = await cache.stats();
  const loaded: Uint8Array = await cache.getOrSet("x", async () => new Uint8Array(2));
  try { await cache.get(""); } catch (e) { const code: string = (e as EdgeCacheError).code; void code; }
  const invalid: "EDGECACHE_INVALID_KEY" = ErrorCode.INVALID_KEY;
  void [bytes, many, text, n, stats, loaded, invalid, init];
  // @ts-expect-error values are Uint8Array, not strings
  await cache.set("k", "text");
  // @ts-expect-error unknown option
  EdgeCache.memory({ maxEntrys: 1 });
  // @ts-expect-error ttlMs is a number
  await cache.set("k", new Uint8Array(), { ttlMs: "5" });
  // @ts-expect-error there is no public constructor
  new EdgeCache();

  const redis: EdgeCache = EdgeCache.redis({ connect: "redis://127.0.0.1:6379", password: "p", replyTimeoutMs: 500, memory: { maxEntries: 10 } });
  redis.close();
  EdgeCache.redis({ connect: { hostname: "127.0.0.1", port: 6379 } });
  // @ts-expect-error connect is required
  EdgeCache.redis({ password: "p" });
  // @ts-expect-error a port is a number
  EdgeCache.redis({ connect: { hostname: "h", port: "6379" } });
  EdgeCache.redis({ connect: "rediss://127.0.0.1:6380", tls: { ca: "-----BEGIN CERTIFICATE-----" } }).close();
  EdgeCache.redis({ connect: { hostname: "127.0.0.1", port: 6380 }, tls: true }).close();
  // @ts-expect-error tls is a boolean or { ca }
  EdgeCache.redis({ connect: "127.0.0.1:6380", tls: "on" });
  const db = { prepare: (sql: string) => ({ bind: () => db.prepare(sql), all: async () => ({}), run: async () => ({}) }), batch: async () => [] };
  const d1: EdgeCache = await EdgeCache.d1(db, { table: "cache", namespace: "n" });
  const purged: number = await d1.purgeExpired({ maxRows: 10 });
  // @ts-expect-error EdgeCache.d1 resolves to a cache: it is async
  const notAwaited: EdgeCache = EdgeCache.d1(db);
  const bucket = null as unknown as Parameters<typeof EdgeCache.r2>[0];
  const r2 = EdgeCache.r2(bucket, { prefix: "cache/" });
  const stream: ReadableStream<Uint8Array> | undefined = await r2.getStream("k");
  await r2.setStream("k", new Uint8Array([1]), { ttlMs: 5 });
  // @ts-expect-error only R2 caches stream
  await redis.getStream("k");
  void [purged, notAwaited, stream];

  // edgecache/service-worker: the same API, for a service worker's fetch handler.
  const workerCache: WorkerCache = await WorkerCache.indexedDb({ dbName: "http-cache" });
  const responses = new ResponseCache(workerCache, { fetcher: (request: Request) => fetch(request, { cache: "no-store" }) });
  const answered: Response = await responses.fetch(new Request("https://example.com/"), { waitUntil: (promise) => void promise });
  // @ts-expect-error ResponseCache needs an EdgeCache
  new ResponseCache({});
  void answered;
}
void main;
`,
      "tsconfig.json": JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          target: "es2022",
          module: "esnext",
          moduleResolution: "bundler",
          lib: ["es2022", "dom"],
          types: [],
          skipLibCheck: false,
        },
        files: ["example.ts"],
      }),
    });
    execFileSync(join(root, "node_modules/.bin/tsc"), ["-p", dir], { cwd: dir, encoding: "utf8" });
  });
});

let viteDir;
/** The demo app (www/) copied into a fixture, with the tarball and its own dependencies. */
function viteFixture() {
  if (viteDir) return viteDir;
  const dir = join(work, "vite");
  cpSync(join(root, "www"), dir, {
    recursive: true,
    filter: (src) => !/node_modules|dist|package\.json$/.test(src.slice(join(root, "www").length)),
  });
  const { dependencies } = JSON.parse(readFileSync(join(root, "www/package.json"), "utf8"));
  fixture("vite", {}, dependencies);
  return (viteDir = dir);
}

/**
 * The demo's "HTTP caching in a service worker" panel at `url`, in a fresh
 * context: clicks its button twice and returns each click's rows
 * ({ url, cacheControl, status: x-edgecache, served: the origin's request
 * number }), the x-edgecache shown for the quote, and console errors of the
 * page and the worker.
 */
async function serviceWorkerPanel(browser, url) {
  const context = await browser.newContext();
  const errors = [];
  context.on("serviceworker", (worker) => worker.on("console", (m) => m.type() === "error" && errors.push(`worker: ${m.text()}`)));
  const page = await context.newPage();
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  page.on("pageerror", (error) => errors.push(String(error)));
  try {
    await page.goto(url);
    await page.waitForFunction(() => document.getElementById("selftest")?.textContent === "self-test: ok", null, { timeout: 20_000 });
    const clicks = [];
    for (let i = 0; i < 2; i++) {
      await page.evaluate(() => (window.__edgecacheSw = undefined));
      await page.click("#sw-fetch");
      await page.waitForFunction(
        () => window.__edgecacheSw || document.getElementById("sw-status").textContent.startsWith("failed"),
        null,
        { timeout: 30_000 },
      );
      clicks.push(await page.evaluate(() => window.__edgecacheSw ?? document.getElementById("sw-status").textContent));
    }
    const shown = await page.textContent('#sw-table tr[data-url="/demo-api/quote"] td:nth-child(3)');
    return { clicks, shown, errors };
  } finally {
    await context.close();
  }
}

/** The panel's two clicks: misses (BYPASS for no-store), then the quote from the worker's cache. */
function assertServiceWorkerPanel({ clicks, shown, errors }) {
  const [first, second] = clicks.map((rows) => (Array.isArray(rows) ? Object.fromEntries(rows.map((r) => [r.url, r])) : rows));
  assert.equal(typeof first, "object", `first click: ${first}`);
  assert.equal(typeof second, "object", `second click: ${second}`);
  assert.equal(first["/demo-api/quote"].status, "MISS");
  assert.equal(first["/demo-api/clock"].status, "MISS");
  assert.equal(first["/demo-api/private"].status, "BYPASS");
  assert.equal(second["/demo-api/quote"].status, "HIT");
  assert.equal(second["/demo-api/quote"].served, first["/demo-api/quote"].served, "a HIT does not reach the origin");
  assert.equal(second["/demo-api/private"].served, first["/demo-api/private"].served + 1, "no-store always reaches the origin");
  assert.equal(shown, "HIT");
  assert.deepEqual(errors, []);
}

describe("Vite + Chromium", () => {
  let dir;
  let browser;
  const servers = [];

  before(async () => {
    dir = viteFixture();
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({
      executablePath: execFileSync("sh", ["-c", "command -v chromium"], { encoding: "utf8" }).trim(),
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
    });
  });

  after(async () => {
    await browser?.close();
    for (const server of servers) await server.close();
  });

  /** Loads `url`, waits for the self-test, and returns it with any console errors. */
  async function visit(url) {
    const page = await browser.newPage();
    const errors = [];
    page.on("console", (msg) => msg.type() === "error" && errors.push(msg.text()));
    page.on("pageerror", (error) => errors.push(String(error)));
    await page.goto(url);
    await page.waitForFunction(() => document.getElementById("selftest")?.textContent, null, { timeout: 20_000 });
    const selftest = await page.textContent("#selftest");
    // The page's own set/get round trip, driven through the form as a user would.
    await page.fill("#key", "from-test");
    await page.fill("#value", "typed value");
    await page.click("#set");
    await page.click("#get");
    await page.waitForFunction(() => document.getElementById("result").textContent.startsWith("hit"));
    const result = await page.textContent("#result");
    await page.close();
    return { selftest, result, errors };
  }

  test("the dev server serves a page that sets and gets a value, with no console error", async () => {
    const { createServer } = await import("vite");
    const server = await createServer({ root: dir, logLevel: "error", server: { port: 0, host: "127.0.0.1" } });
    servers.push(server);
    await server.listen();
    const { selftest, result, errors } = await visit(server.resolvedUrls.local[0]);
    assert.equal(selftest, "self-test: ok");
    assert.equal(result, "hit: typed value");
    assert.deepEqual(errors, []);
    // The service worker (a module worker served by the dev server) caches the demo's endpoints.
    assertServiceWorkerPanel(await serviceWorkerPanel(browser, server.resolvedUrls.local[0]));
  });

  test("the production build emits at most one .wasm and works under preview", async () => {
    const { build, preview } = await import("vite");
    await build({ root: dir, logLevel: "error" });
    const emitted = readdirSync(join(dir, "dist"), { recursive: true }).filter((f) => String(f).endsWith(".wasm"));
    assert.ok(emitted.length <= 1, `the build emitted ${emitted.length} .wasm files: ${emitted}`);
    const server = await preview({ root: dir, logLevel: "error", preview: { port: 0, host: "127.0.0.1" } });
    servers.push({ close: () => new Promise((resolve) => server.httpServer.close(resolve)) });
    const { selftest, result, errors } = await visit(server.resolvedUrls.local[0]);
    assert.equal(selftest, "self-test: ok");
    assert.equal(result, "hit: typed value");
    assert.deepEqual(errors, []);
  });
});

describe("the demo page, end to end (vite build + preview, Chromium)", () => {
  let browser;
  let url;
  let server;

  before(async () => {
    const { build, preview } = await import("vite");
    const { chromium } = await import("playwright-core");
    const dir = viteFixture();
    await build({ root: dir, logLevel: "error" });
    server = await preview({ root: dir, logLevel: "error", preview: { port: 0, host: "127.0.0.1" } });
    url = server.resolvedUrls.local[0];
    browser = await chromium.launch({
      executablePath: execFileSync("sh", ["-c", "command -v chromium"], { encoding: "utf8" }).trim(),
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
    });
  });

  after(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.httpServer.close(resolve));
  });

  async function stat(page, name) {
    return Number(await page.textContent(`tr[data-stat="${name}"] td:last-child`));
  }

  test("IndexedDB data survives a reload, stats count it, and the tiered cache serves it", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (error) => errors.push(String(error)));
    await page.goto(url);
    await page.waitForFunction(() => document.getElementById("selftest").textContent === "self-test: ok");
    await page.check('input[value="indexedDb"]');
    await page.fill("#key", "persisted");
    await page.fill("#value", "across reloads");
    await page.click("#set");
    await page.waitForFunction(() => document.getElementById("result").textContent.startsWith("stored"));
    await page.reload();
    await page.waitForFunction(() => document.getElementById("selftest").textContent === "self-test: ok");
    assert.equal(await page.isChecked('input[value="indexedDb"]'), true, "the backend choice is remembered");
    await page.fill("#key", "persisted");
    await page.click("#get");
    await page.waitForFunction(() => document.getElementById("result").textContent.startsWith("hit"));
    assert.equal(await page.textContent("#result"), "hit: across reloads");
    await page.fill("#key", "absent");
    await page.click("#get");
    await page.waitForFunction(() => document.getElementById("result").textContent === "miss");
    assert.equal(await stat(page, "hits"), 1);
    assert.equal(await stat(page, "misses"), 1);
    assert.ok((await stat(page, "entries")) >= 1);
    // The tiered cache reads the same database through its memory tier.
    await page.check('input[value="tiered"]');
    await page.fill("#key", "persisted");
    await page.click("#get");
    await page.waitForFunction(() => document.getElementById("result").textContent.startsWith("hit"));
    await page.click("#get");
    await page.waitForFunction(() => document.querySelector('tr[data-stat="hits"] td:last-child')?.textContent === "2");
    assert.equal(await page.textContent('tr[data-stat="hit ratio"] td:last-child'), "100.0 %");
    mkdirSync(join(root, "target"), { recursive: true });
    await page.screenshot({ path: join(root, "target/demo.png"), fullPage: true });
    assert.deepEqual(errors, []);
    await context.close();
  });

  test("the service-worker panel caches the demo's endpoints: MISS, then HIT from the worker (sw.js built as its own entry)", async () => {
    assertServiceWorkerPanel(await serviceWorkerPanel(browser, url));
  });

  test("the benchmark button measures edgecache against idb-keyval and localForage", async () => {
    const page = await browser.newPage();
    await page.goto(url);
    await page.waitForFunction(() => document.getElementById("selftest").textContent === "self-test: ok");
    await page.click("#bench");
    await page.waitForFunction(() => window.__edgecacheBench, null, { timeout: 120_000 });
    const { rows, summary } = await page.evaluate(() => window.__edgecacheBench);
    assert.equal(rows.length, 6);
    for (const row of rows) {
      for (const peer of ["edgecache", "idbKeyval", "localforage"]) {
        assert.ok(row[peer] > 0 && Number.isFinite(row[peer]), `${row.op}: ${peer} = ${row[peer]}`);
      }
    }
    assert.equal(await page.locator("#bench-table tbody tr").count(), 6);
    assert.ok(summary.mgetSpeedup > 1, `getMany should beat single gets, got ${summary.mgetSpeedup}`);
    await page.screenshot({ path: join(root, "target/demo-bench.png"), fullPage: true });
    await page.close();
  });

  test("a real quota error is coded and leaves earlier data intact", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    // The override must be in place before the origin first touches storage.
    const cdp = await context.newCDPSession(page);
    await cdp.send("Storage.overrideQuotaForOrigin", { origin: new URL(url).origin, quotaSize: 2 * 1024 * 1024 });
    await page.goto(url);
    await page.waitForFunction(() => window.edgecache);
    const outcome = await page.evaluate(async () => {
      // Random bytes: Chromium compresses IndexedDB values, so filled arrays would not reach the quota.
      const random = (n) => {
        const bytes = new Uint8Array(n);
        for (let at = 0; at < n; at += 65536) crypto.getRandomValues(bytes.subarray(at, Math.min(n, at + 65536)));
        return bytes;
      };
      const cache = await window.edgecache.EdgeCache.indexedDb({ dbName: "quota-test" });
      await cache.set("early", new Uint8Array([1, 2, 3]));
      const written = [];
      let error;
      try {
        for (let i = 0; i < 64; i++) {
          const value = random(256 * 1024);
          value[0] = i;
          await cache.set(`big-${i}`, value);
          written.push(i);
        }
      } catch (e) {
        error = { name: e.name, code: e.code, message: e.message, isError: e instanceof Error };
      }
      const early = Array.from((await cache.get("early")) ?? []);
      const lastWritten = written.length ? Array.from((await cache.get(`big-${written.at(-1)}`)).slice(0, 1)) : [];
      // The cache keeps working after the failure.
      await cache.delete(`big-${written.at(-1)}`);
      await cache.set("after", new Uint8Array([9]));
      const after = Array.from((await cache.get("after")) ?? []);
      return { error, early, written: written.length, lastWritten, after };
    });
    assert.ok(outcome.error, `expected a quota error, wrote ${outcome.written} values`);
    assert.equal(outcome.error.code, "EDGECACHE_QUOTA_EXCEEDED", JSON.stringify(outcome.error));
    assert.equal(outcome.error.isError, true);
    assert.deepEqual(outcome.early, [1, 2, 3]);
    if (outcome.written) assert.deepEqual(outcome.lastWritten, [outcome.written - 1]);
    assert.deepEqual(outcome.after, [9]);
    await context.close();
  });
});

describe("workerd (Miniflare)", () => {
  test("a worker bundled as wrangler would (workerd condition, .wasm as a module) answers from the cache", async () => {
    const dir = fixture("workerd", {
      "worker.js": `
import { EdgeCache } from "edgecache";
const cache = EdgeCache.memory({ maxEntries: 100 });
export default {
  async fetch(request) {
    const key = new URL(request.url).pathname;
    const hit = await cache.getText(key);
    if (hit !== undefined) return new Response("HIT " + hit);
    await cache.setText(key, "value of " + key, { ttlMs: 60_000 });
    return new Response("MISS");
  },
};
`,
    });
    const { bundleLikeWrangler } = await import(join(here, "bundle-worker.mjs"));
    const out = await bundleLikeWrangler(join(dir, "worker.js"), join(dir, "dist"));
    const { Miniflare } = await import("miniflare");
    const mf = new Miniflare({
      scriptPath: out,
      modules: true,
      modulesRules: [
        { type: "ESModule", include: ["**/*.js"] },
        { type: "CompiledWasm", include: ["**/*.wasm"] },
      ],
      cf: false,
    });
    try {
      const first = await mf.dispatchFetch("http://localhost/greeting");
      assert.equal(await first.text(), "MISS");
      const second = await mf.dispatchFetch("http://localhost/greeting");
      assert.equal(await second.text(), "HIT value of /greeting");
    } finally {
      await mf.dispose();
    }
  });
});

// Keep the event loop honest: some servers close their sockets lazily.
after(() => sleep(10));
