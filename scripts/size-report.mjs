// Prints the package's size report: the .wasm raw and gzipped, each entry's JS
// gzipped (with everything it imports), and the time to compile and
// instantiate the module in Node. Usage: node scripts/size-report.mjs pkg
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { performance } from "node:perf_hooks";

const dir = process.argv[2] ?? "pkg";
const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
const gz = (buf) => gzipSync(buf, { level: 9 }).length;
const read = (f) => readFileSync(join(dir, f));

const wasm = read("wasm/edgecache_bg.wasm");
const glue = read("wasm/edgecache.js");
const core = Buffer.concat([read("core.js"), read("options.js")]);
const rows = [
  [".wasm", wasm.length, gz(wasm)],
  ["glue (wasm/edgecache.js)", glue.length, gz(glue)],
  ["core.js + options.js", core.length, gz(core)],
  ["node entry: node.js + core + glue", null, gz(Buffer.concat([read("node.js"), core, glue]))],
  [
    "browser entry: browser.js + core + glue + inlined .wasm",
    null,
    gz(Buffer.concat([read("browser.js"), core, glue, read("wasm/inline.js")])),
  ],
];

let t = performance.now();
const module = new WebAssembly.Module(wasm);
const compileMs = performance.now() - t;
const glueModule = await import(new URL(join(dir, "wasm/edgecache.js"), `file://${process.cwd()}/`).href);
t = performance.now();
glueModule.initSync({ module });
const instantiateMs = performance.now() - t;

console.log("\nedgecache package size");
console.log("| file | raw | gzip -9 |\n|---|---:|---:|");
for (const [name, raw, zipped] of rows) {
  console.log(`| ${name} | ${raw === null ? "" : kb(raw)} | ${kb(zipped)} |`);
}
console.log(`\nNode ${process.version}: compile ${compileMs.toFixed(2)} ms, instantiate ${instantiateMs.toFixed(2)} ms`);
