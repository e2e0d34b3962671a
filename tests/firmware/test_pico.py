"""The Raspberry Pi Pico image: boot2's checksum, the UF2 container, and the rp2040js runner
refusing what the RP2040 bootrom would refuse. The C test suite (test_firmware_scheduler),
the app over its UART (test_firmware_app) and HIL (tests/test_hil.py) run the same image.
"""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.firmware_build import PIO_BUILD_DIR, get_target, rp2040js_command
from pipeline.uf2 import (
    RP2040_FAMILY_ID,
    UF2_MAGIC_END,
    UF2_MAGIC_START0,
    UF2_MAGIC_START1,
    boot2_crc,
    uf2_blocks,
)


def test_boot2_crc_is_crc32_mpeg2() -> None:
    """The bootrom's CRC (poly 0x04c11db7, init ~0, no reflection, no final XOR) is the
    catalogued CRC-32/MPEG-2, whose check value over b"123456789" is 0x0376E6E7."""
    assert boot2_crc(b"123456789") == 0x0376E6E7
    assert boot2_crc(b"") == 0xFFFFFFFF


def test_uf2_blocks_carry_the_image_in_order() -> None:
    image = bytes(range(256)) * 2 + b"tail"  # 516 bytes: three blocks, the last one short
    uf2 = uf2_blocks(image)
    assert len(uf2) == 3 * 512
    payload = b""
    for n in range(3):
        block = uf2[512 * n:512 * (n + 1)]
        m0, m1, flags, addr, size, no, count, family = struct.unpack("<8I", block[:32])
        assert (m0, m1, struct.unpack("<I", block[508:])[0]) == (
            UF2_MAGIC_START0, UF2_MAGIC_START1, UF2_MAGIC_END)
        assert (flags, addr, size, no, count, family) == (
            0x2000, 0x10000000 + 256 * n, 256, n, 3, RP2040_FAMILY_ID)
        payload += block[32:32 + size]
    assert payload[:len(image)] == image and payload[len(image):] == bytes(256 - 4)


@pytest.fixture(scope="module")
def pico_image(platformio_ready: Path) -> Path:
    res = subprocess.run([sys.executable, "-m", "platformio", "run", "-e", "pico"],
                         cwd=platformio_ready, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout[-3000:]
    return PIO_BUILD_DIR / "pico" / "firmware.uf2"


@pytest.mark.slow
def test_image_has_boot2_with_its_crc_then_the_vector_table(pico_image: Path) -> None:
    data = pico_image.with_suffix(".bin").read_bytes()
    assert struct.unpack("<I", data[252:256])[0] == boot2_crc(data[:252])
    sp, reset = struct.unpack("<2I", data[256:264])
    assert 0x20000000 < sp <= 0x20042000 and sp % 8 == 0   # the stack's top, in SRAM
    assert 0x10000100 < reset < 0x10200000 and reset & 1   # a Thumb address in flash
    uf2 = pico_image.read_bytes()
    assert uf2_blocks(data) == uf2


@pytest.mark.slow
def test_runner_refuses_a_bad_boot2_crc(pico_image: Path, tmp_path: Path) -> None:
    """As the bootrom would: one flipped byte in boot2 and the image does not start."""
    bad = bytearray(pico_image.read_bytes())
    bad[32 + 10] ^= 0x01  # inside boot2's code, in the first UF2 block's payload
    image = tmp_path / "bad.uf2"
    image.write_bytes(bytes(bad))
    res = subprocess.run(rp2040js_command(get_target("pico"), image), capture_output=True,
                         text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert res.returncode != 0 and "boot2 CRC32" in res.stderr, res.stderr
