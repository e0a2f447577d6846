// Type definitions for edgecache. Hand-written (but for the generated
// constants.d.ts): one file for every entry point.

// The codes are generated from the Rust crate (`Error::CODES`) at build time.
import type { EdgeCacheErrorCode } from "./constants.js";
export { ErrorCode, type EdgeCacheErrorCode } from "./constants.js";

/** Every rejection is a real `Error` with `name === "EdgeCacheError"` and a stable `code`. */
export interface EdgeCacheError extends Error {
  name: "EdgeCacheError";
  code: EdgeCacheErrorCode;
}

/** Options of `EdgeCache.memory`. Unknown names and wrong types are refused. */
export interface MemoryOptions {
  /** Most entries held at once (whole number >= 1; default 10,000). */
  maxEntries?: number;
  /**
   * Most bytes held at once (default 32 MiB). Each entry counts its key's UTF-8
   * bytes, its value's bytes and 96 bytes of overhead.
   */
  maxBytes?: number;
  /** TTL for writes that give none, in milliseconds (default: no expiry). */
  defaultTtlMs?: number;
  /** A name for this cache's keys (1-256 bytes). */
  namespace?: string;
}

/** Bounds of the memory tier in front of a persistent cache. */
export interface MemoryTierOptions {
  /** Most entries the memory tier holds (default 10,000). */
  maxEntries?: number;
  /** Most bytes the memory tier holds (default 32 MiB). */
  maxBytes?: number;
}

/** Options of `EdgeCache.indexedDb`. Unknown names and wrong types are refused. */
export interface IndexedDbOptions {
  /** Database name (default "edgecache"). */
  dbName?: string;
  /** Object store name (default "entries"). */
  storeName?: string;
  /** A name for this cache's keys (1-256 bytes); `clear()` clears only it. */
  namespace?: string;
  /** TTL for writes that give none, in milliseconds (default: no expiry). */
  defaultTtlMs?: number;
  /** Most entries stored (default: unbounded); expired entries go first, then the least recently written. */
  maxEntries?: number;
  /** Most bytes stored (default: unbounded). */
  maxBytes?: number;
  /** Put a memory cache with these bounds in front (a tiered cache). */
  memory?: MemoryTierOptions;
}

/** Options of `EdgeCache.kv`. Unknown names and wrong types are refused. */
export interface KvOptions {
  /** A name for this cache's keys (1-256 bytes); `clear()` clears only it. */
  namespace?: string;
  /** TTL for writes that give none, in milliseconds (default: no expiry). */
  defaultTtlMs?: number;
  /** Put an isolate-local memory cache with these bounds in front (a tiered cache). */
  memory?: MemoryTierOptions;
}

/** The shape of a Workers KV binding; any object with these methods works. */
export interface KvBinding {
  get(key: string, options: { type: "arrayBuffer" }): Promise<ArrayBuffer | null>;
  put(key: string, value: ArrayBuffer | ArrayBufferView, options?: { expirationTtl?: number; metadata?: unknown }): Promise<void>;
  delete(key: string): Promise<void>;
  list(options?: { prefix?: string; cursor?: string; limit?: number }): Promise<{ keys: { name: string }[]; list_complete: boolean; cursor?: string }>;
}

/**
 * A socket as `cloudflare:sockets`' `connect()` returns it: Web Streams of
 * bytes. A `connect` function may return one (or a promise of one).
 */
export interface RedisSocket {
  readable: ReadableStream<Uint8Array>;
  writable: WritableStream<Uint8Array>;
  /** Resolves once the connection is open (awaited if present). */
  opened?: Promise<unknown>;
  close(): unknown;
}

