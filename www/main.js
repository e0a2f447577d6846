import { EdgeCache } from "edgecache";

const cache = EdgeCache.memory({ maxEntries: 100 });
const $ = (id) => document.getElementById(id);

async function showStats() {
  const stats = await cache.stats();
  const lookups = stats.hits + stats.misses;
  const rows = { ...stats, "hit ratio": lookups ? `${((100 * stats.hits) / lookups).toFixed(1)} %` : "–" };
  $("stats").replaceChildren(
    ...Object.entries(rows).map(([name, value]) => {
      const tr = document.createElement("tr");
      tr.append(Object.assign(document.createElement("td"), { textContent: name }));
      tr.append(Object.assign(document.createElement("td"), { textContent: String(value) }));
      return tr;
    }),
  );
}

async function run(action) {
  try {
    $("result").textContent = await action();
  } catch (error) {
    $("result").textContent = `${error.code ?? error.name}: ${error.message}`;
  }
  await showStats();
}

$("set").onclick = () =>
  run(async () => {
    const ttl = $("ttl").value;
    await cache.setText($("key").value, $("value").value, ttl ? { ttlMs: Number(ttl) } : undefined);
    return `stored ${JSON.stringify($("key").value)}`;
  });
$("get").onclick = () =>
  run(async () => {
    const value = await cache.getText($("key").value);
    return value === undefined ? "miss" : `hit: ${value}`;
  });
$("delete").onclick = () =>
  run(async () => {
    await cache.delete($("key").value);
    return `deleted ${JSON.stringify($("key").value)}`;
  });

// A self-check on load: write and read one value, and say what came back.
run(async () => {
  await cache.setText("hello", "hello from wasm");
  const value = await cache.getText("hello");
  $("selftest").textContent = value === "hello from wasm" ? "self-test: ok" : `self-test: FAILED (${value})`;
  return `ready: read back ${JSON.stringify(value)}`;
});
