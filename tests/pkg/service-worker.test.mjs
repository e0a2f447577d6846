// ResponseCache over EdgeCache.indexedDb inside a real service worker in
// headless Chromium, from the packed package (npm pack of pkg/), through the
// `edgecache/service-worker` entry. Service workers may not call import(),
// which is how the default browser entry loads its IndexedDB and HTTP
// modules; the service-worker entry imports them statically.
//
// One node:http server per case group is a whole origin: it serves the page,
// the worker scripts (from the fixture) and the origin's /api/* routes, whose
// headers come from the query (?cc=Cache-Control&vary=...&size=bytes) and
// which count their requests. The worker answers same-origin /api/* fetches
// with ResponseCache.fetch; the page fetches, and the test asserts on what the
// page sees (x-edgecache, body) and on what the origin counted. Each group
// runs in a fresh browser context on a fresh port, so it starts with no
// worker registration and an empty IndexedDB.
//
// Two workers, with the same code:
//   - bundled by esbuild into one classic script (no splitting, as for any
//     service worker), from `import ... from "edgecache/service-worker"`;
//   - unbundled, a module worker (`register(url, { type: "module" })`)
//     importing "./node_modules/edgecache/service-worker.js": import maps do
//     not reach workers, so a plain worker names the file.
// And a control: the default browser entry, unbundled in a module worker,
// fails its first EdgeCache.indexedDb with a coded error that names the
// service-worker entry (the import() refusal this entry exists for).

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { launchChromium } from "../support/chromium.mjs";
import { fixture, packTarball, root } from "../support/package.mjs";
import { serveStatic } from "../support/static-server.mjs";

// The worker's code, after its import line. It uses ResponseCache's default
// fetcher, which in a browser skips the HTTP cache (`cache: "no-store"`): the
// ResponseCache is the cache here, and the HTTP cache under the worker's fetch
// would otherwise answer a revalidation with its own stale copy (Chromium
// applies stale-while-revalidate too), so the origin would not see it and the
// refresh would store old bytes. With a plain fetch the quota case (e) fails:
// the browser's cache answers where the test expects the origin.
const WORKER_BODY = `
const errors = [];
self.addEventListener("error", (event) => errors.push("error: " + event.message));
self.addEventListener("unhandledrejection", (event) => errors.push("unhandledrejection: " + (event.reason?.message ?? event.reason)));
self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

let responses; // one ResponseCache per worker instance, over one IndexedDB connection
const responseCache = () =>
  (responses ??= EdgeCache.indexedDb({ dbName: "http-cache" })
    .then((cache) => new ResponseCache(cache))
    .catch((error) => {
      responses = undefined;
      throw error;
    }));

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (url.origin !== location.origin) return;
  if (url.pathname === "/sw/errors") return event.respondWith(Response.json(url.search === "?clear" ? errors.splice(0) : errors));
  if (!url.pathname.startsWith("/api/")) return;
  event.respondWith(
    responseCache()
      .then((cache) => cache.fetch(event.request, { waitUntil: (promise) => event.waitUntil(promise) }))
      .catch((error) => {
        // Recorded, and a network error for the page (as a rejection would be,
        // without Chromium reporting it as unhandled). ResponseCache answers
        // an unreachable origin itself (stale-if-error, or a 502), so only a
        // failure to open IndexedDB, or a bug, gets here.
        errors.push("fetch " + url.pathname + ": " + (error?.code ?? error?.name) + " " + error?.message);
        return Response.error();
      }),
  );
});
`;

const FILES = {
  "index.html": `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head><body>service worker test</body></html>\n`,
  // Bundled by esbuild into sw-bundled.js.
  "sw-source.js": `import { EdgeCache, ResponseCache } from "edgecache/service-worker";\n${WORKER_BODY}`,
  "sw.js": `import { EdgeCache, ResponseCache } from "./node_modules/edgecache/service-worker.js";\n${WORKER_BODY}`,
  "sw-default-entry.js": `import { EdgeCache, ResponseCache } from "./node_modules/edgecache/browser.js";\n${WORKER_BODY}`,
};

