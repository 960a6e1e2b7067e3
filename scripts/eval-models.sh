#!/usr/bin/env bash
# Evaluates the detector model versions side by side on the bundled photos:
# hits / misses / false positives for a fixed list of 30 phrases, and latency
# p50 (client-side, through `glint up` on loopback, result cache off, same run).
#
#   scripts/eval-models.sh [VERSION...]     default: coco-grounded-v1 broad-v1
#
# Prints a Markdown table (the README's) and writes .glint/eval/report.json.
# Not part of the test suite: a measurement, run by hand after scripts/setup.sh.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
OUT=.glint/eval; mkdir -p "$OUT"
fail() { echo "eval-models: $*" >&2; exit 1; }
[ -x target/release/glint ] || fail "build glint first: scripts/setup.sh"
versions=("$@"); [ ${#versions[@]} -gt 0 ] || versions=(coco-grounded-v1 broad-v1)

# shellcheck source=lib/bench-server.sh
. scripts/lib/bench-server.sh
start_bench_server 0
echo "glint $(target/release/glint --version 2>/dev/null | awk '{print $2}'), $(nproc) cores, $(date -u +%Y-%m-%d)"
python3 scripts/eval-models.py "$URL" "$OUT/report.json" "${versions[@]}"
