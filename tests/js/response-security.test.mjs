// Security of the response cache: one user's private response is never
// served to another. Run with `node --test tests/js/` after a build.
//
// A shared ResponseCache over EdgeCache.memory, in front of a fake origin
// that answers every user with a body and an ETag of their own. For every
// combination of the response directives that matter (private, public,
// no-store, s-maxage, must-revalidate, max-age, no-cache), Set-Cookie, Vary
// (none, Authorization, Cookie), the credential the users differ in
// (Authorization or Cookie) and a request `max-stale`, Alice fetches, then Bob
// (and an anonymous visitor) fetch the same URL at once and after the
// response went stale. Whenever the response is private — `private`,
// `no-store`, Authorization without `public` / `s-maxage` /
// `must-revalidate` (RFC 9111 §3.5), `Set-Cookie` (not stored by default),
// or a Vary on the credential — nobody but Alice may ever receive Alice's
// body, and Alice never receives theirs. Where the origin explicitly allows
// sharing, the test checks that sharing does happen (so it is not vacuous).

import { describe, it, beforeEach, afterEach } from "node:test";
import assert from "node:assert/strict";

import { EdgeCache, ResponseCache } from "../../pkg/node.js";

const URL_ = "https://origin.example/account";
const T0 = 1_700_000_000_000;

const DIRECTIVES = ["private", "public", "no-store", "s-maxage=60", "must-revalidate", "max-age=60", "no-cache"];
const VARY = [undefined, "Authorization", "Cookie"];
const CREDENTIALS = ["authorization", "cookie"];

const USERS = {
  alice: { authorization: "Bearer alice-token", cookie: "session=alice" },
  bob: { authorization: "Bearer bob-token", cookie: "session=bob" },
  anonymous: {},
};

function* combinations() {
  for (let mask = 0; mask < 1 << DIRECTIVES.length; mask++) {
    const directives = DIRECTIVES.filter((_, i) => mask & (1 << i));
    for (const setCookie of [false, true]) {
      for (const vary of VARY) {
        for (const credential of CREDENTIALS) {
          for (const maxStale of [false, true]) {
            yield { directives, setCookie, vary, credential, maxStale };
          }
        }
      }
    }
  }
}

function label({ directives, setCookie, vary, credential, maxStale }) {
  return [
    `Cache-Control: ${directives.join(", ") || "(none)"}`,
    setCookie ? "Set-Cookie" : "",
    vary ? `Vary: ${vary}` : "",
    `users differ in ${credential}`,
    maxStale ? "request max-stale" : "",
  ]
    .filter(Boolean)
    .join("; ");
}

/** Who the origin thinks is asking: the user whose credential the request carries. */
function userOf(request, credential) {
  const value = request.headers.get(credential);
  for (const [name, user] of Object.entries(USERS)) {
    if (user[credential] !== undefined && user[credential] === value) return name;
  }
  return "anonymous";
}

/** A fake origin answering each user with their own body and ETag. */
function origin(combo) {
  const calls = [];
  const fetcher = async (request) => {
    const user = userOf(request, combo.credential);
    calls.push(user);
    const etag = `"v-${user}"`;
    if (request.headers.get("if-none-match") === etag) {
      return new Response(null, { status: 304, headers: { etag } });
    }
    const headers = new Headers({ "content-type": "text/plain", etag });
    if (combo.directives.length > 0) headers.set("cache-control", combo.directives.join(", "));
    if (combo.setCookie) headers.append("set-cookie", `session=${user}; HttpOnly`);
    if (combo.vary) headers.set("vary", combo.vary);
    return new Response(`secret of ${user}`, { status: 200, headers });
  };
  return { fetcher, calls };
}

/**
 * True when a shared cache must never hand `user`'s response to anyone else:
 * the origin marked it private or no-store, it sets a cookie, it varies on
 * the credential, or it answers an Authorization without public / s-maxage /
 * must-revalidate. (An anonymous visitor's response is private only by its
 * own directives or its Set-Cookie.)
 */
function isPrivateFor(combo, user) {
  const { directives, setCookie, vary, credential } = combo;
  const has = (d) => directives.includes(d);
  if (has("private") || has("no-store") || setCookie) return true;
  if (user === "anonymous") return false;
  if (vary && vary.toLowerCase() === credential) return true;
  const authorised = credential === "authorization";
  return authorised && !(has("public") || has("s-maxage=60") || has("must-revalidate"));
}

const isPrivate = (combo) => isPrivateFor(combo, "alice");

/** True when the origin made the response plainly shareable and fresh for 60 s. */
function plainlyShared(combo) {
  const has = (d) => combo.directives.includes(d);
  return (
    !isPrivate(combo) &&
    !combo.vary &&
    !has("no-cache") &&
    has("public") &&
    (has("max-age=60") || has("s-maxage=60"))
  );
}

