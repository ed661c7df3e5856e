#!/usr/bin/env bash
# Crash restart of the local stack: start fleetstats-local on a data directory, send statsd,
# SIGKILL it mid-window, start it again on the same directory and time (from the second start)
# the ready line and the first received line. Prints one result line per run; logs stay in $WORK.
#
#   bench/local-stack/crash-restart.sh [runs]      (default 3; needs local-stack/target/fleetstats-local.jar)
#
# Env: JAR (the jar), WORK (scratch directory, default a new temporary one), STATSD_PORT (default
# a free one).
set -euo pipefail
# one benchmark at a time on the box
if [ -z "${BENCH_LOCK_HELD:-}" ]; then
  export BENCH_LOCK_HELD=1
  exec flock /tmp/fleetstats-bench.lock "$0" "$@"
fi
RUNS=${1:-3}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
JAR=${JAR:-$ROOT/local-stack/target/fleetstats-local.jar}
WORK=${WORK:-$(mktemp -d /tmp/fleetstats-crash-XXXXXX)}
PORT=${STATSD_PORT:-}
while [ -z "$PORT" ] || ss -Huln "sport = :$PORT" | grep -q .; do PORT=$(( 20000 + RANDOM % 10000 )); done
[ -f "$JAR" ] || { echo "no $JAR: build it with mvn -q -pl local-stack -am package -DskipTests" >&2; exit 2; }

now() { date +%s.%N; }
wait_for() { # file pattern timeout-seconds
  local deadline=$(( $(date +%s) + $3 ))
  until grep -q "$2" "$1" 2>/dev/null; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}
send() { # statsd on loopback every 100 ms until killed
  while true; do
    printf 'crash.hits:1|c' >/dev/udp/127.0.0.1/"$PORT" || true
    sleep 0.1
  done
}
start() { # run-dir name
  java -jar "$JAR" --data-dir "$1/data" --statsd-port "$PORT" --window 2s --grace 1s --ui-port off \
    >"$1/$2.out" 2>"$1/$2.err" &
  echo $!
}

pids=()
trap 'for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done' EXIT
echo "jar $JAR, scratch $WORK, $(nproc) cores"
for run in $(seq 1 "$RUNS"); do
  dir=$WORK/run-$run
  mkdir -p "$dir"
  send & sender=$!
  pids+=("$sender")
  t0=$(now)
  pid=$(start "$dir" first)
  pids+=("$pid")
  wait_for "$dir/first.out" '"crash.hits"' 120 || { echo "run $run: no line from the first start" >&2; kill -9 "$pid" "$sender"; exit 1; }
  clean_ready=$(grep -o 'ready in [0-9.]* s' "$dir/first.out" | head -1)
  # mid-window: 1.3 s into the next 2-s window
  sleep 1.3
  kill -9 "$pid"; wait "$pid" 2>/dev/null || true
  t1=$(now)
  pid=$(start "$dir" restart)
  pids+=("$pid")
  wait_for "$dir/restart.out" 'ready in' 180 || { echo "run $run: restart not ready in 180 s" >&2; kill -9 "$pid" "$sender"; exit 1; }
  t_ready=$(now)
  wait_for "$dir/restart.out" '"crash.hits"' 60 || { echo "run $run: no line after the restart" >&2; kill -9 "$pid" "$sender"; exit 1; }
  t_line=$(now)
  kill "$pid"; wait "$pid" 2>/dev/null || true
  kill "$sender"; wait "$sender" 2>/dev/null || true
  errors=$(grep -c ' ERROR ' "$dir/restart.err" || true)
  corrupted=$(grep -c 'TaskCorruptedException' "$dir/restart.err" || true)
  printf 'run %d: clean start %s; restart after SIGKILL: ready after %.1f s (%s), first line after %.1f s; %s ERROR lines, %s TaskCorruptedException mentions\n' \
    "$run" "${clean_ready:-?}" "$(awk "BEGIN{print $t_ready - $t1}")" "$(grep -o 'ready in [0-9.]* s' "$dir/restart.out" | head -1)" \
    "$(awk "BEGIN{print $t_line - $t1}")" "$errors" "$corrupted"
done
