// The engine of ResponseCache (js/response-cache.js checks arguments and
// loads this module with the HTTP policy's, so a page that never caches
// responses never downloads it).
//
// The rules (what may be stored, for how long, when to revalidate, which
// variant answers, what a 304 updates, what a write invalidates, ranges,
// Cache-Status) are the pure Rust policy in src/http, reached through
// HttpPolicy. This file only moves requests, responses and bytes: it fetches,
// stores through the EdgeCache, collapses concurrent misses (collapse.js)
// and schedules background work with `waitUntil`.
//
// Storage layout: a response without Vary is stored under its primary key
// (the normalised URL). With Vary, the primary key holds a small index record
// ("V" + the canonical Vary value) and each variant is stored under
// entryKey(primary, variant key); a request tries its variantKeys in order.
//
// The origin is never trusted to behave: a network failure, a status the
// runtime cannot relay or a lifetime longer than the store takes is answered
// (stale-if-error, 502, a clamped TTL) and never makes fetch() reject. Every
// response carries `x-edgecache` (one token) and our `Cache-Status` member
// (RFC 9211; see src/http/status.rs for why both).

import { Flights, COLLAPSE_TIMEOUT_MS } from "./collapse.js";
import { MAX_TTL_MS } from "./constants.js";
import { checkResponse } from "./response-cache.js";

const HEADER = "x-edgecache";
const CACHE_STATUS = "cache-status";
const VARY_INDEX = 0x56; // "V": a Vary index record; stored responses start with "H".
/** The largest body buffered to be stored and shared with collapsed requests: above KV's 25 MiB values, bounded for a 128 MB isolate. */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

// Calls the fetcher: `{ response }`, or `{ error }` when it throws or
// rejects (a network failure, a dropped connection), or `{ error, timedOut }`
// when `timeoutMs` (if any) passes before it resolves: the request's signal
// is aborted then, and a response that comes anyway is discarded. Anything
// it resolves to other than a Response is the caller's bug and rejects with
// a coded error.
async function callOrigin(fetcher, request, timeoutMs) {
  let response;
  if (timeoutMs === undefined) {
    try {
      response = await fetcher(request);
    } catch (error) {
      return { error };
    }
    return { response: checkResponse(response, "the fetcher's result") };
  }
  const deadline = new AbortController();
  // The client's own signal still aborts the origin fetch where the runtime
  // can combine signals.
  const signal = typeof AbortSignal.any === "function" ? AbortSignal.any([request.signal, deadline.signal]) : deadline.signal;
  let timer;
  const late = new Promise((resolve) => {
    timer = setTimeout(resolve, timeoutMs, TIMED_OUT);
  });
  const answer = Promise.resolve().then(() => fetcher(new Request(request, { signal })));
  try {
    response = await Promise.race([answer, late]);
  } catch (error) {
    return { error };
  } finally {
    clearTimeout(timer);
  }
  if (response === TIMED_OUT) {
    deadline.abort(new Error(`no response from the origin within ${timeoutMs} ms`));
    answer.then((late) => discard(late?.body), () => {});
    return { error: deadline.signal.reason, timedOut: true };
  }
  return { response: checkResponse(response, "the fetcher's result") };
}
const TIMED_OUT = Symbol("timed out");

// The statuses a Response can be built with (the Fetch standard's "null body
// status" aside): an origin's 999 cannot be relayed.
const relayable = (status) => Number.isInteger(status) && status >= 200 && status <= 599;

function flatHeaders(headers) {
  const flat = [];
  for (const [name, value] of headers) flat.push(name, value);
  return flat;
}

function toHeaders(flat) {
  const headers = new Headers();
  for (let i = 0; i + 1 < flat.length; i += 2) headers.append(flat[i], flat[i + 1]);
  return headers;
}

// Cancels a body without waiting: the cancellation of one branch of a
// tee'd body (a clone) settles only when the other branch is cancelled too,
// and that one is streaming to the client.
function discard(body) {
  body?.cancel?.()?.catch?.(() => {});
}

// Reads a response body, at most `limit` bytes: undefined (and the body
// cancelled) past that, so a huge body is never buffered whole.
async function readBody(response, limit) {
  const declared = Number(response.headers.get("content-length") ?? NaN);
  if (declared > limit) {
    discard(response.body);
    return undefined;
  }
  if (typeof response.body?.getReader !== "function") {
    const bytes = new Uint8Array(await response.arrayBuffer());
    return bytes.byteLength > limit ? undefined : bytes;
  }
  const reader = response.body.getReader();
  const chunks = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      discard(reader);
      return undefined;
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0];
  const body = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.byteLength;
  }
  return body;
}

