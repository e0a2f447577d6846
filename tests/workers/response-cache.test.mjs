// ResponseCache in Cloudflare Workers under concurrency and a misbehaving
// origin (issue 13): examples/caching-proxy/worker.js, from the packed
// package, bundled like wrangler and run in Miniflare 4 with its KV + memory
// tier, in front of a local node:http origin (see harness.mjs).
//
// 1. Request collapsing: 50 concurrent cold misses cost one origin fetch; an
//    uncacheable response releases its followers at once and marks the key
//    hit-for-pass; a stalled leader lets its followers go after the timeout;
//    a leader whose client hangs up still answers its followers.
// 2. The ten origin defects of the external conformance suite, one test each.
// 3. A mixed load (3,000 requests, 48 at a time, ~17 origin behaviours):
//    no 500, no stack trace, no wrong or other user's content.
// 4. timeoutMs: a stalled origin is answered 504, or STALE within
//    stale-if-error, at the deadline.
// 5. Before/after: origin fetches for 50 concurrent misses with the previous
//    release's package (EDGECACHE_BASELINE_PKG, else this one with collapsing
//    off) and with this one.
//
// Figures for the closing note are printed as test diagnostics.
//
// Run: node --test --test-concurrency=1 tests/workers/   (after scripts/build.sh)

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { DROP, bundleWorkers, root, send, startMiniflare, startOrigin, waitForPkg, workerOptions } from "./harness.mjs";

const EXAMPLE = join(root, "examples/caching-proxy/worker.js");
// A pkg/ built at BASELINE_COMMIT, to measure the release before request
// collapsing (`EDGECACHE_BASELINE_PKG=/path/to/pkg`); without it the "before"
// figure is this package with collapsing turned off.
const BASELINE_PKG = process.env.EDGECACHE_BASELINE_PKG;
const BASELINE_COMMIT = "32efd30";

/** The example with one more ResponseCache option (the same code otherwise). */
function exampleWith(option) {
  const source = readFileSync(EXAMPLE, "utf8");
  const anchor = "fetcher: (req) => fetch(upstream(req, env.ORIGIN)),";
  assert.ok(source.includes(anchor), `examples/caching-proxy/worker.js no longer contains ${anchor}`);
  return { text: source.replace(anchor, `${anchor}\n        ${option},`) };
}

await waitForPkg();
const scripts = await bundleWorkers("response-cache", {
  "proxy-worker.js": EXAMPLE,
  "short-collapse-worker.js": exampleWith("collapseTimeoutMs: 500"),
  "no-collapse-worker.js": exampleWith("collapseTimeoutMs: 0"),
  "timeout-worker.js": exampleWith("timeoutMs: 300"),
});

// The previous release's package with the example as it was then (the
// current example passes `onError`, which that release rejects).
let baseline;
try {
  if (BASELINE_PKG === undefined) throw new Error("EDGECACHE_BASELINE_PKG is not set");
  if (!existsSync(join(BASELINE_PKG, "package.json"))) throw new Error(`${BASELINE_PKG} is missing`);
  const text = execFileSync("git", ["show", `${BASELINE_COMMIT}:examples/caching-proxy/worker.js`], { cwd: root, encoding: "utf8" });
  baseline = { script: (await bundleWorkers("response-cache-baseline", { "proxy-worker.js": { text } }, { pkg: BASELINE_PKG }))["proxy-worker.js"] };
} catch (error) {
  baseline = { error };
}

