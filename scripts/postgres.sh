#!/usr/bin/env bash
# A throw-away PostgreSQL server on loopback for the tests.
#
#   scripts/postgres.sh start   installs PostgreSQL (apt) if missing, starts a
#                               fresh cluster, prints its URL on stdout
#   scripts/postgres.sh stop    stops it and deletes its data
#
# The cluster lives in $GLINT_PG_DIR (default /tmp/glint-pg), listens only on
# 127.0.0.1:$GLINT_PG_PORT (default 55432) and trusts local connections: it
# is for tests, never for data that matters.
set -euo pipefail
DIR=${GLINT_PG_DIR:-/tmp/glint-pg}
PORT=${GLINT_PG_PORT:-55432}
fail() { echo "postgres.sh: $*" >&2; exit 1; }

bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -n "$d" ] && [ -x "$d/initdb" ] && echo "$d"
}

# Runs a command as the unprivileged owner of the cluster (postgres refuses root).
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
  start)
    if ! BIN=$(bindir); then
      command -v apt-get >/dev/null || fail "PostgreSQL is not installed and there is no apt-get"
      echo "postgres.sh: installing PostgreSQL with apt" >&2
      SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
      $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2 \
        || fail "apt-get install postgresql failed"
      BIN=$(bindir) || fail "PostgreSQL installed, but no initdb under /usr/lib/postgresql/*/bin"
    fi
    "$0" stop >/dev/null 2>&1 || true
    mkdir -p "$DIR"
    [ "$(id -u)" = 0 ] && chown postgres: "$DIR"
    as_owner "$BIN/initdb" -D "$DIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 \
      || fail "initdb failed: $(tail -3 "$DIR/initdb.log")"
    as_owner "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c fsync=off" start >/dev/null \
      || fail "the server did not start: $(tail -5 "$DIR/server.log")"
    echo "postgres://postgres@127.0.0.1:$PORT/postgres"
    ;;
  stop)
    if BIN=$(bindir) && [ -d "$DIR/data" ]; then
      as_owner "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$DIR"
    ;;
  *)
    fail "usage: scripts/postgres.sh start|stop"
    ;;
esac
