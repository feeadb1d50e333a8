#!/usr/bin/env bash
# CI setup for the `osc` CLI interop tests (tests/cli_*.rs): installs liblo's oscsend/oscdump
# (Debian `liblo-tools`) and what `python3 -m venv` needs, when they are missing. The python-osc
# virtualenv itself is created by tests/cli_python.rs under the target directory (or set OSC_PYTHON
# to an interpreter that has python-osc 1.10.2).
set -euo pipefail

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        echo "cli.sh: need root (or sudo) to run: $*" >&2
        return 1
    fi
}

packages=()
if ! command -v oscsend >/dev/null 2>&1 || ! command -v oscdump >/dev/null 2>&1; then
    packages+=(liblo-tools)
fi
if ! command -v python3 >/dev/null 2>&1; then
    packages+=(python3 python3-venv python3-pip)
elif ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    packages+=(python3-venv python3-pip)
fi

if [ "${#packages[@]}" -gt 0 ]; then
    echo "cli.sh: installing ${packages[*]}"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq
    as_root apt-get install -y -qq --no-install-recommends "${packages[@]}"
fi

echo "cli.sh: oscsend $(command -v oscsend), oscdump $(command -v oscdump), $(python3 --version)"
