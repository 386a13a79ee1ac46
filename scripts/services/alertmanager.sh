#!/usr/bin/env bash
# A private Alertmanager for the notification tests: Debian's prometheus-alertmanager on
# 127.0.0.1, its own port (19393, or RUNWAY_TEST_ALERTMANAGER_PORT), config and storage
# under .cache/alertmanager, clustering off. It routes every alert to a receiver that
# sends nothing: the tests read what arrived through its API (GET /api/v2/alerts).
#   bash scripts/services/alertmanager.sh start|stop|status|restart
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PORT="${RUNWAY_TEST_ALERTMANAGER_PORT:-19393}"
DIR="$ROOT/.cache/alertmanager"
PIDFILE="$DIR/alertmanager-$PORT.pid"
LOGFILE="$DIR/alertmanager-$PORT.log"
URL="http://127.0.0.1:$PORT"
BIN="${RUNWAY_ALERTMANAGER_BIN:-/usr/bin/prometheus-alertmanager}"

say() { echo "alertmanager: $*" >&2; }

ensure_installed() {
  [[ -x "$BIN" ]] && return 0
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    say "prometheus-alertmanager not found; installing Debian's package (apt-get)"
    # The package may also start the system service on 9093; we leave that one alone.
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus-alertmanager >&2
    return 0
  fi
  say "prometheus-alertmanager is not installed: install it (Debian/Ubuntu: sudo apt-get install -y prometheus-alertmanager) and run this again"
  exit 1
}

ready() { curl -fsS "$URL/-/ready" >/dev/null 2>&1; }

ours_pid() { [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null && cat "$PIDFILE"; }

start() {
  ensure_installed
  if ready; then
    say "already running on 127.0.0.1:$PORT"
    echo "ALERTMANAGER_URL=$URL"
    return 0
  fi
  mkdir -p "$DIR/data"
  cat >"$DIR/alertmanager.yml" <<YML
route:
  receiver: blackhole
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: blackhole
YML
  nohup "$BIN" --config.file="$DIR/alertmanager.yml" --storage.path="$DIR/data" \
    --web.listen-address="127.0.0.1:$PORT" --cluster.listen-address="" \
    --log.level=warn >"$LOGFILE" 2>&1 &
  echo $! >"$PIDFILE"
  # Bounded wait: about 20 s for /-/ready.
  for _ in $(seq 1 200); do
    if ready; then
      echo "ALERTMANAGER_URL=$URL"
      return 0
    fi
    kill -0 "$(cat "$PIDFILE")" 2>/dev/null || break
    sleep 0.1
  done
  say "not ready on 127.0.0.1:$PORT; last log lines:"
  tail -n 20 "$LOGFILE" >&2 || true
  exit 1
}

stop() {
  local pid
  pid="$(ours_pid || true)"
  if [[ -z "$pid" ]]; then
    say "not running (no pid of ours for 127.0.0.1:$PORT)"
    rm -f "$PIDFILE"
    return 0
  fi
  # Only our own instance, by the pid it wrote, is ever signalled.
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$PIDFILE"; say "stopped (127.0.0.1:$PORT)"; return 0; }
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$PIDFILE"
  say "stopped with SIGKILL after SIGTERM did not end it in 5 s"
}

status() {
  if ready; then
    say "running on 127.0.0.1:$PORT (pid $(ours_pid || echo '?'))"
    echo "ALERTMANAGER_URL=$URL"
  else
    say "not running on 127.0.0.1:$PORT; start it with: bash scripts/services/alertmanager.sh start"
    exit 3
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  restart) stop; start ;;
  *) echo "usage: $0 start|stop|status|restart" >&2; exit 2 ;;
esac
