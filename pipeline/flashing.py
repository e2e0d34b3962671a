"""Putting an image on real hardware (`ped flash` on a real board) and finding boards
(`ped devices`).

- Raspberry Pi Pico: copy the UF2 to the RPI-RP2 drive the bootrom mounts while BOOTSEL is
  held at power-up (found among mounted volumes by its INFO_UF2.TXT, or given with --port),
  or with a debug probe (`--probe pyocd|openocd`).
- nRF52840 (Nano 33 BLE) and STM32L476 (Nucleo): a debug probe through pyocd or openocd
  (the Nucleo's on-board ST-LINK is one).
After flashing: `ped hil|trial --target BOARD --port /dev/ttyACM0`.

Nothing here is run in CI (no hardware): the UF2 drive is detected from files a test can fake,
and the probe commands are built by `probe_command`, which a test checks.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import PedError

# pyocd target names and openocd target scripts (openocd 0.12: tcl/target/*.cfg)
PROBE_TARGETS = {
    "pico": ("rp2040", "target/rp2040.cfg"),
    "nano33ble": ("nrf52840", "target/nrf52.cfg"),
    "nucleo-l476rg": ("stm32l476rg", "target/stm32l4x.cfg"),
}
OPENOCD_INTERFACE = {"pico": "interface/cmsis-dap.cfg", "nano33ble": "interface/cmsis-dap.cfg",
                     "nucleo-l476rg": "interface/stlink.cfg"}
MOUNT_ROOTS = ("/media", "/run/media", "/mnt", "/Volumes")

# USB VID:PID of boards and probes, and what each one looks like
USB_IDS = {
    (0x2E8A, 0x0003): "pico (RP2040 bootrom, BOOTSEL: the RPI-RP2 drive)",
    (0x2E8A, 0x000A): "pico (pico-sdk USB serial)",
    (0x2E8A, 0x000C): "Raspberry Pi Debug Probe (CMSIS-DAP; UART on GP0/GP1 for pico)",
    (0x2341, 0x805A): "nano33ble (Arduino Nano 33 BLE, Arduino firmware)",
    (0x2341, 0x005A): "nano33ble (Arduino Nano 33 BLE bootloader)",
    (0x0483, 0x374B): "nucleo-l476rg (ST-LINK/V2-1 virtual COM port)",
    (0x0483, 0x374E): "ST-LINK/V3 (Nucleo)",
    (0x303A, 0x1001): "esp32s3 (USB serial/JTAG)",
    (0x10C4, 0xEA60): "USB-serial adapter (CP210x): a UART board such as nano33ble on D0/D1",
    (0x0403, 0x6001): "USB-serial adapter (FTDI): a UART board such as nano33ble on D0/D1",
}


def find_uf2_drive(given: str | None = None, roots: tuple[str, ...] = MOUNT_ROOTS) -> Path:
    """The mounted RPI-RP2 drive: `given` if it is one, else the only one under `roots`."""
    def is_rp2(p: Path) -> bool:
        info = p / "INFO_UF2.TXT"
        return info.is_file() and "RPI-RP2" in info.read_text(errors="replace")

    if given:
        path = Path(given)
        if is_rp2(path):
            return path
        raise PedError(f"{given} is not a mounted RPI-RP2 drive (no INFO_UF2.TXT naming RPI-RP2)",
                       "hold BOOTSEL while plugging the Pico in, then pass its mount point")
    found = []
    for root in roots:
        base = Path(root)
        if not base.is_dir():
            continue
        for cand in [*base.glob("RPI-RP2"), *base.glob("*/RPI-RP2")]:
            if is_rp2(cand):
                found.append(cand)
    if len(found) == 1:
        return found[0]
    if not found:
        raise PedError("no RPI-RP2 drive is mounted",
                       "hold BOOTSEL while plugging the Pico in (it mounts as RPI-RP2), or flash "
                       "with a probe: --probe pyocd / --probe openocd")
    raise PedError(f"several RPI-RP2 drives: {', '.join(map(str, found))}",
                   "pass the one to use with --port")


def copy_uf2(uf2: Path, drive: Path) -> Path:
    """Copy the image onto the drive (the bootrom flashes it and reboots on close)."""
    dst = drive / uf2.name
    shutil.copyfile(uf2, dst)
    if hasattr(os, "sync"):
        os.sync()
    return dst


def probe_command(board: str, elf: Path, probe: str) -> list[str]:
    """The pyocd or openocd command that programs `elf` into `board` and resets it."""
    if board not in PROBE_TARGETS:
        raise PedError(f"no probe flashing for board '{board}'",
                       f"use one of: {', '.join(PROBE_TARGETS)}")
    pyocd_target, openocd_cfg = PROBE_TARGETS[board]
    if probe == "pyocd":
        return ["pyocd", "flash", "--target", pyocd_target, str(elf)]
    if probe == "openocd":
        return ["openocd", "-f", OPENOCD_INTERFACE[board], "-f", openocd_cfg,
                "-c", f"program {elf} verify reset exit"]
    raise PedError(f"unknown probe tool '{probe}'", "use --probe pyocd or --probe openocd")


def flash_hardware(board: str, elf: Path, port: str | None = None,
                   probe: str | None = None) -> str:
    """Flash a real board the way its board.toml says (`[target] flash`: uf2 or probe);
    returns what was done (one line)."""
    from pipeline.boards import load_board

    method = load_board(board).target.get("flash", "probe")
    if method == "uf2" and probe is None:
        drive = find_uf2_drive(port)
        dst = copy_uf2(elf.with_suffix(".uf2"), drive)
        return f"copied {elf.with_suffix('.uf2').name} to {dst.parent} (the Pico reboots into it)"
    tool = probe or next((t for t in ("pyocd", "openocd") if shutil.which(t)), None)
    if tool is None or shutil.which(tool) is None:
        raise PedError(f"flashing {board} needs a debug probe tool: neither pyocd nor openocd "
                       "is installed" if tool is None else f"'{tool}' is not installed",
                       "pip install pyocd, or apt-get install openocd; connect the probe "
                       "(the Nucleo's ST-LINK, a CMSIS-DAP probe on the SWD pins)")
    cmd = probe_command(board, elf, tool)
    res = subprocess.run(cmd)
    if res.returncode != 0:
        raise PedError(f"`{' '.join(cmd)}` failed (output above)",
                       "check the probe's cable and the board's power")
    return f"flashed {elf.name} with {tool}"


@dataclass(frozen=True)
class SerialDevice:
    port: str
    vid: int | None
    pid: int | None
    description: str
    looks_like: str


def serial_devices() -> list[SerialDevice]:
    """Serial ports (pyserial's list_ports) with VID:PID and which board each looks like."""
    from serial.tools import list_ports

    out = []
    for p in sorted(list_ports.comports(), key=lambda p: p.device):
        guess = USB_IDS.get((p.vid, p.pid), "") if p.vid is not None else ""
        out.append(SerialDevice(p.device, p.vid, p.pid, p.description or "", guess))
    return out