const WORKERS = {
  "bundled by esbuild (one classic script)": { script: "/sw-bundled.js", type: "classic" },
  "unbundled module worker (static imports from node_modules)": { script: "/sw.js", type: "module" },
};

const work = join(root, "tests/.work/service-worker");
let app;
let browser;
const BIG = randomBytes(3 << 20); // random: Chromium compresses IndexedDB values

before(async () => {
  app = fixture(work, packTarball(work), "app", FILES);
  const esbuild = await import("esbuild");
  await esbuild.build({
    absWorkingDir: app,
    entryPoints: ["sw-source.js"],
    outfile: join(app, "sw-bundled.js"),
    bundle: true,
    format: "iife",
    platform: "browser",
    minify: true,
    logLevel: "error",
  });
  browser = await launchChromium();
});

after(() => browser?.close());

/**
 * Serves the fixture and the origin routes on a fresh port: `{ url, origin,
 * counts, offline, close }`. Set `offline = true` and /api/* requests get
 * their connection closed with no response (a network error in the worker).
 */
async function startOrigin() {
  const state = { counts: new Map(), offline: false };
  const server = await serveStatic(app, {
    handle(request, response) {
      const url = new URL(request.url, "http://origin");
      if (!url.pathname.startsWith("/api/")) return false;
      if (state.offline) {
        request.socket.destroy();
        return true;
      }
      const n = (state.counts.get(url.pathname) ?? 0) + 1;
      state.counts.set(url.pathname, n);
      const headers = { "content-type": "text/plain; charset=utf-8" };
      if (url.searchParams.has("cc")) headers["cache-control"] = url.searchParams.get("cc");
      if (url.searchParams.has("vary")) headers.vary = url.searchParams.get("vary");
      const size = Number(url.searchParams.get("size") ?? 0);
      if (size > 0) {
        response.writeHead(200, { ...headers, "content-type": "application/octet-stream" }).end(BIG.subarray(0, size));
        return true;
      }
      const language = request.headers["accept-language"];
      response.writeHead(200, headers).end(`${url.pathname} #${n}${url.searchParams.has("vary") ? ` ${language}` : ""}`);
      return true;
    },
  });
  return Object.assign(state, server, { origin: new URL(server.url).origin });
}

/**
 * A fresh context with `script` registered as the page's controlling service
 * worker (`setup(context, page)` runs first, e.g. to set a CDP override).
 * Collects the worker's console errors. Returns `{ context, page, logs }`.
 */
async function controlledPage(server, { script, type }, setup) {
  const context = await browser.newContext();
  const logs = [];
  const watch = (worker) => worker.on("console", (message) => logs.push(`${message.type()}: ${message.text()}`));
  context.on("serviceworker", watch);
  const page = await context.newPage();
  page.on("pageerror", (error) => logs.push(`pageerror: ${error}`));
  await setup?.(context, page);
  await page.goto(server.url);
  await page.evaluate(
    async ({ script, type }) => {
      const controlled = new Promise((resolve) => navigator.serviceWorker.addEventListener("controllerchange", resolve, { once: true }));
      await navigator.serviceWorker.register(script, { type, scope: "/" });
      await navigator.serviceWorker.ready;
      if (!navigator.serviceWorker.controller) await controlled;
    },
    { script, type },
  );
  for (const worker of context.serviceWorkers()) if (!worker.listenerCount?.("console")) watch(worker);
  return { context, page, logs };
}

/** Fetches `path` from the page: `{ status, cache (x-edgecache), body }`, or `{ error }` if the fetch failed. */
function get(page, path, headers = {}) {
  return page.evaluate(
    async ({ path, headers }) => {
      try {
        const response = await fetch(path, { headers });
        const bytes = new Uint8Array(await response.arrayBuffer());
        const body = response.headers.get("content-type")?.startsWith("text/") ? new TextDecoder().decode(bytes) : `${bytes.length} bytes`;
        return { status: response.status, cache: response.headers.get("x-edgecache"), body };
      } catch (error) {
        return { error: `${error.name}: ${error.message}` };
      }
    },
    { path, headers },
  );
}

