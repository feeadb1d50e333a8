#!/usr/bin/env bash
# Runs every check and test of the osc workspace. This is THE command for "run every test": CI runs it
# (.ci/run), and so should you before pushing:
#
#     bash tests/run-all.sh
#
# It needs only rustup/cargo and python3 on the machine, and installs the rest itself (idempotently, so a
# second run is fast): the embedded targets, clippy and rustfmt, and a virtualenv with python-osc 1.10.2 in
# the build directory for the interop tests. Honours CARGO_TARGET_DIR. With CI set (CI=true), a missing
# python-osc is a failure instead of a skip.
#
# To add a check: write a step_* function and add it to STEPS below. Each step gets a printed header and its
# time; the last line is the test summary.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

readonly PYTHON_OSC_VERSION=1.10.2
readonly EMBEDDED_TARGETS=(thumbv6m-none-eabi thumbv7em-none-eabihf)
readonly STARTED=$SECONDS
# Seconds per fuzz target (the fuzz step runs every target once).
readonly FUZZ_SECONDS=${FUZZ_SECONDS:-45}

# The workspace's build directory (CARGO_TARGET_DIR or target/), absolute.
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
[[ -n $TARGET_DIR ]] || { echo "run-all: cannot find the cargo target directory" >&2; exit 1; }
mkdir -p "$TARGET_DIR"
readonly TARGET_DIR
readonly TEST_LOG=$TARGET_DIR/run-all-tests.log
: >"$TEST_LOG"

is_ci() { [[ -n ${CI:-} ]]; }

# ---------------------------------------------------------------------------------------------------------
# Steps
# ---------------------------------------------------------------------------------------------------------

