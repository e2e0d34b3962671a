"""The firmware application end to end over its serial port, driven by the HIL harness:
binary protocol (docs/protocol.md) and the EEMBC text mode, on native (pty), qemu-m4
(UART on a TCP socket, -icount) and the Pico image under rp2040js (UART0 on a TCP socket,
battery through the emulated ADC). The demo model's stages emit the golden int8 logits of
tests/firmware/fw_golden.py, so every int32 score is checked against pipeline/aggregate.py."""

from __future__ import annotations

import random
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from fw_golden import vectors

from pipeline import protocol as P
from pipeline.aggregate import AggregationPlan
from pipeline.firmware_build import PIO_BUILD_DIR
from pipeline.harness import targets
from pipeline.harness.device import Device
from pipeline.harness.errors import DeviceRejected, DeviceReset, PortError
from pipeline.harness.hil import with_resets
from pipeline.harness.link import Link
from pipeline.probability import format_milli, probabilities_milli

V = vectors()
PROGRAM = {"native": "program", "qemu-m4": "firmware.elf", "pico": "firmware.elf"}
# a deadline that admits stage 1 but not stage 2 (fake stages: native 40 ms CPU, qemu 8 ms,
# pico 1 ms)
ONE_STAGE_DEADLINE_US = {"native": 60_000, "qemu-m4": 12_000, "pico": 1_500}
POWER = {}  # target -> host-driven battery(permille, drain), where the target has one


def set_battery(target, dev, permille):
    """The firmware's own energy model (BATTERY message), or the Pico's ADC input."""
    if POWER.get(target):
        POWER[target](permille, 0)
        time.sleep(0.05)  # idle time passes at wall speed: the ADC samples every 250 µs
    else:
        dev.battery(permille)


