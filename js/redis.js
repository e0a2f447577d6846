// Redis connections for EdgeCache.redis: reads the `connect` option
// (redis:// URLs, "host:port", { hostname, port } or a function) and the
// credentials in it. Sockets, timeouts and the platform's TCP are in tcp.js,
// shared with any other backend over TCP; the protocol (RESP, pipelining,
// AUTH) is in Rust.

import { ErrorCode, codedError, describe } from "./options.js";
import { PersistentDriver } from "./persistent.js";
import { parseServerUrl, readServerAddress, tcpOpener } from "./tcp.js";

const DEFAULT_PORT = 6379;

function invalid(message) {
  return codedError(ErrorCode.INVALID_OPTIONS, message);
}

// Credentials go into every AUTH command; far longer than any real one.
const MAX_CREDENTIAL_BYTES = 4096;

/**
 * A username or password: undefined, or a non-empty, well-formed string of
 * at most 4 KiB of UTF-8 (a lone surrogate has no UTF-8 form: it would
 * reach the server as U+FFFD and fail in a way nobody could debug).
 */
export function readCredential(value, name) {
  if (value === undefined) return undefined;
  if (
    typeof value !== "string" ||
    value.length === 0 ||
    !value.isWellFormed() ||
    new TextEncoder().encode(value).length > MAX_CREDENTIAL_BYTES
  ) {
    throw invalid(`${name} must be a non-empty, well-formed string of at most ${MAX_CREDENTIAL_BYTES} bytes, got ${describe(value)}`);
  }
  return value;
}

// "redis://[user[:password]@]host[:port][/0]" (or "host:port"), or
// "rediss://..." for TLS. Credentials in the URL are percent-decoded;
// explicit options win over them.
function parseUrl(text) {
  const what = "connect";
  const { url, address } = parseServerUrl(text, { scheme: "redis", schemes: ["redis", "rediss"], defaultPort: DEFAULT_PORT });
  if (url.pathname !== "" && url.pathname !== "/" && url.pathname !== "/0") {
    throw invalid(`${what}: database selection is not supported (use namespaces), got ${JSON.stringify(url.pathname)}`);
  }
  if (url.search !== "" || url.hash !== "") {
    throw invalid(`${what}: URL parameters are not supported, got ${JSON.stringify(url.search + url.hash)}`);
  }
  const decode = (part) => {
    if (part === "") return undefined;
    try {
      return decodeURIComponent(part);
    } catch {
      throw invalid(`${what}: the URL's credentials are not valid percent-encoding`);
    }
  };
  return {
    address,
    tls: url.protocol === "rediss:",
    username: readCredential(decode(url.username), "the URL's username"),
    password: readCredential(decode(url.password), "the URL's password"),
  };
}

function readAddress(connect) {
  return readServerAddress(connect, { scheme: "redis", defaultPort: DEFAULT_PORT, parseUrl });
}

/**
 * The `tls` option: undefined (TLS only for rediss:// URLs), `true`, or
 * `{ ca }`: TLS trusting `ca` (PEM text, one string or several) on top of
 * the platform's trusted roots. Returns `undefined` (no TLS) or `{ ca? }`.
 */
function readTls(tls, fromUrl) {
  if (tls === undefined) return fromUrl ? {} : undefined;
  if (tls === true) return {};
  if (tls === false) {
    if (fromUrl) throw invalid("tls: false contradicts the rediss:// URL (use redis:// for a plain connection)");
    return undefined;
  }
  if (typeof tls !== "object" || tls === null || Array.isArray(tls)) {
    throw invalid(`tls must be true, false or { ca }, got ${describe(tls)}`);
  }
  const names = Object.keys(tls).filter((k) => k !== "ca");
  if (names.length > 0) throw invalid(`tls: unknown option ${JSON.stringify(names[0])} (only ca)`);
  const { ca } = tls;
  const pem = (v) => typeof v === "string" && v.includes("-----BEGIN CERTIFICATE-----");
  if (ca !== undefined && !pem(ca) && !(Array.isArray(ca) && ca.length > 0 && ca.every(pem))) {
    throw invalid(`tls.ca must be a PEM certificate (text with "-----BEGIN CERTIFICATE-----") or an array of them, got ${describe(ca)}`);
  }
  return ca === undefined ? {} : { ca };
}

