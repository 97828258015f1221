"""Offline memory plan: where every activation tensor lives in one static arena.

The firmware uses this plan as is, so the arena size is known at build time.
A tensor is live from the op that produces it (op 0 for graph inputs) to the
last op that reads it (the last op for graph outputs). Tensors whose lifetimes
overlap never share bytes, with one exception below. RESHAPE (like SQUEEZE
and EXPAND_DIMS) only reinterprets its input, so its output aliases the input:
both become one buffer with the union of their lifetimes. Buffers are placed
greedily, largest first, at the lowest offset that does not collide with an
already placed buffer that is live at the same time.

In-place placement (as MCUNet/TinyEngine do) lets a windowed op's output
overlap the part of its input it has already consumed, which takes the arena
below the classic lower bound (the largest sum of live tensors). It relies on
this kernel contract (also stated in firmware/runtime/include/tml_kernels.h),
which every CONV_2D, DEPTHWISE_CONV_2D, MAX_POOL_2D and AVERAGE_POOL_2D kernel,
reference and optimized, keeps: output pixels are computed in raster order
(batch, y, x), all channels of a pixel together, and while pixel p is written
the kernel reads input only of pixels >= p, with at most one pixel of
lookahead (p and p + 1 may be computed together, so pixel p + 1 may be written
while p's inputs are still needed). Under it, an output at offset o and an
input at o + d are safe when, for every pixel p, the bytes written up to and
including pixel p + 1 end below the lowest input byte any pixel q >= p reads;
`in_place_distance` computes the smallest such d from the op's geometry.
The input must die at that op (no later reader through a RESHAPE alias, not a
graph output, not a variable). A graph input qualifies: the application writes
it before every run. Other element-wise ops are not considered: several of their
kernels broadcast or read ahead.

Each op's input/output pair that can save bytes is a candidate, and any
candidate pair may overlap when its input lies at least d above its output.
ADD has a contract of its own (also in tml_kernels.h): with inputs of the
output's shape (no broadcast), its kernels read element i of both inputs
before writing output element i and never read an earlier element afterwards,
so the output may start at or below an input that dies there (d = 0); with
the residual kept until the ADD, this is what takes a ResNet block's peak
(residual, conv input, conv output) below the classic bound.
Two placements try to use them: rigid two-buffer units of the best-saving pairs
that share no tensor, and rigid staircases of whole chains (op k's output is op
k + 1's input). Neither wins everywhere (a staircase lifts its early, large
tensors above every later step), so the smallest arena of these and the
classic placement is kept; ties keep the classic one.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyml.tflite.padding import padding
from tinyml.tflite.model import DTYPE_SIZES, Operator, TfliteModel

ALIASING_OPS = frozenset({"RESHAPE", "SQUEEZE", "EXPAND_DIMS"})
# Ops whose kernels keep the raster-order contract above.
WINDOWED_OPS = frozenset({"CONV_2D", "DEPTHWISE_CONV_2D", "MAX_POOL_2D", "AVERAGE_POOL_2D"})
# Element-wise ops whose same-shape kernels may write their output over an input (distance 0).
ELEMENTWISE_IN_PLACE_OPS = frozenset({"ADD"})
DEFAULT_ALIGNMENT = 4  # the runtime reads int8 data byte-wise or with 32-bit loads


@dataclass(frozen=True)
class Lifetime:
    first: int  # index of the first op during which the tensor must hold data
    last: int

    def overlaps(self, other: "Lifetime") -> bool:
        return self.first <= other.last and other.first <= self.last


@dataclass(frozen=True)
class InPlace:
    """An op whose output overlaps one of its inputs in the plan."""
    op: int
    input: int  # tensor index
    output: int
    distance: int  # bytes the input starts at least above the output's start (aligned)


@dataclass(frozen=True)
class MemoryPlan:
    lifetimes: dict[int, Lifetime]  # per non-constant tensor index
    offsets: dict[int, int]  # per non-constant tensor index: byte offset in the arena
    sizes: dict[int, int]  # per non-constant tensor index: bytes
    arena_bytes: int
    lower_bound_bytes: int  # classic bound: max over ops of the live tensors' bytes
    alignment: int
    in_place: tuple[InPlace, ...] = ()  # only the pairs whose bytes do overlap
    in_place_saving_bytes: int = 0  # arena without in-place placement minus arena_bytes

    def to_dict(self) -> dict:
        return {
            "arena_bytes": self.arena_bytes,
            "lower_bound_bytes": self.lower_bound_bytes,
            "in_place_saving_bytes": self.in_place_saving_bytes,
            "alignment": self.alignment,
            "tensors": [
                {"tensor": i, "offset": self.offsets[i], "bytes": self.sizes[i],
                 "first_op": self.lifetimes[i].first, "last_op": self.lifetimes[i].last}
                for i in sorted(self.offsets)
            ],
            "in_place": [{"op": p.op, "input": p.input, "output": p.output, "distance": p.distance}
                         for p in self.in_place],
        }


@dataclass(frozen=True)
class Window:
    """An NHWC windowed op's geometry, as the kernels get it."""
    batches: int
    in_h: int
    in_w: int
    in_c: int
    out_h: int
    out_w: int
    out_c: int
    k_h: int
    k_w: int
    stride_h: int = 1
    stride_w: int = 1
    dil_h: int = 1
    dil_w: int = 1
    pad_h: int = 0
    pad_w: int = 0


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


