#!/usr/bin/env bash
# Edge-agent load harness: in ONE run on loopback, the highest zero-loss statsd rate of
#   - the edge agent (bin/fleetstats-edge-agent, sidecar JVM flags, publishing to a real KRaft broker),
#   - a bare Java NIO DatagramChannel receive loop that only counts lines (the ceiling),
#   - Etsy statsd 0.9.0 (npm, installed here at bench time),
#   - collectd 5.12's statsd plugin (Debian's collectd-core, apt-get installed here if missing, which
#     needs root), given the same socket receive buffer as the agent: the agent asks 4 MiB SO_RCVBUF,
#     which the kernel doubles (capped at rmem_max), while collectd sets none and gets
#     net.core.rmem_default; that is raised to the agent's size while collectd creates its socket
#     (needs root) and restored right after and on exit. COLLECTD_RCVBUF overrides the size (bytes).
# on the same load (StatsdBlast, "mix" of counters and timers) at L = 115, 20 and 1 lines per datagram
# (115 lines fill a ~1432-byte datagram, the DogStatsD client's default max packet size), then
# CPU-seconds per million lines of each at a fixed rate all of them take, and RSS and CPU at 10 k lines/s.
# The load generator (StatsdBlast) runs BLAST_SENDERS threads (default 2), each with its own socket,
# handing BLAST_BATCH datagrams (default 64) per sendmmsg(2) to the kernel; BLAST_SENDERS=1 BLAST_BATCH=1
# is the one-thread, one-write(2)-per-datagram generator of the earlier runs.
# Before the agent's first ladder the broker gets BROKER_WARMUP seconds (default 40) of L=115 at 3 M lines/s
# through the agent, not counted (its JIT warm-up; bench/README.md, session 5).
# Agent variants: a receiver named agent_X is the agent with FLEETSTATS_JAVA_OPTS=$AGENT_OPTS_X added to the
# start script's flags (AGENT_OPTS for plain "agent") and, when AGENT_JAR_X is set, that runnable jar (another
# build; its class-data archive is made if missing); a receiver may be listed more than once (A/B/A/B).
# CPU only (no ladders): LADDER_L115= LADDER_L20= (empty); CPU_WARMUP seconds at the CPU rate first (default 0),
# CPU_SECONDS the measured blast (default 10); FOOTPRINT= (empty) skips the 10 k lines/s footprint.
# Usage: bench/edge-agent/run.sh [RUN_SECONDS]   (takes /tmp/fleetstats-bench.lock itself)
#   RECEIVERS="nio agent etsy collectd" (the default) picks receivers, SIZES="115 20 1" the lines per
#   datagram, LADDER_L115/L20/L1 the rates tried; e.g. RECEIVERS=collectd SIZES=20 LADDER_L20="100000 200000"
# Output: a Markdown table on stdout and every raw measurement in $WORK/results.txt.
set -euo pipefail
bench_name=bench
. "$(dirname "$0")/common.sh"
dur=${1:-5}
log "# edge-agent bench $(date -u +%FT%TZ) on $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(java -version 2>&1 | head -1), node $(node --version)"

# --- build: the runnable jar, the broker's classpath, the helpers
bench_build "$here/NioCount.java" "$here/BenchBroker.java" "$here/StatsdBlast.java"
receivers=${RECEIVERS:-nio agent etsy collectd}
if [[ " $receivers " == *" etsy "* ]] && [ ! -d "$here/node_modules/statsd" ]; then
  (cd "$here" && npm install --no-audit --no-fund --silent statsd@0.9.0 >/dev/null 2>&1)
fi

# --- collectd: installed if missing; the receive buffer it gets while it runs
rmem_saved=$(sysctl -n net.core.rmem_default)
rmem_max=$(sysctl -n net.core.rmem_max)
agent_asks=$((4 * 1024 * 1024)) # StatsdServer.SO_RCVBUF
collectd_rcvbuf=${COLLECTD_RCVBUF:-$((2 * (agent_asks < rmem_max ? agent_asks : rmem_max)))}
restore_rmem() {
  if [ "$(sysctl -n net.core.rmem_default)" != "$rmem_saved" ]; then
    sysctl -q -w net.core.rmem_default="$rmem_saved"
  fi
}
trap 'restore_rmem; cleanup' EXIT
trap 'exit 130' INT TERM
if [[ " $receivers " == *" collectd "* ]]; then
  if ! command -v collectd >/dev/null && [ ! -x /usr/sbin/collectd ]; then
    log "collectd not found: installing Debian's collectd-core"
    if ! { apt-get install -y -q collectd-core >"$work/apt.log" 2>&1 ||
           { apt-get update -q >>"$work/apt.log" 2>&1 && apt-get install -y -q collectd-core >>"$work/apt.log" 2>&1; }; }; then
      log "cannot install collectd-core (see $work/apt.log; it needs root): install it or leave collectd out of RECEIVERS"
      exit 1
    fi
  fi
  if [ ! -w /proc/sys/net/core/rmem_default ]; then
    log "collectd needs net.core.rmem_default raised to $collectd_rcvbuf while it starts, which needs root: run as root or leave collectd out of RECEIVERS"
    exit 1
  fi
  collectd_bin=$(command -v collectd || echo /usr/sbin/collectd)
  log "collectd: $("$collectd_bin" -h 2>&1 | grep -m1 -o 'collectd [0-9][0-9.]*[0-9]'), receive buffer $collectd_rcvbuf bytes (net.core.rmem_default while it starts, $rmem_saved otherwise)"
