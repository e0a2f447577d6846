// TCP sockets for the backends that speak a wire protocol themselves (Redis;
// any other over a byte stream). The protocol is in Rust; this file only
// turns a `connect` option into one function, `open(timeoutMs, deliver)`,
// that resolves to a socket with `write(bytes)`, `read()` and `close()` — the
// one transport shape the Rust core (src/wasm/socket.rs) talks to. The bytes
// `write` gets are a view of wasm memory, valid during the call only: a
// socket copies them before it returns. `read()`
// returns the bytes that arrived (a Uint8Array; null at the end of the
// stream; an Error) when there are some, and otherwise undefined: the socket
// then calls `deliver(bytes | null | error)` exactly once, when they come.
// The backend's own file (redis.js) parses its URLs and calls tcpOpener.
//
// Where TCP comes from depends on the platform, so the entry files register
// it: workerd.js passes `cloudflare:sockets`' connect(), node.js a `node:net`
// connector. Browsers have no TCP: there `connect` must be a function.

import { ErrorCode, codedError, describe } from "./options.js";

// (target, signal) => Promise<socket>, set by the entry file, where target
// is { hostname, port, server, tls } (`server` names it in errors: "Redis";
// `tls` is undefined for plain TCP, or { ca? }); `signal` aborts when the
// connect timeout passes. `trustsCustomCa` says whether it honours tls.ca.
let platformTcp;
let platformTrustsCustomCa = true;

