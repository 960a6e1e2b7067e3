#!/usr/bin/env bash
# Cold start, measured side by side in one run (a slow proof, not part of
# scripts/test.sh): a cold `glint detect` on samples/chelsea.png, process
# start to JSON, with an empty cache ($GLINT_CACHE: compiled components and
# compiled graphs) and with a warm one, per backend; a cold Python
# interpreter doing the same detection with the same graphs and runtime
# (benches/cold/python_detect.py); and the time from `glint up` starting to
# its first answered detection (warm cache). `glint detect` loads a graph
# when the detector first uses it, so "a cat" (a phrase the tables know)
# never loads the sentence encoder, which the Python script always loads and
# runs; the "encoder" column is a warm run on "a kitty", which needs it (and
# the COCO names' embeddings, derived by the untimed run before it and read
# back from $GLINT_CACHE/derived).
#
#   scripts/cold-start.sh [RUNS]      (default 3; medians are reported)
#
# Result: .glint/bench/cold-start.json and a table on stdout.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
RUNS=${1:-3}
OUT=.glint/bench; mkdir -p "$OUT"
[ -x target/release/glint ] || { echo "cold-start: target/release/glint is missing: run scripts/setup.sh" >&2; exit 1; }
PY=.glint/venv/bin/python
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

seconds() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1 || { echo "cold-start: failed: $*" >&2; exit 1; }; t1=$(date +%s.%N); awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
detect() { GLINT_CACHE="$1" target/release/glint --backend "$2" detect --image samples/chelsea.png --prompt "${3:-a cat}"; }

declare -A result
for backend in openvino onnx; do
  empty=(); warm=(); encoder=(); python=()
  for i in $(seq "$RUNS"); do
    cache="$work/cache-$backend-$i"
    empty+=("$(seconds detect "$cache" "$backend")")
    warm+=("$(seconds detect "$cache" "$backend")")
    seconds detect "$cache" "$backend" "a kitty" >/dev/null  # caches the encoder's compiled graph and the label embeddings
    encoder+=("$(seconds detect "$cache" "$backend" "a kitty")")
    python+=("$(seconds "$PY" benches/cold/python_detect.py "$backend" samples/chelsea.png "a cat")")
  done
  result[$backend.empty]=$(median "${empty[@]}")
  result[$backend.warm]=$(median "${warm[@]}")
  result[$backend.encoder]=$(median "${encoder[@]}")
  result[$backend.python]=$(median "${python[@]}")
done

# glint up (the shipped spin.toml, audit on) until its first answered detection.
firsts=()
for i in $(seq "$RUNS"); do
  t0=$(date +%s.%N)
  target/release/glint up --listen 127.0.0.1:0 --database "$work/up-$i.db" >"$work/up.out" 2>"$work/up.err" &
  pid=$!
  for _ in $(seq 6000); do grep -q "serving app" "$work/up.out" 2>/dev/null && break; sleep 0.005; done
  url=$(grep -o 'http://[0-9.:]*' "$work/up.out" | head -1)
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary @samples/chelsea.png "$url/api/detect?prompt=a%20cat")
  t1=$(date +%s.%N)
  kill "$pid"; wait "$pid" 2>/dev/null || true
  [ "$code" = 200 ] || { echo "cold-start: glint up answered $code" >&2; cat "$work/up.err" >&2; exit 1; }
  firsts+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')")
done
first=$(median "${firsts[@]}")

python3 - "$OUT/cold-start.json" "$RUNS" "$first" \
  "${result[openvino.empty]}" "${result[openvino.warm]}" "${result[openvino.python]}" "${result[openvino.encoder]}" \
  "${result[onnx.empty]}" "${result[onnx.warm]}" "${result[onnx.python]}" "${result[onnx.encoder]}" <<'PYEOF'
import json, sys
out, runs, first = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
ov, ort = [float(x) for x in sys.argv[4:8]], [float(x) for x in sys.argv[8:12]]
rows = {}
print(f"cold glint detect on chelsea.png, process start to JSON (median of {runs}):")
print("backend    empty cache  warm cache  python (same graphs)  warm / python  warm, encoder too ('a kitty') / python")
for name, (empty, warm, py, enc) in (("openvino", ov), ("onnx", ort)):
    rows[name] = {"empty_cache_s": empty, "warm_cache_s": warm, "python_s": py, "warm_over_python": round(warm / py, 2),
                  "warm_encoder_s": enc, "warm_encoder_over_python": round(enc / py, 2)}
    print(f"{name:<10} {empty:>9.2f} s {warm:>9.2f} s {py:>15.2f} s {warm / py:>17.2f}x {enc:>12.2f} s {enc / py:>8.2f}x")
print(f"glint up (audit on, warm cache): first detection answered {first:.2f} s after start")
json.dump({"runs": runs, "detect": rows, "up_first_detection_s": first}, open(out, "w"), indent=1)
PYEOF