// Errors of the storage behind the cache (a KV 429 or outage, a body over
// KV's 25 MiB, a full IndexedDB quota, a key longer than the store takes —
// KV's 512 bytes are reached by a long URL or a long Vary value). In fetch()
// they never fail the request: a failed read is a miss, a failed write leaves
// the response unstored. Any other error is a bug and propagates.
const STORAGE_ERRORS = new Set([
  "EDGECACHE_INVALID_KEY",
  "EDGECACHE_BACKEND",
  "EDGECACHE_VALUE_TOO_LARGE",
  "EDGECACHE_QUOTA_EXCEEDED",
  "EDGECACHE_UNAVAILABLE",
  "EDGECACHE_BLOCKED",
  "EDGECACHE_AUTH",
]);

function unlessStorageFails(fallback) {
  return (error) => {
    if (STORAGE_ERRORS.has(error?.code)) return fallback;
    throw error;
  };
}

// The storage TTL for a response useful until `expiresAt`: at least 1 ms,
// and never longer than a store takes (an origin's Expires in 2286 must not
// make the write fail).
function ttlFor(expiresAt, now) {
  if (expiresAt === undefined) return undefined;
  return Math.min(MAX_TTL_MS, Math.max(1, expiresAt - now));
}

// Why a response was not stored, when the response itself rules sharing out
// (so later requests for the URL should not queue behind one): the other
// reasons are about the request (its method, no-store, Authorization).
const NEVER_SHARED = new Set([
  "no-store",
  "private",
  "set-cookie",
  "vary-star",
  "must-understand",
  "not-cacheable",
  "not-useful",
  "status-not-understood",
]);

// A request that may wait for, and be served from, another request's origin
// response: a plain GET or HEAD (HEAD is answered from the GET's record).
// Range requests get a different response; Authorization is per user.
const mayFollow = (request) =>
  (request.method === "GET" || request.method === "HEAD") &&
  !request.headers.has("authorization") &&
  !request.headers.has("range");

/**
 * The engine behind `ResponseCache` (which checks its arguments and loads
 * this module on first use): every call here has a Request and valid
 * settings.
 */
export class HttpCache {
  #cache;
  #policy; // the Rust HttpPolicy
  #onError;
  #maxBodyBytes;
  #flights; // undefined when collapsing is off
  #refreshing = new Set(); // entry keys with a background revalidation in flight

  #timeoutMs; // undefined: the origin may take as long as it takes

  /** `settings`: `{ onError, maxBodyBytes, collapseTimeoutMs, timeoutMs }`, checked. */
  constructor(policy, cache, { onError, maxBodyBytes = MAX_BODY_BYTES, collapseTimeoutMs = COLLAPSE_TIMEOUT_MS, timeoutMs }) {
    this.#policy = policy;
    this.#timeoutMs = timeoutMs || undefined;
    this.#cache = cache;
    this.#onError = onError;
    this.#maxBodyBytes = maxBodyBytes;
    this.#flights = collapseTimeoutMs > 0 ? new Flights(collapseTimeoutMs) : undefined;
  }

