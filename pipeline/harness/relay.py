"""A fault-injecting serial relay for testing the harness on a bad link.

`FaultRelay` sits between the harness and a device: the harness opens
`socket://127.0.0.1:<port>` (the relay's listening socket), the relay opens the device's own
URL (a native pty, QEMU's TCP serial port, a real board) and copies bytes both ways. Each byte,
in each direction, is independently flipped (one random bit), dropped, or followed by an
inserted junk byte (any value, 0x00 included), each with probability `rate`, from a seeded
generator per direction: the same byte stream gets the same faults. Two one-off faults:

- `cut_after`: once that many bytes have gone through, the relay closes the harness's
  connection (a cable pulled mid-run); it accepts the next one, the device side stays open.
- `reset_after`: once that many bytes have gone through, the relay writes a RESET frame to the
  device between two frames (a device reset mid-run: the watchdog, a brown-out).

`counts` says what was injected. A test tool, not a transport: no flow control, no framing.
"""

from __future__ import annotations

import contextlib
import random
import select
import socket
import threading
import time
from dataclasses import dataclass

import serial

from pipeline import protocol as P


@dataclass
class FaultCounts:
    flipped: int = 0
    dropped: int = 0
    junk: int = 0
    cuts: int = 0
    resets: int = 0
    bytes: int = 0  # through the relay, both ways, before faults

    @property
    def faults(self) -> int:
        return self.flipped + self.dropped + self.junk


class _Injector:
    """Per-byte faults of one direction, from its own seeded generator."""

    def __init__(self, rate: float, seed: int, counts: FaultCounts) -> None:
        self.rate, self.rng, self.counts = rate, random.Random(seed), counts

    def apply(self, data: bytes) -> bytes:
        if self.rate <= 0:
            return data
        out = bytearray()
        rng, rate, c = self.rng, self.rate, self.counts
        for b in data:
            r = rng.random()
            if r < rate:
                c.dropped += 1
                continue
            if r < 2 * rate:
                b ^= 1 << rng.randrange(8)
                c.flipped += 1
            out.append(b)
            if rng.random() < rate:
                out.append(rng.randrange(256))
                c.junk += 1
        return bytes(out)


class FaultRelay:
    """Relay between a harness (TCP client) and the device at `device_url`; see module doc."""

    def __init__(self, device_url: str, rate: float = 0.0, seed: int = 0,
                 cut_after: int | None = None, reset_after: int | None = None,
                 connect_timeout: float = 10.0) -> None:
        give_up = time.monotonic() + connect_timeout
        while True:  # an emulator may still be opening its socket
            try:
                self.device = serial.serial_for_url(device_url, baudrate=115200, timeout=0)
                break
            except (serial.SerialException, OSError):
                if time.monotonic() > give_up:
                    raise
                time.sleep(0.05)
        self.counts = FaultCounts()
        self.to_device = _Injector(rate, seed * 2 + 1, self.counts)
        self.to_host = _Injector(rate, seed * 2 + 2, self.counts)
        self.cut_after, self.reset_after = cut_after, reset_after
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(1)
        self.url = f"socket://127.0.0.1:{self.server.getsockname()[1]}"
        self.client: socket.socket | None = None
        self._write_lock = threading.Lock()
        self._stop = threading.Event()
        self._at_boundary = True  # the last byte written to the device ended a frame
        self._reset_pending = False
        self._threads = [threading.Thread(target=self._accept, daemon=True),
                         threading.Thread(target=self._device_to_host, daemon=True)]
        for t in self._threads:
            t.start()

    # ---- one-off faults ----------------------------------------------------------------

    def _count(self, n: int) -> None:
        self.counts.bytes += n
        total = self.counts.bytes
        if self.cut_after is not None and total >= self.cut_after:
            self.cut_after = None
            self.counts.cuts += 1
            self._drop_client()
        if self.reset_after is not None and total >= self.reset_after:
            self.reset_after = None
            self._reset_pending = True

    def _drop_client(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            with contextlib.suppress(OSError):
                client.shutdown(socket.SHUT_RDWR)
            client.close()

    def _to_device(self, data: bytes) -> None:
        with self._write_lock:
            if self._reset_pending and self._at_boundary:
                self._reset_pending = False
                self.counts.resets += 1
                self.device.write(P.encode(P.Msg.RESET, 0xFFFE))
            if data:
                self.device.write(data)
                self._at_boundary = data[-1] == 0

    # ---- copying -----------------------------------------------------------------------

    def _accept(self) -> None:
        self.server.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self.server.accept()
            except (TimeoutError, OSError):
                continue
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._drop_client()
            self.client = conn
            threading.Thread(target=self._host_to_device, args=(conn,), daemon=True).start()

    def _host_to_device(self, conn: socket.socket) -> None:
        conn.settimeout(0.1)
        while not self._stop.is_set() and self.client is conn:
            try:
                data = conn.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            if not data:
                return
            self._count(len(data))
            with contextlib.suppress(serial.SerialException, OSError):
                self._to_device(self.to_device.apply(data))

    def _device_to_host(self) -> None:
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self.device], [], [], 0.05)
                data = self.device.read(1 << 16) if ready else b""
            except (serial.SerialException, OSError):
                if self._stop.wait(0.05):
                    return
                continue
            if self._reset_pending:
                with contextlib.suppress(serial.SerialException, OSError):
                    self._to_device(b"")
            if not data:
                continue
            self._count(len(data))
            client = self.client
            if client is None:
                continue  # nobody connected: the bytes are lost, as on a pulled cable
            with contextlib.suppress(OSError):
                client.sendall(self.to_host.apply(data))

    def close(self) -> None:
        self._stop.set()
        self._drop_client()
        self.server.close()
        for t in self._threads:
            t.join(timeout=2)
        with contextlib.suppress(Exception):
            self.device.close()

    def __enter__(self) -> FaultRelay:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
