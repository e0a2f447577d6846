#!/usr/bin/env bash
# Fuzzing with cargo-fuzz: builds every target in fuzz/ and runs each one for
# a fixed time (as many at once as there are cores), starting from the
# committed seed corpus in fuzz/corpus/<target>/.
#
#   bash scripts/fuzz.sh            # 10 s per target (what scripts/test.sh runs)
#   bash scripts/fuzz.sh 120        # 2 minutes per target
#   FUZZ_SECONDS=300 bash scripts/fuzz.sh
#   FUZZ_TARGETS="policy vary" bash scripts/fuzz.sh 60
#   FUZZ_SANITIZER=address bash scripts/fuzz.sh 60   # default: none (the crate forbids unsafe code)
#   FUZZ_JOBS=1 bash scripts/fuzz.sh                 # one target at a time
#
# Installs the nightly toolchain and cargo-fuzz when missing (idempotent, quick
# when present). The corpus is copied to a temporary directory, so new inputs
# never dirty the checkout; crash inputs are kept in fuzz/artifacts/<target>/
# (git-ignored). Fails on any crash, panic, timeout (-timeout, per input) or
# memory blow-up (-rss_limit_mb). Reproduce a crash with
#   cargo +nightly fuzz run <target> fuzz/artifacts/<target>/crash-...
# and turn it into a regression test in the normal test suite.
set -euo pipefail
source "$(dirname "$0")/env.sh"

seconds="${1:-${FUZZ_SECONDS:-10}}"
sanitizer="${FUZZ_SANITIZER:-none}"
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: bash scripts/fuzz.sh [seconds-per-target]" >&2
  exit 2
fi

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  step "installing the nightly toolchain (for cargo-fuzz)"
  rustup toolchain install nightly --profile minimal
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  step "installing cargo-fuzz (about a minute, once)"
  # --locked can fail when a locked dependency has left the registry.
  cargo install cargo-fuzz --locked || cargo install cargo-fuzz
fi

cd fuzz
targets="${FUZZ_TARGETS:-$(cargo +nightly fuzz list)}"

step "building the fuzz targets (nightly, sanitizer: $sanitizer, debug assertions on)"
built=$SECONDS
cargo +nightly fuzz build --sanitizer "$sanitizer" --debug-assertions
echo "built in $((SECONDS - built)) s"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# One target: fuzz it for $seconds from a copy of its corpus; the outcome
# goes to $work/<target>.result.
fuzz_one() {
  local target="$1" corpus="$work/$1" log="$work/$1.log"
  mkdir -p "$corpus"
  if [ -d "corpus/$target" ]; then cp -R "corpus/$target/." "$corpus/"; fi
  if cargo +nightly fuzz run --sanitizer "$sanitizer" --debug-assertions "$target" "$corpus" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1; then
    local runs
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    echo "$target: ${runs:-?} executions in ${seconds}s, no crash ($(find "$corpus" -type f | wc -l) corpus inputs)" >"$work/$target.result"
  else
    echo "FAILED" >"$work/$target.result"
  fi
}

# libFuzzer runs one thread per process: run as many targets at once as
# there are cores (FUZZ_JOBS to override).
jobs="${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}"
step "fuzzing $(echo $targets | wc -w) targets for ${seconds}s each, $jobs at a time"
running=0
for target in $targets; do
  fuzz_one "$target" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait

failed=()
for target in $targets; do
  if [ "$(cat "$work/$target.result" 2>/dev/null)" = "FAILED" ] || [ ! -s "$work/$target.result" ]; then
    failed+=("$target")
    echo "$target: FAILED" >&2
    grep -E -m 20 "panicked|assertion|ERROR|SUMMARY|Test unit written|Base64" "$work/$target.log" >&2 ||
      tail -n 40 "$work/$target.log" >&2
  else
    cat "$work/$target.result"
  fi
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzzing found crashes in: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
  exit 1
fi
echo "fuzzing: $(echo $targets | wc -w) targets, ${seconds}s each, no crash ($SECONDS s in all)"
