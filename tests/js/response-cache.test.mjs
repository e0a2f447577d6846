// ResponseCache in Node over EdgeCache.memory, against a scripted origin (a
// fetcher): request collapsing, origin failures, byte ranges, Cache-Status,
// and the origin-data defects of issue 13, one test per behaviour. The same
// behaviours through the caching-proxy example in workerd are in
// tests/workers/response-cache.test.mjs.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { EdgeCache, ResponseCache } from "../../pkg/node.js";

const URL_ = "https://origin.example/page";

/**
 * A scripted origin: `respond(request, n)` answers the n-th request (1-based)
 * with a Response, or throws; `delayMs` holds every answer back.
 */
function origin(respond, { delayMs = 0 } = {}) {
  const requests = [];
  const fetcher = async (request) => {
    requests.push(request);
    if (delayMs > 0) await sleep(delayMs);
    return respond(request, requests.length);
  };
  return { fetcher, requests, calls: () => requests.length };
}

const cacheable = (body = "body", headers = {}) => new Response(body, { headers: { "cache-control": "max-age=60", ...headers } });
const statusOf = (response) => response.headers.get("x-edgecache");

/** A Response-shaped object with a status `new Response` refuses (as another fetch implementation may produce). */
function oddStatus(status) {
  return {
    status,
    statusText: "",
    headers: new Headers({ "cache-control": "max-age=60" }),
    body: null,
    clone() {
      return this;
    },
    arrayBuffer: async () => new ArrayBuffer(0),
  };
}

