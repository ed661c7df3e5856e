#!/usr/bin/env bash
# Where the edge agent's CPU goes at one load: the agent as shipped (start script, publishing to a real
# KRaft broker on the same box) gets StatsdBlast ("mix", 2 senders x sendmmsg of 64, as run.sh) at
# RATE lines/s (default 100000) and L lines per datagram (default 20) for SECONDS (default 60), after
# BROKER_WARMUP s (default 20) at L=115 3 M lines/s and 5 s at the measured load, not counted. Over the
# measured blast it takes
#   - CPU ticks of every agent thread (/proc/<pid>/task/*/stat) and of the broker, per M lines,
#   - a JFR recording (profile settings: Java execution samples every 10 ms; started and stopped with jcmd),
#   - perf record -e cpu-clock of the agent process (kernel and JVM frames; C1 code named from the JVM's
#     perf map, written at exit),
# then the same again with the agent's Kafka bootstrap on a closed port ("nokafka": it receives, parses,
# batches and serializes every flush, its buffer fills and drops the oldest batches; the producer never
# sends), counting received lines instead of produced ones.
# Usage: bench/edge-agent/profile.sh   (takes /tmp/fleetstats-bench.lock itself); VARIANTS="kafka nokafka" (the
# order; the first one also feeds the broker warm-up), PROFILE=0 for thread CPU only (no JFR, no perf),
# RATE, L, SECONDS_MEASURED, BROKER_WARMUP, WARMUP (seconds at the measured load first, default 5).
# A variant named kafka_X or nokafka_X adds FLEETSTATS_JAVA_OPTS=$AGENT_OPTS_X to the start script's flags
# (e.g. VARIANTS="kafka kafka_c2 kafka kafka_c2" AGENT_OPTS_c2="-XX:TieredStopAtLevel=4 ...").
# Output: $WORK/results.txt, $WORK/<variant>.jfr, $WORK/<variant>.perf (paths logged).
set -euo pipefail
bench_name=profile
. "$(dirname "$0")/common.sh"
rate=${RATE:-100000} L=${L:-20} secs=${SECONDS_MEASURED:-60}
log "# edge-agent profile $(date -u +%FT%TZ) on $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg): L=$L at $rate lines/s for $secs s"
bench_build "$here/BenchBroker.java" "$here/StatsdBlast.java"
start_broker
blast() { # rate L seconds -> sent lines
  java -Xmx256m -Dblast.senders=2 -Dblast.batch=64 -cp "$work:$(cat "$work/cp.txt")" StatsdBlast $port "$1" "$2" "$3" mix 2>/dev/null \
    | sed -n -E 's/.*sent_lines=([0-9]+).*/\1/p'
}
metric() { # name -> its value (the sum of its labelled series)
  curl -sf "http://127.0.0.1:$admin/metrics" | awk -v m="$1" '$1 == m || index($1, m "{") == 1 {s += $2; n++} END {if (n) printf "%d", s}'
}
settled() { local a b; a=$(metric "$1"); sleep 1.5; b=$(metric "$1"); while [ "$a" != "$b" ]; do a=$b; sleep 1.5; b=$(metric "$1"); done; echo "$b"; }
threads() { # pid -> "tid/name ticks" per thread
  local t
  for t in /proc/$1/task/*; do
    printf '%s/%s %s\n' "${t##*/}" "$(tr ' ' '_' <"$t/comm")" "$(awk '{print $14+$15}' "$t/stat")"
  done 2>/dev/null || true
}
warm=0
for v in ${VARIANTS:-kafka nokafka}; do
  suffix=${v#nokafka}; opts_var=AGENT_OPTS${suffix#kafka}
  if [[ $v == kafka* ]]; then boot=$bootstrap counted=fleetstats_edge_samples_produced_total; else boot=127.0.0.1:1 counted=fleetstats_edge_statsd_lines_total; fi
  FLEETSTATS_JAVA_OPTS="-XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit ${!opts_var:-}" \
  FLEETSTATS_STATSD_ADDRESS=127.0.0.1:$port FLEETSTATS_KAFKA_BOOTSTRAP=$boot FLEETSTATS_ADMIN_ADDRESS=127.0.0.1:$admin \
    FLEETSTATS_TOPIC_PARTITIONS=1 POD_NAME=bench-0 NODE_HOSTNAME=bench "$repo/edge-agent/bin/fleetstats-edge-agent" >"$work/agent-$v.log" 2>&1 &
  apid=$!; echo $apid >>"$work/pids"
  for _ in $(seq 60); do [ -n "$(metric $counted 2>/dev/null)" ] && break; sleep 0.5; done
  if [ $warm = 0 ]; then blast 3000000 115 "${BROKER_WARMUP:-20}" >/dev/null; warm=1; fi
  blast "$rate" "$L" "${WARMUP:-5}" >/dev/null
  b=$(settled $counted); threads $apid >"$work/threads0.$v"; k0=$(cpu_ticks $broker_pid)
  if [ "${PROFILE:-1}" = 1 ]; then
    jcmd $apid JFR.start name=p settings=profile filename="$work/$v.jfr" >/dev/null
    perf record -q -e cpu-clock -F 999 -p $apid -o "$work/$v.perf" -- sleep "$secs" >/dev/null 2>&1 &
    perf_pid=$!
  fi
  sent=$(blast "$rate" "$L" "$secs")
  if [ "${PROFILE:-1}" = 1 ]; then
    wait $perf_pid || true
    jcmd $apid JFR.stop name=p >/dev/null
  fi
  e=$(settled $counted); threads $apid >"$work/threads1.$v"; k1=$(cpu_ticks $broker_pid)
  got=$((e - b))
  log "$v: L=$L rate=$rate sent=$sent counted($counted)=$got; CPU-s per M lines by thread:"
  LC_ALL=C join <(LC_ALL=C sort "$work/threads0.$v") <(LC_ALL=C sort "$work/threads1.$v") 2>/dev/null | awk -v g="$got" -v hz="$hz" \
    '{d = $3 - $2; if (d > 0) {printf "  %-40s %.3f\n", $1, d / hz / (g / 1e6)}; t += d} END {printf "  %-40s %.3f\n", "ALL (threads alive at both ends)", t / hz / (g / 1e6)}' \
    | sort -k2 -nr | tee -a "$results" >&2
  [[ $v == kafka* ]] && log "  broker JVM: $(awk -v d=$((k1 - k0)) -v g="$got" -v hz="$hz" 'BEGIN {printf "%.3f", d / hz / (g / 1e6)}')"
  curl -sf "http://127.0.0.1:$admin/metrics" | grep -E '^fleetstats_edge_(samples_(produced|dropped)|statsd_(samples|lines)|batches_(produced|dropped))_total' | tee -a "$results" >&2 || true
  kill $apid; wait $apid 2>/dev/null || true
  log "  jfr: $work/$v.jfr perf: $work/$v.perf (perf map /tmp/perf-$apid.map)"
done
