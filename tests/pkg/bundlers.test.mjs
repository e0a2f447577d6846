// The packed package (npm pack of pkg/) in a browser app, built by each
// bundler users reach for, and with no bundler at all. For each one, one
// small app runs in headless Chromium:
//   1. at load, EdgeCache.memory(): set + get (the "one-line app");
//   2. then EdgeCache.indexedDb() and a ResponseCache, with no init call;
// and the test records every JS and .wasm response, per step, to check that
// the IndexedDB and HTTP modules are split out and only fetched on first use,
// and (for Vite's production build and webpack) that each step stays within
// its size budget. Server-side bundles: tests/pkg/server-runtimes.test.mjs.
//
// Fixtures live under tests/.work/bundlers/ (git-ignored): the tools resolve
// from the repo's node_modules, `edgecache` from the fixture's.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { gzipSync } from "node:zlib";
import { launchChromium } from "../support/chromium.mjs";
import { fixture, packTarball, root } from "../support/package.mjs";
import { serveStatic } from "../support/static-server.mjs";

// Size budgets, in KiB (1024 B) of gzip -9: the sum over every JS and .wasm
// response the app loads (the HTML page itself is not counted), for the
// issue's three apps. Checked for Vite's production build and webpack. The
// page runs them as steps (load, indexedDb, ResponseCache) and the split check
// below proves each step fetches only its own module, so the second app is
// the page load plus the IndexedDB step and the third the page load plus the
// ResponseCache step.
/** The page load of an app that only uses EdgeCache.memory(). */
const BUDGET_MEMORY_KIB = 40;
/**
 * That app once its first `await EdgeCache.indexedDb()` has resolved. The
 * target is 90 KiB, which the Rust IndexedDB module (about 98 KiB of gzip
 * -9 .wasm, 134 KiB inlined) cannot reach: reading values in JavaScript and a
 * JavaScript memory tier (issue 14, sections 2 and 3) are what gets there.
 * Until then this budget holds today's size, so that it cannot grow unseen;
 * lower it as the module shrinks.
 */
const BUDGET_INDEXEDDB_KIB = 180;
/** The target for the IndexedDB app, printed beside the measured size. */
const TARGET_INDEXEDDB_KIB = 90;
/** That app once a ResponseCache has been used (match, put, match). */
const BUDGET_HTTP_KIB = 160;

// The app. The memory step runs at load; the test runs the others, one at a
// time, so it can tell which responses each step caused.
const MAIN_JS = `
import { EdgeCache, ResponseCache } from "edgecache";

const run = (step) => step().catch((error) => \`error: \${error?.code ?? error?.name} \${error?.message ?? error}\`);

window.steps = {
  memory: () => run(async () => {
    const cache = EdgeCache.memory();
    await cache.setText("greeting", "hello");
    return cache.getText("greeting");
  }),
  indexedDb: (dbName) => run(async () => {
    const cache = await EdgeCache.indexedDb({ dbName });
    await cache.setText("greeting", "hello from IndexedDB");
    return cache.getText("greeting");
  }),
  http: () => run(async () => {
    const responses = new ResponseCache(EdgeCache.memory());
    const miss = await responses.match("https://example.com/");
    const url = new URL("/cached", location.href).href;
    const stored = await responses.put(url, new Response("hi", { headers: { "cache-control": "max-age=60" } }));
    const hit = await responses.match(url);
    return { miss: miss === undefined ? "undefined" : String(miss), stored, hit: hit === undefined ? "undefined" : await hit.text() };
  }),
};

window.steps.memory().then((value) => {
  console.log("memory: " + value);
  window.memoryResult = value;
});
`;

const html = (script) =>
  `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head><body>${script}</body></html>\n`;
const INDEX_HTML = html(`<script type="module" src="/main.js"></script>`);
// No bundler: the browser resolves "edgecache" through an import map to the installed package's browser entry.
const PLAIN_HTML = html(
  `<script type="importmap">{"imports":{"edgecache":"./node_modules/edgecache/browser.js"}}</script>` +
    `<script type="module" src="./main.js"></script>`,
);
const MODULE_HTML = html(`<script type="module" src="./main.js"></script>`);
const CLASSIC_HTML = html(`<script src="./main.js"></script>`);

