#!/usr/bin/env bash
# Creates the Python environment used by the statistics agreement tests:
# scipy / statsmodels / numpy / gbstats serve as independent reference implementations.
# Idempotent: when the venv already has the pinned versions it exits in well under a second.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${RUNWAY_PYENV:-$ROOT/.cache/pyenv}"
PY="${PYTHON:-python3}"

# Pinned so reference numbers do not drift between machines.
# gbstats (GrowthBook's engine) is the independent reference for confidence sequences, ratio and CUPED;
# it needs numpy < 2 and pandas < 2, hence these pins.
# clickhouse-connect drives the ClickHouse-compatible endpoint test; 0.15.x is its last series that accepts pandas 1.x.
# nbclient/ipykernel/matplotlib execute notebooks/*.ipynb headless (test/e2e/notebooks.test.ts); matplotlib 3.8
# is the last series built for numpy 1.26 here, and it needs IPython 8 (IPython 9 dropped pylabtools.backend2gui).
REQS=(numpy==1.26.4 scipy==1.14.1 statsmodels==0.14.4 pandas==1.5.3 gbstats==0.8.0 clickhouse-connect==0.15.1
  nbclient==0.10.2 ipykernel==6.29.5 ipython==8.30.0 matplotlib==3.8.4)
STAMP="$VENV/.runway-requirements"
WANT="$(printf '%s\n' "${REQS[@]}")"
# A second, small venv for the analysts' current client: clickhouse-connect 1.x needs pandas 2, which
# gbstats above cannot take, so it cannot share the venv. test/e2e/notebooks.test.ts reads the analyst
# views through it and compares with the 0.15 client's frames.
VENV_CH1="${RUNWAY_PYENV_CH1:-$ROOT/.cache/pyenv-ch1}"
REQS_CH1=(clickhouse-connect==1.12.0 pandas==2.3.3 numpy==2.4.6)
STAMP_CH1="$VENV_CH1/.runway-requirements"
WANT_CH1="$(printf '%s\n' "${REQS_CH1[@]}")"

ready() { [[ -x "$1/bin/python" && -f "$1/.runway-requirements" && "$(cat "$1/.runway-requirements")" == "$2" ]]; }
if ready "$VENV" "$WANT" && ready "$VENV_CH1" "$WANT_CH1"; then
  exit 0
fi

if ! command -v "$PY" >/dev/null 2>&1; then
  echo "setup-python: $PY not found; install Python 3.9+ to run the stats agreement tests" >&2
  exit 1
fi

mkdir -p "$(dirname "$VENV")"
if [[ ! -x "$VENV/bin/python" ]]; then
  echo "setup-python: creating venv at $VENV" >&2
  if ! "$PY" -m venv "$VENV"; then
    # Debian/Ubuntu split the venv module out (python3-venv); install it when we are root.
    if [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null 2>&1; then
      rm -rf "$VENV"
      ver="$("$PY" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
      apt-get update -qq && (apt-get install -y -qq "python${ver}-venv" || apt-get install -y -qq python3-venv)
      "$PY" -m venv "$VENV"
    else
      echo "setup-python: '$PY -m venv' failed; install the venv module (e.g. python3-venv)" >&2
      exit 1
    fi
  fi
fi

if ready "$VENV" "$WANT"; then SKIP_MAIN=1; else SKIP_MAIN=0; fi
if [[ "$SKIP_MAIN" == 0 ]]; then
echo "setup-python: installing ${REQS[*]}" >&2
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >/dev/null 2>&1 || true
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${REQS[@]}"
"$VENV/bin/python" -c 'import numpy, scipy, statsmodels, gbstats, nbclient, ipykernel, matplotlib'
printf '%s' "$WANT" > "$STAMP"
fi

if ! ready "$VENV_CH1" "$WANT_CH1"; then
  echo "setup-python: installing ${REQS_CH1[*]} into $VENV_CH1" >&2
  [[ -x "$VENV_CH1/bin/python" ]] || "$PY" -m venv "$VENV_CH1"
  "$VENV_CH1/bin/python" -m pip install --quiet --disable-pip-version-check "${REQS_CH1[@]}"
  "$VENV_CH1/bin/python" -c 'import importlib.metadata as m, clickhouse_connect, pandas; assert m.version("clickhouse-connect").startswith("1.") and pandas.__version__.startswith("2.")'
  printf '%s' "$WANT_CH1" > "$STAMP_CH1"
fi
echo "setup-python: ready ($VENV, $VENV_CH1)" >&2
