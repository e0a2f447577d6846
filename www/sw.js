// The demo's service worker: answers this origin's /demo-api/* requests
// through a ResponseCache over IndexedDB, so they are cached by their own
// Cache-Control headers (RFC 9111) and every response says how in
// x-edgecache. Everything else goes to the network untouched.
//
// `edgecache/service-worker` is the entry for service workers: they may not
// call import(), which the default browser entry uses to load its IndexedDB
// and HTTP modules on first use. Vite builds this file as its own entry
// (vite.config.js), a module worker: register it with { type: "module" }.
import { EdgeCache, ResponseCache } from "edgecache/service-worker";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));
// The page asks an already active worker to control it (after a hard reload).
self.addEventListener("message", (event) => event.data === "claim" && event.waitUntil(self.clients.claim()));

let responses; // one ResponseCache per worker instance
const responseCache = () =>
  (responses ??= EdgeCache.indexedDb({ dbName: "edgecache-demo-http", maxBytes: 5 << 20 })
    // ResponseCache's default fetch skips the browser's HTTP cache here.
    .then((cache) => new ResponseCache(cache))
    .catch((error) => {
      responses = undefined;
      throw error;
    }));

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (url.origin !== self.location.origin || !url.pathname.startsWith("/demo-api/")) return;
  event.respondWith(
    responseCache().then((cache) => cache.fetch(event.request, { waitUntil: (promise) => event.waitUntil(promise) })),
  );
});
