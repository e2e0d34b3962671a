"""Serial protocol, host side: framing, messages and a byte-stream reader (docs/protocol.md).

The device side is `firmware/src/protocol.c`; tests feed frames from one to the other.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

from cobs import cobs

VERSION = 2
MAX_PAYLOAD = 256
HEADER = struct.Struct("<BBHHH")  # ver, type, seq, session, len
MAX_PACKET = HEADER.size + MAX_PAYLOAD + 4
MAX_FRAME = MAX_PACKET + MAX_PACKET // 254 + 2
SEQ_UNSOLICITED = 0xFFFF
SESSION_NONE = 0  # a device that no HELLO reached since its last reset
INPUT_CHUNK = 248  # payload bytes of input per INPUT frame (offset takes 4 more)


PROTOCOL_H = Path(__file__).resolve().parents[1] / "firmware" / "include" / "ped" / "protocol.h"


def _c_table(macro: str) -> dict[str, int]:
    """Name -> value from one X-macro table of protocol.h (the single source of both sides)."""
    text = PROTOCOL_H.read_text()
    m = re.search(rf"#define {macro}\(X\)((?:.*\\\n)*.*)", text)
    if not m:
        raise RuntimeError(f"{PROTOCOL_H} has no {macro}")
    body = m.group(1).replace("\\\n", " ")
    return {name: int(v, 0) for name, v in re.findall(r"X\((\w+),\s*(\w+)\)", body)}


Msg = IntEnum("Msg", _c_table("PED_MSG_TABLE"))  # HELLO, INPUT, ..., TRIAL
ErrorCode = IntEnum("ErrorCode", _c_table("PED_ERR_TABLE"))  # NONE, BAD_CRC, ...


class StopReason(IntEnum):
    ALL = 0
    DEADLINE = 1
    BATTERY = 2
    CONFIDENT = 3
    ADMISSION = 4
    MAX_STAGES = 5


@dataclass(frozen=True)
class Packet:
    type: int
    seq: int
    payload: bytes
    session: int = 0  # requests: the host's session; replies: the device's


@dataclass(frozen=True)
class FrameError:
    """A frame that arrived but did not decode; `reason` is an ErrorCode."""

    reason: ErrorCode
    raw: bytes
    version: int | None = None  # the version byte, when reason is BAD_VERSION


def encode(msg_type: int, seq: int, payload: bytes = b"", session: int = 0) -> bytes:
    """One frame: COBS(header + payload + crc32) + 0x00."""
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD}")
    body = HEADER.pack(VERSION, msg_type, seq & 0xFFFF, session & 0xFFFF, len(payload)) + payload
    return cobs.encode(body + struct.pack("<I", zlib.crc32(body))) + b"\x00"


def decode_frame(raw: bytes) -> Packet | FrameError:
    """Decode one frame's bytes (without the 0x00 delimiter)."""
    if len(raw) > MAX_FRAME:
        return FrameError(ErrorCode.TOO_LONG, raw)
    try:
        packet = cobs.decode(raw)
    except cobs.DecodeError:
        return FrameError(ErrorCode.BAD_FRAME, raw)
    # the CRC trails every version's packet, so it is checked before the layout is read
    if len(packet) < 1 + 4:
        return FrameError(ErrorCode.BAD_FRAME, raw)
    body, crc = packet[:-4], struct.unpack_from("<I", packet, len(packet) - 4)[0]
    if zlib.crc32(body) != crc:
        return FrameError(ErrorCode.BAD_CRC, raw)
    if packet[0] != VERSION:
        return FrameError(ErrorCode.BAD_VERSION, raw, packet[0])
    if len(body) < HEADER.size:
        return FrameError(ErrorCode.BAD_FRAME, raw)
    _, msg_type, seq, session, length = HEADER.unpack_from(body)
    if len(body) != HEADER.size + length:
        return FrameError(ErrorCode.BAD_FRAME, raw)
    return Packet(msg_type, seq, bytes(body[HEADER.size:]), session)


