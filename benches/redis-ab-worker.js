// The workerd half of benches/redis-ab.mjs: one request is one round for one
// build, timed by the client (performance.now() inside workerd has 1 ms
// resolution): `?mode=sequential&n=N` awaits N gets of one key in turn,
// `?mode=concurrent&n=N` awaits a Promise.all of N gets. The cache lives in
// module scope, so later requests also pay workerd's refusal of the socket
// the first request opened, once each (then the new socket is the
// request's own).
import { EdgeCache } from "edgecache";

let cache;
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const n = Number(url.searchParams.get("n"));
    cache ??= EdgeCache.redis({ connect: `127.0.0.1:${env.REDIS_PORT}`, namespace: env.NAMESPACE });
    let hits = 0;
    if (url.searchParams.get("mode") === "sequential") {
      for (let i = 0; i < n; i++) if ((await cache.get("k0")) !== undefined) hits++;
    } else {
      const values = await Promise.all(Array.from({ length: n }, (_, i) => cache.get(`k${i}`)));
      hits = values.filter((v) => v !== undefined).length;
    }
    return new Response(String(hits));
  },
};
