"""Offline memory plan: where every activation tensor lives in one static arena.

The firmware uses this plan as is, so the arena size is known at build time.
A tensor is live from the op that produces it (op 0 for graph inputs) to the
last op that reads it (the last op for graph outputs). Tensors whose lifetimes
overlap never share bytes. RESHAPE only reinterprets its input, so its output
aliases the input: both become one buffer with the union of their lifetimes.
Buffers are placed greedily, largest first, at the lowest offset that does not
collide with an already placed buffer that is live at the same time.
"""
from __future__ import annotations

from dataclasses import dataclass

from tinyml.tflite.model import TfliteModel

ALIASING_OPS = frozenset({"RESHAPE"})
DEFAULT_ALIGNMENT = 4  # the runtime reads int8 data byte-wise or with 32-bit loads


@dataclass(frozen=True)
class Lifetime:
    first: int  # index of the first op during which the tensor must hold data
    last: int

    def overlaps(self, other: "Lifetime") -> bool:
        return self.first <= other.last and other.first <= self.last


@dataclass(frozen=True)
class MemoryPlan:
    lifetimes: dict[int, Lifetime]  # per non-constant tensor index
    offsets: dict[int, int]  # per non-constant tensor index: byte offset in the arena
    sizes: dict[int, int]  # per non-constant tensor index: bytes
    arena_bytes: int
    lower_bound_bytes: int
    alignment: int

    def to_dict(self) -> dict:
        return {
            "arena_bytes": self.arena_bytes,
            "lower_bound_bytes": self.lower_bound_bytes,
            "alignment": self.alignment,
            "tensors": [
                {"tensor": i, "offset": self.offsets[i], "bytes": self.sizes[i],
                 "first_op": self.lifetimes[i].first, "last_op": self.lifetimes[i].last}
                for i in sorted(self.offsets)
            ],
        }


def _align(n: int, alignment: int) -> int:
    return (n + alignment - 1) // alignment * alignment


def tensor_lifetimes(model: TfliteModel) -> dict[int, Lifetime]:
    """First/last op index for every tensor that needs arena memory."""
    last_op = max(len(model.operators) - 1, 0)
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    for i in model.inputs:
        first[i] = 0
    for op in model.operators:
        for t in op.outputs:
            first.setdefault(t, op.index)
        for t in op.inputs:
            if t >= 0 and not model.tensors[t].is_constant:
                first.setdefault(t, op.index)  # read before written: state or a graph input
                last[t] = op.index
    for i in model.outputs:
        last[i] = last_op
    lifetimes = {}
    for t, f in first.items():
        if model.tensors[t].is_constant:
            continue
        # Variable tensors carry state between invocations: live throughout.
        if model.tensors[t].is_variable:
            lifetimes[t] = Lifetime(0, last_op)
        else:
            lifetimes[t] = Lifetime(f, max(last.get(t, f), f))
    return lifetimes


def _alias_groups(model: TfliteModel, lifetimes: dict[int, Lifetime]) -> dict[int, int]:
    """tensor -> representative tensor of the buffer it shares."""
    parent = {t: t for t in lifetimes}

    def root(t: int) -> int:
        while parent[t] != t:
            t = parent[t]
        return t

    for op in model.operators:
        if op.opcode in ALIASING_OPS:
            src, dst = op.inputs[0], op.outputs[0]
            if src in parent and dst in parent and not model.tensors[src].is_variable:
                parent[root(dst)] = root(src)
    return {t: root(t) for t in parent}


def plan_memory(model: TfliteModel, *, alignment: int = DEFAULT_ALIGNMENT) -> MemoryPlan:
    lifetimes = tensor_lifetimes(model)
    sizes = {t: model.tensors[t].nbytes for t in lifetimes}
    group_of = _alias_groups(model, lifetimes)

    group_life: dict[int, Lifetime] = {}
    group_size: dict[int, int] = {}
    for t, g in group_of.items():
        lt = lifetimes[t]
        prev = group_life.get(g)
        group_life[g] = lt if prev is None else Lifetime(min(prev.first, lt.first), max(prev.last, lt.last))
        group_size[g] = max(group_size.get(g, 0), sizes[t])

    placed: list[tuple[int, int, Lifetime]] = []  # (offset, size, lifetime)
    group_offset: dict[int, int] = {}
    order = sorted(group_size, key=lambda g: (-group_size[g], group_life[g].first, g))
    for g in order:
        size, life = group_size[g], group_life[g]
        offset = 0
        for o, s, lt in sorted((p for p in placed if p[2].overlaps(life)), key=lambda p: p[0]):
            if offset + size <= o:
                break
            offset = max(offset, _align(o + s, alignment))
        group_offset[g] = offset
        placed.append((offset, size, life))

    arena = _align(max((o + s for o, s, _ in placed), default=0), alignment)
    num_ops = len(model.operators)
    lower = max(
        (sum(group_size[g] for g, lt in group_life.items() if lt.first <= i <= lt.last) for i in range(num_ops)),
        default=sum(group_size.values()),
    )
    return MemoryPlan(
        lifetimes=lifetimes,
        offsets={t: group_offset[g] for t, g in group_of.items()},
        sizes=sizes,
        arena_bytes=arena,
        lower_bound_bytes=lower,
        alignment=alignment,
    )