/** What the worker recorded (error events, rejections, failed fetches). */
const workerErrors = (page) => page.evaluate(() => fetch("/sw/errors").then((r) => r.json()));

const cc = (value) => encodeURIComponent(value);

for (const [name, worker] of Object.entries(WORKERS)) {
  describe(`ResponseCache over IndexedDB in a service worker: ${name}`, () => {
    let server;
    let page;
    let context;
    let logs;

    before(async () => {
      server = await startOrigin();
      ({ context, page, logs } = await controlledPage(server, worker));
    });

    after(async () => {
      await context?.close();
      await server?.close();
    });

    test("(a) a max-age response is stored: the second fetch is a HIT from the worker, the origin counted once", async () => {
      const path = `/api/a?cc=${cc("max-age=60")}`;
      assert.deepEqual(await get(page, path), { status: 200, cache: "MISS", body: "/api/a #1" });
      assert.deepEqual(await get(page, path), { status: 200, cache: "HIT", body: "/api/a #1" });
      assert.equal(server.counts.get("/api/a"), 1);
    });

    test("(b) offline: a fresh stored response is served; a stale one only where stale-if-error allows", async () => {
      const fresh = `/api/b-fresh?cc=${cc("max-age=60")}`;
      const staleIfError = `/api/b-sie?cc=${cc("max-age=1, stale-if-error=60")}`;
      const plainStale = `/api/b-stale?cc=${cc("max-age=1")}`;
      for (const path of [fresh, staleIfError, plainStale]) assert.equal((await get(page, path)).cache, "MISS");
      await sleep(2_100); // max-age=1 has passed
      server.offline = true;
      try {
        assert.deepEqual(await get(page, fresh), { status: 200, cache: "HIT", body: "/api/b-fresh #1" });
        assert.deepEqual(await get(page, staleIfError), { status: 200, cache: "STALE", body: "/api/b-sie #1" });
        // No stale-if-error: the stale body is not served; the page sees the
        // origin's failure (a network error, or a 5xx where ResponseCache
        // answers one itself).
        const failed = await get(page, plainStale);
        assert.ok(failed.error !== undefined || failed.status >= 500, JSON.stringify(failed));
        const recorded = await page.evaluate(() => fetch("/sw/errors?clear").then((r) => r.json()));
        assert.ok(recorded.every((line) => line.startsWith("fetch /api/b-stale: ")), JSON.stringify(recorded));
      } finally {
        server.offline = false;
      }
      assert.deepEqual(await get(page, plainStale), { status: 200, cache: "MISS", body: "/api/b-stale #2" });
    });

    test("(c) stale-while-revalidate: STALE at once, refreshed in the background, the next request sees the new body", async () => {
      // max-age=2, not 1: the origin's Date has whole seconds, so a stored
      // response can arrive up to a second old, and with max-age=1 the
      // refreshed copy could be fresh for only a few ms before the polling
      // below reads it (seen as a STALE "#2" now and then).
      const path = `/api/c?cc=${cc("max-age=2, stale-while-revalidate=60")}`;
      assert.deepEqual(await get(page, path), { status: 200, cache: "MISS", body: "/api/c #1" });
      await sleep(3_100);
      assert.deepEqual(await get(page, path), { status: 200, cache: "STALE", body: "/api/c #1" });
      let seen;
      for (const deadline = Date.now() + 10_000; Date.now() < deadline; await sleep(100)) {
        seen = await get(page, path);
        if (seen.body === "/api/c #2") break;
      }
      assert.deepEqual(seen, { status: 200, cache: "HIT", body: "/api/c #2" });
      assert.equal(server.counts.get("/api/c"), 2, "one background revalidation");
    });

    test("(d) Vary: Accept-Language keeps two variants, and each request gets its own", async () => {
      const path = `/api/d?cc=${cc("max-age=60")}&vary=Accept-Language`;
      assert.deepEqual(await get(page, path, { "accept-language": "fr" }), { status: 200, cache: "MISS", body: "/api/d #1 fr" });
      assert.deepEqual(await get(page, path, { "accept-language": "de" }), { status: 200, cache: "MISS", body: "/api/d #2 de" });
      assert.deepEqual(await get(page, path, { "accept-language": "fr" }), { status: 200, cache: "HIT", body: "/api/d #1 fr" });
      assert.deepEqual(await get(page, path, { "accept-language": "de" }), { status: 200, cache: "HIT", body: "/api/d #2 de" });
      assert.equal(server.counts.get("/api/d"), 2);
    });

    test("(e, control) the 3 MiB response of the quota case is stored where the quota allows it", async () => {
      const big = `/api/e-big?cc=${cc("max-age=60")}&size=${BIG.length}`;
      assert.deepEqual(await get(page, big), { status: 200, cache: "MISS", body: `${BIG.length} bytes` });
      assert.deepEqual(await get(page, big), { status: 200, cache: "HIT", body: `${BIG.length} bytes` });
      assert.equal(server.counts.get("/api/e-big"), 1);
    });

    test("(f) nothing the entry needs is refused: no import() error, no error at all, in the worker", async () => {
      assert.deepEqual(await workerErrors(page), []);
      assert.deepEqual(logs.filter((line) => /^error|pageerror|import\(\)/.test(line)), []);
    });
  });

  describe(`(e) a full IndexedDB does not fail the page's fetch: ${name}`, () => {
    let server;
    let page;
    let context;
    let logs;

    before(async () => {
      server = await startOrigin();
      // A 2 MiB quota for this origin, set before it first touches storage.
      ({ context, page, logs } = await controlledPage(server, worker, async (context, page) => {
        const cdp = await context.newCDPSession(page);
        await cdp.send("Storage.overrideQuotaForOrigin", { origin: server.origin, quotaSize: 2 << 20 });
      }));
    });

    after(async () => {
      await context?.close();
      await server?.close();
    });

    test("a response over the quota is served from the origin, unstored, and later fetches are still answered", async () => {
      const big = `/api/e-big?cc=${cc("max-age=60")}&size=${BIG.length}`;
      // Served whole from the origin (x-edgecache says BYPASS, or MISS where
      // the write happens after the response is on its way), and not stored:
      // the next request reaches the origin again.
      for (let n = 1; n <= 2; n++) {
        const answer = await get(page, big);
        assert.equal(answer.status, 200);
        assert.equal(answer.body, `${BIG.length} bytes`);
        assert.ok(["BYPASS", "MISS"].includes(answer.cache), answer.cache);
        await sleep(300); // a write in the background has failed by now
      }
      assert.equal(server.counts.get("/api/e-big"), 2, "not stored: each request reaches the origin");
      // Later fetches are still answered. Whether a small response is stored
      // again depends on when Chromium releases the failed write's bytes
      // (navigator.storage.estimate() still counted them 10 s later in some
      // runs), so only "answered, never failed" is asserted.
      const small = `/api/e-small?cc=${cc("max-age=60")}`;
      for (let n = 1; n <= 3; n++) {
        const answer = await get(page, small);
        assert.equal(answer.status, 200, JSON.stringify(answer));
        assert.ok(["MISS", "HIT", "BYPASS"].includes(answer.cache), JSON.stringify(answer));
        assert.match(answer.body, /^\/api\/e-small #\d$/);
      }
      assert.deepEqual(await workerErrors(page), []);
      assert.deepEqual(logs.filter((line) => /^error|pageerror/.test(line)), []);
    });
  });
}

describe("control: the default browser entry in a service worker", () => {
  test("its first EdgeCache.indexedDb fails with EDGECACHE_UNAVAILABLE naming edgecache/service-worker (import() is refused there)", async () => {
    const server = await startOrigin();
    const { context, page } = await controlledPage(server, { script: "/sw-default-entry.js", type: "module" });
    try {
      const failed = await get(page, "/api/control");
      assert.ok(failed.error, JSON.stringify(failed));
      const [error, ...rest] = await workerErrors(page);
      assert.deepEqual(rest, []);
      assert.match(error, /^fetch \/api\/control: EDGECACHE_UNAVAILABLE loading edgecache's IndexedDB module failed: .*import\(\).*edgecache\/service-worker/);
      assert.equal(server.counts.get("/api/control"), undefined);
    } finally {
      await context.close();
      await server.close();
    }
  });
});
