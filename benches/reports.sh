#!/usr/bin/env bash
# Times the reports over a simulated year on SQLite, beside the recomputation from the log.
# Usage: benches/reports.sh [scale, default 1] [existing database to reuse]
# Scale 64 gives about 10 million events (about 40 minutes to simulate on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
scale=${1:-1}
cargo build --release -q
bin=$PWD/target/release/boucle
work=$(mktemp -d)
db=${2:-$work/bench.db}
port=18484
export DATABASE_URL=$db BIND_ADDR=127.0.0.1:$port RUST_LOG=warn
if [ -z "${2:-}" ]; then
  "$bin" simulate --scale "$scale"
fi
echo 'bench passphrase' | "$bin" user add --email "bench-$$@loop.test" --role coordinator --password-stdin 2>/dev/null
TOKEN=$("$bin" token create --email "bench-$$@loop.test" --name bench)
"$bin" serve 2>"$work/server.log" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT
url=http://127.0.0.1:$port/api/v1
for _ in $(seq 100); do curl -sf "$url/health" >/dev/null && break; sleep 0.1; done
from=$(date -u -d '-365 days' +%Y-%m-%d)
to=$(date -u +%Y-%m-%d)
echo "== $(/usr/bin/python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from events").fetchone()[0])' "$db") events, period $from to $to"
for path in "reports/loop?from=$from&to=$to" "reports/loop/monthly?from=$from&to=$to" "reports/flows?from=$from&to=$to" "reports/returns?from=$from&to=$to" "stock"; do
  for _ in $(seq 20); do
    curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $TOKEN" "$url/$path"
  done | sort -n | awk -v p="${path%%\?*}" '{t[NR]=$1} END {printf "%-24s median %.4f s  p95 %.4f s\n", p, t[int((NR+1)/2)], t[int(NR*0.95)]}'
done
echo "== recomputation from the log (boucle check-figures)"
/usr/bin/time -f "%e s, %M KB peak" "$bin" check-figures 2>&1 | grep -v recomputing || true