describe("ResponseCache: request collapsing", () => {
  it("50 concurrent misses make one origin fetch and get 50 identical bodies; followers are COLLAPSED", async () => {
    const { fetcher, calls } = origin(() => cacheable("the one body"), { delayMs: 50 });
    const rc = new ResponseCache(EdgeCache.memory(), { fetcher });
    const responses = await Promise.all(Array.from({ length: 50 }, () => rc.fetch(URL_)));
    assert.equal(calls(), 1);
    const bodies = await Promise.all(responses.map((r) => r.text()));
    assert.deepEqual(new Set(bodies), new Set(["the one body"]));
    const statuses = responses.map(statusOf);
    assert.equal(statuses.filter((s) => s === "MISS").length, 1);
    assert.equal(statuses.filter((s) => s === "COLLAPSED").length, 49);
    const follower = responses[statuses.indexOf("COLLAPSED")];
    assert.match(follower.headers.get("cache-status"), /^edgecache; fwd=uri-miss; collapsed; ttl=\d+$/);
    assert.equal(follower.headers.get("content-length"), String("the one body".length));
  });

  it("HEAD follows a GET's flight; Authorization and Range requests never wait", async () => {
    const { fetcher, requests } = origin(() => cacheable("shared"), { delayMs: 50 });
    const rc = new ResponseCache(EdgeCache.memory(), { fetcher });
    const [get, head, auth, range] = await Promise.all([
      rc.fetch(URL_),
      rc.fetch(new Request(URL_, { method: "HEAD" })),
      rc.fetch(new Request(URL_, { headers: { authorization: "Bearer x" } })),
      rc.fetch(new Request(URL_, { headers: { range: "bytes=0-1" } })),
    ]);
    assert.deepEqual([statusOf(get), statusOf(head)], ["MISS", "COLLAPSED"]);
    assert.equal(await head.text(), "");
    assert.notEqual(statusOf(auth), "COLLAPSED");
    assert.notEqual(statusOf(range), "COLLAPSED");
    assert.equal(requests.length, 3, "GET, and the Authorization and Range requests on their own");
  });

  it("an uncacheable response releases every follower at once, then the key is hit-for-pass", async () => {
    const { fetcher, calls } = origin(() => new Response("private", { headers: { "cache-control": "no-store" } }), { delayMs: 100 });
    const rc = new ResponseCache(EdgeCache.memory(), { fetcher });
    let started = performance.now();
    const first = await Promise.all(Array.from({ length: 10 }, () => rc.fetch(URL_)));
    let elapsed = performance.now() - started;
    assert.equal(calls(), 10, "each follower fetched on its own");
    assert.ok(first.every((r) => statusOf(r) === "BYPASS"));
    assert.ok(elapsed < 2.5 * 100, `one queueing delay at most: ${elapsed.toFixed(0)} ms`);
    assert.match(first[0].headers.get("cache-status"), /detail=no-store/);
    // Hit-for-pass: nobody queues now.
    started = performance.now();
    await Promise.all(Array.from({ length: 10 }, () => rc.fetch(URL_)));
    elapsed = performance.now() - started;
    assert.equal(calls(), 20);
    assert.ok(elapsed < 1.8 * 100, `no queueing at all: ${elapsed.toFixed(0)} ms`);
  });

  it("followers of a leader whose origin stalls fetch on their own after collapseTimeoutMs", async () => {
    const { fetcher, calls } = origin(async (request, n) => {
      if (n === 1) await sleep(2_000);
      return cacheable(`answer ${n}`);
    });
    const rc = new ResponseCache(EdgeCache.memory(), { fetcher, collapseTimeoutMs: 100 });
    const leader = rc.fetch(URL_);
    await sleep(10);
    const started = performance.now();
    const followers = await Promise.all(Array.from({ length: 5 }, () => rc.fetch(URL_)));
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 90 && elapsed < 1_000, `followers waited about the timeout: ${elapsed.toFixed(0)} ms`);
    assert.ok(followers.every((r) => statusOf(r) === "MISS"));
    assert.equal(calls(), 6);
    assert.equal(await (await leader).text(), "answer 1");
  });

  it("a leader whose request is aborted (client gone) releases its followers; none hangs", async () => {
    const { fetcher, calls } = origin(async (request, n) => {
      if (n === 1) throw new DOMException("The operation was aborted.", "AbortError");
      return cacheable(`answer ${n}`);
    }, { delayMs: 50 });
    const rc = new ResponseCache(EdgeCache.memory(), { fetcher });
    const [leader, ...followers] = await Promise.all(Array.from({ length: 4 }, () => rc.fetch(URL_)));
    assert.equal(leader.status, 502);
    assert.ok(followers.every((r) => r.status === 200), followers.map((r) => r.status).join());
    assert.ok(calls() >= 2);
  });

  it("read-your-writes: a request right after a miss is served from the stored (or storing) response", async () => {
    const { fetcher, calls } = origin(() => cacheable("stored"));
    const rc = new ResponseCache(EdgeCache.memory(), { fetcher });
    const first = await rc.fetch(URL_);
    const second = await rc.fetch(URL_);
    assert.equal(statusOf(first), "MISS");
    assert.ok(["HIT", "COLLAPSED"].includes(statusOf(second)), statusOf(second));
    assert.equal(await second.text(), "stored");
    assert.equal(calls(), 1);
    assert.equal(await (await rc.match(URL_)).text(), "stored", "match sees it too");
  });

  it("a body over maxBodyBytes streams to the leader whole, is not stored, and releases followers", async () => {
    const big = "x".repeat(64 * 1024);
    const { fetcher, calls } = origin(() => cacheable(big), { delayMs: 30 });
    const rc = new ResponseCache(EdgeCache.memory(), { fetcher, maxBodyBytes: 1024 });
    const responses = await Promise.all(Array.from({ length: 3 }, () => rc.fetch(URL_)));
    for (const response of responses) assert.equal((await response.text()).length, big.length);
    await sleep(10);
    assert.equal(statusOf(await rc.fetch(URL_)), "MISS", "not stored");
    assert.ok(calls() >= 4);
  });

  it("collapseTimeoutMs: 0 turns collapsing off", async () => {
    const { fetcher, calls } = origin(() => cacheable(), { delayMs: 30 });
    const rc = new ResponseCache(EdgeCache.memory(), { fetcher, collapseTimeoutMs: 0 });
    await Promise.all(Array.from({ length: 5 }, () => rc.fetch(URL_)));
    assert.equal(calls(), 5);
  });
});

