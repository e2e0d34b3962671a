"""Register facts from CMSIS SVD files (the pyocd wheel on PyPI ships 105 of them), and the
check of our board headers against them.

Our register headers (boards/nano33ble/nrf52840.h, boards/nucleo-l476rg/stm32l476.h) annotate
every numeric #define with where the SVD states it:
    /* SVD: UART0 */                  the peripheral's base address
    /* SVD: UART0.PSEL.TXD */         a register's offset (clusters and arrays: CC[0])
    /* SVD: UART0.INTENSET.RXDRDY */  a field's bit position
    /* SVD: UART0.BAUDRATE=Baud115200 */  an enumerated value of a register or field
    /* SVD: irq UARTE0_UART0 */       an interrupt number
    /* not in SVD: reason */          a fact the SVD does not hold (checked elsewhere or cited)
`check_header` returns one line per disagreement (and per unannotated number).
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PYOCD = "pyocd==0.46.0"
WHEEL_DIR = Path(__file__).resolve().parents[2] / "datasets" / ".cache" / "wheels"


def wheel() -> Path:
    """The pyocd wheel, downloaded once into datasets/.cache/wheels (no install, no deps)."""
    found = sorted(WHEEL_DIR.glob("pyocd-0.46.0-*.whl"))
    if not found:
        WHEEL_DIR.mkdir(parents=True, exist_ok=True)
        res = subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", PYOCD,
                              "-d", str(WHEEL_DIR)], capture_output=True, text=True)
        found = sorted(WHEEL_DIR.glob("pyocd-0.46.0-*.whl"))
        if not found:
            raise RuntimeError(f"`pip download --no-deps {PYOCD}` failed: {res.stderr[-500:]} "
                               "(fix: make PyPI reachable, or put the wheel in "
                               f"{WHEEL_DIR})")
    return found[0]


@cache
def svd(name: str) -> Device:
    outer = zipfile.ZipFile(wheel())
    inner = zipfile.ZipFile(io.BytesIO(outer.read("pyocd/debug/svd/svd_data.zip")))
    return Device(ET.fromstring(inner.read(name)))


def _int(text: str | None) -> int:
    return int(text.strip().replace("#", "0b"), 0) if text else 0


@dataclass
class Device:
    root: ET.Element

    def _peripheral(self, name: str) -> ET.Element:
        for p in self.root.iter("peripheral"):
            if p.findtext("name") == name:
                return p
        raise KeyError(f"no peripheral {name}")

    def base(self, name: str) -> int:
        return _int(self._peripheral(name).findtext("baseAddress"))

    def irq(self, name: str) -> int:
        for p in self.root.iter("peripheral"):
            for i in p.findall("interrupt"):
                if i.findtext("name") == name:
                    return _int(i.findtext("value"))
        raise KeyError(f"no interrupt {name}")

    def _registers(self, name: str) -> ET.Element:
        p = self._peripheral(name)
        while p.find("registers") is None and p.get("derivedFrom"):
            p = self._peripheral(p.get("derivedFrom"))
        return p.find("registers")

    def _find(self, parent: ET.Element, path: list[str]) -> tuple[ET.Element, int]:
        """The register (or cluster) at `path` under parent and its offset."""
        head, rest = path[0], path[1:]
        m = re.fullmatch(r"(\w+)\[(\d+)\]", head)
        want, index = (m.group(1), int(m.group(2))) if m else (head, None)
        for node in list(parent.findall("register")) + list(parent.findall("cluster")):
            name = node.findtext("name") or ""
            base_name = re.sub(r"\[%s\]|%s", "", name)
            if name != head and not (index is not None and base_name == want):
                continue
            off = _int(node.findtext("addressOffset"))
            if index is not None:
                off += index * _int(node.findtext("dimIncrement"))
            if not rest:
                return node, off
            if node.tag == "cluster":
                sub, sub_off = self._find(node, rest)
                return sub, off + sub_off
            break  # a register with a path below it: `lookup` tries it as fields
        raise KeyError(f"no register {'.'.join(path)}")

    def lookup(self, ref: str) -> int:
        """The number `ref` names (see the module docstring)."""
        enum = None
        if "=" in ref:
            ref, enum = ref.split("=", 1)
        parts = ref.split(".")
        if len(parts) == 1:
            return self.base(parts[0])
        regs = self._registers(parts[0])
        for split in range(len(parts), 1, -1):  # longest register path, then fields
            try:
                reg, off = self._find(regs, parts[1:split])
            except KeyError:
                continue
            if reg.tag == "cluster":
                continue
            fields = parts[split:]
            if not fields:
                return self._enum(reg, enum) if enum else off
            for f in reg.iter("field"):
                if f.findtext("name") == fields[0]:
                    return self._enum(f, enum) if enum else self._bit(f)
            raise KeyError(f"no field {fields[0]} in {'.'.join(parts[:split])}")
        raise KeyError(f"no register for {ref}")

    @staticmethod
    def _bit(f: ET.Element) -> int:
        if f.find("bitOffset") is not None:
            return _int(f.findtext("bitOffset"))
        if f.find("lsb") is not None:
            return _int(f.findtext("lsb"))
        return int(re.match(r"\[(\d+):(\d+)\]", f.findtext("bitRange")).group(2))

    @staticmethod
    def _enum(node: ET.Element, name: str) -> int:
        for e in node.iter("enumeratedValue"):
            if e.findtext("name") == name:
                return _int(e.findtext("value"))
        raise KeyError(f"no enumerated value {name}")


DEFINE = re.compile(r"^#define\s+(\w+)\s+\(?\s*(0x[0-9a-fA-F]+|\d+)u?\s*\)?\s*(/\*.*\*/)?\s*$")


def header_facts(path: Path) -> list[tuple[str, int, str]]:
    """(macro, value, annotation) for every numeric #define of a register header."""
    out = []
    for line in path.read_text().splitlines():
        m = DEFINE.match(line.strip())
        if m:
            out.append((m.group(1), int(m.group(2), 0), (m.group(3) or "").strip("/* ")))
    return out


def check_header(path: Path, device: Device) -> list[str]:
    """One line per fact in `path` that disagrees with `device` (or is not annotated)."""
    problems = []
    for macro, value, note in header_facts(path):
        if note.startswith("not in SVD"):
            continue
        m = re.match(r"SVD: (irq )?(\S+)", note)
        if not m:
            problems.append(f"{macro}: no `SVD: ...` or `not in SVD: ...` annotation")
            continue
        try:
            want = device.irq(m.group(2)) if m.group(1) else device.lookup(m.group(2))
        except KeyError as exc:
            problems.append(f"{macro}: {exc}")
            continue
        if want != value:
            problems.append(f"{macro} = {value:#x}, the SVD says {m.group(2)} = {want:#x}")
    return problems
