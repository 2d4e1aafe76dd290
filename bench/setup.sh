#!/usr/bin/env bash
# Installs what bench/api.py needs besides chinwag itself (pip install -e .):
# wrk, the load generator (Debian package), and Prism (npm, pinned in package-lock.json).
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v wrk >/dev/null; then
    apt-get update -qq
    apt-get install -y -qq wrk
fi
if [ ! -x node_modules/.bin/prism ]; then
    npm ci --no-audit --no-fund --ignore-scripts
fi
