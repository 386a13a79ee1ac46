#!/usr/bin/env bash
# A private Redis for the contract and integration tests: Debian's redis-server on
# 127.0.0.1, its own port (16379, or RUNWAY_TEST_REDIS_PORT) and data dir under
# .cache/redis, so it never touches a system Redis on 6379. Nothing is persisted:
# tests give every run its own key prefix / queue name and clean up after it.
#   bash scripts/services/redis.sh start|stop|status|restart
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PORT="${RUNWAY_TEST_REDIS_PORT:-16379}"
DIR="$ROOT/.cache/redis"
PIDFILE="$DIR/redis-$PORT.pid"
LOGFILE="$DIR/redis-$PORT.log"
URL="redis://127.0.0.1:$PORT"

say() { echo "redis: $*" >&2; }

ensure_installed() {
  command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 && return 0
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    say "redis-server not found; installing Debian's package (apt-get)"
    # The package may also start the system service on 6379; we leave that one alone.
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >&2
    return 0
  fi
  say "redis-server is not installed: install it (Debian/Ubuntu: sudo apt-get install -y redis-server) and run this again"
  exit 1
}

ping() { [[ "$(redis-cli -h 127.0.0.1 -p "$PORT" ping 2>/dev/null)" == PONG ]]; }

ours_pid() { [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null && cat "$PIDFILE"; }

start() {
  ensure_installed
  if ping; then
    say "already running on 127.0.0.1:$PORT"
    echo "REDIS_URL=$URL"
    return 0
  fi
  mkdir -p "$DIR"
  redis-server --port "$PORT" --bind 127.0.0.1 --daemonize yes \
    --pidfile "$PIDFILE" --logfile "$LOGFILE" --dir "$DIR" \
    --save "" --appendonly no
  # Bounded wait: about 10 s for the first PONG.
  for _ in $(seq 1 100); do
    if ping; then
      echo "REDIS_URL=$URL"
      return 0
    fi
    sleep 0.1
  done
  say "did not answer PING on 127.0.0.1:$PORT within 10 s; last log lines:"
  tail -n 20 "$LOGFILE" >&2 || true
  exit 1
}

stop() {
  command -v redis-cli >/dev/null 2>&1 || { say "not installed, nothing to stop"; return 0; }
  local pid
  pid="$(ours_pid || true)"
  if ! ping && [[ -z "$pid" ]]; then
    say "not running on 127.0.0.1:$PORT"
    return 0
  fi
  redis-cli -h 127.0.0.1 -p "$PORT" shutdown nosave >/dev/null 2>&1 || true
  for _ in $(seq 1 50); do
    if ! ping && { [[ -z "$pid" ]] || ! kill -0 "$pid" 2>/dev/null; }; then
      rm -f "$PIDFILE"
      say "stopped (127.0.0.1:$PORT)"
      return 0
    fi
    sleep 0.1
  done
  # Only our own instance, by the pid it wrote, is ever signalled.
  if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; rm -f "$PIDFILE"; fi
  say "stopped with SIGTERM after shutdown did not finish in 5 s"
}

status() {
  if command -v redis-cli >/dev/null 2>&1 && ping; then
    say "running on 127.0.0.1:$PORT (pid $(ours_pid || echo '?'))"
    echo "REDIS_URL=$URL"
  else
    say "not running on 127.0.0.1:$PORT; start it with: bash scripts/services/redis.sh start"
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
