// Size and start-up of the built package against lru-cache, the JS peer of
// the memory cache, in the same run:
//
// 1. Size: each .wasm module (pkg/wasm/{memory,idb,http,workerd,node}/) raw
//    and gzipped, and each entry as a bundler ships it, counted as
//    scripts/size-report.mjs counts it (esbuild --bundle --minify --splitting,
//    gzip -9): what it loads at import, and each chunk it loads on first use
//    (the browser entry's IndexedDB and ResponseCache modules); the node,
//    workerd and slim entries plus the .wasm file they read (node, workerd,
//    node). Next to lru-cache's minified ESM browser build.
// 2. Node: a fresh `node` process per run imports the node entry and makes
//    one `set` and one `get` (edgecache vs lru-cache, runs interleaved); plus
//    the node module's compile and instantiate times on their own.
// 3. workerd: Miniflare started with one worker that imports edgecache (its
//    `workerd` entry instantiates the workerd module at module load) vs the
//    same worker with lru-cache, bundled like wrangler; time to `ready`, then
//    to the first response, runs interleaved.
//
//   node benches/size-start.mjs [--runs 7] [--json out.json]   (after bash scripts/build.sh)
//
// Headless Chromium's start-up is benches/start.mjs.

import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { entrySizes as sizesOf } from "../scripts/entry-sizes.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
// pkg/, or the copy benches/run.sh made of it ($EDGECACHE_PKG). The workerd
// part always packs pkg/ itself (tests/workers/harness.mjs).
const pkg = process.env.EDGECACHE_PKG ? resolve(process.env.EDGECACHE_PKG) : join(root, "pkg");
const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : fallback;
};
const runs = Number(opt("--runs", 7));
const jsonOut = opt("--json", undefined);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
const gz = (buf) => gzipSync(buf, { level: 9 }).length;
const read = (f) => readFileSync(join(pkg, f));
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;

// ---------------------------------------------------------------- size

const MODULES = ["memory", "idb", "http", "workerd", "node"];
const modules = Object.fromEntries(
  MODULES.map((m) => {
    const bytes = read(`wasm/${m}/edgecache_bg.wasm`);
    return [m, { raw: bytes.length, gzip: gz(bytes) }];
  }),
);

const entrySizes = (entry, platform) => sizesOf(pkg, entry, platform);

const lruUrl = import.meta.resolve("lru-cache");
const lruFile = fileURLToPath(lruUrl);
// lru-cache's browser build (minified, self-contained), from its package root.
const lruRoot = join(dirname(lruFile), "../../..");
const lruBrowserFile = join(lruRoot, "dist/esm/browser/index.min.js");
const lruBrowser = readFileSync(lruBrowserFile);
const entries = {
  browser: await entrySizes("browser.js", "browser"),
  node: { ...(await entrySizes("node.js", "node")), wasm: "node" },
  workerd: { ...(await entrySizes("workerd.js", "neutral")), wasm: "workerd" },
  slim: { ...(await entrySizes("slim.js", "browser")), wasm: "node" },
};
const size = {
  modules,
  entries,
  lruCacheGzip: gz(lruBrowser),
  lruCacheFile: lruBrowserFile.slice(root.length),
};

// ---------------------------------------------------------------- Node

const nodeScript = (what) =>
  what === "edgecache"
    ? `const t0 = performance.now();
       const { EdgeCache } = await import(${JSON.stringify(pathToFileURL(join(pkg, "node.js")).href)});
       const c = EdgeCache.memory({ maxEntries: 100 });
       await c.set("k", new Uint8Array(1));
       if ((await c.get("k")) === undefined) throw new Error("miss");
       console.log(JSON.stringify({ ms: performance.now() - t0 }));`
    : `const t0 = performance.now();
       const { LRUCache } = await import(${JSON.stringify(lruUrl)});
       const c = new LRUCache({ max: 100 });
       await c.set("k", new Uint8Array(1));
       if ((await c.get("k")) === undefined) throw new Error("miss");
       console.log(JSON.stringify({ ms: performance.now() - t0 }));`;
