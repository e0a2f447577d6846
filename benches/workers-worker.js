// The worker benches/workers.mjs measures: routes that time KV reads inside
// workerd, and one-operation routes the bench times from the client side.
// Bundled from the packed package like a user's worker.
import { EdgeCache } from "edgecache";

const KEY = "hot";
const VALUE = new Uint8Array(1024).fill(7);
let tiered; // one per isolate, as in a real worker
let plain;
let memory; // the peer of a hot tiered read: EdgeCache.memory in the same isolate

function caches(env) {
  tiered ??= EdgeCache.kv(env.CACHE, { namespace: "bench", memory: { maxEntries: 1_000 } });
  plain ??= EdgeCache.kv(env.CACHE, { namespace: "bench" });
  memory ??= EdgeCache.memory({ maxEntries: 1_000 });
  return { tiered, plain, memory };
}

/**
 * Times `windows` windows of `ops` sequential awaited calls of `op` with
 * performance.now() (1 ms resolution in workerd, and frozen between I/O in
 * production: a window must be long enough to be measured, and the clock
 * must advance — `frozen` counts windows that read 0 ms). Returns the
 * per-operation average of each window, in microseconds.
 */
async function windows(op, count, ops) {
  const perOpUs = [];
  let frozen = 0;
  for (let w = 0; w < count; w++) {
    const t0 = performance.now();
    for (let i = 0; i < ops; i++) await op();
    const ms = performance.now() - t0;
    if (ms === 0) frozen++;
    perOpUs.push((ms * 1000) / ops);
  }
  return { perOpUs, frozen, ops };
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const { tiered, plain, memory } = caches(env);
    switch (url.pathname) {
      case "/setup":
        await tiered.set(KEY, VALUE);
        await tiered.get(KEY);
        await memory.set(KEY, VALUE);
        return new Response("ready");
      case "/inside": {
        const count = Number(url.searchParams.get("windows") ?? 100);
        const check = await tiered.get(KEY);
        if (check?.length !== VALUE.length) return new Response("not set up", { status: 500 });
        const stored = `${"bench".length}:bench:${KEY}`;
        const hotOps = Number(url.searchParams.get("hotOps") ?? 5_000);
        return Response.json({
          memory: await windows(() => memory.get(KEY), count, hotOps),
          tiered: await windows(() => tiered.get(KEY), count, hotOps),
          raw: await windows(() => env.CACHE.get(stored, { type: "arrayBuffer" }), count, Number(url.searchParams.get("kvOps") ?? 20)),
          plain: await windows(() => plain.get(KEY), count, Number(url.searchParams.get("kvOps") ?? 20)),
        });
      }
      case "/one/tiered":
        return new Response(await tiered.get(KEY));
      case "/one/raw":
        return new Response(await env.CACHE.get(`${"bench".length}:bench:${KEY}`, { type: "arrayBuffer" }));
      default:
        return new Response("no such route", { status: 404 });
    }
  },
};
