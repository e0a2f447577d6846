// memcached connections for EdgeCache.memcached: reads the `connect` option
// ("memcached://host:port", "host:port", { hostname, port } or a function).
// Sockets, timeouts and the platform's TCP are in tcp.js, shared with Redis;
// the protocol (meta commands, pipelining, generations) is in Rust.

import { ErrorCode, codedError } from "./options.js";
import { parseServerUrl, readServerAddress, tcpOpener } from "./tcp.js";

const DEFAULT_PORT = 11211;
const SERVER = "memcached";

function invalid(message) {
  return codedError(ErrorCode.INVALID_OPTIONS, message);
}

// "memcached://host[:port]" (or "host:port"): no credentials, path or
// parameters (memcached's meta protocol has no AUTH over TCP).
function parseUrl(text) {
  const what = "connect";
  const { url, address } = parseServerUrl(text, { scheme: "memcached", defaultPort: DEFAULT_PORT });
  if (url.username !== "" || url.password !== "") {
    throw invalid(`${what}: memcached has no authentication over TCP; leave credentials out of the URL`);
  }
  if ((url.pathname !== "" && url.pathname !== "/") || url.search !== "" || url.hash !== "") {
    throw invalid(`${what}: a memcached URL has no path or parameters, got ${JSON.stringify(url.pathname + url.search + url.hash)}`);
  }
  return { address };
}

function readAddress(connect) {
  return readServerAddress(connect, { scheme: "memcached", defaultPort: DEFAULT_PORT, parseUrl });
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
  return tcpOpener({ target: readAddress(connect).address, server: SERVER, replyTimeoutMs });
}
