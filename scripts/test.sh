#!/usr/bin/env bash
# The test suite: lint, then pytest (Python, golden C-vs-TFLM, firmware on native and QEMU).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/bootstrap.sh"
cd "$ROOT"
.venv/bin/ruff check pipeline tests benchmarks scripts
exec .venv/bin/python -m pytest "$@"
