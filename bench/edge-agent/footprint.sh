#!/usr/bin/env bash
# Edge-agent footprint: RSS idle and at 10 k lines/s, CPU at 10 k lines/s, of the agent as shipped
# (bin/fleetstats-edge-agent, publishing to a real in-JVM KRaft broker), for one or more variants
# in ONE run (same broker, same box), so that a change of flags or settings is compared side by side.
#
# Usage: bench/edge-agent/footprint.sh [-r RUNS] [-s SECONDS] [-n] [VARIANT...]
#   VARIANT  LABEL or LABEL:WORDS, where WORDS are JVM flags (added after the script's flags, so
#            they override them) and NAME=VALUE environment settings for the agent, e.g.
#              'shipped'  'xmx24:-Xmx24m'  'nocds:-Xshare:off'  'buf4m:FLEETSTATS_BUFFER_MAX_BYTES=4MiB'
#            default: one variant "shipped"
#   -r RUNS     fresh agent starts per variant, interleaved (default 3)
#   -s SECONDS  length of the measured 10 k lines/s phase (default 20)
#   -n          also start each agent with native memory tracking and save, per run,
#               jcmd VM.native_memory summary, class counts and the thread list (NMT itself costs
#               RSS: compare RSS only between runs with the same -n)
#   -o SECONDS  then an outage: the broker is frozen (SIGSTOP) while 100 k lines/s (L=20) arrive for
#               SECONDS, enough to fill the default 8 MiB buffer, and thawed; reports the VmHWM and
#               heap while the buffer is full, that the agent survived, and that
#               received = produced + dropped + failed with drops counted
# Per run: start, 15 s idle (RSS, threads, loaded classes, CPU while idle), 3 s warm-up at
# 10 k lines/s (L=1), then SECONDS at 10 k lines/s: CPU = (utime+stime)/SECONDS from /proc/<pid>/stat,
# RSS = VmRSS and VmHWM at the end; then a check that every received sample was produced, none
# dropped. At idle and at the end of the load, the RESIDENT memory (Rss in /proc/<pid>/smaps) is
# split by kind of mapping (Java heap, CDS archives, libjvm, other libraries, the JDK's modules image,
# malloc, code cache, other anonymous memory: metaspace, thread stacks, GC structures); per run the
# smaps file and the thread names at idle are saved in $WORK. Output: Markdown tables (median and
# range over the runs) on stdout; raw lines in $WORK/results.txt. Takes /tmp/fleetstats-bench.lock itself.
set -euo pipefail
bench_name=footprint
. "$(dirname "$0")/common.sh"
runs=3 secs=20 nmt= outage_secs=
while getopts r:s:no: opt; do
  case $opt in
    o) outage_secs=$OPTARG ;;
    r) runs=$OPTARG ;;
    s) secs=$OPTARG ;;
    n) nmt=1 ;;
    *) sed -n '2,20p' "$0" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || set -- shipped

log "# edge-agent footprint $(date -u +%FT%TZ) on $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(java -version 2>&1 | head -1)"

bench_build "$here/StatsdBlast.java" "$here/BenchBroker.java"
start_broker

