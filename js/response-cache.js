// ResponseCache: RFC 9111 HTTP caching of `Response`s in any EdgeCache
// (memory, IndexedDB in a service worker, Workers KV, tiered).
//
// The rules (what may be stored, for how long, when to revalidate, which
// variant answers, what a 304 updates, what a write invalidates) are the pure
// Rust policy in src/http, reached through HttpPolicy. This file only moves
// requests, responses and bytes: it fetches, stores through the EdgeCache,
// and schedules background refreshes with `waitUntil`.
//
// Storage layout: a response without Vary is stored under its primary key
// (the normalised URL). With Vary, the primary key holds a small index record
// ("V" + the canonical Vary value) and each variant is stored under
// entryKey(primary, variantKey(vary, request headers)).

import { codedError, readOptions } from "./options.js";
import { httpGlue } from "./runtime.js";

const HEADER = "x-edgecache";
const VARY_INDEX = 0x56; // "V": a Vary index record; stored responses start with "H".
const OPTIONS = ["shared", "targetedField", "cacheSetCookie", "fetcher"];
const FETCH_OPTIONS = ["fetcher", "waitUntil"];
const encoder = new TextEncoder();
const decoder = new TextDecoder();

// A Response, or an object of its shape (another fetch implementation's, such
// as the undici package's); false, not an exception, for a hostile Proxy.
function isResponse(value) {
  try {
    if (value instanceof Response) return true;
    return (
      typeof value === "object" &&
      value !== null &&
      typeof value.status === "number" &&
      typeof value.headers?.[Symbol.iterator] === "function" &&
      typeof value.clone === "function" &&
      typeof value.arrayBuffer === "function"
    );
  } catch {
    return false;
  }
}

function optionalBoolean(options, name) {
  const value = options[name];
  if (value !== undefined && typeof value !== "boolean") {
    // Not coerced: `shared: "false"` would otherwise turn a shared cache into
    // a private one, which stores (and then serves) other users' responses.
    throw codedError("EDGECACHE_INVALID_OPTIONS", `${name} must be a boolean, got ${typeof value}`);
  }
  return value;
}

function optionalFunction(options, name) {
  const value = options[name];
  if (value !== undefined && typeof value !== "function") {
    throw codedError("EDGECACHE_INVALID_OPTIONS", `${name} must be a function`);
  }
  return value;
}

// `new Request(input)` with a coded error for what is not a request or URL.
function toRequest(input) {
  try {
    return new Request(input);
  } catch (error) {
    throw codedError("EDGECACHE_INVALID_KEY", `expected a Request or an absolute URL: ${error?.message ?? error}`);
  }
}

function checkResponse(response, what) {
  if (!isResponse(response)) {
    throw codedError("EDGECACHE_INVALID_VALUE", `${what} must be a Response, got ${response === null ? "null" : typeof response}`);
  }
  return response;
}

// Calls the fetcher; anything it resolves to other than a Response is a coded
// error (its own rejections pass through unchanged).
async function callFetcher(fetcher, request) {
  return checkResponse(await fetcher(request), "the fetcher's result");
}

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

