#!/usr/bin/env bash
# Builds the npm package into pkg/: one release .wasm (wasm-opt'ed), the
# wasm-bindgen --target web glue, and the hand-written entry files from js/.
# Prints the size report. Run scripts/setup.sh first (test.sh and demo.sh do).
set -euo pipefail
source "$(dirname "$0")/env.sh"

step "building the wasm package into pkg/"
cargo build --lib --release --target wasm32-unknown-unknown --quiet
rm -rf pkg
mkdir -p pkg/wasm
wasm-bindgen --target web --no-typescript --out-dir pkg/wasm --out-name edgecache \
  "${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/release/edgecache.wasm"
# Rust's wasm32 target enables these proposals by default; wasm-opt must too.
wasm-opt -O3 --strip-debug --strip-producers \
  --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue \
  pkg/wasm/edgecache_bg.wasm -o pkg/wasm/edgecache_bg.wasm
cp js/*.js js/*.d.ts js/package.json pkg/
# Vite would otherwise emit a second copy of the .wasm for the glue's default
# init path, which the inline and workerd entries never take.
sed -i "s|new URL('edgecache_bg.wasm', import.meta.url)|new URL(/* @vite-ignore */ 'edgecache_bg.wasm', import.meta.url)|" pkg/wasm/edgecache.js
grep -q "@vite-ignore" pkg/wasm/edgecache.js || { echo "build: could not mark the glue's wasm URL with @vite-ignore" >&2; exit 1; }
cp README.md pkg/
node scripts/inline-wasm.mjs pkg/wasm/edgecache_bg.wasm pkg/wasm/inline.js
node scripts/size-report.mjs pkg
