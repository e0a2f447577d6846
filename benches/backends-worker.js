// The worker benches/backends.mjs measures: `GET /measure?backend=<name>`
// times set, get and a hot get through a memory tier for one backend, inside
// workerd, against Miniflare's local KV, D1 and R2, a local redis-server and
// memcached; `GET /redis` times EdgeCache.redis against bare RESP clients
// (benches/redis.mjs).
// Bundled from the packed package like a user's worker.
import { connect } from "cloudflare:sockets";
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

const encoder = new TextEncoder();
/** How each backend stores key `k0` of namespace "bench" (see the backends' docs). */
const STORED = "5:bench:k0";

/**
 * The peer of each backend's `get`: the same stored value read straight
 * from the binding (or, for Redis, a bare `GET` over its own socket), with no
 * record check, no key encoding and no wasm. `null` for memory.
 */
async function rawGet(backend, env) {
  switch (backend) {
    case "kv":
      return () => env.KV.get(STORED, { type: "arrayBuffer" });
    case "d1": {
      const statement = env.DB.prepare('SELECT "value" FROM "edgecache" WHERE "namespace" = ?1 AND "key" = ?2').bind("bench", "k0");
      return () => statement.first("value");
    }
    case "r2":
      return async () => (await env.BUCKET.get(`bench/${STORED}`))?.arrayBuffer();
    case "redis":
      return redisGet(env, STORED);
    case "memcached":
      return memcachedGet(env, STORED);
    default:
      return null;
  }
}

/** A minimal Redis client for one key: `GET` over a `cloudflare:sockets` socket, reply read whole. */
async function redisGet(env, key) {
  const socket = connect({ hostname: "127.0.0.1", port: Number(env.REDIS_PORT) });
  const writer = socket.writable.getWriter();
  const reader = socket.readable.getReader();
  const command = encoder.encode(`*2\r\n$3\r\nGET\r\n$${key.length}\r\n${key}\r\n`);
  return async () => {
    await writer.write(command);
    let buffer = new Uint8Array(0);
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error("Redis closed the connection");
      const joined = new Uint8Array(buffer.length + value.length);
      joined.set(buffer);
      joined.set(value, buffer.length);
      buffer = joined;
      const end = buffer.indexOf(13); // "\r" after "$<len>"
      if (end < 0) continue;
      const length = Number(new TextDecoder().decode(buffer.subarray(1, end)));
      if (buffer.length >= end + 2 + length + 2) return buffer.subarray(end + 2, end + 2 + length);
    }
  };
}

/**
 * A minimal memcached client for one key: `mg <key> v` over a
 * `cloudflare:sockets` socket (the key is "{generation}:" + STORED, the
 * generation read on the first call), reply read whole.
 */
async function memcachedGet(env, key) {
  const socket = connect({ hostname: "127.0.0.1", port: Number(env.MEMCACHED_PORT) });
  const writer = socket.writable.getWriter();
  const reader = socket.readable.getReader();
  const decoder = new TextDecoder();
  let buffer = new Uint8Array(0);
  const mg = async (wire) => {
    await writer.write(encoder.encode(`mg ${wire} v\r\n`));
    for (;;) {
      const end = buffer.indexOf(13);
      if (end >= 0) {
        const line = decoder.decode(buffer.subarray(0, end));
        if (line.startsWith("EN")) {
          buffer = buffer.subarray(end + 2);
          return undefined;
        }
        const length = Number(line.split(" ")[1]);
        if (buffer.length >= end + 2 + length + 2) {
          const value = buffer.subarray(end + 2, end + 2 + length);
          buffer = buffer.subarray(end + 2 + length + 2);
          return value;
        }
      }
      const { value, done } = await reader.read();
      if (done) throw new Error("memcached closed the connection");
      const joined = new Uint8Array(buffer.length + value.length);
      joined.set(buffer);
      joined.set(value, buffer.length);
      buffer = joined;
    }
  };
  // Read on the first call: the cache creates the generation on its first write.
  let wire;
  return async () => {
    wire ??= `${decoder.decode(await mg(`g:${key.slice(0, key.lastIndexOf(":") + 1)}`))}:${key}`;
    return mg(wire);
  };
}

/**
 * A bare pipelined Redis client over one `cloudflare:sockets` socket:
 * `gets(keys)` writes every `GET` in one write and reads the bulk replies in
 * order, each a view into the received bytes or, with `copy`, in an
 * ArrayBuffer of its own (as EdgeCache's values are).
 */
