// Prints the package's size report, on every build:
//
// 1. each .wasm module, raw and gzipped;
// 2. each entry as a bundler ships it (esbuild, minified, code-split): what
//    it loads at import, and each chunk it loads on first use, gzipped;
// 3. the ten largest items of each module (twiggy, from the copy with names
//    that scripts/build.sh keeps in the target directory), when twiggy is
//    installed (scripts/setup.sh installs it).
//
// Usage: node scripts/size-report.mjs pkg [cargo-target-dir]
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { entrySizes } from "./entry-sizes.mjs";

const dir = resolve(process.argv[2] ?? "pkg");
const target = resolve(process.argv[3] ?? "target");
const modules = ["memory", "idb", "http", "workerd", "node"];
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
const gz = (buf) => gzipSync(buf, { level: 9 }).length;

console.log("\nedgecache package size\n");
console.log("| .wasm module | raw | gzip -9 |\n|---|---:|---:|");
for (const module of modules) {
  const wasm = readFileSync(join(dir, "wasm", module, "edgecache_bg.wasm"));
  console.log(`| ${module} | ${kib(wasm.length)} | ${kib(gz(wasm))} |`);
}

console.log("\n| entry (esbuild --bundle --minify --splitting, gzip -9) | at import | on first use |\n|---|---:|---|");
for (const [entry, platform] of [
  ["browser.js", "browser"],
  ["service-worker.js", "browser"],
  ["node.js", "node"],
  ["workerd.js", "neutral"],
]) {
  const { initial, lazy } = await entrySizes(dir, entry, platform);
  const later = lazy.map((l) => `${l.chunk.replace(/^.*\//, "")} +${kib(l.bytes)}`).join("<br>");
  const note = entry === "browser.js" || entry === "service-worker.js" ? "" : " (+ the .wasm file it reads)";
  console.log(`| ${entry} | ${kib(initial)}${note} | ${later || "—"} |`);
}

let twiggy = null;
try {
  execFileSync("twiggy", ["--version"], { stdio: "ignore" });
  twiggy = "twiggy";
} catch {
  console.log("\n(twiggy is not installed: no per-module profile; scripts/setup.sh installs it)");
}
if (twiggy) {
  for (const module of modules) {
    const named = join(target, `wasm-${module}`, "bindgen", "edgecache_bg.wasm");
    if (!existsSync(named)) continue;
    const top = execFileSync(twiggy, ["top", "-n", "10", named], { encoding: "utf8" });
    const rows = top
      .split("\n")
      .slice(2, 12)
      .map((line) => line.split("┊").map((c) => c.trim()))
      .filter((c) => c.length === 3)
      .map(([bytes, , item]) => `${bytes.padStart(7)}  ${item.replace(/\[[0-9a-f]{16}\]/g, "").replace(/::h[0-9a-f]{16}$/, "").slice(0, 110)}`);
    console.log(`\ntwiggy top 10 of ${module} (before wasm-opt; "function names" is stripped from the package):\n${rows.join("\n")}`);
  }
}
