// Benchmarks edgecache's IndexedDB backend against idb-keyval and localForage
// in headless Chromium, through the demo page's own benchmark (www/bench.js),
// and prints a markdown table.
//
//   bash scripts/build.sh                        # build pkg/ first
//   node benches/browser-idb.mjs                 # one run
//   node benches/browser-idb.mjs --runs 3        # three runs, medians reported
//   node benches/browser-idb.mjs --json out.json # also write the results as JSON
//   node benches/browser-idb.mjs --incognito     # in-memory IndexedDB (an off-the-record profile)
//   node benches/browser-idb.mjs --pkg DIR       # another build of the package (say, a copy of
//                                                # an older pkg/), to compare builds
//
// What it does: copies www/ into target/bench-browser-idb/app with the built
// package (pkg/, copied, so a concurrent rebuild cannot change it mid-run) as
// its `edgecache` dependency, builds it with Vite, serves it with `vite
// preview` on 127.0.0.1, and drives Debian's Chromium with playwright-core:
// each run is a fresh browser profile that loads the page, clicks "Run
// benchmark" and reads `window.__edgecacheBench`. By default the profile is on
// disk (as a user's is), so IndexedDB commits really reach LevelDB files.
//
// Every figure compares peers measured in the same page: times are medians
// over runs, and each ratio (peer time / edgecache time, above 1 means
// edgecache is faster) is the median of the per-run ratios. On a small shared
// machine absolute times are noisy; read the ratios.

import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromiumPath } from "../tests/support/chromium.mjs";
import { OPEN_SCHEMA_DB } from "./idb-schema.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));

// ---------------------------------------------------------------- arguments

function usage(error) {
  const text = "usage: node benches/browser-idb.mjs [--runs N] [--json out.json] [--incognito] [--pkg DIR]";
  if (error) {
    console.error(`${error}\n${text}`);
    process.exit(2);
  }
  console.log(text);
  process.exit(0);
}

function parseArgs(argv) {
  const args = { runs: 1, json: undefined, incognito: false, pkg: join(root, "pkg") };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (name) => {
      const inline = a.startsWith(`${name}=`) ? a.slice(name.length + 1) : undefined;
      const v = inline ?? argv[++i];
      if (v === undefined) usage(`${name} needs a value`);
      return v;
    };
    if (a === "--runs" || a.startsWith("--runs=")) {
      args.runs = Number(value("--runs"));
      if (!Number.isInteger(args.runs) || args.runs < 1) usage("--runs must be a positive integer");
    } else if (a === "--json" || a.startsWith("--json=")) args.json = value("--json");
    else if (a === "--pkg" || a.startsWith("--pkg=")) args.pkg = resolve(value("--pkg"));
    else if (a === "--incognito") args.incognito = true;
    else if (a === "--help" || a === "-h") usage();
    else usage(`unknown argument ${JSON.stringify(a)}`);
  }
  return args;
}

const args = parseArgs(process.argv.slice(2));

if (!existsSync(join(args.pkg, "browser.js"))) {
  console.error(`${args.pkg} holds no built package: build it first with \`bash scripts/build.sh\``);
  process.exit(1);
}

// ---------------------------------------------------------------- the app

const work = join(root, "target/bench-browser-idb");
const app = join(work, "app");

/** www/ with its dependencies installed and `edgecache` a copy of pkg/. */
function prepareApp() {
  const www = join(root, "www");
  const manifest = JSON.parse(readFileSync(join(www, "package.json"), "utf8"));
  const { edgecache: _ours, ...peers } = manifest.dependencies;
  // The peers are installed once (and again when www/package.json changes).
  const wanted = JSON.stringify({ ...manifest, dependencies: peers }, null, 2);
  const installed = existsSync(join(app, "package.json")) ? readFileSync(join(app, "package.json"), "utf8") : "";
  if (installed !== wanted || !Object.keys(peers).every((p) => existsSync(join(app, "node_modules", p)))) {
    rmSync(app, { recursive: true, force: true });
    mkdirSync(app, { recursive: true });
    writeFileSync(join(app, "package.json"), wanted);
    console.error("installing the peers (idb-keyval, localForage) into target/bench-browser-idb/app");
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--no-package-lock", "--silent"], {
      cwd: app,
      stdio: ["ignore", "inherit", "inherit"],
    });
  }
  // The page's sources, fresh every time.
  for (const file of ["index.html", "main.js", "bench.js", "style.css"]) {
    cpSync(join(www, file), join(app, file));
  }
  rmSync(join(app, "node_modules/edgecache"), { recursive: true, force: true });
  cpSync(args.pkg, join(app, "node_modules/edgecache"), { recursive: true });
  rmSync(join(app, "dist"), { recursive: true, force: true });
}

