// memcached connections for EdgeCache.memcached: reads the `connect` option
// ("memcached://host:port", "host:port", { hostname, port } or a function).
// Sockets, timeouts and the platform's TCP are in tcp.js, shared with Redis;
// the protocol (meta commands, pipelining, generations) is in Rust.

import { ErrorCode, codedError, describe } from "./options.js";
import { checkHostname, checkPort, tcpOpener } from "./tcp.js";

const DEFAULT_PORT = 11211;
const SERVER = "memcached";

function invalid(message) {
  return codedError(ErrorCode.INVALID_OPTIONS, message);
}

// "memcached://host[:port]" (or "host:port"): no credentials, path or
// parameters (memcached's meta protocol has no AUTH over TCP).
function parseUrl(text) {
  const what = "connect";
  const url = (() => {
    try {
      return new URL(text.includes("://") ? text : `memcached://${text}`);
    } catch {
      throw invalid(`${what} must be a memcached:// URL, "host:port" or { hostname, port }, got ${JSON.stringify(text)}`);
    }
  })();
  if (url.protocol !== "memcached:") {
    throw invalid(`${what}: only memcached:// URLs are supported, got ${JSON.stringify(url.protocol)}`);
  }
  if (url.username !== "" || url.password !== "") {
    throw invalid(`${what}: memcached has no authentication over TCP; leave credentials out of the URL`);
  }
  if ((url.pathname !== "" && url.pathname !== "/") || url.search !== "" || url.hash !== "") {
    throw invalid(`${what}: a memcached URL has no path or parameters, got ${JSON.stringify(url.pathname + url.search + url.hash)}`);
  }
  // IPv6 literals come back bracketed; connect() wants them bare.
  const hostname = checkHostname(url.hostname.replace(/^\[(.*)\]$/, "$1"), what);
  const port = url.port === "" ? DEFAULT_PORT : checkPort(Number(url.port), what);
  return { hostname, port };
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
    return { hostname: checkHostname(hostname, what), port: checkPort(port, what) };
  }
  throw invalid(
    `connect must be a memcached:// URL, "host:port", { hostname, port } or a function returning a socket, got ${describe(connect)}`,
  );
}

/**
 * Reads the `connect` option. Returns `open(timeoutMs)`, which opens one
 * connection and resolves to the Rust core's socket shape, or rejects with
 * an EDGECACHE_UNAVAILABLE error (see tcp.js). A reply that stalls for
 * `replyTimeoutMs` closes the socket (the read rejects).
 */
export function readMemcachedConnect(connect, replyTimeoutMs) {
  if (typeof connect === "function") {
    return tcpOpener({ connect, server: SERVER, replyTimeoutMs });
  }
  return tcpOpener({ target: readAddress(connect), server: SERVER, replyTimeoutMs });
}
