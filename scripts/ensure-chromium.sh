#!/usr/bin/env bash
# Installs Debian's chromium for the HTML report's browser tests (test/helpers/browser.ts reads
# /usr/bin/chromium; playwright never downloads a browser). Idempotent; needs root and apt.
set -euo pipefail

say() { printf 'ensure-chromium: %s\n' "$*"; }

if [[ -x /usr/bin/chromium ]]; then
  say "chromium present ($(/usr/bin/chromium --version 2>/dev/null || echo 'version unknown'))"
  exit 0
fi
[[ "$(id -u)" -eq 0 ]] || { say "error: installing chromium needs root (apt-get install -y chromium)" >&2; exit 1; }
command -v apt-get >/dev/null || { say "error: no apt-get: install chromium at /usr/bin/chromium by hand" >&2; exit 1; }
say "installing Debian's chromium (apt-get)"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null || {
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
}
say "chromium installed ($(/usr/bin/chromium --version 2>/dev/null || echo 'version unknown'))"
