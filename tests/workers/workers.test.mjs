// edgecache in Cloudflare Workers, as users run it: pkg/ packed with `npm pack`,
// installed into a fixture, bundled like wrangler (workerd condition, .wasm
// as a CompiledWasm module) and run in Miniflare 4 with real KV namespaces.
//
// 1. KV semantics: tests/workers/kv-worker.js has one route per case
//    (`GET /case/<name>` runs it inside workerd and answers { ok, details });
//    this file loops over the case names against one shared Miniflare.
// 2. HTTP caching end to end: examples/caching-proxy/worker.js in front of a
//    local origin server (node:http) whose routes return the caching headers
//    each test needs and count their hits.
//
// Run: node --test --test-concurrency=1 tests/workers/   (after scripts/build.sh)

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { brotliDecompressSync, gunzipSync, gzipSync } from "node:zlib";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { DROP, bundleWorkers, describeCases, root, send, startMiniflare, startOrigin, workerOptions } from "./harness.mjs";

const scripts = await bundleWorkers("workers", {
  "kv-worker.js": join(root, "tests/workers/kv-worker.js"),
  "checks.js": join(root, "tests/workers/checks.js"),
  "proxy-worker.js": join(root, "examples/caching-proxy/worker.js"),
});

// Case name in kv-worker.js → what it shows.
const KV_CASES = [
  ["ttl-under-60s", "TTLs under KV's 60 s minimum (1.5 s, 2 s default, tiered) expire on time while KV is given expirationTtl 60"],
  ["key-limit", "a 512-byte stored key (namespace encoding and UTF-8 counted) works; 513 bytes is EDGECACHE_INVALID_KEY before any KV call"],
  ["value-limit", "a 25 MiB record (value + 11-byte header) round-trips; 1 byte more is EDGECACHE_VALUE_TOO_LARGE before any KV call"],
  ["clear-pages", "clear() follows list cursors through 1,100 keys and spares other namespaces and un-namespaced keys"],
  ["binding-failures", "binding throws, 429 rejections, wrong types and truncated records are EDGECACHE_BACKEND errors or misses, and the cache keeps working"],
  ["tiered-memory-absorbs-reads", "the memory tier answers repeated reads: 100 reads cost 1 KV get (0 after a local write)"],
  ["getmany-concurrency", "getMany and deleteMany issue KV calls concurrently (at most 32 in flight) and keep order"],
  ["response-cache-survives-kv-failures", "ResponseCache serves the origin's response when KV put rejects (429) or get throws"],
];

describeCases("KV semantics inside workerd (test worker, one route per case)", scripts["kv-worker.js"], () => ({ kvNamespaces: ["CACHE"] }), KV_CASES);

