"""Emulated targets the harness starts itself and stops afterwards.

- `native`: the firmware as a host process; it prints the pseudo-terminal it serves
  (`ped native: serial on /dev/pts/N ...`), and the harness opens that path.
- `qemu-m4` / `qemu-m3`: QEMU mps2-an386 / mps2-an385 with the UART on a local TCP socket
  (`socket://127.0.0.1:PORT`) and `-icount` so time is deterministic instruction time.
- `pico`: the real Pico image (UF2) under rp2040js (boards/pico/emulator/run.mjs): UART0 on a
  local TCP socket, simulated time, and a second socket through which `RunningTarget.battery`
  sets the battery the emulated ADC reads (the firmware sees a real battery-low).
Real boards are not started: pass `--port` and the harness only opens it.
"""

from __future__ import annotations

import collections
import contextlib
import re
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import PedError
from pipeline.firmware_build import ICOUNT_SHIFT, TARGETS, get_target, rp2040js_command
from pipeline.harness.errors import HarnessError, PortError

QEMU_MACHINES = {n: t.qemu_machine for n, t in TARGETS.items() if t.qemu_machine}  # board.toml


@dataclass
class RunningTarget:
    url: str
    process: subprocess.Popen | None
    control_port: int = 0  # rp2040js: the battery control socket (0: none)

    @property
    def power(self):
        """`battery(permille, drain)` for a target whose battery the host drives, else None
        (then the protocol's BATTERY message drives the firmware's own energy model)."""
        return self.battery if self.control_port else None

    def battery(self, permille: int, drain: int) -> None:
        """Set the emulated battery: `permille` charge, spending `drain` permille per 10^9
        active CPU cycles from now."""
        with socket.create_connection(("127.0.0.1", self.control_port), timeout=5) as s:
            s.sendall(f"battery {int(permille)} {int(drain)}\n".encode())
            answer = s.makefile().readline().strip()
        if answer != "ok":
            raise HarnessError(f"the emulator refused the battery command: {answer}",
                               "see boards/pico/emulator/run.mjs")

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


def qemu_command(target: str, elf: Path, port: int, idle_sleep: bool = False) -> list[str]:
    """`idle_sleep`: `-icount sleep=on`, the emulator sleeps while the CPU idles (WFI) instead
    of racing its virtual clock to the next timer interrupt, which with sleep=off burns a
    host core per idle board. Instruction time while the CPU runs (stage cycles, deadlines)
    is the same either way; only idle time then passes at wall speed."""
    machine = QEMU_MACHINES[target]
    return ["qemu-system-arm", "-M", machine, "-nographic", "-monitor", "none",
            "-serial", f"tcp:127.0.0.1:{port},server=on,wait=on,nodelay=on",
            "-icount", f"shift={ICOUNT_SHIFT},align=off,sleep={'on' if idle_sleep else 'off'}",
            "-semihosting-config", "enable=on,target=native", "-kernel", str(elf)]


def start(target: str, program: Path, startup_timeout: float = 15.0,
          idle_sleep: bool = False) -> RunningTarget:
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
        proc = subprocess.Popen(qemu_command(target, program, port, idle_sleep),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        time.sleep(0.1)
        if proc.poll() is not None:
            raise PortError(f"QEMU exited at start: {proc.stderr.read().strip()}",
                            "check qemu-system-arm is installed (scripts/bootstrap.sh)")
        return RunningTarget(f"socket://127.0.0.1:{port}", proc)
    if target in TARGETS and TARGETS[target].emulator == "rp2040js":
        return _start_rp2040js(target, program, startup_timeout)
    raise PortError(f"'{target}' is not an emulated target the harness can start",
                    "pass --port for a real board")


def _start_rp2040js(target: str, program: Path, startup_timeout: float) -> RunningTarget:
    image = program.with_suffix(".uf2")
    if not image.is_file():
        raise PortError(f"no UF2 image at {image}", f"build it: `ped build --target {target}`")
    port, control = _free_port(), _free_port()
    try:
        cmd = rp2040js_command(get_target(target), image, serial=f"tcp:{port}",
                               control=f"tcp:{control}")
    except PedError as exc:
        raise PortError(exc.problem, exc.fix) from exc
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    tail: collections.deque[str] = collections.deque(maxlen=20)
    ready = threading.Event()

    def drain() -> None:  # keep the pipe empty; remember the last lines for errors
        for line in proc.stderr:
            tail.append(line.rstrip())
            if "serial on" in line:
                ready.set()

    threading.Thread(target=drain, daemon=True).start()
    deadline = time.monotonic() + startup_timeout
    while not ready.wait(0.05):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise PortError(f"the rp2040js runner did not start: {' / '.join(tail)}",
                            f"run it by hand: {' '.join(cmd)}")
    return RunningTarget(f"socket://127.0.0.1:{port}", proc, control_port=control)


@contextlib.contextmanager
def running(target: str, program: Path, idle_sleep: bool = False) -> Iterator[RunningTarget]:
    t = start(target, program, idle_sleep=idle_sleep)
    try:
        yield t
    finally:
        t.stop()