fi

for v in $receivers; do
  jar_var=AGENT_JAR${v#agent}
  if [[ $v == agent* ]] && [ -n "${!jar_var:-}" ] && [ ! -f "${!jar_var%.jar}.jsa" ]; then
    FLEETSTATS_EDGE_JAR=${!jar_var} "$repo/edge-agent/bin/fleetstats-edge-agent" --create-cds >>"$work/cds.log" 2>&1 || true
  fi
done

# --- the broker
start_broker

start_receiver() { # name -> sets rpid
  case $1 in
    nio)
      java -cp "$work" NioCount $port "$work/nio.count" >"$work/nio.log" 2>&1 &
      rpid=$! ;;
    agent*)
      local opts_var=AGENT_OPTS${1#agent} jar_var=AGENT_JAR${1#agent}
      FLEETSTATS_EDGE_JAR=${!jar_var:-${FLEETSTATS_EDGE_JAR:-}} FLEETSTATS_JAVA_OPTS=${!opts_var:-} FLEETSTATS_STATSD_ADDRESS=127.0.0.1:$port FLEETSTATS_KAFKA_BOOTSTRAP=$bootstrap \
      FLEETSTATS_ADMIN_ADDRESS=127.0.0.1:$admin FLEETSTATS_TOPIC_PARTITIONS=1 POD_NAME=bench-0 NODE_HOSTNAME=bench \
        "$repo/edge-agent/bin/fleetstats-edge-agent" >"$work/agent.log" 2>&1 &
      rpid=$! ;;
    etsy)
      cat >"$work/etsy.js" <<EOF
{ port: $port, address: "127.0.0.1", mgmt_port: 18226, mgmt_address: "127.0.0.1", flushInterval: 1000,
  backends: ["$here/etsy-backend.js"] }
EOF
      COUNT_FILE=$work/etsy.count node "$here/node_modules/statsd/stats.js" "$work/etsy.js" >"$work/etsy.log" 2>&1 &
      rpid=$! ;;
    collectd)
      # as in /work/shared/research/peers-measured.md: counters kept as a cumulative derive, timer
      # counts per interval, written every second by the csv plugin
      rm -rf "$work/collectd"; mkdir -p "$work/collectd"
      cat >"$work/collectd.conf" <<EOF
Hostname "peer"
FQDNLookup false
Interval 1
BaseDir "$work/collectd"
PIDFile "$work/collectd/collectd.pid"
PluginDir "/usr/lib/collectd"
TypesDB "/usr/share/collectd/types.db"
LoadPlugin statsd
LoadPlugin csv
<Plugin statsd>
  Host "127.0.0.1"
  Port "$port"
  DeleteCounters false
  DeleteTimers false
  TimerCount true
</Plugin>
<Plugin csv>
  DataDir "$work/collectd/csv"
  StoreRates false
</Plugin>
EOF
      # a socket takes net.core.rmem_default when it is created: raised until collectd listens
      sysctl -q -w net.core.rmem_default="$collectd_rcvbuf"
      "$collectd_bin" -C "$work/collectd.conf" -f >"$work/collectd.log" 2>&1 &
      rpid=$! ;;
  esac
  echo "$rpid" >>"$work/pids"
  sleep 2
  for _ in $(seq 60); do
    if count "$1" >/dev/null 2>&1; then
      restore_rmem
      log "$1 listening, socket receive buffer $(ss -uamnH "sport = :$port" | grep -o 'rb[0-9]*' | head -1 | tr -d rb) bytes"
      return 0
    fi
    sleep 0.5
  done
  restore_rmem
  log "$1 did not start"; return 1
}

stop_receiver() {
  kill "$rpid"; wait "$rpid" 2>/dev/null || true
}

