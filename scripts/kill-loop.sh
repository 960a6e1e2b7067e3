#!/usr/bin/env bash
# Durability under SIGKILL (a slow proof, not part of scripts/test.sh):
# writes feedback, accounts and audited detections to a real `glint up`,
# kills it at random moments ROUNDS times, and checks after each restart that
# every write acknowledged with a 2xx is there.
#
#   scripts/kill-loop.sh [sqlite|postgres] [ROUNDS]    (default: sqlite 20)
#
# Needs scripts/setup.sh first. PostgreSQL comes from scripts/postgres.sh.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
DB_KIND=${1:-sqlite}
ROUNDS=${2:-20}
GLINT=target/release/glint
[ -x "$GLINT" ] || { echo "kill-loop: $GLINT is missing: run scripts/setup.sh" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"; [ "$DB_KIND" = postgres ] && scripts/postgres.sh stop >/dev/null 2>&1 || true' EXIT

# The shipped manifest (audit on), with rate limits off: the writers post fast from one address.
sed -e "s#components/target/#$ROOT/components/target/#" -e "s#source = \"samples\"#source = \"$ROOT/samples\"#" \
    -e 's/^per_minute = 120/per_minute = 0/' -e 's/^guest_per_minute = 30/guest_per_minute = 0/' spin.toml > "$work/spin.toml"
case "$DB_KIND" in
  sqlite) DATABASE="$work/glint.db" ;;
  postgres) DATABASE=$(scripts/postgres.sh start) ;;
  *) echo "kill-loop: give sqlite or postgres, not $DB_KIND" >&2; exit 2 ;;
esac
printf '%s\n' durability-admin-pass | "$GLINT" users add durability-admin --role admin --password-stdin --database "$DATABASE" >/dev/null
echo "kill-loop: $DB_KIND, $ROUNDS rounds"
python3 benches/durability/kill_loop.py "$GLINT" "$work/spin.toml" "$DATABASE" "$ROUNDS"