const work = join(root, "tests/.work/bundlers");
let app; // the fixture directory: main.js, index.html, plain.html, node_modules/edgecache

/**
 * Each bundler builds the app (into dist/<name>/ of the fixture) and serves it:
 * `start()` resolves to `{ url, close }`. `budget`: whether the size budgets apply;
 * `dist`: the build's directory under dist/, for bundlers that write one.
 */
const BUNDLERS = {
  "vite build": {
    budget: true,
    dist: "vite",
    async start() {
      const { build } = await import("vite");
      const outDir = join(app, "dist/vite");
      await build({ root: app, configFile: false, logLevel: "error", build: { outDir, emptyOutDir: true } });
      return serveStatic(outDir);
    },
  },
  "vite dev": {
    budget: false,
    async start() {
      const { createServer } = await import("vite");
      const server = await createServer({
        root: app,
        configFile: false,
        logLevel: "error",
        optimizeDeps: { entries: ["index.html"] },
        server: { port: 0, host: "127.0.0.1" },
      });
      await server.listen();
      return { url: server.resolvedUrls.local[0], close: () => server.close() };
    },
  },
  "webpack 5": {
    budget: true,
    dist: "webpack",
    async start() {
      const { default: webpack } = await import("webpack");
      const outDir = join(app, "dist/webpack");
      const stats = await new Promise((resolve, reject) =>
        webpack(
          {
            mode: "production",
            target: "web",
            context: app,
            entry: "./main.js",
            output: { path: outDir, filename: "main.js", chunkFilename: "[name].[contenthash].js", clean: true },
            performance: { hints: false },
          },
          (error, stats) => (error ? reject(error) : resolve(stats)),
        ),
      );
      assert.ok(!stats.hasErrors(), stats.toString("errors-only"));
      writeFileSync(join(outDir, "index.html"), CLASSIC_HTML);
      return serveStatic(outDir);
    },
  },
  esbuild: {
    budget: false,
    dist: "esbuild",
    async start() {
      const esbuild = await import("esbuild");
      const outDir = join(app, "dist/esbuild");
      await esbuild.build({
        absWorkingDir: app,
        entryPoints: ["main.js"],
        bundle: true,
        format: "esm",
        splitting: true,
        minify: true,
        platform: "browser",
        outdir: outDir,
        logLevel: "error",
      });
      writeFileSync(join(outDir, "index.html"), MODULE_HTML);
      return serveStatic(outDir);
    },
  },
  rollup: {
    budget: false,
    dist: "rollup",
    async start() {
      const { rollup } = await import("rollup");
      const { nodeResolve } = await import("@rollup/plugin-node-resolve");
      const outDir = join(app, "dist/rollup");
      const bundle = await rollup({ input: join(app, "main.js"), plugins: [nodeResolve({ browser: true })], onwarn() {} });
      await bundle.write({ dir: outDir, format: "es" });
      await bundle.close();
      writeFileSync(join(outDir, "index.html"), MODULE_HTML);
      return serveStatic(outDir);
    },
  },
  "no bundler (import map)": {
    budget: false,
    async start() {
      const server = await serveStatic(app);
      return { url: `${server.url}plain.html`, close: server.close };
    },
  },
};

let browser;
/** Marks that identify each inlined .wasm in a response body (a slice of its base64 text). */
const marks = {};
const sizes = {}; // bundler name -> { memory, indexedDb, http }: gzip -9 bytes of page load, + the IndexedDB step, + the ResponseCache step; counts: responses per step