describe("ResponseCache: what the origin sends never makes fetch reject (issue 13 defects)", () => {
  it("1. Expires in 2286: stored with the store's longest TTL and served", async () => {
    const { fetcher, calls } = origin(() => new Response("far", { headers: { expires: "Sun, 21 Nov 2286 04:46:39 GMT" } }));
    const rc = new ResponseCache(EdgeCache.memory(), { fetcher });
    assert.equal(statusOf(await rc.fetch(URL_)), "MISS");
    await sleep(5);
    assert.equal(statusOf(await rc.fetch(URL_)), "HIT");
    assert.equal(calls(), 1);
  });

  it("2. max-age beyond 2^31 is 2^31 (RFC 9111 §1.2.2): stored and reused", async () => {
    for (const field of ["cache-control", "cdn-cache-control"]) {
      for (const value of ["2147483648", "2147483649", "99999999999"]) {
        const { fetcher, calls } = origin(() => new Response("long", { headers: { [field]: `max-age=${value}` } }));
        const rc = new ResponseCache(EdgeCache.memory(), { fetcher });
        await rc.fetch(URL_);
        await sleep(2);
        const second = await rc.fetch(URL_);
        assert.equal(statusOf(second), "HIT", `${field}: max-age=${value}`);
        assert.equal(calls(), 1);
      }
    }
  });

  it("3. a status outside 200-599 is a 502 with a clear body, not a RangeError", async () => {
    const reported = [];
    const { fetcher } = origin(() => oddStatus(999));
    const rc = new ResponseCache(EdgeCache.memory(), { fetcher, onError: (e) => reported.push(e) });
    const response = await rc.fetch(URL_);
    assert.equal(response.status, 502);
    assert.match(await response.text(), /status 999/);
    assert.equal(statusOf(response), "ERROR");
    assert.match(response.headers.get("cache-status"), /detail=origin-status/);
    assert.equal(reported.length, 1);
  });

  it("4. a 304 without ETag answering our revalidation freshens the stored response", async () => {
    const { fetcher, requests } = origin((request, n) => {
      if (n === 1) return new Response("v1", { headers: { "cache-control": "max-age=0, must-revalidate", etag: '"v1"' } });
      return new Response(null, { status: 304, headers: { "cache-control": "max-age=60" } });
    });
    const rc = new ResponseCache(EdgeCache.memory(), { fetcher });
    await rc.fetch(URL_);
    await sleep(5);
    const second = await rc.fetch(URL_);
    assert.deepEqual([second.status, statusOf(second), await second.text()], [200, "REVALIDATED", "v1"]);
    assert.equal(requests[1].headers.get("if-none-match"), '"v1"');
    assert.equal(requests.length, 2, "no unconditional refetch");
    assert.match(second.headers.get("cache-status"), /fwd=stale; fwd-status=304; stored/);
    assert.equal(statusOf(await rc.fetch(URL_)), "HIT");
  });

  it("5. Content-Length is served from the store (and a 304's is ignored)", async () => {
    const { fetcher } = origin((request, n) =>
      n === 1
        ? new Response("12345", { headers: { "cache-control": "max-age=0", etag: '"a"' } })
        : new Response(null, { status: 304, headers: { "cache-control": "max-age=60", etag: '"a"', "content-length": "0" } }),
    );
    const rc = new ResponseCache(EdgeCache.memory(), { fetcher });
    await rc.fetch(URL_);
    await sleep(5);
    const revalidated = await rc.fetch(URL_);
    assert.equal(revalidated.headers.get("content-length"), "5");
    const hit = await rc.fetch(URL_);
    assert.deepEqual([statusOf(hit), hit.headers.get("content-length"), await hit.text()], ["HIT", "5", "12345"]);
    const head = await rc.fetch(new Request(URL_, { method: "HEAD" }));
    assert.equal(head.headers.get("content-length"), "5");
  });

  it("8. Vary: Accept-Language: the same languages in another order, or the same first choice of the stored Content-Language, is the same variant", async () => {
    const { fetcher, requests } = origin((request) => {
      const first = (request.headers.get("accept-language") ?? "en").split(",")[0].split(";")[0].trim();
      return new Response(`in ${first}`, { headers: { "cache-control": "max-age=60", vary: "Accept-Language", "content-language": first } });
    });
    const rc = new ResponseCache(EdgeCache.memory(), { fetcher });
    const ask = async (languages) => {
      const response = await rc.fetch(new Request(URL_, { headers: { "accept-language": languages } }));
      await sleep(2);
      return [statusOf(response), await response.text()];
    };
    assert.deepEqual(await ask("en-US,fr;q=0.5"), ["MISS", "in en-US"]);
    assert.deepEqual(await ask("fr;q=0.5, en-us"), ["HIT", "in en-US"], "order and case");
    assert.deepEqual(await ask("en-US;q=0.9, de;q=0.1"), ["HIT", "in en-US"], "same first choice, which the stored response is in");
    assert.deepEqual(await ask("de, en-US;q=0.5"), ["MISS", "in de"], "a second choice never selects");
    assert.deepEqual(await ask("de;q=0.8"), ["HIT", "in de"]);
    assert.equal(requests.length, 2);
  });

  it("10. a dropped origin connection is a 502 with a short body (no stack), or the stale response within stale-if-error", async () => {
    const lost = new Error("Network connection lost.");
    const reported = [];
    const { fetcher } = origin((request, n) => {
      if (n === 1) return new Response("kept", { headers: { "cache-control": "max-age=0, stale-if-error=60", etag: '"k"' } });
      throw lost;
    });
    const rc = new ResponseCache(EdgeCache.memory(), { fetcher, onError: (e) => reported.push(e) });
    await rc.fetch(URL_);
    await sleep(5);
    const stale = await rc.fetch(URL_);
    assert.deepEqual([stale.status, statusOf(stale), await stale.text()], [200, "STALE", "kept"]);
    assert.match(stale.headers.get("cache-status"), /fwd=stale; ttl=-\d+; detail=stale-if-error/);
    const miss = await rc.fetch("https://origin.example/other");
    assert.equal(miss.status, 502);
    const text = await miss.text();
    assert.match(text, /could not be reached/);
    assert.doesNotMatch(text, /at |Network connection lost/, "no stack, no internals");
    assert.deepEqual(reported, [lost, lost]);
  });
});

