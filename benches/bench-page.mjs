// The page and the browser of the benches that run their own page in
// Chromium (benches/idb-ab.mjs, benches/idb-getmany.mjs): a local HTTP
// server, where `/` is the page and `/<name>/<path>` a file under
// `routes[name]` (a directory), or `/<name>` the file `routes[name]`
// itself; and Debian's Chromium opening it. The page is cross-origin
// isolated (COOP and COEP), so its `performance.now()` steps by 5 µs, not
// 100 µs. A page says it is ready with `window.ready` and names what it
// measures in `window.peers`.

import { createServer } from "node:http";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { extname, join, resolve } from "node:path";
import { chromiumPath } from "../tests/support/chromium.mjs";

const TYPES = { ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm" };

/** Starts the server on a free loopback port; resolves to `{ url, close() }`. */
export async function startPageServer(page, routes) {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    const [, top, ...rest] = path.split("/");
    const route = routes[top];
    const file = route === undefined ? undefined : isDirectory(route) ? join(resolve(route), ...rest) : route;
    res.setHeader("Cross-Origin-Opener-Policy", "same-origin");
    res.setHeader("Cross-Origin-Embedder-Policy", "require-corp");
    res.setHeader("content-type", file ? (TYPES[extname(file)] ?? "application/octet-stream") : "text/html");
    if (file === undefined) return res.end(page);
    try {
      res.end(readFileSync(file));
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((done) => server.listen(0, "127.0.0.1", done));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => server.close() };
}

function isDirectory(path) {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Opens `url` in Debian's Chromium, in a fresh profile on disk (IndexedDB
 * commits reach LevelDB files, as a user's do) or with `inMemory` an
 * off-the-record one, with `args` added to its switches, and waits for the
 * page's `window.ready`. Resolves to `{ page, peers, close() }`.
 */
export async function openBenchPage(url, { inMemory = false, args = [] } = {}) {
  const { chromium } = await import("playwright-core");
  const launch = {
    executablePath: chromiumPath(),
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", ...args],
  };
  const profile = inMemory ? undefined : mkdtempSync(join(tmpdir(), "edgecache-bench-page-"));
  const browser = inMemory ? await chromium.launch(launch) : undefined;
  const context = inMemory ? await browser.newContext() : await chromium.launchPersistentContext(profile, launch);
  const close = async () => {
    await context.close();
    await browser?.close();
    if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
  };
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(url);
    await page.waitForFunction(() => window.ready, null, { timeout: 60_000 });
    return { page, peers: await page.evaluate(() => window.peers), close };
  } catch (error) {
    await close();
    throw error;
  }
}