count() { # name -> cumulative lines received
  case $1 in
    nio) cat "$work/nio.count" ;;
    etsy) cat "$work/etsy.count" ;;
    collectd) collectd_count ;;
    # lines that made it into Kafka: each line of the load is one sample, so produced = sent is zero loss
    agent*) curl -sf "http://127.0.0.1:$admin/metrics" | awk '/^fleetstats_edge_samples_produced_total/ {printf "%d", $2}' | grep . ;;
  esac
}

collectd_count() { # the counter's cumulative derive (its last row) + the timer counts of every interval
  local dir=$work/collectd/csv/peer/statsd f c=0 t=0 last
  # fails until the socket is bound; 0 until a value arrives (a series' file starts at its first)
  [ -n "$(ss -ulnH "sport = :$port")" ] || return 1
  for f in "$dir"/derive-peer.c-*; do
    if [ -f "$f" ]; then last=$(tail -n1 "$f"); c=${last#*,}; fi
  done
  for f in "$dir"/gauge-peer.t-count-*; do
    if [ -f "$f" ]; then t=$((t + $(awk -F, 'NR > 1 {s += $2} END {printf "%d", s}' "$f"))); fi
  done
  echo "$((${c%.*} + t))"
}

settled_count() { # waits until the count stops moving (etsy flushes every second)
  local a b
  a=$(count "$1"); sleep 1.5; b=$(count "$1")
  while [ "$a" != "$b" ]; do a=$b; sleep 1.5; b=$(count "$1"); done
  echo "$b"
}


# The load generator: $senders threads, each its own socket, handing $batch datagrams per sendmmsg(2)
# to the kernel (Netty epoll); the same for every receiver.
senders=${BLAST_SENDERS:-2}
batch=${BLAST_BATCH:-64}
blast() { # rate L seconds -> sent_lines
  java -Xmx256m -Dblast.senders="$senders" -Dblast.batch="$batch" \
    -cp "$work:$(cat "$work/cp.txt")" StatsdBlast $port "$1" "$2" "$3" mix 2>>"$work/blast.err" \
    | tee -a "$results" | sed -n -E 's/.*sent_lines=([0-9]+).*/\1/p'
}

run_once() { # name rate L -> prints "got expected"
  local before sent after
  before=$(settled_count "$1")
  sent=$(blast "$2" "$3" "$dur")
  after=$(settled_count "$1")
  echo "$((after - before)) $sent"
}

search() { # name L ladder... -> best zero-loss rate (confirmed by a second run)
  local name=$1 L=$2; shift 2
  local best=0 prev=0
  start_receiver "$name"
  blast 10000 "$L" 2 >/dev/null # warm-up, not counted
  if [[ $name == agent* ]] && [ ! -f "$work/broker.warm" ]; then
    # The broker's JIT: in its first minute of load C2 compiling the produce path took 30-40 % of its CPU
    # (bench/README.md, session 5), a production broker is long past that: fed first, not counted.
    blast 3000000 115 "${BROKER_WARMUP:-40}" >/dev/null; touch "$work/broker.warm"
  fi
  for rate in "$@"; do
    read -r got sent < <(run_once "$name" "$rate" "$L")
    log "$name L=$L rate=$rate got=$got sent=$sent $([ "$got" = "$sent" ] && echo exact || echo LOSS)"
    if [ "$got" != "$sent" ]; then break; fi
    prev=$best; best=$rate
  done
  if [ "$best" != 0 ]; then
    read -r got sent < <(run_once "$name" "$best" "$L")
    log "$name L=$L rate=$best confirm got=$got sent=$sent $([ "$got" = "$sent" ] && echo exact || echo LOSS)"
    [ "$got" = "$sent" ] || best=$prev
  fi
  if [ "${CPU_WARMUP:-0}" != 0 ]; then blast "${cpu_rate[$L]}" "$L" "$CPU_WARMUP" >/dev/null; fi
  cpu_per_million "$name" "$L" "${cpu_rate[$L]}"
  log "$name L=$L after the CPU blast: VmRSS $(awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$rpid/status") MiB"
  if [[ $name == agent* ]]; then
    curl -sf "http://127.0.0.1:$admin/metrics" | grep -E '^fleetstats_edge_(samples_(produced|dropped)|statsd_(samples|lines))_total' | tee -a "$results" >&2 || true
  fi
  stop_receiver
  echo "$best"
}

cpu_per_million() { # name L rate -> writes "cpu_s_per_million_lines got sent" to $work/cpu.name.L
  local name=$1 L=$2 rate=$3 before t0 t1 sent after
  before=$(settled_count "$name")
  t0=$(cpu_ticks "$rpid")
  sent=$(blast "$rate" "$L" "$cpu_secs")
  after=$(settled_count "$name")
  t1=$(cpu_ticks "$rpid")
  # the settling wait is idle time for every receiver but still counted, alike for all
  awk -v d="$((t1 - t0))" -v hz="$hz" -v got="$((after - before))" -v sent="$sent" \
    'BEGIN {printf "%.2f %d %d\n", d / hz / (got / 1e6), got, sent}' >>"$work/cpu.$name.$L"
  log "$name L=$L cpu at $rate lines/s for $cpu_secs s: cpu_s_per_million got sent = $(tail -n1 "$work/cpu.$name.$L")"
}

