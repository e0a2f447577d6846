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
import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
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

/** A fresh directory with `files`, `edgecache` installed from the tarball. */
function fixture(name, files) {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(dir, file, ".."), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: `fixture-${name}`, private: true, type: "module", dependencies: { edgecache: `file:${tarball}` } }),
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

describe("Vite + Chromium", () => {
  let dir;
  let browser;
  const servers = [];

  before(async () => {
    dir = join(work, "vite");
    cpSync(join(root, "www"), dir, {
      recursive: true,
      filter: (src) => !/node_modules|dist|package\.json$/.test(src.slice(join(root, "www").length)),
    });
    fixture("vite", {});
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