/** Options of `EdgeCache.redis`. Unknown names and wrong types are refused. */
export interface RedisOptions {
  /**
   * Where the server is: `"redis://[user[:password]@]host[:port]"`
   * (`"rediss://…"` for TLS), `"host:port"` or `{ hostname, port }` (TCP
   * from `cloudflare:sockets` in workerd, `node:net`/`node:tls` in Node;
   * port 6379 by default), or a function that opens a socket (browsers have
   * no TCP: there this is the only way). Calls are pipelined on one
   * connection.
   */
  connect: string | { hostname: string; port?: number } | (() => RedisSocket | Promise<RedisSocket>);
  /**
   * TLS (default: only for `rediss://` URLs). `true`, or `{ ca }` to also
   * trust `ca` (PEM text, or several) on top of the platform's roots:
   * `node:tls` in Node, which checks the certificate and the host name;
   * `secureTransport: "on"` in workerd, which trusts public authorities only
   * (there `ca` is refused with EDGECACHE_INVALID_OPTIONS). `false` with a
   * `rediss://` URL, and any `tls` with a connect function, are refused.
   */
  tls?: boolean | { ca?: string | string[] };
  /** ACL user for `AUTH` (default: none, the `default` user). Wins over the URL's. */
  username?: string;
  /** Password for `AUTH` (default: none). Wins over the URL's. */
  password?: string;
  /** A name for this cache's keys (1-256 bytes); `clear()` clears only it. */
  namespace?: string;
  /** TTL for writes that give none, in milliseconds (default: no expiry). */
  defaultTtlMs?: number;
  /** How long opening a connection may take, in milliseconds (default 5000). */
  connectTimeoutMs?: number;
  /**
   * How long a reply may stall, in milliseconds (default 10000): then the
   * call rejects with EDGECACHE_UNAVAILABLE, the connection is dropped and
   * the next call opens a new one.
   */
  replyTimeoutMs?: number;
  /** Put an isolate-local memory cache with these bounds in front (a tiered cache). */
  memory?: MemoryTierOptions;
}

/** Options of `EdgeCache.memcached`. Unknown names and wrong types are refused. */
export interface MemcachedOptions {
  /**
   * Where the server is: `"memcached://host[:port]"`, `"host:port"` or
   * `{ hostname, port }` (TCP from `cloudflare:sockets` in workerd,
   * `node:net` in Node; port 11211 by default), or a function that opens a
   * socket (browsers have no TCP: there this is the only way). memcached
   * 1.6 or later (the meta protocol); no authentication.
   */
  connect: string | { hostname: string; port?: number } | (() => RedisSocket | Promise<RedisSocket>);
  /** A name for this cache's keys (1-256 bytes); `clear()` clears only it. */
  namespace?: string;
  /** TTL for writes that give none, in milliseconds (default: no expiry). */
  defaultTtlMs?: number;
  /** How long opening a connection may take, in milliseconds (default 5000). */
  connectTimeoutMs?: number;
  /**
   * How long a reply may stall, in milliseconds (default 10000): then the
   * call rejects with EDGECACHE_UNAVAILABLE, the connection is dropped and
   * the next call opens a new one.
   */
  replyTimeoutMs?: number;
  /** Put an isolate-local memory cache with these bounds in front (a tiered cache). */
  memory?: MemoryTierOptions;
}

/** Options of `getOrSet`: a write's `ttlMs`, and on a memcached cache `lockMs`. */
export interface GetOrSetOptions extends WriteOptions {
  /**
   * memcached caches only: how long the caller that won the fill may take
   * before another caller takes over, in milliseconds (1000 to 2^31 - 1,
   * default 30000; memcached counts whole seconds). Other caches refuse it.
   */
  lockMs?: number;
}

/** Options of `EdgeCache.d1`. Unknown names and wrong types are refused. */
export interface D1Options {
  /**
   * Table name (default "edgecache"): 1-64 ASCII letters, digits and
   * underscores, not starting with a digit, not `sqlite_*` or `_cf_*`.
   * Created with its expiry index if missing.
   */
  table?: string;
  /** A name for this cache's keys (1-256 bytes); `clear()` clears only it. */
  namespace?: string;
  /** TTL for writes that give none, in milliseconds (default: no expiry). */
  defaultTtlMs?: number;
  /** Put an isolate-local memory cache with these bounds in front (a tiered cache). */
  memory?: MemoryTierOptions;
}

