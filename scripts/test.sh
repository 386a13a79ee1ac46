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

echo "test: type-checking sources and tests" >&2
npx tsc -p tsconfig.test.json

exec npx vitest run "$@"
