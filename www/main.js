import { EdgeCache } from "edgecache";
import { runBenchmark } from "./bench.js";

const $ = (id) => document.getElementById(id);
const HINTS = {
  memory: "Lives in this tab only: gone on reload. S3-FIFO, 100 entries.",
  indexedDb: "Persisted in IndexedDB: set a key, reload the page, and get it back.",
  tiered: "A 100-entry memory tier in front of IndexedDB: hot reads never touch the database.",
};
const caches = new Map();
const ratios = [];
let backend = localStorage.getItem("edgecache-demo-backend") ?? "memory";

async function cacheFor(name) {
  if (!caches.has(name)) {
    const options = { dbName: "edgecache-demo", namespace: "demo" };
    const create = {
      memory: () => EdgeCache.memory({ maxEntries: 100 }),
      indexedDb: () => EdgeCache.indexedDb(options),
      tiered: () => EdgeCache.indexedDb({ ...options, memory: { maxEntries: 100 } }),
    }[name];
    caches.set(name, await create());
  }
  return caches.get(name);
}

const SELF_TEST_KEY = "self-test";

// What this page has downloaded, from Resource Timing: each resource's body
// as the server sent it (encodedBodySize, compressed if it was), whether or
// not it came from the HTTP cache this time, with the JavaScript apart (the
// .wasm modules are inlined in it); and what this load moved over the
// network (transferSize: headers included, about nothing when cached).
function showPageBytes() {
  const entries = [...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")];
  const sum = (list, field) => list.reduce((total, entry) => total + (entry[field] ?? 0), 0);
  // A body revalidated with a 304 reports no size (Chromium): "cached".
  const kib = (bytes) => (bytes > 0 ? `${(bytes / 1024).toFixed(1)} KiB` : "cached");
  const rows = {
    "page size": kib(sum(entries, "encodedBodySize")),
    "of it JavaScript": kib(sum(entries.filter((e) => /\.m?js(\?|$)/.test(e.name)), "encodedBodySize")),
    "this load": `${(sum(entries, "transferSize") / 1024).toFixed(1)} KiB`,
    requests: String(entries.length),
  };
  $("page-bytes").replaceChildren(
    ...Object.entries(rows).map(([name, value]) => {
      const tr = document.createElement("tr");
      tr.dataset.download = name;
      tr.append(cell(name), cell(value));
      return tr;
    }),
  );
}

async function showStats() {
  const stats = await (await cacheFor(backend)).stats();
  const lookups = stats.hits + stats.misses;
  const ratio = lookups ? stats.hits / lookups : 0;
  const rows = { ...stats, "hit ratio": lookups ? `${(100 * ratio).toFixed(1)} %` : "–" };
  $("stats").replaceChildren(
    ...Object.entries(rows).map(([name, value]) => {
      const tr = document.createElement("tr");
      tr.dataset.stat = name;
      tr.append(Object.assign(document.createElement("td"), { textContent: name }));
      tr.append(Object.assign(document.createElement("td"), { textContent: String(value) }));
      return tr;
    }),
  );
  ratios.push(ratio);
  if (ratios.length > 60) ratios.shift();
  const step = 200 / 59;
  $("chart-line").setAttribute("points", ratios.map((r, i) => `${(i * step).toFixed(1)},${(78 - r * 76).toFixed(1)}`).join(" "));
}

async function run(action) {
  try {
    $("result").textContent = await action(await cacheFor(backend));
  } catch (error) {
    $("result").textContent = `${error.code ?? error.name}: ${error.message}`;
  }
  await showStats();
}

function selectBackend(name) {
  backend = name;
  localStorage.setItem("edgecache-demo-backend", name);
  document.querySelector(`input[name=backend][value=${name}]`).checked = true;
  $("backend-hint").textContent = HINTS[name];
  ratios.length = 0;
  return showStats();
}

for (const input of document.querySelectorAll("input[name=backend]")) {
  input.onchange = () => selectBackend(input.value);
}
$("set").onclick = () =>
  run(async (cache) => {
    const ttl = $("ttl").value;
    await cache.setText($("key").value, $("value").value, ttl ? { ttlMs: Number(ttl) } : undefined);
    return `stored ${JSON.stringify($("key").value)}${ttl ? ` for ${ttl} ms` : ""}`;
  });
$("get").onclick = () =>
  run(async (cache) => {
    const value = await cache.getText($("key").value);
    return value === undefined ? "miss" : `hit: ${value}`;
  });
$("delete").onclick = () =>
  run(async (cache) => {
    await cache.delete($("key").value);
    return `deleted ${JSON.stringify($("key").value)}`;
  });
$("clear").onclick = () =>
  run(async (cache) => {
    await cache.clear();
    return "cleared";
  });
$("bench").onclick = async () => {
  $("bench").disabled = true;
  try {
    await runBenchmark($("bench-table"), (text) => ($("bench-status").textContent = text));
  } catch (error) {
    $("bench-status").textContent = `benchmark failed: ${error.code ?? error.name}: ${error.message}`;
  } finally {
    $("bench").disabled = false;
  }
};
// The service-worker panel: sw.js caches /demo-api/* with a ResponseCache.
const SW_URLS = ["/demo-api/quote", "/demo-api/clock", "/demo-api/private"];

/** Registers sw.js (a module worker) and waits until it controls this page. */
async function serviceWorkerInControl() {
  if (!("serviceWorker" in navigator)) throw new Error("no service workers here (they need https or localhost)");
  if (navigator.serviceWorker.controller) return;
  const controlled = new Promise((resolve) => navigator.serviceWorker.addEventListener("controllerchange", resolve, { once: true }));
  await navigator.serviceWorker.register("/sw.js", { type: "module" });
  // A worker already active (say, after a hard reload) claims the page when asked.
  (await navigator.serviceWorker.ready).active.postMessage("claim");
  await controlled;
}

function cell(text) {
  return Object.assign(document.createElement("td"), { textContent: text });
}

$("sw-fetch").onclick = async () => {
  $("sw-fetch").disabled = true;
  try {
    $("sw-status").textContent = "starting the service worker…";
    await serviceWorkerInControl();
    const rows = [];
    for (const url of SW_URLS) {
      const response = await fetch(url);
      const { served } = await response.json();
      rows.push({ url, cacheControl: response.headers.get("cache-control"), status: response.headers.get("x-edgecache"), served });
    }
    $("sw-table").tBodies[0].replaceChildren(
      ...rows.map((row) => {
        const tr = document.createElement("tr");
        tr.dataset.url = row.url;
        tr.append(cell(row.url), cell(row.cacheControl), cell(row.status), cell(String(row.served)));
        return tr;
      }),
    );
    $("sw-table").hidden = false;
    const cached = rows.filter((row) => row.status === "HIT" || row.status === "STALE").length;
    $("sw-status").textContent = `${cached} of ${rows.length} answered from the service worker's cache`;
    window.__edgecacheSw = rows;
  } catch (error) {
    $("sw-status").textContent = `failed: ${error.code ?? error.name}: ${error.message}`;
  } finally {
    $("sw-fetch").disabled = false;
  }
};

setInterval(() => {
  showStats().catch(() => {});
  showPageBytes(); // lazy chunks (IndexedDB, the benchmark) arrive later
}, 1000);
// For exploring from the devtools console: `await edgecache.EdgeCache.indexedDb()`.
window.edgecache = { EdgeCache };

// On load: the stats of the chosen backend's cache from the first paint, then
// a self-check through that same cache (one write and one read, so the panel
// shows them), then the stats again.
(async () => {
  showPageBytes();
  await selectBackend(backend);
  let value;
  try {
    const cache = await cacheFor(backend);
    await cache.setText(SELF_TEST_KEY, "hello from wasm", { ttlMs: 60_000 });
    value = await cache.getText(SELF_TEST_KEY);
  } catch (error) {
    value = `${error.code ?? error.name}: ${error.message}`;
  }
  $("selftest").textContent = value === "hello from wasm" ? "self-test: ok" : `self-test: FAILED (${value})`;
  await showStats();
  $("result").textContent = `ready: read back ${JSON.stringify(value)}`;
})();
