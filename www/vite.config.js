// The demo's Vite config: the page, its service worker (sw.js, built as an
// entry of its own under a fixed name, /sw.js, so its scope is the whole
// site), and a tiny origin for the service-worker panel.
import { fileURLToPath } from "node:url";

const here = (file) => fileURLToPath(new URL(file, import.meta.url));

// The panel's origin: /demo-api/* answered by the Vite server itself (dev and
// preview) with Cache-Control headers, counting its requests so the page can
// show which ones reached it. A static host would need its own headers.
const ENDPOINTS = {
  "/demo-api/quote": "max-age=30",
  "/demo-api/clock": "max-age=3, stale-while-revalidate=60",
  "/demo-api/private": "no-store",
};

function demoOrigin() {
  const counts = new Map();
  const answer = (request, response, next) => {
    const path = new URL(request.url, "http://origin").pathname;
    const cacheControl = ENDPOINTS[path];
    if (cacheControl === undefined) return next();
    const served = (counts.get(path) ?? 0) + 1;
    counts.set(path, served);
    response.setHeader("content-type", "application/json");
    response.setHeader("cache-control", cacheControl);
    response.end(JSON.stringify({ path, served, at: new Date().toISOString() }));
  };
  return {
    name: "edgecache-demo-origin",
    configureServer: (server) => void server.middlewares.use(answer),
    configurePreviewServer: (server) => void server.middlewares.use(answer),
  };
}

export default {
  plugins: [demoOrigin()],
  // The dev server pre-bundles the worker's import with the page's.
  optimizeDeps: { entries: ["index.html", "sw.js"] },
  build: {
    rollupOptions: {
      input: { main: here("index.html"), sw: here("sw.js") },
      output: { entryFileNames: (chunk) => (chunk.name === "sw" ? "sw.js" : "assets/[name]-[hash].js") },
    },
  },
};
