"""Serial framing: the C receiver (firmware/src/protocol.c) and the Python codec agree, and
bad frames (flipped bits, truncation, oversize, garbage) never yield a packet or a hang."""

from __future__ import annotations

import ctypes
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import protocol as P

ROOT = Path(__file__).resolve().parents[1]


class CPacket(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint8), ("type", ctypes.c_uint8), ("seq", ctypes.c_uint16),
                ("session", ctypes.c_uint16), ("len", ctypes.c_uint16),
                ("payload", ctypes.c_uint8 * P.MAX_PAYLOAD)]


@pytest.fixture(scope="module")
def lib(tmp_path_factory):
    so = tmp_path_factory.mktemp("proto") / "libproto.so"
    subprocess.run(["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-O1", "-shared", "-fPIC",
                    "-I", str(ROOT / "firmware/include"),
                    str(ROOT / "firmware/src/protocol.c"), "-o", str(so)], check=True)
    return ctypes.CDLL(str(so))


class Receiver:
    """Drives ped_rx_feed byte by byte, collecting packets and errors."""

    def __init__(self, lib):
        self.lib = lib
        self.rx = ctypes.create_string_buffer(1024)
        lib.ped_rx_init(self.rx)

    def feed(self, data: bytes):
        out = []
        pkt, err, seq = CPacket(), ctypes.c_int(0), ctypes.c_uint16(0)
        for b in data:
            r = self.lib.ped_rx_feed(self.rx, ctypes.c_uint8(b), ctypes.byref(pkt),
                                     ctypes.byref(err), ctypes.byref(seq))
            if r == 1:
                out.append(P.Packet(pkt.type, pkt.seq, bytes(pkt.payload[:pkt.len]), pkt.session))
            elif r == 2:
                out.append(P.ErrorCode(err.value))
        return out


@settings(max_examples=200, deadline=None)
@given(msg=st.integers(0, 255), seq=st.integers(0, 0xFFFF), session=st.integers(0, 0xFFFF),
       payload=st.binary(max_size=P.MAX_PAYLOAD))
def test_python_frames_decode_in_c(lib, msg, seq, session, payload):
    assert Receiver(lib).feed(P.encode(msg, seq, payload, session)) == \
        [P.Packet(msg, seq, payload, session)]


@settings(max_examples=200, deadline=None)
@given(msg=st.integers(0, 255), seq=st.integers(0, 0xFFFF), session=st.integers(0, 0xFFFF),
       payload=st.binary(max_size=P.MAX_PAYLOAD))
def test_c_frames_decode_in_python(lib, msg, seq, session, payload):
    out = ctypes.create_string_buffer(P.MAX_FRAME + 8)
    n = lib.ped_frame_encode(ctypes.c_uint8(msg), ctypes.c_uint16(seq), ctypes.c_uint16(session),
                             payload, ctypes.c_uint16(len(payload)), out,
                             ctypes.c_size_t(len(out)))
    frame = out.raw[:n]
    assert frame.endswith(b"\x00") and b"\x00" not in frame[:-1]
    assert P.FrameReader().feed(frame) == [P.Packet(msg, seq, payload, session)]


def test_another_version_is_named_not_taken_for_corruption(lib):
    import struct
    import zlib

    from cobs import cobs

    v1 = struct.pack("<BBHH", 1, P.Msg.HELLO, 9, 0)  # a protocol-v1 header: no session
    frame = cobs.encode(v1 + struct.pack("<I", zlib.crc32(v1))) + b"\x00"
    assert Receiver(lib).feed(frame) == [P.ErrorCode.BAD_VERSION]
    (err,) = P.FrameReader().feed(frame)
    assert (err.reason, err.version) == (P.ErrorCode.BAD_VERSION, 1)
    bad = bytearray(P.encode(P.Msg.HELLO, 9))
    bad[1] ^= 0x03  # the version byte (after the COBS code) flipped: a CRC error, not v1/v3
    assert Receiver(lib).feed(bytes(bad)) == [P.ErrorCode.BAD_CRC]


def test_crc_matches_zlib(lib):
    import zlib

    lib.ped_crc32.restype = ctypes.c_uint32
    data = bytes(range(256)) * 3
    assert lib.ped_crc32(ctypes.c_uint32(0), data, ctypes.c_size_t(len(data))) == zlib.crc32(data)


@settings(max_examples=300, deadline=None)
@given(payload=st.binary(min_size=1, max_size=64), bit=st.integers(0, 10_000))
def test_flipped_bit_never_yields_a_packet(lib, payload, bit):
    frame = bytearray(P.encode(P.Msg.INPUT, 7, payload))
    pos = bit % ((len(frame) - 1) * 8)
    frame[pos // 8] ^= 1 << (pos % 8)
    results = Receiver(lib).feed(bytes(frame) + b"\x00")
    assert results and all(isinstance(r, P.ErrorCode) for r in results)
    assert all(isinstance(r, P.FrameError) for r in P.FrameReader().feed(bytes(frame)))


def test_truncated_oversized_and_garbage_then_resync(lib):
    rx = Receiver(lib)
    good = P.encode(P.Msg.HELLO, 1)
    (truncated,) = rx.feed(good[:-4] + b"\x00")
    assert truncated in (P.ErrorCode.BAD_CRC, P.ErrorCode.BAD_FRAME)
    assert rx.feed(b"\x05" * 5000 + b"\x00") == [P.ErrorCode.TOO_LONG]
    garbage = bytes((i * 37 + 11) % 255 + 1 for i in range(200))
    assert all(isinstance(r, P.ErrorCode) for r in rx.feed(garbage + b"\x00"))
    assert rx.feed(good) == [P.Packet(P.Msg.HELLO, 1, b"")]  # resynchronised
    assert rx.feed(b"\x00\x00\x00") == []  # empty frames are ignored


def test_error_names_come_from_one_table(lib):
    lib.ped_proto_err_name.restype = ctypes.c_char_p
    for code in P.ErrorCode:
        assert lib.ped_proto_err_name(code.value).decode() == code.name


def test_message_payloads_round_trip():
    import struct

    stage = struct.pack("<BHiIH", 2, 3, 77, 1234, 3) + struct.pack("<3i", -5, 9, 100)
    assert P.Stage.parse(stage) == P.Stage(2, 3, 77, 1234, (-5, 9, 100))
    done = struct.pack("<BBHiI", 1, 1, 4, 5, 999)
    assert P.Done.parse(done) == P.Done(1, P.StopReason.DEADLINE, 4, 5, 999)