footprint() { # name L -> "rss_mib hwm_mib cpu_cores" at 10k lines/s for 20 s
  local name=$1 L=$2 t0 t1 rss hwm
  start_receiver "$name"
  blast 10000 "$L" 3 >/dev/null
  t0=$(cpu_ticks "$rpid")
  blast 10000 "$L" 20 >/dev/null
  t1=$(cpu_ticks "$rpid")
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$rpid/status")
  hwm=$(awk '/VmHWM/ {print $2}' "/proc/$rpid/status")
  stop_receiver
  awk -v r="$rss" -v h="$hwm" -v d="$((t1 - t0))" -v hz="$hz" 'BEGIN {printf "%.1f %.1f %.3f", r/1024, h/1024, d/hz/20}'
}

declare -A best
declare -A ladder
ladder[115]=${LADDER_L115-"100000 200000 400000 800000 1600000 2000000 3000000 4000000 5000000 6000000 7000000 8000000 10000000 12000000 15000000 20000000 25000000 30000000 40000000 50000000"}
ladder[20]=${LADDER_L20-"50000 100000 200000 400000 600000 800000 1000000 1500000 2000000 2500000 3000000 4000000 5000000 6000000 8000000 10000000"}
ladder[1]=${LADDER_L1-"10000 20000 30000 40000 60000 80000 100000 150000 200000 250000 300000 350000 400000 450000 500000 600000 700000"}
# CPU per million lines: at about the highest rate Etsy statsd took without loss in earlier runs,
# so that every receiver does the same work and its idle cost weighs little
declare -A cpu_rate=([115]=${CPU_RATE_L115:-200000} [20]=${CPU_RATE_L20:-100000} [1]=${CPU_RATE_L1:-20000})
cpu_secs=${CPU_SECONDS:-10}
sizes=${SIZES-115 20 1}
for name in $receivers; do
  for L in $sizes; do
    # shellcheck disable=SC2086
    best[$name,$L]=$(search $name $L ${ladder[$L]})
  done
done
declare -A fp
for name in ${FOOTPRINT-$receivers}; do
  fp[$name]=$(footprint $name 1)
  log "footprint $name at 10k lines/s L=1: rss/hwm MiB, cores = ${fp[$name]}"
done

ratio() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a/b; else print "-" }'; }
cpu_of() { [ -f "$work/cpu.$1.$2" ] && cut -d' ' -f1 "$work/cpu.$1.$2" | paste -sd/ || echo "-"; }
{
  head="| receiver |"; rule="|---|"
  for L in $sizes; do head="$head max zero-loss lines/s, L=$L |"; rule="$rule---|"; done
  for L in $sizes; do head="$head CPU-s per M lines, L=$L at ${cpu_rate[$L]}/s |"; rule="$rule---|"; done
  echo "$head RSS (VmRSS / VmHWM) at 10k lines/s, L=1 | CPU at 10k lines/s, L=1 |"
  echo "$rule---|---|"
  for name in $(printf '%s\n' $receivers | awk '!seen[$0]++'); do
    read -r rss hwm cores <<<"${fp[$name]:-- - -}"
    row="| $name |"
    for L in $sizes; do row="$row ${best[$name,$L]:-} |"; done
    for L in $sizes; do row="$row $(cpu_of "$name" "$L") |"; done
    echo "$row $rss / $hwm MiB | $cores cores |"
  done
  echo
  for L in $sizes; do
    echo "L=$L: agent / bare NIO $(ratio "${best[agent,$L]:-}" "${best[nio,$L]:-}"), agent / Etsy statsd $(ratio "${best[agent,$L]:-}" "${best[etsy,$L]:-}");" \
         "collectd / agent $(ratio "${best[collectd,$L]:-}" "${best[agent,$L]:-}");" \
         "CPU per line: Etsy / agent $(ratio "$(cpu_of etsy "$L")" "$(cpu_of agent "$L")"), agent / NIO $(ratio "$(cpu_of agent "$L")" "$(cpu_of nio "$L")")," \
         "agent / collectd $(ratio "$(cpu_of agent "$L")" "$(cpu_of collectd "$L")")"
  done
  echo "(run $dur s per rate; ladders:$(for L in $sizes; do printf ' L=%s: %s;' "$L" "${ladder[$L]}"; done) raw results: $results)"
} | tee -a "$results"
