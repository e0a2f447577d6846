// Redis connections for EdgeCache.redis. The protocol (RESP, pipelining,
// AUTH, timeouts of replies) is in Rust; this file only turns the `connect`
// option into one function, `open(timeoutMs)`, that resolves to a socket with
// `write(bytes)`, `read()` (a Uint8Array, or null at end of stream) and
// `close()` — the one transport shape the Rust core talks to.
//
// Where TCP comes from depends on the platform, so the entry files register
// it: workerd.js passes `cloudflare:sockets`' connect(), node.js a `node:net`
// connector. Browsers have no TCP: there `connect` must be a function.

import { ErrorCode, codedError, describe } from "./options.js";

const DEFAULT_PORT = 6379;

// ({ hostname, port }, signal) => Promise<socket>, set by the entry file;
// `signal` aborts when the connect timeout passes.
let platformTcp;

/** Called once by an entry file with its platform's TCP connector. */
export function registerTcp(open) {
  platformTcp = open;
}

function invalid(message) {
  return codedError(ErrorCode.INVALID_OPTIONS, message);
}

function unavailable(message) {
  return codedError(ErrorCode.UNAVAILABLE, message);
}

function checkPort(port, what) {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw invalid(`${what}: port must be an integer from 1 to 65535, got ${describe(port)}`);
  }
  return port;
}

// A DNS name has at most 253 characters; an IP literal fewer.
const MAX_HOSTNAME = 253;
// Credentials go into every AUTH command; far longer than any real one.
const MAX_CREDENTIAL_BYTES = 4096;

function checkHostname(hostname, what) {
  if (typeof hostname !== "string" || hostname.length === 0 || hostname.length > MAX_HOSTNAME || !hostname.isWellFormed()) {
    throw invalid(`${what}: hostname must be a well-formed string of 1 to ${MAX_HOSTNAME} characters, got ${describe(hostname)}`);
  }
  return hostname;
}

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

// "redis://[user[:password]@]host[:port][/0]" (or "host:port"). Credentials
// in the URL are percent-decoded; explicit options win over them.
function parseUrl(text) {
  const what = "connect";
  const url = (() => {
    try {
      return new URL(text.includes("://") ? text : `redis://${text}`);
    } catch {
      throw invalid(`${what} must be a redis:// URL, "host:port" or { hostname, port }, got ${JSON.stringify(text)}`);
    }
  })();
  if (url.protocol !== "redis:") {
    throw invalid(`${what}: only redis:// URLs are supported (no TLS), got ${JSON.stringify(url.protocol)}`);
  }
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
  // IPv6 literals come back bracketed; connect() wants them bare.
  const hostname = checkHostname(url.hostname.replace(/^\[(.*)\]$/, "$1"), what);
  const port = url.port === "" ? DEFAULT_PORT : checkPort(Number(url.port), what);
  return {
    address: { hostname, port },
    username: readCredential(decode(url.username), "the URL's username"),
    password: readCredential(decode(url.password), "the URL's password"),
  };
}

function readAddress(connect) {
  if (typeof connect === "string") {
    if (!connect.isWellFormed()) throw invalid("connect must be a well-formed string (it has a lone surrogate)");
    return parseUrl(connect);
  }
  if (typeof connect === "object" && connect !== null) {
    const what = "connect";
    let hostname, port;
    try {
      ({ hostname, port = DEFAULT_PORT } = connect);
    } catch (error) {
      throw invalid(`reading ${what} threw: ${error}`);
    }
    return { address: { hostname: checkHostname(hostname, what), port: checkPort(port, what) } };
  }
  throw invalid(
    `connect must be a redis:// URL, "host:port", { hostname, port } or a function returning a socket, got ${describe(connect)}`,
  );
}

/**
 * Reads the `connect` option. Returns `{ open, username, password }`, where
 * `open(timeoutMs)` opens one connection and resolves to the Rust core's
 * socket shape, or rejects with an EDGECACHE_UNAVAILABLE error. A reply
 * that stalls for `replyTimeoutMs` closes the socket (the read rejects).
 */
export function readConnect(connect, replyTimeoutMs) {
  const guarded = (opening) => opening.then((socket) => withReplyTimeout(socket, replyTimeoutMs));
  if (typeof connect === "function") {
    return {
      open: (timeoutMs) =>
        guarded(withTimeout((signal) => streamSocket(connect(), signal), timeoutMs, "the connect function")),
    };
  }
  const { address, username, password } = readAddress(connect);
  const where = `${address.hostname}:${address.port}`;
  const open = (timeoutMs) => {
    if (platformTcp === undefined) {
      return Promise.reject(
        codedError(
          ErrorCode.UNSUPPORTED,
          "this runtime has no TCP sockets (browsers): pass connect as a function returning a socket",
        ),
      );
    }
    return guarded(withTimeout((signal) => platformTcp(address, signal), timeoutMs, where));
  };
  return { open, username, password };
}