before(async () => {
  const tarball = packTarball(work);
  app = fixture(work, tarball, "app", { "main.js": MAIN_JS, "index.html": INDEX_HTML, "plain.html": PLAIN_HTML });
  const inlined = {};
  for (const module of ["memory", "idb", "http"]) {
    const text = readFileSync(join(app, `node_modules/edgecache/wasm/${module}/inline.js`), "utf8");
    inlined[module] = text.slice(text.indexOf('"') + 1, text.lastIndexOf('"'));
  }
  // The modules share code and data, so take a slice found in no other module.
  for (const [module, base64] of Object.entries(inlined)) {
    for (let at = base64.length >> 1; !marks[module]; at += 64) {
      const slice = base64.slice(at, at + 64);
      assert.equal(slice.length, 64, `no slice of the ${module} module's base64 is unique to it`);
      if (Object.values(inlined).every((other) => other === base64 || !other.includes(slice))) marks[module] = slice;
    }
  }
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  const kib = (n) => (n === undefined ? "-" : (n / 1024).toFixed(1));
  const lines = [
    "",
    `edgecache in the browser, gzip -9 KiB of JS + .wasm loaded (page load, then page load + each step; budgets ${BUDGET_MEMORY_KIB} / ${BUDGET_INDEXEDDB_KIB} (target ${TARGET_INDEXEDDB_KIB}) / ${BUDGET_HTTP_KIB} for vite build and webpack)`,
    "| bundler | page load (memory) | + indexedDb() | + ResponseCache | responses per step |",
    "|---|---:|---:|---:|---|",
    ...Object.entries(sizes).map(
      ([name, s]) => `| ${name} | ${kib(s.memory)} | ${kib(s.indexedDb)} | ${kib(s.http)} | ${s.counts.join(" / ")} |`,
    ),
    "",
  ];
  // What each build wrote. The .wasm are inlined, so an emitted .wasm is a copy that no page fetches.
  for (const dir of ["vite", "webpack", "esbuild", "rollup"]) {
    if (!app || !existsSync(join(app, "dist", dir))) continue;
    const files = readdirSync(join(app, "dist", dir), { recursive: true }).map(String);
    const wasm = files.filter((f) => f.endsWith(".wasm"));
    lines.push(`dist/${dir}: ${files.length} files${wasm.length ? `, ${wasm.length} .wasm: ${wasm.join(", ")}` : ""}`);
  }
  console.log(lines.join("\n"));
});

/**
 * Loads the app at `url` in a fresh browser context, runs its steps in order
 * (memory at load, then indexedDb, then http) and returns, per step, its
 * result and the JS/.wasm responses it caused ({ url, raw, gzip, has: { memory, idb, http } }),
 * plus console errors.
 */
async function measure(url, dbName) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  const logs = [];
  let pending = [];
  let loaded = [];
  page.on("console", (message) => (message.type() === "error" ? errors : logs).push(message.text()));
  page.on("pageerror", (error) => errors.push(String(error)));
  page.on("requestfailed", (request) => errors.push(`failed: ${request.url()} ${request.failure()?.errorText}`));
  page.on("response", (response) => {
    if (!/javascript|wasm/.test(response.headers()["content-type"] ?? "")) return;
    pending.push(
      response.body().then((body) => {
        const text = body.toString("latin1");
        loaded.push({
          url: response.url(),
          raw: body.length,
          gzip: gzipSync(body, { level: 9 }).length,
          has: Object.fromEntries(Object.entries(marks).map(([name, mark]) => [name, text.includes(mark)])),
        });
      }),
    );
  });
  /** The responses since the last call, once the network has been quiet for a moment. */
  const settle = async () => {
    for (let seen = -1; seen !== pending.length; ) {
      seen = pending.length;
      await Promise.all(pending);
      await sleep(150);
    }
    const taken = loaded;
    loaded = [];
    return taken;
  };
  try {
    await page.goto(url);
    await page.waitForFunction(() => window.memoryResult !== undefined, null, { timeout: 30_000 });
    const steps = {};
    steps.memory = { result: await page.evaluate(() => window.memoryResult), responses: await settle() };
    const indexedDb = await page.evaluate((name) => window.steps.indexedDb(name), dbName);
    steps.indexedDb = { result: indexedDb, responses: await settle() };
    const http = await page.evaluate(() => window.steps.http());
    steps.http = { result: http, responses: await settle() };
    return { steps, logs, errors };
  } finally {
    await context.close();
  }
}