describe("ResponseCache: staleIfErrorMs, a default stale-if-error window", () => {
  it("serves a stale response for a failed origin when the response says nothing, never past must-revalidate", async () => {
    const { fetcher } = origin((request, n) => {
      if (n <= 2) {
        const cc = request.url.endsWith("/strict") ? "max-age=0, must-revalidate" : "max-age=0";
        return new Response("kept", { headers: { "cache-control": cc, etag: '"k"' } });
      }
      throw new Error("Network connection lost.");
    });
    const rc = new ResponseCache(EdgeCache.memory(), { fetcher, staleIfErrorMs: 60_000 });
    await rc.fetch(URL_);
    await rc.fetch("https://origin.example/strict");
    await sleep(5);
    const stale = await rc.fetch(URL_);
    assert.deepEqual([stale.status, statusOf(stale), await stale.text()], [200, "STALE", "kept"]);
    assert.equal((await rc.fetch("https://origin.example/strict")).status, 502);
    // Off by default: the same stored response, no option, is not served.
    const { fetcher: once } = origin((request, n) => {
      if (n === 1) return new Response("kept", { headers: { "cache-control": "max-age=0", etag: '"k"' } });
      throw new Error("Network connection lost.");
    });
    const plain = new ResponseCache(EdgeCache.memory(), { fetcher: once });
    await plain.fetch(URL_);
    await sleep(5);
    assert.equal((await plain.fetch(URL_)).status, 502, "off by default");
  });
});

