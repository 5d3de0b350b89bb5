#!/usr/bin/env bash
# Times each page as its user opens it, on the demo loop (a simulated year), signed in
# through the sign-in page with a cookie jar, 20 requests each after one to warm up.
# Usage: benches/pages.sh [existing demo database to reuse]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
bin=$PWD/target/release/boucle
work=$(mktemp -d)
db=${1:-$work/demo.db}
port=18485
export DATABASE_URL=$db BIND_ADDR=127.0.0.1:$port RUST_LOG=warn MAIL_DIR=$work/mail
if [ -z "${1:-}" ]; then
  "$bin" simulate
fi
email="bench-$$@loop.test"
echo 'bench passphrase' | "$bin" user add --email "$email" --role coordinator --password-stdin 2>/dev/null
"$bin" serve 2>"$work/server.log" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT
url=http://127.0.0.1:$port
for _ in $(seq 100); do curl -sf "$url/api/v1/health" >/dev/null && break; sleep 0.1; done
jar=$work/cookies
token=$(curl -s -c "$jar" "$url/sign-in" | grep -o 'name="form_token" value="[^"]*"' | sed 's/.*value="//;s/"$//')
curl -s -b "$jar" -c "$jar" -o /dev/null -d "form_token=$token&next=&email=$email&password=bench passphrase" "$url/sign-in"
code=$(/usr/bin/python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select code from containers order by uses desc limit 1").fetchone()[0])' "$db")
echo "== $(/usr/bin/python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from events").fetchone()[0])' "$db") events"
for path in "/shop" "/receive" "/washer" "/producer" "/dashboard" "/labels" "/manage" "/c/$code" "/sign-in" "/assets/app.css"; do
  curl -s -o /dev/null -b "$jar" "$url$path"
  for _ in $(seq 20); do
    curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -b "$jar" "$url$path"
  done | sort -k2 -n | awk -v p="$path" '{s[$1]=1; t[NR]=$2} END {codes=""; for (c in s) codes=codes c; printf "%-16s %s  median %.4f s  p95 %.4f s\n", p, codes, t[int((NR+1)/2)], t[int(NR*0.95)]}'
done