function requestFor(user, combo, { maxStale = false } = {}) {
  const headers = new Headers();
  const credential = USERS[user][combo.credential];
  if (credential !== undefined) headers.set(combo.credential, credential);
  if (maxStale) headers.set("cache-control", "max-stale");
  return new Request(URL_, { headers });
}

describe("ResponseCache (shared): private responses never reach another user", () => {
  let now;
  let realNow;
  beforeEach(() => {
    realNow = Date.now;
    now = T0;
    Date.now = () => now;
  });
  afterEach(() => {
    Date.now = realNow;
  });

  it("holds for every combination of directives, Set-Cookie, Vary, credential and max-stale", async () => {
    let checked = 0;
    let privateCombos = 0;
    let sharedHits = 0;
    for (const combo of combinations()) {
      now = T0;
      const what = label(combo);
      const cache = EdgeCache.memory({ maxEntries: 100 });
      const { fetcher, calls } = origin(combo);
      const responses = new ResponseCache(cache, { fetcher });
      const secret = "secret of alice";
      const bodyFor = async (user, options) => {
        const response = await responses.fetch(requestFor(user, combo, options));
        return { body: await response.text(), status: response.headers.get("x-edgecache") };
      };

      const first = await bodyFor("alice");
      assert.equal(first.body, secret, `${what}: Alice gets her own response`);

      const reads = [{ user: "alice", at: T0, ...first }];
      for (const at of [T0 + 1_000, T0 + 120_000]) {
        now = at;
        for (const user of ["bob", "anonymous", "alice"]) {
          reads.push({ user, at, ...(await bodyFor(user, { maxStale: combo.maxStale })) });
        }
      }

      // Nobody ever receives another user's private response.
      for (const read of reads) {
        const owner = read.body.replace("secret of ", "");
        assert.ok(owner in USERS, `${what}: unexpected body ${read.body}`);
        if (owner !== read.user) {
          assert.ok(
            !isPrivateFor(combo, owner),
            `${what}: ${read.user} at +${read.at - T0} ms was served ${owner}'s private response (${read.status})`,
          );
        }
      }
      if (isPrivate(combo)) {
        privateCombos++;
        for (const read of reads.filter((r) => r.user !== "alice")) {
          assert.notEqual(read.body, secret, `${what}: ${read.user} got Alice's private response`);
        }
      } else if (plainlyShared(combo)) {
        // The origin said public and fresh for 60 s: the cache must share it.
        for (const read of reads.filter((r) => r.at === T0 + 1_000)) {
          assert.equal(read.status, "HIT", `${what}: ${read.user} should get a HIT`);
          assert.equal(read.body, secret);
          sharedHits++;
        }
      }
      // Whatever the origin said, the fetcher only ever saw real users.
      assert.ok(calls.every((u) => u in USERS), what);
      checked++;
    }
    assert.equal(checked, 128 * 2 * 3 * 2 * 2);
    assert.ok(privateCombos > 2000, `only ${privateCombos} private combinations`);
    assert.ok(sharedHits > 0, "no combination was shared: the test would be vacuous");
  });

  it("Vary on the credential keeps variants apart through revalidation (304)", async () => {
    // Bob's revalidation carries Alice's stored ETag; an origin that answers 304
    // only for a matching tag sends Bob his own body, never Alice's.
    for (const credential of CREDENTIALS) {
      now = T0;
      const combo = { directives: ["public", "max-age=1"], setCookie: false, vary: credential === "cookie" ? "Cookie" : "Authorization", credential, maxStale: false };
      const { fetcher } = origin(combo);
      const responses = new ResponseCache(EdgeCache.memory(), { fetcher });
      assert.equal(await (await responses.fetch(requestFor("alice", combo))).text(), "secret of alice");
      now = T0 + 5_000; // stale: the next reads revalidate
      assert.equal(await (await responses.fetch(requestFor("bob", combo))).text(), "secret of bob");
      const alice = await responses.fetch(requestFor("alice", combo));
      assert.equal(await alice.text(), "secret of alice");
      assert.equal(alice.headers.get("x-edgecache"), "REVALIDATED");
    }
  });

  it("refuses a non-boolean shared option instead of coercing it to a private cache", () => {
    // A shared cache whose `shared` option is a string must be refused, not
    // coerced: `+"true"` is NaN, i.e. false, which would make it a private
    // cache that stores `private` responses and serves them to everyone.
    for (const shared of ["true", "false", 1, 0, null, {}, []]) {
      assert.throws(
        () => new ResponseCache(EdgeCache.memory(), { shared }),
        (error) => error.name === "EdgeCacheError" && error.code === "EDGECACHE_INVALID_OPTIONS",
        `shared: ${JSON.stringify(shared)}`,
      );
    }
  });
});

