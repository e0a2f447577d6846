// Shared by tests/workers/ and benches/workers.mjs: the packed package in a
// fixture, workers bundled from it like wrangler, Miniflare with KV, and a
// local origin server whose routes a test defines and whose hits it counts.

import assert from "node:assert/strict";
import http from "node:http";
import { after, before, describe, test } from "node:test";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { bundleLikeWrangler, fixture, packTarball, root } from "../support/package.mjs";

export { root };

/**
 * Packs pkg/, installs the tarball into a fresh fixture under `tests/.work/<name>`,
 * copies in `workers` ({ "file.js": sourcePath or { text } }) and bundles each
 * like wrangler. Returns { [file]: bundled script path, fixture: its directory }.
 * `pkg` packs another package directory instead (a previous release's pkg/).
 */
export async function bundleWorkers(name, workers, { pkg } = {}) {
  const work = join(root, "tests/.work", name);
  const tarball = pkg === undefined ? packTarball(work) : packDirectory(pkg, work);
  const files = Object.fromEntries(
    Object.entries(workers).map(([file, source]) => [file, typeof source === "string" ? readFileSync(source, "utf8") : source.text]),
  );
  const dir = fixture(work, tarball, "fixture", files);
  const out = { fixture: dir };
  for (const file of Object.keys(workers)) {
    out[file] = await bundleLikeWrangler(join(dir, file), join(dir, "dist", file.replace(/\.js$/, "")));
  }
  return out;
}

// `npm pack` of a package directory other than pkg/ into an emptied `work`.
function packDirectory(pkg, work) {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const out = execFileSync("npm", ["pack", "--json", "--pack-destination", work, pkg], { encoding: "utf8" });
  return join(work, JSON.parse(out)[0].filename);
}

/**
 * Waits (up to `timeoutMs`) until pkg/ is built: a rebuild by scripts/build.sh
 * empties it first and copies the JS entry points and README last.
 */
export async function waitForPkg(timeoutMs = 10 * 60_000) {
  const built = () => ["node.js", "workerd.js", "README.md", "package.json"].every((f) => existsSync(join(root, "pkg", f)));
  const deadline = Date.now() + timeoutMs;
  while (!built()) {
    if (Date.now() > deadline) throw new Error("pkg/ is not built: run `bash scripts/build.sh` first");
    await new Promise((resolve) => setTimeout(resolve, 5_000));
  }
}

/** Miniflare options for one bundled worker (modules as wrangler ships them). */
export function workerOptions(script, extra = {}) {
  return {
    scriptPath: script,
    modules: true,
    modulesRoot: dirname(script),
    modulesRules: [
      { type: "ESModule", include: ["**/*.js"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    compatibilityDate: "2026-04-01",
    ...extra,
  };
}

/** A Miniflare 4 instance from the repo's node_modules, with in-memory KV. */
export async function startMiniflare(options) {
  const { Miniflare } = await import("miniflare");
  const mf = new Miniflare({ cf: false, kvPersist: false, ...options });
  await mf.ready;
  return mf;
}

/** Closes the connection without answering: what a client sees of an origin that is down. */
export const DROP = Symbol("drop the connection");

/**
 * A local origin on 127.0.0.1 (port 0). `route(path, handler)` answers
 * `path` with `handler({ method, url, headers, body, n })` (n counts requests to
 * that path, from 1), which returns `{ status, headers, body, date }` or
 * DROP. Responses carry no `Date` unless `date: true` (an HTTP-date has
 * whole seconds, which would make sub-second ages depend on timing).
 * `requests(path)` lists what the origin received.
 */
export async function startOrigin() {
  const routes = new Map();
  const log = new Map();
  const server = http.createServer(async (req, res) => {
    const path = new URL(req.url, "http://origin").pathname;
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const entry = { method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
    const seen = log.get(path) ?? [];
    seen.push(entry);
    log.set(path, seen);
    const handler = routes.get(path);
    if (!handler) {
      res.writeHead(404, { "content-type": "text/plain" }).end(`no route ${path}`);
      return;
    }
    let out;
    try {
      out = await handler({ ...entry, n: seen.length });
    } catch (error) {
      res.writeHead(599).end(String(error));
      return;
    }
    if (out === DROP) {
      req.socket.destroy();
      return;
    }
    res.sendDate = out.date === true;
    res.writeHead(out.status ?? 200, { "content-type": "text/plain", ...out.headers });
    res.end(out.body ?? "");
  });
  server.keepAliveTimeout = 1_000;
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    route(path, handler) {
      routes.set(path, handler);
    },
    requests(path, method) {
      return (log.get(path) ?? []).filter((r) => method === undefined || r.method === method);
    },
    hits(path, method = "GET") {
      return this.requests(path, method).length;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * Runs a test worker's cases (see checks.js `serveCases`) as one node:test
 * each: `cases` is [[name, title], ...], `options()` gives the Miniflare
 * options (after any servers the cases need are up). Also checks the worker
 * defines exactly these cases.
 */
export function describeCases(title, script, options, cases) {
  describe(title, () => {
    let mf;
    before(async () => {
      mf = await startMiniflare(workerOptions(script, await options()));
    });
    after(() => mf?.dispose());

    test("the worker defines exactly the cases this file runs", async () => {
      const names = await (await mf.dispatchFetch("http://worker/cases")).json();
      assert.deepEqual(names.toSorted(), cases.map(([name]) => name).toSorted());
    });

    for (const [name, caseTitle] of cases) {
      test(caseTitle, async (t) => {
        const response = await mf.dispatchFetch(`http://worker/case/${name}`);
        const { ok, details } = await response.json();
        // Figures a case measured (timings, sizes) show up in the test report.
        if (Object.keys(details?.notes ?? {}).length > 0) t.diagnostic(`${name}: ${JSON.stringify(details.notes)}`);
        assert.equal(ok, true, `case ${name} failed:\n${JSON.stringify(details, null, 2)}`);
      });
    }
  });
}

/**
 * A request to the worker at `entry` through node:http with exactly these
 * header fields (dispatchFetch's fetch would add Accept-Language: * and, to a
 * conditional request, Cache-Control: no-cache). The worker sees the URL
 * http://<Host><path>, so `path` may be absolute to pick another host. Resolves to
 * { status, body, bytes, cache, headers, ms, headersMs }; rejects on a socket
 * error or after `timeoutMs`. `onResponse(res)` runs when the header arrives.
 */
export function send(entry, path, { method = "GET", headers = {}, body, timeoutMs = 20_000, onResponse, agent } = {}) {
  const url = new URL(path, "http://proxy.test");
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(entry, { method, agent, path: url.pathname + url.search, headers: { host: url.host, ...headers } }, (res) => {
      const headersMs = performance.now() - started;
      onResponse?.(res);
      const chunks = [];
      res.on("data", (chunk) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () => {
        const fields = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          for (const v of [value].flat()) fields.append(name, v);
        }
        const bytes = Buffer.concat(chunks);
        resolve({
          status: res.statusCode,
          body: bytes.toString("utf8"),
          bytes,
          cache: fields.get("x-edgecache"),
          headers: fields,
          ms: performance.now() - started,
          headersMs,
        });
      });
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms: ${method} ${path}`)));
    req.on("error", reject);
    req.end(body);
  });
}
