"""The typed pieces codegen is built from: C values, constant arrays and kernel calls.

An op writer (`ops/<op>.py`) turns one TFLite operator into a `Kernel` (a call of the C
kernel of the same name with a `const` params struct), an `Alias` (RESHAPE-like ops: the
output shares the input's storage) or `None` (shape arithmetic folded away at codegen).
`emit.py` only ever prints these dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CArray:
    """A `const` array in flash; `suffix` names it within its layer (e.g. "filter")."""

    suffix: str
    ctype: str  # "int8_t", "int16_t", "int32_t" or "ped_requant_t" (5 int32 fields each)
    values: tuple[int, ...]

    def __post_init__(self) -> None:
        i32 = (-(1 << 31), (1 << 31) - 1)
        lo, hi = {"int8_t": (-128, 127), "int16_t": (-(1 << 15), (1 << 15) - 1),
                  "int32_t": i32, "ped_requant_t": i32}[self.ctype]
        if self.ctype == "ped_requant_t" and len(self.values) % 5:
            raise ValueError(f"{self.suffix}: ped_requant_t records have 5 fields")
        if self.values and not (lo <= min(self.values) and max(self.values) <= hi):
            raise ValueError(f"{self.suffix}: value out of range for {self.ctype}")

    @property
    def nbytes(self) -> int:
        return len(self.values) * {"int8_t": 1, "int16_t": 2}.get(self.ctype, 4)


@dataclass(frozen=True)
class Int:
    value: int


@dataclass(frozen=True)
class Float32:
    """A C `float` constant; printed so that it reads back as the same float32."""

    value: float


@dataclass(frozen=True)
class ArrayRef:
    """Pointer to a `CArray` of the same layer, or NULL when `array` is None."""

    array: CArray | None


@dataclass(frozen=True)
class IntList:
    """An inline int32 array member, e.g. `{1, 1, 12, 8}`."""

    values: tuple[int, ...]


CValue = Int | Float32 | ArrayRef | IntList


@dataclass(frozen=True)
class Kernel:
    """One kernel call: `ped_<op>(&params, inputs..., output)`.

    `inputs`/`outputs` are activation tensor indices of the model (an input may instead be a
    constant `CArray`, emitted with the layer); `list_input` passes the inputs as one
    `const int8_t *const[]` (concatenation)."""

    op: str
    params_type: str
    fields: tuple[tuple[str, CValue], ...]
    inputs: tuple[int | CArray, ...]
    outputs: tuple[int, ...]
    source_op: int
    macs: int = 0
    list_input: bool = False
    scratch_bytes: int = 0   # kernel work buffer in the arena, passed after the output

    @property
    def arrays(self) -> tuple[CArray, ...]:
        consts = tuple(i for i in self.inputs if isinstance(i, CArray))
        return consts + tuple(v.array for _, v in self.fields
                              if isinstance(v, ArrayRef) and v.array is not None)

    @property
    def tensor_inputs(self) -> tuple[int, ...]:
        return tuple(i for i in self.inputs if isinstance(i, int))


@dataclass(frozen=True)
class Alias:
    """`target` is `source` with another shape: same bytes, no code."""

    source: int
    target: int
