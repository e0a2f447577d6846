// The package as users get it, for test suites and benches: `npm pack` of
// pkg/ into a work directory, and fixture directories that install that
// tarball (as tests/pkg does). Fixtures live under tests/.work/ (git-ignored),
// so tools (miniflare, esbuild) resolve from the repo's node_modules while
// `edgecache` resolves from the fixture's.

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("../..", import.meta.url));

/** Empties `work` (a directory under tests/.work/) and packs pkg/ into it; returns the tarball's path. */
export function packTarball(work) {
  if (!existsSync(join(root, "pkg/package.json"))) {
    throw new Error("pkg/ is not built: run `bash scripts/build.sh` first");
  }
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const out = execFileSync("npm", ["pack", "--json", "--pack-destination", work, join(root, "pkg")], {
    encoding: "utf8",
  });
  return join(work, JSON.parse(out)[0].filename);
}

/** A fresh directory `work/name` with `files`, `edgecache` installed from `tarball` (plus `deps`). */
export function fixture(work, tarball, name, files, deps = {}) {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({
      name: `fixture-${name}`,
      private: true,
      type: "module",
      dependencies: { ...deps, edgecache: `file:${tarball}` },
    }),
  );
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--no-package-lock", "--silent"], { cwd: dir });
  return dir;
}

export { bundleLikeWrangler } from "../pkg/bundle-worker.mjs";
