#!/usr/bin/env bash
# Builds {{name}}.wasm from app.py with componentize-py (PyPI), which bundles
# CPython into the component. The component imports WASI p2; glint links it
# deny-all (no files, network or environment).
#   COMPONENTIZE_PY   componentize-py to use (default: componentize-py on PATH;
#                     pip install componentize-py=={{componentize_py}})
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
COMPONENTIZE_PY=${COMPONENTIZE_PY:-componentize-py}
command -v "$COMPONENTIZE_PY" >/dev/null || { echo "build.sh: componentize-py not found: pip install componentize-py=={{componentize_py}}" >&2; exit 1; }
"$COMPONENTIZE_PY" -d wit -w {{world}} componentize app -o {{name}}.wasm
echo "{{name}}.wasm: $(wc -c < {{name}}.wasm) bytes"
