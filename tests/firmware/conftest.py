"""Shared fixtures for the firmware tests: the offline PlatformIO set-up, done once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def platformio_ready() -> Path:
    """Run scripts/setup_platformio.py (idempotent); returns the repository root."""
    subprocess.run([sys.executable, str(ROOT / "scripts" / "setup_platformio.py")], check=True,
                   capture_output=True)
    return ROOT