/** The part of a D1 database binding (`env.DB`) edgecache calls. */
export interface D1Binding {
  prepare(sql: string): D1StatementLike;
  batch(statements: D1StatementLike[]): Promise<unknown[]>;
}

/** The part of a D1 prepared statement edgecache calls. */
export interface D1StatementLike {
  bind(...values: unknown[]): D1StatementLike;
  all(): Promise<unknown>;
  run(): Promise<unknown>;
}

/** Options of `EdgeCache.purgeExpired`. */
export interface PurgeOptions {
  /** Most rows deleted by this call: a whole number from 1 to 10,000 (default 1,000). */
  maxRows?: number;
}

/** Options of `EdgeCache.r2`. Unknown names and wrong types are refused. */
export interface R2Options {
  /**
   * A fixed start for every object key, so the cache can share a bucket:
   * empty (the default), or ending in "/" and without ":" (e.g. "cache/").
   * It counts toward R2's 1,024-byte keys.
   */
  prefix?: string;
  /** A name for this cache's keys (1-256 bytes); `clear()` clears only it. */
  namespace?: string;
  /** TTL for writes that give none, in milliseconds (default: no expiry). */
  defaultTtlMs?: number;
  /** Put an isolate-local memory cache with these bounds in front (a tiered cache). */
  memory?: MemoryTierOptions;
}

/** The object R2's `get`/`head` resolve to, as far as edgecache reads it. */
export interface R2ObjectLike {
  customMetadata?: Record<string, string>;
  body?: ReadableStream<Uint8Array>;
  arrayBuffer?(): Promise<ArrayBuffer>;
}

/** The shape of an R2 bucket binding (`env.BUCKET`); any object with these methods works. */
export interface R2Binding {
  get(key: string): Promise<R2ObjectLike | null>;
  head(key: string): Promise<R2ObjectLike | null>;
  put(
    key: string,
    value: ReadableStream | ArrayBuffer | ArrayBufferView | Blob | string | null,
    options?: { customMetadata?: Record<string, string> },
  ): Promise<unknown>;
  delete(keys: string | string[]): Promise<void>;
  list(options?: { prefix?: string; cursor?: string; limit?: number }): Promise<{
    objects: { key: string }[];
    truncated: boolean;
    cursor?: string;
  }>;
}

/** Options of `R2Cache.setStream`. */
export interface StreamWriteOptions extends WriteOptions {
  /**
   * The stream's exact length in bytes. R2 stores a `ReadableStream` only if
   * its length is known: a request/response body with Content-Length has
   * one; for any other stream give `length` (in workerd it is then piped
   * through a `FixedLengthStream`; a stream of another length fails the put).
   */
  length?: number;
}

/** Options of a write. */
export interface WriteOptions {
  /** Time to live in milliseconds: positive, finite, at most 100 years. */
  ttlMs?: number;
}

/** Counters since creation and gauges now. */
export interface CacheStats {
  hits: number;
  misses: number;
  inserts: number;
  evictions: number;
  expirations: number;
  entries: number;
  /**
   * The keys' UTF-8 bytes plus the values' bytes, the same measure in every
   * cache. A byte bound may charge more: the memory cache's `maxBytes` adds
   * 96 bytes per entry, IndexedDB's counts each stored record (namespaced
   * key, 11-byte header, value).
   */
  bytes: number;
}

/** A JSON value as `JSON.parse` returns it. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * A bounded, TTL-aware cache. Every method returns a Promise; a miss resolves
 * to `undefined`, and failures reject with an {@link EdgeCacheError}.
 *
 * Values are `Uint8Array`s. Like a `Map`, the memory cache (and the memory
 * tier of a tiered cache) stores the array you pass and `get` returns that
 * same array: do not mutate it after `set`, or after `get`.
 * Keys are non-empty, well-formed strings of at most 16 KiB of UTF-8.
 */
export declare class EdgeCache {
  private constructor();

  /** An in-memory cache bounded by entries and bytes, evicting with S3-FIFO. */
  static memory(options?: MemoryOptions): EdgeCache;

