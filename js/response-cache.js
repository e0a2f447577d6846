// ResponseCache: RFC 9111 HTTP caching of `Response`s in any EdgeCache
// (memory, IndexedDB in a service worker, Workers KV, tiered).
//
// This file is what every page that imports the package carries: the class,
// its argument checks and its documentation. The engine (js/http-cache.js)
// comes with the HTTP policy's module on first use, which in the browser is
// a chunk of its own.

import { codedError, readOptions } from "./options.js";
import { httpGlue } from "./runtime.js";

const OPTIONS = ["shared", "targetedField", "cacheSetCookie", "fetcher", "collapseTimeoutMs", "maxBodyBytes", "onError", "staleIfErrorMs", "timeoutMs"];
/** The longest default stale-if-error window: a year. */
const MAX_STALE_IF_ERROR_MS = 365 * 24 * 3600 * 1000;
const FETCH_OPTIONS = ["fetcher", "waitUntil"];

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

function optionalInteger(options, name, max) {
  const value = options[name];
  if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0 && value <= max)) {
    throw codedError("EDGECACHE_INVALID_OPTIONS", `${name} must be an integer from 0 to ${max}`);
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

export function checkResponse(response, what) {
  if (!isResponse(response)) {
    throw codedError("EDGECACHE_INVALID_VALUE", `${what} must be a Response, got ${response === null ? "null" : typeof response}`);
  }
  return response;
}

// The default origin fetch. In a browser (a service worker or a page) the
// browser's HTTP cache sits under `fetch`, and would answer a revalidation
// with its own old copy (Chromium applies stale-while-revalidate too): the
// ResponseCache is the cache there, so it asks with `cache: "no-store"`.
// Elsewhere a plain fetch (workerd's fetch does not take `cache` on every
// compatibility date).
function defaultFetcher() {
  const browser = typeof ServiceWorkerGlobalScope === "function" || typeof document === "object";
  return browser ? (request) => fetch(request, { cache: "no-store" }) : (request) => fetch(request);
}

/**
 * An HTTP cache for `Response`s, following RFC 9111 (with RFC 5861's
 * stale-while-revalidate / stale-if-error, RFC 9213's CDN-Cache-Control,
 * RFC 9110 range requests and RFC 9211's Cache-Status), storing into any
 * EdgeCache, with concurrent misses for one URL collapsed into one origin
 * fetch.
 */
export class ResponseCache {
  #cache;
  #engine; // the HttpCache, made on first use (#ready)
  #policyArgs;
  #settings;
  #fetcher;

  /**
   * @param cache an EdgeCache to store responses in
   * @param options `{ shared = true, targetedField, cacheSetCookie = false,
   *   fetcher = fetch, collapseTimeoutMs = 5000, maxBodyBytes = 32 MiB, onError,
   *   staleIfErrorMs = 0, timeoutMs = 0 (none) }`
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
    this.#settings = {
      collapseTimeoutMs: optionalInteger(opts, "collapseTimeoutMs", 600_000),
      maxBodyBytes: optionalInteger(opts, "maxBodyBytes", 2 ** 31),
      onError: optionalFunction(opts, "onError"),
      // 0 (the default) is no timeout.
      timeoutMs: optionalInteger(opts, "timeoutMs", 600_000),
    };
    this.#cache = cache;
    // Whole seconds for the policy (HTTP's unit), rounded up.
    const staleIfErrorSecs = Math.ceil((optionalInteger(opts, "staleIfErrorMs", MAX_STALE_IF_ERROR_MS) ?? 0) / 1000);
    this.#policyArgs = [shared ?? true, opts.targetedField, cacheSetCookie === true, staleIfErrorSecs];
    this.#fetcher = fetcher ?? defaultFetcher();
  }

  // The engine and its policy are made on first use: in the browser their
  // module (a separate chunk) loads then; elsewhere it is already loaded.
  async #ready() {
    if (this.#engine === undefined) {
      const { HttpPolicy, HttpCache } = await httpGlue();
      this.#engine ??= new HttpCache(new HttpPolicy(...this.#policyArgs), this.#cache, this.#settings);
    }
    return this.#engine;
  }

  /**
   * A stored response that may be served now without contacting the origin,
   * or `undefined`. A response another request is storing right now counts.
   */
  async match(input) {
    const request = toRequest(input);
    return (await this.#ready()).match(request);
  }

  /** Stores `response` for `request` if the rules allow; resolves to whether it was stored. */
  async put(input, response) {
    const request = toRequest(input);
    checkResponse(response, "put's response");
    return (await this.#ready()).put(request, response);
  }

  /** Removes the stored response(s) for `input`'s URL. */
  async delete(input) {
    const request = toRequest(input);
    return (await this.#ready()).delete(request);
  }

  /**
   * The whole read-through: serve fresh hits (and single byte ranges of
   * them), revalidate stale ones (updating on 304), serve stale within
   * stale-while-revalidate while refreshing once in the background through
   * `waitUntil`, fall back to stale-if-error (or a 502) when the origin
   * fails (or a 504 when it does not answer within `timeoutMs`), answer the client's conditional requests with 304, write unsafe
   * methods through and invalidate, and let concurrent misses for one URL
   * wait for one origin fetch. Resolves for anything the origin does; every
   * response carries `x-edgecache` and `Cache-Status`.
   */
  async fetch(input, options) {
    const opts = readOptions(options, FETCH_OPTIONS, "ResponseCache.fetch options");
    const fetcher = optionalFunction(opts, "fetcher") ?? this.#fetcher;
    const waitUntil = optionalFunction(opts, "waitUntil") ?? ((promise) => promise.catch(() => {}));
    const request = toRequest(input);
    return (await this.#ready()).fetch(request, fetcher, waitUntil);
  }
}