// The core reads only while it awaits a reply, so a read that waits longer
// than `ms` is a server that stopped answering (or a half-open connection):
// the socket is closed and the read rejects; the core then drops the
// connection, and the next call opens a new one.
function withReplyTimeout(socket, ms) {
  return {
    write: (bytes) => socket.write(bytes),
    read() {
      let timer;
      const stalled = new Promise((_, reject) => {
        timer = setTimeout(() => {
          socket.close();
          reject(unavailable(`no reply within ${ms} ms`)); // the core says "Redis connection dropped"
        }, ms);
      });
      return Promise.race([socket.read(), stalled]).finally(() => clearTimeout(timer));
    },
    close: () => socket.close(),
  };
}

// Races an opening socket against the connect timeout. At the deadline the
// signal aborts (the opener drops its half-open socket) and a socket that
// opens later anyway is closed at once. Messages give the cause only: the
// core says "cannot connect to Redis" in front of them.
function withTimeout(start, timeoutMs, where) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const deadline = new AbortController();
    const timer = setTimeout(() => {
      settled = true;
      deadline.abort();
      reject(unavailable(`no connection to ${where} within ${timeoutMs} ms`));
    }, timeoutMs);
    Promise.resolve(deadline.signal)
      .then(start)
      .then(
        (socket) => {
          clearTimeout(timer);
          if (settled) socket?.close?.();
          else resolve(socket);
        },
        (error) => {
          clearTimeout(timer);
          if (!settled) {
            reject(error?.code === undefined ? unavailable(`${where}: ${error?.message ?? error}`) : error);
          }
        },
      );
  });
}

// A Web Streams socket ({ readable, writable, opened?, close() }), as
// `cloudflare:sockets`' connect() returns, in the core's shape. Resolves once
// the socket is open (its `opened` promise, where it has one).
async function streamSocket(socketOrPromise, signal) {
  const socket = await socketOrPromise;
  signal.addEventListener("abort", () => closeQuietly(socket), { once: true });
  if (
    typeof socket?.readable?.getReader !== "function" ||
    typeof socket?.writable?.getWriter !== "function"
  ) {
    throw unavailable(`the connect function must return a socket with readable and writable streams, got ${describe(socket)}`);
  }
  if (socket.opened !== undefined) await socket.opened;
  const reader = socket.readable.getReader();
  const writer = socket.writable.getWriter();
  return {
    write: (bytes) => writer.write(bytes),
    async read() {
      const { value, done } = await reader.read();
      return done ? null : value;
    },
    close() {
      reader.cancel().catch(() => {});
      writer.abort().catch(() => {});
      closeQuietly(socket);
    },
  };
}

function closeQuietly(socket) {
  Promise.resolve()
    .then(() => socket?.close?.())
    .catch(() => {});
}

/** workerd: `cloudflare:sockets`' connect() as the platform's TCP. */
export function cloudflareTcp(connect) {
  return ({ hostname, port }, signal) => streamSocket(connect({ hostname, port }), signal);
}

/**
 * Node: a `node:net` socket in the core's shape. The socket is unref'd while
 * idle, so an open cache never keeps the process alive, and ref'd while a
 * reply is awaited.
 */
export function nodeTcp(net) {
  return ({ hostname, port }, signal) =>
    new Promise((resolve, reject) => {
      const socket = net.connect({ host: hostname, port });
      signal.addEventListener("abort", () => socket.destroy(), { once: true });
      const fail = (error) => {
        socket.destroy();
        // Node names the address: "connect ECONNREFUSED 127.0.0.1:1".
        reject(unavailable(error.message));
      };
      socket.once("error", fail);
      socket.once("connect", () => {
        socket.off("error", fail);
        socket.setNoDelay(true);
        resolve(new NodeSocket(socket));
      });
    });
}

class NodeSocket {
  #socket;
  #chunks = [];
  #waiting = null;
  #ended = false;
  #error = null;

  constructor(socket) {
    this.#socket = socket;
    socket.on("data", (chunk) => {
      this.#chunks.push(chunk);
      this.#wake();
    });
    socket.on("error", (error) => {
      this.#error = error;
      this.#wake();
    });
    socket.on("close", () => {
      this.#ended = true;
      this.#wake();
    });
    socket.unref();
  }

  #wake() {
    const waiting = this.#waiting;
    if (waiting === null) return;
    this.#waiting = null;
    this.#socket.unref();
    this.#settle(waiting.resolve, waiting.reject);
  }

  #settle(resolve, reject) {
    if (this.#chunks.length > 0) resolve(this.#chunks.shift());
    else if (this.#error !== null) reject(this.#error);
    else resolve(null);
  }

  read() {
    return new Promise((resolve, reject) => {
      if (this.#chunks.length > 0 || this.#error !== null || this.#ended) {
        this.#settle(resolve, reject);
        return;
      }
      this.#waiting = { resolve, reject };
      this.#socket.ref();
    });
  }

  write(bytes) {
    return new Promise((resolve, reject) => {
      if (this.#error !== null || this.#ended) {
        reject(this.#error ?? new Error("the connection is closed"));
        return;
      }
      this.#socket.write(bytes, (error) => (error ? reject(error) : resolve()));
    });
  }

  close() {
    this.#socket.destroy();
  }
}
