"""Register facts of the real boards against the vendors' CMSIS SVD files (from the pyocd
wheel on PyPI, downloaded once, not installed): every base address, register offset, bit
position, enumerated value and IRQ number in boards/nano33ble/nrf52840.h and
boards/nucleo-l476rg/stm32l476.h, and the UART0/TIMER1 maps that the QEMU `microbit`
stand-in shares between the nRF52840 and the nRF51822."""

from __future__ import annotations

from pathlib import Path

import pytest
from svd_facts import check_header, header_facts, svd

ROOT = Path(__file__).resolve().parents[2]
NRF52840_H = ROOT / "boards" / "nano33ble" / "nrf52840.h"
STM32L476_H = ROOT / "boards" / "nucleo-l476rg" / "stm32l476.h"


@pytest.mark.parametrize(("header", "svd_name"), [(NRF52840_H, "nrf52840.svd"),
                                                  (STM32L476_H, "STM32L4x5.svd")])
def test_every_register_fact_matches_the_svd(header: Path, svd_name: str) -> None:
    facts = header_facts(header)
    assert len(facts) > 30  # the parser found the header's defines
    assert check_header(header, svd(svd_name)) == []


def test_a_changed_constant_fails(tmp_path: Path) -> None:
    """The check is not vacuous: one bit position or offset off by one is reported."""
    for old, new in [("#define NRF_POWER_INTENSET_POFWARN_POS 2u",
                      "#define NRF_POWER_INTENSET_POFWARN_POS 3u"),
                     ("#define NRF_UART_PSEL_TXD 0x50Cu", "#define NRF_UART_PSEL_TXD 0x510u"),
                     ("#define NRF_IRQ_TIMER1 9u", "#define NRF_IRQ_TIMER1 10u")]:
        text = NRF52840_H.read_text()
        assert old in text
        changed = tmp_path / "nrf52840.h"
        changed.write_text(text.replace(old, new))
        problems = check_header(changed, svd("nrf52840.svd"))
        assert len(problems) == 1 and new.split()[1] in problems[0], problems


def test_the_old_pofstat_read_would_have_failed() -> None:
    """POWER+0x428, which the old nano33ble code read as a 'POFSTAT', is RAMSTATUS."""
    d = svd("nrf52840.svd")
    assert d.lookup("POWER.RAMSTATUS") == 0x428
    with pytest.raises(KeyError):
        d.lookup("POWER.POFSTAT")


def test_nrf51_shares_the_uart0_and_timer1_maps() -> None:
    """QEMU `microbit` (nRF51822) as a Cortex-M0 stand-in for the nRF52840 driver code: the
    same UART0 and TIMER1 base addresses, IRQ numbers and the offsets the driver uses."""
    n52, n51 = svd("nrf52840.svd"), svd("nrf51.svd")
    for p in ("UART0", "TIMER1"):
        assert n52.base(p) == n51.base(p)
    assert n52.irq("UARTE0_UART0") == n51.irq("UART0") == 2
    assert n52.irq("TIMER1") == n51.irq("TIMER1") == 9
    same = {"UART0.TASKS_STARTRX": "UART0.TASKS_STARTRX", "UART0.EVENTS_RXDRDY":
            "UART0.EVENTS_RXDRDY", "UART0.EVENTS_TXDRDY": "UART0.EVENTS_TXDRDY",
            "UART0.INTENSET.RXDRDY": "UART0.INTENSET.RXDRDY", "UART0.ENABLE": "UART0.ENABLE",
            "UART0.PSEL.TXD": "UART0.PSELTXD", "UART0.PSEL.RXD": "UART0.PSELRXD",
            "UART0.RXD": "UART0.RXD", "UART0.TXD": "UART0.TXD",
            "UART0.BAUDRATE": "UART0.BAUDRATE", "TIMER1.CC[0]": "TIMER1.CC[0]",
            "TIMER1.EVENTS_COMPARE[0]": "TIMER1.EVENTS_COMPARE[0]",
            "TIMER1.SHORTS.COMPARE0_STOP": "TIMER1.SHORTS.COMPARE0_STOP",
            "TIMER1.INTENSET.COMPARE0": "TIMER1.INTENSET.COMPARE0",
            "TIMER1.BITMODE": "TIMER1.BITMODE", "TIMER1.PRESCALER": "TIMER1.PRESCALER"}
    for a, b in same.items():
        assert n52.lookup(a) == n51.lookup(b), (a, b)
