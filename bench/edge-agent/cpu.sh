#!/usr/bin/env bash
# CPU per line of agent builds and settings side by side, at fixed rates every variant takes without loss:
# one broker, first fed by the first variant for BROKER_WARMUP seconds (default 40) at L=115 3 M lines/s (its
# JIT); then for each round and variant the agent starts through the start script (the shipped JVM flags),
# is warmed up (3 s at 100 k lines/s L=1, 4 s at 2 M lines/s L=115), then gets 10-s blasts at
#   L=115 3 M lines/s, L=20 1 M lines/s, L=1 100 k lines/s, L=1 10 k lines/s
# (StatsdBlast, 2 senders x sendmmsg of 64, as run.sh). Per blast it prints CPU-seconds per million lines of
# the event loop thread ("loop", /proc/<pid>/task/<tid>/stat), of the whole agent ("all") and of the broker's
# JVM ("broker": it shares the 2 vCPUs with the agent), from the start of the blast until the produced count
# settles, and lines lost (sent - produced to Kafka).
# RATES="L:lines/s ..." changes the blasts (default "115:3000000 20:1000000 1:100000 1:10000").
# Usage: bench/edge-agent/cpu.sh ROUNDS 'name|jar|java opts|ENV=value ...' ...   (takes the bench lock)
#   jar empty: this worktree's build. Example (a build of another commit against this one):
#   git archive <commit> | tar -x -C /tmp/old && (cd /tmp/old && mvn -B -q -o -pl edge-agent -am package -DskipTests)
#   bench/edge-agent/cpu.sh 2 'old|/tmp/old/edge-agent/target/fleetstats-edge-agent-0.1.0-SNAPSHOT-all.jar||' 'new|||'
set -euo pipefail
bench_name=cpu
. "$(dirname "$0")/common.sh"
rounds=$1; shift
bench_build "$here/BenchBroker.java" "$here/StatsdBlast.java"
own_jar=$(ls "$repo"/edge-agent/target/fleetstats-edge-agent-*-all.jar)
for v in "$@"; do
  IFS="|" read -r name jar opts envs <<<"$v"
  jar=${jar:-$own_jar}
  [ -f "${jar%.jar}.jsa" ] || FLEETSTATS_EDGE_JAR=$jar "$repo/edge-agent/bin/fleetstats-edge-agent" --create-cds >/dev/null 2>&1 || true
done
start_broker
blast() { # rate L seconds -> sent lines
  java -Xmx256m -Dblast.senders=2 -Dblast.batch=64 -cp "$work:$(cat "$work/cp.txt")" StatsdBlast $port "$1" "$2" "$3" mix 2>/dev/null \
    | sed -n -E 's/.*sent_lines=([0-9]+).*/\1/p'
}
count() { curl -sf "http://127.0.0.1:$admin/metrics" | awk '/^fleetstats_edge_samples_produced_total/ {printf "%d", $2}'; }
settled() { local a b; a=$(count); sleep 1.5; b=$(count); while [ "$a" != "$b" ]; do a=$b; sleep 1.5; b=$(count); done; echo "$b"; }
loop_ticks() { local t; for t in /proc/$1/task/*; do if grep -q fleetstats-stat "$t/comm"; then awk '{print $14+$15}' "$t/stat"; fi; done | head -1; }
per_million() { awk -v t="$1" -v g="$2" -v hz="$hz" 'BEGIN { printf "%.3f", t / hz / (g / 1e6) }'; }
start_agent() { # 'name|jar|java opts|ENV=value ...' -> sets name, apid
  local jar opts envs
  IFS="|" read -r name jar opts envs <<<"$1"
  # shellcheck disable=SC2086
  env $envs FLEETSTATS_EDGE_JAR="${jar:-$own_jar}" FLEETSTATS_JAVA_OPTS="$opts" FLEETSTATS_STATSD_ADDRESS=127.0.0.1:$port \
    FLEETSTATS_KAFKA_BOOTSTRAP=$bootstrap FLEETSTATS_ADMIN_ADDRESS=127.0.0.1:$admin FLEETSTATS_TOPIC_PARTITIONS=1 \
    POD_NAME=bench-0 NODE_HOSTNAME=bench "$repo/edge-agent/bin/fleetstats-edge-agent" >"$work/agent-$name.log" 2>&1 &
  apid=$!; echo $apid >>"$work/pids"
  for _ in $(seq 60); do [ -n "$(count 2>/dev/null)" ] && break; sleep 0.5; done
}
# The broker's JIT: for its first minute or so of load, C2 compiling the produce path took 30-40 % of the
# broker's CPU; a production broker is long past that. So the first variant's agent feeds it first.
start_agent "$1"; blast 3000000 115 "${BROKER_WARMUP:-40}" >/dev/null; kill $apid; wait $apid 2>/dev/null || true
for r in $(seq "$rounds"); do
  for v in "$@"; do
    start_agent "$v"
    blast 100000 1 3 >/dev/null; blast 2000000 115 4 >/dev/null
    out="round=$r $name"
    for lr in ${RATES:-115:3000000 20:1000000 1:100000 1:10000}; do
      L=${lr%%:*} rate=${lr#*:}
      b=$(settled); l0=$(loop_ticks $apid); a0=$(cpu_ticks $apid); k0=$(cpu_ticks $broker_pid)
      sent=$(blast "$rate" "$L" 10)
      e=$(settled); l1=$(loop_ticks $apid); a1=$(cpu_ticks $apid); k1=$(cpu_ticks $broker_pid)
      got=$((e - b))
      out="$out | L=$L@$rate loop $(per_million $((l1 - l0)) $got) all $(per_million $((a1 - a0)) $got)"
      out="$out broker $(per_million $((k1 - k0)) $got) lost $((sent - got))"
    done
    log "$out | VmRSS $(awk '/VmRSS/ {printf "%.1f", $2/1024}' /proc/$apid/status) MiB"
    kill $apid; wait $apid 2>/dev/null || true
  done
done
