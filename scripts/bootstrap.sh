#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian/Ubuntu machine: Debian packages (only those missing,
# via sudo when not root), the project virtualenv in .venv with ped and its test extras, and
# the offline PlatformIO core inside the project. Safe to run any number of times.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

APT_PACKAGES=(python3-venv gcc make gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm valgrind
              clang libclang-rt-dev)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
    SUDO=""
    [[ "$(id -u)" -ne 0 ]] && SUDO="sudo"
    echo "bootstrap: installing Debian packages: ${missing[*]}"
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

PY="${PYTHON:-python3}"
if [[ ! -x .venv/bin/python ]]; then
    echo "bootstrap: creating .venv"
    "$PY" -m venv .venv
fi
# extras: test (pytest, hypothesis, ruff) and sweep (Ray: `ped run` trains a round's candidates
# side by side, the benchmarks run their jobs in parallel)
EXTRAS="test,sweep"
stamp=".venv/.ped-installed-$( (cat pyproject.toml; echo "$EXTRAS") | sha256sum | cut -c1-16)"
if [[ ! -f "$stamp" ]]; then
    echo "bootstrap: installing ped and its dependencies into .venv (first time: a few minutes)"
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e ".[$EXTRAS]"
    rm -f .venv/.ped-installed-*
    touch "$stamp"
fi
# the Pico emulator (boards/pico/emulator): rp2040js pinned by package-lock.json, with the
# machine's node/npm (Debian's nodejs + npm when there is no node at all)
if ! command -v npm >/dev/null 2>&1; then
    SUDO=""
    [[ "$(id -u)" -ne 0 ]] && SUDO="sudo"
    echo "bootstrap: installing Node.js for the Pico emulator"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends nodejs npm
fi
emu=boards/pico/emulator
emu_stamp="$emu/node_modules/.ped-installed-$(sha256sum "$emu/package-lock.json" | cut -c1-16)"
if [[ ! -f "$emu_stamp" ]]; then
    echo "bootstrap: installing rp2040js (npm ci in $emu)"
    npm ci --prefix "$emu" --no-audit --no-fund --loglevel=error
    touch "$emu_stamp"
fi
if [[ -f scripts/setup_platformio.py ]]; then
    .venv/bin/python scripts/setup_platformio.py
fi
