// The worker benches/backends.mjs measures: `GET /measure?backend=<name>`
// times set, get and a hot get through a memory tier for one backend, inside
// workerd, against Miniflare's local KV, D1 and R2 and a local redis-server.
// Bundled from the packed package like a user's worker.
import { EdgeCache } from "edgecache";

const VALUE = new Uint8Array(1024).fill(7);
const KEYS = 64;

/**
 * Times `count` windows of `ops` sequential awaited calls of `op(i)` with
 * performance.now() (1 ms resolution in workerd, advancing on I/O: a window
 * must hold enough work to be measured; `frozen` counts windows that read
 * 0 ms). Returns the per-operation average of each window, in microseconds.
 */
async function windows(op, count, ops) {
  const perOpUs = [];
  let frozen = 0;
  let n = 0;
  for (let w = 0; w < count; w++) {
    const t0 = performance.now();
    for (let i = 0; i < ops; i++) await op(n++);
    const ms = performance.now() - t0;
    if (ms === 0) frozen++;
    perOpUs.push((ms * 1000) / ops);
  }
  return { perOpUs, frozen, ops };
}

/** The cache for `backend`, alone or behind a memory tier (a new one per request: Redis sockets belong to a request). */
async function open(backend, env, memory) {
  const tier = memory ? { memory: { maxEntries: 10_000 } } : {};
  switch (backend) {
    case "memory":
      return EdgeCache.memory({ maxEntries: 10_000 });
    case "kv":
      return EdgeCache.kv(env.KV, { namespace: "bench", ...tier });
    case "d1":
      return await EdgeCache.d1(env.DB, { namespace: "bench", ...tier });
    case "r2":
      return EdgeCache.r2(env.BUCKET, { prefix: "bench/", ...tier });
    case "redis":
      return EdgeCache.redis({ connect: `redis://127.0.0.1:${env.REDIS_PORT}`, namespace: "bench", ...tier });
    default:
      throw new Error(`no backend ${backend}`);
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname !== "/measure") return new Response("no such route", { status: 404 });
    const backend = url.searchParams.get("backend");
    const count = Number(url.searchParams.get("windows") ?? 20);
    const ops = Number(url.searchParams.get("ops") ?? 10);
    const hotOps = Number(url.searchParams.get("hotOps") ?? 2_000);
    const plain = await open(backend, env, false);
    const key = (i) => `k${i % KEYS}`;
    const set = await windows((i) => plain.set(key(i), VALUE), count, ops);
    const get = await windows(async (i) => {
      const value = await plain.get(key(i));
      if (value?.length !== VALUE.length) throw new Error(`${backend}: lost ${key(i)}`);
    }, count, ops);
    let hot;
    if (backend !== "memory") {
      const tiered = await open(backend, env, true);
      await tiered.get("k0");
      hot = await windows(async () => {
        if ((await tiered.get("k0"))?.length !== VALUE.length) throw new Error(`${backend}: tier lost k0`);
      }, count, hotOps);
      tiered.close();
    }
    await plain.clear();
    plain.close();
    return Response.json({ set, get, hot });
  },
};
