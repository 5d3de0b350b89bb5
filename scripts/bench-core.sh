#!/usr/bin/env bash
# Measures, on SQLite in release mode: commissioning 10,000 containers in one request, and
# single return-path scans (`POST /api/v1/scans`, one scan a request) under concurrent load.
# Usage: scripts/bench-core.sh [seconds per load run, default 20]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-20}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
cargo build --release -q
bin=$PWD/target/release/boucle
work=$(mktemp -d)
port=18181
export DATABASE_URL=$work/boucle.db BIND_ADDR=127.0.0.1:$port RUST_LOG=warn
echo 'bench passphrase' | "$bin" user add --email bench@loop.test --role coordinator --password-stdin 2>/dev/null
TOKEN=$("$bin" token create --email bench@loop.test --name bench)
"$bin" serve 2>"$work/server.log" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT
url=http://127.0.0.1:$port/api/v1
for _ in $(seq 50); do curl -sf "$url/health" >/dev/null && break; sleep 0.1; done
post() { curl -sf -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d "$2" "$url$1"; }
id() { /usr/bin/python3 -c 'import sys,json; print(json.load(sys.stdin)["id"])'; }
SITE_ID=$(post /sites '{"name":"Producteur","kind":"producer","lat":48.11,"lon":-1.52}' | id)
TYPE_ID=$(post /container-types '{"name":"Bocal 370 ml","material":"glass","tare_mass_g":210,"single_use_mass_g":25}' | id)

echo "== commissioning 10,000 containers in one request (10 requests)"
codes=$work/codes.txt
for i in $(seq 10); do
  curl -sf -o "$work/c.json" -w '%{time_total}\n' -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d "{\"type_id\":\"$TYPE_ID\",\"site_id\":\"$SITE_ID\",\"count\":10000}" "$url/containers" >>"$work/times.txt"
  /usr/bin/python3 -c 'import json,sys; [print(c["code"]) for c in json.load(open(sys.argv[1]))["containers"]]' "$work/c.json" >>"$codes"
done
sort -n "$work/times.txt" | awk '{t[NR]=$1} END {printf "seconds per request: min %.3f, median %.3f, max %.3f\n", t[1], t[int((NR+1)/2)], t[NR]}'

offset=0
for conns in 1 16 64; do
  threads=$((conns < 2 ? conns : 2))
  echo "== single scans, $conns connections, $threads wrk threads, ${secs}s"
  out=$(CODES_FILE=$codes SITE_ID=$SITE_ID TOKEN=$TOKEN OFFSET=$offset THREADS=$threads \
    wrk -t"$threads" -c"$conns" -d"${secs}s" -s scripts/scan.lua "http://127.0.0.1:$port")
  echo "$out" | grep -E 'Requests/sec|recorded|latency p|Non-2xx|Socket errors' || true
  done_now=$(echo "$out" | awk '/scans recorded/ {gsub(",", "", $3); print $3 + $6}')
  offset=$((offset + done_now + 1000))
done
echo "== query plan of a code lookup"
/usr/bin/python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("EXPLAIN QUERY PLAN SELECT * FROM containers WHERE serial = 42").fetchall())' "$DATABASE_URL"
echo "== server resident memory: $(awk '/VmRSS/ {print $2, $3}' /proc/$pid/status)"