  /**
   * A cache persisted in IndexedDB (survives reloads, shared by tabs), tiered
   * behind a memory cache when `options.memory` is given. Rejects with
   * EDGECACHE_UNAVAILABLE where IndexedDB is missing. Its `get` returns a copy (with a memory
   * tier, a hit in the tier returns the tier's array, as `EdgeCache.memory`
   * does).
   */
  static indexedDb(options?: IndexedDbOptions): Promise<EdgeCache>;

  /**
   * A cache over a Workers KV binding, tiered behind an isolate-local memory
   * cache when `options.memory` is given. TTLs are exact: KV's 60 s minimum
   * is only its storage hint. KV is eventually consistent: a write may take
   * 60 s or more to be seen in other locations. Its `get` returns a copy (with a memory
   * tier, a hit in the tier returns the tier's array, as `EdgeCache.memory`
   * does).
   */
  static kv(binding: KvBinding, options?: KvOptions): EdgeCache;

  /**
   * A cache in a Redis server, tiered behind a memory cache when
   * `options.memory` is given. Connects on the first call (not here) and
   * again after a failure: a server that is down or too slow to accept
   * rejects with EDGECACHE_UNAVAILABLE, refused credentials with
   * EDGECACHE_AUTH. TTLs are exact to the millisecond (`SET … PX`); `clear()`
   * deletes only this namespace's keys (`SCAN`, never `FLUSHDB`). Its `get`
   * returns a copy (with a memory tier, a hit in the tier returns the tier's
   * array, as `EdgeCache.memory` does). In a Worker it may live in module scope: workerd ties a
   * socket to the request that opened it, and a later request's call
   * replaces such a connection on its own.
   */
  static redis(options: RedisOptions): EdgeCache;

  /**
   * A cache in a memcached server (1.6 or later: the meta protocol), tiered
   * behind a memory cache when `options.memory` is given. Connects on the
   * first call (not here) and again after a failure: a server that is down
   * rejects with EDGECACHE_UNAVAILABLE. TTLs are exact to the millisecond
   * (the record's header; memcached gets whole seconds with a margin).
   * Keys that are not plain ASCII go base64-encoded; keys too long for
   * memcached's 250 bytes are stored under their SHA-256. `clear()` bumps
   * the namespace's generation counter (never `flush_all`): every cache on
   * the server stops seeing the old entries at once, and memcached drops
   * them as they expire or as it needs room. A value over the server's
   * item size (1 MiB by default) rejects with EDGECACHE_VALUE_TOO_LARGE.
   * `getOrSet` runs the loader once across every isolate and process that
   * shares the server (memcached's stampede protection: one caller wins,
   * the others wait for its value). Its `get` returns a copy.
   */
  static memcached(options: MemcachedOptions): EdgeCache;

  /**
   * A cache in a table of a Cloudflare D1 database (`env.DB`), tiered behind
   * an isolate-local memory cache when `options.memory` is given. Resolves
   * once the table exists (created with its index if missing, once per
   * binding and table in an isolate); rejects with EDGECACHE_INVALID_OPTIONS
   * for a bad binding or table name and EDGECACHE_BACKEND with D1's message
   * if D1 refuses. Strongly consistent; TTLs exact; rows (key + value + ~20
   * bytes) of at most 2,000,000 bytes. Its `get` returns a copy (with a memory
   * tier, a hit in the tier returns the tier's array, as `EdgeCache.memory`
   * does).
   */
  static d1(binding: D1Binding, options?: D1Options): Promise<EdgeCache>;

  /**
   * D1 caches only (others reject with EDGECACHE_UNSUPPORTED): deletes at
   * most `maxRows` expired rows of the table in one bounded statement and
   * resolves to how many. Writes purge a little now and then already; call
   * this from a cron trigger to purge more.
   */
  purgeExpired(options?: PurgeOptions): Promise<number>;

