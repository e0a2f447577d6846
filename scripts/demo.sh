#!/usr/bin/env bash
# Builds the package and serves the demo page on http://localhost:${PORT:-8080}.
set -euo pipefail
source "$(dirname "$0")/env.sh"

bash scripts/setup.sh
bash scripts/build.sh
step "serving www/ on http://localhost:${PORT:-8080} (Ctrl-C to stop)"
exec node www/serve.mjs
