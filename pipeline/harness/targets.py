"""Emulated targets the harness starts itself and stops afterwards.

- `native`: the firmware as a host process; it prints the pseudo-terminal it serves
  (`ped native: serial on /dev/pts/N ...`), and the harness opens that path.
- `qemu-m4` / `qemu-m3`: QEMU mps2-an386 / mps2-an385 with the UART on a local TCP socket
  (`socket://127.0.0.1:PORT`) and `-icount` so time is deterministic instruction time.
Real boards are not started: pass `--port` and the harness only opens it.
"""

from __future__ import annotations

import contextlib
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.firmware_build import ICOUNT_SHIFT
from pipeline.harness.errors import PortError

QEMU_MACHINES = {"qemu-m4": ("mps2-an386", "cortex-m4"), "qemu-m3": ("mps2-an385", "cortex-m3")}


@dataclass
class RunningTarget:
    url: str
    process: subprocess.Popen | None

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def qemu_command(target: str, elf: Path, port: int) -> list[str]:
    machine, _ = QEMU_MACHINES[target]
    return ["qemu-system-arm", "-M", machine, "-nographic", "-monitor", "none",
            "-serial", f"tcp:127.0.0.1:{port},server=on,wait=on,nodelay=on",
            "-icount", f"shift={ICOUNT_SHIFT},align=off,sleep=off",
            "-semihosting-config", "enable=on,target=native", "-kernel", str(elf)]


def start(target: str, program: Path, startup_timeout: float = 15.0) -> RunningTarget:
    """Start an emulated target running `program`; returns the URL to open."""
    if not program.is_file():
        raise PortError(f"no firmware image at {program}",
                        f"build it first: `ped build --target {target}`")
    if target == "native":
        proc = subprocess.Popen([str(program)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, bufsize=1)
        deadline = time.monotonic() + startup_timeout
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                break
            found = re.search(r"serial on (\S+?);?\s", line)
            if found:
                return RunningTarget(found.group(1), proc)
        proc.kill()
        raise PortError(f"{program} did not announce its serial port",
                        "run it by hand to see why it fails to start")
    if target in QEMU_MACHINES:
        # QEMU waits (wait=on) for the first connection before it starts the CPU, so the
        # harness's own Link is that connection; Link retries the connection while QEMU is
        # still opening its socket.
        port = _free_port()
        proc = subprocess.Popen(qemu_command(target, program, port), stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        time.sleep(0.1)
        if proc.poll() is not None:
            raise PortError(f"QEMU exited at start: {proc.stderr.read().strip()}",
                            "check qemu-system-arm is installed (scripts/bootstrap.sh)")
        return RunningTarget(f"socket://127.0.0.1:{port}", proc)
    raise PortError(f"'{target}' is not an emulated target the harness can start",
                    "pass --port for a real board")


@contextlib.contextmanager
def running(target: str, program: Path) -> Iterator[RunningTarget]:
    t = start(target, program)
    try:
        yield t
    finally:
        t.stop()
