#!/usr/bin/env bash
# OSC over UDP and TCP to the riscv32 virt firmware (virtio-net + smoltcp) through QEMU user networking.
# QEMU's slirp only reaches the host's loopback here, and when possible the whole run sits in a private
# network namespace, so nothing can leave the machine. Pass/fail from the firmware's exit status (SiFive
# test device) and the client's.
# Usage: run-virt.sh FIRMWARE_ELF
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
elf=$1
[ -f "$elf" ] || { echo "no firmware at $elf"; exit 1; }
udp=19000
tcp=19001
session() {
    ip link set lo up 2>/dev/null || true
    timeout 40 qemu-system-riscv32 -M virt -bios none -nographic -m 64M -kernel "$elf" \
        -global virtio-mmio.force-legacy=false \
        -netdev "user,id=n0,net=192.0.2.0/24,host=192.0.2.2,hostfwd=udp:127.0.0.1:$udp-192.0.2.15:9000,hostfwd=tcp:127.0.0.1:$tcp-192.0.2.15:9001" \
        -device virtio-net-device,netdev=n0 </dev/null &
    local qemu=$!
    local client=0
    timeout 40 python3 "$here/virt_client.py" "$udp" "$tcp" || client=$?
    local status=0
    wait "$qemu" || status=$?
    echo "riscv32 virt virtio-net: client exit $client, firmware exit $status"
    [ "$client" = 0 ] && [ "$status" = 0 ]
}
if [ "${OSC_IN_NETNS:-}" != 1 ] && [ "$(id -u)" = 0 ] && unshare --net true 2>/dev/null; then
    exec unshare --net env OSC_IN_NETNS=1 bash "$0" "$@"
fi
session
