#!/usr/bin/env bash
# Runs the detect, audit and export benches and prints component / native per group
# (detect per backend, decode-only, audit-text, audit-image, export-pdf, export-coco), from criterion's
# estimates (mean and median of the same run).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
[ "${1:-}" = "--no-run" ] || cargo +stable bench --locked -p glint-benches --bench detect --bench audit --bench export
python3 - "$ROOT/target/criterion" <<'PY'
import json, sys, pathlib
root = pathlib.Path(sys.argv[1])
def est(group, fn, stat):
    return json.load(open(root / group / fn / "new" / "estimates.json"))[stat]["point_estimate"] / 1e6
print(f"{'group':<16} {'component ms':>13} {'native ms':>10} {'ratio (median)':>15} {'ratio (mean)':>13}")
for group in sorted(p.name for p in root.iterdir() if (p / "component").is_dir()):
    c, n = est(group, "component", "median"), est(group, "native", "median")
    cm, nm = est(group, "component", "mean"), est(group, "native", "mean")
    print(f"{group:<16} {c:>13.4f} {n:>10.4f} {c / n:>15.3f} {cm / nm:>13.3f}")
PY
