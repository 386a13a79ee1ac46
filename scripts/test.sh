#!/usr/bin/env bash
# The whole test suite, as README and .ci/run run it: builds the CLI, prepares the
# services and reference environments the tests need, then runs vitest once.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

need() { command -v "$1" >/dev/null 2>&1 || { echo "test: '$1' is required: $2" >&2; exit 1; }; }
need node "install Node.js 20 or newer"
need python3 "install Python 3.9+ (the statistics tests compare against scipy/statsmodels)"

if [[ ! -d node_modules ]]; then
  echo "test: installing npm dependencies" >&2
  npm install --no-audit --no-fund
fi

echo "test: building dist/ (the CLI tests run the built command)" >&2
npm run --silent build

echo "test: preparing the Python reference environment" >&2
bash scripts/setup-python.sh

echo "test: preparing headless Chromium for the web UI tests" >&2
bash scripts/setup-browser.sh

# Real Kafka (KRaft, from Maven Central) and Redis (Debian's redis-server) on 127.0.0.1,
# started here and stopped when the run ends, unless they were already running.
started=()
start_service() {
  local name=$1 line
  bash "scripts/services/$name.sh" status >/dev/null 2>&1 || started+=("$name")
  line=$(bash "scripts/services/$name.sh" start | tail -n 1)
  [[ "$line" == *=* ]] || { echo "test: $name did not start: $line" >&2; exit 1; }
  export "${line?}"
  echo "test: $name ready ($line)" >&2
}
stop_started() {
  for name in "${started[@]}"; do bash "scripts/services/$name.sh" stop >/dev/null 2>&1 || true; done
}
trap stop_started EXIT
start_service redis
start_service kafka
# Debian's prometheus-alertmanager (the notification tests post to it and read its API).
start_service alertmanager
# promtool checks and unit-tests deploy/prometheus/rules.yml (test/unit/deploy/prometheus-rules.test.ts).
bash scripts/setup-promtool.sh >/dev/null

echo "test: type-checking sources and tests" >&2
npx tsc -p tsconfig.test.json
npx tsc -p ui/tsconfig.json

npx vitest run "$@"
