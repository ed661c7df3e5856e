#!/usr/bin/env bash
# What the statsd of a node of PODS pods (default 30) costs with a sidecar agent per pod and with one node agent
# (FLEETSTATS_STATSD_ATTRIBUTION=node: each packet attributed to its pod by source IP, plus a kubelet scrape
# every 10 s), at TOTAL lines/s for the node (default 100 k), L lines per datagram (default 20), SECS seconds per
# run (default 60). One broker (BenchBroker, own JVM) for every run; agents start through the start script.
#   node          one agent; MultiSourceBlast sends from PODS sockets bound to 127.0.0.2, 127.0.0.3, ...;
#                 k8s-fixture.py serves the node's pods (list + watch) and a kubelet summary of PODS pods
#   sidecar-pod   one sidecar at TOTAL/PODS lines/s: one pod's cost; PODS of them are the node's
#   sidecar-all   one sidecar at TOTAL lines/s: the same load through one agent without attribution
# Per run: lines sent, samples produced to Kafka, lost, CPU-seconds (whole agent) per M lines, cores, RSS and
# peak RSS (VmHWM). Usage: bench/edge-agent/node-mode.sh [ROUNDS]   (takes the bench lock)
set -euo pipefail
bench_name=node
. "$(dirname "$0")/common.sh"
rounds=${1:-1}
pods_n=${PODS:-30} total=${TOTAL:-100000} secs=${SECS:-60} L=${L:-20}
bench_build "$here/BenchBroker.java" "$here/MultiSourceBlast.java"
start_broker
fixture=18250
python3 "$here/k8s-fixture.py" $fixture "$pods_n" &
echo $! >>"$work/pids"
metric() { curl -sf "http://127.0.0.1:$admin/metrics" | awk -v m="$1" '$1 ~ "^"m"(\\{|$)" {s += $2} END {printf "%d", s}'; }
settled() { local a b; a=$(metric fleetstats_edge_samples_produced_total); sleep 2; b=$(metric fleetstats_edge_samples_produced_total)
  while [ "$a" != "$b" ]; do a=$b; sleep 2; b=$(metric fleetstats_edge_samples_produced_total); done; echo "$b"; }
kib() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }
blast() { java -cp "$work:$(cat "$work/cp.txt")" MultiSourceBlast $port "$1" "$L" "$2" "$3" | sed -n -E 's/.*sent_lines=([0-9]+).*/\1/p'; }
run() { # label rate sources ENV=value...
  local label=$1 rate=$2 sources=$3; shift 3
  env "$@" FLEETSTATS_STATSD_ADDRESS=127.0.0.1:$port FLEETSTATS_KAFKA_BOOTSTRAP="$bootstrap" \
    FLEETSTATS_ADMIN_ADDRESS=127.0.0.1:$admin FLEETSTATS_TOPIC_PARTITIONS=1 POD_NAME=bench-0 NODE_HOSTNAME=bench \
    "$repo/edge-agent/bin/fleetstats-edge-agent" >"$work/agent-$label.log" 2>&1 &
  local pid=$!
  echo $pid >>"$work/pids"
  for _ in $(seq 60); do curl -sf "http://127.0.0.1:$admin/healthz" >/dev/null 2>&1 && break; sleep 0.5; done
  blast "$rate" 5 "$sources" >/dev/null
  local p0 t0 sent p1 t1 rss hwm
  p0=$(settled); t0=$(cpu_ticks $pid)
  sent=$(blast "$rate" "$secs" "$sources")
  p1=$(settled); t1=$(cpu_ticks $pid)
  rss=$(kib $pid VmRSS); hwm=$(kib $pid VmHWM)
  local got=$((p1 - p0)) extra=""
  if [ "$label" = node ]; then
    extra=" unattributed=$(metric fleetstats_edge_statsd_unattributed_packets_total) kubelet_scrapes_ok=$(curl -sf "http://127.0.0.1:$admin/metrics" | awk '/^fleetstats_edge_kubelet_scrapes_total\{.*result="ok"/ {print $2}')"
  fi
  kill $pid; wait $pid 2>/dev/null || true
  log "$label rate=$rate sources=$sources sent=$sent produced=$got lost=$((sent - got))" \
      "cpu_s_per_m=$(awk -v t=$((t1 - t0)) -v hz="$hz" -v g="$got" 'BEGIN {printf "%.3f", t/hz/(g/1e6)}')" \
      "cores=$(awk -v t=$((t1 - t0)) -v hz="$hz" -v s="$secs" 'BEGIN {printf "%.3f", t/hz/s}')" \
      "rss_mib=$(awk -v k="$rss" 'BEGIN {printf "%.1f", k/1024}') hwm_mib=$(awk -v k="$hwm" 'BEGIN {printf "%.1f", k/1024}')$extra"
}
log "node-mode: pods=$pods_n total=$total lines/s L=$L secs=$secs"
for r in $(seq "$rounds"); do
  run node "$total" "$pods_n" FLEETSTATS_STATSD_ATTRIBUTION=node FLEETSTATS_KUBERNETES_API=http://127.0.0.1:$fixture \
    FLEETSTATS_KUBERNETES_TOKEN_FILE=/nonexistent FLEETSTATS_KUBELET_URL=http://127.0.0.1:$fixture FLEETSTATS_KUBELET_INTERVAL=10s
  run sidecar-pod $((total / pods_n)) 1
  run sidecar-all "$total" 1
done
log "results: $results"