const wasmScript = `import { readFileSync } from "node:fs";
  const bytes = readFileSync(${JSON.stringify(join(pkg, "wasm/node/edgecache_bg.wasm"))});
  const glue = await import(${JSON.stringify(pathToFileURL(join(pkg, "wasm/node/edgecache.js")).href)});
  let t = performance.now();
  const module = new WebAssembly.Module(bytes);
  const compileMs = performance.now() - t;
  t = performance.now();
  glue.initSync({ module });
  console.log(JSON.stringify({ compileMs, instantiateMs: performance.now() - t }));`;
const runNode = (code) => JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", code], { encoding: "utf8" }));

const node = { edgecache: [], lruCache: [], compile: [], instantiate: [] };
for (let i = 0; i < runs; i++) {
  const order = i % 2 ? ["lru", "ec"] : ["ec", "lru"];
  for (const w of order) {
    if (w === "ec") node.edgecache.push(runNode(nodeScript("edgecache")).ms);
    else node.lruCache.push(runNode(nodeScript("lru")).ms);
  }
  const r = runNode(wasmScript);
  node.compile.push(r.compileMs);
  node.instantiate.push(r.instantiateMs);
}

// ---------------------------------------------------------------- workerd

const workerSource = (lib) =>
  lib === "edgecache"
    ? `import { EdgeCache } from "edgecache";
const cache = EdgeCache.memory({ maxEntries: 100 });
export default {
  async fetch() {
    await cache.set("k", new Uint8Array(1));
    return new Response(String((await cache.get("k")).length));
  },
};
`
    : `import { LRUCache } from "lru-cache";
const cache = new LRUCache({ max: 100 });
export default {
  async fetch() {
    await cache.set("k", new Uint8Array(1));
    return new Response(String((await cache.get("k")).length));
  },
};
`;

const workerd = { edgecache: { ready: [], first: [] }, lruCache: { ready: [], first: [] }, error: null };
try {
  const { bundleWorkers, startMiniflare, workerOptions } = await import("../tests/workers/harness.mjs");
  const scripts = await bundleWorkers("bench-size-start", {
    "ec.js": { text: workerSource("edgecache") },
    "lru.js": { text: workerSource("lru-cache") },
  });
  size.workerdBundleGzip = gz(readFileSync(scripts["ec.js"])) + modules.workerd.gzip;
  size.workerdLruBundleGzip = gz(readFileSync(scripts["lru.js"]));
  const once = async (script, into) => {
    const t0 = performance.now();
    const mf = await startMiniflare(workerOptions(script));
    const t1 = performance.now();
    try {
      const res = await mf.dispatchFetch("http://start.test/");
      const body = await res.text();
      if (body !== "1") throw new Error(`unexpected response ${res.status} ${body}`);
      const t2 = performance.now();
      into.ready.push(t1 - t0);
      into.first.push(t2 - t1);
    } finally {
      await mf.dispose();
    }
  };
  await once(scripts["ec.js"], { ready: [], first: [] }); // warm the disk cache, untimed
  for (let i = 0; i < Math.max(3, Math.ceil(runs / 2)); i++) {
    const pair = [
      [scripts["ec.js"], workerd.edgecache],
      [scripts["lru.js"], workerd.lruCache],
    ];
    if (i % 2) pair.reverse();
    for (const [script, into] of pair) await once(script, into);
  }
} catch (error) {
  workerd.error = String(error?.stack ?? error);
}

// ---------------------------------------------------------------- report

const nodeMed = { edgecache: median(node.edgecache), lruCache: median(node.lruCache) };
const result = {
  size,
  node: {
    version: process.version,
    runs,
    importUntilUsableMs: { edgecache: nodeMed.edgecache, lruCache: nodeMed.lruCache, ratio: nodeMed.edgecache / nodeMed.lruCache },
    wasmCompileMs: median(node.compile),
    wasmInstantiateMs: median(node.instantiate),
    samples: node,
  },
  workerd: workerd.error
    ? { error: workerd.error }
    : {
        runs: workerd.edgecache.ready.length,
        readyMs: { edgecache: median(workerd.edgecache.ready), lruCache: median(workerd.lruCache.ready) },
        firstResponseMs: { edgecache: median(workerd.edgecache.first), lruCache: median(workerd.lruCache.first) },
        totalMs: {
          edgecache: median(workerd.edgecache.ready.map((r, i) => r + workerd.edgecache.first[i])),
          lruCache: median(workerd.lruCache.ready.map((r, i) => r + workerd.lruCache.first[i])),
        },
        samples: workerd,
      },
};

