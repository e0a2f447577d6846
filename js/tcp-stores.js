// What EdgeCache.redis and EdgeCache.memcached need in JavaScript (reading
// `connect` and credentials, Redis' batched gets), installed by the entries
// that have TCP stores (node-start.js, workerd.js, slim.js) through
// runtime.js. core.js reaches it with tcpGlue(), so the browser's entries,
// which have no TCP, do not ship it or tcp.js.
export { RedisDriver, readConnect, readCredential } from "./redis.js";
export { readMemcachedConnect } from "./memcached.js";
