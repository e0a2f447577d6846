// A minimal static file server for tests: serves `dir` on 127.0.0.1 with the
// MIME types browsers insist on for modules and WebAssembly, no compression and
// no caching headers, so what the page loads is exactly the files on disk.

import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".css": "text/css",
  ".map": "application/json",
};

/**
 * Serves `dir`; resolves to `{ url, close }` (url ends with "/"). `handle`,
 * if given, sees each request first and returns true for those it answered
 * (a test's origin routes beside the static files).
 */
export async function serveStatic(dir, { handle } = {}) {
  const server = createServer(async (request, response) => {
    if (handle?.(request, response)) return;
    const path = decodeURIComponent(new URL(request.url, "http://x").pathname);
    let file = normalize(join(dir, path));
    if (file !== dir && !file.startsWith(dir.endsWith(sep) ? dir : dir + sep)) {
      response.writeHead(403).end();
      return;
    }
    try {
      if ((await stat(file)).isDirectory()) file = join(file, "index.html");
      const body = await readFile(file);
      response.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
      response.end(body);
    } catch {
      response.writeHead(404, { "content-type": "text/plain" }).end("not found");
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    close: () => new Promise((resolve) => {
      server.close(resolve);
      server.closeAllConnections();
    }),
  };
}
