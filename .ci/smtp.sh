#!/usr/bin/env bash
# Starts a real SMTP server on loopback (aiosmtpd, from Debian) that stores every message it
# accepts in the Maildir given as first argument, installing it first if needed. Picks a free
# port from 2525 up and prints the server's URL.
set -euo pipefail
maildir=${1:?give the Maildir folder the server writes to}
if ! /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null; then
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-aiosmtpd >&2
fi
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port=2525
while listening "$port"; do port=$((port + 1)); done
# The Mailbox handler makes the Maildir (with cur, new, tmp) only if the folder is absent.
mkdir -p "$(dirname "$maildir")"
# -n: do not switch to the nobody user; the Mailbox handler writes a Maildir.
nohup /usr/bin/python3 -m aiosmtpd -n -l "127.0.0.1:$port" \
  -c aiosmtpd.handlers.Mailbox "$maildir" >"$maildir.log" 2>&1 &
for _ in $(seq 1 100); do
  listening "$port" && break
  sleep 0.1
done
listening "$port" || { echo "aiosmtpd did not start; see $maildir.log" >&2; exit 1; }
echo "smtp://127.0.0.1:$port"
