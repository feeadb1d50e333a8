#!/usr/bin/env bash
# Runs the dispatch benchmarks (osc-core's Dispatcher and rosc in the same run) and prints a table of
# criterion medians: workload, osc-core ns, rosc ns, ratio, target, pass/fail.
#
# Usage: osc-core/benches/dispatch_ratios.sh [--report-only] [criterion args...]
#   --report-only  print the table from the last results without running anything
# The run is pinned to one CPU with taskset when it can be (OSC_BENCH_CPU, default 1; empty: no pinning),
# after waiting up to 60 s for the machine to be quiet (all CPUs below 25% busy), like the peer runner.
# Exit status: 0 if every target holds, 1 if one fails, 2 if a result is missing.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
results="${CARGO_TARGET_DIR:-$root/target}/criterion"

run=1
if [[ "${1:-}" == "--report-only" ]]; then
    run=0
    shift
fi

# Percentage of all CPUs busy over one second (everything but idle and iowait in /proc/stat).
cpu_busy() {
    local -a s0 s1
    read -ra s0 </proc/stat
    sleep 1
    read -ra s1 </proc/stat
    local k delta all=0 idle=0
    for k in 1 2 3 4 5 6 7 8; do
        delta=$((s1[k] - s0[k]))
        all=$((all + delta))
        if ((k == 4 || k == 5)); then idle=$((idle + delta)); fi
    done
    if ((all == 0)); then echo 0; else echo $((100 * (all - idle) / all)); fi
}

if ((run)); then
    cd "$root"
    cargo bench -p osc-core --bench dispatch --no-run
    if [[ -r /proc/stat ]]; then
        for _ in $(seq 30); do
            busy="$(cpu_busy)"
            if ((busy < 25)); then break; fi
            echo "machine ${busy}% busy, waiting" >&2
            sleep 1
        done
    fi
    pin=()
    cpu="${OSC_BENCH_CPU-1}"
    if [[ -n "$cpu" ]] && command -v taskset >/dev/null && taskset -c "$cpu" true 2>/dev/null; then
        pin=(taskset -c "$cpu")
    fi
    "${pin[@]}" cargo bench -p osc-core --bench dispatch -- "$@"
fi

# The median, in ns, of benchmark <group>/<function>; fails if it has not been run.
median_ns() {
    local f="$results/$1/$2/new/estimates.json"
    [[ -f "$f" ]] || return 1
    # estimates.json: {"mean":{...},"median":{"confidence_interval":{...},"point_estimate":X,...},...}
    sed -E 's/.*"median":\{"confidence_interval":\{[^}]*\},"point_estimate":([-0-9.eE+]+).*/\1/' "$f"
}

status=0
echo "osc-core Dispatcher vs rosc, criterion medians, $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -m)," \
    "load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
printf '%-8s %12s %12s %9s %-10s %s\n' workload "osc-core ns" "rosc ns" ratio target result
# Each row: group, then a target: "1/N" (osc-core at most 1/N of rosc), "<=Xus" (osc-core at most X µs),
# or "us" (no target: the times are shown in µs).
while read -r group target; do
    ours="$(median_ns "$group" osc-core)" || {
        echo "missing result: $group/osc-core" >&2
        status=2
        continue
    }
    theirs="$(median_ns "$group" rosc || echo -)"
    row="$(awk -v a="$ours" -v b="$theirs" -v t="$target" 'BEGIN {
        ratio = (b == "-") ? "-" : sprintf("%.4f", a / b)
        ok = 1
        if (t == "us") {
            printf "%12s %12s %9s %-10s %s", sprintf("%.2f us", a / 1000), (b == "-") ? "-" : sprintf("%.2f us", b / 1000), ratio, "-", "-"
            exit
        }
        if (t ~ /^1\//) {
            n = substr(t, 3) + 0
            if (b == "-" || a * n > b) ok = 0
        } else if (t ~ /^<=.*us$/) {
            limit = substr(t, 3, length(t) - 4) * 1000
            if (a > limit) ok = 0
        }
        printf "%12.1f %12s %9s %-10s %s", a, (b == "-") ? "-" : sprintf("%.1f", b), ratio, t, ok ? "pass" : "FAIL"
    }')"
    if [[ "$row" == *FAIL && $status == 0 ]]; then status=1; fi
    printf '%-8s %s\n' "$group" "$row"
done <<'EOF'
D1 1/40
D2 1/8
D3 1/40
P1 us
P2 us
P3 us
P4 us
EOF
# Not in the targets: D2 with the remembered pattern defeated (every op walks the routes).
if uncached="$(median_ns D2 osc-core-uncached)" && rosc="$(median_ns D2 rosc)"; then
    awk -v a="$uncached" -v b="$rosc" 'BEGIN { printf "%-8s %12.1f %12.1f %9.4f %-10s %s\n", "D2-walk", a, b, a / b, "(info)", "-" }'
fi
exit "$status"
