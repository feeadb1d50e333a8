# Shared by the embedded CI scripts: paths, step timing, QEMU and tool installation.
# Sourced, not executed.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
FIRMWARE="$ROOT/examples/firmware"
: "${CARGO_TARGET_DIR:=$ROOT/target}"
export CARGO_TARGET_DIR
export CARGO_TERM_COLOR=never

STEP_NAMES=()
STEP_TIMES=()

# step NAME COMMAND...: runs the command, records its wall time, stops the script if it fails.
step() {
    local name=$1
    shift
    echo
    echo "==> $name"
    local start=$SECONDS
    if ! "$@"; then
        echo "FAILED: $name"
        exit 1
    fi
    STEP_NAMES+=("$name")
    STEP_TIMES+=($((SECONDS - start)))
}

print_times() {
    echo
    echo "| step | seconds |"
    echo "|---|---:|"
    local i
    for i in "${!STEP_NAMES[@]}"; do
        echo "| ${STEP_NAMES[$i]} | ${STEP_TIMES[$i]} |"
    done
}

rust_targets() {
    rustup target add thumbv6m-none-eabi thumbv7em-none-eabihf riscv32imac-unknown-none-elf >/dev/null 2>&1
}

# Installs qemu-system-arm and qemu-system-riscv32 when they are missing. Debian's own packages first;
# if they conflict with an installed backport of qemu-utils, the backported system emulators, through a
# private apt source list that leaves the system's apt configuration untouched.
install_qemu() {
    if command -v qemu-system-arm >/dev/null && command -v qemu-system-riscv32 >/dev/null; then
        return 0
    fi
    if ! command -v apt-get >/dev/null; then
        echo "qemu-system-arm/riscv32 missing and no apt-get to install them"
        return 1
    fi
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    if $sudo apt-get install -y -qq --no-install-recommends qemu-system-arm qemu-system-misc >/dev/null 2>&1; then
        return 0
    fi
    local codename
    codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
    local dir=/tmp/osc-apt
    mkdir -p "$dir/lists/partial" "$dir/archives/partial"
    printf 'deb http://deb.debian.org/debian %s main\ndeb http://deb.debian.org/debian %s-updates main\ndeb http://deb.debian.org/debian-security %s-security main\ndeb http://deb.debian.org/debian %s-backports main\n' \
        "$codename" "$codename" "$codename" "$codename" >"$dir/sources.list"
    local opts=(-o "Dir::Etc::sourcelist=$dir/sources.list" -o "Dir::Etc::sourceparts=-"
        -o "Dir::State::lists=$dir/lists" -o "Dir::Cache::archives=$dir/archives")
    $sudo apt-get "${opts[@]}" update -qq
    $sudo apt-get "${opts[@]}" install -y -qq --no-install-recommends -t "$codename-backports" \
        qemu-system-arm qemu-system-riscv >/dev/null
}

# An llvm-size (or GNU size) able to read ARM ELF files; prints its path.
find_size_tool() {
    local host sysroot
    if command -v llvm-size >/dev/null; then
        command -v llvm-size
        return
    fi
    sysroot=$(rustc --print sysroot)
    host=$(rustc -vV | sed -n 's/^host: //p')
    if [ ! -x "$sysroot/lib/rustlib/$host/bin/llvm-size" ]; then
        rustup component add llvm-tools >/dev/null 2>&1 || rustup component add llvm-tools-preview >/dev/null
    fi
    if [ -x "$sysroot/lib/rustlib/$host/bin/llvm-size" ]; then
        echo "$sysroot/lib/rustlib/$host/bin/llvm-size"
    elif command -v arm-none-eabi-size >/dev/null; then
        command -v arm-none-eabi-size
    else
        echo "no size tool (llvm-size, llvm-tools, arm-none-eabi-size)" >&2
        return 1
    fi
}

# fw_cargo CRATE ARGS...: cargo in a firmware crate, with its own target directory and config.
fw_cargo() {
    local crate=$1
    shift
    (cd "$FIRMWARE/$crate" && env -u CARGO_TARGET_DIR cargo "$@")
}

build_cortex_m() {
    fw_cargo cortex-m build --release --locked -q
}
