# Shared by run.sh, cpu.sh and footprint.sh; sourced (". common.sh"), not run. Set bench_name first.
# Takes /tmp/fleetstats-bench.lock by re-executing the calling script under flock (the script's
# arguments pass through), then sets: here, repo, work (a fresh temp dir), results, pids (killed
# on exit, as are the pids listed in $work/pids), log, port, admin, hz, cpu_ticks; bench_build and
# start_broker do the steps the benchmarks share.
if [ -z "${BENCH_LOCK_HELD:-}" ]; then
  export BENCH_LOCK_HELD=1
  exec flock /tmp/fleetstats-bench.lock "$0" "$@"
fi
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=$(mktemp -d "/tmp/fleetstats-edge-$bench_name.XXXXXX")
results=$work/results.txt
pids=()
cleanup() {
  for p in "${pids[@]:-}" $(cat "$work/pids" 2>/dev/null); do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
log() { echo "$*" | tee -a "$results" >&2; }
port=18125
admin=19125
hz=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }

# The agent's runnable jar and the test classpath (for the broker), the given bench classes compiled
# against it, and the agent's class-data archive, as the start script uses it when present.
bench_build() { # java files...
  (cd "$repo" && mvn -B -q -pl edge-agent -am package -DskipTests \
     dependency:build-classpath -Dmdep.outputFile="$work/cp.txt" -Dmdep.includeScope=test >/dev/null)
  javac -d "$work" -cp "$(cat "$work/cp.txt")" "$@"
  "$repo/edge-agent/bin/fleetstats-edge-agent" --create-cds >"$work/cds.log" 2>&1 || true
}

# A real KRaft broker in its own JVM (BenchBroker), logging as a production broker does
# (broker-logback.xml); sets bootstrap and broker_pid. BROKER_JAVA_OPTS adds JVM options (e.g.
# -XX:StartFlightRecording=... to profile it; a later -Dlogback.configurationFile wins).
start_broker() {
  # shellcheck disable=SC2086
  java -Xmx1g -Dlogback.configurationFile="$here/broker-logback.xml" ${BROKER_JAVA_OPTS:-} -cp "$work:$(cat "$work/cp.txt")" BenchBroker "$work/bootstrap" >"$work/broker.log" 2>&1 &
  broker_pid=$!
  pids+=($broker_pid)
  for _ in $(seq 120); do [ -s "$work/bootstrap" ] && break; sleep 0.5; done
  bootstrap=$(cat "$work/bootstrap")
  log "broker at $bootstrap"
}
