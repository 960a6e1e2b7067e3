#!/usr/bin/env bash
# Makes the Gradio venv of the gateway tests and the load comparison, from PyPI,
# pinned: .glint/gradio-venv (Gradio 5.50, benches/load/requirements.txt) or,
# with the argument 4, .glint/gradio4-venv (Gradio 4.44.1,
# benches/load/requirements-gradio4.txt). Idempotent: seconds when it is
# already there. Prints the venv's python.
#
#   scripts/gradio-venv.sh [5|4]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
case "${1:-5}" in
  5) VENV=.glint/gradio-venv; REQS=benches/load/requirements.txt ;;
  4) VENV=.glint/gradio4-venv; REQS=benches/load/requirements-gradio4.txt ;;
  *) echo "gradio-venv: give 5 or 4, not '$1'" >&2; exit 2 ;;
esac
stamp="$VENV/.requirements.sha256"
want=$(sha256sum "$REQS" | cut -d' ' -f1)
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] || ! "$VENV/bin/python" -c "import gradio, gradio_client" 2>/dev/null; then
  echo "installing gradio into $VENV (PyPI, $REQS)" >&2
  mkdir -p .glint
  log="$VENV-pip.log"
  { python3 -m venv "$VENV" && "$VENV/bin/pip" install -q -r "$REQS" && echo "$want" > "$stamp"; } >"$log" 2>&1 \
    || { echo "gradio-venv: pip install failed: see $log" >&2; exit 1; }
fi
echo "$ROOT/$VENV/bin/python"