class FrameReader:
    """Accumulates serial bytes and yields complete frames as Packets or FrameErrors."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self.noise_bytes = 0  # bytes dropped because a frame outgrew MAX_FRAME

    def feed(self, data: bytes) -> list[Packet | FrameError]:
        out: list[Packet | FrameError] = []
        for b in data:
            if b == 0:
                if self._buf:
                    out.append(decode_frame(bytes(self._buf)))
                    self._buf.clear()
            elif len(self._buf) <= MAX_FRAME:
                self._buf.append(b)
            else:
                self.noise_bytes += 1
        return out


# ---- payloads -------------------------------------------------------------------------

@dataclass(frozen=True)
class Info:
    proto: int
    n_stages: int
    n_classes: int
    input_len: int
    input_zero_point: int
    input_scale: float
    clock_hz: int
    arena_bytes: int
    flash_bytes: int
    bundle_hash: str
    board: str
    build: str

    _FIXED = struct.Struct("<BBHIifIII32s")

    @classmethod
    def parse(cls, p: bytes) -> Info:
        fixed = cls._FIXED.unpack_from(p)
        pos = cls._FIXED.size
        board_len = p[pos]
        board = p[pos + 1:pos + 1 + board_len].decode(errors="replace")
        pos += 1 + board_len
        build_len = p[pos]
        build = p[pos + 1:pos + 1 + build_len].decode(errors="replace")
        return cls(*fixed[:9], fixed[9].hex(), board, build)


@dataclass(frozen=True)
class Stage:
    stage: int
    cls: int
    margin: int
    cycles: int
    scores: tuple[int, ...]

    @classmethod
    def parse(cls, p: bytes) -> Stage:
        stage, klass, margin, cycles, n = struct.unpack_from("<BHiIH", p)
        scores = struct.unpack_from(f"<{n}i", p, 13)
        return cls(stage, klass, margin, cycles, scores)


@dataclass(frozen=True)
class Done:
    stages: int
    reason: StopReason
    cls: int
    margin: int
    cycles: int

    @classmethod
    def parse(cls, p: bytes) -> Done:
        stages, reason, klass, margin, cycles = struct.unpack_from("<BBHiI", p)
        return cls(stages, StopReason(reason), klass, margin, cycles)


@dataclass(frozen=True)
class Ack:
    offset: int
    total: int

    @classmethod
    def parse(cls, p: bytes) -> Ack:
        return cls(*struct.unpack_from("<II", p))


@dataclass(frozen=True)
class DeviceError:
    code: ErrorCode
    detail: int

    @classmethod
    def parse(cls, p: bytes) -> DeviceError:
        code, detail = struct.unpack_from("<BH", p)
        return cls(ErrorCode(code) if code in ErrorCode._value2member_map_ else code, detail)


class RecordKind(IntEnum):
    WINDOW = 0
    OVERFLOW = 1
    END = 2


@dataclass(frozen=True)
class TrialRecord:
    """One TRIAL record: a window's answer, an overflow (count records dropped) or the end."""

    seq: int
    kind: RecordKind
    t_us: int
    window: int
    stage: int
    cls: int
    margin: int
    reason: int
    battery: int
    cycles: int
    count: int

    _FMT = struct.Struct("<IBIIIBHiBHII")

    @classmethod
    def parse(cls, p: bytes) -> TrialRecord:
        seq, kind, t_lo, t_hi, window, stage, klass, margin, reason, battery, cycles, count = \
            cls._FMT.unpack_from(p)
        return cls(seq, RecordKind(kind), t_lo | (t_hi << 32), window, stage, klass, margin,
                   reason, battery, cycles, count)


PARSERS = {Msg.TRIAL: TrialRecord.parse, Msg.INFO: Info.parse, Msg.STAGE: Stage.parse,
           Msg.DONE: Done.parse, Msg.ACK: Ack.parse, Msg.ERROR: DeviceError.parse}


def parse(packet: Packet):
    """The typed message a device packet carries."""
    return PARSERS[Msg(packet.type)](packet.payload)


def hello_payload(session: int) -> bytes:
    """HELLO: the host's session id (1..0xFFFF), which the device echoes in every reply."""
    if not 0 < session <= 0xFFFF:
        raise ValueError(f"session {session} must be in 1..65535")
    return struct.pack("<H", session)


def input_payload(offset: int, chunk: bytes) -> bytes:
    return struct.pack("<I", offset) + chunk


def infer_payload(deadline_us: int = 0, max_stages: int = 0, threshold: int = -1) -> bytes:
    return struct.pack("<IBi", deadline_us, max_stages, threshold)


def battery_payload(level_permille: int) -> bytes:
    return struct.pack("<H", level_permille)


WINDOW_CHUNK = MAX_PAYLOAD - 8  # window bytes per WINDOW frame (index and offset take 8)


def trial_start_payload(next_seq: int, period_us: int, deadline_us: int = 0,
                        threshold: int = -1, sensor: bool = False) -> bytes:
    return struct.pack("<IIIiB", next_seq, period_us, deadline_us, threshold, int(sensor))


def window_payload(window: int, offset: int, chunk: bytes) -> bytes:
    return struct.pack("<II", window, offset) + chunk


def trial_ack_payload(next_seq: int, resend: int = 8) -> bytes:
    return struct.pack("<IB", next_seq, resend)
