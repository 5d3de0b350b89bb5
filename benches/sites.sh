#!/usr/bin/env bash
# Single return scans on PostgreSQL at one shop, then spread over 16 shops, back to back on
# one database: how much of the PostgreSQL figure of the kit is scans of one site waiting for
# each other's counter and holdings rows (docs/PERFORMANCE.md).
#
# Usage: benches/sites.sh [NAME=BINARY ...]; BENCH_POSTGRES_URL names a server (default:
# .ci/postgres.sh), BENCH_SECONDS each load (default 10), BENCH_CONNECTIONS (default 16).
# Without arguments it measures the release build of this tree; with them, each named binary
# in turn (say, before=/tmp/boucle-before after=target/release/boucle), each on a fresh
# database, so that a change is measured against what came before in one run.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${BENCH_SECONDS:-10}
conns=${BENCH_CONNECTIONS:-16}
shops=16
per=5000
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk curl; }
py=/usr/bin/python3
[ -x $py ] || py=python3
if [ $# = 0 ]; then
  cargo build --release -q --bin boucle
  set -- "this=$PWD/target/release/boucle"
fi
work=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$work"' EXIT
postgres_url=${BENCH_POSTGRES_URL:-$(.ci/postgres.sh | tail -1)}
echo "PostgreSQL, $conns connections, $(date -u +%Y-%m-%d), $(nproc) cores"
for named in "$@"; do
name=${named%%=*} bin=${named#*=}
rm -f "$work"/shop* "$work"/spread
psql -q "$postgres_url" -c "DROP DATABASE IF EXISTS bench_sites" -c "CREATE DATABASE bench_sites" >/dev/null
export DATABASE_URL=${postgres_url%/*}/bench_sites BIND_ADDR=127.0.0.1:18614 RUST_LOG=warn
echo 'bench passphrase' | "$bin" user add --email bench@sites.test --role coordinator --password-stdin >/dev/null 2>&1
TOKEN=$("$bin" token create --email bench@sites.test --name bench)
"$bin" serve 2>"$work/serve.log" &
server=$!
for _ in $(seq 100); do curl -sf -o /dev/null http://127.0.0.1:18614/api/v1/health && break; sleep 0.1; done
api=http://127.0.0.1:18614/api/v1
post() { curl -sf -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d "$2" "$api$1"; }
id() { $py -c 'import sys,json; print(json.load(sys.stdin)["id"])'; }
PRODUCER=$(post /sites '{"name":"Laiterie","kind":"producer","lat":48.08,"lon":-1.49}' | id)
TYPE=$(post /container-types '{"name":"Bocal 370 ml","material":"glass","tare_mass_g":210,"single_use_mass_g":25}' | id)
# Each shop gets $per jars, filled at the producer, shipped and received; one line a jar,
# "code shop", in $work/shopN.
# Shop 0, which takes the whole first load alone, gets five times as many.
for n in $(seq 0 $shops); do
  shop=$(post /sites "{\"name\":\"Epicerie $n\",\"kind\":\"shop\",\"lat\":48.1,\"lon\":-1.6}" | id)
  for _ in $(seq $((n == 0 ? 5 : 1))); do
  post /containers "{\"type_id\":\"$TYPE\",\"site_id\":\"$PRODUCER\",\"count\":$per}" >"$work/c.json"
  $py - "$work/c.json" "$PRODUCER" "$shop" "$work/shop$n" <<'PY'
import json, sys
codes = [c["code"] for c in json.load(open(sys.argv[1]))["containers"]]
for i in range(0, len(codes), 1000):
    scans = [{"code": c, "action": "fill", "site_id": sys.argv[2]} for c in codes[i:i + 1000]]
    open(f"{sys.argv[1]}.fill{i}", "w").write(json.dumps({"scans": scans}))
open(f"{sys.argv[1]}.ship", "w").write(json.dumps({"from_site_id": sys.argv[2], "to_site_id": sys.argv[3], "codes": codes}))
open(sys.argv[4], "a").write("".join(f"{c} {sys.argv[3]}\n" for c in codes))
PY
  for f in "$work"/c.json.fill*; do post /scans "@$f" >/dev/null; rm "$f"; done
  ship=$(post /shipments "@$work/c.json.ship" | id)
  post "/shipments/$ship/receive" '{}' >/dev/null
  done
done
# Shop 0 alone; then shops 1 to 16 in turn, so that consecutive scans are at different shops.
paste -d '\n' $(for n in $(seq 1 $shops); do echo "$work/shop$n"; done) | grep . >"$work/spread"
run() {
  CODES_FILE=$2 TOKEN=$TOKEN MODE=return OFFSET=0 THREADS=2 \
    wrk -t2 -c"$conns" -d"${secs}s" --timeout 30s -s benches/codes.lua http://127.0.0.1:18614 |
    awk -v what="$1" '/Requests\/sec/ {r = $2} /recorded:/ {rec = $0} END {printf "%s: %s scans a second (%s)\n", what, r, rec}'
}
run "$name, one shop" "$work/shop0"
run "$name, $shops shops" "$work/spread"
kill $server; wait $server 2>/dev/null || true; server=
done
