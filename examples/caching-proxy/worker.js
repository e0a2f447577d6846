// A caching reverse proxy for Cloudflare Workers, built on edgecache.
//
// Requests are answered from an RFC 9111 HTTP cache (ResponseCache) kept in
// Workers KV behind a per-isolate memory tier, and forwarded to env.ORIGIN on
// a miss. Concurrent misses for one URL wait for one origin fetch (request
// collapsing); storing and background revalidations (stale-while-revalidate)
// run under ctx.waitUntil. Configure in wrangler.toml:
//
//   [[kv_namespaces]]
//   binding = "CACHE"
//   id = "<your namespace id>"
//   [vars]
//   ORIGIN = "https://origin.example.com"
import { EdgeCache, ResponseCache } from "edgecache";

// One per isolate: the memory tier lives as long as the isolate does.
let responses;

function upstream(request, origin) {
  const url = new URL(request.url);
  const target = new URL(url.pathname + url.search, origin);
  return new Request(target, request);
}

export default {
  async fetch(request, env, ctx) {
    responses ??= new ResponseCache(
      EdgeCache.kv(env.CACHE, { namespace: "responses", memory: { maxEntries: 1_000, maxBytes: 16 << 20 } }),
      {
        fetcher: (req) => fetch(upstream(req, env.ORIGIN)),
        onError: (error) => console.warn("origin or cache store failed:", error?.message ?? error),
      },
    );
    try {
      // Resolves for anything the origin does (a dropped connection is a 502
      // or a stale-if-error response); only a bug rejects.
      return await responses.fetch(request, { waitUntil: (promise) => ctx.waitUntil(promise) });
    } catch (error) {
      console.error("caching proxy:", error);
      return new Response("Internal error in the caching proxy.\n", { status: 500, headers: { "content-type": "text/plain" } });
    }
  },
};
