# Sourced by the benchmark scripts: starts `glint up` on the benchmark
# manifest (scripts/bench-manifest.sh) on a free loopback port, stops it on
# exit, and sets URL. Needs OUT (a scratch folder) and fail() from the caller.
#   start_bench_server [CACHE_ENTRIES]
start_bench_server() {
  scripts/bench-manifest.sh "$@" >"$OUT/spin.toml"
  rm -f "$OUT/glint.db" "$OUT/glint.db-wal" "$OUT/glint.db-shm" "$OUT/up.out"
  target/release/glint up --listen 127.0.0.1:0 --manifest "$OUT/spin.toml" --database "$OUT/glint.db" >"$OUT/up.out" 2>"$OUT/up.log" &
  BENCH_SERVER_PID=$!
  trap 'kill $BENCH_SERVER_PID 2>/dev/null || true; wait 2>/dev/null || true' EXIT
  for _ in $(seq 600); do
    grep -q "http://" "$OUT/up.out" 2>/dev/null && break
    kill -0 $BENCH_SERVER_PID || fail "glint up exited: $OUT/up.log"
    sleep 0.1
  done
  URL=$(grep -o 'http://[0-9.:]*' "$OUT/up.out" | head -1)
  [ -n "$URL" ] || fail "glint up did not start in 60 s: $OUT/up.log"
}
