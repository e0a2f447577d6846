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
setInterval(() => showStats().catch(() => {}), 1000);
// For exploring from the devtools console: `await edgecache.EdgeCache.indexedDb()`.
window.edgecache = { EdgeCache };

// A self-check on load: write and read one value in memory, and say what came back.
(async () => {
  const cache = EdgeCache.memory({ maxEntries: 10 });
  await cache.setText("hello", "hello from wasm");
  const value = await cache.getText("hello");
  $("selftest").textContent = value === "hello from wasm" ? "self-test: ok" : `self-test: FAILED (${value})`;
  await selectBackend(backend);
  $("result").textContent = `ready: read back ${JSON.stringify(value)}`;
})();