status_kib() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k/1024}'; }
gc_counts() { # pid -> "young full heap_committed_kib" from the JVM's perf counters
  jcmd "$1" PerfCounter.print 2>/dev/null | awk -F= '
    /^sun.gc.collector.0.invocations=/ {y=$2} /^sun.gc.collector.1.invocations=/ {f=$2}
    /^sun.gc.generation.[01].capacity=/ {c+=$2} END {printf "%d %d %d", y, f, c/1024}'
}
smaps() { # pid -> "name=MiB ..." of RESIDENT memory (Rss in /proc/<pid>/smaps) per kind of mapping:
  # javaheap (the heap's range from GC.heap_info), cds (.jsa archives), libjvm, libs (other .so),
  # jdkmodules (the JDK's modules image), malloc ([heap] and arena-sized anonymous mappings),
  # codecache (the executable anonymous mapping), anon (the rest: metaspace, thread stacks, GC, ...)
  local range
  range=$(jcmd "$1" GC.heap_info 2>/dev/null | grep -E 'generation|space' | grep -oE '0x[0-9a-f]+' |
    awk '{print strtonum($1)}' | sort -n | sed -n '1p;$p' | tr '\n' ' ')
  awk -v range="$range" '
    BEGIN { split(range, r, " "); lo = r[1]; hi = r[2] }
    /^[0-9a-f]+-[0-9a-f]+ / {
      split($1, a, "-"); start = strtonum("0x" a[1]); end = strtonum("0x" a[2]); path = $6
      if (path ~ /libjvm\.so/) c = "libjvm"; else if (path ~ /\.jsa$/) c = "cds"
      else if (path ~ /\/modules$/) c = "jdkmodules"; else if (path ~ /\.so/) c = "libs"
      else if (path == "[heap]") c = "malloc"; else if (path ~ /^[\/[]/) c = "other"
      else if (lo && start >= lo && start < hi) c = "javaheap"; else if ($2 ~ /x/) c = "codecache"
      else if (start % (64 * 1048576) == 0) c = "malloc" # glibc arenas: 64 MiB-aligned heaps
      else c = "anon"
      next
    }
    /^Rss:/ { sum[c] += $2 }
    END { n = split("javaheap cds libjvm libs jdkmodules malloc codecache anon other", k, " ")
          for (i = 1; i <= n; i++) printf "%s%s_mib=%.1f", (i > 1 ? " " : ""), k[i], sum[k[i]] / 1024 }' "/proc/$1/smaps"
}
metric() { curl -sf "http://127.0.0.1:$admin/metrics" | awk -v m="$1" '$1 ~ "^"m"(\\{|$)" {s += $2} END {printf "%d", s}'; }

measure() { # label words run -> one result line
  local label=$1 words=$2 run=$3 opts="" envs=() w pid t0 t1 idle_rss idle_cpu threads classes
  for w in $words; do
    if [[ $w =~ ^[A-Z_][A-Z0-9_]*= ]]; then envs+=("$w"); else opts="$opts $w"; fi
  done
  [ -n "$nmt" ] && opts="$opts -XX:NativeMemoryTracking=summary"
  env "${envs[@]}" FLEETSTATS_STATSD_ADDRESS=127.0.0.1:$port FLEETSTATS_KAFKA_BOOTSTRAP="$bootstrap" \
    FLEETSTATS_ADMIN_ADDRESS=127.0.0.1:$admin FLEETSTATS_TOPIC_PARTITIONS=1 POD_NAME=bench-0 NODE_HOSTNAME=bench \
    FLEETSTATS_JAVA_OPTS="${FLEETSTATS_JAVA_OPTS:-}$opts" \
    "$repo/edge-agent/bin/fleetstats-edge-agent" >"$work/agent-$label-$run.log" 2>&1 &
  pid=$!
  echo "$pid" >>"$work/pids"
  for _ in $(seq 60); do curl -sf "http://127.0.0.1:$admin/readyz" >/dev/null 2>&1 && break; sleep 0.5; done
  sleep 5
  t0=$(cpu_ticks "$pid")
  sleep 10
  t1=$(cpu_ticks "$pid")
  idle_rss=$(status_kib "$pid" VmRSS)
  idle_cpu=$(awk -v d="$((t1 - t0))" -v hz="$hz" 'BEGIN {printf "%.3f", d/hz/10}')
  threads=$(status_kib "$pid" Threads)
  classes=$(jcmd "$pid" PerfCounter.print 2>/dev/null | awk -F= '/^java.cls.(shared)?[lL]oadedClasses=/ {l+=$2} /^java.cls.(shared)?[uU]nloadedClasses=/ {u+=$2} END {print l-u}')
  local idle_smaps
  idle_smaps=$(smaps "$pid" | sed 's/\([a-z]*_mib=\)/idle_\1/g')
  cat /proc/"$pid"/task/*/comm | sort | uniq -c >"$work/threads-idle-$label-$run.txt"
  cat /proc/"$pid"/smaps >"$work/smaps-idle-$label-$run.txt"
  if [ -n "$nmt" ]; then
    jcmd "$pid" VM.native_memory summary >"$work/nmt-idle-$label-$run.txt" 2>&1 || true
    jcmd "$pid" VM.classloader_stats >"$work/classloaders-$label-$run.txt" 2>&1 || true
    jstack "$pid" >"$work/threads-$label-$run.txt" 2>&1 || true
  fi
  java -cp "$work:$(cat "$work/cp.txt")" StatsdBlast $port 10000 1 3 mix >/dev/null
  local g0 g1
  g0=$(gc_counts "$pid")
  t0=$(cpu_ticks "$pid")
  java -cp "$work:$(cat "$work/cp.txt")" StatsdBlast $port 10000 1 "$secs" mix >>"$results"
  t1=$(cpu_ticks "$pid")
  g1=$(gc_counts "$pid")
  local rss hwm
  rss=$(status_kib "$pid" VmRSS)
  hwm=$(status_kib "$pid" VmHWM)
  local load_smaps
  load_smaps=$(smaps "$pid" | sed 's/\([a-z]*_mib=\)/load_\1/g')
  [ -n "$nmt" ] && { jcmd "$pid" VM.native_memory summary >"$work/nmt-load-$label-$run.txt" 2>&1 || true; }
  sleep 2.5 # the last flush is acknowledged
  local samples produced dropped outage=""
  samples=$(metric fleetstats_edge_statsd_samples_total)
  produced=$(metric fleetstats_edge_samples_produced_total)
  dropped=$(metric fleetstats_edge_samples_dropped_total)
  if [ -n "$outage_secs" ]; then outage=$(outage "$pid"); fi
  kill "$pid"; wait "$pid" 2>/dev/null || true
  log "$label run=$run idle_rss_mib=$(mib "$idle_rss") idle_cpu=$idle_cpu threads=$threads classes=$classes" \
      "load_rss_mib=$(mib "$rss") load_hwm_mib=$(mib "$hwm") load_cpu=$(awk -v d="$((t1 - t0))" -v hz="$hz" -v s="$secs" 'BEGIN {printf "%.3f", d/hz/s}')" \
      "young_gcs=$(( $(cut -d' ' -f1 <<<"$g1") - $(cut -d' ' -f1 <<<"$g0") )) full_gcs=$(( $(cut -d' ' -f2 <<<"$g1") - $(cut -d' ' -f2 <<<"$g0") ))" \
      "heap_committed_mib=$(mib "$(cut -d' ' -f3 <<<"$g1")")" \
      "samples=$samples produced=$produced dropped=$dropped $([ "$samples" = "$produced" ] && [ "$dropped" = 0 ] && echo exact || echo MISMATCH)" \
      $idle_smaps $load_smaps $outage
}

outage() { # pid -> result words: the broker frozen (SIGSTOP) while 100 k lines/s (L=20) arrive, so the
  # buffer fills to FLEETSTATS_BUFFER_MAX_BYTES and drops; then thawed: every sample is produced or counted
  local pid=$1 broker=${pids[0]} buffered hwm heap alive samples produced dropped failed
  kill -STOP "$broker"
  java -cp "$work:$(cat "$work/cp.txt")" StatsdBlast $port 100000 20 "$outage_secs" mix >>"$results"
  buffered=$(metric fleetstats_edge_buffer_bytes)
  hwm=$(status_kib "$pid" VmHWM)
  heap=$(gc_counts "$pid" | cut -d' ' -f3)
  kill -CONT "$broker"
  for _ in $(seq 120); do
    kill -0 "$pid" 2>/dev/null || break
    [ "$(metric fleetstats_edge_buffer_batches)" = 0 ] && break
    sleep 1
  done
  sleep 2
  alive=$(kill -0 "$pid" 2>/dev/null && echo alive || echo DIED)
  samples=$(metric fleetstats_edge_statsd_samples_total)
  produced=$(metric fleetstats_edge_samples_produced_total)
  dropped=$(metric fleetstats_edge_samples_dropped_total)
  failed=$(metric fleetstats_edge_samples_failed_total)
  echo "outage_buffered_mib=$(mib "$((buffered / 1024))") outage_hwm_mib=$(mib "$hwm") outage_heap_committed_mib=$(mib "$heap")" \
       "outage_$alive outage_samples=$samples outage_produced=$produced outage_dropped=$dropped outage_failed=$failed" \
       "outage_bound_reached=$([ "$dropped" -gt 0 ] && echo yes || echo no)" \
       "$([ "$samples" = "$((produced + dropped + failed))" ] && echo outage_accounted || echo outage_MISMATCH)"
}

for run in $(seq "$runs"); do
  for variant in "$@"; do
    measure "${variant%%:*}" "$([[ $variant == *:* ]] && echo "${variant#*:}")" "$run"
  done
done

stat() { # label field -> "median (min-max)"
  grep "^$1 run=" "$results" | sed -E "s/.* $2=([^ ]+).*/\1/" | sort -g |
    awk '{v[NR]=$1} END {m = NR % 2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2; if (NR > 1) printf "%s (%s–%s)", m, v[1], v[NR]; else printf "%s", m}'
}
{
  echo "| variant | idle RSS MiB | threads | classes | idle CPU | RSS MiB at 10k lines/s (VmRSS) | VmHWM MiB | CPU at 10k lines/s | young GCs in $secs s | heap committed MiB | produced = received |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
  for variant in "$@"; do
    l=${variant%%:*}
    ok=$(grep "^$l run=" "$results" | grep -c exact || true)
    echo "| $l | $(stat "$l" idle_rss_mib) | $(stat "$l" threads) | $(stat "$l" classes) | $(stat "$l" idle_cpu) | $(stat "$l" load_rss_mib) | $(stat "$l" load_hwm_mib) | $(stat "$l" load_cpu) | $(stat "$l" young_gcs) | $(stat "$l" heap_committed_mib) | $ok/$runs |"
  done
  echo
  echo "Resident MiB by mapping (smaps Rss) at 10 k lines/s:"
  echo
  echo "| variant | Java heap | CDS archives | libjvm | other .so | JDK modules | malloc | code cache | other anon (metaspace, stacks, GC) | other |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  for variant in "$@"; do
    l=${variant%%:*}
    echo "| $l | $(for k in javaheap cds libjvm libs jdkmodules malloc codecache anon other; do printf '%s | ' "$(stat "$l" "load_${k}_mib")"; done)"
  done
  if [ -n "$outage_secs" ]; then
    echo
    echo "| variant | outage: VmHWM MiB | heap committed MiB | buffered MiB when frozen | survived, all accounted, bound reached |"
    echo "|---|---|---|---|---|"
    for variant in "$@"; do
      l=${variant%%:*}
      echo "| $l | $(stat "$l" outage_hwm_mib) | $(stat "$l" outage_heap_committed_mib) | $(stat "$l" outage_buffered_mib) |" \
           "$(grep "^$l run=" "$results" | grep -c 'outage_alive.*outage_bound_reached=yes outage_accounted' || true)/$runs |"
    done
  fi
  echo
  echo "(median (min–max) over $runs runs; $secs s at 10 k lines/s, L=1; variants: $*; raw: $results)"
} | tee -a "$results"
