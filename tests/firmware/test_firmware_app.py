"""The application firmware end to end over its serial port: native (pty, SIGUSR1 brown-out)
and qemu-m4 (UART0 on stdio, battery power port on TCP). It answers the debug command
`i <deadline_us> <exit_margin> <input byte>` with stage lines and a done line."""

from __future__ import annotations

import os
import re
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import serial
from fw_golden import vectors

from pipeline.firmware_build import PIO_BUILD_DIR, TARGETS, qemu_command

CLS = vectors()["cls"]  # [stage][sample] classes per pipeline/aggregate.py


def _pio_run(root: Path, env: str) -> None:
    res = subprocess.run([sys.executable, "-m", "platformio", "run", "-e", env], cwd=root,
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]


def _read_until(read_line, pattern: str, timeout: float = 30.0) -> list[str]:
    lines, end = [], time.monotonic() + timeout
    while time.monotonic() < end:
        line = read_line()
        if line:
            lines.append(line.strip())
            if re.search(pattern, line):
                return lines
    raise AssertionError(f"no '{pattern}' within {timeout} s; got {lines}")


def _check_full_run(lines: list[str], sample: int) -> None:
    stages = [ln for ln in lines if ln.startswith("stage ")]
    assert len(stages) == 4, lines
    for k, ln in enumerate(stages):
        assert ln.startswith(f"stage {k + 1} class {CLS[k][sample]} "), ln
    assert re.match(rf"done stages 4 class {CLS[3][sample]} reason all", lines[-1]), lines


@pytest.mark.slow
def test_native_app_over_pty(platformio_ready: Path) -> None:
    _pio_run(platformio_ready, "native")
    proc = subprocess.Popen([str(PIO_BUILD_DIR / "native" / "program")],
                            stdout=subprocess.PIPE, text=True)
    try:
        banner = proc.stdout.readline()
        m = re.search(r"serial on (\S+); brown-out: kill -USR1 (\d+)", banner)
        assert m, banner
        with serial.serial_for_url(m.group(1), timeout=1) as port:
            def read_line() -> str:
                return port.readline().decode()

            _read_until(read_line, r"^ped native stages 4 classes 7 status ok")
            port.write(b"i 0 0 5\n")
            _check_full_run(_read_until(read_line, r"^done"), 5)
            port.write(b"i 60000 0 5\n")  # native stages: 40 ms CPU time, profiled
            done = _read_until(read_line, r"^done")[-1]
            assert re.match(rf"done stages 1 class {CLS[0][5]} reason admission", done), done
            os.kill(int(m.group(2)), signal.SIGUSR1)  # host brown-out command
            port.write(b"i 0 0 5\n")
            done = _read_until(read_line, r"^done")[-1]
            assert done.startswith("done stages 0 class 3 (default) reason battery"), done
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.slow
def test_qemu_app_over_uart(platformio_ready: Path) -> None:
    _pio_run(platformio_ready, "qemu-m4")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        power_port = s.getsockname()[1]
    cmd = qemu_command(TARGETS["qemu-m4"], PIO_BUILD_DIR / "qemu-m4" / "firmware.elf",
                       serial="stdio", power=f"tcp:127.0.0.1:{power_port},server=on,wait=off")
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    buf = b""

    def read_line() -> str:
        nonlocal buf
        if b"\n" not in buf:
            ready, _, _ = select.select([proc.stdout], [], [], 1.0)
            if ready:
                buf += os.read(proc.stdout.fileno(), 4096)
        if b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            return line.decode()
        return ""

    def send(text: str) -> None:
        proc.stdin.write(text.encode())
        proc.stdin.flush()

    try:
        _read_until(read_line, r"^ped qemu-m4 stages 4 classes 7 status ok")
        send("i 0 0 6\n")
        _check_full_run(_read_until(read_line, r"^done"), 6)
        send("i 12000 0 6\n")  # qemu fake stages: 4 x 2 ms; admission refuses stage 2
        done = _read_until(read_line, r"^done")[-1]
        assert re.match(rf"done stages 1 class {CLS[0][6]} reason admission", done), done
        power = socket.create_connection(("127.0.0.1", power_port), timeout=10)
        power.sendall(bytes([5]))  # host command: battery to 5 % (below the 10 % threshold)
        time.sleep(0.5)
        send("i 0 0 6\n")
        done = _read_until(read_line, r"^done")[-1]
        assert done.startswith("done stages 0 class 3 (default) reason battery"), done
        power.close()
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.slow
def test_ped_flash_native_runs_the_firmware(platformio_ready: Path) -> None:
    """`ped flash --target native` builds, checks the budget and starts the firmware, whose
    pty answers."""
    proc = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "flash", "--target", "native"],
                            cwd=platformio_ready, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        lines = _read_until(proc.stdout.readline, r"serial on /dev/pts/\d+", timeout=120)
        path = re.search(r"serial on (\S+);", lines[-1]).group(1)
        with serial.serial_for_url(path, timeout=1) as port:
            _read_until(lambda: port.readline().decode(), r"^ped native stages 4")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
