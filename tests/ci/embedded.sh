#!/usr/bin/env bash
# CI for osc-embedded and the firmware examples. Installs what it needs (rust targets, QEMU), then:
#   1. host tests of osc-embedded over its feature sets: the in-process smoltcp pair with a counting
#      allocator (0 allocations), embedded-io(-async) streams, and the smoltcp and embassy-net tap tests
#      against kernel sockets in a private netns (skipped without root or /dev/net/tun);
#   2. fmt and clippy -D warnings (crate and firmware);
#   3. no_std builds for thumbv6m-none-eabi and thumbv7em-none-eabihf, with and without defmt;
#   4. firmware with no global allocator (the link is the proof), run under QEMU:
#      mps2-an385 SLIP over UART (from a python client, and from the `osc` tool through a serial
#      pseudo-terminal), and riscv32 virt virtio-net UDP + TCP.
# Prints a table of step times at the end. Set CARGO_TARGET_DIR to share a target directory.
set -euo pipefail
source "$(dirname "$0")/embedded/lib.sh"
cd "$ROOT"

step "setup: rust targets" rust_targets
step "setup: qemu" install_qemu

step "host tests (default features)" cargo test -q -p osc-embedded
step "host tests (no default features)" cargo test -q -p osc-embedded --no-default-features
step "host tests (smoltcp only)" cargo test -q -p osc-embedded --no-default-features --features smoltcp
step "host tests (embassy, no defmt; embassy-net on tap in a netns)" cargo test -q -p osc-embedded --features embassy
step "host tests (all features, incl. tap netns)" cargo test -q -p osc-embedded --all-features -- --nocapture

step "fmt" cargo fmt -p osc-embedded --check
step "clippy" cargo clippy -q -p osc-embedded --all-targets --all-features -- -D warnings
step "clippy (default features)" cargo clippy -q -p osc-embedded --all-targets -- -D warnings

no_std_matrix() {
    local target features
    for target in thumbv6m-none-eabi thumbv7em-none-eabihf; do
        for features in "" "--features defmt" "--no-default-features" "--all-features"; do
            echo "cargo build -p osc-embedded --target $target $features"
            # shellcheck disable=SC2086
            cargo build -q -p osc-embedded --target "$target" $features
        done
    done
}
step "no_std builds (thumbv6m, thumbv7em; defmt on/off)" no_std_matrix

firmware_checks() {
    local fw
    for fw in cortex-m riscv-virt; do
        fw_cargo "$fw" fmt --check
        fw_cargo "$fw" clippy -q --release --locked -- -D warnings
    done
}
step "firmware fmt + clippy" firmware_checks
step "firmware build: cortex-m, no allocator (thumbv6m)" build_cortex_m
step "firmware build: riscv32 virt, no allocator" fw_cargo riscv-virt build --release --locked -q

step "qemu mps2-an385: OSC over SLIP on the UART" \
    bash "$ROOT/tests/ci/embedded/run-mps2-uart.sh" \
    "$FIRMWARE/cortex-m/target/thumbv6m-none-eabi/release/osc-uart"
step "osc tool build (host side of the serial test)" cargo build -q -p osc-std --features cli --bin osc
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
step "qemu mps2-an385: the osc tool on the UART as a serial port (osc-std serial)" \
    bash "$ROOT/tests/ci/embedded/run-mps2-serial.sh" \
    "$FIRMWARE/cortex-m/target/thumbv6m-none-eabi/release/osc-uart" "$target_dir/debug/osc"
step "qemu mps2-an385: stack measurement runs" \
    timeout 30 qemu-system-arm -cpu cortex-m3 -machine mps2-an385 -nographic \
    -semihosting-config enable=on,target=native \
    -kernel "$FIRMWARE/cortex-m/target/thumbv6m-none-eabi/release/stack"
step "qemu riscv32 virt: OSC over UDP and TCP (virtio-net + smoltcp)" \
    bash "$ROOT/tests/ci/embedded/run-virt.sh" \
    "$FIRMWARE/riscv-virt/target/riscv32imac-unknown-none-elf/release/osc-virt"

print_times
echo
echo "embedded: all steps passed"
