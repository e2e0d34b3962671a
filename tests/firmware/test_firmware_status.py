"""The Python view of firmware/include/ped/status.h matches the C enums."""

from __future__ import annotations

from pipeline.firmware_status import statuses, stop_reasons


def test_stop_reasons_in_enum_order() -> None:
    assert [c.text for c in stop_reasons()] == [
        "all", "deadline", "battery", "confident", "admission"]
    assert [c.value for c in stop_reasons()] == list(range(5))
    assert stop_reasons()[1].name == "PED_STOP_DEADLINE"


def test_statuses_unique_and_ok_first() -> None:
    codes = statuses()
    assert codes[0].name == "PED_OK" and codes[0].text == "ok"
    assert len({c.text for c in codes}) == len(codes) == 8
    assert all(c.meaning for c in codes)
