"""The harness's link pieces without a device: reply timeouts sized from the expected work
and the recent round trips, and the fault relay's seeded, per-byte faults (against a local
echo socket standing in for a device)."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from pipeline import protocol as P
from pipeline.harness.link import ReplyTimer
from pipeline.harness.relay import FaultCounts, FaultRelay, _Injector


def test_timeouts_come_from_the_expected_work_then_from_round_trips():
    t = ReplyTimer(ceiling_s=5.0, byte_s=10 / 115200)
    assert t.timeout(P.Msg.INFER, None, 300) == 5.0  # nothing known: the ceiling
    # 2 ms of stage-table cost + 300 bytes at 115200 baud (26 ms), times 3, + 10 ms
    assert t.timeout(P.Msg.INFER, 0.002, 300) == pytest.approx(3 * (0.002 + 300 / 11520) + 0.01)
    for rtt in [0.004] * 9 + [0.050]:  # one slow outlier does not set the timeout
        t.observe(P.Msg.HELLO, rtt)
    assert t.timeout(P.Msg.HELLO, 0.0, 0) == pytest.approx(3 * 0.004 + 0.01)
    assert t.timeout(P.Msg.HELLO, 10.0, 0) == 5.0  # never above the ceiling


def test_injector_is_seeded_and_injects_at_the_rate():
    data = bytes(range(256)) * 400  # 102400 bytes
    a = _Injector(1e-2, 7, FaultCounts()).apply(data)
    b_counts = FaultCounts()
    b = _Injector(1e-2, 7, b_counts).apply(data)
    assert a == b and a != data
    for n in (b_counts.flipped, b_counts.dropped, b_counts.junk):
        assert 700 < n < 1350  # 1024 expected each
    assert _Injector(1e-2, 8, FaultCounts()).apply(data) != a
    assert _Injector(0.0, 7, FaultCounts()).apply(data) == data


def _echo_server() -> tuple[socket.socket, int]:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)

    def serve():
        conn, _ = srv.accept()
        with conn:
            while data := conn.recv(4096):
                conn.sendall(data)

    threading.Thread(target=serve, daemon=True).start()
    return srv, srv.getsockname()[1]


def _read_until(sock: socket.socket, n: int, seconds: float = 5.0) -> bytes:
    out, end = b"", time.monotonic() + seconds
    sock.settimeout(0.1)
    while len(out) < n and time.monotonic() < end:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        if not chunk:
            break
        out += chunk
    return out


def test_relay_cuts_once_and_injects_a_reset_between_frames():
    srv, port = _echo_server()
    with FaultRelay(f"socket://127.0.0.1:{port}", cut_after=2_000, reset_after=500) as relay:
        host, relay_port = relay.url.removeprefix("socket://").split(":")
        c = socket.create_connection((host, int(relay_port)))
        frame = P.encode(P.Msg.HELLO, 1, P.hello_payload(9))
        c.sendall(frame * 20)
        echoed = _read_until(c, 1)
        time.sleep(0.3)
        echoed += _read_until(c, 1, 1.0)
        # the echo device sends the RESET frame back: it arrived whole, between two frames
        frames = P.FrameReader().feed(echoed)
        assert any(isinstance(f, P.Packet) and f.type == P.Msg.RESET for f in frames)
        assert all(isinstance(f, P.Packet) for f in frames)
        c.sendall(frame * 200)  # past cut_after: the relay drops this connection
        time.sleep(0.3)
        with pytest.raises(OSError):
            for _ in range(50):
                c.sendall(frame * 50)
                time.sleep(0.02)
        c.close()
        assert (relay.counts.cuts, relay.counts.resets) == (1, 1)
        c2 = socket.create_connection((host, int(relay_port)))  # it accepts the next one
        c2.sendall(frame)
        assert P.FrameReader().feed(_read_until(c2, len(frame))) == \
            [P.Packet(P.Msg.HELLO, 1, P.hello_payload(9))]
        c2.close()
    srv.close()
