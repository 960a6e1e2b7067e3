#!/usr/bin/env bash
# Builds phrase-guard.wasm with componentize-py, against the WIT package of
# the glint that will run it (`glint plugins wit`).
#   GLINT            the glint binary (default: glint on PATH)
#   COMPONENTIZE_PY  componentize-py (default: on PATH; pip install componentize-py==0.25.1)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
GLINT=${GLINT:-glint}
COMPONENTIZE_PY=${COMPONENTIZE_PY:-componentize-py}
"$GLINT" plugins wit wit >/dev/null
"$COMPONENTIZE_PY" -d wit -w auditor-host componentize app -o phrase-guard.wasm
echo "phrase-guard.wasm: $(wc -c < phrase-guard.wasm) bytes"
