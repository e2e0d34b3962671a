"""The firmware's error codes and stop reasons, read from their one table in C.

`firmware/include/ped/status.h` defines each list once, as an X-macro
(`X(PED_STOP_DEADLINE, "deadline", "the deadline timer fired")`); the C enums and strings are
generated from it, and host tools (the serial harness) decode the numbers a device sends with
these tuples, so the two sides cannot drift. Index = the enum value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from pipeline.data.recipe import REPO_ROOT
from pipeline.errors import PedError

STATUS_H = REPO_ROOT / "firmware" / "include" / "ped" / "status.h"
_ENTRY = re.compile(r'X\((PED_\w+),\s*"([^"]*)",\s*"([^"]*)"\)')


@dataclass(frozen=True)
class Code:
    value: int
    name: str      # C enum name, e.g. PED_STOP_DEADLINE
    text: str      # short string, e.g. "deadline"
    meaning: str


@cache
def _tables() -> dict[str, tuple[Code, ...]]:
    text = STATUS_H.read_text()
    tables = {}
    for macro in ("PED_STATUS_TABLE", "PED_STOP_TABLE"):
        m = re.search(rf"#define {macro}\(X\)((?:.*\\\n)*.*)", text)
        if not m:
            raise PedError(f"{STATUS_H} has no {macro}", "restore the X-macro table")
        body = m.group(1).replace("\\\n", " ")
        tables[macro] = tuple(Code(i, *e) for i, e in enumerate(_ENTRY.findall(body)))
    return tables


def statuses() -> tuple[Code, ...]:
    """ped_status_t, in enum order."""
    return _tables()["PED_STATUS_TABLE"]


def stop_reasons() -> tuple[Code, ...]:
    """ped_stop_t, in enum order."""
    return _tables()["PED_STOP_TABLE"]
