// Start-up cost of the browser entries in headless Chromium: the default entry
// (the .wasm inlined as base64, compiled synchronously at import) against the
// slim entry with the .wasm fetched as a separate file (streaming compile).
// Each run is a fresh browser context (cold HTTP cache); medians of --runs N.
// Usage: node benches/start.mjs [--runs 7]   (after bash scripts/build.sh)
import { createServer } from "node:http";
import { readFileSync, statSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { execFileSync } from "node:child_process";
import { chromium } from "playwright-core";

const pkg = fileURLToPath(new URL("../pkg/", import.meta.url));
const runsArg = process.argv.indexOf("--runs");
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 7;
const types = { ".js": "text/javascript", ".wasm": "application/wasm", ".html": "text/html" };

const pages = {
  "/inline.html": `<script type="module">
    const t0 = performance.now();
    const { EdgeCache } = await import("/browser.js");
    const t1 = performance.now();
    EdgeCache.memory().set("k", new Uint8Array(1));
    window.result = { importMs: t1 - t0 };
  </script>`,
  "/slim.html": `<script type="module">
    const t0 = performance.now();
    const { init, EdgeCache } = await import("/slim.js");
    await init({ module_or_path: "/wasm/edgecache_bg.wasm" });
    const t1 = performance.now();
    EdgeCache.memory().set("k", new Uint8Array(1));
    window.result = { importMs: t1 - t0 };
  </script>`,
};

const server = createServer((req, res) => {
  const path = new URL(req.url, "http://x").pathname;
  if (pages[path]) return res.writeHead(200, { "content-type": "text/html" }).end(pages[path]);
  const file = normalize(join(pkg, path));
  if (!file.startsWith(pkg)) return res.writeHead(403).end();
  let body;
  try {
    body = readFileSync(file);
  } catch {
    return res.writeHead(404).end();
  }
  res.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" }).end(body);
}).listen(0, "127.0.0.1");
await new Promise((resolve) => server.once("listening", resolve));
const base = `http://127.0.0.1:${server.address().port}`;
const browser = await chromium.launch({
  executablePath: execFileSync("sh", ["-c", "command -v chromium"], { encoding: "utf8" }).trim(),
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--no-first-run"],
});
const median = (xs) => xs.toSorted((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = {};
for (const page of Object.keys(pages)) results[page] = [];
for (let i = 0; i < runs; i++) {
  for (const page of Object.keys(pages)) {
    const context = await browser.newContext();
    const tab = await context.newPage();
    await tab.goto(base + page);
    await tab.waitForFunction(() => window.result);
    results[page].push((await tab.evaluate(() => window.result)).importMs);
    await context.close();
  }
}
await browser.close();
server.close();

const gz = (f) => gzipSync(readFileSync(join(pkg, f)), { level: 9 }).length;
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
const inline = median(results["/inline.html"]);
const slim = median(results["/slim.html"]);
console.log(`\nBrowser entry start-up, headless Chromium, median of ${runs} cold loads (${new Date().toISOString()})\n`);
console.log("| entry | what is downloaded (gzip -9) | import until usable | ratio to slim |");
console.log("|---|---:|---:|---:|");
console.log(`| default (inline base64, sync compile) | ${kib(gz("wasm/inline.js"))} JS | ${inline.toFixed(1)} ms | ${(inline / slim).toFixed(2)} |`);
console.log(`| slim + separate .wasm (streaming) | ${kib(gz("wasm/edgecache_bg.wasm"))} .wasm | ${slim.toFixed(1)} ms | 1.00 |`);
console.log(`\n.wasm raw ${kib(statSync(join(pkg, "wasm/edgecache_bg.wasm")).size)}; inlined module raw ${kib(statSync(join(pkg, "wasm/inline.js")).size)}.`);