const lines = [];
lines.push(`## Size (gzip -9) and start-up, edgecache vs lru-cache (${new Date().toISOString()})`, "");
lines.push("| what | edgecache | lru-cache | ratio |", "|---|---:|---:|---:|");
const lruGz = size.lruCacheGzip;
for (const m of MODULES) lines.push(`| wasm/${m}/edgecache_bg.wasm raw / gzipped | ${kib(modules[m].raw)} / ${kib(modules[m].gzip)} | | |`);
// A lazy chunk that is a module's glue (the node entry's IndexedDB) reads that module's .wasm from disk.
const lazyWasm = (chunk) => {
  const m = /^wasm\/(\w+)\/edgecache\.js$/.exec(chunk);
  return m ? ` + ${kib(modules[m[1]].gzip)} ${m[1]} .wasm` : "";
};
const later = (e) =>
  e.lazy.length ? `; on first use ${e.lazy.map((l) => `${l.chunk} +${kib(l.bytes)}${lazyWasm(l.chunk)}`).join(", ")}` : "";
const b = entries.browser;
lines.push(`| browser entry at import (esbuild, minified; memory .wasm inlined)${later(b)} | ${kib(b.initial)} | ${kib(lruGz)} | ${(b.initial / lruGz).toFixed(1)} |`);
for (const [e, label] of [["node", "node entry (.wasm read from disk)"], ["slim", "slim entry (.wasm fetched)"], ["workerd", "workerd entry (.wasm module)"]]) {
  const x = entries[e];
  const w = modules[x.wasm].gzip;
  lines.push(`| ${label}${later(x)} | ${kib(x.initial)} + ${kib(w)} ${x.wasm} .wasm | ${kib(lruGz)} | ${((x.initial + w) / lruGz).toFixed(1)} |`);
}
if (size.workerdBundleGzip) {
  lines.push(`| workerd bundle (wrangler-style) + .wasm module | ${kib(size.workerdBundleGzip)} | ${kib(size.workerdLruBundleGzip)} | ${(size.workerdBundleGzip / size.workerdLruBundleGzip).toFixed(1)} |`);
}
const ms = (x) => `${x.toFixed(1)} ms`;
lines.push(
  `| Node ${process.version}: fresh process, import + one set + one get (median of ${runs}) | ${ms(nodeMed.edgecache)} | ${ms(nodeMed.lruCache)} | ${(nodeMed.edgecache / nodeMed.lruCache).toFixed(2)} |`,
);
lines.push(`| Node: node .wasm compile / instantiate alone | ${ms(result.node.wasmCompileMs)} / ${ms(result.node.wasmInstantiateMs)} | | |`);
if (workerd.error) {
  lines.push(`| workerd (Miniflare) start | failed: ${workerd.error.split("\n")[0]} | | |`);
} else {
  const w = result.workerd;
  lines.push(`| workerd (Miniflare): new Miniflare → ready (median of ${w.runs}) | ${ms(w.readyMs.edgecache)} | ${ms(w.readyMs.lruCache)} | ${(w.readyMs.edgecache / w.readyMs.lruCache).toFixed(2)} |`);
  lines.push(`| workerd: ready → first response | ${ms(w.firstResponseMs.edgecache)} | ${ms(w.firstResponseMs.lruCache)} | ${(w.firstResponseMs.edgecache / w.firstResponseMs.lruCache).toFixed(2)} |`);
}
lines.push("");
lines.push(
  `lru-cache: ${size.lruCacheFile} (its minified browser build). ` +
    "Ratios are edgecache / lru-cache (lower is better).",
);
console.log(lines.join("\n"));
if (jsonOut) {
  writeFileSync(jsonOut, `${JSON.stringify(result, null, 2)}\n`);
  console.error(`wrote ${jsonOut}`);
}
