#!/usr/bin/env bash
# The cost of writing a plugin in Python or JavaScript instead of Rust, on the
# same auditor (the skeletons of `glint plugins new --world auditor`, identical
# in logic), in one run: component size; compile time with an empty compiled-
# code cache and with a warm one (from `glint plugins check`, which also runs
# the canary: instantiate + two calls); and the per-call time of check-input on
# a warm instance (criterion, benches/benches/plugin_langs.rs). Ratios are to
# Rust, measured in the same run. Needs scripts/setup.sh first.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
GLINT=$ROOT/target/release/glint
VENV=$ROOT/.glint/venv/bin
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export WASM_TOOLS=$VENV/wasm-tools COMPONENTIZE_PY=$VENV/componentize-py

for lang in rust python js; do
  "$GLINT" plugins new "audit-$lang" --world auditor --lang "$lang" --dir "$work" >/dev/null
  [ "$lang" = js ] && ln -s "$ROOT/plugins/examples/table-export/node_modules" "$work/audit-js/node_modules"
  CARGO_TARGET_DIR=$ROOT/target/plugin-skeletons "$work/audit-$lang/build.sh" >"$work/build-$lang.log" 2>&1 || { cat "$work/build-$lang.log"; exit 1; }
done

steps() { # FILE CACHE -> the steps JSON of `glint plugins check`
  GLINT_CACHE=$2 "$GLINT" plugins check "$1" | sed -n 's/^  steps *//p'
}
: >"$work/table"
for lang in rust python js; do
  wasm=$work/audit-$lang/audit-$lang.wasm
  cache=$work/cache-$lang
  cold=$(steps "$wasm" "$cache")
  warm=$(steps "$wasm" "$cache")
  echo "$lang $(stat -c %s "$wasm") $cold $warm" >>"$work/table"
done

GLINT_PLUGIN_LANGS_DIR=$work cargo +stable bench --locked -p glint-benches --bench plugin_langs >"$work/bench.log" 2>&1 \
  || { cat "$work/bench.log"; exit 1; }

python3 - "$work/table" "$ROOT/target/criterion/auditor-check-input" <<'PY'
import json, sys, pathlib
rows = {}
for line in open(sys.argv[1]):
    lang, size, cold, warm = line.split()
    cold, warm = json.loads(cold), json.loads(warm)
    assert warm["compile_cached"] == 1, f"{lang}: the second check did not hit the cache: {warm}"
    est = json.load(open(pathlib.Path(sys.argv[2]) / lang / "new" / "estimates.json"))
    rows[lang] = dict(size=int(size), cold=cold["compile"], cached=warm["compile"], canary=warm["canary"],
                      call=est["median"]["point_estimate"] / 1e3)
r = rows["rust"]
def cell(lang, key, text):
    base = r[key]
    if lang == "rust" or base == 0:
        return f"{text:>14}        "
    return f"{text:>14} {'(' + format(rows[lang][key] / base, ',.0f') + 'x)':>7}"
print(f"{'auditor':<8} {'size':>22} {'compile, empty cache':>22} {'compile, cached':>22} {'check-input, median':>22}   canary")
for lang, v in rows.items():
    print(f"{lang:<8}{cell(lang, 'size', format(v['size'], ',') + ' B')}{cell(lang, 'cold', str(v['cold']) + ' ms')}"
          f"{cell(lang, 'cached', str(v['cached']) + ' ms')}{cell(lang, 'call', format(v['call'], '.1f') + ' us')}   {v['canary']} ms")
PY
