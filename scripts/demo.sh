#!/usr/bin/env bash
# Builds the package and serves the demo page (www/, a Vite app that depends on
# the package as a user's app would) on http://localhost:${PORT:-8080}.
set -euo pipefail
source "$(dirname "$0")/env.sh"

bash scripts/setup.sh
bash scripts/build.sh
npm install --prefix www --no-audit --no-fund --no-package-lock --silent
step "serving the demo on http://localhost:${PORT:-8080} (Ctrl-C to stop)"
exec vite www --port "${PORT:-8080}" --strictPort
