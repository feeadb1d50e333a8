#!/usr/bin/env bash
# OSC as SLIP over the UART of the Cortex-M firmware under QEMU mps2-an385: QEMU exposes UART0 as a TCP
# server on loopback, the python client talks to it, and the firmware's semihosting exit status says
# whether it saw /quit. Runs inside a private network namespace when possible (own loopback).
# Usage: run-mps2-uart.sh FIRMWARE_ELF
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
elf=$1
[ -f "$elf" ] || { echo "no firmware at $elf"; exit 1; }
port=19100
session() {
    set -u
    ip link set lo up 2>/dev/null || true
    timeout 30 qemu-system-arm -cpu cortex-m3 -machine mps2-an385 -display none -monitor none \
        -semihosting-config enable=on,target=native \
        -serial "tcp:127.0.0.1:$port,server=on,wait=on" -kernel "$elf" 2>/dev/null &
    local qemu=$!
    local client=0
    timeout 30 python3 "$here/uart_client.py" "$port" || client=$?
    local status=0
    wait "$qemu" || status=$?
    echo "mps2-an385 SLIP/UART: client exit $client, firmware exit $status"
    [ "$client" = 0 ] && [ "$status" = 0 ]
}
if [ "${OSC_IN_NETNS:-}" != 1 ] && [ "$(id -u)" = 0 ] && unshare --net true 2>/dev/null; then
    exec unshare --net env OSC_IN_NETNS=1 bash "$0" "$@"
fi
session
