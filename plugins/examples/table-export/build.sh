#!/usr/bin/env bash
# Builds table-export.wasm: the WIT of the glint that will run it
# (`glint plugins wit`), componentize-js from package-lock.json, then build.mjs.
#   GLINT   the glint binary (default: glint on PATH). Needs Node 18+ and npm.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
GLINT=${GLINT:-glint}
"$GLINT" plugins wit wit >/dev/null
[ -d node_modules/@bytecodealliance/componentize-js ] || npm ci --no-audit --no-fund --loglevel=error
node build.mjs