  /**
   * A stored response that may be served now without contacting the origin,
   * or `undefined`. A response another request is storing right now counts.
   */
  async match(request) {
    const key = this.#primaryKey(request);
    if (key === undefined) return undefined;
    const pending = this.#flights?.get(key);
    const stored = (await this.#read(key, request)) ?? this.#beingWritten(key, pending);
    const now = Date.now();
    if (stored === undefined) {
      const flight = this.#flights?.get(key) ?? pending;
      const record = flight && mayFollow(request) ? await this.#flights.follow(flight) : undefined;
      return record && this.#serveRecord(request, record, "HIT", {});
    }
    const decision = this.#policy.lookup(...this.#parts(request), stored.handle, now);
    if (decision.kind === "fresh") return this.#serve(request, stored.handle, now, "HIT", { hit: true });
    if (decision.kind === "stale" || decision.kind === "stale-while-revalidate") {
      return this.#serve(request, stored.handle, now, "STALE", { hit: true });
    }
    return undefined;
  }

  /** Stores `response` for `request` if the rules allow; resolves to whether it was stored. */
  async put(request, response) {
    const now = Date.now();
    const key = this.#primaryKey(request);
    if (key === undefined) return false;
    const body = await readBody(response, this.#maxBodyBytes);
    if (body === undefined) return false;
    const outcome = this.#store(request, response, body, now, now);
    if (outcome === undefined) return false;
    await this.#write(key, outcome, now);
    return true;
  }

  /** Removes the stored response(s) for `input`'s URL. */
  async delete(request) {
    const key = this.#primaryKey(request);
    if (key !== undefined) await this.#cache.delete(key);
  }

  /**
   * The whole read-through: serve fresh hits (and single byte ranges of
   * them), revalidate stale ones (updating on 304), serve stale within
   * stale-while-revalidate while refreshing once in the background through
   * `waitUntil`, fall back to stale-if-error (or a 502) when the origin
   * fails, answer the client's conditional requests with 304, write unsafe
   * methods through and invalidate, and let concurrent misses for one URL
   * wait for one origin fetch. Resolves for anything the origin does; every
   * response carries `x-edgecache` and `Cache-Status`.
   */
  async fetch(request, fetcher, waitUntil) {
    const key = this.#primaryKey(request);
    if (key === undefined) return this.#writeThrough(request, fetcher);
    // Taken before the read: a write that finishes while we read is seen.
    const pending = this.#flights?.get(key);
    const stored = (await this.#read(key, request).catch(unlessStorageFails(undefined))) ?? this.#beingWritten(key, pending);
    const now = Date.now();
    const parts = this.#parts(request);
    const decision = stored
      ? this.#policy.lookup(...parts, stored.handle, now)
      : this.#policy.lookupMissing(...parts, now);
    const hit = { hit: true };
    switch (decision.kind) {
      case "fresh":
        return this.#serve(request, stored.handle, now, "HIT", hit) ?? this.#toOrigin(request, key, fetcher, waitUntil, { kind: "miss", fwd: "request" });
      case "stale":
        return this.#serve(request, stored.handle, now, "STALE", hit) ?? this.#toOrigin(request, key, fetcher, waitUntil, { kind: "miss", fwd: "request" });
      case "stale-while-revalidate": {
        const served = this.#serve(request, stored.handle, now, "STALE", { ...hit, detail: "stale-while-revalidate" });
        if (served === undefined) break;
        // One background refresh per entry, however many requests see it stale.
        if (!this.#refreshing.has(stored.entryKey)) {
          this.#refreshing.add(stored.entryKey);
          const refresh = this.#revalidate(request, stored, decision, fetcher)
            .catch((error) => this.#report(error, request))
            .finally(() => this.#refreshing.delete(stored.entryKey));
          waitUntil(refresh);
        }
        return served;
      }
      case "gateway-timeout":
        return this.#labelled(null, { status: 504 }, "MISS", { detail: "only-if-cached" });
    }
    // Lead a flight for the key, or follow the one in the air (in one step:
    // nothing awaits between looking and leading).
    const flight = this.#lead(request, key, waitUntil);
    const following = flight === undefined ? (this.#flights?.get(key) ?? pending) : undefined;
    if (following !== undefined && mayFollow(request)) {
      // A flight whose leader has been answered is a write in progress:
      // what it stores is a hit (read-your-writes), not a collapsed fetch.
      const answered = following.answered;
      const record = await this.#flights.follow(following);
      if (record !== undefined) {
        const [token, field] = answered ? ["HIT", { hit: true }] : ["COLLAPSED", { fwd: decision.fwd, collapsed: true }];
        const served = this.#serveRecord(request, record, token, field);
        if (served !== undefined) return served;
      }
    }
    const revalidation = decision.kind === "revalidate" || decision.kind === "stale-while-revalidate";
    const forward = revalidation ? decision : { kind: "miss", fwd: decision.fwd ?? "request" };
    return this.#toOrigin(request, key, fetcher, waitUntil, forward, revalidation ? stored : undefined, flight);
  }

  #parts(request) {
    return [request.method, request.url, flatHeaders(request.headers)];
  }

  #primaryKey(request) {
    try {
      return this.#policy.cacheKey(request.method, request.url);
    } catch (error) {
      if (error.code === "EDGECACHE_UNSUPPORTED") return undefined;
      throw error;
    }
  }

  // Hands an error nobody awaits (a failed origin, a background write) to
  // the `onError` option; an onError that throws is ignored.
  #report(error, request) {
    try {
      this.#onError?.(error, request);
    } catch {
      // Nothing left to tell.
    }
  }

  // The stored response for `request` (following a Vary index), or undefined.
  async #read(key, request) {
    const bytes = await this.#cache.get(key);
    if (bytes === undefined) return undefined;
    let entryKey = key;
    let record = bytes;
    if (bytes[0] === VARY_INDEX) {
      // The variant keys to try, in order (a response in the request's
      // first-choice language first; none for Vary: *).
      const vary = decoder.decode(bytes.subarray(1));
      record = undefined;
      for (const variant of this.#policy.variantKeys(vary, flatHeaders(request.headers))) {
        entryKey = this.#policy.entryKey(key, variant);
        record = await this.#cache.get(entryKey);
        if (record !== undefined) break;
      }
      if (record === undefined) return undefined;
    }
    const handle = this.#decode(record);
    if (handle === undefined) {
      // Not a stored response (foreign or corrupt data): a miss, and gone.
      await this.#cache.delete(entryKey);
      return undefined;
    }
    return { key, entryKey, handle };
  }

  // Read-your-writes: the record a request answered moments ago is storing
  // (its flight lasts until the write finishes), as `#read` would give it.
  #beingWritten(key, pending) {
    const record = pending?.record ?? this.#flights?.get(key)?.record;
    const handle = record && this.#decode(record);
    return handle && { key, entryKey: key, handle };
  }

  // A stored record, or undefined when it is not one we can serve.
  #decode(record) {
    try {
      const handle = this.#policy.decode(record);
      return relayable(handle.status) ? handle : undefined;
    } catch {
      return undefined;
    }
  }

