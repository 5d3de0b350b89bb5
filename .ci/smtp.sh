#!/usr/bin/env bash
# Starts a real SMTP server on loopback (aiosmtpd, from Debian) that stores every message it
# accepts in a Maildir, installing it first if needed. Prints the server's URL; the Maildir is
# the folder given as the first argument (default /tmp/boucle-smtp/maildir).
set -euo pipefail
maildir=${1:-/tmp/boucle-smtp/maildir}
port=${BOUCLE_SMTP_PORT:-2525}
if ! /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null; then
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-aiosmtpd >&2
fi
mkdir -p "$(dirname "$maildir")"
if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  # -n: do not switch to the nobody user; the Mailbox handler writes a Maildir.
  nohup /usr/bin/python3 -m aiosmtpd -n -l "127.0.0.1:$port" \
    -c aiosmtpd.handlers.Mailbox "$maildir" >"$(dirname "$maildir")/aiosmtpd.log" 2>&1 &
  for _ in $(seq 1 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
fi
(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "aiosmtpd did not start" >&2; exit 1; }
echo "smtp://127.0.0.1:$port"