/** Called once by an entry file with its platform's TCP connector. */
export function registerTcp(open, { trustsCustomCa = true } = {}) {
  platformTcp = open;
  platformTrustsCustomCa = trustsCustomCa;
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
 * Reads a server URL: `text` (`"host:port"` gets `scheme`) parsed, checked
 * to use one of `schemes`, and returned with its host (IPv6 literals come
 * back bracketed; connect() wants them bare) and port (default
 * `defaultPort`). What else a URL may carry is the caller's to check.
 */
export function parseServerUrl(text, { scheme, schemes = [scheme], defaultPort }) {
  const what = "connect";
  const names = schemes.map((s) => `${s}://`).join(" or ");
  let url;
  try {
    url = new URL(text.includes("://") ? text : `${scheme}://${text}`);
  } catch {
    throw invalid(`${what} must be a ${names} URL, "host:port" or { hostname, port }, got ${JSON.stringify(text)}`);
  }
  if (!schemes.some((s) => url.protocol === `${s}:`)) {
    throw invalid(`${what}: only ${names} URLs are supported, got ${JSON.stringify(url.protocol)}`);
  }
  const hostname = checkHostname(url.hostname.replace(/^\[(.*)\]$/, "$1"), what);
  const port = url.port === "" ? defaultPort : checkPort(Number(url.port), what);
  return { url, address: { hostname, port } };
}

/**
 * The `connect` option when it is not a function: a URL string (read by
 * `parseUrl`) or `{ hostname, port }` (port `defaultPort` if absent).
 * Returns at least `{ address }`.
 */
export function readServerAddress(connect, { scheme, defaultPort, parseUrl }) {
  if (typeof connect === "string") {
    if (!connect.isWellFormed()) throw invalid("connect must be a well-formed string (it has a lone surrogate)");
    return parseUrl(connect);
  }
  if (typeof connect === "object" && connect !== null) {
    const what = "connect";
    let hostname, port;
    try {
      ({ hostname, port = defaultPort } = connect);
    } catch (error) {
      throw invalid(`reading ${what} threw: ${error}`);
    }
    return { address: { hostname: checkHostname(hostname, what), port: checkPort(port, what) } };
  }
  throw invalid(
    `connect must be a ${scheme}:// URL, "host:port", { hostname, port } or a function returning a socket, got ${describe(connect)}`,
  );
}

/**
 * The core's `open(timeoutMs, deliver)`: opens one connection and resolves to
 * the core's socket shape (see the top of this file), or rejects with an
 * EDGECACHE_UNAVAILABLE error. `connect` is a function returning a Web
 * Streams socket, or undefined to use the platform's TCP to `target`
 * ({ hostname, port }). `server` names the server in errors ("Redis"). A
 * reply that stalls for `replyTimeoutMs` closes the socket (the read fails).
 */
export function tcpOpener({ connect, target, server, replyTimeoutMs }) {
  if (target?.tls?.ca !== undefined && platformTcp !== undefined && !platformTrustsCustomCa) {
    throw invalid(
      "tls.ca is not supported in this runtime: cloudflare:sockets trusts the public certificate authorities only (use a certificate they sign)",
    );
  }
  if (typeof connect === "function") {
    return (timeoutMs, deliver) =>
      withReplyTimeout(
        (forward) => withTimeout((signal) => streamSocket(connect(), signal, forward), timeoutMs, server, undefined),
        replyTimeoutMs,
        deliver,
      );
  }
  const where = `${target.hostname}:${target.port}`;
  return (timeoutMs, deliver) => {
    if (platformTcp === undefined) {
      return Promise.reject(
        codedError(
          ErrorCode.UNSUPPORTED,
          "this runtime has no TCP sockets (browsers): pass connect as a function returning a socket",
        ),
      );
    }
    return withReplyTimeout(
      (forward) => withTimeout((signal) => platformTcp({ ...target, server }, signal, forward), timeoutMs, server, where),
      replyTimeoutMs,
      deliver,
    );
  };
}

// The core reads only while it awaits a reply, so a read that waits longer
// than `ms` is a server that stopped answering (or a half-open connection):
// the socket is closed and the read fails; the core then drops the
// connection, and the next call opens a new one. `open(forward)` opens the
// socket, which answers reads through `forward`; this passes each answer on
// to `deliver` unless the read timed out first. One timer per socket,
// re-armed only when it fires (a read that finds its bytes waiting, or is
// answered in time, costs no timer call); unref'd in Node and Deno, so an
// idle cache never holds the process open.
function withReplyTimeout(open, ms, deliver) {
  let socket;
  let timer;
  let deadline = 0;
  let waiting = false; // a read is out and has not timed out
  const arm = (delay) => {
    timer = setTimeout(expire, delay);
    if (typeof timer === "number") globalThis.Deno?.unrefTimer?.(timer);
    else timer?.unref?.();
  };
  function expire() {
    timer = undefined;
    if (!waiting) return;
    const left = deadline - Date.now();
    if (left > 0) {
      arm(left);
      return;
    }
    waiting = false;
    socket.close();
    deliver(unavailable(`no reply within ${ms} ms`));
  }
  const forward = (value) => {
    if (!waiting) return; // answered already, by the timeout
    waiting = false;
    deliver(value);
  };
  return open(forward).then((opened) => {
    socket = opened;
    return {
      write: (bytes) => socket.write(bytes),
      read() {
        waiting = true;
        const now = socket.read();
        if (now !== undefined) {
          waiting = false;
          return now;
        }
        deadline = Date.now() + ms;
        if (timer === undefined) arm(ms);
        return undefined;
      },
      close: () => socket.close(),
    };
  });
}

// Races an opening socket against the connect timeout. At the deadline the
// signal aborts (the opener drops its half-open socket) and a socket that
// opens later anyway is closed at once.
/**
 * "cannot connect to Redis at host:port: cause", naming the address once:
 * not when the cause names it already (Node's do: "connect ECONNREFUSED
 * 127.0.0.1:1"), nor for a connect function (`where` undefined).
 */
function connectError(server, where, cause) {
  const address = where?.replace(/ \(TLS\)$/, "");
  const at = where === undefined || cause.includes(address) ? "" : ` at ${where}`;
  return unavailable(`cannot connect to ${server}${at}: ${cause}`);
}

function withTimeout(start, timeoutMs, server, where) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const deadline = new AbortController();
    const timer = setTimeout(() => {
      settled = true;
      deadline.abort();
      reject(connectError(server, where, `no connection within ${timeoutMs} ms`));
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
            const cause = where === undefined ? `the connect function: ${error?.message ?? error}` : String(error?.message ?? error);
            reject(error?.code === undefined ? connectError(server, where, cause) : error);
          }
        },
      );
  });
}

