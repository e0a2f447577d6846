# Sourced by the other scripts: the repository root and the tool paths.
# shellcheck shell=bash
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$ROOT/node_modules/.bin:$PATH"
cd "$ROOT"

step() {
  printf '\n\033[1m== %s\033[0m\n' "$1"
}
