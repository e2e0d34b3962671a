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
    """A reply carried another session than the one HELLO established: the device reset (its
    session is 0 after boot) or another host took it over."""

    def __init__(self, session: int) -> None:
        super().__init__(f"the device reset during the exchange (its session is now {session})",
                         "the harness says HELLO again and re-sends")
        self.session = session


class BundleMismatch(HarnessError):
    """The models on the device are not the run directory's."""


class DeviceRejected(HarnessError):
    """The device answered ERROR to a request."""
