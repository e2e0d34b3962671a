"""Request/response over a serial link: sequence numbers, sessions, retries, reset detection.

Any pyserial URL works (`/dev/ttyACM0`, `socket://127.0.0.1:4000`, a pty path): the link
uses `serial.serial_for_url`. Timeouts are measured on `time.monotonic()`. A request whose
reply does not arrive (or arrives corrupt) is re-sent with the same sequence number; the
device answers a repeated HELLO/INPUT/INFER idempotently.

Reset detection (protocol v2): the link holds a session id (1..65535) that HELLO gives the
device; the device keeps it in RAM and puts it in every reply. Once the device has taken it
(`established`), a reply with any other session means the device reset (its session is 0
after boot) or another host said HELLO: the link raises DeviceReset.
"""

from __future__ import annotations

import contextlib
import secrets
import select
import time
from collections import deque
from dataclasses import dataclass, field

import serial

from pipeline import protocol as P
from pipeline.harness.errors import DeviceRejected, DeviceReset, DeviceTimeout, PortError


@dataclass
class LinkStats:
    frames_sent: int = 0
    frames_received: int = 0
    bad_frames: int = 0
    retries: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    resets: int = 0
    naks: int = 0  # framing ERRORs (seq 0xFFFF): a request of ours arrived damaged
    incomplete: int = 0  # INFER replies with a STAGE or the DONE frame missing
    errors: dict[str, int] = field(default_factory=dict)


# Framing errors the device reports with seq 0xFFFF: a request of ours arrived damaged.
NAK_CODES = (P.ErrorCode.BAD_CRC, P.ErrorCode.BAD_FRAME, P.ErrorCode.TOO_LONG,
             P.ErrorCode.BAD_VERSION)


class ReplyTimer:
    """Per-request reply timeouts sized from what the reply should take.

    expected = device compute (the caller's estimate, from the stage table's cost) + the
    request's and reply's bytes at the link's byte time (0 for sockets and ptys). Once a
    message type has `min_seen` clean round trips (answered at the first try), the 90th
    percentile of the last `recent` counts too. timeout = factor * max(expected, p90) +
    floor_s, at most ceiling_s; with nothing known yet (no estimate, no round trip) it is
    ceiling_s. So a lost frame costs a few round trips, not a fixed number of seconds; a
    timeout that fires early costs one repeated request (every request is idempotent).
    """

    def __init__(self, ceiling_s: float, byte_s: float = 0.0, floor_s: float = 0.01,
                 factor: float = 3.0, recent: int = 32, min_seen: int = 8) -> None:
        self.ceiling_s, self.byte_s, self.floor_s, self.factor = ceiling_s, byte_s, floor_s, factor
        self.recent, self.min_seen = recent, min_seen
        self.seen: dict[int, deque[float]] = {}

    def timeout(self, msg: int, compute_s: float | None, nbytes: int) -> float:
        seen = self.seen.get(msg)
        slowest = (sorted(seen)[int(0.9 * (len(seen) - 1))]
                   if seen is not None and len(seen) >= self.min_seen else None)
        if compute_s is None and slowest is None:
            return self.ceiling_s
        expected = (compute_s or 0.0) + nbytes * self.byte_s
        return min(self.ceiling_s, self.factor * max(expected, slowest or 0.0) + self.floor_s)

    def observe(self, msg: int, seconds: float) -> None:
        self.seen.setdefault(msg, deque(maxlen=self.recent)).append(seconds)


def _byte_seconds(url: str, baudrate: int) -> float:
    """Wire time of one byte: 10 bits at the baud rate on a UART; 0 for sockets and ptys."""
    if "://" in url or url.startswith("/dev/pts/"):
        return 0.0
    return 10.0 / baudrate