@pytest.fixture(scope="module", params=["native", "qemu-m4", "pico"])
def device(request, platformio_ready: Path):
    target = request.param
    res = subprocess.run([sys.executable, "-m", "platformio", "run", "-e", target],
                         cwd=platformio_ready, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout[-3000:]
    with targets.running(target, PIO_BUILD_DIR / target / PROGRAM[target]) as t, \
            Link(t.url, timeout=5, connect_timeout=10) as link:
        time.sleep(0.5)  # long enough for any boot output to arrive
        boot_output = link.port.read(4096)
        dev = Device(link)
        with_resets(dev, dev.hello, lambda _: None)
        POWER[target] = t.power
        yield target, dev, boot_output


@pytest.mark.slow
def test_the_device_says_nothing_until_spoken_to(device):
    # a standard benchmark runner that opens the port must see no byte before its first reply
    _, _, boot_output = device
    assert boot_output == b""


@pytest.mark.slow
def test_info_describes_the_model(device):
    target, dev, _ = device
    info = dev.hello()
    assert (info.proto, info.n_stages, info.n_classes, info.input_len) == (2, 4, 7, 1)
    assert info.board == target and info.arena_bytes == 64


@pytest.mark.slow
def test_every_stage_score_equals_the_python_aggregation(device):
    _, dev, _ = device
    for sample in range(len(V["cls"][0])):
        dev.upload(np.array([sample], np.int8))
        inf = dev.infer()
        assert inf.done.reason == P.StopReason.ALL and inf.done.stages == 4
        assert len(inf.stages) == 4  # one STAGE result per completed stage, none lost
        for k, st in enumerate(inf.stages):
            assert st.stage == k + 1
            assert list(st.scores) == V["acc"][k][sample].tolist()
            assert st.cls == V["cls"][k][sample] and st.margin == V["margin"][k][sample]
        assert inf.done.cls == V["cls"][3][sample]


@pytest.mark.slow
def test_deadline_admission_threshold_and_battery(device):
    target, dev, _ = device
    dev.upload(np.array([5], np.int8))
    inf = dev.infer(deadline_us=ONE_STAGE_DEADLINE_US[target])
    assert (inf.done.stages, inf.done.reason) == (1, P.StopReason.ADMISSION)
    assert [st.stage for st in inf.stages] == [1]
    inf = dev.infer(max_stages=2)
    assert (inf.done.stages, inf.done.reason) == (2, P.StopReason.ALL)
    assert [st.stage for st in inf.stages] == [1, 2]
    margin1 = int(V["margin"][0][5])
    inf = dev.infer(threshold=max(1, margin1))
    assert (inf.done.stages, inf.done.reason) == (1, P.StopReason.CONFIDENT)
    assert [st.stage for st in inf.stages] == [1]
    set_battery(target, dev, 50)  # below the brown-out threshold
    inf = dev.infer()
    assert (inf.done.stages, inf.done.reason, inf.done.cls) == (0, P.StopReason.BATTERY, 3)
    assert inf.stages == ()  # stage 0: no STAGE result, the default answer
    set_battery(target, dev, 1000)
    inf = dev.infer()
    assert inf.done.stages == 4 and [st.stage for st in inf.stages] == [1, 2, 3, 4]


@pytest.mark.slow
def test_bad_frames_are_answered_and_the_device_resynchronises(device):
    _, dev, _ = device
    link, rng = dev.link, random.Random(7)
    frame = bytearray(P.encode(P.Msg.HELLO, 123))
    frame[3] ^= 0x10  # flipped bit
    garbage = bytes(rng.randrange(1, 32) for _ in range(300))  # binary-looking noise
    link.port.write(bytes(frame) + b"\x01\x02\x03\x00" + garbage + b"\x00" +
                    P.encode(P.Msg.HELLO, 124)[:-6] + b"\x00")  # truncated
    time.sleep(1.0)
    errors = [P.parse(p).code for p in link.reader.feed(link.port.read(4096))
              if isinstance(p, P.Packet) and p.type == P.Msg.ERROR]
    assert P.ErrorCode.BAD_CRC in errors or P.ErrorCode.BAD_FRAME in errors
    assert P.ErrorCode.TOO_LONG in errors
    assert dev.hello().n_stages == 4  # still answering


@pytest.mark.slow
def test_eembc_text_mode(device):
    target, dev, _ = device
    port = dev.link.port
    time.sleep(0.3)
    port.reset_input_buffer()  # late binary replies of earlier tests

    def ask(cmd: str) -> list[str]:
        port.write(cmd.encode())
        out, end = b"", time.monotonic() + 10
        while not out.endswith(b"m-ready\r\n") and time.monotonic() < end:
            out += port.read(256)
        return out.decode().split("\r\n")[:-1]

    assert ask("name%") == [f"m-name-dut-[{target}]", "m-ready"]
    assert ask("profile%")[1:] == ["m-model-[ped_demo]", "m-ready"]
    assert ask("db load 1%") == ["m-[Expecting 1 bytes]", "m-ready"]
    assert ask("db 06%") == ["m-load-done", "m-ready"]
    assert ask("db print%")[0] == "m-buffer-06"
    lines = ask("infer 2 1%")
    assert lines[:3] == ["m-warmup-start-1", "m-warmup-done", "m-infer-start-2"]
    t0, t1 = (int(v.removeprefix("m-lap-us-")) for v in lines[3:5])
    assert lines[3].startswith("m-lap-us-") and lines[4].startswith("m-lap-us-") and t1 > t0
    assert lines[5] == "m-infer-done"
    plan = V["plan"]
    assert isinstance(plan, AggregationPlan)
    # the C arithmetic (probability.c) against its Python model on the golden accumulator
    p = probabilities_milli(V["acc"][3][6], *plan.probability_scale())
    assert lines[6] == f"m-results-[{','.join(format_milli(int(v)) for v in p)}]"
    assert ask("results%") == [lines[6], "m-ready"]
    assert ask("bogus%")[0].startswith("e-[")
    assert dev.hello().n_stages == 4  # binary mode still works after text


@pytest.mark.slow
def test_reset_is_detected_and_the_link_survives(device):
    _, dev, _ = device
    dev.upload(np.array([3], np.int8))
    dev.link.send(P.Msg.RESET, 999)  # answered ERROR(NONE) in the old session, then silence
    assert dev.link.receive(999, P.Msg.ERROR, time.monotonic() + 5)[-1].session == \
        dev.link.session
    with pytest.raises(DeviceReset) as err:  # the next reply carries session 0
        dev.infer()
    assert err.value.session == P.SESSION_NONE
    assert dev.hello().n_stages == 4
    with pytest.raises(DeviceRejected, match="INPUT_INCOMPLETE"):  # RAM really was cleared
        dev.infer()


@pytest.mark.slow
def test_requests_of_another_session_are_refused(device):
    _, dev, _ = device
    link = dev.link
    seq = link.next_seq()
    link.port.write(P.encode(P.Msg.INPUT, seq, P.input_payload(0, b"\x01"),
                             session=link.session ^ 0x5A5A))
    (reply,) = link.receive(seq, P.Msg.ACK, time.monotonic() + 5)
    err = P.parse(reply)
    assert (reply.session, err.code, err.detail) == \
        (link.session, P.ErrorCode.SESSION, link.session)
    seq = link.next_seq()
    link.port.write(P.encode(P.Msg.HELLO, seq, b"\x00\x00"))  # session 0 is not a session
    assert P.parse(link.receive(seq, P.Msg.INFO, time.monotonic() + 5)[-1]).code == \
        P.ErrorCode.BAD_PAYLOAD
    assert dev.hello().n_stages == 4


def test_unplugged_port_is_a_clear_error_in_bounded_time():
    t0 = time.monotonic()
    with pytest.raises(PortError, match="cannot open /dev/ttyACM_missing") as err:
        Link("/dev/ttyACM_missing", connect_timeout=0.5)
    assert time.monotonic() - t0 < 5 and "port name" in err.value.fix