step_toolchain() {
    local installed missing=()
    installed=$(rustup target list --installed)
    for t in "${EMBEDDED_TARGETS[@]}"; do
        grep -qx "$t" <<<"$installed" || missing+=("$t")
    done
    if ((${#missing[@]})); then
        rustup target add "${missing[@]}"
    fi
    installed=$(rustup component list --installed)
    for c in clippy rustfmt; do
        grep -q "^$c" <<<"$installed" || rustup component add "$c"
    done
    rustc --version
    cargo --version
    echo "targets: $(rustup target list --installed | tr '\n' ' ')"
}

# Makes (once) $TARGET_DIR/osc-venv with python-osc and exports OSC_PYTHON for tests/python_osc.rs.
step_python_peer() {
    local venv=$TARGET_DIR/osc-venv
    local py=$venv/bin/python3
    local check="import importlib.metadata as m, pythonosc; assert m.version('python-osc') == '$PYTHON_OSC_VERSION'"
    if ! "$py" -c "$check" 2>/dev/null; then
        if ! make_venv "$venv" "$py" || ! "$py" -c "$check"; then
            if is_ci; then
                echo "run-all: cannot set up python-osc $PYTHON_OSC_VERSION, which CI requires" >&2
                return 1
            fi
            echo "WARNING: no python-osc $PYTHON_OSC_VERSION: the python-osc interop tests will be SKIPPED"
            return 0
        fi
    fi
    export OSC_PYTHON=$py
    echo "OSC_PYTHON=$OSC_PYTHON ($("$py" --version), python-osc $PYTHON_OSC_VERSION)"
}

make_venv() {
    local venv=$1 py=$2
    command -v python3 >/dev/null || { echo "no python3 on PATH" >&2; return 1; }
    rm -rf "$venv"
    if ! python3 -m venv "$venv"; then
        # Debian's own python3 has no ensurepip until python3-venv is installed.
        rm -rf "$venv"
        if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
            echo "installing python3-venv"
            apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null \
                && python3 -m venv "$venv" || return 1
        else
            return 1
        fi
    fi
    "$py" -m pip install --disable-pip-version-check --no-input --quiet --retries 2 --timeout 20 \
        "python-osc==$PYTHON_OSC_VERSION"
}

# Debian packages for the peers of the CLI interop tests (liblo's oscsend/oscdump) and other setup that
# the component scripts under tests/ci/ declare.
step_peers() {
    bash tests/ci/cli.sh
}

step_fmt() {
    cargo fmt --all -- --check
}

# Default features (osc-core's fast engines), then every feature (which includes osc-core's `small`).
step_clippy() {
    cargo clippy --workspace --all-targets -- -D warnings
    cargo clippy --workspace --all-targets --all-features -- -D warnings
}

# All targets (libs, bins, tests, examples, benches in test mode), then the doc tests, which --all-targets
# leaves out. The output is also logged to count the results for the summary.
#
# Twice: with default features, which is what most users build (osc-core's fast decoder, matcher and
# dispatcher index), and with every feature (tokio, the CLI, the embedded adapters, and osc-core's `small`
# engines, which every other crate then links too).
step_test() {
    cargo test --workspace --all-targets 2>&1 | tee -a "$TEST_LOG"
    cargo test --workspace --all-targets --all-features 2>&1 | tee -a "$TEST_LOG"
    cargo test --workspace --doc --all-features 2>&1 | tee -a "$TEST_LOG"
}

step_embedded() {
    for t in "${EMBEDDED_TARGETS[@]}"; do
        echo "-- $t"
        cargo build -p osc-core -p osc-embedded --target "$t"
        echo "-- $t, defmt"
        cargo build -p osc-core -p osc-embedded --target "$t" --features defmt
    done
}

# osc-embedded's feature matrix, no_std builds, and the firmware under QEMU (no global allocator).
step_embedded_ci() {
    bash tests/ci/embedded.sh
}

# Flash, static RAM and stack of the thumbv6m firmware, printed as a table.
step_footprint() {
    bash tests/ci/footprint.sh
}

# Every fuzz target for FUZZ_SECONDS (default 45) each; a crash fails the run and is kept as a regression.
step_fuzz() {
    bash osc-core/fuzz/run.sh "$FUZZ_SECONDS"
}

step_doc() {
    RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps &&
        RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --all-features
}

STEPS=(
    "toolchain: embedded targets, clippy, rustfmt:step_toolchain"
    "python-osc $PYTHON_OSC_VERSION peer (virtualenv in the build dir):step_python_peer"
    "peers: liblo-tools (tests/ci/cli.sh):step_peers"
    "cargo fmt --check:step_fmt"
    "cargo clippy -D warnings, default and all features:step_clippy"
    "cargo test --workspace, default and all features (all targets, then doc tests):step_test"
    "no_std builds for ${EMBEDDED_TARGETS[*]}, with and without defmt:step_embedded"
    "cargo doc -D warnings, default and all features:step_doc"
    "embedded: feature matrix, firmware under QEMU (tests/ci/embedded.sh):step_embedded_ci"
    "embedded footprint (tests/ci/footprint.sh):step_footprint"
    "fuzz every target for ${FUZZ_SECONDS}s (osc-core/fuzz/run.sh):step_fuzz"
)

# ---------------------------------------------------------------------------------------------------------
# Runner
# ---------------------------------------------------------------------------------------------------------

CURRENT=""
TIMES=()

on_exit() {
    local rc=$?
    if ((rc != 0)); then
        echo
        echo "==== FAILED: ${CURRENT:-setup} (exit $rc) after $((SECONDS - STARTED))s"
        if [[ -s $TEST_LOG ]]; then
            echo "run-all: $(test_totals)"
        fi
    fi
}
trap on_exit EXIT

# Sums the "test result:" lines of the cargo test log.
test_totals() {
    awk '/^test result:/ {
            for (i = 1; i <= NF; i++) {
                v = $i; sub(/[;,]$/, "", $(i + 1))
                if ($(i + 1) == "passed") p += v
                if ($(i + 1) == "failed") f += v
                if ($(i + 1) == "ignored") s += v
            }
        }
        END { printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$TEST_LOG"
}

n=0
for entry in "${STEPS[@]}"; do
    n=$((n + 1))
    CURRENT="step $n/${#STEPS[@]}: ${entry%:*}"
    fn=${entry##*:}
    echo
    echo "==== $CURRENT"
    t0=$SECONDS
    "$fn"
    TIMES+=("$(printf '%4ds  %s' $((SECONDS - t0)) "${entry%:*}")")
done
CURRENT=""

echo
echo "==== all ${#STEPS[@]} steps passed in $((SECONDS - STARTED))s"
printf '  %s\n' "${TIMES[@]}"
if [[ -z ${OSC_PYTHON:-} ]]; then
    echo "  (python-osc interop tests were SKIPPED: no python-osc)"
fi
echo "run-all: $(test_totals)"