describe("ResponseCache: cache poisoning", () => {
  const page = "https://origin.example/page";
  /** An origin that reflects a request header into the body (the classic poisoning gadget). */
  function reflectingOrigin({ vary }) {
    let calls = 0;
    const fetcher = async (request) => {
      calls++;
      const host = request.headers.get("x-forwarded-host") ?? "origin.example";
      const headers = { "cache-control": "public, max-age=600" };
      if (vary) headers.vary = vary;
      return new Response(`<script src="https://${host}/app.js"></script>`, { headers });
    };
    return { fetcher, calls: () => calls };
  }

  it("a header the origin varies on is keyed: an attacker's value poisons only requests that send it", async () => {
    const { fetcher, calls } = reflectingOrigin({ vary: "X-Forwarded-Host" });
    const responses = new ResponseCache(EdgeCache.memory(), { fetcher });
    const attack = new Request(page, { headers: { "x-forwarded-host": "evil.example" } });
    assert.match(await (await responses.fetch(attack)).text(), /evil\.example/);
    const victim = await responses.fetch(new Request(page));
    assert.doesNotMatch(await victim.text(), /evil/);
    assert.equal(victim.headers.get("x-edgecache"), "MISS");
    const again = await responses.fetch(new Request(page));
    assert.equal(again.headers.get("x-edgecache"), "HIT");
    assert.doesNotMatch(await again.text(), /evil/);
    assert.equal(calls(), 2);
  });

  it("the whole normalised URL is the key: query strings, hosts and schemes never share an entry", async () => {
    const fetcher = async (request) =>
      new Response(`for ${request.url}`, { headers: { "cache-control": "public, max-age=600" } });
    const responses = new ResponseCache(EdgeCache.memory(), { fetcher });
    const urls = [
      "https://origin.example/page",
      "https://origin.example/page?x=%3Cscript%3E",
      "https://origin.example/page?",
      "https://origin.example/Page",
      "http://origin.example/page",
      "https://other.example/page",
      "https://origin.example:8443/page",
      "https://origin.example/page/",
    ];
    for (const url of urls) await responses.fetch(url);
    for (const url of urls) {
      const response = await responses.fetch(url);
      assert.equal(response.headers.get("x-edgecache"), "HIT", url);
      assert.equal(await response.text(), `for ${new Request(url).url}`, url);
    }
    // Equivalent spellings (RFC 3986 normalisation) do share one.
    const same = await responses.fetch("HTTPS://ORIGIN.example:443/a/../page#fragment");
    assert.equal(same.headers.get("x-edgecache"), "HIT");
    assert.equal(await same.text(), "for https://origin.example/page");
  });

  it("an unsafe request invalidates its own origin's URLs, never another origin's (Location / Content-Location)", async () => {
    const fetcher = async (request) => {
      if (request.method === "POST") {
        return new Response("created", {
          status: 201,
          headers: { location: "https://victim.example/home", "content-location": "/attacker/profile" },
        });
      }
      return new Response(`page ${request.url}`, { headers: { "cache-control": "public, max-age=600" } });
    };
    const responses = new ResponseCache(EdgeCache.memory(), { fetcher });
    for (const url of ["https://victim.example/home", "https://attacker.example/attacker/profile"]) {
      await responses.fetch(url);
    }
    const post = await responses.fetch(new Request("https://attacker.example/form", { method: "POST", body: "x" }));
    assert.equal(post.headers.get("x-edgecache"), "BYPASS");
    // Another origin's entry survives; the same-origin Content-Location is dropped.
    assert.equal((await responses.fetch("https://victim.example/home")).headers.get("x-edgecache"), "HIT");
    assert.equal((await responses.fetch("https://attacker.example/attacker/profile")).headers.get("x-edgecache"), "MISS");
  });

  it("hop-by-hop and proxy fields are never stored, and a stored response never carries another request's cookies", async () => {
    const fetcher = async () =>
      new Response("body", {
        headers: {
          "cache-control": "public, max-age=600",
          connection: "x-internal",
          "x-internal": "token-123",
          "proxy-authenticate": "Basic",
          "keep-alive": "timeout=5",
        },
      });
    const responses = new ResponseCache(EdgeCache.memory(), { fetcher });
    await responses.fetch(new Request(page, { headers: { cookie: "session=alice" } }));
    const hit = await responses.fetch(new Request(page, { headers: { cookie: "session=bob" } }));
    assert.equal(hit.headers.get("x-edgecache"), "HIT");
    for (const name of ["x-internal", "proxy-authenticate", "keep-alive", "set-cookie", "cookie"]) {
      assert.equal(hit.headers.get(name), null, name);
    }
  });
});
