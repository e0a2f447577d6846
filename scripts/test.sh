#!/usr/bin/env bash
# The whole test suite: installs what is missing, then lints, native tests,
# wasm tests in Node, builds the package and runs the JavaScript tests.
set -euo pipefail
source "$(dirname "$0")/env.sh"

bash scripts/setup.sh
# Again: setup.sh may just have installed librocksdb-dev, which env.sh
# links the rocksdb feature against.
source scripts/env.sh

step "cargo fmt --check"
cargo fmt --all -- --check

step "clippy (native and wasm32, every feature set a runtime builds)"
cargo clippy --all-targets --quiet -- -D warnings
cargo clippy --all-targets --quiet --no-default-features -- -D warnings
# The native extras: the tokio connector alone, and with TLS and RocksDB
# (linked against Debian's librocksdb-dev: see scripts/env.sh).
cargo clippy --all-targets --quiet --features tokio -- -D warnings
cargo clippy --all-targets --quiet --features tls,rocksdb -- -D warnings
cargo clippy --all-targets --quiet --target wasm32-unknown-unknown -- -D warnings
# The module sets of scripts/build.sh, each on its own, and every other
# backend feature alone (what a Rust user of the crate may pick).
for features in js-memory idb http js-memory,kv,d1,r2,redis,memcached,http kv d1 r2 redis memcached; do
  cargo clippy --lib --quiet --target wasm32-unknown-unknown --no-default-features \
    --features "$features" --target-dir target/wasm-lint -- -D warnings
done

step "native tests (unit, property, conformance, doc; Redis and memcached against real server processes)"
cargo test --quiet
# The core alone (no store, no HTTP policy), and the HTTP policy alone (the
# browser's http module).
cargo test --quiet --no-default-features --lib
cargo test --quiet --no-default-features --features http --lib --test http_policy

step "native extras: the tokio connector and TLS against real redis-server processes, RocksDB, Send futures, the tiered-proxy example, docs"
cargo test --quiet --features tls,rocksdb --lib --test redis_tokio --test send --test rocksdb
# Only the doc tests these features add (`cargo test` above ran the rest).
cargo test --quiet --features tls,rocksdb --doc -- src/net src/backends/rocksdb src/lib.rs
bash scripts/check-tiered-proxy.sh
RUSTDOCFLAGS="-D warnings" cargo doc --quiet --all-features --no-deps

step "wasm32 tests in Node (wasm-pack test --node; D1 and R2 against Miniflare's local stores)"
wasm-pack --log-level warn test --node -- --test wasm
# The browser's memory module alone (no store, no HTTP policy).
wasm-pack --log-level warn test --node -- --test wasm --no-default-features --features js-memory
wasm-pack --log-level warn test --node -- --test kv
wasm-pack --log-level warn test --node -- --test d1
wasm-pack --log-level warn test --node -- --test r2

step "IndexedDB backend in headless Chromium (wasm-pack test --chrome; the idb module's features alone)"
CHROMEDRIVER=$(command -v chromedriver) wasm-pack --log-level warn test --headless --chrome -- --test browser --no-default-features --features idb
# The key index's seed from Chromium's crypto.getRandomValues and the HashDoS measurement (SECURITY.md, threat 6).
CHROMEDRIVER=$(command -v chromedriver) wasm-pack --log-level warn test --headless --chrome -- --test wasm_browser --no-default-features --features idb

bash scripts/build.sh

step "JavaScript API tests (node --test; EdgeCache.redis and EdgeCache.memcached against real server processes)"
# A test that hangs fails after two minutes, naming itself, instead of running
# into the CI time limit.
node --test --test-timeout=120000 tests/js/

step "package tests: packed tarball in Node, TypeScript, Vite + Chromium, workerd; every bundler with the size budgets; server bundles (esbuild, bun build, webpack, Rollup), Deno and Bun"
node --test --test-concurrency=1 tests/pkg/

step "browser engines: the packed package's IndexedDB and tiered cases and the demo in Chromium, Firefox and WebKit"
node --test --test-concurrency=1 tests/browsers/

step "fuzzing (short run)"
bash scripts/fuzz.sh 10

step "Workers: KV, D1, R2, Redis and memcached from workerd, and the caching-proxy example (packed package, Miniflare)"
node --test --test-concurrency=1 tests/workers/