// ---------------------------------------------------------------- running

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
];

async function runOnce(chromium, url, rotation) {
  const profile = mkdtempSync(join(tmpdir(), "edgecache-bench-profile-"));
  const options = { executablePath: chromiumPath(), args: CHROMIUM_ARGS };
  let browser;
  let context;
  if (args.incognito) {
    browser = await chromium.launch(options);
    context = await browser.newContext();
  } else {
    context = await chromium.launchPersistentContext(profile, options);
  }
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const errors = [];
    page.on("pageerror", (error) => errors.push(String(error)));
    await page.goto(`${url}?rotation=${rotation}`, { timeout: 120_000 });
    await page.waitForFunction(() => document.getElementById("selftest")?.textContent === "self-test: ok", null, {
      timeout: 30_000,
    });
    await page.click("#bench");
    await page.waitForFunction(
      () => window.__edgecacheBench || document.getElementById("bench-status")?.textContent.startsWith("benchmark failed"),
      null,
      { timeout: 600_000, polling: 250 },
    );
    const result = await page.evaluate(() => window.__edgecacheBench);
    if (!result) throw new Error(await page.textContent("#bench-status"));
    result.ceilings = await page.evaluate(CEILINGS);
    if (errors.length) throw new Error(`page errors: ${errors.join("; ")}`);
    return result;
  } finally {
    await context.close();
    await browser?.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

// What IndexedDB itself allows, measured with raw IndexedDB calls in the
// same page after the benchmark (a fresh database, the same 1 KiB values):
// how much faster one transaction of 100 gets is than 100 one-get
// transactions awaited in turn (the most a batched read can gain over single
// reads), the same 100 gets awaited in turn inside one transaction (the most
// joining an awaited read to the previous one's transaction can gain over
// idb-keyval's one transaction per get), and one transaction of 1,000 puts
// than 1,000 concurrent one-put
// transactions (the most write coalescing can gain over idb-keyval's
// concurrent sets). Two more bound the rows where one request per key is
// the floor: 200 awaited one-put transactions as edgecache writes them (the
// record `{ r, w, s }` in a store with its two indexes, both stores in
// scope, relaxed durability, `commit()`) against idb-keyval's (the bare
// value in a plain store), the most an awaited set can gain over idb-keyval
// with edgecache's schema; and 100 gets in one transaction answered through
// one listener against a promise per request (idb-keyval's getMany), the
// most a getMany that reads one key per request can gain over it, both in a
// plain store of bare values and with the listener reading edgecache's
// records (`{ r, w, s }`, the entry store with its two indexes) instead.
// Each figure is the median of 5 alternating rounds (21 for the last two).
const CEILINGS = `(async () => {
  const request = (r) => new Promise((resolve, reject) => { r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });
  const done = (tx) => new Promise((resolve, reject) => { tx.oncomplete = resolve; tx.onabort = () => reject(tx.error); });
  const db = await new Promise((resolve, reject) => {
    const r = indexedDB.open("bench-ceilings-" + Date.now(), 1);
    r.onupgradeneeded = () => r.result.createObjectStore("kv");
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  ${OPEN_SCHEMA_DB}
  const schemaDb = await openSchemaDb("bench-ceilings-schema-" + Date.now());
  const keys = Array.from({ length: 1000 }, (_, i) => "key-" + i);
  const values = keys.map((_, i) => new Uint8Array(1024).fill(i & 0xff));
  const some = keys.slice(0, 100);
  const time = async (fn) => { const t = performance.now(); await fn(); return performance.now() - t; };
  // Times two ways of doing one thing, the first going first in even rounds
  // only, so neither always finds the records warmed by the other.
  const alternate = async (round, first, second) => {
    for (const name of round % 2 === 0 ? [first, second] : [second, first]) runs[name].push(await time(ways[name]));
  };
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const runs = { oneTxPuts: [], concurrentPutTxs: [], oneTxGets: [], singleGetTxs: [], joinedGets: [], plainSets: [], schemaSets: [], listenerGets: [], perRequestGets: [], recordListenerGets: [], perRequestGetsBeside: [] };
  let stamp = Date.now() * 1024;
  const scope = ["entries", "edgecache-meta"];
  const relaxed = { durability: "relaxed" };
  const plainSets = async () => { for (let i = 0; i < 200; i++) { const tx = db.transaction("kv", "readwrite"); tx.objectStore("kv").put(values[i], keys[i]); await done(tx); } };
  const schemaSets = async () => {
    for (let i = 0; i < 200; i++) {
      const tx = schemaDb.transaction(scope, "readwrite", relaxed);
      const r = new Uint8Array(11 + values[i].length); r.set(values[i], 11);
      tx.objectStore("entries").put({ r, w: ++stamp, s: r.length + keys[i].length + 3 }, "0::" + keys[i]);
      tx.commit(); await done(tx);
    }
  };
  const ways = {
    plainSets,
    schemaSets,
    singleGetTxs: async () => { for (const k of some) await request(db.transaction("kv").objectStore("kv").get(k)); },
    joinedGets: async () => { const s = db.transaction("kv").objectStore("kv"); for (const k of some) await request(s.get(k)); },
    listenerGets: async () => { const s = db.transaction("kv").objectStore("kv"); const rs = some.map((k) => s.get(k)); await request(rs[rs.length - 1]); },
    perRequestGets: () => { const s = db.transaction("kv").objectStore("kv"); return Promise.all(some.map((k) => request(s.get(k)))); },
    // The records schemaSets wrote (keys 0-199), read as edgecache's reader reads them.
    recordListenerGets: async () => {
      const s = schemaDb.transaction("entries").objectStore("entries");
      const rs = some.map((k) => s.get("0::" + k));
      await request(rs[rs.length - 1]);
      if (!(rs[0].result?.r instanceof Uint8Array)) throw new Error("the record ceiling read no record");
    },
  };
  ways.perRequestGetsBeside = ways.perRequestGets;
  for (let round = 0; round < 5; round++) {
    await alternate(round, "plainSets", "schemaSets");
    runs.concurrentPutTxs.push(await time(() => Promise.all(keys.map((k, i) => {
      const tx = db.transaction("kv", "readwrite"); tx.objectStore("kv").put(values[i], k); return done(tx);
    }))));
    runs.oneTxPuts.push(await time(() => {
      const tx = db.transaction("kv", "readwrite"); const s = tx.objectStore("kv");
      keys.forEach((k, i) => s.put(values[i], k)); return done(tx);
    }));
    // Awaited gets, one transaction each or all in one.
    await alternate(round, "singleGetTxs", "joinedGets");
    runs.oneTxGets.push(await time(async () => {
      const s = db.transaction("kv").objectStore("kv"); const rs = some.map((k) => s.get(k)); await request(rs[rs.length - 1]);
    }));
  }
  // Alone and in alternating order, 21 rounds: a round takes a few ms.
  for (let round = 0; round < 21; round++) await alternate(round, "listenerGets", "perRequestGets");
  for (let round = 0; round < 21; round++) await alternate(round, "recordListenerGets", "perRequestGetsBeside");
  db.close();
  schemaDb.close();
  const m = Object.fromEntries(Object.entries(runs).map(([k, xs]) => [k, median(xs)]));
  return {
    ...m,
    mget: m.singleGetTxs / m.oneTxGets,
    joinedReads: m.singleGetTxs / m.joinedGets,
    coalescedSets: m.concurrentPutTxs / m.oneTxPuts,
    schemaSets: m.plainSets / m.schemaSets,
    getManyListeners: m.perRequestGets / m.listenerGets,
    getManyRecords: m.perRequestGetsBeside / m.recordListenerGets,
  };
})()`;

// ---------------------------------------------------------------- report

const PEERS = [
  ["edgecache", "edgecache"],
  ["idbKeyval", "idb-keyval"],
  ["localforage", "localForage"],
];

function summarise(runs) {
  const ops = runs[0].rows.map((r) => r.op);
  const rows = ops.map((op) => {
    const per = runs.map((run) => run.rows.find((r) => r.op === op));
    const row = { op };
    for (const [id] of PEERS) row[id] = median(per.map((r) => r[id]));
    row.vsIdbKeyval = median(per.map((r) => r.idbKeyval / r.edgecache));
    row.vsLocalforage = median(per.map((r) => r.localforage / r.edgecache));
    return row;
  });
  const summary = {
    mgetSpeedup: median(runs.map((r) => r.summary.mgetSpeedup)),
    ceilings: {
      mget: median(runs.map((r) => r.ceilings.mget)),
      joinedReads: median(runs.map((r) => r.ceilings.joinedReads)),
      coalescedSets: median(runs.map((r) => r.ceilings.coalescedSets)),
      schemaSets: median(runs.map((r) => r.ceilings.schemaSets)),
      getManyListeners: median(runs.map((r) => r.ceilings.getManyListeners)),
      getManyRecords: median(runs.map((r) => r.ceilings.getManyRecords)),
    },
  };
  const hot = runs.map((r) => r.summary.hotRead).filter(Boolean);
  if (hot.length === runs.length) {
    summary.hotRead = { op: hot[0].op };
    for (const id of ["tiered", "memory", ...PEERS.map(([id]) => id)]) summary.hotRead[id] = median(hot.map((h) => h[id]));
    summary.hotRead.vsMemory = median(hot.map((h) => h.tiered / h.memory));
    summary.hotRead.vsIdbKeyval = median(hot.map((h) => h.idbKeyval / h.tiered));
    summary.hotRead.vsLocalforage = median(hot.map((h) => h.localforage / h.tiered));
  }
  return { rows, summary };
}

function table({ rows, summary }, runs) {
  const ms = (x) => `${x.toFixed(1)} ms`;
  const ratio = (x) => `${x.toFixed(2)}×`;
  const lines = [
    `| operation (1,000 keys of 1 KiB) | edgecache | idb-keyval | localForage | vs idb-keyval | vs localForage |`,
    `|---|---:|---:|---:|---:|---:|`,
    ...rows.map((r) =>
      `| ${r.op} | ${ms(r.edgecache)} | ${ms(r.idbKeyval)} | ${ms(r.localforage)} | ${ratio(r.vsIdbKeyval)} | ${ratio(r.vsLocalforage)} |`,
    ),
  ];
  if (summary.hotRead) {
    const h = summary.hotRead;
    lines.push(
      `| ${h.op}: edgecache with a memory tier (IndexedDB alone: ${ms(h.edgecache)}) | ${ms(h.tiered)} | ${ms(h.idbKeyval)} | ${ms(h.localforage)} | ${ratio(h.vsIdbKeyval)} | ${ratio(h.vsLocalforage)} |`,
    );
  }
  const setRow = rows.find((r) => r.op === "set, Promise.all");
  if (summary.hotRead?.vsMemory !== undefined) {
    lines.push(
      "",
      `Hot read through the memory tier: ${summary.hotRead.vsMemory.toFixed(2)}× the time of \`EdgeCache.memory().get\` in the same page ` +
        `(${ms(summary.hotRead.tiered)} vs ${ms(summary.hotRead.memory)} for ${summary.hotRead.op}; target: at most 2×).`,
    );
  }
  lines.push(
    "",
    `edgecache getMany of 100 is ${summary.mgetSpeedup.toFixed(1)}× faster than 100 sequential single gets ` +
      `(raw IndexedDB in the same page: one transaction of 100 gets is ${summary.ceilings.mget.toFixed(1)}× faster than 100 one-get transactions).`,
    `Sequential gets: raw IndexedDB in the same page answers 100 gets awaited in turn inside one transaction ` +
      `${summary.ceilings.joinedReads.toFixed(2)}× faster than in 100 one-get transactions (the most joining can gain over idb-keyval).`,
    `Sequential sets: raw IndexedDB in the same page writes edgecache's record (two indexes, both stores in scope, relaxed, commit()) ` +
      `in 200 awaited one-put transactions at ${summary.ceilings.schemaSets.toFixed(2)}× the speed of idb-keyval's bare put (the most an awaited set can gain over idb-keyval).`,
    `getMany: raw IndexedDB in the same page answers 100 gets in one transaction through one listener ` +
      `${summary.ceilings.getManyListeners.toFixed(2)}× faster than through a promise per request, as idb-keyval's getMany does (the most a getMany of one request per key can gain over it); ` +
      `reading edgecache's records through one listener, ${summary.ceilings.getManyRecords.toFixed(2)}× faster.`,
    `Concurrent sets: ${setRow ? setRow.vsIdbKeyval.toFixed(2) : "?"}× idb-keyval ` +
      `(raw IndexedDB in the same page: one transaction of 1,000 puts is ${summary.ceilings.coalescedSets.toFixed(1)}× faster than 1,000 concurrent one-put transactions).`,
    `Times: median of ${runs} run(s); ratios: median of the per-run ratios (peer / edgecache, above 1 means edgecache is faster).`,
  );
  return lines.join("\n");
}

// ---------------------------------------------------------------- main

prepareApp();
const { build, preview } = await import("vite");
const { chromium } = await import("playwright-core");
console.error("building the demo app with Vite");
await build({ root: app, logLevel: "error" });
const server = await preview({ root: app, logLevel: "error", preview: { port: 0, host: "127.0.0.1", strictPort: false } });
const url = server.resolvedUrls.local[0];
const runs = [];
try {
  for (let i = 0; i < args.runs; i++) {
    console.error(`run ${i + 1} of ${args.runs} (${args.incognito ? "in-memory" : "on-disk"} profile)`);
    runs.push(await runOnce(chromium, url, i));
  }
} finally {
  await new Promise((resolve) => server.httpServer.close(resolve));
}
const result = summarise(runs);
console.log(`Chromium: ${runs[0].userAgent}\n`);
console.log(table(result, runs.length));
if (args.json) {
  mkdirSync(dirname(resolve(args.json)), { recursive: true });
  writeFileSync(args.json, `${JSON.stringify({ ...result, profile: args.incognito ? "in-memory" : "on-disk", runs }, null, 2)}\n`);
  console.error(`wrote ${args.json}`);
}
