"""The MLPerf Tiny runner's side of the DUT protocol, written from its grammar (issue 14,
docs/protocol.md "EEMBC / MLPerf Tiny text mode"), for conformance tests. Not the runner's
code: only what it sends and how it reads the replies.

- sends `<cmd>%` with no newline; a command is at most 80 characters;
- reads lines ending in '\\n', ignoring '\\r' and NUL; a reply is every line up to and including
  the first one containing `m-ready`; each line must come within 5 s of the previous one
  (30 s while `infer` runs);
- parses `^m-(name)-dut-\\[([^]]+)]$`, `^m-(model|profile)-\\[([^]]+)]$`,
  `^m-results-\\[([^]]+)\\]$` and `^m-lap-us-([0-9]+)$` (first lap = start, last = end);
- uploads an input with `db load N` then `db <hex>` chunks of at most 31 bytes.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import serial

NAME_RE = re.compile(r"^m-(name)-dut-\[([^]]+)]$")
PROFILE_RE = re.compile(r"^m-(model|profile)-\[([^]]+)]$")
RESULTS_RE = re.compile(r"^m-results-\[([^]]+)\]$")
LAP_RE = re.compile(r"^m-lap-us-([0-9]+)$")
MAX_CHUNK = 31
MAX_COMMAND = 80
LINE_TIMEOUT = 5.0
INFER_TIMEOUT = 30.0


class ProtocolViolation(AssertionError):
    """The device broke the runner's grammar or timing."""


@dataclass
class Inference:
    scores: list[float]
    start_us: int
    end_us: int
    lines: list[str]

    @property
    def elapsed_us(self) -> int:
        return self.end_us - self.start_us


class RunnerSide:
    """One open port, as the runner opens it (115200 baud; a pty path or socket:// URL)."""

    def __init__(self, url: str, connect_timeout: float = 10.0):
        end = time.monotonic() + connect_timeout
        while True:  # QEMU opens its TCP socket a moment after it starts
            try:
                self.port = serial.serial_for_url(url, baudrate=115200, timeout=0.05)
                break
            except serial.SerialException:
                if time.monotonic() > end:
                    raise
                time.sleep(0.1)
        self._partial = b""
        self._lines: list[str] = []

    def close(self) -> None:
        self.port.close()

    def __enter__(self) -> RunnerSide:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def unsolicited(self, seconds: float) -> bytes:
        """Every byte that arrives in `seconds` without a command (should be none)."""
        end, got = time.monotonic() + seconds, b""
        while time.monotonic() < end:
            got += self.port.read(256)
        return got

    def _line(self, timeout: float) -> str:
        end = time.monotonic() + timeout
        while not self._lines:
            if time.monotonic() > end:
                raise ProtocolViolation(f"no line within {timeout} s (partial {self._partial!r})")
            self._partial += self.port.read(256)
            *done, self._partial = self._partial.split(b"\n")
            for raw in done:
                self._lines.append(raw.replace(b"\r", b"").replace(b"\0", b"").decode())
        return self._lines.pop(0)

    def command(self, cmd: str, timeout: float = LINE_TIMEOUT) -> list[str]:
        """Send `cmd%`; the reply's non-empty lines, `m-ready` included."""
        if len(cmd) > MAX_COMMAND:
            raise ValueError(f"the runner never sends more than {MAX_COMMAND} characters")
        self.port.write(f"{cmd}%".encode())
        return self.raw_reply(timeout)

    def raw_reply(self, timeout: float = LINE_TIMEOUT) -> list[str]:
        lines = []
        while True:
            line = self._line(timeout)
            if line:
                lines.append(line)
            if "m-ready" in line:
                return lines

    def name(self) -> str:
        found = [m.group(2) for m in map(NAME_RE.match, self.command("name")) if m]
        if len(found) != 1:
            raise ProtocolViolation("name% gave no m-name-dut-[...] line")
        return found[0]

    def profile(self) -> dict[str, str]:
        reply = self.command("profile")
        fields = {m.group(1): m.group(2) for m in map(PROFILE_RE.match, reply) if m}
        if set(fields) != {"model", "profile"}:
            raise ProtocolViolation(f"profile% gave {reply}")
        return fields

    def load(self, data: bytes) -> list[str]:
        self.command(f"db load {len(data)}")
        reply: list[str] = []
        for i in range(0, len(data), MAX_CHUNK):
            reply = self.command("db " + "".join(f"{b:02x}" for b in data[i:i + MAX_CHUNK]))
        if not any("m-load-done" in line for line in reply):
            raise ProtocolViolation(f"the last db chunk was answered {reply}, no m-load-done")
        return reply

    def infer(self, n: int, warmups: int) -> Inference:
        lines = self.command(f"infer {n} {warmups}", timeout=INFER_TIMEOUT)
        scores, laps = None, []
        for line in lines:
            if m := RESULTS_RE.match(line):
                scores = [float(v) for v in m.group(1).split(",") if v.strip()]
            elif m := LAP_RE.match(line):
                laps.append(int(m.group(1)))
        if scores is None or len(laps) < 2:
            raise ProtocolViolation(f"infer reply lacks results or two laps: {lines}")
        return Inference(scores, laps[0], laps[-1], lines)