/**
 * Reads the `connect` and `tls` options. Returns `{ open, username,
 * password }`, where `open(timeoutMs)` opens one connection and resolves to
 * the Rust core's socket shape, or rejects with an EDGECACHE_UNAVAILABLE
 * error (see tcp.js). A reply that stalls for `replyTimeoutMs` closes the
 * socket (the read rejects).
 */
export function readConnect(connect, replyTimeoutMs, tls) {
  const server = "Redis";
  if (typeof connect === "function") {
    if (tls !== undefined) {
      throw invalid("tls applies to URLs and { hostname, port }: a connect function opens its own socket (TLS or not)");
    }
    return { open: tcpOpener({ connect, server, replyTimeoutMs }) };
  }
  const { address, username, password, tls: fromUrl = false } = readAddress(connect);
  const target = { ...address, tls: readTls(tls, fromUrl) };
  return { open: tcpOpener({ target, server, replyTimeoutMs }), username, password };
}

/**
 * EdgeCache's driver over a Redis `PersistentCore`: the gets made in one
 * tick cross into wasm together (`redisGetBatch`: one call, one `MGET` per
 * 64 keys, each key with its own outcome) and their values come back
 * together, handed to a callback in the event that brings the reply,
 * instead of a wasm call and a Promise from Rust each. A tick's lone get
 * (an awaited get) takes `redisGet`, which settles its Promise directly.
 * Everything else is PersistentDriver's.
 */
export class RedisDriver extends PersistentDriver {
  #core;
  // The gets and getWithExpirys of this tick, not yet sent: { keys, settle }.
  #gets = null;
  #entries = null;

  constructor(core) {
    super(core);
    this.#core = core;
  }

  get(key) {
    if (this.#gets === null) {
      this.#gets = newBatch();
      queueMicrotask(() => this.#send(false));
    }
    return join(this.#gets, key);
  }

  getWithExpiry(key) {
    if (this.#entries === null) {
      this.#entries = newBatch();
      queueMicrotask(() => this.#send(true));
    }
    return join(this.#entries, key);
  }

  #send(withExpiry) {
    const batch = withExpiry ? this.#entries : this.#gets;
    if (withExpiry) this.#entries = null;
    else this.#gets = null;
    const { keys, settle } = batch;
    const failAll = (error) => {
      // Settling twice is a no-op, so this fails exactly the gets still waiting.
      for (let i = 1; i < settle.length; i += 2) settle[i](error);
    };
    try {
      // One key (a get awaited on its own): its own entry point, answering
      // the get's Promise itself, with no arrays and no callback.
      if (keys.length === 1) return this.#core.redisGet(keys[0], withExpiry, settle[0], settle[1]);
      const lengths = Uint32Array.from(keys, (k) => k.length);
      this.#core.redisGetBatch(keys.join(""), lengths, (values, expiries, errors, failure) => {
        if (failure !== undefined) return failAll(failure);
        try {
          settleBatch(settle, values, expiries, errors, withExpiry);
        } catch (error) {
          failAll(error); // a malformed answer must not leave a get hanging
        }
      });
    } catch (error) {
      failAll(error);
    }
  }
}

// Settles each get of a batch from `redisGetBatch`'s answer (see
// `batch_answer` in src/backends/redis/js.rs): per key a value of its own
// (`undefined`: a miss, or a failure when `errors` has one at that index)
// and an expiry (`NaN` for none; no `expiries` at all when no hit has one).
function settleBatch(settle, values, expiries, errors, withExpiry) {
  for (let i = 0; 2 * i < settle.length; i++) {
    const error = errors?.[i];
    if (error !== undefined) settle[2 * i + 1](error);
    else if (!withExpiry || values[i] === undefined) settle[2 * i](values[i]);
    else {
      const expiresAt = expiries?.[i];
      settle[2 * i]([values[i], expiresAt === undefined || Number.isNaN(expiresAt) ? undefined : expiresAt]);
    }
  }
}

function newBatch() {
  return { keys: [], settle: [] };
}

// Adds `key` to `batch`; resolves to its outcome once the batch is answered.
function join(batch, key) {
  return new Promise((resolve, reject) => {
    batch.keys.push(key);
    batch.settle.push(resolve, reject);
  });
}
