#!/usr/bin/env bash
# The one benchmark command: edgecache against its peers, every figure from
# this run. Installs what setup.sh installs, builds pkg/, then runs
#
#   native       cargo bench --bench native   MemoryBackend vs moka, quick_cache, lru: hit ratio, throughput
#   js-memory    benches/js-memory.mjs        EdgeCache.memory vs lru-cache / Map in Node; JSON; hit ratio
#   size-start   benches/size-start.mjs       sizes; Node and workerd start vs lru-cache
#   start        benches/start.mjs            Chromium start, import to first get: default and slim entries vs lru-cache
#   workers      benches/workers.mjs          Miniflare: tiered KV vs raw KV, ResponseCache vs pass-through
#   backends     benches/backends.mjs         Miniflare: every backend's get/set vs its raw binding
#   redis        benches/redis.mjs            EdgeCache.redis vs bare RESP clients, Node and workerd (log only)
#   browser-idb  benches/browser-idb.mjs      IndexedDB vs idb-keyval, localForage in Chromium
#
# and prints one combined report (benches/report.mjs), writing
# benches/results.json. Each part's output is kept in target/bench-run/; a
# part that fails is reported as "not measured" and the others still run.
# About 5-8 minutes on 2 cores (plus about 2 minutes, once, to compile the
# native peers; with --no-build, about 2 minutes); a failed part is tried up to
# three times.
#
#   bash benches/run.sh                 # everything
#   bash benches/run.sh --quick         # smoke run of the same parts (about 2 minutes)
#   bash benches/run.sh --readme        # also put the table into benches/README.md
#   bash benches/run.sh --no-build      # measure the pkg/ already built (skips setup.sh and build.sh)
set -euo pipefail
source "$(dirname "$0")/../scripts/env.sh"

quick=false
readme=false
build=true
for arg in "$@"; do
  case "$arg" in
    --quick) quick=true ;;
    --readme) readme=true ;;
    --no-build) build=false ;;
    *) echo "usage: bash benches/run.sh [--quick] [--readme] [--no-build]" >&2; exit 2 ;;
  esac
done

started=$(date +%s)
out="$ROOT/target/bench-run"
rm -rf "$out"
mkdir -p "$out"
: >"$out/steps.tsv"

# Runs one part, its output shown and kept in $out/NAME.log; never stops the run.
part() {
  local name=$1
  shift
  step "$name: $*"
  local t0 t1 status=ok
  t0=$(date +%s.%N)
  if [ "$name" != native ]; then wait_for_pkg; fi
  local attempt=1
  until "$@" 2>&1 | tee "$out/$name.log"; do
    # On a shared machine another session may rebuild pkg/ or load the
    # machine under a part (Miniflare then drops a connection): try again.
    mv "$out/$name.log" "$out/$name.failed-$attempt.log"
    if [ "$attempt" -ge 3 ]; then
      status=failed
      echo "!! $name failed $attempt times (kept going); see $out/$name.failed-*.log" >&2
      break
    fi
    attempt=$((attempt + 1))
    echo "!! $name failed; attempt $attempt of 3" >&2
    if [ "$name" != native ]; then wait_for_pkg; fi
  done
  t1=$(date +%s.%N)
  awk -v n="$name" -v s="$status" -v a="$t0" -v b="$t1" 'BEGIN { printf "%s\t%s\t%.1f\n", n, s, b - a }' >>"$out/steps.tsv"
}

# On a shared machine another session's scripts/build.sh may recreate pkg/
# while a part runs. The parts that take a package directory (js-memory,
# size-start, start) use a copy of this run's build; the others (workers,
# browser-idb) read pkg/, so they first wait until no build is writing it.
wait_for_pkg() {
  local waited=0
  while [ ! -f pkg/package.json ] || [ ! -f pkg/wasm/memory/inline.js ] ||
    [ -n "$(find pkg -newermt '-15 seconds' -print -quit 2>/dev/null)" ]; do
    if [ "$waited" -ge 300 ]; then
      echo "!! pkg/ is still missing or changing after ${waited} s" >&2
      return 0
    fi
    [ "$waited" -eq 0 ] && echo "(waiting for pkg/ to be complete and quiet: another build is writing it)" >&2
    sleep 5
    waited=$((waited + 5))
  done
}

t0=$(date +%s.%N)
if $build; then
  bash scripts/setup.sh
  bash scripts/build.sh
else
  wait_for_pkg
fi
cp -r pkg "$out/pkg"
export EDGECACHE_PKG="$out/pkg"
if $build; then setup_step=setup+build; else setup_step="setup+build skipped (--no-build)"; fi
awk -v n="$setup_step" -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%s\tok\t%.1f\n", n, b - a }' >>"$out/steps.tsv"

if $quick; then
  part native cargo bench --bench native -- --quick --json "$out/native.json"
  part js-memory node benches/js-memory.mjs --quick --json "$out/js-memory.json"
  part size-start node benches/size-start.mjs --runs 3 --json "$out/size-start.json"
  part start node benches/start.mjs --runs 3
  part workers env WINDOWS=40 node benches/workers.mjs
  part backends env WINDOWS=10 node benches/backends.mjs --json "$out/backends.json"
  part redis node benches/redis.mjs --quick --json "$out/redis.json"
else
  part native cargo bench --bench native -- --json "$out/native.json"
  part js-memory node benches/js-memory.mjs --json "$out/js-memory.json"
  part size-start node benches/size-start.mjs --runs 7 --json "$out/size-start.json"
  part start node benches/start.mjs --runs 7
  part workers node benches/workers.mjs
  part backends node benches/backends.mjs --json "$out/backends.json"
  part redis node benches/redis.mjs --json "$out/redis.json"
fi
# Five runs (medians) outside --quick: one run's sequential IndexedDB rows
# swung from 0.9x to 1.4x idb-keyval between runs on this machine.
if $quick; then idb_runs=1; else idb_runs=5; fi
part browser-idb node benches/browser-idb.mjs --runs "$idb_runs" --json "$out/browser-idb.json"

step "report"
report_args=("$out")
if $readme; then report_args+=(--readme "$ROOT/benches/README.md"); fi
node benches/report.mjs "${report_args[@]}" | tee "$out/report.md"
echo
echo "benches/run.sh: $(($(date +%s) - started)) s in all; parts' output in ${out#"$ROOT"/}/"
