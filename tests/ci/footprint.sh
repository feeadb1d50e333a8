#!/usr/bin/env bash
# Footprint of OSC on a Cortex-M0-class target (thumbv6m-none-eabi, opt-level "z", fat LTO, panic=abort).
#
# Three builds of the same UART firmware (examples/firmware/cortex-m):
#   baseline-uart  the I/O alone: 256-byte frame and reply buffers, read until a SLIP END, write a reply
#   core-uart      + osc-core: SLIP decoder, decode, dispatch over 8 routes, replies built, SLIP encoded
#   osc-uart       the same through osc-embedded's StreamEndpoint (what an application would write)
# Flash is .text + .rodata (the vector table is the same in all three), static RAM is .data + .bss, both
# from `size -A`. The OSC part is osc-uart minus baseline-uart; the frame and reply buffers are the
# user's and sit in both. The stack high-water mark comes from the `stack` firmware run under QEMU
# mps2-an385 (a Cortex-M3 running the same thumbv6m code), which paints the stack and scans it.
#
# Targets: OSC flash <= 8 KiB, OSC static RAM <= 1 KiB. The script prints whether they are met and
# fails only past the regression guards FOOTPRINT_MAX_FLASH / _RAM / _STACK (bytes).
set -euo pipefail
source "$(dirname "$0")/embedded/lib.sh"
: "${FOOTPRINT_MAX_FLASH:=9300}"
: "${FOOTPRINT_MAX_RAM:=1024}"
: "${FOOTPRINT_MAX_STACK:=3072}"

start=$SECONDS
rust_targets
install_qemu
size_tool=$(find_size_tool)
build_cortex_m
dir="$FIRMWARE/cortex-m/target/thumbv6m-none-eabi/release"

# section ELF NAME: the size of a section, 0 when absent.
section() {
    "$size_tool" -A "$1" | awk -v name="$2" '$1 == name { print $2; found = 1 } END { if (!found) print 0 }'
}

declare -A FLASH RAM
rows=""
for bin in baseline-uart core-uart osc-uart; do
    elf="$dir/$bin"
    text=$(section "$elf" .text)
    rodata=$(section "$elf" .rodata)
    data=$(section "$elf" .data)
    bss=$(section "$elf" .bss)
    FLASH[$bin]=$((text + rodata))
    RAM[$bin]=$((data + bss))
    rows+="| $bin | $text | $rodata | ${FLASH[$bin]} | $data | $bss | ${RAM[$bin]} |"$'\n'
done

osc_flash=$((FLASH[osc-uart] - FLASH[baseline-uart]))
osc_ram=$((RAM[osc-uart] - RAM[baseline-uart]))
adapter_flash=$((FLASH[osc-uart] - FLASH[core-uart]))
adapter_ram=$((RAM[osc-uart] - RAM[core-uart]))

stack_out=$(timeout 30 qemu-system-arm -cpu cortex-m3 -machine mps2-an385 -nographic \
    -semihosting-config enable=on,target=native -kernel "$dir/stack")
stack_messages=$(echo "$stack_out" | sed -n 's/^stack decode+dispatch+reply, messages only: \([0-9]*\) bytes$/\1/p')
stack_bundles=$(echo "$stack_out" | sed -n 's/^stack decode+dispatch+reply: \([0-9]*\) bytes$/\1/p')
stack_stream=$(echo "$stack_out" | sed -n 's/^stack stream poll.*: \([0-9]*\) bytes$/\1/p')

verdict() { if [ "$1" -le "$2" ]; then echo "met"; else echo "NOT met"; fi; }

echo "Footprint, thumbv6m-none-eabi, opt-level z, LTO; $("$size_tool" --version | head -1)"
echo
echo "| firmware | .text | .rodata | flash | .data | .bss | static RAM |"
echo "|---|---:|---:|---:|---:|---:|---:|"
printf '%s' "$rows"
echo
echo "| OSC part | bytes | target |"
echo "|---|---:|---|"
echo "| flash, osc-uart − baseline | $osc_flash | ≤ 8192: $(verdict "$osc_flash" 8192) |"
echo "| static RAM, osc-uart − baseline (user buffers excluded) | $osc_ram | ≤ 1024: $(verdict "$osc_ram" 1024) |"
echo "| of which the osc-embedded endpoint, flash (osc-uart − core-uart) | $adapter_flash | |"
echo "| of which the osc-embedded endpoint, static RAM | $adapter_ram | |"
echo "| stack high-water, decode + dispatch + reply, messages | $stack_messages | |"
echo "| stack high-water, decode + dispatch + reply, with bundles | $stack_bundles | |"
echo "| stack high-water, StreamEndpoint::poll (SLIP in/out) | $stack_stream | |"

nm_tool="$(dirname "$size_tool")/llvm-nm"
if [ -x "$nm_tool" ] || nm_tool=$(command -v llvm-nm); then
    echo
    echo "Flash of osc-uart by origin (symbol sizes from llvm-nm; inlined code counts where it lands):"
    echo
    echo "| origin | bytes |"
    echo "|---|---:|"
    "$nm_tool" -S --size-sort -C --radix=d "$dir/osc-uart" | awk '
        $3 ~ /^[tTrR]$/ {
            name = $4; for (i = 5; i <= NF; i++) name = name " " $i
            size = $2 + 0
            if (name ~ /osc_core/) g = "osc-core (codec, dispatch, builder, SLIP)"
            else if (name ~ /osc_embedded/) g = "osc-embedded (service, with the osc-core code inlined into it)"
            else if (name ~ /osc_firmware_cortex_m::app/) g = "application handlers (8 routes)"
            else if (name ~ /__cortex_m_rt_main/) g = "main (inlined: endpoint, SLIP decoder, route setup)"
            else if (name ~ /compiler_builtins|__aeabi/) g = "compiler-builtins (memcpy, memmove, memclr)"
            else if (name ~ /^core::|^<core|^_\$LT\$core|str as core/) g = "core (utf-8 check, str search)"
            else g = "other (vectors, runtime, UART)"
            sum[g] += size
        }
        END { for (g in sum) printf "| %s | %d |\n", g, sum[g] }' | sort -t'|' -k3 -rn
fi

echo
echo "footprint.sh took $((SECONDS - start)) s"
fail=0
[ "$osc_flash" -le "$FOOTPRINT_MAX_FLASH" ] || { echo "regression: OSC flash $osc_flash > $FOOTPRINT_MAX_FLASH"; fail=1; }
[ "$osc_ram" -le "$FOOTPRINT_MAX_RAM" ] || { echo "regression: OSC static RAM $osc_ram > $FOOTPRINT_MAX_RAM"; fail=1; }
[ -n "$stack_stream" ] && [ "$stack_stream" -le "$FOOTPRINT_MAX_STACK" ] || {
    echo "regression or failed run: stack '$stack_stream' > $FOOTPRINT_MAX_STACK"
    fail=1
}
exit "$fail"