  // `new Response(body, init)` labelled with both diagnostic fields.
  #labelled(body, init, token, field) {
    const headers = new Headers(init.headers);
    this.#label(headers, token, field);
    return new Response(body, { ...init, headers });
  }

  #label(headers, token, { hit = false, fwd, fwdStatus, stored = false, collapsed = false, ttl, detail } = {}) {
    headers.set(HEADER, token);
    // RFC 9211 §2: a cache adds its member at the end of the list it got.
    headers.append(CACHE_STATUS, this.#policy.cacheStatus(hit, fwd, fwdStatus, stored, collapsed, ttl, detail));
  }

  // The origin's response relabelled for the client (its header list is
  // immutable); a status the runtime cannot relay becomes a 502.
  #relay(response, token, field) {
    const headers = new Headers(response.headers);
    this.#label(headers, token, field);
    try {
      return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
    } catch {
      // An origin reason phrase the runtime refuses; the status is checked.
      return new Response(response.body, { status: response.status, headers });
    }
  }

  // Serves a stored response at `now`: a 304 for the client's own matching
  // conditional request, a 206/416 for a single byte range, else in full
  // with its Content-Length. Undefined when the request has several ranges
  // (the origin answers those).
  #serve(request, handle, now, token, field) {
    const status = { ...field, ttl: this.#policy.ttlSecs(handle, now) };
    const parts = this.#parts(request);
    const notModified = this.#policy.notModified(...parts, handle, now);
    if (notModified !== undefined) {
      const headers = toHeaders(notModified);
      this.#label(headers, token, status);
      return new Response(null, { status: 304, headers });
    }
    const range = request.headers.has("range") ? this.#policy.range(request.method, parts[2], handle) : { kind: "full" };
    if (range.kind === "forward") return undefined;
    const headers = toHeaders(handle.headersAt(now));
    this.#label(headers, token, status);
    const head = request.method === "HEAD";
    switch (range.kind) {
      case "unsatisfiable":
        headers.set("content-range", range.contentRange);
        headers.set("content-length", "0");
        return new Response(null, { status: 416, headers });
      case "partial":
        headers.set("content-range", range.contentRange);
        headers.set("content-length", String(range.last - range.first + 1));
        return new Response(handle.bodyRange(range.first, range.last), { status: 206, headers });
      default: {
        // headersAt gives the stored content's Content-Length (none for 204/304).
        const bodiless = handle.status === 204 || handle.status === 304;
        return new Response(head || bodiless ? null : handle.body(), { status: handle.status, headers });
      }
    }
  }

  // Serves another request's just-stored record if it answers `request` as a
  // fresh hit would (its Vary'd fields and Cache-Control decide), else
  // undefined.
  #serveRecord(request, record, token, field) {
    const handle = this.#decode(record);
    if (handle === undefined) return undefined;
    const now = Date.now();
    const decision = this.#policy.lookup(...this.#parts(request), handle, now);
    return decision.kind === "fresh" ? this.#serve(request, handle, now, token, field) : undefined;
  }

  // An unsafe (or unknown) method: forwarded, and a success invalidates.
  async #writeThrough(request, fetcher) {
    const { response, error, timedOut } = await callOrigin(fetcher, request, this.#timeoutMs);
    const field = { fwd: "method" };
    if (error !== undefined || !relayable(response.status)) return this.#failed(request, undefined, field, response, error, timedOut);
    await this.#invalidate(request, response).catch(unlessStorageFails());
    return this.#relay(response, "BYPASS", { ...field, fwdStatus: response.status });
  }

  // The origin failed (`error`), did not answer within timeoutMs
  // (`timedOut`), or answered with a status that cannot be relayed
  // (`response`): stale-if-error where it applies, else a 502 (a 504 for a
  // timeout).
  #failed(request, stored, field, response, error, timedOut = false) {
    const status = response?.status;
    if (response !== undefined) {
      discard(response.body);
      error = new Error(`the origin answered with status ${status}, which cannot be relayed`);
    }
    this.#report(error, request);
    const fwdStatus = relayable(status) ? status : undefined;
    const stale = stored && this.#staleIfError(request, stored, { ...field, fwdStatus });
    if (stale) return stale;
    if (timedOut) {
      return this.#labelled(`Gateway Timeout: the origin did not answer within ${this.#timeoutMs} ms.\n`, { status: 504, headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" } }, "ERROR", { ...field, detail: "origin-timeout" });
    }
    const detail = response === undefined ? "origin-unreachable" : "origin-status";
    const text = response === undefined ? "the origin could not be reached" : `the origin answered with status ${status}`;
    return this.#labelled(`Bad Gateway: ${text}.\n`, { status: 502, headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" } }, "ERROR", { ...field, detail });
  }

  #staleIfError(request, stored, field) {
    const now = Date.now();
    const age = this.#policy.staleIfError(...this.#parts(request), stored.handle, now);
    return age === undefined ? undefined : this.#serve(request, stored.handle, now, "STALE", { ...field, detail: "stale-if-error" });
  }

  // Goes to the origin: for a miss (`decision.kind === "miss"`) or to
  // revalidate `stored` (`decision.headers` are the conditional fields). As
  // the leader of `flight` (if any), it hands the stored record to the
  // requests that follow before the write finishes, and ends the flight.
  async #toOrigin(request, key, fetcher, waitUntil, decision, stored, flight) {
    let handedOver = false;
    try {
      const field = { fwd: decision.fwd };
      const outgoing = stored ? new Request(request, { headers: toHeaders(decision.headers) }) : request;
      const requestTime = Date.now();
      const { response, error, timedOut } = await callOrigin(fetcher, outgoing, this.#timeoutMs);
      const responseTime = Date.now();
      if (error !== undefined || !relayable(response.status)) return this.#failed(request, stored, field, response, error, timedOut);
      field.fwdStatus = response.status;
      if (stored && response.status === 304) {
        const outcome = this.#freshen(request, stored, response, requestTime, responseTime);
        if (outcome === undefined) {
          // The 304 does not select what we hold: ask again, unconditionally.
          return this.#toOrigin(request, key, fetcher, waitUntil, { kind: "miss", fwd: decision.fwd });
        }
        const handle = this.#decode(outcome.record);
        flight?.publish(outcome.record);
        // The freshened response is served even if storing it fails.
        await this.#write(stored.key, outcome, responseTime).catch(unlessStorageFails());
        return this.#serve(request, handle, responseTime, "REVALIDATED", { ...field, stored: true }) ?? this.#toOrigin(request, key, fetcher, waitUntil, { kind: "miss", fwd: "request" });
      }
      if (stored && response.status >= 500) {
        const stale = this.#staleIfError(request, stored, field);
        if (stale) {
          discard(response.body);
          return stale;
        }
      }
      if (request.method !== "GET") return this.#relay(response, "MISS", field);
      const reason = this.#policy.notStorable(...this.#parts(request), response.status, flatHeaders(response.headers), responseTime);
      if (reason !== undefined) {
        if (flight && NEVER_SHARED.has(reason) && response.status < 500) this.#flights.pass(key, responseTime);
        return this.#relay(response, "BYPASS", { ...field, detail: reason });
      }
      this.#flights?.unpass(key);
      const storing = this.#storeLater(request, key, response.clone(), requestTime, responseTime, flight);
      if (flight) {
        // Served now, stored behind it: requests arriving meanwhile wait on
        // the flight, which ends when the write does.
        flight.answered = true;
        handedOver = true;
        waitUntil(storing);
      } else {
        // Nobody could wait on this write: finish it before answering, so
        // the next request reads it.
        await storing;
      }
      return this.#relay(response, "MISS", { ...field, stored: true });
    } finally {
      if (flight && !handedOver) this.#flights.end(key, flight);
    }
  }

  // Leads a flight for `key` if `request` may (a plain GET, collapsing on,
  // no flight yet, not hit-for-pass). Its work outlives the leader's own
  // request: `waitUntil` keeps it running if the client goes away.
  #lead(request, key, waitUntil) {
    if (this.#flights === undefined || request.method !== "GET" || !mayFollow(request)) return undefined;
    const flight = this.#flights.lead(key, Date.now());
    if (flight !== undefined) waitUntil(flight.ended);
    return flight;
  }

  async #storeLater(request, key, response, requestTime, responseTime, flight) {
    try {
      const body = await readBody(response, this.#maxBodyBytes);
      if (body === undefined) return; // too large: streamed to the leader only
      const outcome = this.#store(request, response, body, requestTime, responseTime);
      if (outcome === undefined) return;
      flight?.publish(outcome.record);
      await this.#write(key, outcome, responseTime);
    } catch (error) {
      this.#report(error, request);
    } finally {
      if (flight) this.#flights.end(key, flight);
    }
  }

  // A stale-while-revalidate refresh, in the background.
  async #revalidate(request, stored, decision, fetcher) {
    const requestTime = Date.now();
    const { response, error } = await callOrigin(fetcher, new Request(request, { headers: toHeaders(decision.headers) }), this.#timeoutMs);
    const responseTime = Date.now();
    if (error !== undefined) throw error;
    if (response.status === 304) {
      const outcome = this.#freshen(request, stored, response, requestTime, responseTime);
      if (outcome !== undefined) await this.#write(stored.key, outcome, responseTime);
    } else if (relayable(response.status) && response.status < 500) {
      const body = await readBody(response, this.#maxBodyBytes);
      const outcome = body && this.#store(request, response, body, requestTime, responseTime);
      if (outcome !== undefined) await this.#write(stored.key, outcome, responseTime);
    } else {
      discard(response.body);
    }
  }

  // The stored response updated by a 304 (`{ record, … }`), or undefined
  // when the 304 does not select it or may not be stored.
  #freshen(request, stored, response, requestTime, responseTime) {
    const outcome = this.#policy.freshen(
      stored.handle,
      ...this.#parts(request),
      flatHeaders(response.headers),
      requestTime,
      responseTime,
    );
    if (outcome?.notStorable !== undefined) {
      // Served to this client, not kept (e.g. the 304 added Set-Cookie).
      this.#cache.delete(stored.key).catch((error) => this.#report(error, request));
      return undefined;
    }
    return outcome;
  }

  // The policy's storable record for a response with `body`, or undefined.
  #store(request, response, body, requestTime, responseTime) {
    const outcome = this.#policy.store(
      ...this.#parts(request),
      response.status,
      flatHeaders(response.headers),
      body,
      requestTime,
      responseTime,
    );
    return outcome.notStorable === undefined ? outcome : undefined;
  }

  async #write(key, { record, expiresAt, vary, variant }, now) {
    const ttlMs = ttlFor(expiresAt, now);
    const options = ttlMs === undefined ? undefined : { ttlMs };
    if (vary === "") {
      await this.#cache.set(key, record, options);
      return;
    }
    if (variant === undefined) return; // Vary: * never matches: nothing to keep.
    const index = new Uint8Array([VARY_INDEX, ...encoder.encode(vary)]);
    await this.#cache.set(this.#policy.entryKey(key, variant), record, options);
    // The index has no TTL of its own: other variants may outlive this one.
    // It is tiny, and an invalidation of the URL deletes it.
    await this.#cache.set(key, index);
  }

  async #invalidate(request, response) {
    const keys = this.#policy.invalidations(
      request.method,
      request.url,
      flatHeaders(request.headers),
      response.status,
      flatHeaders(response.headers),
    );
    if (keys.length > 0) await this.#cache.deleteMany(keys);
  }
}

/** What an entry installs as its `http` module: the engine with a wasm glue's policy. */
export const httpModule = (glue) => ({ HttpPolicy: glue.HttpPolicy, HttpCache });
