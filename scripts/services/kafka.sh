#!/usr/bin/env bash
# A real single-node Kafka (KRaft, no ZooKeeper) for the tests, from Maven Central:
#   bash scripts/services/kafka.sh start|stop|restart|status
# The first start downloads the jars into .cache/kafka/libs; later starts reuse them.
# Prints KAFKA_BROKERS=127.0.0.1:<port> once the broker answers (on stdout, alone, so
# `export "$(bash scripts/services/kafka.sh start)"` works). `reset` stops the broker and
# deletes its data (tests make topics with unique prefixes, which pile up over many runs).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

PORT="${RUNWAY_TEST_KAFKA_PORT:-19092}"
CONTROLLER_PORT="${RUNWAY_TEST_KAFKA_CONTROLLER_PORT:-$((PORT + 1))}"
HOST=127.0.0.1
CACHE="$PWD/.cache/kafka"
LIBS="$CACHE/libs"
DATA="$CACHE/data-$PORT"
PID_FILE="$CACHE/kafka-$PORT.pid"
LOG_FILE="$CACHE/kafka-$PORT.log"
START_TIMEOUT_S="${RUNWAY_TEST_KAFKA_START_TIMEOUT:-60}"

say() { echo "kafka: $*" >&2; }
need() { command -v "$1" >/dev/null 2>&1 || { say "'$1' is required: $2"; exit 1; }; }

running_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE")"
  # A stale pid file may name a recycled pid: check that it is our broker.
  if kill -0 "$pid" 2>/dev/null && grep -q "kafka.Kafka" "/proc/$pid/cmdline" 2>/dev/null; then
    echo "$pid"
  else
    return 1
  fi
}

port_open() { (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; }

# While starting, the pid is our own child: until it has exec'd java its cmdline is still
# this script's (under load that window is long enough for running_pid to call a live
# broker dead), so here "alive" is "exists and is not a zombie".
child_alive() {
  kill -0 "$1" 2>/dev/null || return 1
  local state
  state="$(sed -E 's/^[0-9]+ \(.*\) ([A-Za-z]).*/\1/' "/proc/$1/stat" 2>/dev/null)" || return 1
  [[ "$state" != Z && "$state" != X ]]
}

fetch_libs() {
  # The marker is written last, so an interrupted download is redone rather than half used.
  [[ -f "$LIBS/.complete" ]] && return 0
  need mvn "install Maven 3 (e.g. apt-get install maven) to fetch Kafka from Maven Central"
  say "downloading Kafka jars from Maven Central into $LIBS (first run only)"
  rm -rf "$LIBS"
  mvn -q -B -f scripts/services/kafka/pom.xml dependency:copy-dependencies \
    -DoutputDirectory="$LIBS" -DincludeScope=runtime >&2
  touch "$LIBS/.complete"
}

write_config() {
  mkdir -p "$DATA"
  cat >"$CACHE/server-$PORT.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$PORT,CONTROLLER://$HOST:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$DATA/logs
auto.create.topics.enable=false
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=24
EOF
  cat >"$CACHE/log4j.properties" <<EOF
log4j.rootLogger=WARN, file
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=WARN
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$LOG_FILE
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
EOF
}

# The classpath wildcard is Java's, not the shell's: keep it quoted.
JAVA_ARGS=(-Xmx512m -Xms128m -XX:+UseSerialGC "-Dlog4j.configuration=file:$CACHE/log4j.properties" -cp "$LIBS/*")
java_run() { java "${JAVA_ARGS[@]}" "$@"; }

start() {
  need java "install a Java runtime 17+ (e.g. apt-get install openjdk-17-jre-headless)"
  if pid="$(running_pid)"; then
    say "already running (pid $pid)"
    echo "KAFKA_BROKERS=$HOST:$PORT"
    return 0
  fi
  if port_open; then
    say "port $PORT is taken by another process; set RUNWAY_TEST_KAFKA_PORT"
    exit 1
  fi
  mkdir -p "$CACHE"
  fetch_libs
  write_config
  if [[ ! -f "$DATA/logs/meta.properties" ]]; then
    # A random cluster id per data dir; formatting happens once, restarts keep the data.
    local cluster_id
    cluster_id="$(java_run kafka.tools.StorageTool random-uuid)"
    java_run kafka.tools.StorageTool format -t "$cluster_id" -c "$CACHE/server-$PORT.properties" >&2
  fi
  : >"$LOG_FILE.stdout"
  # setsid: the broker must outlive the shell (and the test run) that started it.
  setsid java "${JAVA_ARGS[@]}" kafka.Kafka "$CACHE/server-$PORT.properties" >>"$LOG_FILE.stdout" 2>&1 </dev/null &
  local child=$!
  echo "$child" >"$PID_FILE"
  local started=$SECONDS
  until port_open; do
    if ! child_alive "$child"; then
      say "broker exited during start; last lines of $LOG_FILE.stdout / $LOG_FILE:"
      tail -n 20 "$LOG_FILE.stdout" "$LOG_FILE" >&2 2>/dev/null || true
      exit 1
    fi
    if (( SECONDS - started >= START_TIMEOUT_S )); then
      say "no answer on $HOST:$PORT after ${START_TIMEOUT_S}s; see $LOG_FILE"
      stop
      exit 1
    fi
    sleep 0.2
  done
  say "started (pid $(cat "$PID_FILE")) in $((SECONDS - started))s"
  echo "KAFKA_BROKERS=$HOST:$PORT"
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then
    rm -f "$PID_FILE"
    say "not running"
    return 0
  fi
  kill "$pid"
  # A clean shutdown takes a few seconds; past 30 s it is forced.
  for _ in $(seq 1 150); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "did not stop in 30s; killing"
    kill -9 "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  rm -f "$PID_FILE"
  say "stopped"
}

status() {
  if pid="$(running_pid)"; then
    echo "kafka: running (pid $pid) KAFKA_BROKERS=$HOST:$PORT"
  else
    echo "kafka: not running"
    return 1
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  status) status ;;
  reset) stop; rm -rf "$DATA"; say "data in $DATA deleted" ;;
  *) echo "usage: $0 start|stop|restart|status|reset (port from RUNWAY_TEST_KAFKA_PORT, default 19092)" >&2; exit 2 ;;
esac