function tagged(response, status) {
  const headers = new Headers(response.headers);
  headers.set(HEADER, status);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
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

function ttlFor(expiresAt, now) {
  if (expiresAt === undefined) return undefined;
  return Math.max(1, expiresAt - now);
}

/**
 * An HTTP cache for `Response`s, following RFC 9111 (with RFC 5861's
 * stale-while-revalidate / stale-if-error and RFC 9213's CDN-Cache-Control),
 * storing into any EdgeCache.
 */
export class ResponseCache {
  #cache;
  #policy; // the Rust HttpPolicy, made on first use (#ready)
  #policyArgs;
  #fetcher;
  #refreshing = new Set(); // entry keys with a background revalidation in flight

  /**
   * @param cache an EdgeCache to store responses in
   * @param options `{ shared = true, targetedField, cacheSetCookie = false, fetcher = fetch }`
   */
  constructor(cache, options) {
    const opts = readOptions(options, OPTIONS, "ResponseCache options");
    let usable = false;
    try {
      usable = cache !== null && typeof cache === "object" && ["get", "set", "delete", "deleteMany"].every((m) => typeof cache[m] === "function");
    } catch {
      // A getter that throws: not a cache.
    }
    if (!usable) {
      throw codedError("EDGECACHE_INVALID_OPTIONS", "ResponseCache needs an EdgeCache to store responses in");
    }
    if (opts.targetedField !== undefined && (typeof opts.targetedField !== "string" || opts.targetedField.length === 0)) {
      throw codedError("EDGECACHE_INVALID_OPTIONS", "targetedField must be a header field name");
    }
    const shared = optionalBoolean(opts, "shared");
    const cacheSetCookie = optionalBoolean(opts, "cacheSetCookie");
    const fetcher = optionalFunction(opts, "fetcher");
    this.#cache = cache;
    this.#policyArgs = [shared ?? true, opts.targetedField, cacheSetCookie === true];
    this.#fetcher = fetcher ?? ((request) => fetch(request));
  }

  // The policy is made on first use: in the browser its wasm module (a
  // separate chunk) loads then; elsewhere it is already loaded.
  async #ready() {
    if (this.#policy === undefined) {
      const glue = await httpGlue();
      this.#policy ??= new glue.HttpPolicy(...this.#policyArgs);
    }
  }

  /** A stored response that may be served now without contacting the origin, or `undefined`. */
  async match(input) {
    const request = toRequest(input);
    await this.#ready();
    const key = this.#primaryKey(request);
    if (key === undefined) return undefined;
    const stored = await this.#read(key, request);
    if (stored === undefined) return undefined;
    const now = Date.now();
    const decision = this.#policy.lookup(...this.#parts(request), stored.handle, now);
    if (decision.kind === "fresh") return this.#serve(request, stored.handle, now, "HIT");
    if (decision.kind === "stale" || decision.kind === "stale-while-revalidate") {
      return this.#serve(request, stored.handle, now, "STALE");
    }
    return undefined;
  }

  /** Stores `response` for `request` if the rules allow; resolves to whether it was stored. */
  async put(input, response) {
    const request = toRequest(input);
    checkResponse(response, "put's response");
    await this.#ready();
    const now = Date.now();
    return this.#store(request, response, now, now);
  }

  /** Removes the stored response(s) for `input`'s URL. */
  async delete(input) {
    const request = toRequest(input);
    await this.#ready();
    const key = this.#primaryKey(request);
    if (key !== undefined) await this.#cache.delete(key);
  }

  /**
   * The whole read-through: serve fresh hits, revalidate stale ones (updating
   * on 304), serve stale within stale-while-revalidate while refreshing once
   * in the background through `waitUntil`, fall back to stale-if-error, answer
   * the client's conditional requests with 304, write unsafe methods through
   * and invalidate. Every response carries `x-edgecache`.
   */
  async fetch(input, options) {
    const opts = readOptions(options, FETCH_OPTIONS, "ResponseCache.fetch options");
    const fetcher = optionalFunction(opts, "fetcher") ?? this.#fetcher;
    const waitUntil = optionalFunction(opts, "waitUntil") ?? ((promise) => promise.catch(() => {}));
    const request = toRequest(input);
    await this.#ready();
    const key = this.#primaryKey(request);
    if (key === undefined) {
      const response = await callFetcher(fetcher, request);
      await this.#invalidate(request, response).catch(unlessStorageFails());
      return tagged(response, "BYPASS");
    }
    const stored = await this.#read(key, request).catch(unlessStorageFails(undefined));
    const now = Date.now();
    const parts = this.#parts(request);
    const decision = stored
      ? this.#policy.lookup(...parts, stored.handle, now)
      : this.#policy.lookupMissing(...parts, now);
    switch (decision.kind) {
      case "fresh":
        return this.#serve(request, stored.handle, now, "HIT");
      case "stale":
        return this.#serve(request, stored.handle, now, "STALE");
      case "stale-while-revalidate":
        // One background refresh per entry, however many requests see it stale.
        if (!this.#refreshing.has(stored.entryKey)) {
          this.#refreshing.add(stored.entryKey);
          const refresh = this.#revalidate(request, stored, decision, fetcher)
            .catch(() => {})
            .finally(() => this.#refreshing.delete(stored.entryKey));
          waitUntil(refresh);
        }
        return this.#serve(request, stored.handle, now, "STALE");
      case "revalidate":
        return this.#revalidateNow(request, stored, decision, fetcher);
      case "gateway-timeout":
        return new Response(null, { status: 504, headers: { [HEADER]: "MISS" } });
      default:
        return this.#forward(request, fetcher);
    }
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

  // The stored response for `request` (following a Vary index), or undefined.
  async #read(key, request) {
    const bytes = await this.#cache.get(key);
    if (bytes === undefined) return undefined;
    let entryKey = key;
    let record = bytes;
    if (bytes[0] === VARY_INDEX) {
      const vary = decoder.decode(bytes.subarray(1));
      const variant = this.#policy.variantKey(vary, flatHeaders(request.headers));
      if (variant === undefined) return undefined;
      entryKey = this.#policy.entryKey(key, variant);
      record = await this.#cache.get(entryKey);
      if (record === undefined) return undefined;
    }
    try {
      return { key, entryKey, handle: this.#policy.decode(record) };
    } catch {
      // Not a stored response (foreign or corrupt data): a miss, and gone.
      await this.#cache.delete(entryKey);
      return undefined;
    }
  }

  #serve(request, handle, now, status) {
    const notModified = this.#policy.notModified(...this.#parts(request), handle, now);
    if (notModified !== undefined) {
      const headers = toHeaders(notModified);
      headers.set(HEADER, status);
      return new Response(null, { status: 304, headers });
    }
    const headers = toHeaders(handle.headersAt(now));
    headers.set(HEADER, status);
    const bodiless = request.method === "HEAD" || [204, 304].includes(handle.status);
    return new Response(bodiless ? null : handle.body(), { status: handle.status, headers });
  }

  async #forward(request, fetcher) {
    const requestTime = Date.now();
    const response = await callFetcher(fetcher, request);
    const responseTime = Date.now();
    if (request.method !== "GET") return tagged(response, "MISS");
    const stored = await this.#store(request, response.clone(), requestTime, responseTime).catch(unlessStorageFails(false));
    return tagged(response, stored ? "MISS" : "BYPASS");
  }

  async #revalidateNow(request, stored, decision, fetcher) {
    const requestTime = Date.now();
    let response;
    try {
      response = await callFetcher(fetcher, new Request(request, { headers: toHeaders(decision.headers) }));
    } catch (error) {
      const stale = this.#staleIfError(request, stored);
      if (stale) return stale;
      throw error;
    }
    const responseTime = Date.now();
    if (response.status === 304) {
      const handle = await this.#freshen(request, stored, response, requestTime, responseTime);
      if (handle) return this.#serve(request, handle, responseTime, "REVALIDATED");
      // The 304 does not select what we hold: ask again, unconditionally.
      return this.#forward(request, fetcher);
    }
    if (response.status >= 500) {
      const stale = this.#staleIfError(request, stored);
      if (stale) return stale;
    }
    const storedNow = await this.#store(request, response.clone(), requestTime, responseTime).catch(unlessStorageFails(false));
    return tagged(response, storedNow ? "MISS" : "BYPASS");
  }

  async #revalidate(request, stored, decision, fetcher) {
    const requestTime = Date.now();
    const response = await callFetcher(fetcher, new Request(request, { headers: toHeaders(decision.headers) }));
    const responseTime = Date.now();
    if (response.status === 304) {
      await this.#freshen(request, stored, response, requestTime, responseTime);
    } else if (response.status < 500) {
      await this.#store(request, response, requestTime, responseTime);
    }
  }

  #staleIfError(request, stored) {
    const now = Date.now();
    const age = this.#policy.staleIfError(...this.#parts(request), stored.handle, now);
    return age === undefined ? undefined : this.#serve(request, stored.handle, now, "STALE");
  }

  async #freshen(request, stored, response, requestTime, responseTime) {
    const outcome = this.#policy.freshen(
      stored.handle,
      ...this.#parts(request),
      flatHeaders(response.headers),
      requestTime,
      responseTime,
    );
    if (outcome === undefined) return undefined;
    if (outcome.notStorable !== undefined) {
      // Served to this client, not kept (e.g. the 304 added Set-Cookie).
      await this.#cache.delete(stored.key).catch(unlessStorageFails());
      return undefined;
    }
    // The freshened response is served even if storing it fails.
    await this.#write(stored.key, outcome, responseTime).catch(unlessStorageFails());
    return this.#policy.decode(outcome.record);
  }

  async #store(request, response, requestTime, responseTime) {
    const parts = this.#parts(request);
    const key = this.#primaryKey(request);
    if (key === undefined) return false;
    const reason = this.#policy.notStorable(...parts, response.status, flatHeaders(response.headers), responseTime);
    if (reason !== undefined) return false;
    const body = new Uint8Array(await response.arrayBuffer());
    const outcome = this.#policy.store(
      ...parts,
      response.status,
      flatHeaders(response.headers),
      body,
      requestTime,
      responseTime,
    );
    if (outcome.notStorable !== undefined) return false;
    await this.#write(key, outcome, responseTime);
    return true;
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