describe("the caching-proxy example in workerd: RFC 9111 end to end", () => {
  let origin;
  let mf;
  let entry; // Miniflare's HTTP address

  before(async () => {
    origin = await startOrigin();
    mf = await startMiniflare(
      workerOptions(scripts["proxy-worker.js"], { kvNamespaces: ["CACHE"], bindings: { ORIGIN: origin.url } }),
    );
    entry = await mf.ready;
  });
  after(async () => {
    await mf?.dispose();
    await origin?.close();
  });

  /** A request to the proxy through node:http (see harness.mjs `send`). */
  const request = (path, options) => send(entry, path, options);
  const get = (path, headers = {}) => request(path, { headers });

  test("a fresh stored response is served as a HIT with an Age, and the origin is asked once (RFC 9111 §4.2, §5.1)", async () => {
    origin.route("/fresh", () => ({ headers: { "cache-control": "max-age=60", etag: '"f1"' }, body: "fresh body", date: true }));
    const first = await get("/fresh");
    assert.deepEqual([first.status, first.cache, first.body], [200, "MISS", "fresh body"]);
    const second = await get("/fresh");
    assert.deepEqual([second.status, second.cache, second.body], [200, "HIT", "fresh body"]);
    assert.match(second.headers.get("age") ?? "", /^[0-9]+$/, "a HIT carries Age");
    assert.ok(Number(second.headers.get("age")) <= 2, `Age ${second.headers.get("age")}`);
    assert.equal(second.headers.get("etag"), '"f1"', "stored header fields are served");
    const head = await request("/fresh", { method: "HEAD" });
    assert.deepEqual([head.status, head.cache, head.body], [200, "HIT", ""], "HEAD is answered from the stored GET (RFC 9110 §9.3.2)");
    assert.equal(origin.hits("/fresh", "GET") + origin.hits("/fresh", "HEAD"), 1);
    origin.route("/query", ({ n }) => ({ headers: { "cache-control": "max-age=60" }, body: `#${n}` }));
    const bodies = [];
    for (const path of ["/query?a=1", "/query?a=2", "/query?a=1", "/query?a=2"]) bodies.push((await get(path)).body);
    assert.deepEqual(bodies, ["#1", "#2", "#1", "#2"], "the query string is part of the key (RFC 9111 §2)");
  });

  test("a stale response is revalidated with If-None-Match; the origin's 304 serves the stored body as REVALIDATED and freshens it (RFC 9111 §4.3.1, §4.3.4)", async () => {
    origin.route("/revalidate", ({ n, headers }) => {
      if (n === 1) return { headers: { "cache-control": "max-age=0", etag: '"r1"' }, body: "stored body" };
      if (headers["if-none-match"] === '"r1"') return { status: 304, headers: { "cache-control": "max-age=60", etag: '"r1"' } };
      return { body: "unconditional" };
    });
    assert.equal((await get("/revalidate")).cache, "MISS");
    const second = await get("/revalidate");
    assert.deepEqual([second.status, second.cache, second.body], [200, "REVALIDATED", "stored body"]);
    assert.equal(origin.requests("/revalidate")[1].headers["if-none-match"], '"r1"', "the origin saw If-None-Match");
    const third = await get("/revalidate");
    assert.deepEqual([third.cache, third.body], ["HIT", "stored body"], "the 304's max-age=60 freshened the stored response");
    assert.equal(third.headers.get("cache-control"), "max-age=60", "with the 304's header fields");
    assert.equal(origin.hits("/revalidate"), 2);
  });

  test("within stale-while-revalidate, stale responses are served as STALE while the origin is asked once in the background (RFC 5861 §3)", async () => {
    origin.route("/swr", async ({ n }) => {
      if (n === 1) return { headers: { "cache-control": "max-age=0, stale-while-revalidate=30" }, body: "v1" };
      await sleep(200); // a slow origin: the refresh is still running while the requests below arrive
      return { headers: { "cache-control": "max-age=60" }, body: "v2" };
    });
    assert.equal((await get("/swr")).cache, "MISS");
    const started = Date.now();
    const stale = await Promise.all(Array.from({ length: 5 }, () => get("/swr")));
    assert.deepEqual(stale.map((r) => [r.cache, r.body]), Array(5).fill(["STALE", "v1"]));
    assert.ok(Date.now() - started < 200, "served without waiting for the slow origin");
    for (let i = 0; i < 100 && origin.hits("/swr") < 2; i++) await sleep(20);
    await sleep(300); // let the refresh be stored, and any duplicate refresh show up
    assert.equal(origin.hits("/swr"), 2, "one background refresh for five stale hits");
    const refreshed = await get("/swr");
    assert.deepEqual([refreshed.cache, refreshed.body], ["HIT", "v2"], "the refreshed response was stored");
    assert.equal(origin.hits("/swr"), 2);
  });

  test("within stale-if-error, an origin 500 or a dropped connection is answered with the stale response (RFC 5861 §4)", async () => {
    origin.route("/sie", ({ n }) => {
      if (n === 1) return { headers: { "cache-control": "max-age=0, stale-if-error=60" }, body: "sie v1" };
      if (n === 2) return { status: 500, body: "origin error" };
      return DROP;
    });
    assert.equal((await get("/sie")).cache, "MISS");
    const onError = await get("/sie");
    assert.deepEqual([onError.status, onError.cache, onError.body], [200, "STALE", "sie v1"], "origin 500");
    const onDown = await get("/sie");
    assert.deepEqual([onDown.status, onDown.cache, onDown.body], [200, "STALE", "sie v1"], "origin down");
    assert.equal(origin.hits("/sie"), 3, "the origin was tried each time");
  });

  describe("past the stale windows (one shared 1.3 s wait)", () => {
    before(async () => {
      origin.route("/swr-late", ({ n, headers }) => {
        if (n === 1) return { headers: { "cache-control": "max-age=0, stale-while-revalidate=1", etag: '"s1"' }, body: "late v1" };
        if (headers["if-none-match"] === '"s1"') return { status: 304, headers: { etag: '"s1"' } };
        return { body: "unconditional" };
      });
      origin.route("/sie-late-500", ({ n }) =>
        n === 1 ? { headers: { "cache-control": "max-age=0, stale-if-error=1", etag: '"e1"' }, body: "sie late" } : { status: 500, body: "origin error" },
      );
      origin.route("/sie-late-down", ({ n }) =>
        n === 1 ? { headers: { "cache-control": "max-age=0, stale-if-error=1", etag: '"e2"' }, body: "sie late" } : DROP,
      );
      for (const path of ["/swr-late", "/sie-late-500", "/sie-late-down"]) assert.equal((await get(path)).cache, "MISS");
      await sleep(1_300);
    });

    test("past stale-while-revalidate, a stale response is revalidated before it is served (RFC 5861 §3, RFC 9111 §4.3)", async () => {
      const late = await get("/swr-late");
      assert.deepEqual([late.status, late.cache, late.body], [200, "REVALIDATED", "late v1"]);
      assert.equal(origin.hits("/swr-late"), 2, "the origin was asked before the response was served");
      assert.equal(origin.requests("/swr-late")[1].headers["if-none-match"], '"s1"');
    });

    test("past stale-if-error, the origin's 500 reaches the client (RFC 5861 §4)", async () => {
      const late = await get("/sie-late-500");
      assert.deepEqual([late.status, late.body], [500, "origin error"]);
      assert.notEqual(late.cache, "STALE");
    });

    test("past stale-if-error, an unreachable origin is an error, not the stale response (RFC 5861 §4)", async () => {
      const late = await get("/sie-late-down");
      assert.ok(late.status >= 500, `status ${late.status}`);
      assert.notEqual(late.body, "sie late");
      assert.equal(origin.hits("/sie-late-down"), 2);
    });
  });

  test("Vary: Accept-Language responses are stored per variant, whitespace/case-normalised values select the same one, and an absent field is its own (RFC 9111 §4.1)", async () => {
    origin.route("/vary-language", ({ n, headers }) => ({
      headers: { "cache-control": "max-age=60", vary: "Accept-Language" },
      body: `lang=${headers["accept-language"] ?? "-"} #${n}`,
    }));
    const lang = (value) => get("/vary-language", value === undefined ? {} : { "accept-language": value });
    assert.deepEqual([(await lang("en")).body, (await lang("fr")).body], ["lang=en #1", "lang=fr #2"]);
    const en = await lang("en");
    const fr = await lang("fr");
    assert.deepEqual([en.cache, en.body, fr.cache, fr.body], ["HIT", "lang=en #1", "HIT", "lang=fr #2"]);
    assert.equal((await lang("en-US, fr;q=0.5")).body, "lang=en-US, fr;q=0.5 #3");
    for (const same of ["en-US,fr;q=0.5", "  EN-us ,   fr;q=0.50 "]) {
      const r = await lang(same);
      assert.deepEqual([r.cache, r.body], ["HIT", "lang=en-US, fr;q=0.5 #3"], JSON.stringify(same));
    }
    const none = await lang(undefined);
    assert.deepEqual([none.cache, none.body], ["MISS", "lang=- #4"], "an absent field is its own variant");
    assert.equal((await lang(undefined)).cache, "HIT");
    // (An empty Accept-Language cannot be tested here: Miniflare/workerd drops it before the worker runs.)
    assert.equal(origin.hits("/vary-language"), 4);

  });

  test("Vary: Accept-Encoding: workerd hands the worker Accept-Encoding \"br, gzip\" whatever the client sent, so one variant is stored, and each client gets it in an encoding it accepts (RFC 9111 §4.1, RFC 9110 §12.5.3)", async () => {
    const text = "the same text, encoded for each client ".repeat(20);
    origin.route("/vary-encoding", ({ headers }) => ({
      headers: { "cache-control": "max-age=60", vary: "Accept-Encoding", "x-origin-saw": headers["accept-encoding"] ?? "" },
      body: text,
    }));
    origin.route("/vary-encoding-gzip", () => ({
      headers: { "cache-control": "max-age=60", vary: "Accept-Encoding", "content-encoding": "gzip" },
      body: gzipSync(text),
    }));
    for (const path of ["/vary-encoding", "/vary-encoding-gzip"]) {
      const seen = [];
      for (const accept of ["gzip", "br", "identity", "gzip, br", "gzip,br"]) {
        const r = await get(path, { "accept-encoding": accept });
        const coding = r.headers.get("content-encoding");
        const decoded = coding === "gzip" ? gunzipSync(r.bytes) : coding === "br" ? brotliDecompressSync(r.bytes) : r.bytes;
        assert.equal(decoded.toString("utf8"), text, `${path}, Accept-Encoding: ${accept} (got Content-Encoding: ${coding})`);
        assert.ok(coding === null || accept.includes(coding), `${path}: ${coding} sent to a client accepting ${accept}`);
        seen.push(r.cache);
      }
      assert.deepEqual(seen, ["MISS", "HIT", "HIT", "HIT", "HIT"], path);
      assert.equal(origin.hits(path), 1, path);
    }
  });

  test("a response to a request with Authorization is not stored unless public, s-maxage or must-revalidate allows it (RFC 9111 §3.5)", async () => {
    const echo = (cacheControl) => ({ n, headers }) => ({
      headers: { "cache-control": cacheControl },
      body: `for ${headers.authorization ?? "anonymous"} #${n}`,
    });
    origin.route("/auth-plain", echo("max-age=60"));
    const alice = { authorization: "Bearer alice" };
    const bob = { authorization: "Bearer bob" };
    const a1 = await get("/auth-plain", alice);
    const a2 = await get("/auth-plain", alice);
    const b1 = await get("/auth-plain", bob);
    assert.deepEqual(
      [a1.body, a2.body, b1.body],
      ["for Bearer alice #1", "for Bearer alice #2", "for Bearer bob #3"],
      "each authorised request went to the origin",
    );
    assert.ok([a1, a2, b1].every((r) => r.cache !== "HIT"));
    for (const [path, cc] of [["/auth-public", "public, max-age=60"], ["/auth-s-maxage", "s-maxage=60"], ["/auth-must-revalidate", "max-age=60, must-revalidate"]]) {
      origin.route(path, echo(cc));
      assert.equal((await get(path, alice)).cache, "MISS", cc);
      const again = await get(path, alice);
      assert.deepEqual([again.cache, again.body], ["HIT", "for Bearer alice #1"], `${cc} makes it storable`);
      assert.equal(origin.hits(path), 1, cc);
    }
  });

  test("a response with Set-Cookie is not stored by default, so user B never receives user A's cookie (RFC 9111 §7.3)", async () => {
    origin.route("/cookie", ({ headers }) => ({
      headers: { "cache-control": "max-age=60", "set-cookie": [`session=${headers["x-user"]}; Path=/`, "theme=dark"] },
      body: `hello ${headers["x-user"]}`,
    }));
    const a = await get("/cookie", { "x-user": "alice" });
    const b = await get("/cookie", { "x-user": "bob" });
    assert.deepEqual(a.headers.getSetCookie(), ["session=alice; Path=/", "theme=dark"], "A gets A's cookies, both lines");
    assert.deepEqual([b.body, b.headers.getSetCookie()], ["hello bob", ["session=bob; Path=/", "theme=dark"]], "B gets B's cookie, not A's");
    assert.notEqual(b.cache, "HIT");
    assert.equal(origin.hits("/cookie"), 2);
  });

  test("a response with no-store is never stored (RFC 9111 §5.2.2.5), nor one to a request with no-store (§5.2.1.5)", async () => {
    origin.route("/no-store", ({ n }) => ({ headers: { "cache-control": "no-store, max-age=60" }, body: `#${n}` }));
    const bodies = [];
    for (let i = 0; i < 3; i++) {
      const r = await get("/no-store");
      assert.notEqual(r.cache, "HIT");
      bodies.push(r.body);
    }
    assert.deepEqual(bodies, ["#1", "#2", "#3"]);
    origin.route("/request-no-store", ({ n }) => ({ headers: { "cache-control": "max-age=60" }, body: `#${n}` }));
    assert.equal((await get("/request-no-store", { "cache-control": "no-store" })).body, "#1");
    const next = await get("/request-no-store");
    assert.deepEqual([next.cache, next.body], ["MISS", "#2"], "the no-store request's response was not stored");
  });

  test("a private response is never stored by this shared cache, and two users never see each other's (RFC 9111 §5.2.2.7)", async () => {
    origin.route("/private", ({ headers, n }) => ({ headers: { "cache-control": "private, max-age=60" }, body: `account of ${headers["x-user"]} #${n}` }));
    const seen = [];
    for (const user of ["alice", "bob", "alice", "bob"]) {
      const r = await get("/private", { "x-user": user });
      assert.notEqual(r.cache, "HIT");
      seen.push(r.body);
    }
    assert.deepEqual(seen, ["account of alice #1", "account of bob #2", "account of alice #3", "account of bob #4"]);
  });

  test("a 2xx POST, PUT or DELETE invalidates the stored URL and a same-origin Location, but not another origin's (RFC 9111 §4.4)", async () => {
    for (const method of ["POST", "PUT", "DELETE"]) {
      const path = `/invalidate-${method.toLowerCase()}`;
      const target = `${path}/created`;
      origin.route(path, ({ method: m, n }) =>
        m === "GET"
          ? { headers: { "cache-control": "max-age=60" }, body: `${path} #${n}` }
          : { status: 201, headers: { location: target }, body: "" },
      );
      origin.route(target, ({ n }) => ({ headers: { "cache-control": "max-age=60" }, body: `${target} #${n}` }));
      for (const url of [path, target, `http://elsewhere.test${target}`]) {
        await get(url);
        assert.equal((await get(url)).cache, "HIT", `${url} is stored`);
      }
      const write = await request(path, { method, body: method === "DELETE" ? undefined : "data" });
      assert.equal(write.status, 201);
      assert.equal(write.cache, "BYPASS");
      assert.equal((await get(path)).cache, "MISS", `${method} invalidated its URL`);
      assert.equal((await get(target)).cache, "MISS", `${method} invalidated the same-origin Location`);
      // Location "/…/created" resolves against http://proxy.test, so the copy
      // stored for http://elsewhere.test is another origin's: kept.
      assert.equal((await get(`http://elsewhere.test${target}`)).cache, "HIT", `${method} left another origin's URL alone`);
    }
    origin.route("/invalidate-error", ({ method, n }) =>
      method === "GET" ? { headers: { "cache-control": "max-age=60" }, body: `#${n}` } : { status: 500, body: "failed" },
    );
    await get("/invalidate-error");
    assert.equal((await request("/invalidate-error", { method: "POST", body: "x" })).status, 500);
    assert.equal((await get("/invalidate-error")).cache, "HIT", "an error response to a POST invalidates nothing");
  });

  test("a client's conditional request is answered 304 from a fresh stored response (RFC 9111 §4.3.2)", async () => {
    const lastModified = new Date(Date.now() - 3_600_000).toUTCString();
    origin.route("/conditional", () => ({
      headers: { "cache-control": "max-age=60", etag: '"c1"', "last-modified": lastModified },
      body: "full body",
    }));
    assert.equal((await get("/conditional")).cache, "MISS");
    const match = await get("/conditional", { "if-none-match": '"c1"' });
    assert.deepEqual([match.status, match.cache, match.body], [304, "HIT", ""]);
    assert.equal(match.headers.get("etag"), '"c1"', "the 304 carries the ETag");
    const weak = await get("/conditional", { "if-none-match": 'W/"c1", "other"' });
    assert.equal(weak.status, 304, "If-None-Match uses weak comparison (RFC 9110 §13.1.2)");
    const other = await get("/conditional", { "if-none-match": '"other"' });
    assert.deepEqual([other.status, other.cache, other.body], [200, "HIT", "full body"]);
    const since = await get("/conditional", { "if-modified-since": new Date().toUTCString() });
    assert.deepEqual([since.status, since.cache], [304, "HIT"], "If-Modified-Since later than Last-Modified");
    const before = await get("/conditional", { "if-modified-since": new Date(Date.now() - 7_200_000).toUTCString() });
    assert.equal(before.status, 200, "If-Modified-Since earlier than Last-Modified");
    assert.equal(origin.hits("/conditional"), 1, "all answered from the cache");

    origin.route("/conditional-miss", ({ headers }) =>
      headers["if-none-match"] === '"m1"'
        ? { status: 304, headers: { "cache-control": "max-age=60", etag: '"m1"' } }
        : { headers: { "cache-control": "max-age=60", etag: '"m1"' }, body: "full body" },
    );
    const forwarded = await get("/conditional-miss", { "if-none-match": '"m1"' });
    assert.deepEqual([forwarded.status, forwarded.body], [304, ""], "on a miss the condition is forwarded and the origin's 304 passed on");
    const full = await get("/conditional-miss");
    assert.deepEqual([full.status, full.body], [200, "full body"], "the origin's 304 was not stored as the response");
    assert.equal((await get("/conditional-miss")).cache, "HIT");
  });

  test("a request's no-cache forces revalidation, max-age=0 too, and only-if-cached answers 504 on a miss (RFC 9111 §5.2.1.4, §5.2.1.1, §5.2.1.7)", async () => {
    origin.route("/request-directives", ({ n, headers }) =>
      headers["if-none-match"] === '"d1"' ? { status: 304, headers: { etag: '"d1"' } } : { headers: { "cache-control": "max-age=60", etag: '"d1"' }, body: `#${n}` },
    );
    assert.equal((await get("/request-directives")).cache, "MISS");
    assert.equal((await get("/request-directives")).cache, "HIT");
    const noCache = await get("/request-directives", { "cache-control": "no-cache" });
    assert.deepEqual([noCache.cache, noCache.body], ["REVALIDATED", "#1"]);
    const pragma = await get("/request-directives", { pragma: "no-cache" });
    assert.equal(pragma.cache, "REVALIDATED", "Pragma: no-cache without Cache-Control (RFC 9111 §5.4)");
    const maxAge0 = await get("/request-directives", { "cache-control": "max-age=0" });
    assert.equal(maxAge0.cache, "REVALIDATED");
    assert.equal(origin.hits("/request-directives"), 4);
    origin.route("/only-if-cached", () => ({ headers: { "cache-control": "max-age=60" }, body: "x" }));
    const offline = await get("/only-if-cached", { "cache-control": "only-if-cached" });
    assert.equal(offline.status, 504);
    assert.equal(origin.hits("/only-if-cached"), 0, "the origin was not asked");
  });

  test("a 206 answer to a Range request is passed on but never stored (RFC 9111 §3.3)", async () => {
    const text = "0123456789";
    origin.route("/range", ({ headers, n }) => {
      const m = /^bytes=(\d+)-(\d+)$/.exec(headers.range ?? "");
      if (!m) return { headers: { "cache-control": "max-age=60" }, body: `${text} #${n}` };
      return { status: 206, headers: { "cache-control": "max-age=60", "content-range": `bytes ${m[1]}-${m[2]}/12` }, body: text.slice(Number(m[1]), Number(m[2]) + 1) };
    });
    const partial = await get("/range", { range: "bytes=2-4" });
    assert.deepEqual([partial.status, partial.body], [206, "234"]);
    const whole = await get("/range");
    assert.deepEqual([whole.status, whole.body], [200, `${text} #2`], "the 206 was not stored as the response");
    assert.equal((await get("/range")).cache, "HIT");
  });

  test("CDN-Cache-Control takes precedence over Cache-Control in the shared cache (RFC 9213 §2.1)", async () => {
    origin.route("/cdn-stores", ({ n }) => ({ headers: { "cache-control": "no-store", "cdn-cache-control": "max-age=60" }, body: `#${n}` }));
    await get("/cdn-stores");
    const stored = await get("/cdn-stores");
    assert.deepEqual([stored.cache, stored.body], ["HIT", "#1"], "CDN-Cache-Control: max-age=60 beats Cache-Control: no-store");
    assert.equal(stored.headers.get("cache-control"), "no-store", "Cache-Control still reaches the client for its own cache");
    origin.route("/cdn-refuses", ({ n }) => ({ headers: { "cache-control": "max-age=60", "cdn-cache-control": "no-store" }, body: `#${n}` }));
    await get("/cdn-refuses");
    const refused = await get("/cdn-refuses");
    assert.deepEqual([refused.cache === "HIT", refused.body], [false, "#2"], "CDN-Cache-Control: no-store beats Cache-Control: max-age=60");
    origin.route("/cdn-shorter", ({ n }) => ({ headers: { "cache-control": "max-age=3600", "cdn-cache-control": "max-age=0" }, body: `#${n}` }));
    await get("/cdn-shorter");
    assert.notEqual((await get("/cdn-shorter")).cache, "HIT", "CDN-Cache-Control: max-age=0 beats Cache-Control: max-age=3600");
  });
  test("a response too large for KV (over 25 MiB) is served whole but not stored; one over the memory tier's bound is stored in KV alone", async () => {
    const MIB = 1024 * 1024;
    const body = (size, fill) => Buffer.alloc(size, fill);
    origin.route("/too-large", () => ({ headers: { "cache-control": "max-age=60" }, body: body(26 * MIB, "a") }));
    origin.route("/large", () => ({ headers: { "cache-control": "max-age=60" }, body: body(20 * MIB, "b") }));
    for (let i = 1; i <= 2; i++) {
      const r = await get("/too-large");
      assert.deepEqual([r.status, r.bytes.length, r.bytes.at(-1)], [200, 26 * MIB, 0x61], `request ${i} got the whole body`);
      assert.notEqual(r.cache, "HIT");
    }
    assert.equal(origin.hits("/too-large"), 2, "nothing was stored");
    // 20 MiB exceeds the example's 16 MiB memory tier but fits in KV.
    assert.equal((await get("/large")).cache, "MISS");
    const hit = await get("/large");
    assert.deepEqual([hit.status, hit.cache, hit.bytes.length, hit.bytes.at(-1)], [200, "HIT", 20 * MIB, 0x62]);
    assert.equal(origin.hits("/large"), 1);
  });
});
