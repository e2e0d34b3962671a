#!/usr/bin/env bash
# The main job: the whole pipeline on the default dataset and an emulated board.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/bootstrap.sh"
exec "$ROOT/.venv/bin/ped" run --dataset watch "$@"
