#!/usr/bin/env bash
# Return scans at full speed on SQLite, binary against binary, back to back: each named
# binary in turn serves a fresh database of the same loop (benches/loop.sh), takes returns for
# BENCH_SECONDS, and the rounds alternate, so that a change on the scan path is measured
# against the commit before it on the same machine in one run (docs/PERFORMANCE.md).
#
# Usage: benches/scans_ab.sh NAME=BINARY [NAME=BINARY ...]; BENCH_FLEET containers (default
# 100,000), BENCH_SECONDS each load (default 20), BENCH_ROUNDS (default 3),
# BENCH_CONNECTIONS (default 16).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: $0 NAME=BINARY [NAME=BINARY ...]" >&2; exit 2; }
secs=${BENCH_SECONDS:-20}
rounds=${BENCH_ROUNDS:-3}
conns=${BENCH_CONNECTIONS:-16}
fleet=${BENCH_FLEET:-100000}
chunk=10000
[ "$fleet" -lt "$chunk" ] && chunk=$fleet
for tool in wrk curl; do
  command -v $tool >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk curl; }
done
py=/usr/bin/python3
[ -x $py ] || py=python3
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
figure() { :; }
. benches/loop.sh
echo "SQLite return scans, $fleet containers, $conns connections, ${secs} s a load, $(date -u '+%Y-%m-%d %H:%M') UTC, $(nproc) cores"
for round in $(seq "$rounds"); do
  for named in "$@"; do
    name=${named%%=*} bin=${named#*=}
    rm -f "$work"/*.db*
    boucle_loop "$name" "$work/$name.db" 18615 >/dev/null
    out=$(CODES_FILE=$codes TOKEN=$TOKEN MODE=return SITE_ID=$SHOP OFFSET=0 THREADS=2 \
      wrk -t2 -c"$conns" -d"${secs}s" --timeout 30s --latency -s benches/codes.lua http://127.0.0.1:18615)
    kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
    if echo "$out" | grep -qE 'Non-2xx|not recorded: [1-9]'; then echo "  errors in $name" >&2; fi
    printf '  round %s  %-8s %8s scans/s  p99 %s\n' "$round" "$name" \
      "$(echo "$out" | awk '/Requests\/sec/ {print $2}')" \
      "$(echo "$out" | awk '$1 == "99%" {print $2}')"
  done
done
