#!/usr/bin/env bash
# promtool (Debian's prometheus package), for `promtool check rules` and `promtool test rules`
# over deploy/prometheus/. Idempotent: does nothing when promtool is already there.
# Prints PROMTOOL=<path>.
set -euo pipefail
if ! command -v promtool >/dev/null 2>&1; then
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "promtool: installing Debian's prometheus package (apt-get)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >&2
  else
    echo "promtool: not installed; install it (Debian/Ubuntu: sudo apt-get install -y prometheus) and run this again" >&2
    exit 1
  fi
fi
echo "PROMTOOL=$(command -v promtool)"