  /**
   * A cache over a Cloudflare R2 bucket binding, for values too large for KV
   * (up to 5 GiB less 5 MiB per object through `setStream`), tiered behind
   * an isolate-local memory cache when `options.memory` is given. TTLs are
   * exact, kept in each object's customMetadata and checked on every read;
   * expired objects are misses (left for the next write, `clear()` or a
   * bucket lifecycle rule). R2 is strongly consistent. Keys are at most
   * 1,024 bytes with the prefix and namespace. Its `get` returns a copy (with a memory
   * tier, a hit in the tier returns the tier's array, as `EdgeCache.memory`
   * does).
   */
  static r2(binding: R2Binding, options?: R2Options): R2Cache;

  /** The namespace given at creation, if any. */
  readonly namespace: string | undefined;

  /** The value under `key`, or `undefined` on a miss or after expiry. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Stores `value` under `key`, replacing any earlier value. */
  set(key: string, value: Uint8Array, options?: WriteOptions): Promise<void>;
  /** Removes `key` (missing keys are fine). */
  delete(key: string): Promise<void>;
  /** True if `key` holds a live value (does not count as a hit). */
  has(key: string): Promise<boolean>;
  /** The values of `keys`, in order. */
  getMany(keys: readonly string[]): Promise<(Uint8Array | undefined)[]>;
  /** Removes every key in `keys`. */
  deleteMany(keys: readonly string[]): Promise<void>;
  /** Removes every entry. */
  clear(): Promise<void>;
  /**
   * True if the storage can serve requests; false (never a rejection) when it
   * cannot: down or unreachable (EDGECACHE_UNAVAILABLE), failing
   * (EDGECACHE_BACKEND), refusing the credentials (EDGECACHE_AUTH), blocked
   * (EDGECACHE_BLOCKED) or full (EDGECACHE_QUOTA_EXCEEDED). Any other call
   * rejects with the reason. After `close()` it opens a new connection, like
   * any call.
   */
  healthCheck(): Promise<boolean>;
  /** Hits, misses, inserts, evictions, expirations, entries and bytes. */
  stats(): Promise<CacheStats>;
  /**
   * Closes the connection to the storage, if the cache holds one (IndexedDB,
   * Redis, memcached); the next call opens a new one. Never throws.
   */
  close(): void;

  /** The value under `key` decoded as UTF-8 (rejects with EDGECACHE_DECODE if it is not). */
  getText(key: string): Promise<string | undefined>;
  /** Stores `text` as UTF-8. */
  setText(key: string, text: string, options?: WriteOptions): Promise<void>;
  /** The value under `key` parsed as JSON (rejects with EDGECACHE_DECODE if it is not). */
  getJson<T = Json>(key: string): Promise<T | undefined>;
  /** Stores `JSON.stringify(value)` as UTF-8 (rejects with EDGECACHE_INVALID_VALUE if it has no JSON form). */
  setJson(key: string, value: unknown, options?: WriteOptions): Promise<void>;

  /**
   * The value under `key`; on a miss, runs `loader` once, stores and returns
   * its result. Concurrent callers for the same missing key share one loader
   * run. A loader's rejection reaches every waiting caller and is not cached.
   * On a memcached cache the one run is shared across isolates and
   * processes too (see `EdgeCache.memcached`; `options.lockMs`).
   */
  getOrSet(
    key: string,
    loader: (key: string) => Uint8Array | PromiseLike<Uint8Array>,
    options?: GetOrSetOptions,
  ): Promise<Uint8Array>;
}

/**
 * An EdgeCache over R2 (from `EdgeCache.r2`), with stream methods that pass
 * bodies between the caller and the bucket without copying them into wasm.
 * Streamed and byte values are the same objects: `get` reads what
 * `setStream` wrote and `getStream` what `set` wrote.
 */
export interface R2Cache extends EdgeCache {
  /**
   * The live value under `key` as the bucket's body stream, or `undefined`.
   * Always read from R2 (not the memory tier).
   */
  getStream(key: string): Promise<ReadableStream<Uint8Array> | undefined>;
  /**
   * Stores `body` under `key`. A `ReadableStream` needs a known length (see
   * {@link StreamWriteOptions.length}); more than R2's single-put limit is
   * EDGECACHE_VALUE_TOO_LARGE. On a tiered cache the key is first removed
   * from both tiers.
   */
  setStream(
    key: string,
    body: ReadableStream | Blob | ArrayBuffer | Uint8Array,
    options?: StreamWriteOptions,
  ): Promise<void>;
}

