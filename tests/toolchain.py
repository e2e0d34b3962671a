"""The host tools the emulated tests need, found the way the build finds them.

A missing tool fails the test that needs it with the install hint: a test that cannot run
is not a pass (docs/testing.md). `scripts/bootstrap.sh` installs every one of them.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

INSTALL_HINT = "run scripts/bootstrap.sh (apt-get install gcc-arm-none-eabi " \
               "libnewlib-arm-none-eabi qemu-system-arm)"


def require(*tools: str) -> None:
    """Fail (not skip) unless every tool is on PATH."""
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} not found: {INSTALL_HINT}", pytrace=False)


def arm_library_file(name: str, *cpu_flags: str) -> Path:
    """A file of newlib's multilib for these CPU flags, as arm-none-eabi-gcc resolves it
    (`-print-file-name`); fails with the install hint when newlib is not installed."""
    require("arm-none-eabi-gcc")
    out = subprocess.run(["arm-none-eabi-gcc", *cpu_flags, f"-print-file-name={name}"],
                         capture_output=True, text=True, check=True).stdout.strip()
    path = Path(out)
    if not path.is_absolute() or not path.is_file():  # gcc echoes the bare name when not found
        pytest.fail(f"arm-none-eabi-gcc {' '.join(cpu_flags)} finds no {name} (newlib "
                    f"missing): {INSTALL_HINT}", pytrace=False)
    return path.resolve()
