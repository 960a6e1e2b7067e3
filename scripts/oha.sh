#!/usr/bin/env bash
# Prints the path of oha (the HTTP load tool the benchmark scripts use),
# installing the pinned version with cargo into $GLINT_CACHE/tools on first use.
set -euo pipefail
TOOLS=${GLINT_CACHE:-$HOME/.cache/glint}/tools
OHA_VERSION=1.16.0
if [ ! -x "$TOOLS/bin/oha" ]; then
  mkdir -p "$TOOLS"
  echo "installing oha $OHA_VERSION (cargo, into $TOOLS)" >&2
  cargo +stable install oha --version "$OHA_VERSION" --locked --root "$TOOLS" >"$TOOLS/oha-install.log" 2>&1 \
    || { echo "cargo install oha failed: see $TOOLS/oha-install.log" >&2; exit 1; }
fi
echo "$TOOLS/bin/oha"
