#!/usr/bin/env bash
# Makes .glint/gradio-venv: Gradio 5.50 and its pinned requirements
# (benches/load/requirements.txt, from PyPI), for the gateway tests and the
# load comparison. Idempotent: seconds when it is already there. Prints the
# venv's python.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
VENV=.glint/gradio-venv
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import gradio, gradio_client" 2>/dev/null; then
  echo "installing gradio into $VENV (PyPI, benches/load/requirements.txt)" >&2
  mkdir -p .glint
  log=.glint/gradio-venv-pip.log
  { python3 -m venv "$VENV" && "$VENV/bin/pip" install -q -r benches/load/requirements.txt; } >"$log" 2>&1 \
    || { echo "gradio-venv: pip install failed: see $log" >&2; exit 1; }
fi
echo "$ROOT/$VENV/bin/python"
