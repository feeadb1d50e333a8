# Helpers shared by bench-codec.sh and bench-net.sh (sourced, not run).

readonly QUIET_PERCENT=25
readonly NOISY_PERCENT=10
readonly CLK_TCK=$(getconf CLK_TCK)
readonly NCPU=$(nproc)

# Busy jiffies of the whole machine (user + nice + system + steal), and all jiffies.
busy_jiffies() { awk '/^cpu /{print $2 + $3 + $4 + $9}' /proc/stat; }
all_jiffies() { awk '/^cpu /{s = 0; for (i = 2; i <= NF; i++) s += $i; print s}' /proc/stat; }

# Waits (at most 60 s) until the machine's load over one second is below QUIET_PERCENT.
wait_quiet() {
    local i b0 a0 b1 a1
    for ((i = 0; i < 60; i++)); do
        b0=$(busy_jiffies) a0=$(all_jiffies)
        sleep 1
        b1=$(busy_jiffies) a1=$(all_jiffies)
        if (((b1 - b0) * 100 < QUIET_PERCENT * (a1 - a0))); then
            return 0
        fi
    done
    echo "bench: background load stayed above ${QUIET_PERCENT}% for 60 s; measuring anyway" >&2
}

# Installs /usr/bin/time (Debian's `time`) when it is missing and this is root.
need_gnu_time() {
    [[ -x /usr/bin/time ]] && return 0
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
        apt-get install -y -qq time >/dev/null || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
    fi
    [[ -x /usr/bin/time ]] || { echo "bench: /usr/bin/time is missing (Debian: apt-get install time)" >&2; return 1; }
}

# User + system seconds, and peak RSS (KiB), from /usr/bin/time -v output.
cpu_seconds() { awk -F': ' '/User time|System time/ {s += $2} END {printf "%.3f", s}' "$1"; }
peak_rss() { awk -F': ' '/Maximum resident set size/ {print $2}' "$1"; }

# CPU seconds other processes used between two busy_jiffies readings, given ours.
other_cpu() { awk -v busy=$(($2 - $1)) -v tck="$CLK_TCK" -v ours="$3" 'BEGIN {printf "%.3f", busy / tck - ours}'; }

# Whether `other` CPU seconds over `wall` seconds exceed NOISY_PERCENT of the machine.
is_noisy() { awk -v o="$1" -v w="$2" -v n="$NCPU" -v p="$NOISY_PERCENT" 'BEGIN {exit !(o > w * n * p / 100)}'; }

# The cargo target directory, absolute.
target_dir() { cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p'; }
