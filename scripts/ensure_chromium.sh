#!/usr/bin/env bash
# Install Debian's chromium (used by kaleido for PNG/SVG/PDF export and by the Playwright browser test).
set -u
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian chromium (apt-get) ..."
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
    && exit 0
fi
echo "warning: /usr/bin/chromium is missing and could not be installed (needs root and apt-get:" \
     "'apt-get install -y chromium'); chart export and the browser test will be skipped." >&2
exit 0
