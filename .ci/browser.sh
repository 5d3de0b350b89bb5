#!/usr/bin/env bash
# Installs Debian's Chromium and ChromeDriver for the pages' browser tests, if needed, and
# prints the driver's path.
set -euo pipefail
if ! [ -x /usr/bin/chromedriver ] || ! [ -x /usr/bin/chromium ]; then
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >&2
fi
/usr/bin/chromedriver --version >&2
echo /usr/bin/chromedriver
