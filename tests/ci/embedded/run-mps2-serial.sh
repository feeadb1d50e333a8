#!/usr/bin/env bash
# The host side of a board on a serial line: the `osc` tool (osc-std's serial endpoints) talks OSC as
# SLIP to the Cortex-M firmware (osc-embedded's StreamEndpoint) over its emulated UART, which QEMU
# mps2-an385 exposes as a pseudo-terminal. Each `osc send` opens the port by name, sends one request
# and checks the reply; the firmware's semihosting exit status says whether it saw /quit.
# Usage: run-mps2-serial.sh FIRMWARE_ELF OSC_BINARY
set -euo pipefail
elf=$1
osc=$2
[ -f "$elf" ] || { echo "no firmware at $elf"; exit 1; }
[ -x "$osc" ] || { echo "no osc binary at $osc"; exit 1; }
log=$(mktemp)
qemu=""
# QEMU is stopped however this script ends (it exits by itself after /quit).
trap 'if [ -n "$qemu" ]; then kill "$qemu" 2>/dev/null || true; fi; rm -f "$log"' EXIT

timeout 60 qemu-system-arm -cpu cortex-m3 -machine mps2-an385 -display none -monitor none \
    -semihosting-config enable=on,target=native -serial pty -kernel "$elf" >"$log" 2>&1 &
qemu=$!
pty=""
for _ in $(seq 200); do
    pty=$(sed -n 's|.*char device redirected to \(/dev/pts/[0-9]*\).*|\1|p' "$log")
    [ -n "$pty" ] && break
    sleep 0.05
done
[ -n "$pty" ] || { echo "QEMU did not report its pseudo-terminal:"; cat "$log"; exit 1; }
# QEMU sends the UART's output only while someone holds the terminal open (it checks once a
# second), so this shell keeps it open between the tool's runs. It never reads from it.
exec 3<>"$pty"
url="serial://$pty"

failed=0
# request WANT ARGS...: sends ARGS with `osc send URL --reply`, checks the one reply line.
request() {
    local want=$1 got
    shift
    got=$(timeout 20 "$osc" send "$url" --reply 10 --count 1 "$@" 2>&1) || true
    if [ "$got" = "$want" ]; then
        echo "  ok   $* -> $got"
    else
        echo "  FAIL $* -> got '$got', want '$want'"
        failed=1
    fi
}
request "/pong" /ping
request "/sum i 5" /add ii 2 3
request '/blob b [6b 0xc0 0xdb 0x00 0xdc 0xdd 0xc0]' /blob b c0db00dcddc0
request "/gain f 0.500000" /gain f 0.5
request "/status ifi 0 0.500000 5" /status
request "/pong" '/{nothing,ping}'
request "/sum i 3" --bundle '/a[c-e]d' ii 1 2
# The firmware answers /quit with /bye and exits at once, and so does QEMU: the terminal hangs up
# right behind the reply, which a serial port may then not deliver. So /quit goes without waiting for
# a reply, and the firmware's exit status says whether it arrived.
if ! timeout 20 "$osc" send "$url" /quit; then
    echo "  FAIL /quit could not be sent"
    failed=1
fi
exec 3>&-

status=0
wait "$qemu" || status=$?
echo "mps2-an385 SLIP/UART through the osc tool on $pty: firmware exit $status"
[ "$failed" = 0 ] && [ "$status" = 0 ]
