# Sourced by the other scripts: the repository root and the tool paths.
# shellcheck shell=bash
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$ROOT/node_modules/.bin:$PATH"
cd "$ROOT"

step() {
  printf '\n\033[1m== %s\033[0m\n' "$1"
}

# The `rocksdb` feature links Debian's librocksdb-dev (scripts/setup.sh
# installs it) instead of building RocksDB's C++ from source, which adds 5
# (idle) to 25 (loaded) minutes to a cold run on two cores (see the README).
if [ -z "${ROCKSDB_LIB_DIR:-}" ] && [ -f /usr/include/rocksdb/c.h ]; then
  multiarch=$(gcc -print-multiarch 2>/dev/null || true)
  if [ -n "$multiarch" ] && [ -e "/usr/lib/$multiarch/librocksdb.so" ]; then
    export ROCKSDB_LIB_DIR="/usr/lib/$multiarch" ROCKSDB_INCLUDE_DIR=/usr/include
  fi
fi
