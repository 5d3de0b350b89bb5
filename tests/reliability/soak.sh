#!/usr/bin/env bash
# Soak: Boucle on SQLite at a steady 30% of its measured maximum scan rate for 30 minutes. It
# must answer every request without error, its p99 latency must drift less than 20% from the
# first five minutes to the last, and its resident memory grow less than 10% from the end of
# the first five minutes to the end.
#
# Usage: tests/reliability/soak.sh [--short]
#   --short   20 seconds in windows of 5 on the debug build and a small loop (CI), no target
#             checked.
# Environment: SOAK_SECONDS (default 1800), SOAK_WINDOW (default 300), SOAK_SHARE (of the
# maximum, default 0.3), SOAK_FLEET (containers, default 200,000: the maximum's run takes
# about 90,000 of them, the cycle the rest).
#
# The maximum is measured first, in the same run: single return scans at full speed for 20 s
# (as the benchmark kit does). The soak then returns each container of the loop in turn, then
# undoes each return, then returns it again (benches/codes.lua, MODE=cycle), paced to the fixed
# rate by 8 connections, with latency taken from each request's due time. The server's
# resident memory is read every 10 seconds, and what it and the machine do every second
# (tests/reliability/watch.py), which the slowest seconds are shown beside at the end
# (tests/reliability/stalls.py); the logs are kept in target/soak/.
set -euo pipefail
cd "$(dirname "$0")/../.."
short=0
[ "${1:-}" = --short ] && short=1
seconds=${SOAK_SECONDS:-1800}
window=${SOAK_WINDOW:-300}
share=${SOAK_SHARE:-0.3}
fleet=${SOAK_FLEET:-200000}
profile=release
if [ $short = 1 ]; then seconds=20 window=5 fleet=2000 profile=debug; fi
chunk=$((fleet < 2000 ? fleet : 2000))

for tool in wrk curl; do
  command -v $tool >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk curl; }
done
py=/usr/bin/python3
[ -x $py ] || py=python3
cargo build --profile "$( [ $profile = debug ] && echo dev || echo release )" -q --bin boucle
bin=$PWD/target/$profile/boucle
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  mkdir -p target/soak && cp "$work"/*.log target/soak/ 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
figure() { :; }
. benches/loop.sh

echo "== the loop: $fleet containers delivered to the shop"
boucle_loop soak "$work/soak.db" 18631
pid=${pids[-1]}
export CODES_FILE=$codes TOKEN SITE_ID=$SHOP

if [ $short = 1 ]; then
  used=0 rate=50
else
  echo "== the maximum: single return scans at full speed for 20 s"
  full=$(MODE=return THREADS=2 wrk -t2 -c16 -d20s --timeout 30s -s benches/codes.lua \
    http://127.0.0.1:18631)
  max=$(echo "$full" | awk '/Requests\/sec/ {print $2}')
  used=$(echo "$full" | awk '/codes used/ {print $NF}')
  rate=$(awk -v r="$max" -v s="$share" 'BEGIN {printf "%d", r * s}')
  echo "  $max scans a second"
fi
echo "== the soak: $rate requests a second for $seconds s"

# The cycle uses the containers the maximum's run left.
# The short run cycles through few, so that undos come round too.
tail -n +"$((used + 100))" "$codes" | head -n "$( [ $short = 1 ] && echo 300 || echo "$fleet" )" \
  >"$work/cycle.codes"
left=$(wc -l <"$work/cycle.codes")
[ "$left" -ge 300 ] || { echo "only $left containers left for the cycle: raise SOAK_FLEET" >&2; exit 1; }
echo "  the cycle returns and undoes $left containers in turn"
: >"$work/rss.log"
(
  while kill -0 "$pid" 2>/dev/null; do
    awk '/VmRSS/ {print $2}' "/proc/$pid/status" >>"$work/rss.log"
    sleep 10
  done
) &
sampler=$!
"$py" tests/reliability/watch.py "$pid" "$work/soak.db" "$work/machine.log" &
out=$(CODES_FILE=$work/cycle.codes MODE=cycle RATE=$rate THREADS=8 WINDOW=$window \
  SLOWEST_FILE=$work/slowest.log \
  wrk -t8 -c8 -d"${seconds}s" --timeout 30s -s benches/codes.lua http://127.0.0.1:18631 2>&1) || {
  echo "$out" | tail -20; exit 1; }
kill $sampler 2>/dev/null || true
echo "$out" | grep -E 'Requests/sec|recorded|latency from|window|slowest|Non-2xx|Socket errors' | sed 's/^/  /'
"$py" tests/reliability/stalls.py "$work/slowest.log" "$work/machine.log" | sed 's/^/  /'

# The verdict: errors, the p99 of the first and the last full window, the memory.
"$py" - "$work/rss.log" "$window" "$short" <<EOF
import re, sys
out = """$out"""
rss = [int(x) for x in open(sys.argv[1]).read().split()]
window, short = int(sys.argv[2]), sys.argv[3] == "1"
windows = [tuple(map(float, m)) for m in re.findall(r"window \d+: (\d+) requests, p50 ([\d.]+) ms, p99 ([\d.]+) ms", out)]
full = windows[:-1] if len(windows) > 1 else windows
errors = re.search(r"recorded: \d+, not recorded: (\d+)", out)
errors = int(errors.group(1)) if errors else -1
errors += sum(int(n) for line in re.findall(r"Socket errors: (.*)", out) for n in re.findall(r"\d+", line))
first, last = full[0][2], full[-1][2]
drift = (last - first) / first
at_first = rss[min(len(rss) - 1, window // 10)]
growth = (rss[-1] - at_first) / at_first
print(f"errors: {errors}")
print(f"p99: {first:.1f} ms in the first window, {last:.1f} ms in the last: drift {drift:+.0%}")
print(f"resident memory: {at_first / 1024:.1f} MB after the first window, {rss[-1] / 1024:.1f} MB at the end "
      f"(peak {max(rss) / 1024:.1f} MB): growth {growth:+.0%}")
if short:
    sys.exit(0 if errors == 0 else 1)
missed = [what for what, bad in (("errors", errors != 0), ("p99 drift", drift >= 0.2),
                                 ("memory growth", growth >= 0.1)) if bad]
print("targets: " + ("all met" if not missed else "missed: " + ", ".join(missed)))
sys.exit(1 if missed else 0)
EOF