/** Options of `new ResponseCache(cache, options)`. */
export interface ResponseCacheOptions {
  /** A shared cache (a CDN, a worker) or a private one (a browser's service worker). Default true. */
  shared?: boolean;
  /** A targeted field checked before `CDN-Cache-Control`, e.g. "Cloudflare-CDN-Cache-Control". */
  targetedField?: string;
  /** Let a shared cache store responses carrying `Set-Cookie`. Default false: they are passed through. */
  cacheSetCookie?: boolean;
  /** How to reach the origin. Default: the global `fetch` (in a browser with `cache: "no-store"`: the ResponseCache is the cache). */
  fetcher?: (request: Request) => Promise<Response>;
  /**
   * How long (ms) a request waits for another request's origin fetch of the
   * same URL before fetching on its own. Default 5000; 0 turns request
   * collapsing off. At most 600000.
   */
  collapseTimeoutMs?: number;
  /**
   * The largest body (bytes) buffered to be stored and shared with waiting
   * requests; larger bodies stream to the client unstored. Default 32 MiB.
   */
  maxBodyBytes?: number;
  /**
   * Told about errors that do not fail the request: an origin that could not
   * be reached (answered with stale-if-error or a 502) or a background write
   * that failed.
   */
  onError?: (error: unknown, request: Request) => void;
  /**
   * How long past freshness (ms, rounded up to seconds) a stored response may
   * stand in for an origin that fails when the response has no
   * `stale-if-error` of its own. Never where `must-revalidate`, `no-cache`
   * or (shared) `proxy-revalidate`/`s-maxage` forbid stale use. Default 0.
   */
  staleIfErrorMs?: number;
  /**
   * How long the origin has to send its response headers, in milliseconds
   * (an integer up to 600,000; default 0: no limit). At the deadline the
   * origin request's `signal` is aborted and the answer is the stored
   * response where stale-if-error allows, else a 504 (`Cache-Status: …;
   * detail=origin-timeout`); the error goes to `onError`. Covers background
   * revalidations too; a body that stalls after its headers is not covered.
   */
  timeoutMs?: number;
}

/** Options of `ResponseCache.fetch`. */
export interface ResponseCacheFetchOptions {
  /** How to reach the origin for this call. */
  fetcher?: (request: Request) => Promise<Response>;
  /** Keeps background work alive (a worker's `ctx.waitUntil`): storing, revalidating, a collapsed fetch. */
  waitUntil?: (promise: Promise<unknown>) => void;
}

/**
 * HTTP caching of `Response`s in any EdgeCache, following RFC 9111, RFC 5861
 * (stale-while-revalidate, stale-if-error) and RFC 9213 (CDN-Cache-Control).
 * Served responses carry `Age`, `Cache-Status` (RFC 9211) and
 * `x-edgecache: HIT | MISS | STALE | REVALIDATED | BYPASS | COLLAPSED | ERROR`.
 */
export declare class ResponseCache {
  constructor(cache: EdgeCache, options?: ResponseCacheOptions);
  /** A stored response usable now without the origin, or `undefined`. */
  match(request: Request | string | URL): Promise<Response | undefined>;
  /** Stores `response` if the rules allow; resolves to whether it was stored. */
  put(request: Request | string | URL, response: Response): Promise<boolean>;
  /** Removes the stored response(s) for the request's URL. */
  delete(request: Request | string | URL): Promise<void>;
  /**
   * The whole read-through: hits, byte ranges, revalidation,
   * stale-while-revalidate, stale-if-error, 304s, invalidation, request
   * collapsing. Resolves whatever the origin does (a failure is a 502 or a
   * stale response); rejects only for a bug such as a fetcher that resolves
   * to something other than a Response.
   */
  fetch(request: Request | string | URL, options?: ResponseCacheFetchOptions): Promise<Response>;
}
