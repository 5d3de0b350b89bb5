#!/usr/bin/env bash
# Bursts of wrong-password token requests at once against a built binary, on a fresh SQLite
# database: first all for one account from one address, then each from its own address (as
# a trusted proxy names them) for an e-mail of its own, so that every one is checked. Says how
# many were checked (401) and how many waited without a check (429), the time taken and the
# server's peak resident memory (docs/RELIABILITY.md, the sign-in limit).
#
# Usage: tests/reliability/burst.sh BINARY [REQUESTS]; REQUESTS defaults to 300.
set -euo pipefail
bin=$1
n=${2:-300}
work=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$work"' EXIT
export DATABASE_URL=$work/burst.db BIND_ADDR=127.0.0.1:18616 RUST_LOG=warn TRUSTED_PROXIES=127.0.0.1
echo 'the right passphrase' | "$bin" user add --email coord@burst.test --role coordinator --password-stdin >/dev/null
"$bin" serve 2>"$work/serve.log" &
server=$!
for _ in $(seq 100); do curl -sf -o /dev/null http://127.0.0.1:18616/api/v1/health && break; sleep 0.1; done
rss() { awk '/^VmRSS/ {print $2}' "/proc/$server/status"; }
hwm() { awk '/^VmHWM/ {print $2}' "/proc/$server/status"; }
echo "before: resident $(( $(rss) / 1024 )) MB"
# burst WHO: $n requests at once; WHO is "one" (one account, one address) or "spread".
burst() {
  local t0=$(date +%s.%N)
  seq "$n" | xargs -P "$n" -I{} sh -c '
    if [ "$1" = one ]; then email=coord@burst.test; from=198.51.100.1
    else email="nobody$2@burst.test"; from="10.$(( $2 / 250 )).$(( $2 % 250 )).1"; fi
    curl -s -o /dev/null -w "%{http_code}\n" -H "Content-Type: application/json" \
      -H "X-Forwarded-For: $from" \
      -d "{\"email\":\"$email\",\"password\":\"wrong\",\"name\":\"burst\"}" \
      http://127.0.0.1:18616/api/v1/auth/token' _ "$1" {} >"$work/codes"
  echo "$1: $n requests at once in $(awk "BEGIN {printf \"%.1f\", $(date +%s.%N) - $t0}") s: $(grep -c '^401$' "$work/codes" || true) checked and refused (401), $(grep -c '^429$' "$work/codes" || true) told to wait (429), $(grep -vcE '^(401|429)$' "$work/codes" || true) other; peak resident $(( $(hwm) / 1024 )) MB"
}
burst one
burst spread
echo "now resident $(( $(rss) / 1024 )) MB"