function bareClient(env) {
  const socket = connect({ hostname: "127.0.0.1", port: Number(env.REDIS_PORT) });
  const writer = socket.writable.getWriter();
  const reader = socket.readable.getReader();
  let buffer = new Uint8Array(0);
  const decoder = new TextDecoder();
  return {
    async gets(keys, { copy = false } = {}) {
      await writer.write(encoder.encode(keys.map((k) => `*2\r\n$3\r\nGET\r\n$${k.length}\r\n${k}\r\n`).join("")));
      const values = [];
      let at = 0;
      while (values.length < keys.length) {
        const end = buffer.indexOf(13, at);
        const length = end < 0 ? NaN : Number(decoder.decode(buffer.subarray(at + 1, end)));
        if (end >= 0 && buffer.length >= end + 2 + length + 2) {
          const value = buffer.subarray(end + 2, end + 2 + length);
          values.push(copy ? new Uint8Array(value) : value);
          at = end + 2 + length + 2;
          continue;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error("Redis closed the connection");
        const joined = new Uint8Array(buffer.length - at + value.length);
        joined.set(buffer.subarray(at));
        joined.set(value, buffer.length - at);
        buffer = joined;
        at = 0;
      }
      buffer = buffer.subarray(at);
      return values;
    },
    close: () => socket.close(),
  };
}

/**
 * `GET /redis`: EdgeCache.redis against bare clients in this request (see
 * benches/redis.mjs): sequential 1 KiB gets (window averages) vs a bare
 * `GET` (`windows` windows of `ops` gets each), and `concurrent` gets in
 * one Promise.all vs a bare pipelined client, `rounds` rounds of `reps`
 * each (median).
 */
async function measureRedis(env, params) {
  const count = Number(params.get("windows") ?? 20);
  const ops = Number(params.get("ops") ?? 50);
  const concurrent = Number(params.get("concurrent") ?? 1000);
  const rounds = Number(params.get("rounds") ?? 20);
  const reps = Number(params.get("reps") ?? 1);
  const cache = EdgeCache.redis({ connect: `redis://127.0.0.1:${env.REDIS_PORT}`, namespace: "bench" });
  const keys = Array.from({ length: concurrent }, (_, i) => `k${i}`);
  await Promise.all(keys.map((k) => cache.set(k, VALUE)));
  const bare = bareClient(env);
  const stored = keys.map((k) => `5:bench:${k}`);
  const median = (v) => v.toSorted((a, b) => a - b)[Math.floor(v.length / 2)];
  const ours = [];
  const peer = [];
  for (let w = 0; w < count; w++) {
    ours.push(...(await windows(async () => {
      if ((await cache.get("k0"))?.length !== VALUE.length) throw new Error("ours lost k0");
    }, 1, ops)).perOpUs);
    peer.push(...(await windows(async () => {
      if ((await bare.gets([stored[0]]))[0]?.length !== VALUE.length + 11) throw new Error("bare lost k0");
    }, 1, ops)).perOpUs);
  }
  // Rounds interleaved, in rotating order (the garbage one leaves lands on
  // whichever runs next).
  const clients = [
    {
      ms: [],
      run: async () => {
        const values = await Promise.all(keys.map((k) => cache.get(k)));
        if (values.some((v) => v?.length !== VALUE.length)) throw new Error("ours lost a key");
      },
    },
    {
      ms: [],
      run: async () => {
        if ((await bare.gets(stored)).length !== concurrent) throw new Error("bare lost a key");
      },
    },
    {
      ms: [],
      run: async () => {
        const copied = await bare.gets(stored, { copy: true });
        if (copied.some((v) => v.buffer.byteLength !== v.length)) throw new Error("bare shared a buffer");
      },
    },
  ];
  // A round times `reps` Promise.alls of one client together: with the 1 ms
  // clock, a single one (7-10 ms) could only be timed to 10-15%.
  for (let round = -2; round < rounds; round++) {
    for (let j = 0; j < clients.length; j++) {
      const client = clients[(round + 2 + j) % clients.length];
      const t0 = performance.now();
      for (let r = 0; r < reps; r++) await client.run();
      if (round >= 0) client.ms.push((performance.now() - t0) / reps);
    }
  }
  const [oursMs, peerMs, copiedMs] = clients.map((c) => c.ms);
  bare.close();
  await cache.clear();
  cache.close();
  return {
    getP50: median(ours),
    bareGetP50: median(peer),
    concurrentMs: median(oursMs),
    barePipelinedMs: median(peerMs),
    bareCopiedMs: median(copiedMs),
  };
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
      return EdgeCache.r2(env.BUCKET, { prefix: "bench/", namespace: "bench", ...tier });
    case "redis":
      return EdgeCache.redis({ connect: `redis://127.0.0.1:${env.REDIS_PORT}`, namespace: "bench", ...tier });
    case "memcached":
      return EdgeCache.memcached({ connect: `memcached://127.0.0.1:${env.MEMCACHED_PORT}`, namespace: "bench", ...tier });
    default:
      throw new Error(`no backend ${backend}`);
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/redis") return Response.json(await measureRedis(env, url.searchParams));
    if (url.pathname !== "/measure") return new Response("no such route", { status: 404 });
    const backend = url.searchParams.get("backend");
    const count = Number(url.searchParams.get("windows") ?? 20);
    const ops = Number(url.searchParams.get("ops") ?? 10);
    const hotOps = Number(url.searchParams.get("hotOps") ?? 100_000);
    const plain = await open(backend, env, false);
    const key = (i) => `k${i % KEYS}`;
    let raw;
    const peer = await rawGet(backend, env);
    if (peer) {
      await plain.set("k0", VALUE);
      raw = await windows(async () => {
        const value = await peer();
        // D1 answers a BLOB as an array of numbers; the others as bytes.
        // Every stored form holds at least the value's bytes.
        if (!((value?.byteLength ?? value?.length) >= VALUE.length)) throw new Error(`${backend}: raw read lost k0`);
      }, count, ops);
    }
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
    return Response.json({ set, get, raw, hot });
  },
};