def op_window(model: TfliteModel, op: Operator) -> Window | None:
    """The geometry of a windowed op, None for other ops and non-4-D tensors."""
    if op.opcode not in WINDOWED_OPS or not op.inputs or len(op.outputs) != 1:
        return None
    inp, out = model.tensors[op.inputs[0]], model.tensors[op.outputs[0]]
    if len(inp.shape) != 4 or len(out.shape) != 4:
        return None
    o = op.options
    if op.opcode in ("CONV_2D", "DEPTHWISE_CONV_2D"):
        _, k_h, k_w, _ = model.tensors[op.inputs[1]].shape  # [out_c or 1, k_h, k_w, in_c or out_c]
    else:
        k_h, k_w = o["filter_height"], o["filter_width"]
    n, in_h, in_w, in_c = inp.shape
    _, out_h, out_w, out_c = out.shape
    sh, sw = o.get("stride_h", 1), o.get("stride_w", 1)
    dh, dw = o.get("dilation_h_factor", 1), o.get("dilation_w_factor", 1)
    mode = o.get("padding", "VALID")
    return Window(n, in_h, in_w, in_c, out_h, out_w, out_c, k_h, k_w, sh, sw, dh, dw,
                  padding(mode, in_h, k_h, sh, dh, out_h), padding(mode, in_w, k_w, sw, dw, out_w))


