"""RP2040 boot images: the boot2 checksum and UF2 files (the Pico's drag-and-drop format).

- boot2 CRC (RP2040 datasheet §2.8.1): the bootrom runs the first 256 bytes of flash only if
  the little-endian word at offset 252 equals the CRC-32 of bytes 0..251 with polynomial
  0x04c11db7, initial value 0xffffffff, most significant bit first (no reflection) and no
  final XOR (the CRC-32/MPEG-2 parameters). `patch_boot2_crc` writes it into the linked ELF
  (its `.boot2` section) with objcopy, so the ELF, the .bin and the UF2 all carry it.
- UF2 (Microsoft's USB Flashing Format, as the RP2040 bootrom accepts it, datasheet §2.8):
  512-byte blocks, each with magics 0x0A324655 / 0x9E5D5157 / 0x0AB16F30, flags 0x2000
  (family id present), the target address, a 256-byte payload, block number and count, and
  the RP2040 family id 0xe48bff56.
"""

from __future__ import annotations

import struct
import subprocess
import tempfile
from pathlib import Path

from pipeline.errors import PedError

BOOT2_BYTES = 256
FLASH_BASE = 0x10000000
UF2_MAGIC_START0 = 0x0A324655
UF2_MAGIC_START1 = 0x9E5D5157
UF2_MAGIC_END = 0x0AB16F30
UF2_FLAG_FAMILY_ID = 0x00002000
RP2040_FAMILY_ID = 0xE48BFF56
UF2_PAYLOAD = 256


def boot2_crc(data: bytes) -> int:
    """CRC-32 as the RP2040 bootrom computes it over boot2's first 252 bytes."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else (crc << 1)
            crc &= 0xFFFFFFFF
    return crc


def with_boot2_crc(boot2: bytes) -> bytes:
    """The 256-byte boot2 block with its CRC word (bytes 252..255) filled in."""
    if len(boot2) != BOOT2_BYTES:
        raise PedError(f"boot2 is {len(boot2)} bytes, not {BOOT2_BYTES}",
                       "check the .boot2 section of boards/pico/link.ld")
    return boot2[:252] + struct.pack("<I", boot2_crc(boot2[:252]))


def patch_boot2_crc(elf: Path, objcopy: str = "arm-none-eabi-objcopy") -> int:
    """Write the boot2 CRC into `elf` in place (its `.boot2` section); returns the CRC."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "boot2.bin"
        _run([objcopy, "-O", "binary", "--only-section=.boot2", str(elf), str(raw)])
        block = with_boot2_crc(raw.read_bytes())
        raw.write_bytes(block)
        _run([objcopy, f"--update-section=.boot2={raw}", str(elf)])
    return struct.unpack("<I", block[252:])[0]


def uf2_blocks(image: bytes, base: int = FLASH_BASE, family: int = RP2040_FAMILY_ID) -> bytes:
    """`image` (a flat binary that starts at `base`) as UF2: 256 payload bytes per block."""
    chunks = [image[i:i + UF2_PAYLOAD] for i in range(0, len(image), UF2_PAYLOAD)]
    out = bytearray()
    for n, chunk in enumerate(chunks):
        out += struct.pack("<8I", UF2_MAGIC_START0, UF2_MAGIC_START1, UF2_FLAG_FAMILY_ID,
                           base + n * UF2_PAYLOAD, UF2_PAYLOAD, n, len(chunks), family)
        out += chunk.ljust(476, b"\0")  # a 476-byte data area, the first 256 used
        out += struct.pack("<I", UF2_MAGIC_END)
    return bytes(out)


def write_images(elf: Path, objcopy: str = "arm-none-eabi-objcopy") -> tuple[Path, Path]:
    """After linking: patch boot2's CRC into `elf`, then write `firmware.bin` and
    `firmware.uf2` beside it. Returns (bin, uf2)."""
    patch_boot2_crc(elf, objcopy)
    binary = elf.with_suffix(".bin")
    _run([objcopy, "-O", "binary", str(elf), str(binary)])
    uf2 = elf.with_suffix(".uf2")
    uf2.write_bytes(uf2_blocks(binary.read_bytes()))
    return binary, uf2


def _run(cmd: list[str]) -> None:
    try:
        res = subprocess.run(cmd, capture_output=True, text=True)
    except FileNotFoundError as exc:
        raise PedError(f"'{cmd[0]}' is not installed", "run scripts/bootstrap.sh") from exc
    if res.returncode != 0:
        raise PedError(f"`{' '.join(cmd)}` failed: {res.stderr.strip()}", "see the message")