describe("ResponseCache: byte ranges from a stored response (RFC 9110 §14)", () => {
  const body = "0123456789";
  async function primed() {
    const { fetcher, requests } = origin(() => new Response(body, { headers: { "cache-control": "max-age=60", etag: '"r"' } }));
    const rc = new ResponseCache(EdgeCache.memory(), { fetcher });
    await rc.fetch(URL_);
    await sleep(5);
    return { rc, requests };
  }
  const ranged = (range, extra = {}) => new Request(URL_, { headers: { range, ...extra } });

  it("single, open-ended and suffix ranges are 206 with Content-Range; 416 when unsatisfiable", async () => {
    const { rc, requests } = await primed();
    const rows = [
      ["bytes=0-3", 206, "0123", "bytes 0-3/10"],
      ["bytes=7-", 206, "789", "bytes 7-9/10"],
      ["bytes=-2", 206, "89", "bytes 8-9/10"],
      ["bytes=5-100", 206, "56789", "bytes 5-9/10"],
      ["bytes=10-", 416, "", "bytes */10"],
      ["bytes=9-3", 200, body, null],
      ["lines=1-2", 200, body, null],
    ];
    for (const [range, status, text, contentRange] of rows) {
      const response = await rc.fetch(ranged(range));
      assert.deepEqual(
        [response.status, await response.text(), response.headers.get("content-range")],
        [status, text, contentRange],
        range,
      );
      if (status === 206) assert.equal(response.headers.get("content-length"), String(text.length), range);
    }
    assert.equal(requests.length, 1, "every range came from the store");
  });

  it("If-Range: a matching strong ETag gets the range, another the whole response", async () => {
    const { rc } = await primed();
    assert.equal((await rc.fetch(ranged("bytes=0-1", { "if-range": '"r"' }))).status, 206);
    assert.equal((await rc.fetch(ranged("bytes=0-1", { "if-range": '"other"' }))).status, 200);
  });

  it("several ranges go to the origin; a 206 from the origin is never stored", async () => {
    const { fetcher, requests } = origin((request) =>
      request.headers.has("range")
        ? new Response("01", { status: 206, headers: { "content-range": "bytes 0-1/10", "cache-control": "max-age=60" } })
        : cacheable(body),
    );
    const rc = new ResponseCache(EdgeCache.memory(), { fetcher });
    const partial = await rc.fetch(ranged("bytes=0-1"));
    assert.equal(partial.status, 206);
    const full = await rc.fetch(URL_);
    assert.deepEqual([full.status, statusOf(full), await full.text()], [200, "MISS", body], "the 206 was not stored as the whole");
    await sleep(5);
    const multi = await rc.fetch(ranged("bytes=0-1,4-5"));
    assert.equal(multi.status, 206);
    assert.equal(requests.at(-1).headers.get("range"), "bytes=0-1,4-5", "forwarded as it came");
  });
});

describe("ResponseCache: Cache-Status (RFC 9211)", () => {
  it("appends our member to the origin's list and keeps x-edgecache", async () => {
    const { fetcher } = origin(() => cacheable("b", { "cache-status": "upstream; hit" }));
    const rc = new ResponseCache(EdgeCache.memory(), { fetcher });
    const miss = await rc.fetch(URL_);
    assert.equal(miss.headers.get("cache-status"), "upstream; hit, edgecache; fwd=uri-miss; fwd-status=200; stored");
    await sleep(5);
    const hit = await rc.fetch(URL_);
    assert.match(hit.headers.get("cache-status"), /^upstream; hit, edgecache; hit; ttl=(59|60)$/);
    const post = await rc.fetch(new Request(URL_, { method: "POST", body: "x" }));
    assert.match(post.headers.get("cache-status"), /edgecache; fwd=method; fwd-status=200$/);
    assert.equal(statusOf(post), "BYPASS");
  });
});

