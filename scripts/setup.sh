#!/usr/bin/env bash
# Installs whatever building and testing edgecache needs and is missing:
# the wasm32 target, wasm-bindgen-cli at exactly the version in Cargo.lock,
# wasm-pack, twiggy, Debian's chromium, chromium-driver, firefox-esr, webkit2gtk-driver
# (with xvfb and xauth: WebKitGTK needs a display), redis-server, memcached,
# librocksdb-dev, libclang-dev and openssl, and the npm dev dependencies (with
# Bun's binary, which npm's blocked install scripts leave out). Idempotent and
# quick when all is there. (wasm-opt comes from npm's binaryen: wasm-pack
# cannot download it.)
set -euo pipefail
source "$(dirname "$0")/env.sh"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "installing the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# wasm-bindgen's CLI must match the library version exactly.
wb_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ -z "$wb_version" ]; then
  echo "cannot find wasm-bindgen in Cargo.lock" >&2
  exit 1
fi
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $wb_version" ]; then
  step "installing wasm-bindgen-cli $wb_version (a few minutes, once)"
  # --locked can fail when a locked dependency has left the registry.
  cargo install wasm-bindgen-cli --version "=$wb_version" --locked ||
    cargo install wasm-bindgen-cli --version "=$wb_version" --force
fi

if ! command -v wasm-pack >/dev/null; then
  step "installing wasm-pack (a few minutes, once)"
  cargo install wasm-pack --locked || cargo install wasm-pack
fi

# The size report's per-module profile (scripts/size-report.mjs).
if ! command -v twiggy >/dev/null; then
  step "installing twiggy (a minute, once)"
  cargo install twiggy --locked || cargo install twiggy
fi

apt_missing=()
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  apt_missing+=(chromium chromium-driver) # the browser tests
fi
if ! command -v firefox-esr >/dev/null; then
  apt_missing+=(firefox-esr) # tests/browsers in Firefox (puppeteer-core over WebDriver BiDi)
fi
if ! command -v WebKitWebDriver >/dev/null || ! command -v xvfb-run >/dev/null || ! command -v xauth >/dev/null; then
  apt_missing+=(webkit2gtk-driver xvfb xauth) # tests/browsers in WebKit (WebDriver under xvfb-run)
fi
if ! command -v redis-server >/dev/null; then
  apt_missing+=(redis-server) # the Redis backend's tests start their own server
fi
if ! command -v memcached >/dev/null; then
  apt_missing+=(memcached) # the memcached backend's tests start their own server
fi
if [ ! -f /usr/include/rocksdb/c.h ]; then
  apt_missing+=(librocksdb-dev) # the rocksdb feature links Debian's RocksDB (scripts/env.sh)
fi
if ! ls /usr/lib/llvm-*/lib/libclang.so >/dev/null 2>&1; then
  apt_missing+=(libclang-dev) # bindgen, for librocksdb-sys's bindings
fi
if ! command -v openssl >/dev/null; then
  apt_missing+=(openssl) # the TLS tests make their certificates with it
fi
if ! command -v redis-benchmark >/dev/null; then
  apt_missing+=(redis-tools) # benches/redis.mjs: redis-benchmark -P 16 as a second reference
fi
if [ ${#apt_missing[@]} -gt 0 ]; then
  step "installing Debian's ${apt_missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_missing[@]}" >/dev/null
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "installing npm dev dependencies"
  npm ci --no-audit --no-fund
fi

# npm 11 blocks install scripts; bun's (install.js) puts the platform binary in
# place of its placeholder bin/bun.exe, and deno's (install.cjs) links its
# binary beside bin.cjs (which would otherwise do it on first use).
if [ -f node_modules/bun/install.js ] && ! node_modules/bun/bin/bun.exe --version >/dev/null 2>&1; then
  step "setting up Bun's binary"
  (cd node_modules/bun && node install.js)
fi
if [ -f node_modules/deno/install.cjs ] && [ ! -x node_modules/deno/deno ]; then
  step "setting up Deno's binary"
  (cd node_modules/deno && node install.cjs)
fi
