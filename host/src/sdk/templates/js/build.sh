#!/usr/bin/env bash
# Builds {{name}}.wasm (see build.mjs). Needs Node 18 or newer and npm.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
command -v node >/dev/null || { echo "build.sh: node not found (Node 18 or newer)" >&2; exit 1; }
if [ ! -d node_modules/@bytecodealliance/componentize-js ]; then
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
fi
node build.mjs
