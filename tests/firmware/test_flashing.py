"""`ped flash` on hardware and `ped devices`, without hardware: the RPI-RP2 drive is a folder
with the bootrom's INFO_UF2.TXT, the probe commands are checked as built, list_ports is faked."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from pipeline import flashing
from pipeline.errors import PedError


def _drive(root: Path) -> Path:
    d = root / "user" / "RPI-RP2"
    d.mkdir(parents=True)
    (d / "INFO_UF2.TXT").write_text("UF2 Bootloader v3.0\nModel: Raspberry Pi RP2\n"
                                    "Board-ID: RPI-RP2\n")
    return d


def test_uf2_drive_is_found_and_the_image_copied(tmp_path: Path) -> None:
    drive = _drive(tmp_path / "media")
    assert flashing.find_uf2_drive(roots=(str(tmp_path / "media"),)) == drive
    uf2 = tmp_path / "firmware.uf2"
    uf2.write_bytes(b"\x55" * 512)
    assert flashing.copy_uf2(uf2, drive).read_bytes() == uf2.read_bytes()


def test_missing_or_wrong_drive_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(PedError, match="no RPI-RP2 drive") as err:
        flashing.find_uf2_drive(roots=(str(tmp_path),))
    assert "BOOTSEL" in err.value.fix
    (tmp_path / "stick").mkdir()
    with pytest.raises(PedError, match="not a mounted RPI-RP2 drive"):
        flashing.find_uf2_drive(str(tmp_path / "stick"))


def test_probe_commands() -> None:
    elf = Path("fw.elf")
    assert flashing.probe_command("nano33ble", elf, "pyocd") == [
        "pyocd", "flash", "--target", "nrf52840", "fw.elf"]
    assert flashing.probe_command("nucleo-l476rg", elf, "openocd") == [
        "openocd", "-f", "interface/stlink.cfg", "-f", "target/stm32l4x.cfg",
        "-c", "program fw.elf verify reset exit"]
    assert flashing.probe_command("pico", elf, "openocd")[4] == "target/rp2040.cfg"
    with pytest.raises(PedError, match="no probe flashing"):
        flashing.probe_command("esp32s3", elf, "pyocd")


def test_devices_name_vid_pid_and_board(monkeypatch) -> None:
    from serial.tools import list_ports

    ports = [SimpleNamespace(device="/dev/ttyACM1", vid=0x0483, pid=0x374B, description="STLink"),
             SimpleNamespace(device="/dev/ttyS0", vid=None, pid=None, description="n/a")]
    monkeypatch.setattr(list_ports, "comports", lambda: ports)
    devs = flashing.serial_devices()
    assert devs[0].port == "/dev/ttyACM1" and devs[0].looks_like.startswith("nucleo-l476rg")
    assert devs[1].looks_like == ""
