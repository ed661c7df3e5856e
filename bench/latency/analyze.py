#!/usr/bin/env python3
"""Latency of one run of bench/latency/run: receiver and tap files -> one JSON object on stdout.

Usage: analyze.py DIR WINDOW_S GRACE_S WARMUP_S START_MS END_MS

DIR holds received.txt ("<arrival ms> <Wavefront line>", from LatencyReceiver) and
tap-uncommitted.txt / tap-committed.txt ("<arrival ms> <window start ms> <key>", from LatencyTap).
Counted windows: those starting at least WARMUP_S after the generator started and ending before it
stopped, so every counted window saw steady traffic from start to end. Latency = arrival - window
end, where a line's timestamp (seconds) is its window's start (wavefront-sink WavefrontPoint).
"""
import json
import shlex
import sys


def pct(values, p):
    if not values:
        return None
    s = sorted(values)
    # nearest rank
    k = max(0, min(len(s) - 1, int(-(-p * len(s) // 100)) - 1))
    return s[k]


def summary(values):
    return {
        "n": len(values),
        "p50": pct(values, 50),
        "p99": pct(values, 99),
        "max": max(values) if values else None,
        "min": min(values) if values else None,
    }


def main():
    d, window_s, grace_s, warmup_s, start_ms, end_ms = sys.argv[1:7]
    w = int(float(window_s) * 1000)
    first = int(start_ms) + int(float(warmup_s) * 1000)
    last_end = int(end_ms)
    counted = lambda start: start >= first and start + w <= last_end

    pod, rollup, windows = [], [], {}
    # per window and kind (pod/rollup): arrival times at each stage, for the breakdown
    at = {"emitted": {}, "committed": {}, "received": {}}
    with open(f"{d}/received.txt", encoding="utf-8") as f:
        for raw in f:
            arrival, line = raw.rstrip("\n").split(" ", 1)
            parts = shlex.split(line)
            ts = int(parts[2]) * 1000
            if not counted(ts):
                continue
            lat = (int(arrival) - (ts + w)) / 1000.0
            is_rollup = any(p.startswith("rollup=") for p in parts[3:])
            (rollup if is_rollup else pod).append(lat)
            at["received"].setdefault((ts, is_rollup), []).append(int(arrival))
            windows.setdefault(ts, [0, 0])[1 if is_rollup else 0] += 1

    stages = {}
    for name in ("uncommitted", "committed"):
        per = {"pod": [], "rollup": []}
        try:
            with open(f"{d}/tap-{name}.txt", encoding="utf-8") as f:
                for raw in f:
                    arrival, start, key = raw.rstrip("\n").split(" ", 2)
                    start = int(start)
                    if not counted(start):
                        continue
                    kind = "rollup" if key.startswith("rollup/") else "pod"
                    per[kind].append((int(arrival) - (start + w)) / 1000.0)
                    stage = "emitted" if name == "uncommitted" else "committed"
                    at[stage].setdefault((start, kind == "rollup"), []).append(int(arrival))
        except FileNotFoundError:
            pass
        stages[name] = {k: summary(v) for k, v in per.items()}

    # Per window: median arrival at each stage; the parts are the differences between them.
    breakdown = {}
    for kind, is_rollup in (("pod", False), ("rollup", True)):
        parts = {"close": [], "commit": [], "sink": []}
        for ts in sorted(windows):
            k = (ts, is_rollup)
            if not all(k in at[s] for s in at):
                continue
            e, c, r = (pct(at[s][k], 50) for s in ("emitted", "committed", "received"))
            parts["close"].append((e - ts - w) / 1000.0)
            parts["commit"].append((c - e) / 1000.0)
            parts["sink"].append((r - c) / 1000.0)
        breakdown[kind] = {p: summary(v) for p, v in parts.items()}

    out = {
        "window_s": float(window_s),
        "grace_s": float(grace_s),
        "windows": len(windows),
        "lines_per_window": {str(k // 1000): v for k, v in sorted(windows.items())},
        "pod": summary(pod),
        "rollup": summary(rollup),
        "all": summary(pod + rollup),
        "stages": stages,
        "breakdown": breakdown,
    }
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
