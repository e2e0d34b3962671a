"""PlatformIO platform class for the offline ped targets (all work is in builder/main.py)."""

from platformio.public import PlatformBase


class PedPlatform(PlatformBase):
    """No packages to install: the toolchains come from the system (scripts/bootstrap.sh)."""
