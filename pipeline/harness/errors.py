"""The harness's error hierarchy: every one is a PedError with a fix."""

from __future__ import annotations

from pipeline.errors import PedError


class HarnessError(PedError):
    """Base class of everything that can go wrong talking to a device."""


class PortError(HarnessError):
    """The port could not be opened or vanished (unplugged board, dead emulator)."""


class DeviceTimeout(HarnessError):
    """Nothing (valid) answered within the timeout, after every retry."""


class DeviceReset(HarnessError):
    """The device announced itself (INFO with seq 0xFFFF) in the middle of an exchange."""

    def __init__(self, info) -> None:
        super().__init__("the device reset during the exchange", "the harness re-sends")
        self.info = info


class BundleMismatch(HarnessError):
    """The models on the device are not the run directory's."""


class DeviceRejected(HarnessError):
    """The device answered ERROR to a request."""
