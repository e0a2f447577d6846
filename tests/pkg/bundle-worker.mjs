// Bundles a worker the way wrangler does: esbuild with the `workerd`,
// `worker` and `browser` export conditions, and `.wasm` imports kept as
// separate modules (which workerd receives already compiled). Wrangler itself
// needs Node 22; this is its resolution, on Node 20.
import { copyFileSync, mkdirSync } from "node:fs";
import { basename, join } from "node:path";
import * as esbuild from "esbuild";

/** Bundles `entry` into `outdir`; returns the bundled script's path. */
export async function bundleLikeWrangler(entry, outdir) {
  mkdirSync(outdir, { recursive: true });
  const wasmModules = {
    name: "wasm-modules",
    setup(build) {
      build.onResolve({ filter: /\.wasm$/ }, (args) => {
        const source = join(args.resolveDir, args.path);
        copyFileSync(source, join(outdir, basename(source)));
        return { path: `./${basename(source)}`, external: true };
      });
    },
  };
  const outfile = join(outdir, "worker.js");
  await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["browser", "module", "main"],
    plugins: [wasmModules],
    // workerd's built-in modules, left to the runtime as wrangler does.
    external: ["cloudflare:*"],
    logLevel: "error",
  });
  return outfile;
}