def _first_valid_tap(start: np.ndarray, dilation: int, k: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Per window start: the input index of its first in-bounds tap, and whether it has one."""
    skip = np.where(start < 0, (-start + dilation - 1) // dilation, 0)
    index = start + skip * dilation
    return index, (skip < k) & (index < size)


def in_place_distance(w: Window, in_item: int = 1, out_item: int = 1) -> int:
    """Smallest d >= 0 such that the op's output at offset o and its input at o + d
    are safe under the raster-order contract (in bytes, not aligned).

    Pixel p's lowest input byte is its first valid tap row and column, channel 0
    (an in-bounds window is a rectangle of NHWC pixels). Pixels whose window is
    all padding read nothing."""
    iy, ok_y = _first_valid_tap(np.arange(w.out_h) * w.stride_h - w.pad_h, w.dil_h, w.k_h, w.in_h)
    ix, ok_x = _first_valid_tap(np.arange(w.out_w) * w.stride_w - w.pad_w, w.dil_w, w.k_w, w.in_w)
    image = w.in_h * w.in_w * w.in_c * in_item
    low = (iy[:, None] * w.in_w + ix[None, :]) * (w.in_c * in_item)
    low = low[None] + (np.arange(w.batches) * image)[:, None, None]
    never = np.iinfo(np.int64).max // 2
    low = np.where((ok_y[:, None] & ok_x[None, :])[None], low, never).reshape(-1)
    pixels = low.size
    if pixels == 0:
        return 0
    lowest_ahead = np.minimum.accumulate(low[::-1])[::-1]  # over pixels q >= p
    written = np.minimum(np.arange(pixels, dtype=np.int64) + 2, pixels) * (w.out_c * out_item)
    return max(0, int((written - lowest_ahead).max()))


def _item(model: TfliteModel, t: int) -> int:
    return DTYPE_SIZES[model.tensors[t].dtype]


def _in_place_pairs(model: TfliteModel, group_of: dict[int, int], group_life: dict[int, Lifetime],
                    alignment: int) -> dict[tuple[int, int], InPlace]:
    """(output group, input group) -> the op that may write its output over its input."""
    members: dict[int, list[int]] = {}
    for t, g in group_of.items():
        members.setdefault(g, []).append(t)
    outputs = set(model.outputs)

    def dies_into(src: int, dst: int, op: Operator) -> bool:
        if src not in group_of or dst not in group_of:
            return False
        g_in, g_out = group_of[src], group_of[dst]
        return (g_in != g_out and group_life[g_in].last == op.index
                and not any(t in outputs for t in members[g_in])
                and not any(model.tensors[t].is_variable for t in members[g_in] + members[g_out]))

    pairs = {}
    for op in model.operators:
        if op.opcode in ELEMENTWISE_IN_PLACE_OPS and len(op.outputs) == 1:
            dst = op.outputs[0]
            same = all(model.tensors[t].shape == model.tensors[dst].shape and model.tensors[t].dtype == "int8"
                       for t in (*op.inputs, dst))
            for src in dict.fromkeys(op.inputs):
                if same and not model.tensors[src].is_constant and dies_into(src, dst, op):
                    pairs[group_of[dst], group_of[src]] = InPlace(op.index, src, dst, 0)
            continue
        w = op_window(model, op)
        if w is None:
            continue
        src, dst = op.inputs[0], op.outputs[0]
        others = [t for t in op.inputs[1:] if t >= 0 and not model.tensors[t].is_constant]
        if others or not dies_into(src, dst, op):
            continue
        d = _align(in_place_distance(w, _item(model, src), _item(model, dst)), alignment)
        pairs[group_of[dst], group_of[src]] = InPlace(op.index, src, dst, d)
    return pairs


def _place(units: list[list[tuple[int, int]]], size: dict[int, int], life: dict[int, Lifetime],
           distance: dict[tuple[int, int], int], alignment: int) -> dict[int, int]:
    """Group offsets. Each unit is [(group, offset relative to the unit)], placed in order
    at the lowest offset where every member fits; members of a pair in `distance`
    ((output group, input group) -> d) may overlap when the input lies >= d above."""
    offset: dict[int, int] = {}

    def fits(g: int, o: int, h: int) -> bool:
        p = offset[h]
        if o + size[g] <= p or p + size[h] <= o:
            return True
        return p - o >= distance.get((g, h), 1 << 62) or o - p >= distance.get((h, g), 1 << 62)

    for unit in units:
        live = {g: [h for h in offset if life[h].overlaps(life[g])] for g, _ in unit}
        bases = {_align(max((offset[h] + size[h] for h in offset), default=0), alignment)}
        for g, rel in unit:
            bases.add(-rel)
            for h in live[g]:
                bases.add(_align(offset[h] + size[h], alignment) - rel)
                if (g, h) in distance:
                    bases.add(offset[h] - distance[g, h] - rel)
                if (h, g) in distance:
                    bases.add(offset[h] + distance[h, g] - rel)
        base = next(b for b in sorted(bases) if b >= 0
                    and all(fits(g, b + rel, h) for g, rel in unit for h in live[g]))
        for g, rel in unit:
            offset[g] = base + rel
    return offset


def _pair_units(pairs: dict[tuple[int, int], InPlace], size: dict[int, int]) -> list[list[tuple[int, int]]]:
    """Rigid units of the best-saving pairs that share no group (output at 0, input at d);
    every other group alone."""
    def saving(key):
        return size[key[0]] + size[key[1]] - max(size[key[0]], pairs[key].distance + size[key[1]])

    units, taken = [], set()
    for key in sorted(pairs, key=lambda k: (-saving(k), pairs[k].op)):
        if not taken & set(key):
            taken |= set(key)
            units.append([(key[0], 0), (key[1], pairs[key].distance)])
    return units + [[(g, 0)] for g in size if g not in taken]


def _chain_units(pairs: dict[tuple[int, int], InPlace], size: dict[int, int]) -> list[list[tuple[int, int]]]:
    """Whole chains of pairs (op k's output is op k + 1's input) as rigid staircases:
    the last output at 0, each input its distance above the output that replaces it."""
    outs = {g_out for g_out, _ in pairs}
    input_of: dict[int, tuple[int, int]] = {}
    for (g_out, g_in), p in pairs.items():
        # Of an ADD's two candidate inputs, follow one that continues the chain.
        if g_out not in input_of or (g_in in outs and input_of[g_out][0] not in outs):
            input_of[g_out] = (g_in, p.distance)
    inputs = {g_in for g_in, _ in input_of.values()}
    units, taken = [], set()
    for g in sorted(input_of):
        if g in inputs:
            continue  # not the end of its chain
        unit, rel = [(g, 0)], 0
        while g in input_of:
            g, d = input_of[g]
            rel += d
            unit.append((g, rel))
        taken |= {h for h, _ in unit}
        units.append(unit)
    return units + [[(g, 0)] for g in size if g not in taken]


def _arena(offset: dict[int, int], size: dict[int, int], alignment: int) -> int:
    return _align(max((offset[g] + size[g] for g in offset), default=0), alignment)


def plan_memory(model: TfliteModel, *, alignment: int = DEFAULT_ALIGNMENT, in_place: bool = True) -> MemoryPlan:
    """The arena layout; in_place=False keeps every pair of live tensors apart (the classic plan)."""
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

    order = sorted(group_size, key=lambda g: (-group_size[g], group_life[g].first, g))
    group_offset = classic_offset = _place([[(g, 0)] for g in order], group_size, group_life, {}, alignment)
    classic_arena = _arena(group_offset, group_size, alignment)
    used: list[InPlace] = []

    pairs = _in_place_pairs(model, group_of, group_life, alignment) if in_place else {}
    pairs = {key: p for key, p in pairs.items()
             if group_size[key[0]] + group_size[key[1]] > max(group_size[key[0]], p.distance + group_size[key[1]])}
    if pairs:
        distance = {key: p.distance for key, p in pairs.items()}
        for units in (_pair_units(pairs, group_size), _chain_units(pairs, group_size)):
            units.sort(key=lambda u: (-max(rel + group_size[g] for g, rel in u),
                                      min(group_life[g].first for g, _ in u), u[0][0]))
            offset = _place(units, group_size, group_life, distance, alignment)
            if _arena(offset, group_size, alignment) < _arena(group_offset, group_size, alignment):
                group_offset = offset
        if group_offset is not classic_offset:
            used = [p for (g_out, g_in), p in sorted(pairs.items(), key=lambda kv: kv[1].op)
                    if group_offset[g_out] < group_offset[g_in] + group_size[g_in]
                    and group_offset[g_in] < group_offset[g_out] + group_size[g_out]]

    arena = _arena(group_offset, group_size, alignment)
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
        in_place=tuple(used),
        in_place_saving_bytes=classic_arena - arena,
    )


def free_span(plan: MemoryPlan, op: int, nbytes: int, alignment: int = DEFAULT_ALIGNMENT) -> int | None:
    """The lowest aligned arena offset of `nbytes` that no tensor live during op `op` uses, or None:
    bytes the op may use for its own constants without growing the arena."""
    live = sorted((plan.offsets[t], plan.offsets[t] + plan.sizes[t])
                  for t, life in plan.lifetimes.items() if life.first <= op <= life.last and t in plan.offsets)
    at = 0
    for start, end in live:
        if start >= at + nbytes:
            break
        at = max(at, _align(end, alignment))
    return at if at + nbytes <= plan.arena_bytes else None
