// What an entry of the built package costs as a bundler ships it: esbuild
// --bundle --minify --splitting, each output gzipped (-9). Shared by
// scripts/size-report.mjs (every build) and benches/size-start.mjs.
import { join, relative, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";

const gz = (buf) => gzipSync(buf, { level: 9 }).length;

/**
 * `entry` of the package in `dir`, bundled for `platform`: `initial`, the
 * gzipped bytes it loads at import (its chunk and every chunk it imports
 * statically), and `lazy`, one `{ chunk, bytes }` per chunk it imports
 * dynamically (the bytes that chunk adds when first used).
 */
export async function entrySizes(dir, entry, platform) {
  const result = await esbuild.build({
    entryPoints: [join(dir, entry)],
    bundle: true,
    minify: true,
    splitting: true,
    format: "esm",
    platform,
    write: false,
    outdir: "/virtual",
    metafile: true,
    logLevel: "silent",
    external: ["cloudflare:sockets", "node:*"],
    loader: { ".wasm": "file" },
  });
  const name = (path) => path.replace(/^.*?virtual\//, "").replace(/^\//, "");
  const sizes = new Map(result.outputFiles.map((f) => [name(f.path), gz(f.contents)]));
  const outputs = result.metafile.outputs;
  const staticClosure = (start) => {
    const seen = new Set([start]);
    for (const path of seen) {
      for (const imp of outputs[path].imports) {
        if (imp.kind === "import-statement" && outputs[imp.path]) seen.add(imp.path);
      }
    }
    return seen;
  };
  const entryPath = Object.keys(outputs).find((p) => outputs[p].entryPoint?.endsWith(entry));
  const initial = staticClosure(entryPath);
  // Chunks the initial ones import dynamically: loaded on first use.
  const lazy = [...initial].flatMap((p) =>
    outputs[p].imports.filter((i) => i.kind === "dynamic-import" && outputs[i.path]).map((i) => i.path),
  );
  const total = (paths) => [...paths].reduce((n, p) => n + (sizes.get(name(p)) ?? 0), 0);
  return {
    initial: total(initial),
    lazy: lazy.map((p) => ({
      chunk: outputs[p].entryPoint ? relative(dir, resolve(outputs[p].entryPoint)) : name(p),
      bytes: total([...staticClosure(p)].filter((q) => !initial.has(q))),
    })),
  };
}
