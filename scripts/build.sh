#!/usr/bin/env bash
# Builds the npm package into pkg/: one .wasm per runtime need, each from the
# Cargo features it uses (wasm-opt'ed, with its wasm-bindgen --target web
# glue), the generated constants, and the hand-written files from js/.
# Prints the size report. Run scripts/setup.sh first (test.sh and demo.sh do).
#
#   module   features                            profile      loaded by
#   memory   js-memory                           opt-level 3  browser.js, at import (inlined)
#   idb      idb                                 opt-level z  EdgeCache.indexedDb in the browser (inlined chunk)
#   http     http                                opt-level z  ResponseCache in the browser (inlined chunk)
#   workerd  js-memory, kv, d1, r2, redis,       opt-level z  workerd.js, at import (bundle size is cold start)
#            memcached, http
#   node     every feature                       opt-level 3  node.js at import (read from disk: speed first), slim.js
#            (also inlined as base64, for node-inline.js: server bundles, see js/node.js)
set -euo pipefail
source "$(dirname "$0")/env.sh"

target="${CARGO_TARGET_DIR:-target}"
modules=(memory idb http workerd node)
# opt-level 3 where the memory cache's speed is the product and bytes are
# cheap (the browser's small memory module, Node reading from disk); "z"
# where bytes are what the user pays (see Cargo.toml's wasm-small).
declare -A profile=(
  [memory]="release"
  [idb]="wasm-small"
  [http]="wasm-small"
  [workerd]="wasm-small"
  [node]="release"
)
declare -A features=(
  [memory]="js-memory"
  [idb]="idb"
  [http]="http"
  [workerd]="js-memory,kv,d1,r2,redis,memcached,http"
  [node]="js-memory,idb,kv,d1,r2,redis,memcached,http"
)

rm -rf pkg
mkdir -p pkg/wasm
for module in "${modules[@]}"; do
  step "building the $module module (features: ${features[$module]:-none})"
  # Each feature set builds in a directory of its own, so switching sets
  # does not rebuild the others next time.
  cargo build --lib --profile "${profile[$module]}" --target wasm32-unknown-unknown --quiet \
    --no-default-features --features "${features[$module]}" \
    --target-dir "$target/wasm-$module"
  out="pkg/wasm/$module"
  # The glue goes to pkg/; the .wasm with its names stays in the target
  # directory, for the size report's profile (twiggy).
  named="$target/wasm-$module/bindgen"
  wasm-bindgen --target web --no-typescript --out-dir "$named" --out-name edgecache \
    "$target/wasm-$module/wasm32-unknown-unknown/${profile[$module]}/edgecache.wasm"
  mkdir -p "$out"
  cp "$named/edgecache.js" "$out/"
  # Rust's wasm32 target enables these proposals by default; wasm-opt must too.
  wasm-opt -O3 --strip-debug --strip-producers \
    --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "$named/edgecache_bg.wasm" -o "$out/edgecache_bg.wasm"
  # Vite and webpack would otherwise emit a copy of the .wasm for the glue's
  # default init path, which the entries never take with a URL.
  sed -i "s|new URL('edgecache_bg.wasm', import.meta.url)|new URL(/* @vite-ignore */ /* webpackIgnore: true */ 'edgecache_bg.wasm', import.meta.url)|" "$out/edgecache.js"
  grep -q "webpackIgnore" "$out/edgecache.js" || { echo "build: could not mark $out/edgecache.js's wasm URL for bundlers to ignore" >&2; exit 1; }
done

# The browser's modules are inlined, and the node one for server bundles (see
# ARCHITECTURE.md for the measurement
# behind base64 over a fetched URL).
for module in memory idb http node; do
  node scripts/inline-wasm.mjs "pkg/wasm/$module/edgecache_bg.wasm" "pkg/wasm/$module/inline.js"
done

cargo run --quiet --example js-constants -- pkg
cp js/*.js js/*.d.ts js/package.json pkg/
cp README.md pkg/
node scripts/size-report.mjs pkg "$target"