const total = (responses) => responses.reduce((sum, r) => sum + r.gzip, 0);
const listing = (responses) => responses.map((r) => `${new URL(r.url).pathname} ${(r.gzip / 1024).toFixed(1)} KiB`).join(", ");

for (const [name, bundler] of Object.entries(BUNDLERS)) {
  describe(name, () => {
    let run;
    before(async () => {
      const server = await bundler.start();
      try {
        run = await measure(server.url, `bundlers-${name.replace(/\W+/g, "-")}-${Date.now()}`);
      } finally {
        await server.close();
      }
      const { memory, indexedDb, http } = run.steps;
      sizes[name] = {
        memory: total(memory.responses),
        indexedDb: total(memory.responses) + total(indexedDb.responses),
        http: total(memory.responses) + total(http.responses),
        counts: [memory.responses.length, indexedDb.responses.length, http.responses.length],
      };
    }, { timeout: 120_000 });

    test("the memory-only app runs at load and prints the right result", () => {
      assert.equal(run.steps.memory.result, "hello");
      assert.ok(run.logs.includes("memory: hello"), `console: ${JSON.stringify(run.logs)}`);
    });

    test("EdgeCache.indexedDb and ResponseCache work with no init call, and nothing logs an error", () => {
      assert.equal(run.steps.indexedDb.result, "hello from IndexedDB");
      assert.deepEqual(run.steps.http.result, { miss: "undefined", stored: true, hit: "hi" });
      assert.deepEqual(run.errors, []);
    });

    test("the IndexedDB and HTTP modules are separate chunks, fetched only on first use", () => {
      const { memory, indexedDb, http } = run.steps;
      const where = (module) =>
        Object.entries(run.steps)
          .filter(([, step]) => step.responses.some((r) => r.has[module]))
          .map(([step]) => step);
      assert.deepEqual(where("memory"), ["memory"], "the memory module loads with the page, once");
      assert.deepEqual(where("idb"), ["indexedDb"], `the IndexedDB module loads on the first EdgeCache.indexedDb() only`);
      assert.deepEqual(where("http"), ["http"], `the HTTP module loads on first ResponseCache use only`);
      assert.ok(!memory.responses.some((r) => r.has.idb || r.has.http), `page load fetched: ${listing(memory.responses)}`);
      assert.ok(indexedDb.responses.length > 0 && http.responses.length > 0);
    });

    if (bundler.dist) {
      test("the build emits no .wasm file (the browser's modules are inlined, so one would be an unused copy)", () => {
        const files = readdirSync(join(app, "dist", bundler.dist), { recursive: true }).map(String);
        assert.deepEqual(files.filter((f) => f.endsWith(".wasm")), []);
      });
    }

    if (bundler.budget) {
      test(`size budget: page load <= ${BUDGET_MEMORY_KIB} KiB, + indexedDb <= ${BUDGET_INDEXEDDB_KIB} KiB, + ResponseCache <= ${BUDGET_HTTP_KIB} KiB (gzip -9)`, () => {
        const s = sizes[name];
        const report = Object.entries(run.steps)
          .map(([step, { responses }]) => `${step}: ${listing(responses)}`)
          .join("\n");
        const failures = [
          [s.memory, BUDGET_MEMORY_KIB, "page load (memory only)"],
          [s.indexedDb, BUDGET_INDEXEDDB_KIB, "after the first EdgeCache.indexedDb()"],
          [s.http, BUDGET_HTTP_KIB, "after the first ResponseCache use"],
        ]
          .filter(([bytes, budget]) => bytes > budget * 1024)
          .map(([bytes, budget, what]) => `${what}: ${(bytes / 1024).toFixed(1)} KiB > ${budget} KiB`);
        assert.deepEqual(failures, [], `over budget (gzip -9):\n${report}`);
      });
    }
  });
}
