#!/usr/bin/env bash
# The benchmark kit: Boucle beside baselines of the same stack (benches/baseline.rs), on this
# machine, in one run, and a table of the figures at the end.
#
# Usage: benches/bench.sh [--smoke]
#   --smoke   a few seconds a step, small loads and the debug build, no target checked (CI runs
#             it so that the kit keeps working); without it the full run takes about 25 minutes.
# Environment: BENCH_FLEET (containers prepared, default 700,000), BENCH_SECONDS (each load at
# full speed, default 20), BENCH_SOAK_SECONDS (the fixed-rate run, default 300),
# BENCH_CONNECTIONS (default 16), BENCH_POSTGRES_URL (a server whose maintenance database may be
# used; default: one started by .ci/postgres.sh), BENCH_REPORT_DB (a database of `boucle
# simulate --scale 64`, about 10 million events, to time the yearly report on; its simulation
# takes about 50 minutes, so it is made only when asked), BENCH_BUILD=release (the smoke run on
# the release build), BENCH_KEEP=1 (keep the databases).
set -euo pipefail
cd "$(dirname "$0")/.."
smoke=0
[ "${1:-}" = --smoke ] && smoke=1
secs=${BENCH_SECONDS:-20}
soak=${BENCH_SOAK_SECONDS:-300}
conns=${BENCH_CONNECTIONS:-16}
# Enough containers that no request reuses one: scans at full speed (20 s), the fixed-rate
# run at 40% of that speed (300 s, so 140 seconds of the full speed in all) and the shipments
# (each of 500) all take fresh ones; 700,000 is enough for 4,500 scans a second.
fleet=700000
profile=release
if [ $smoke = 1 ]; then secs=2 soak=3 fleet=2000 profile=debug; fi
# BENCH_BUILD=release runs the smoke loads on the release build (for a profile, say).
profile=${BENCH_BUILD:-$profile}
fleet=${BENCH_FLEET:-$fleet}
chunk=$((fleet < 2000 ? fleet : 2000))

for tool in wrk curl; do
  command -v $tool >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk curl; }
