// Start-up of the browser entries in headless Chromium, against lru-cache in
// the same run: the time from just before `await import(entry)` until the
// first `await cache.get(k)` after a `set` resolves (t1 - t0 below), for
//
// - default: browser.js (the memory module's .wasm inlined as base64 in
//   wasm/memory/inline.js, compiled synchronously at import; IndexedDB and
//   ResponseCache are not loaded, as this app does not use them);
// - slim: slim.js + init({ module_or_path: "wasm/node/edgecache_bg.wasm" })
//   (the node module, every feature, fetched as a separate file, streaming compile);
// - lru-cache: its ESM browser build (the file its "browser" export
//   condition picks, dist/esm/browser/index.min.js), imported the same way.
//
// Each page does, timed:
//
//   t0 = performance.now()
//   import (slim: then await init(...))
//   c = await EdgeCache.memory()          (lru-cache: new LRUCache({ max: 100 }))
//   await c.set("k", new Uint8Array([1]))
//   v = await c.get("k")                  (checked: Uint8Array [1])
//   t1 = performance.now()
//
// Every load is a fresh browser context (cold HTTP cache) in one Chromium;
// files are served uncompressed from 127.0.0.1; the pages are interleaved in
// rotating order run by run. Reported: medians over --runs N loads, [IQR],
// the median's ratio to lru-cache's (and the median of per-run ratios), and
// the files each page fetched (gzip -9), as recorded by the server.
//
// Usage: node benches/start.mjs [--runs 7] [--pkg DIR]   (after bash scripts/build.sh)
// The package is --pkg, else $EDGECACHE_PKG (benches/run.sh's copy), else ../pkg;
// an older build with a single wasm/edgecache_bg.wasm works too (slim inits that).
import { createServer } from "node:http";
import { existsSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { gzipSync } from "node:zlib";
import { dirname, extname, join, normalize, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromiumPath } from "../tests/support/chromium.mjs";
import { chromium } from "playwright-core";

const opt = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const pkg = `${resolve(opt("--pkg", process.env.EDGECACHE_PKG ?? fileURLToPath(new URL("../pkg", import.meta.url))))}/`;
const runs = Number(opt("--runs", 7));
if (!existsSync(join(pkg, "browser.js"))) {
  console.error(`${pkg} holds no built package: build it first with \`bash scripts/build.sh\``);
  process.exit(1);
}
// lru-cache's dist/ directory, served under /lru/.
const lruDist = `${resolve(dirname(fileURLToPath(import.meta.resolve("lru-cache"))), "../..")}/`;
const lruFile = "esm/browser/index.min.js";
const lruVersion = JSON.parse(readFileSync(join(lruDist, "../package.json"), "utf8")).version;
// The node module (every feature); a package from before the per-runtime modules had one wasm/edgecache_bg.wasm.
const slimWasm = ["wasm/node/edgecache_bg.wasm", "wasm/edgecache_bg.wasm"].find((f) => existsSync(join(pkg, f)));
const types = { ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".html": "text/html" };
const ARGS = [
  "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
  "--disable-background-networking", "--disable-component-update", "--no-first-run",
];

const page = (open) => `<script type="module">
  try {
    const t0 = performance.now();
    ${open}
    await c.set("k", new Uint8Array([1]));
    const v = await c.get("k");
    const t1 = performance.now();
    if (!(v instanceof Uint8Array) || v.length !== 1 || v[0] !== 1) throw new Error("bad get result: " + String(v));
    window.result = { ms: t1 - t0 };
  } catch (e) { window.result = { error: String(e && e.stack || e) }; }
</script>`;
const pages = {
  default: page(`const { EdgeCache } = await import("/pkg/browser.js");
    const c = await EdgeCache.memory();`),
  slim: page(`const { init, EdgeCache } = await import("/pkg/slim.js");
    await init({ module_or_path: "/pkg/${slimWasm}" });
    const c = await EdgeCache.memory();`),
  lru: page(`const { LRUCache } = await import("/lru/${lruFile}");
    const c = new LRUCache({ max: 100 });`),
};

// Files served during the current load (loads run one at a time).
let fetched = [];
const server = createServer((req, res) => {
  const path = new URL(req.url, "http://x").pathname;
  const name = path.slice(1, -".html".length);
  if (path.endsWith(".html") && pages[name]) return res.writeHead(200, { "content-type": "text/html" }).end(pages[name]);
  const m = /^\/(pkg|lru)(\/.*)$/.exec(path);
  if (!m) return res.writeHead(404).end();
  const dir = m[1] === "pkg" ? pkg : lruDist;
  const file = normalize(join(dir, m[2]));
  if (!file.startsWith(dir)) return res.writeHead(403).end();
  let body;
  try {
    body = readFileSync(file);
  } catch {
    return res.writeHead(404).end();
  }
  fetched.push(path);
  res.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" }).end(body);
}).listen(0, "127.0.0.1");
await new Promise((r) => server.once("listening", r));
const base = `http://127.0.0.1:${server.address().port}`;
const browser = await chromium.launch({
  executablePath: chromiumPath(),
  args: ARGS,
});
const version = browser.version();
const names = Object.keys(pages);
const results = Object.fromEntries(names.map((n) => [n, []]));
const files = {};
for (let i = 0; i < runs; i++) {
  for (let j = 0; j < names.length; j++) {
    const name = names[(i + j) % names.length];
    fetched = [];
    const context = await browser.newContext();
    const tab = await context.newPage();
    await tab.goto(`${base}/${name}.html`);
    await tab.waitForFunction(() => window.result, null, { timeout: 60_000 });
    const r = await tab.evaluate(() => window.result);
    await context.close();
    if (r.error) throw new Error(`${name}: ${r.error}`);
    results[name].push(r.ms);
    files[name] ??= [...new Set(fetched)].sort();
  }
}
await browser.close();
server.close();

const sorted = (xs) => xs.toSorted((a, b) => a - b);
const median = (xs) => sorted(xs)[Math.floor(xs.length / 2)];
const q = (xs, f) => sorted(xs)[Math.floor((xs.length - 1) * f)];
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
const fileOf = (path) => (path.startsWith("/pkg/") ? join(pkg, path.slice(5)) : join(lruDist, path.slice(5)));
const gzipOf = (name) => files[name].reduce((n, p) => n + gzipSync(readFileSync(fileOf(p)), { level: 9 }).length, 0);
const lru = median(results.lru);
const perRun = (name) => median(results[name].map((ms, i) => ms / results.lru[i]));
const labels = {
  default: "default (browser.js, its .wasm inlined)",
  slim: `slim (slim.js + init(${slimWasm}), streamed)`,
  lru: `lru-cache ${lruVersion} (${lruFile})`,
};

console.log(`\nBrowser import until the first get resolves, Chromium ${version} headless, median of ${runs} cold loads (${new Date().toISOString()})`);
console.log(`package ${pkg}; load average at end ${loadavg().map((x) => x.toFixed(2)).join(" / ")}\n`);
console.log("| entry | fetched (gzip -9) | import → first get, median | [IQR] | ratio to lru-cache | per-run ratio, median |");
console.log("|---|---:|---:|---:|---:|---:|");
for (const name of names) {
  const r = results[name];
  console.log(
    `| ${labels[name]} | ${kib(gzipOf(name))} | ${median(r).toFixed(1)} ms | [${q(r, 0.25).toFixed(1)}–${q(r, 0.75).toFixed(1)}] | ${(median(r) / lru).toFixed(2)} | ${perRun(name).toFixed(2)} |`,
  );
}
console.log("");
for (const name of names) console.log(`${name} fetched: ${files[name].join(", ")}`);
console.log(`launch args: ${ARGS.join(" ")}`);