describe("ResponseCache: timeoutMs, a deadline for the origin", () => {
  // An origin that never answers unless its request's signal aborts (then it
  // rejects, as fetch does); `ignoreAbort` makes it hang regardless.
  function stalled({ ignoreAbort = false } = {}) {
    const seen = [];
    const fetcher = (request) => {
      seen.push(request);
      return new Promise((_, reject) => {
        if (!ignoreAbort) request.signal.addEventListener("abort", () => reject(request.signal.reason), { once: true });
      });
    };
    return { fetcher, seen };
  }

  it("a stalled origin is aborted at the deadline and answered with a 504; the error reaches onError", async () => {
    const { fetcher, seen } = stalled();
    const errors = [];
    const rc = new ResponseCache(EdgeCache.memory(), { fetcher, timeoutMs: 100, onError: (error) => errors.push(error) });
    const started = Date.now();
    const response = await rc.fetch(URL_);
    assert.ok(Date.now() - started < 5_000);
    assert.equal(response.status, 504);
    assert.equal(statusOf(response), "ERROR");
    assert.match(response.headers.get("cache-status"), /detail=origin-timeout/);
    assert.equal(response.headers.get("cache-control"), "no-store");
    assert.equal(await response.text(), "Gateway Timeout: the origin did not answer within 100 ms.\n");
    assert.equal(seen.length, 1);
    assert.equal(seen[0].signal.aborted, true);
    assert.equal(errors.length, 1);
    assert.equal(errors[0].message, "no response from the origin within 100 ms");
  });

  it("an origin that ignores the abort still gets a 504 at the deadline", async () => {
    const { fetcher } = stalled({ ignoreAbort: true });
    const rc = new ResponseCache(EdgeCache.memory(), { fetcher, timeoutMs: 50 });
    assert.equal((await rc.fetch(URL_)).status, 504);
  });

  it("serves the stored response within stale-if-error when revalidation stalls", async () => {
    let stall = false;
    const fetcher = (request) =>
      stall
        ? new Promise((_, reject) => request.signal.addEventListener("abort", () => reject(request.signal.reason)))
        : Promise.resolve(new Response("kept", { headers: { "cache-control": "max-age=0, stale-if-error=60", etag: '"k"' } }));
    const rc = new ResponseCache(EdgeCache.memory(), { fetcher, timeoutMs: 100 });
    assert.equal((await rc.fetch(URL_)).status, 200);
    await sleep(5); // let the write land
    stall = true;
    const stale = await rc.fetch(URL_);
    assert.equal(stale.status, 200);
    assert.equal(statusOf(stale), "STALE");
    assert.match(stale.headers.get("cache-status"), /detail=stale-if-error/);
    assert.equal(await stale.text(), "kept");
  });

  it("a stale response without stale-if-error is not served: 504", async () => {
    let stall = false;
    const fetcher = (request) =>
      stall
        ? new Promise((_, reject) => request.signal.addEventListener("abort", () => reject(request.signal.reason)))
        : Promise.resolve(new Response("kept", { headers: { "cache-control": "max-age=0", etag: '"k"' } }));
    const rc = new ResponseCache(EdgeCache.memory(), { fetcher, timeoutMs: 100 });
    await rc.fetch(URL_);
    await sleep(5);
    stall = true;
    assert.equal((await rc.fetch(URL_)).status, 504);
  });

  it("an origin that answers in time is relayed as usual, and unsafe methods keep their body", async () => {
    const { fetcher, requests } = origin(async (request) => new Response(request.method === "POST" ? await request.text() : "ok", { headers: { "cache-control": "max-age=60" } }), { delayMs: 10 });
    const rc = new ResponseCache(EdgeCache.memory(), { fetcher, timeoutMs: 2_000 });
    const first = await rc.fetch(URL_);
    assert.equal(statusOf(first), "MISS");
    assert.equal(await first.text(), "ok");
    const posted = await rc.fetch(new Request(URL_, { method: "POST", body: "payload" }));
    assert.equal(await posted.text(), "payload");
    assert.equal(requests.length, 2);
  });

  it("is off by default, and must be an integer from 0 to 600000", () => {
    for (const bad of [-1, 1.5, "100", 600_001, Number.NaN]) {
      assert.throws(() => new ResponseCache(EdgeCache.memory(), { timeoutMs: bad }), {
        code: "EDGECACHE_INVALID_OPTIONS",
        message: "timeoutMs must be an integer from 0 to 600000",
      });
    }
    new ResponseCache(EdgeCache.memory(), { timeoutMs: 0 });
  });
});