// A Web Streams socket ({ readable, writable, opened?, close() }), as
// `cloudflare:sockets`' connect() returns, in the core's shape, answering
// reads through `deliver`. Resolves once the socket is open (its `opened`
// promise, where it has one).
async function streamSocket(socketOrPromise, signal, deliver) {
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
  // Writes are not awaited, as in Node: a write that fails (in workerd, one
  // from a later request than the one that opened the socket, which is
  // refused at once) ends the stream for the read waiting for its reply, as
  // if the server had closed the connection, so the core sends the call
  // again on a new connection instead of failing it. A read that fails is
  // answered once the last write has settled: with that same end if the
  // write failed too (workerd refuses both), else with its error.
  let lastWrite = Promise.resolve();
  let writeFailed = false;
  let waiting = false; // a read is out and has not been answered
  const answer = (value) => {
    if (!waiting) return;
    waiting = false;
    deliver(value);
  };
  const writeFailure = () => {
    writeFailed = true;
    answer(null);
  };
  return {
    write(bytes) {
      if (writeFailed) return Promise.reject(new Error("the connection is closed"));
      lastWrite = writer.write(bytes.slice()); // the stream keeps it: a copy of the view
      lastWrite.catch(writeFailure);
      return undefined;
    },
    read() {
      if (writeFailed) return null;
      waiting = true;
      reader.read().then(
        ({ value, done }) => answer(done ? null : value),
        (error) => lastWrite.then(() => answer(error instanceof Error ? error : new Error(String(error))), () => {}),
      );
      return undefined;
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

/**
 * workerd: `cloudflare:sockets`' connect() as the platform's TCP; TLS with
 * `secureTransport: "on"` (the platform's trusted roots only: register it
 * with `{ trustsCustomCa: false }`).
 */
export function cloudflareTcp(connect) {
  return ({ hostname, port, tls }, signal, deliver) =>
    streamSocket(connect({ hostname, port }, tls === undefined ? undefined : { secureTransport: "on" }), signal, deliver);
}

/**
 * Node: a `node:net` socket in the core's shape, or with `tls`, a `node:tls`
 * one (verifying the server's certificate against Node's roots plus
 * `tls.ca`, and its name against `hostname`). The socket is unref'd while
 * idle, so an open cache never keeps the process alive, and ref'd while a
 * reply is awaited.
 */
export function nodeTcp(net, tlsModule) {
  return ({ hostname, port, server, tls }, signal, deliver) =>
    new Promise((resolve, reject) => {
      const socket =
        tls === undefined
          ? net.connect({ host: hostname, port })
          : tlsModule.connect({
              host: hostname,
              port,
              // SNI takes names only, not IP addresses.
              servername: net.isIP(hostname) === 0 ? hostname : undefined,
              ...(tls.ca === undefined ? {} : { ca: [...tlsModule.rootCertificates, ...[tls.ca].flat()] }),
            });
      signal.addEventListener("abort", () => socket.destroy(), { once: true });
      const fail = (error) => {
        socket.destroy();
        const what = tls === undefined ? "" : " (TLS)";
        reject(connectError(server, `${hostname}:${port}${what}`, error.message));
      };
      socket.once("error", fail);
      socket.once(tls === undefined ? "connect" : "secureConnect", () => {
        socket.off("error", fail);
        socket.setNoDelay(true);
        resolve(new NodeSocket(socket, deliver));
      });
    });
}

// Reads hand back what arrived at once when something did (all of it, in one
// buffer), or else pass it to `deliver` when it comes; writes are not
// awaited: Node buffers them, and a write that fails ends the stream for the
// read waiting for its reply, as if the server had closed the connection (a
// kept connection that died is then replaced).
class NodeSocket {
  #socket;
  #deliver;
  #chunks = [];
  #waiting = false;
  #ended = false;
  #error = null;
  #writeFailed = false;

  constructor(socket, deliver) {
    this.#socket = socket;
    this.#deliver = deliver;
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
    if (!this.#waiting) return;
    const next = this.#next();
    if (next === undefined) return;
    this.#waiting = false;
    this.#socket.unref();
    this.#deliver(next);
  }

  // What a read returns now: bytes, null at the end, an Error, or undefined
  // (nothing yet).
  #next() {
    const chunks = this.#chunks;
    if (chunks.length === 1) return chunks.pop();
    if (chunks.length > 1) {
      this.#chunks = [];
      return Buffer.concat(chunks);
    }
    if (this.#writeFailed || (this.#ended && this.#error === null)) return null;
    return this.#error ?? undefined;
  }

  read() {
    const next = this.#next();
    if (next !== undefined) return next;
    this.#waiting = true;
    this.#socket.ref();
    return undefined;
  }

  write(bytes) {
    if (this.#error !== null || this.#ended || this.#writeFailed) {
      return Promise.reject(this.#error ?? new Error("the connection is closed"));
    }
    // A copy of the view of wasm memory (Node may keep the chunk until it is
    // sent): a Buffer, from Node's pool for a small request, and one Node
    // takes as it is (a plain Uint8Array it would wrap first).
    this.#socket.write(Buffer.from(bytes), (error) => {
      if (error) {
        this.#writeFailed = true;
        this.#wake();
      }
    });
    return undefined;
  }

  close() {
    this.#socket.destroy();
  }
}
