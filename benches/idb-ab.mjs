// Two builds of the package against each other on awaited IndexedDB sets in
// headless Chromium, in one page, so the machine's drift cancels out: both
// builds' `EdgeCache.indexedDb`, raw IndexedDB writing edgecache's record
// (two indexes, both stores in scope, relaxed durability, `commit()`: the
// floor for our path) and, if `node benches/browser-idb.mjs` has installed
// it, idb-keyval. A round is a block of awaited `set`s of 1 KiB values per
// peer, in an order that rotates from round to round; the figures are
// medians of the per-round ratios to the base build (below 1 is faster),
// and each peer's CPU time on the renderer's main thread per set (from
// /proc, summed over the rounds: 10 ms ticks, so read differences of a few
// µs as noise). How benches/README.md measured the changes to the awaited
// `set` (issue 14 §3).
//
// Usage: node benches/idb-ab.mjs [--rounds N] [--sets N] [--in-memory] BASE_PKG_DIR [NEW_PKG_DIR (default pkg/)]
// (Build the base with scripts/build.sh in a worktree of the older commit.)
// Not a test: it asserts nothing. Linux only (it reads /proc).

import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { OPEN_SCHEMA_DB } from "./idb-schema.mjs";
import { openBenchPage, startPageServer } from "./bench-page.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const [, value] = args.splice(i, 2);
  return Number(value);
};
const rounds = option("--rounds", 40);
const sets = option("--sets", 100);
const inMemory = args.includes("--in-memory");
const [baseDir, newDir = join(root, "pkg")] = args.filter((a) => a !== "--in-memory");
if (baseDir === undefined || !Number.isInteger(rounds) || !Number.isInteger(sets)) {
  console.error("usage: node benches/idb-ab.mjs [--rounds N] [--sets N] [--in-memory] BASE_PKG_DIR [NEW_PKG_DIR]");
  process.exit(2);
}
const keyval = join(root, "target/bench-browser-idb/app/node_modules/idb-keyval/dist/index.js");

// ---------------------------------------------------------------- the page

const PAGE = `<!doctype html><meta charset="utf-8"><script type="module">
const builds = { base: await import("/base/browser.js"), new: await import("/new/browser.js") };
const keyval = ${existsSync(keyval)} ? await import("/idb-keyval.js") : undefined;
const stamp = Date.now();
const values = Array.from({ length: ${sets} }, (_, i) => new Uint8Array(1024).fill(i & 255));
const peers = {};
for (const [name, { EdgeCache }] of Object.entries(builds)) {
  const cache = await EdgeCache.indexedDb({ dbName: name + "-" + stamp });
  peers[name] = async (keys) => { for (let i = 0; i < keys.length; i++) await cache.set(keys[i], values[i]); };
}
${OPEN_SCHEMA_DB}
const db = await openSchemaDb("raw-" + stamp);
let written = Date.now() * 1024;
const scope = ["entries", "edgecache-meta"];
const relaxed = { durability: "relaxed" };
peers.raw = async (keys) => {
  for (let i = 0; i < keys.length; i++) {
    const tx = db.transaction(scope, "readwrite", relaxed);
    const r = new Uint8Array(11 + 1024);
    r.set(values[i], 11);
    tx.objectStore("entries").put({ r, w: ++written, s: r.length + keys[i].length }, keys[i]);
    tx.commit();
    await new Promise((resolve, reject) => { tx.oncomplete = resolve; tx.onabort = () => reject(tx.error); });
  }
};
if (keyval) {
  const store = keyval.createStore("idb-keyval-" + stamp, "kv");
  peers["idb-keyval"] = async (keys) => { for (let i = 0; i < keys.length; i++) await keyval.set(keys[i], values[i], store); };
}
window.peers = Object.keys(peers);
// One block of awaited sets (keys cycle over 8 blocks' worth); its time in ms.
window.block = async (name, round) => {
  const keys = Array.from({ length: ${sets} }, (_, i) => "key-" + ((round % 8) * ${sets} + i));
  await new Promise((resolve) => setTimeout(resolve, 5));
  const start = performance.now();
  await peers[name](keys);
  return performance.now() - start;
};
window.ready = true;
</script>`;

const server = await startPageServer(PAGE, { base: baseDir, new: newDir, "idb-keyval.js": keyval });

// ---------------------------------------------------------------- CPU time

/** The process ids under /proc, each with its parent and its command line. */
function processes() {
  const all = [];
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const ppid = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1];
      all.push({ pid, ppid, cmd: readFileSync(`/proc/${pid}/cmdline`, "utf8") });
    } catch {
      // The process ended.
    }
  }
  return all;
}

/** CPU ms of the main thread of every renderer under the browser whose command line holds `marker`. */
function rendererMainMs(marker) {
  const all = processes();
  const ours = new Set(all.filter((p) => p.cmd.includes(marker) && !p.cmd.includes("--type=")).map((p) => p.pid));
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all) {
      if (!ours.has(p.pid) && ours.has(p.ppid)) {
        ours.add(p.pid);
        grew = true;
      }
    }
  }
  let ms = 0;
  for (const p of all) {
    if (!ours.has(p.pid) || !p.cmd.includes("--type=renderer")) continue;
    try {
      // The main thread's id is the process id; utime and stime are fields 14 and 15, in ticks of 10 ms.
      const stat = readFileSync(`/proc/${p.pid}/task/${p.pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ms += (Number(fields[11]) + Number(fields[12])) * 10;
    } catch {
      // The process ended.
    }
  }
  return ms;
}

// ---------------------------------------------------------------- running

// An unknown switch, for rendererMainMs to find this browser by.
const marker = `--edgecache-idb-ab=${process.pid}`;
const median = (xs) => xs.toSorted((a, b) => a - b)[xs.length >> 1];
const { page, peers: names, close } = await openBenchPage(server.url, { inMemory, args: [marker] });
try {
  for (const name of names) await page.evaluate(([n]) => window.block(n, 7), [name]); // warm-up
  const times = Object.fromEntries(names.map((n) => [n, []]));
  const cpu = Object.fromEntries(names.map((n) => [n, 0]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length];
      const before = rendererMainMs(marker);
      times[name].push(await page.evaluate(([n, r]) => window.block(n, r), [name, round]));
      cpu[name] += rendererMainMs(marker) - before;
    }
  }
  console.log(`${rounds} rounds of ${sets} awaited sets of 1 KiB per peer, ${inMemory ? "in-memory" : "on-disk"} profile`);
  console.log("| peer | µs per set (median round) | time / base (median of rounds) | renderer main thread, µs per set |");
  console.log("|---|---:|---:|---:|");
  for (const name of names) {
    const ratio = median(times[name].map((t, r) => t / times.base[r]));
    const us = (median(times[name]) * 1000) / sets;
    console.log(`| ${name} | ${us.toFixed(0)} | ${ratio.toFixed(3)} | ${((cpu[name] * 1000) / (rounds * sets)).toFixed(0)} |`);
  }
} finally {
  await close();
  server.close();
}
