"""The static memory planner: live buffers never overlap, dead ones share memory."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.codegen.planner import ALIGN, Block, plan

BLOCKS = st.lists(st.tuples(st.integers(1, 300), st.integers(0, 12), st.integers(0, 5)),
                  min_size=0, max_size=25)


@settings(max_examples=200, deadline=None)
@given(BLOCKS)
def test_live_blocks_are_disjoint(raw):
    blocks = [Block(f"b{i}", size, first, first + span)
              for i, (size, first, span) in enumerate(raw)]
    offsets, total = plan(blocks)
    assert total % ALIGN == 0
    for a in blocks:
        assert offsets[a.key] % ALIGN == 0 and offsets[a.key] + a.size <= total
        for b in blocks:
            if a.key < b.key and not (a.last < b.first or b.last < a.first):
                a0, b0 = offsets[a.key], offsets[b.key]
                assert a0 + a.size <= b0 or b0 + b.size <= a0, (a, b, offsets)
    peak = max((sum(b.size for b in blocks if b.first <= t <= b.last) for t in range(20)),
               default=0)
    assert total >= peak


def test_sequential_buffers_share_memory():
    blocks = [Block("a", 100, 0, 1), Block("b", 100, 1, 2), Block("c", 100, 2, 3)]
    offsets, total = plan(blocks)
    assert offsets["a"] == offsets["c"]          # a is dead when c is born
    assert total == 2 * 112


def test_plan_is_deterministic():
    blocks = [Block(f"b{i}", 16 * (i % 3 + 1), i % 4, i % 4 + 1) for i in range(10)]
    assert plan(blocks) == plan(list(reversed(blocks)))
