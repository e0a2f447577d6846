// The files a module of the built package imports statically, transitively
// (relative specifiers only; a bare one fails the calling test: entries stay
// self-contained). For tests of what an entry ships.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** Every file `entry` (a path) imports statically, transitively, itself included. */
export function staticGraph(entry) {
  const seen = new Set([entry]);
  for (const file of seen) {
    const text = readFileSync(file, "utf8");
    for (const [, specifier] of text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']/gm)) {
      assert.ok(specifier.startsWith("."), `${file} imports ${specifier}: the entry must stay self-contained`);
      seen.add(join(dirname(file), specifier));
    }
  }
  return [...seen];
}