const median = (values) => {
  const sorted = values.toSorted((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const ms = (value) => `${Math.round(value)} ms`;
/** A stack trace line ("at f (file:1:2)") or our error class in a body. */
const STACK = /at .*\(/;
const leaksError = (body) => STACK.test(body) || body.includes("EdgeCacheError");

/** `count` concurrent GETs of `path`; resolves to the responses and the wall time. */
async function wave(entry, path, count, options) {
  const started = performance.now();
  const responses = await Promise.all(Array.from({ length: count }, () => send(entry, path, options)));
  return { responses, wallMs: performance.now() - started };
}

const tally = (values) => values.reduce((counts, v) => ({ ...counts, [v]: (counts[v] ?? 0) + 1 }), {});

// A Miniflare running `script` in front of `origin`, as the example is deployed.
function proxy(script, origin) {
  const state = {};
  before(async () => {
    state.mf = await startMiniflare(workerOptions(script, { kvNamespaces: ["CACHE"], bindings: { ORIGIN: origin().url } }));
    state.entry = await state.mf.ready;
  });
  after(() => state.mf?.dispose());
  return state;
}

let origin;
before(async () => {
  origin = await startOrigin();
});
after(() => origin?.close());

const DELAY = 300;
/** An origin route answering after `delay` ms. */
const slow = (delay, answer) => async (request) => {
  await sleep(delay);
  return answer(request);
};

describe("request collapsing in the caching-proxy example (Miniflare, KV + memory tier)", () => {
  const worker = proxy(scripts["proxy-worker.js"], () => origin);

  test("50 concurrent requests for a cold URL cost one origin fetch: 1 MISS + 49 COLLAPSED, 50 identical bodies", async (t) => {
    origin.route("/collapse/cold", slow(DELAY, ({ n }) => ({ headers: { "cache-control": "max-age=60" }, body: `cold body #${n}` })));
    const { responses, wallMs } = await wave(worker.entry, "/collapse/cold", 50);
    assert.equal(origin.hits("/collapse/cold"), 1, "one origin fetch");
    assert.deepEqual(responses.map((r) => [r.status, r.body]), Array(50).fill([200, "cold body #1"]));
    assert.deepEqual(tally(responses.map((r) => r.cache)), { MISS: 1, COLLAPSED: 49 });
    for (const r of responses.filter((r) => r.cache === "COLLAPSED")) {
      assert.match(r.headers.get("cache-status") ?? "", /edgecache; fwd=uri-miss; collapsed; ttl=\d+$/);
    }
    const leader = responses.find((r) => r.cache === "MISS");
    const followers = responses.filter((r) => r.cache === "COLLAPSED").map((r) => r.ms);
    const figure =
      `collapsing, 50 concurrent cold requests, origin delay ${DELAY} ms: leader ${ms(leader.ms)}; ` +
      `collapsed followers median ${ms(median(followers))} (min ${ms(Math.min(...followers))}, max ${ms(Math.max(...followers))}); wall ${ms(wallMs)}; origin fetches 1`;
    t.diagnostic(figure);
    console.log(`# ${figure}`);
    assert.ok(Math.max(...followers) < DELAY + 2_000, "followers were answered with the leader, not after a timeout");
    const again = await send(worker.entry, "/collapse/cold");
    assert.deepEqual([again.cache, again.body], ["HIT", "cold body #1"]);
  });

  test("an uncacheable (no-store) response releases its 19 followers at once, and hit-for-pass keeps the next wave from queueing", async (t) => {
    const arrivals = new Map(); // path → origin arrival times
    const noStore = (path) =>
      origin.route(path, async ({ n }) => {
        arrivals.set(path, [...(arrivals.get(path) ?? []), performance.now()]);
        await sleep(DELAY);
        return { headers: { "cache-control": "no-store" }, body: `${path} #${n}` };
      });
    noStore("/collapse/no-store-single");
    noStore("/collapse/no-store");
    const single = await send(worker.entry, "/collapse/no-store-single");
    assert.equal(single.status, 200);

    const first = await wave(worker.entry, "/collapse/no-store", 20);
    assert.ok(first.responses.every((r) => r.status === 200 && r.cache === "BYPASS"), JSON.stringify(tally(first.responses.map((r) => `${r.status} ${r.cache}`))));
    assert.equal(new Set(first.responses.map((r) => r.body)).size, 20, "each request got its own origin response");
    assert.equal(origin.hits("/collapse/no-store"), 20);
    // The leader's answer comes after one origin delay, the released
    // followers' after a second: never a queue of 20 fetches one after another.
    assert.ok(first.wallMs <= single.ms + DELAY + 400, `first wave took ${ms(first.wallMs)}; a single request ${ms(single.ms)}`);

    const arrivedBefore = arrivals.get("/collapse/no-store").length;
    const second = await wave(worker.entry, "/collapse/no-store", 20);
    assert.ok(second.responses.every((r) => r.status === 200 && r.cache === "BYPASS"));
    assert.equal(origin.hits("/collapse/no-store"), 40);
    const secondArrivals = arrivals.get("/collapse/no-store").slice(arrivedBefore);
    const spread = Math.max(...secondArrivals) - Math.min(...secondArrivals);
    const figure =
      `no-store, 20 concurrent, origin delay ${DELAY} ms: single request ${ms(single.ms)}; first wave ${ms(first.wallMs)} (leader + released followers); ` +
      `second wave (hit-for-pass) ${ms(second.wallMs)}, its 20 origin requests arrived within ${ms(spread)}`;
    t.diagnostic(figure);
    console.log(`# ${figure}`);
    assert.ok(spread < DELAY / 2, `hit-for-pass: the second wave went to the origin together (spread ${ms(spread)})`);
    assert.ok(second.wallMs <= single.ms + 400, `hit-for-pass: the second wave took ${ms(second.wallMs)}, a single request ${ms(single.ms)}`);
  });

  test("a leader whose client disconnects right after sending still answers its followers (its fetch runs under waitUntil)", async (t) => {
    const path = "/collapse/abandoned";
    origin.route(path, slow(500, ({ n }) => ({ headers: { "cache-control": "max-age=60" }, body: `abandoned body #${n}` })));
    const leader = http.request(worker.entry, { method: "GET", path, agent: false, headers: { host: "proxy.test" } });
    leader.on("error", () => {});
    leader.on("finish", () => setTimeout(() => leader.destroy(), 20));
    leader.end();
    await sleep(100); // the leader's flight is in the air
    const FOLLOWERS = 10;
    const settled = await Promise.allSettled(Array.from({ length: FOLLOWERS }, () => send(worker.entry, path, { timeoutMs: 8_000 })));
    const failed = settled.filter((s) => s.status === "rejected").map((s) => s.reason.message);
    assert.deepEqual(failed, [], "no follower hung or failed");
    const followers = settled.map((s) => s.value);
    const hits = origin.hits(path);
    const figure =
      `leader disconnected: ${FOLLOWERS} followers ${JSON.stringify(tally(followers.map((r) => r.cache)))}, ` +
      `median ${ms(median(followers.map((r) => r.ms)))}, max ${ms(Math.max(...followers.map((r) => r.ms)))}; origin fetches ${hits}`;
    t.diagnostic(figure);
    console.log(`# ${figure}`);
    assert.ok(followers.every((r) => r.status === 200 && /^abandoned body #\d+$/.test(r.body)), JSON.stringify(followers.map((r) => [r.status, r.body])));
    assert.ok(hits <= 1 + FOLLOWERS, `origin fetches ${hits}`);
    assert.ok(
      Math.max(...followers.map((r) => r.ms)) < 4_000,
      "followers did not wait for the 5 s collapse timeout: the abandoned leader's work kept running",
    );
  });

  test("a leader stalled past the example's default 5 s timeout: its followers fetch on their own after ~5 s", async (t) => {
    const path = "/collapse/stall-default";
    origin.route(path, async ({ n }) => {
      if (n === 1) await sleep(6_500);
      return { headers: { "cache-control": "max-age=60" }, body: `stall body #${n}` };
    });
    const leader = send(worker.entry, path, { timeoutMs: 15_000 });
    await sleep(100);
    const { responses: followers } = await wave(worker.entry, path, 5, { timeoutMs: 12_000 });
    const led = await leader;
    const times = followers.map((r) => r.ms);
    const figure = `stalled leader (6.5 s), default timeout: followers answered after ${ms(Math.min(...times))}–${ms(Math.max(...times))}, leader after ${ms(led.ms)}; origin fetches ${origin.hits(path)}`;
    t.diagnostic(figure);
    console.log(`# ${figure}`);
    assert.ok(followers.every((r) => r.status === 200 && /^stall body #\d+$/.test(r.body)));
    assert.ok(Math.min(...times) >= 4_500 && Math.max(...times) < 6_300, `followers waited ~5 s, not for the leader: ${times.map(ms)}`);
    assert.deepEqual([led.status, led.body], [200, "stall body #1"]);
    assert.equal(origin.hits(path), 6);
  });
});

describe("a stalled leader with collapseTimeoutMs: 500 (the example with that option)", () => {
  const worker = proxy(scripts["short-collapse-worker.js"], () => origin);

  test("followers of a leader whose origin stalls 3 s fetch on their own after ~0.5 s", async (t) => {
    const path = "/collapse/stall-short";
    origin.route(path, async ({ n }) => {
      if (n === 1) await sleep(3_000);
      return { headers: { "cache-control": "max-age=60" }, body: `stall body #${n}` };
    });
    const leader = send(worker.entry, path, { timeoutMs: 10_000 });
    await sleep(100);
    const { responses: followers } = await wave(worker.entry, path, 10, { timeoutMs: 5_000 });
    const times = followers.map((r) => r.ms);
    const led = await leader;
    const figure = `stalled leader (3 s), collapseTimeoutMs 500: followers answered after ${ms(Math.min(...times))}–${ms(Math.max(...times))}, leader after ${ms(led.ms)}; origin fetches ${origin.hits(path)}`;
    t.diagnostic(figure);
    console.log(`# ${figure}`);
    assert.ok(followers.every((r) => r.status === 200 && /^stall body #\d+$/.test(r.body)), JSON.stringify(followers.map((r) => [r.status, r.body])));
    assert.ok(Math.min(...times) >= 450 && Math.max(...times) < 2_000, `followers waited ~0.5 s: ${times.map(ms)}`);
    assert.deepEqual([led.status, led.body], [200, "stall body #1"]);
    assert.equal(origin.hits(path), 11, "the leader's fetch and one per released follower");
  });
});

describe("an origin deadline: the example with timeoutMs: 300", () => {
  const worker = proxy(scripts["timeout-worker.js"], () => origin);

  test("an origin that stalls 3 s is aborted at 300 ms: 504 with a short body; with stale-if-error=60 stored it is STALE", async (t) => {
    origin.route("/timeout/stall", slow(3_000, () => ({ headers: { "cache-control": "max-age=60" }, body: "too late" })));
    const late = await send(worker.entry, "/timeout/stall", { timeoutMs: 5_000 });
    t.diagnostic(`stalled origin, timeoutMs 300: answered ${late.status} after ${ms(late.ms)}`);
    assert.deepEqual([late.status, late.cache], [504, "ERROR"]);
    assert.ok(late.ms < 2_000, `answered after ${ms(late.ms)}, not when the origin did`);
    assert.equal(late.body, "Gateway Timeout: the origin did not answer within 300 ms.\n");
    assert.match(late.headers.get("cache-status") ?? "", /detail=origin-timeout/);

    origin.route("/timeout/stale", async ({ n }) => {
      if (n > 1) await sleep(3_000);
      return { headers: { "cache-control": "max-age=0, stale-if-error=60" }, body: "kept for errors" };
    });
    assert.equal((await send(worker.entry, "/timeout/stale")).cache, "MISS");
    await sleep(50); // the write lands under waitUntil
    const stale = await send(worker.entry, "/timeout/stale", { timeoutMs: 5_000 });
    assert.deepEqual([stale.status, stale.cache, stale.body], [200, "STALE", "kept for errors"]);
    assert.ok(stale.ms < 2_000, `answered after ${ms(stale.ms)}`);
    assert.match(stale.headers.get("cache-status") ?? "", /detail=stale-if-error/);
  });

  test("an origin that answers within the deadline is relayed and stored as usual", async () => {
    origin.route("/timeout/quick", slow(50, ({ n }) => ({ headers: { "cache-control": "max-age=60" }, body: `quick #${n}` })));
    const first = await send(worker.entry, "/timeout/quick");
    assert.deepEqual([first.status, first.cache, first.body], [200, "MISS", "quick #1"]);
    await sleep(50);
    const second = await send(worker.entry, "/timeout/quick");
    assert.deepEqual([second.cache, second.body], ["HIT", "quick #1"]);
  });
});

describe("the ten origin defects of the conformance suite, through the caching-proxy example", () => {
  const worker = proxy(scripts["proxy-worker.js"], () => origin);
  const get = (path, headers) => send(worker.entry, path, { headers });
  const stores = async (path) => {
    const first = await get(path);
    assert.deepEqual([first.status, first.cache], [200, "MISS"], `${path}: ${first.status} ${first.body}`);
    const second = await get(path);
    assert.deepEqual([second.status, second.cache, second.body], [200, "HIT", first.body], `${path} is stored`);
    assert.equal(origin.hits(path), 1, path);
    return second;
  };

  // These rows caught KV's expirationTtl above the binding's int32 range
  // (a TTL of 2^31 s or more made the put throw; fixed in 3d966fa).
  test("Expires: Sun, 21 Nov 2286 04:46:39 GMT is stored with a clamped TTL, not a 500", async () => {
    origin.route("/defect/expires-2286", ({ n }) => ({ headers: { expires: "Sun, 21 Nov 2286 04:46:39 GMT" }, body: `#${n}`, date: true }));
    await stores("/defect/expires-2286");
  });

  for (const field of ["cache-control", "cdn-cache-control"]) {
    for (const value of ["2147483648", "2147483649", "99999999999"]) {
      test(`${field === "cache-control" ? "Cache-Control" : "CDN-Cache-Control"}: max-age=${value} (above 2^31) is 2^31 and stored`, async () => {
        const path = `/defect/max-age-${field}-${value}`;
        origin.route(path, ({ n }) => ({ headers: { [field]: `max-age=${value}` }, body: `#${n}` }));
        const hit = await stores(path);
        const ttl = /ttl=(-?\d+)/.exec(hit.headers.get("cache-status") ?? "")?.[1];
        assert.ok(ttl !== undefined && Number(ttl) > 2 ** 31 - 10 && Number(ttl) <= 2 ** 31, `Cache-Status ${hit.headers.get("cache-status")}`);
      });
    }
  }

  test("origin status 999 is answered 502 with a short text body, never a 500 or an exception", async () => {
    origin.route("/defect/status-999", () => ({ status: 999, body: "nine nine nine" }));
    for (let i = 0; i < 2; i++) {
      const r = await get("/defect/status-999");
      assert.deepEqual([r.status, r.cache], [502, "ERROR"], r.body);
      assert.ok(r.body.length > 0 && r.body.length < 200 && !leaksError(r.body), JSON.stringify(r.body));
      assert.match(r.body, /Bad Gateway/);
      assert.match(r.headers.get("cache-status") ?? "", /edgecache; fwd=uri-miss.*detail=origin-/);
    }
    assert.equal(origin.hits("/defect/status-999"), 2);
  });

  test("a 304 without ETag answering our revalidation freshens the stored response (REVALIDATED; origin asked twice, not three times)", async () => {
    origin.route("/defect/304-no-etag", ({ n, headers }) => {
      if (n === 1) return { headers: { "cache-control": "max-age=0", etag: '"n1"' }, body: "stored before the 304" };
      if (headers["if-none-match"] === '"n1"') return { status: 304, headers: { "cache-control": "max-age=60" } };
      return { headers: { "cache-control": "max-age=60" }, body: `unconditional #${n}` };
    });
    const lastModified = new Date(Date.now() - 3_600_000).toUTCString();
    origin.route("/defect/304-no-validator", ({ n, headers }) => {
      if (n === 1) return { headers: { "cache-control": "max-age=0", "last-modified": lastModified }, body: "stored before the 304" };
      if (headers["if-modified-since"] === lastModified) return { status: 304, headers: { "cache-control": "max-age=60" } };
      return { headers: { "cache-control": "max-age=60" }, body: `unconditional #${n}` };
    });
    for (const path of ["/defect/304-no-etag", "/defect/304-no-validator"]) {
      assert.equal((await get(path)).cache, "MISS");
      const second = await get(path);
      assert.deepEqual([second.status, second.cache, second.body], [200, "REVALIDATED", "stored before the 304"], path);
      const third = await get(path);
      assert.deepEqual([third.cache, third.body], ["HIT", "stored before the 304"], `${path}: the 304's max-age=60 freshened it`);
      assert.equal(origin.hits(path), 2, path);
    }
  });

  test("Content-Length is present on a HIT (and a HEAD HIT) and equals the body's length", async () => {
    const body = "0123456789 édition ".repeat(7);
    origin.route("/defect/content-length", () => ({ headers: { "cache-control": "max-age=60" }, body }));
    await stores("/defect/content-length");
    const hit = await get("/defect/content-length");
    assert.equal(hit.headers.get("content-length"), String(Buffer.byteLength(body)));
    assert.equal(hit.bytes.length, Buffer.byteLength(body));
    const head = await send(worker.entry, "/defect/content-length", { method: "HEAD" });
    assert.deepEqual([head.cache, head.headers.get("content-length"), head.body], ["HIT", String(Buffer.byteLength(body)), ""]);
  });

  test("Expires: Thu Aug  8 02:01:18 2050 (asctime, wrong day name) is accepted: second request HIT", async () => {
    origin.route("/defect/expires-asctime", ({ n }) => ({ headers: { expires: "Thu Aug  8 02:01:18 2050" }, body: `#${n}`, date: true }));
    await stores("/defect/expires-asctime");
  });

  test('CDN-Cache-Control: max-age="10000" (a string, invalid) with Cache-Control: no-store is not stored', async () => {
    origin.route("/defect/cdn-string", ({ n }) => ({ headers: { "cache-control": "no-store", "cdn-cache-control": 'max-age="10000"' }, body: `#${n}` }));
    const seen = [];
    for (let i = 0; i < 3; i++) {
      const r = await get("/defect/cdn-string");
      assert.notEqual(r.cache, "HIT");
      seen.push(r.body);
    }
    assert.deepEqual(seen, ["#1", "#2", "#3"]);
    assert.equal(origin.hits("/defect/cdn-string"), 3);
  });

  test("Vary: Accept-Language: en-US,fr;q=0.5 then fr;q=0.5, en-us is the same variant (HIT)", async () => {
    origin.route("/defect/vary-language", ({ n, headers }) => ({
      headers: { "cache-control": "max-age=60", vary: "Accept-Language" },
      body: `lang=${headers["accept-language"]} #${n}`,
    }));
    const first = await get("/defect/vary-language", { "accept-language": "en-US,fr;q=0.5" });
    assert.deepEqual([first.cache, first.body], ["MISS", "lang=en-US,fr;q=0.5 #1"]);
    const second = await get("/defect/vary-language", { "accept-language": "fr;q=0.5, en-us" });
    assert.deepEqual([second.cache, second.body], ["HIT", "lang=en-US,fr;q=0.5 #1"]);
    const other = await get("/defect/vary-language", { "accept-language": "fr, en-us;q=0.5" });
    assert.deepEqual([other.cache, other.body], ["MISS", "lang=fr, en-us;q=0.5 #2"], "another preference order is another variant");
    assert.equal(origin.hits("/defect/vary-language"), 2);
  });

  test("Vary: Accept-Language: a request whose first choice is the stored Content-Language gets it (HIT); a second choice never does", async () => {
    origin.route("/defect/vary-content-language", ({ n, headers }) => {
      const first = (headers["accept-language"] ?? "en").split(",")[0].split(";")[0].trim();
      return { headers: { "cache-control": "max-age=60", vary: "Accept-Language", "content-language": first }, body: `in ${first} #${n}` };
    });
    const ask = async (languages) => {
      const r = await get("/defect/vary-content-language", { "accept-language": languages });
      return [r.cache, r.body];
    };
    assert.deepEqual(await ask("en-US,fr;q=0.5"), ["MISS", "in en-US #1"]);
    assert.deepEqual(await ask("en-US;q=0.9, de;q=0.1"), ["HIT", "in en-US #1"], "the same first choice, which the stored response is in");
    assert.deepEqual(await ask("de, en-US;q=0.5"), ["MISS", "in de #2"], "a second choice never selects it");
    assert.equal(origin.hits("/defect/vary-content-language"), 2);
  });

  test("read-your-writes: a request sent when the first one's response header arrives is not a second origin fetch", async (t) => {
    const seen = [];
    for (let i = 0; i < 10; i++) {
      const path = `/defect/read-your-writes-${i}`;
      origin.route(path, ({ n }) => ({ headers: { "cache-control": "max-age=60" }, body: `${"x".repeat(64 * 1024)} #${n}` }));
      let second;
      const first = await send(worker.entry, path, {
        onResponse: () => {
          second = send(worker.entry, path);
        },
      });
      const b = await second;
      assert.equal(first.cache, "MISS");
      assert.deepEqual([b.status, b.bytes.length, b.body.endsWith(" #1")], [200, first.bytes.length, true], path);
      assert.equal(origin.hits(path), 1, `${path}: B was answered from A's response (${b.cache})`);
      seen.push(b.cache);
    }
    t.diagnostic(`read-your-writes, B's x-edgecache over 10 URLs: ${JSON.stringify(tally(seen))}`);
  });

  test("a dropped connection is a 502 with a short body and no stack; with stale-if-error=60 stored it is STALE", async () => {
    origin.route("/defect/drop", () => DROP);
    const down = await get("/defect/drop");
    assert.deepEqual([down.status, down.cache], [502, "ERROR"]);
    assert.ok(down.body.length > 0 && down.body.length < 200, JSON.stringify(down.body));
    assert.doesNotMatch(down.body, STACK);
    assert.ok(!down.body.includes("EdgeCacheError"));
    assert.match(down.headers.get("cache-status") ?? "", /detail=origin-unreachable/);

    origin.route("/defect/drop-stale", ({ n }) => (n === 1 ? { headers: { "cache-control": "max-age=0, stale-if-error=60" }, body: "kept for errors" } : DROP));
    assert.equal((await get("/defect/drop-stale")).cache, "MISS");
    const stale = await get("/defect/drop-stale");
    assert.deepEqual([stale.status, stale.cache, stale.body], [200, "STALE", "kept for errors"]);
    assert.match(stale.headers.get("cache-status") ?? "", /detail=stale-if-error/);
    assert.equal(origin.hits("/defect/drop-stale"), 2);
  });

  test("single byte ranges are served from a stored 200 (206, 416, If-Range); several ranges go to the origin", async () => {
    const path = "/defect/range";
    origin.route(path, () => ({ headers: { "cache-control": "max-age=60", etag: '"r1"' }, body: "0123456789" }));
    assert.equal((await get(path)).cache, "MISS");
    const partial = await get(path, { range: "bytes=0-3" });
    assert.deepEqual([partial.status, partial.cache, partial.body, partial.headers.get("content-range")], [206, "HIT", "0123", "bytes 0-3/10"]);
    const suffix = await get(path, { range: "bytes=-2" });
    assert.deepEqual([suffix.status, suffix.body, suffix.headers.get("content-range")], [206, "89", "bytes 8-9/10"]);
    const beyond = await get(path, { range: "bytes=100-" });
    assert.deepEqual([beyond.status, beyond.headers.get("content-range"), beyond.body], [416, "bytes */10", ""]);
    const ifRange = await get(path, { range: "bytes=2-4", "if-range": '"r1"' });
    assert.deepEqual([ifRange.status, ifRange.body], [206, "234"], "If-Range with the stored ETag");
    const changed = await get(path, { range: "bytes=2-4", "if-range": '"other"' });
    assert.deepEqual([changed.status, changed.body], [200, "0123456789"], "If-Range with another ETag: the whole response");
    assert.equal(origin.hits(path), 1, "all from the stored response");
    await get(path, { range: "bytes=0-1,4-5" });
    assert.equal(origin.hits(path), 2, "a multi-range request is forwarded");
    assert.equal(origin.requests(path)[1].headers.range, "bytes=0-1,4-5");
  });
});

describe("mixed load through the caching-proxy example: 3,000 requests, 48 at a time", () => {
  const worker = proxy(scripts["proxy-worker.js"], () => origin);

  test("no 500, no stack trace, no wrong or other user's content; every dropped or 999 fetch ends 502 or STALE", async (t) => {
    const TOTAL = 3_000;
    const CONCURRENCY = 48;
    const URLS_PER_KIND = 4;
    const lastModified = new Date(Date.now() - 86_400_000).toUTCString();
    const failed = new Map(); // x-req of an origin request that was dropped or answered 999 → how
    let rng = 0x2545f491; // xorshift32, fixed seed: the same load every run
    const random = () => {
      rng ^= rng << 13;
      rng ^= rng >>> 17;
      rng ^= rng << 5;
      return (rng >>> 0) / 2 ** 32;
    };
    const body = (kind, url, extra = "") => `route=${kind} url=${url}${extra}`;
    const langGroup = (value = "") => (/^\s*(en-us\s*,\s*fr;q=0\.5|fr;q=0\.5\s*,\s*en-us)\s*$/i.test(value) ? "en+fr" : value.trim().toLowerCase() === "de" ? "de" : `other:${value}`);
    // Origin behaviours: kind → handler({ url, headers, n, method }).
    const KINDS = {
      fresh: ({ url }) => ({ headers: { "cache-control": "max-age=60", etag: '"f"' }, body: body("fresh", url) }),
      "no-store": ({ url, n }) => ({ headers: { "cache-control": "no-store" }, body: body("no-store", url, ` n=${n}`) }),
      private: ({ url, headers }) => ({ headers: { "cache-control": "private, max-age=60" }, body: body("private", url, ` user=${headers["x-user"]}`) }),
      "set-cookie": ({ url, headers }) => ({
        headers: { "cache-control": "max-age=60", "set-cookie": `session=${headers["x-user"]}; Path=/` },
        body: body("set-cookie", url, ` user=${headers["x-user"]}`),
      }),
      vary: ({ url, headers }) => ({
        headers: { "cache-control": "max-age=60", vary: "Accept-Language" },
        body: body("vary", url, ` lang=${langGroup(headers["accept-language"])}`),
      }),
      "etag-304": ({ url, headers }) =>
        headers["if-none-match"] === '"e1"'
          ? { status: 304, headers: { "cache-control": "max-age=1", etag: '"e1"' } }
          : { headers: { "cache-control": "max-age=1", etag: '"e1"' }, body: body("etag-304", url) },
      "304-no-etag": ({ url, headers }) =>
        headers["if-none-match"] === '"l1"' || headers["if-modified-since"] === lastModified
          ? { status: 304, headers: { "cache-control": "max-age=1" } }
          : { headers: { "cache-control": "max-age=1", etag: '"l1"', "last-modified": lastModified }, body: body("304-no-etag", url) },
      swr: async ({ url }) => {
        await sleep(100);
        return { headers: { "cache-control": "max-age=1, stale-while-revalidate=30" }, body: body("swr", url) };
      },
      sie: ({ url, headers, n }) => {
        if (n > URLS_PER_KIND && random() < 0.5) {
          failed.set(headers["x-req"], "drop");
          return DROP;
        }
        return { headers: { "cache-control": "max-age=1, stale-if-error=60" }, body: body("sie", url) };
      },
      "5xx": ({ url }) => ({ status: 503, headers: { "retry-after": "1" }, body: body("5xx", url) }),
      slow: async ({ url }) => {
        await sleep(250);
        return { headers: { "cache-control": "max-age=2" }, body: body("slow", url) };
      },
      drop: ({ headers }) => {
        failed.set(headers["x-req"], "drop");
        return DROP;
      },
      "status-999": ({ headers, url }) => {
        failed.set(headers["x-req"], "999");
        return { status: 999, body: body("status-999", url) };
      },
      "expires-2286": ({ url }) => ({ headers: { expires: "Sun, 21 Nov 2286 04:46:39 GMT" }, body: body("expires-2286", url), date: true }),
      "max-age-huge": ({ url }) => ({ headers: { "cache-control": "max-age=99999999999" }, body: body("max-age-huge", url) }),
      "expires-asctime": ({ url }) => ({ headers: { expires: "Thu Aug  8 02:01:18 2050" }, body: body("expires-asctime", url), date: true }),
      redirect: ({ url }) => ({ status: 301, headers: { location: "/mix/fresh?i=0", "cache-control": "max-age=60" }, body: body("redirect", url) }),
    };
    for (const [kind, handler] of Object.entries(KINDS)) origin.route(`/mix/${kind}`, handler);
    const kinds = Object.keys(KINDS);

    // The requests, decided up front: kind, URL, method, header fields.
    const plan = Array.from({ length: TOTAL }, (_, id) => {
      const kind = kinds[Math.floor(random() * kinds.length)];
      const url = `/mix/${kind}?i=${Math.floor(random() * URLS_PER_KIND)}`;
      const headers = { "x-req": `r${id}`, "x-user": `user-${id}` };
      let method = "GET";
      const roll = random();
      if (kind === "vary") headers["accept-language"] = ["en-US,fr;q=0.5", "fr;q=0.5, en-us", "de", "DE"][Math.floor(roll * 4)];
      else if (kind === "fresh" && roll < 0.15) headers.range = "bytes=0-4";
      else if (roll < 0.08) method = "HEAD";
      return { id, kind, url, method, headers };
    });

    const results = new Array(TOTAL);
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < TOTAL) {
          const request = plan[next++];
          try {
            results[request.id] = await send(worker.entry, request.url, { method: request.method, headers: request.headers, timeoutMs: 15_000 });
          } catch (error) {
            results[request.id] = { error: error.message };
          }
        }
      }),
    );
    const wallMs = performance.now() - started;

    // Problems, grouped by what went wrong (a few examples each).
    const problems = new Map();
    const problem = (what, request, response) => {
      const list = problems.get(what) ?? [];
      list.push(`${request.id} ${request.method} ${request.url}${request.headers.range ? ` range=${request.headers.range}` : ""}: ${response.error ?? `${response.status} ${response.cache} ${JSON.stringify(response.body?.slice(0, 120))}`}`);
      problems.set(what, list);
    };
    const table = new Map(); // kind → { x-edgecache or status → count }
    for (const request of plan) {
      const r = results[request.id];
      const row = table.get(request.kind) ?? {};
      table.set(request.kind, row);
      if (r.error !== undefined) {
        row.failed = (row.failed ?? 0) + 1;
        problem("no response (socket error or 15 s timeout)", request, r);
        continue;
      }
      const label = r.cache ?? `status ${r.status}`;
      row[label] = (row[label] ?? 0) + 1;
      if (r.status === 500) problem("status 500", request, r);
      if (leaksError(r.body)) problem("a stack trace or EdgeCacheError in the body", request, r);
      if (r.cache === null) problem("no x-edgecache", request, r);
      const expected = (extra = "") => body(request.kind, request.url, extra);
      const head = request.method === "HEAD";
      const userSeen = /user=(\S+)/.exec(r.body)?.[1];
      if (userSeen !== undefined && userSeen !== request.headers["x-user"]) problem("another user's content", request, r);
      for (const cookie of r.headers.getSetCookie()) {
        if (!cookie.includes(`session=${request.headers["x-user"]};`)) problem("another user's Set-Cookie", request, r);
      }
      const failure = failed.get(request.headers["x-req"]);
      if (failure !== undefined && !(r.status === 502 || r.cache === "STALE")) problem(`a ${failure} fetch answered other than 502 or STALE`, request, r);
      if (r.status === 502 && !(r.cache === "ERROR" && r.body.length < 200)) problem("a 502 that is not our short ERROR", request, r);
      // What each kind may answer, and with which body.
      const ok = (() => {
        switch (request.kind) {
          case "drop":
          case "status-999":
            return r.status === 502 && r.cache === "ERROR";
          case "5xx":
            return r.status === 503 && (head || r.body === expected());
          case "redirect":
            return r.status === 301 && r.headers.get("location") === "/mix/fresh?i=0" && (head || r.body === expected());
          case "fresh":
            if (request.headers.range) return r.status === 206 && r.body === "route" && r.headers.get("content-range") === `bytes 0-4/${expected().length}`;
            return r.status === 200 && (head || r.body === expected());
          case "no-store":
            return r.status === 200 && (head || (r.body.startsWith(expected(" n=")) && /^\d+$/.test(r.body.slice(expected(" n=").length))));
          case "private":
          case "set-cookie":
            return r.status === 200 && (head || r.body === expected(` user=${request.headers["x-user"]}`));
          case "vary":
            return r.status === 200 && (head || r.body === expected(` lang=${langGroup(request.headers["accept-language"])}`));
          case "sie":
            return (r.status === 200 && (head || r.body === expected())) || (r.status === 502 && r.cache === "ERROR" && failure !== undefined);
          default:
            return r.status === 200 && (head || r.body === expected());
        }
      })();
      if (!ok) problem(`a wrong answer for ${request.kind}`, request, r);
    }
    const stray = [...failed.keys()].filter((id) => !plan[Number(id.slice(1))]);
    assert.deepEqual(stray, [], "every failed origin fetch belongs to a planned request");

    const labels = [...new Set([...table.values()].flatMap((row) => Object.keys(row)))].sort();
    const width = Math.max(...kinds.map((k) => k.length)) + 2;
    const lines = [
      `mixed load: ${TOTAL} requests, ${CONCURRENCY} in flight, ${kinds.length} origin behaviours x ${URLS_PER_KIND} URLs, in ${ms(wallMs)} (${Math.round(TOTAL / (wallMs / 1000))} req/s); origin fetches ${kinds.reduce((sum, k) => sum + origin.hits(`/mix/${k}`, "GET") + origin.hits(`/mix/${k}`, "HEAD"), 0)}; dropped/999 fetches ${failed.size}`,
      `${"route".padEnd(width)}${labels.map((l) => l.padStart(12)).join("")}${"origin".padStart(8)}`,
      ...kinds.map((k) => `${k.padEnd(width)}${labels.map((l) => String(table.get(k)?.[l] ?? "").padStart(12)).join("")}${String(origin.hits(`/mix/${k}`, "GET") + origin.hits(`/mix/${k}`, "HEAD")).padStart(8)}`),
      `${"all".padEnd(width)}${labels.map((l) => String([...table.values()].reduce((s, row) => s + (row[l] ?? 0), 0)).padStart(12)).join("")}`,
    ];
    for (const line of lines) t.diagnostic(line);
    console.log(lines.map((l) => `# ${l}`).join("\n"));

    // Long-lived responses are stored: one origin fetch per URL (per variant
    // for vary), with room for a HEAD or Range request that came first.
    const LONG_LIVED = { fresh: 1, vary: 2, "expires-2286": 1, "max-age-huge": 1, "expires-asctime": 1, redirect: 1 };
    for (const [kind, variants] of Object.entries(LONG_LIVED)) {
      const fetches = origin.hits(`/mix/${kind}`, "GET") + origin.hits(`/mix/${kind}`, "HEAD");
      if (fetches > 2 * variants * URLS_PER_KIND) {
        problems.set(`${kind} not stored`, [`${fetches} origin fetches for ${variants * URLS_PER_KIND} cacheable URL variants (at most ${2 * variants * URLS_PER_KIND} expected)`]);
      }
    }
    const report = [...problems].map(([what, list]) => `${what}: ${list.length}\n  ${list.slice(0, 5).join("\n  ")}`).join("\n");
    assert.equal(problems.size, 0, `problems under load:\n${report}`);
    assert.ok(wallMs < 60_000, `3,000 requests took ${ms(wallMs)}`);
  });
});

describe("before/after: origin fetches for 50 concurrent misses", () => {
  const counts = {};
  const measure = async (name, script) => {
    const mf = await startMiniflare(workerOptions(script, { kvNamespaces: ["CACHE"], bindings: { ORIGIN: origin.url } }));
    try {
      const entry = await mf.ready;
      const path = `/before-after/${name}`;
      origin.route(path, slow(DELAY, ({ n }) => ({ headers: { "cache-control": "max-age=60" }, body: `before/after #${n}` })));
      const { responses, wallMs } = await wave(entry, path, 50);
      assert.ok(responses.every((r) => r.status === 200), JSON.stringify(tally(responses.map((r) => r.status))));
      counts[name] = { fetches: origin.hits(path), wallMs, cache: tally(responses.map((r) => r.cache)) };
      return counts[name];
    } finally {
      await mf.dispose();
    }
  };

  test(`the previous release (${BASELINE_PKG ?? "EDGECACHE_BASELINE_PKG unset"}, example at ${BASELINE_COMMIT}) vs the current package`, async (t) => {
    const lines = [];
    if (baseline.script) {
      const before = await measure("baseline", baseline.script);
      lines.push(`before (previous release, ${BASELINE_PKG}): ${before.fetches} origin fetches for 50 concurrent misses (${JSON.stringify(before.cache)}, wall ${ms(before.wallMs)})`);
    } else {
      lines.push(`before: the previous release could not be loaded (${baseline.error?.message}); see collapseTimeoutMs: 0 below`);
    }
    const off = await measure("collapse-off", scripts["no-collapse-worker.js"]);
    lines.push(`current package with collapseTimeoutMs: 0 (collapsing off): ${off.fetches} origin fetches (${JSON.stringify(off.cache)}, wall ${ms(off.wallMs)})`);
    const now = await measure("current", scripts["proxy-worker.js"]);
    lines.push(`after (current package, the example as shipped): ${now.fetches} origin fetch(es) (${JSON.stringify(now.cache)}, wall ${ms(now.wallMs)})`);
    for (const line of lines) t.diagnostic(line);
    console.log(lines.map((l) => `# ${l}`).join("\n"));
    assert.equal(now.fetches, 1);
    assert.ok(off.fetches > 1, "without collapsing the misses go to the origin separately");
    if (baseline.script) assert.ok(counts.baseline.fetches > 1);
  });
});
