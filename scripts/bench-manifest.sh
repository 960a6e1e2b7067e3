#!/usr/bin/env bash
# Prints spin.toml as the benchmark scripts serve it: rate limits off, the
# component and sample paths absolute (the copy lives elsewhere), and with
# `cache_entries = N` when N is given (0: the result cache off).
#
#   scripts/bench-manifest.sh [CACHE_ENTRIES] > somewhere/spin.toml
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=()
[ $# -ge 1 ] && cache=(-e "s/^detect_plugin = .*/&\ncache_entries = $1/")
sed -e "s/^guest_per_minute = .*/guest_per_minute = 0/" -e "s/^per_minute = .*/per_minute = 0/" \
    -e "s|^source = \"components/|source = \"$ROOT/components/|" -e "s|source = \"samples\"|source = \"$ROOT/samples\"|" \
    "${cache[@]}" "$ROOT/spin.toml"
