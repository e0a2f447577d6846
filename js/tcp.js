// TCP sockets for the backends that speak a wire protocol themselves (Redis;
// any other over a byte stream). The protocol is in Rust; this file only
// turns a `connect` option into one function, `open(timeoutMs)`, that
// resolves to a socket with `write(bytes)`, `read()` (a Uint8Array, or null
// at end of stream) and `close()` — the one transport shape the Rust core
// (src/wasm/socket.rs) talks to. The backend's own file (redis.js) parses its
// URLs and calls tcpOpener.
//
// Where TCP comes from depends on the platform, so the entry files register
// it: workerd.js passes `cloudflare:sockets`' connect(), node.js a `node:net`
// connector. Browsers have no TCP: there `connect` must be a function.

import { ErrorCode, codedError, describe } from "./options.js";

// (target, signal) => Promise<socket>, set by the entry file, where target
// is { hostname, port, server } (`server` names it in errors: "Redis");
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

/** A TCP port: an integer from 1 to 65535. `what` names the option. */
export function checkPort(port, what) {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw invalid(`${what}: port must be an integer from 1 to 65535, got ${describe(port)}`);
  }
  return port;
}

// A DNS name has at most 253 characters; an IP literal fewer.
const MAX_HOSTNAME = 253;

/** A hostname: a well-formed string of 1 to 253 characters. */
export function checkHostname(hostname, what) {
  if (typeof hostname !== "string" || hostname.length === 0 || hostname.length > MAX_HOSTNAME || !hostname.isWellFormed()) {
    throw invalid(`${what}: hostname must be a well-formed string of 1 to ${MAX_HOSTNAME} characters, got ${describe(hostname)}`);
  }
  return hostname;
}

/**
 * The core's `open(timeoutMs)`: opens one connection and resolves to the
 * core's socket shape, or rejects with an EDGECACHE_UNAVAILABLE error.
 * `connect` is a function returning a Web Streams socket, or undefined to
 * use the platform's TCP to `target` ({ hostname, port }). `server` names
 * the server in errors ("Redis"). A reply that stalls for `replyTimeoutMs`
 * closes the socket (the read rejects).
 */
export function tcpOpener({ connect, target, server, replyTimeoutMs }) {
  const guarded = (opening) => opening.then((socket) => withReplyTimeout(socket, replyTimeoutMs, server));
  if (typeof connect === "function") {
    return (timeoutMs) =>
      guarded(withTimeout((signal) => streamSocket(connect(), signal), timeoutMs, server, "the connect function"));
  }
  const where = `${target.hostname}:${target.port}`;
  return (timeoutMs) => {
    if (platformTcp === undefined) {
      return Promise.reject(
        codedError(
          ErrorCode.UNSUPPORTED,
          "this runtime has no TCP sockets (browsers): pass connect as a function returning a socket",
        ),
      );
    }
    return guarded(withTimeout((signal) => platformTcp({ ...target, server }, signal), timeoutMs, server, where));
  };
}

// The core reads only while it awaits a reply, so a read that waits longer
// than `ms` is a server that stopped answering (or a half-open connection):
// the socket is closed and the read rejects; the core then drops the
// connection, and the next call opens a new one.
function withReplyTimeout(socket, ms, server) {
  return {
    write: (bytes) => socket.write(bytes),
    read() {
      let timer;
      const stalled = new Promise((_, reject) => {
        timer = setTimeout(() => {
          socket.close();
          reject(unavailable(`no reply from ${server} within ${ms} ms`));
        }, ms);
      });
      return Promise.race([socket.read(), stalled]).finally(() => clearTimeout(timer));
    },
    close: () => socket.close(),
  };
}

// Races an opening socket against the connect timeout. At the deadline the
// signal aborts (the opener drops its half-open socket) and a socket that
// opens later anyway is closed at once.
function withTimeout(start, timeoutMs, server, where) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const deadline = new AbortController();
    const timer = setTimeout(() => {
      settled = true;
      deadline.abort();
      reject(unavailable(`cannot connect to ${server} at ${where}: no connection within ${timeoutMs} ms`));
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
            reject(error?.code === undefined ? unavailable(`cannot connect to ${server} at ${where}: ${error?.message ?? error}`) : error);
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
  return ({ hostname, port, server }, signal) =>
    new Promise((resolve, reject) => {
      const socket = net.connect({ host: hostname, port });
      signal.addEventListener("abort", () => socket.destroy(), { once: true });
      const fail = (error) => {
        socket.destroy();
        reject(unavailable(`cannot connect to ${server} at ${hostname}:${port}: ${error.message}`));
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
