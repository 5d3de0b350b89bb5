#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster on 127.0.0.1:${PGPORT:-54329} for the tests and prints
# the URL of its maintenance database. Installs PostgreSQL from Debian when it is missing.
set -euo pipefail
port=${PGPORT:-54329}
dir=${PGDATA_DIR:-/tmp/boucle-pg-$port}

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "installing PostgreSQL" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if ! as_postgres "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port"; then
  rm -rf "$dir"
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
  as_postgres "$bindir/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 >/dev/null
  as_postgres "$bindir/pg_ctl" -D "$dir" -l "$dir/server.log" -w \
    -o "-h 127.0.0.1 -p $port -k /tmp -c fsync=off -c max_connections=300" start >/dev/null
fi
echo "postgres://postgres@127.0.0.1:$port/postgres"
