#!/usr/bin/env bash
# Runs the codec benchmarks (osc-core and rosc in the same run) and prints the osc-core/rosc ratio table
# from criterion's medians (<target>/criterion/<group>/<function>/new/estimates.json).
#
# Usage: osc-core/benches/ratios.sh [--report-only] [criterion args...]
#   --report-only  skip the run and print the table from the last results
# OSC_BENCH_RUNS=N (default 1) runs the whole bench N times and keeps, per benchmark, the lowest of the N
# medians: other processes only ever add time, so that is the least disturbed estimate.
# The run is pinned to CPU 1 with taskset when it is available (OSC_BENCH_CPU overrides, "" disables).
# Exit status: 0 if every target passes, 1 if one fails, 2 if a result is missing.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
crit="$target_dir/criterion"

runs="${OSC_BENCH_RUNS:-1}"
results="$(mktemp)"
trap 'rm -f "$results"' EXIT
run=1
if [[ "${1:-}" == "--report-only" ]]; then
    run=0
    shift
fi

# Busy share of all CPUs over one second, in percent, from /proc/stat (user+nice+system+irq+softirq+steal).
busy_percent() {
    local a b
    a=($(head -1 /proc/stat))
    sleep 1
    b=($(head -1 /proc/stat))
    local busy=0 total=0 i d
    for i in 1 2 3 4 5 6 7 8; do
        d=$((b[i] - a[i]))
        total=$((total + d))
        case $i in 4 | 5) ;; *) busy=$((busy + d)) ;; esac
    done
    echo $((total > 0 ? 100 * busy / total : 0))
}

# Appends "<group dir>/<function> <median ns>" for every result criterion has now.
collect() {
    local f id
    for f in "$crit"/*/*/new/estimates.json; do
        [[ -f "$f" ]] || continue
        id="${f#"$crit"/}"
        id="${id%/new/estimates.json}"
        # Estimates are serialized in field order: mean, median, ...; each with confidence_interval first.
        echo "$id $(sed -E 's/.*"median":\{"confidence_interval":\{[^}]*\},"point_estimate":([-0-9.eE+]+).*/\1/' "$f")"
    done >>"$results"
}

if ((run)); then
    cd "$root"
    cargo bench -p osc-core --bench codec --no-run
    cpu="${OSC_BENCH_CPU-1}"
    pin=()
    if [[ -n "$cpu" ]] && command -v taskset >/dev/null && taskset -c "$cpu" true 2>/dev/null; then
        pin=(taskset -c "$cpu")
    fi
    for ((i = 1; i <= runs; i++)); do
        # Like the peer runner: wait up to 60 s for the background load to fall below 25%.
        if [[ -r /proc/stat ]]; then
            for _ in $(seq 30); do
                load="$(busy_percent)"
                ((load < 25)) && break
                echo "background load ${load}%, waiting" >&2
                sleep 1
            done
        fi
        "${pin[@]}" cargo bench -p osc-core --bench codec -- "$@"
        collect
    done
else
    collect
fi

# Lowest collected median in ns of "<group>/<function>" (criterion writes group "W1/decode" as W1_decode).
median() {
    local id="${1%/*}"
    id="${id//\//_}/${1##*/}"
    awk -v id="$id" '$1 == id { if (!n++ || $2 < m) m = $2 } END { if (!n) exit 1; print m }' "$results"
}

missing=0
failed=0
if ((run)); then
    what="lowest of $runs run(s)' medians, finished $(date -u +%Y-%m-%dT%H:%MZ)"
else
    what="last results, printed $(date -u +%Y-%m-%dT%H:%MZ)"
fi
printf '%s\n' "osc-core codec vs rosc, criterion medians ($what, $(uname -m), load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null))"
printf '%-3s %-7s %-17s %-26s %11s %11s %8s %-16s %s\n' \
    workload op osc-core rosc "osc-core ns" "rosc ns" ratio target result
# workload op osc-core-variant rosc-variant max-ratio(as 1/N, or -) max-ns(or -)
while read -r w op cv rv inv abs; do
    a="$(median "$w/$op/$cv")" || { echo "missing result: $w/$op/$cv" >&2; missing=1; continue; }
    b="$(median "$w/$op/$rv")" || { echo "missing result: $w/$op/$rv" >&2; missing=1; continue; }
    line="$(awk -v a="$a" -v b="$b" -v inv="$inv" -v abs="$abs" 'BEGIN {
        r = a / b; t = ""; ok = 1
        if (inv != "-") { t = "<=1/" inv; if (r > 1 / inv) ok = 0 }
        if (abs != "-") { t = t (t == "" ? "" : ",") "<=" abs "ns"; if (a > abs + 0) ok = 0 }
        res = (t == "") ? "-" : (ok ? "pass" : "FAIL")
        if (t == "") t = "-"
        printf "%11.1f %11.1f %8.4f %-16s %s", a, b, r, t, res
    }')"
    [[ "$line" == *FAIL ]] && failed=1
    printf '%-3s %-7s %-17s %-26s %s\n' "$w" "$op" "$cv" "$rv" "$line"
done <<'EOF'
W1 decode osc-core rosc 8 26
W1 encode osc-core rosc 4 40
W1 encode osc-core-builder rosc - -
W1 encode osc-core rosc-build-encode_into - -
W1 encode osc-core rosc-prebuilt-encode_into - -
W2 decode osc-core rosc - -
W2 encode osc-core rosc - -
W2 encode osc-core-builder rosc - -
W3 decode osc-core rosc - -
W3 encode osc-core rosc - -
W3 encode osc-core-builder rosc - -
W4 decode osc-core rosc 20 -
W4 encode osc-core rosc - -
W4 encode osc-core-builder rosc - -
EOF

if ((missing)); then exit 2; fi
exit "$failed"