done
py=/usr/bin/python3
[ -x $py ] || py=python3
# The smoke run uses the debug build that the tests have already made.
cargo build --profile "$( [ $profile = debug ] && echo dev || echo release )" -q --bin boucle --example baseline
bin=$PWD/target/$profile/boucle
base_bin=$PWD/target/$profile/examples/baseline
work=$(mktemp -d)
pids=()
# The servers' logs are kept in target/bench/ for a look after the run.
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  mkdir -p target/bench && cp "$work"/*.log target/bench/ 2>/dev/null || true
  # BENCH_KEEP=1 leaves the databases and codes for a closer look.
  if [ -n "${BENCH_KEEP:-}" ]; then echo "kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
results=$work/results.txt
: >"$results"
# figure NAME VALUE: kept for the table.
figure() { echo "$1=$2" >>"$results"; }
get() { awk -F= -v k="$1" '$1 == k {v = $2} END {print v}' "$results"; }
# wait_up, calc and boucle_loop, shared with the soak (tests/reliability/soak.sh).
. benches/loop.sh
# load NAME URL [wrk args...]: full speed for $secs seconds, requests a second kept as NAME.
load() {
  local name=$1 url=$2
  shift 2
  local out
  # A long timeout: a slow answer is measured, not dropped (wrk drops those past 2 s).
  out=$(wrk -t2 -c"$conns" -d"${LOAD_SECS:-$secs}s" --timeout 30s --latency "$@" "$url")
  echo "$out" | grep -E 'Requests/sec|recorded|latency p|Non-2xx|Socket errors|  (50|99)%' | sed 's/^/  /'
  if echo "$out" | grep -qE 'Non-2xx|not recorded: [1-9]'; then echo "  errors in $name" >&2; figure "$name.errors" yes; fi
  figure "$name" "$(echo "$out" | awk '/Requests\/sec/ {print $2}')"
  figure "$name.used" "$(echo "$out" | awk '/codes used/ {print $NF}')"
  figure "$name.count" "$(echo "$out" | awk '/requests in/ {print $1}')"
}
# written PID: bytes the process has had written to storage so far (its log, database and
# checkpoints), to compare what one request writes.
written() { awk '/^write_bytes/ {print $2}' "/proc/$1/io"; }

postgres_url=${BENCH_POSTGRES_URL:-$(.ci/postgres.sh)}
pg_db() { # a fresh database named $1 on the server, and its URL
  psql -q "$postgres_url" -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null
  echo "${postgres_url%/*}/$1"
}

echo "== baselines H and R on SQLite"
"$base_bin" "$work/baseline.db" 127.0.0.1:18601 &
pids+=($!)
wait_up http://127.0.0.1:18601/h
load H http://127.0.0.1:18601/h
w0=$(written "${pids[-1]}")
load R http://127.0.0.1:18601/r -s benches/post.lua
figure R.written "$(( $(written "${pids[-1]}") - w0 ))"
BATCH_PATH=/r/batch?rows=500 load R.batch http://127.0.0.1:18601 -s benches/post.lua
# R ten times in one transaction: as many statements as a return scan runs between its BEGIN
# and its COMMIT, all of them writes.
BATCH_PATH=/r/batch?rows=10 load R.tx http://127.0.0.1:18601 -s benches/post.lua
kill "${pids[-1]}"

echo "== baseline R on PostgreSQL"
"$base_bin" "$(pg_db bench_baseline)" 127.0.0.1:18602 &
pids+=($!)
wait_up http://127.0.0.1:18602/h
load R.pg http://127.0.0.1:18602/r -s benches/post.lua
BATCH_PATH=/r/batch?rows=10 load R.tx.pg http://127.0.0.1:18602 -s benches/post.lua
kill "${pids[-1]}"

# soak NAME URL RATE: $soak seconds at RATE requests a second, latency from each due time.
soak() {
  local name=$1 url=$2 rate=$3 out
  out=$(RATE=$rate THREADS=8 wrk -t8 -c8 -d"${soak}s" -s benches/codes.lua "$url")
  echo "$out" | grep -E 'Requests/sec|recorded|latency|slowest|Non-2xx|Socket errors' | sed 's/^/  /'
  if echo "$out" | grep -qE 'Non-2xx|not recorded: [1-9]|Socket errors'; then figure "$name.errors" yes; fi
  figure "$name" "$(echo "$out" | awk '/Requests\/sec/ {print $2}')"
  figure "$name.used" "$(echo "$out" | awk '/codes used/ {print $NF}')"
  for p in 99 99.9; do figure "$name.p$p" "$(echo "$out" | awk -v p="p$p:" '$5 == p {print $6}')"; done
}

echo "== Boucle on SQLite"
boucle_loop sqlite "$work/boucle.db" 18611
pid=${pids[-1]}
export CODES_FILE=$codes TOKEN MODE=return SITE_ID=$SHOP OFFSET=0 THREADS=2
w0=$(written "$pid")
load scans http://127.0.0.1:18611 -s benches/codes.lua
figure scans.written "$(( $(written "$pid") - w0 ))"
OFFSET=$(($(get scans.used) + 100))
rate=$(awk -v r="$(get scans)" 'BEGIN {printf "%d", r * 0.4}')
[ $smoke = 1 ] && rate=50
echo "  fixed rate: $rate scans a second (40% of the maximum just measured) for $soak s"
# restart RUST_LOG LOG: the server again on its database, logging as told, its peak memory so
# far kept in $peak.
peak=0
restart() {
  local hwm
  hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
  [ "$hwm" -gt "$peak" ] && peak=$hwm
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  RUST_LOG=$1 "$bin" serve 2>>"$2" &
  pid=$!
  pids+=("$pid")
  wait_up http://127.0.0.1:18611/api/v1/health
}
# The fixed-rate run on a server that logs each request's time in the server (from the
# request read to the answer written), to tell the server's share of the tail from the
# machine's: the load tool and the servers share the two cores.
restart warn,boucle::http=info "$work/soak-server.log"
soak soak http://127.0.0.1:18611 "$rate"
read -r p99 p999 pmax < <(sed -n 's/.* \([0-9.]*\)ms$/\1/p' "$work/soak-server.log" | sort -n |
  awk '{t[NR] = $1} END {if (NR) printf "%.1f %.1f %.1f\n", t[int(NR * 0.99)], t[int(NR * 0.999)], t[NR]}') || true
echo "  in the server: p99 $p99 ms, p99.9 $p999 ms, max $pmax ms"
figure soak.server.p99 "$p99"
figure soak.server.p99.9 "$p999"
figure soak.server.max "$pmax"
restart warn "$work/sqlite.log"
OFFSET=$((OFFSET + $(get soak.used) + 100))
# Baseline R at the same fixed rate, the same way: what the machine's own stalls (SQLite's
# checkpoints, the load tool sharing the cores) leave of the latency target.
"$base_bin" "$work/baseline-soak.db" 127.0.0.1:18603 &
pids+=($!)
wait_up http://127.0.0.1:18603/h
SCANS_PATH=/r soak R.soak http://127.0.0.1:18603 "$rate"
kill "${pids[-1]}"
LOAD_SECS=$(((secs + 3) / 4)) MODE=ship FROM=$SHOP TO=$WASHER BATCH=500 load ship http://127.0.0.1:18611 -s benches/codes.lua
figure ship.rows "$(calc "$(get ship) * 500")"
figure R.batch.rows "$(calc "$(get R.batch) * 500")"
load stock "http://127.0.0.1:18611/api/v1/stock?site_id=$SHOP" -H "Authorization: Bearer $TOKEN"
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
figure rss "$((hwm > peak ? hwm : peak))"
from=$(date -u -d '-365 days' +%Y-%m-%d)
to=$(date -u -d '+1 day' +%Y-%m-%d)
events=$($py -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from events").fetchone()[0])' "$work/boucle.db")
# p95 of 20 requests of the yearly report on the database at $DATABASE_URL, served at $1.
report_p95() {
  for _ in $(seq 20); do
    curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $TOKEN" "$1/api/v1/reports/loop?from=$from&to=$to"
  done | sort -n | awk '{t[NR] = $1} END {print t[19]}'
}
figure report.small "$(report_p95 http://127.0.0.1:18611)"
figure report.small.events "$events"
kill "$pid"
wait "$pid" 2>/dev/null || true
start=$(date +%s.%N)
"$bin" serve 2>>"$work/sqlite.log" &
pids+=($!)
wait_up http://127.0.0.1:18611/api/v1/health
figure startup "$(calc "$(date +%s.%N) - $start")"
kill "${pids[-1]}"

if [ -n "${BENCH_REPORT_DB:-}" ]; then
  echo "== the yearly report over $BENCH_REPORT_DB"
  export DATABASE_URL=$BENCH_REPORT_DB BIND_ADDR=127.0.0.1:18613
  echo 'bench passphrase' | "$bin" user add --email "bench-$$@big.test" --role coordinator --password-stdin >/dev/null 2>&1
  TOKEN=$("$bin" token create --email "bench-$$@big.test" --name bench)
  "$bin" serve 2>"$work/big.log" &
  pids+=($!)
  wait_up http://127.0.0.1:18613/api/v1/health
  figure report.big "$(report_p95 http://127.0.0.1:18613)"
  figure report.big.events "$($py -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from events").fetchone()[0])' "$BENCH_REPORT_DB")"
  kill "${pids[-1]}"
fi

echo "== Boucle on PostgreSQL"
[ $smoke = 1 ] || fleet=60000
boucle_loop pg "$(pg_db bench_boucle)" 18612
export CODES_FILE=$codes TOKEN MODE=return SITE_ID=$SHOP OFFSET=0
load scans.pg http://127.0.0.1:18612 -s benches/codes.lua
kill "${pids[-1]}"

$py benches/table.py "$results" "$(date -u +%Y-%m-%d)" "$smoke"
