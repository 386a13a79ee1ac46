#!/usr/bin/env bash
# Headless Chromium for the web UI's browser tests (test/e2e/ui*.test.ts): Debian's
# `chromium` package, driven by playwright-core with executablePath /usr/bin/chromium.
# Nothing downloads a browser build. Idempotent: exits at once when it is installed.
set -euo pipefail

BIN=/usr/bin/chromium
if [[ -x "$BIN" ]]; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-browser: $BIN is missing and apt-get is not available; install Chromium so that $BIN exists" >&2
  exit 1
fi
if [[ "$(id -u)" != "0" ]]; then
  echo "setup-browser: $BIN is missing; install it with: sudo apt-get install -y chromium" >&2
  exit 1
fi

echo "setup-browser: installing Debian's chromium (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends chromium >/dev/null
[[ -x "$BIN" ]] || { echo "setup-browser: apt-get finished but $BIN is still missing" >&2; exit 1; }
echo "setup-browser: $("$BIN" --version 2>/dev/null || echo chromium) ready" >&2
