// The packed package on the server, the way serverless platforms ship it:
// bundled for Node by esbuild (--platform=node), `bun build --target=node`,
// webpack (target node) and Rollup (node-resolve with the node condition),
// each bundle run from a directory of its own with no node_modules beside it
// (so nothing can be read from the package directory); and unbundled in Deno
// and Bun, which take the node entry through their own conditions.
//
// The same app runs everywhere: a memory cache get/set, a ResponseCache in
// front of a local origin (MISS, then HIT with the origin called once), and
// EdgeCache.redis over node:net against a real redis-server.
//
// Fixtures live under tests/.work/server/ (git-ignored).

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { promisify } from "node:util";
import { fixture, packTarball, root } from "../support/package.mjs";
import { startRedis } from "../support/redis-server.mjs";

const run = promisify(execFile);
const bin = (name) => join(root, "node_modules/.bin", name);

const APP = `
import { EdgeCache, ResponseCache } from "edgecache";

const memory = EdgeCache.memory({ maxEntries: 10 });
await memory.setText("greeting", "hello");
const value = await memory.getText("greeting");

const origin = process.env.ORIGIN_URL;
const responses = new ResponseCache(EdgeCache.memory());
const first = await responses.fetch(origin);
const second = await responses.fetch(origin);
const http = [first.headers.get("x-edgecache"), await first.text(), second.headers.get("x-edgecache"), await second.text()];

const redis = EdgeCache.redis({ connect: { hostname: "127.0.0.1", port: Number(process.env.REDIS_PORT) }, namespace: process.env.NS });
await redis.setText("k", "from redis", { ttlMs: 60_000 });
const fromRedis = await redis.getText("k");
const healthy = await redis.healthCheck();
redis.close();

console.log(JSON.stringify({ value, http, fromRedis, healthy }));
`;

const work = join(root, "tests/.work/server");
let dir; // the fixture: app.mjs and node_modules/edgecache
let redis;
let origin;
let originCalls = 0;

before(async () => {
  const tarball = packTarball(work);
  dir = fixture(work, tarball, "app", { "app.mjs": APP });
  redis = await startRedis();
  const server = createServer((request, response) => {
    originCalls++;
    response.writeHead(200, { "content-type": "text/plain", "cache-control": "max-age=60" }).end("from origin");
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = { url: `http://127.0.0.1:${server.address().port}/data`, close: () => server.close() };
});

after(async () => {
  await redis?.stop();
  origin?.close();
});

/** Runs `command args` in `cwd` with the origin and Redis in its environment; resolves to the app's JSON line. */
async function runApp(command, args, cwd, ns) {
  const before = originCalls;
  const { stdout } = await run(command, args, {
    cwd,
    env: { ...process.env, ORIGIN_URL: origin.url, REDIS_PORT: String(redis.port), NS: ns },
    timeout: 60_000,
  });
  const result = JSON.parse(stdout.trim().split("\n").at(-1));
  assert.deepEqual(result, {
    value: "hello",
    http: ["MISS", "from origin", "HIT", "from origin"],
    fromRedis: "from redis",
    healthy: true,
  });
  assert.equal(originCalls - before, 1, "the origin is called once: the second fetch is a HIT");
  return result;
}

/** Copies the bundle's output (`files` of `out`) into a directory of its own, away from node_modules. */
function isolate(name, out) {
  const away = join(work, "run", name);
  mkdirSync(away, { recursive: true });
  for (const file of readdirSync(out)) cpSync(join(out, file), join(away, file), { recursive: true });
  return away;
}

const BUNDLERS = {
  async esbuild(out) {
    await run(bin("esbuild"), ["app.mjs", "--bundle", "--platform=node", "--format=esm", `--outfile=${join(out, "app.mjs")}`, "--log-level=error"], { cwd: dir });
    return "app.mjs";
  },
  async "bun build"(out) {
    await run(bin("bun"), ["build", "app.mjs", "--target=node", "--outdir", out], { cwd: dir });
    return "app.js";
  },
  async webpack(out) {
    const webpack = (await import("webpack")).default;
    const stats = await promisify(webpack)({
      mode: "production",
      target: "node",
      context: dir,
      entry: "./app.mjs",
      output: { path: out, filename: "app.cjs" },
      performance: { hints: false },
    });
    assert.ok(!stats.hasErrors(), stats.toString("errors-only"));
    return "app.cjs";
  },
  async rollup(out) {
    const { rollup } = await import("rollup");
    const { nodeResolve } = await import("@rollup/plugin-node-resolve");
    const bundle = await rollup({
      input: join(dir, "app.mjs"),
      plugins: [nodeResolve({ exportConditions: ["node"], preferBuiltins: true })],
      onwarn(warning, warn) {
        if (warning.code !== "UNRESOLVED_IMPORT" || !warning.exporter?.startsWith("node:")) warn(warning);
      },
    });
    await bundle.write({ file: join(out, "app.mjs"), format: "es", inlineDynamicImports: true });
    await bundle.close();
    return "app.mjs";
  },
};

describe("server bundles of the packed package, run in Node away from node_modules", () => {
  for (const [name, build] of Object.entries(BUNDLERS)) {
    test(`${name}: memory get/set, ResponseCache MISS then HIT, Redis over node:net`, async () => {
      const out = join(work, "dist", name.replace(/\W/g, "-"));
      const file = await build(out);
      const away = isolate(name.replace(/\W/g, "-"), out);
      const emitted = readdirSync(away);
      assert.ok(!emitted.some((f) => f.endsWith(".wasm")), `the .wasm is inside the bundle (emitted: ${emitted.join(", ")})`);
      const bytes = statSync(join(away, file)).size;
      console.log(`${name}: ${file} ${(bytes / 1024).toFixed(0)} KiB`);
      await runApp(process.execPath, [file], away, `bundle-${name}`);
    });
  }
});

describe("Deno and Bun run the packed package unbundled (their own condition: the node entry)", () => {
  test("Deno: memory get/set, ResponseCache MISS then HIT, Redis over node:net", async () => {
    // Deno reads the .wasm from the package directory (read), fetches the origin and opens Redis (net), and
    // reads the app's environment (env).
    await runApp(bin("deno"), ["run", "--allow-read", "--allow-net=127.0.0.1", "--allow-env", "app.mjs"], dir, "deno");
  });

  test("Bun: memory get/set, ResponseCache MISS then HIT, Redis over node:net", async () => {
    await runApp(bin("bun"), ["app.mjs"], dir, "bun");
  });

  test("Node, Deno and Bun never load the inlined .wasm (the package works with wasm/node/inline.js removed)", async () => {
    const bare = join(work, "without-inline");
    rmSync(bare, { recursive: true, force: true });
    cpSync(dir, bare, { recursive: true });
    rmSync(join(bare, "node_modules/edgecache/wasm/node/inline.js"));
    await runApp(process.execPath, ["app.mjs"], bare, "bare-node");
    await runApp(bin("deno"), ["run", "--allow-read", "--allow-net=127.0.0.1", "--allow-env", "app.mjs"], bare, "bare-deno");
    await runApp(bin("bun"), ["app.mjs"], bare, "bare-bun");
  });

  test("the deno and bun conditions name the node entry, which reads the .wasm from disk", () => {
    const manifest = JSON.parse(readFileSync(join(dir, "node_modules/edgecache/package.json"), "utf8"));
    const entry = manifest.exports["."];
    assert.equal(entry.deno, "./node.js");
    assert.equal(entry.bun, "./node.js");
    assert.deepEqual(entry.node, { module: "./node-inline.js", default: "./node.js" });
  });
});
