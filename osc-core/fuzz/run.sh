#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (seconds per target, default 20) on a scratch copy of its
# committed seed corpus, and prints the executions done. A crash fails the run; its input is copied into
# fuzz/regressions/<target>/, which `cargo test -p osc-core --test fuzz_regressions` replays from then on.
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-20}"

if ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "installing cargo-fuzz"
  cargo install cargo-fuzz --locked --quiet
fi
toolchain=+nightly
if ! cargo +nightly --version >/dev/null 2>&1; then
  rustup toolchain install nightly --profile minimal >/dev/null 2>&1 || toolchain=""
fi
if [ -z "$toolchain" ]; then
  echo "no nightly toolchain: building the fuzzers on stable with RUSTC_BOOTSTRAP=1"
  export RUSTC_BOOTSTRAP=1
fi

status=0
summary=""
for target in $(cargo $toolchain fuzz list); do
  work="$(mktemp -d)"
  log="$(mktemp)"
  echo "== fuzz $target for ${secs}s"
  if cargo $toolchain fuzz run "$target" "$work" "corpus/$target" -- \
      -max_total_time="$secs" -print_final_stats=1 -close_fd_mask=3 >"$log" 2>&1; then
    result="ok"
  else
    result="CRASH"
    status=1
    mkdir -p "regressions/$target"
    for f in artifacts/"$target"/*; do
      [ -e "$f" ] && cp "$f" "regressions/$target/" && echo "kept $f as regressions/$target/$(basename "$f")"
    done
    tail -n 40 "$log"
  fi
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
  corpus="$(ls "$work" | wc -l)"
  line="$(printf '%-18s %-6s %12s execs  %5s new corpus entries' "$target" "$result" "${execs:-?}" "$corpus")"
  echo "$line"
  summary="$summary$line"$'\n'
  rm -rf "$work" "$log"
done
echo "== fuzz summary (${secs}s per target)"
printf '%s' "$summary"
exit "$status"