class Link:
    """One serial connection to one device."""

    def __init__(self, url: str, baudrate: int = 115200, timeout: float = 2.0,
                 retries: int = 8, connect_timeout: float = 0.0,
                 session: int | None = None) -> None:
        """Open `url`; keep retrying for `connect_timeout` s (an emulator still starting).

        `session`: the id of a session the device already holds (a reconnect to a device
        that was not reset); None picks a fresh one, which the next HELLO establishes.
        """
        self.url, self.timeout, self.retries = url, timeout, retries
        self.timer = ReplyTimer(timeout, _byte_seconds(url, baudrate))
        self.session = session if session is not None else 1 + secrets.randbelow(0xFFFF)
        self.established = session is not None
        self.foreign_version: int | None = None  # a valid frame of another protocol version
        give_up = time.monotonic() + connect_timeout
        while True:
            try:
                self.port = serial.serial_for_url(url, baudrate=baudrate, timeout=0,
                                                  write_timeout=timeout)
                break
            except (serial.SerialException, OSError, ValueError) as exc:
                if time.monotonic() < give_up:
                    time.sleep(0.05)
                    continue
                raise PortError(
                    f"cannot open {url}: {exc}",
                    "check the cable and the port name (ls /dev/ttyACM* /dev/ttyUSB*), "
                    "or that the emulator is running") from exc
        self.reader = P.FrameReader()
        self.pending: list[P.Packet] = []
        self.stats = LinkStats()
        self._seq = 0

    def close(self) -> None:
        # closing a vanished port must not hide the original error
        with contextlib.suppress(Exception):
            self.port.close()

    def __enter__(self) -> Link:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def next_seq(self) -> int:
        self._seq = (self._seq + 1) % 0xFFFF  # 0xFFFF is reserved for unsolicited INFO
        return self._seq

    def send(self, msg: int, seq: int, payload: bytes = b"", before: bytes = b"") -> None:
        """Write one frame (after the already-encoded frames `before`, in the same write)."""
        frame = before + P.encode(msg, seq, payload, self.session)
        try:
            self.port.write(frame)
        except (serial.SerialException, OSError) as exc:
            raise PortError(f"writing to {self.url} failed: {exc}",
                            "the board was unplugged or the emulator exited") from exc
        self.stats.frames_sent += 1
        self.stats.bytes_sent += len(frame)

    def _read_some(self, wait: float = 0.005) -> None:
        """Wait up to `wait` s for bytes, then take every byte there is (the port is
        non-blocking: timeout 0; select() does the waiting, so no byte-at-a-time reads)."""
        try:
            ready, _, _ = select.select([self.port], [], [], max(0.0, wait))
            data = self.port.read(1 << 16) if ready else b""
        except (serial.SerialException, OSError) as exc:
            raise PortError(f"reading from {self.url} failed: {exc}",
                            "the board was unplugged or the emulator exited") from exc
        self.stats.bytes_received += len(data)
        for item in self.reader.feed(data):
            if isinstance(item, P.FrameError):
                self.stats.bad_frames += 1
                if item.version is not None:
                    self.foreign_version = item.version
            else:
                self.stats.frames_received += 1
                self.pending.append(item)

    def receive(self, seq: int, until: int, deadline: float,
                sink: list[P.Packet] | None = None,
                also: set[int] | None = None) -> list[P.Packet]:
        """Packets answering `seq` up to and including one of type `until`, or [] on timeout;
        `sink` also gets every packet answering `seq`, whether the reply completes or not,
        and those answering the seqs in `also` (requests sent ahead, not waited for).
        A NAK (framing ERROR, seq 0xFFFF) is returned alone, as [nak].

        Once the session is established, any packet of another session means the device
        reset: raises DeviceReset (whatever its seq: the device sends in order, so nothing
        of the old session can follow a packet of the new one).
        """
        got: list[P.Packet] = []
        while time.monotonic() < deadline:
            self._read_some(min(0.01, deadline - time.monotonic()))
            while self.pending:
                pk = self.pending.pop(0)
                if self.established and pk.session != self.session:
                    self.stats.resets += 1
                    self.pending.clear()
                    raise DeviceReset(pk.session)
                if pk.seq == P.SEQ_UNSOLICITED and pk.type == P.Msg.ERROR and \
                        P.parse(pk).code in NAK_CODES:
                    self.stats.naks += 1
                    return [pk]  # a damaged request: the caller sends it again at once
                if pk.seq != seq:
                    if also and pk.seq in also and sink is not None:
                        sink.append(pk)
                    continue  # else a late reply to an earlier, retried request
                got.append(pk)
                if sink is not None:
                    sink.append(pk)
                if pk.type == P.Msg.ERROR:
                    err = P.parse(pk)
                    if err.code != P.ErrorCode.NONE:
                        name = getattr(err.code, "name", str(err.code))
                        self.stats.errors[name] = self.stats.errors.get(name, 0) + 1
                        return got
                if pk.type == until or pk.type == P.Msg.ERROR:
                    return got
        return []

    def request(self, msg: int, payload: bytes = b"", until: int = P.Msg.ERROR,
                timeout: float | None = None, compute_s: float | None = None,
                reply_bytes: int = 32) -> list[P.Packet]:
        """Send and wait for the reply ending in `until`; retry on silence or corruption.

        The wait per try is `timeout` if given, else the ReplyTimer's, from `compute_s` (the
        device's expected work) and the request's and `reply_bytes` of reply on the wire.
        A NAK (the device's framing ERROR with seq 0xFFFF) re-sends at once and does not
        count as a try unless it repeats.
        """
        seq = self.next_seq()
        frame_bytes = len(payload) + 16
        wait = timeout if timeout is not None else \
            self.timer.timeout(msg, compute_s, frame_bytes + reply_bytes)
        naks = 0
        attempt = 0
        while attempt <= self.retries:
            t0 = time.monotonic()
            self.send(msg, seq, payload)
            got = self.receive(seq, until, t0 + wait)
            if got and got[-1].seq != seq:  # NAK: our request arrived damaged
                naks += 1
                if naks % 4 == 0:
                    attempt += 1
                self.stats.retries += 1
                continue
            if not got:
                attempt += 1
                self.stats.retries += 1
                wait = min(self.timer.ceiling_s, 2 * wait)  # silence: wait longer next time
                continue
            last = got[-1]
            if last.type == P.Msg.ERROR:
                err = P.parse(last)
                if err.code in NAK_CODES:
                    # our frame was corrupted on the way (this reply is of our version, so a
                    # BAD_VERSION too): send it again
                    attempt += 1
                    self.stats.retries += 1
                    continue
                if err.code != P.ErrorCode.NONE and until != P.Msg.ERROR:
                    raise DeviceRejected(
                        f"device refused {P.Msg(msg).name}: {getattr(err.code, 'name', err.code)}"
                        f" (detail {err.detail})", "see docs/protocol.md for the error codes")
            if attempt == 0 and naks == 0:
                self.timer.observe(msg, time.monotonic() - t0)
            return got
        if self.foreign_version is not None:
            raise DeviceRejected(
                f"the device at {self.url} speaks serial protocol v{self.foreign_version}; this "
                f"harness speaks v{P.VERSION}",
                "flash firmware built from this checkout (`ped flash`), or use the matching ped")
        raise DeviceTimeout(
            f"no valid reply to {P.Msg(msg).name} from {self.url} within {wait:.3f} s "
            f"({self.retries + 1} tries)",
            "check that the board runs ped firmware at this baud rate and is not busy; "
            "reset it, or raise --timeout for very slow targets")
