"""Operators that pick, reorder or regroup int8 elements: STRIDED_SLICE, SLICE, TRANSPOSE
(one strided walk, tml_strided_copy_params), SPLIT, SPLIT_V, UNPACK (tml_split), PACK (as
CONCATENATION) and GATHER.

Bytes move unchanged, as in TFLM, whose kernels copy int8 data whatever the tensors'
quantization. Each emitter resolves the op's constant operands as TFLM's Prepare and
Eval would, checks the result against the shapes in the model, and refuses what TFLM
refuses (with its reason) or what it would run into undefined behaviour.
"""
from __future__ import annotations

import math

from tinyml.firmware.prepare.context import KernelCall, c_list, const_ints, fail, require_int8
from tinyml.firmware.prepare.shape import concatenation_call

COPY_DIMS = 5  # TML_COPY_DIMS in tml_kernels.h
# The largest input rank each TFLM kernel prepares (its Prepare refuses more).
MAX_RANK = {"STRIDED_SLICE": 4, "SLICE": 5, "TRANSPOSE": 5}
RECONVERT = "re-convert the model; the TFLite converter writes these operands itself"


def _check_rank(op, ctx, rank: int) -> None:
    limit = MAX_RANK[op.opcode]
    if rank > limit:
        raise fail(op, ctx, f"the input has {rank} dimensions and TFLM's {op.opcode} takes at most {limit}",
                   fix=f"keep the tensors of this {op.opcode} at {limit} dimensions or fewer "
                       "(e.g. merge size-1 axes with a reshape before it)")


def _operand(op, ctx, index: int, what: str, length: int, *, int32_only: bool = True) -> list[int]:
    """The op's constant input `index`, `length` values. The converter writes them as int32; only
    SLICE's are taken as int64 too (TFLM's SLICE reads both types)."""
    t = ctx.tensor(op.inputs[index])
    if int32_only and t.dtype != "int32":
        raise fail(op, ctx, f"{what} is {t.dtype}; the runtime takes {op.opcode}'s {what} as int32 only",
                   fix=RECONVERT)
    values = const_ints(op, ctx, op.inputs[index], what)
    if len(values) != length:
        raise fail(op, ctx, f"{what} has {len(values)} values for an input of {length} dimensions", fix=RECONVERT)
    return values


def _contiguous_strides(shape) -> list[int]:
    strides = [1] * len(shape)
    for k in range(len(shape) - 2, -1, -1):
        strides[k] = strides[k + 1] * shape[k + 1]
    return strides


def _strided_copy(op, ctx, starts: list[int], counts: list[int], steps: list[int], expected) -> KernelCall:
    """The walk over `counts` elements per axis from `starts` in `steps` of the input's own axes
    (steps in input elements), which must give the output's shape `expected`."""
    out = ctx.tensor(op.outputs[0])
    if math.prod(counts) != out.num_elements or list(expected) != list(out.shape):
        raise fail(op, ctx, f"the parameters select {counts} elements along the input's axes (output shape "
                            f"{list(expected)}), but the output tensor is {list(out.shape)}", fix=RECONVERT)
    pad = COPY_DIMS - len(counts)
    base = sum(s * t for s, t in zip(starts, _contiguous_strides(ctx.tensor(op.inputs[0]).shape)))
    if not all(counts):
        base = 0  # nothing is read: keep the pointer inside the tensor
    return KernelCall(f"tml_{op.opcode.lower()}", "tml_strided_copy_params", {
        "input": f"{ctx.pointer(op.inputs[0])} + {base}", "output": ctx.pointer(op.outputs[0]),
        "shape": c_list([1] * pad + counts), "in_stride": c_list([0] * pad + steps)})


def _clamp(v: int, lo: int, hi: int) -> int:
    return max(lo, min(v, hi))


def _slice_bounds(size: int, begin: int, end: int, stride: int, *, begin_masked: bool, end_masked: bool,
                  shrink: bool, offset: bool) -> tuple[int, int]:
    """One axis's first index and stop as TFLM's StridedSlice kernel walks it (Eval)."""
    start = begin + size if begin < 0 else begin
    start = _clamp(start, 0, size) if stride > 0 else _clamp(start, -1, size - 1)
    if begin_masked:
        start = 0 if stride > 0 else size - 1
    if shrink:
        return start, start if start >= size else start + 1
    stop = end + start if offset else end
    stop = stop + size if stop < 0 else stop
    stop = _clamp(stop, 0, size) if stride > 0 else _clamp(stop, -1, size - 1)
    if end_masked:
        stop = size if stride > 0 else -1
    return start, stop


def _prepared_length(size: int, begin: int, end: int, stride: int, *, begin_masked: bool, end_masked: bool,
                     shrink: bool) -> int:
    """One axis's length as TFLM's Prepare checks it against the output tensor: its older index
    rules (no `offset`, a shrunk axis always one long), ceil((stop - start) / stride) from 0."""
    big = 1 << 31
    start = (-big if stride > 0 else big - 1) if begin_masked else begin
    start = start + size if start < 0 else start
    start = _clamp(start, 0, size) if stride > 0 else _clamp(start, -1, size - 1)
    if shrink:
        return 1
    stop = (big - 1 if stride > 0 else -big) if end_masked else end
    stop = stop + size if stop < 0 else stop
    stop = _clamp(stop, 0, size) if stride > 0 else _clamp(stop, -1, size - 1)
    return max(0, -((start - stop) // stride))


def strided_slice(op, ctx):
    inp = ctx.tensor(op.inputs[0])
    require_int8(op, ctx, op.inputs[0], op.outputs[0])
    rank = len(inp.shape)
    _check_rank(op, ctx, rank)
    o = op.options
    # TFLM ignores ellipsis_mask and new_axis_mask (the converter expands both into begin/end values
    # and reshapes), so they are ignored here too: a model setting them slices as TFLM slices it.
    begin, end, strides = (_operand(op, ctx, k, what, rank) for k, what in ((1, "begin"), (2, "end"), (3, "strides")))
    if 0 in strides:
        raise fail(op, ctx, f"strides {strides} hold a 0, which TFLM refuses (stride value has to be non-zero)",
                   fix="use non-zero strides")
    starts, counts, prepared = [], [], []
    for k in range(rank):
        flags = dict(begin_masked=bool(o.get("begin_mask", 0) >> k & 1),
                     end_masked=bool(o.get("end_mask", 0) >> k & 1),
                     shrink=bool(o.get("shrink_axis_mask", 0) >> k & 1))
        start, stop = _slice_bounds(inp.shape[k], begin[k], end[k], strides[k], offset=bool(o.get("offset")),
                                    **flags)
        starts.append(start)
        counts.append(len(range(start, stop, strides[k])))
        if not flags["shrink"]:
            prepared.append(_prepared_length(inp.shape[k], begin[k], end[k], strides[k], **flags))
    out_shape = list(ctx.tensor(op.outputs[0]).shape)
    if prepared != out_shape:
        raise fail(op, ctx, f"TFLM's Prepare refuses it: begin {begin}, end {end}, strides {strides} and the "
                            f"masks give shape {prepared}, the output tensor is {out_shape}", fix=RECONVERT)
    kept = [c for k, c in enumerate(counts) if not o.get("shrink_axis_mask", 0) >> k & 1]
    in_strides = _contiguous_strides(inp.shape)
    return _strided_copy(op, ctx, starts, counts, [s * t for s, t in zip(strides, in_strides)], kept)


def slice_(op, ctx):
    inp = ctx.tensor(op.inputs[0])
    require_int8(op, ctx, op.inputs[0], op.outputs[0])
    rank = len(inp.shape)
    _check_rank(op, ctx, rank)
    begin, size = (_operand(op, ctx, k, what, rank, int32_only=False) for k, what in ((1, "begin"), (2, "size")))
    stops = [n if s == -1 else b + s for n, b, s in zip(inp.shape, begin, size)]
    for k, (n, b, stop) in enumerate(zip(inp.shape, begin, stops)):
        if not 0 <= b <= stop <= n:
            # TFLM does not check: it would read outside the input.
            raise fail(op, ctx, f"axis {k} of size {n} is sliced from {b} to {stop}, outside the input",
                       fix="keep 0 <= begin <= begin + size <= the axis size (size -1 means to the end)")
    counts = [stop - b for b, stop in zip(begin, stops)]
    return _strided_copy(op, ctx, begin, counts, _contiguous_strides(inp.shape), counts)


def transpose(op, ctx):
    inp = ctx.tensor(op.inputs[0])
    require_int8(op, ctx, op.inputs[0], op.outputs[0])
    rank = len(inp.shape)
    _check_rank(op, ctx, rank)
    perm = _operand(op, ctx, 1, "perm", rank)
    if sorted(perm) != list(range(rank)):
        raise fail(op, ctx, f"perm {perm} is not a permutation of the input's {rank} axes",
                   fix="give each axis 0..rank-1 exactly once")
    in_strides = _contiguous_strides(inp.shape)
    counts = [inp.shape[a] for a in perm]
    return _strided_copy(op, ctx, [0] * rank, counts, [in_strides[a] for a in perm], counts)


def _axis(op, ctx, axis: int, rank: int) -> int:
    if not -rank <= axis < rank:
        raise fail(op, ctx, f"axis {axis} is outside the input's {rank} dimensions", fix=RECONVERT)
    return axis + rank if axis < 0 else axis


def _split_call(op, ctx, data: int, axis: int, copy: list[int]) -> KernelCall:
    require_int8(op, ctx, data, *op.outputs)
    inp = ctx.tensor(data)
    inner = math.prod(inp.shape[axis + 1:])
    if sum(copy) != inp.shape[axis] * inner:
        raise fail(op, ctx, f"the outputs hold {sum(copy)} elements per row of the input's "
                            f"{inp.shape[axis] * inner}", fix=RECONVERT)
    return KernelCall("tml_split", "tml_split_params", {
        "input": ctx.pointer(data), "outputs": "@outputs", "copy_bytes": "@copy_bytes",
        "num_outputs": str(len(op.outputs)), "outer": str(math.prod(inp.shape[:axis]))},
        [("outputs", "tml_int8_ptr", [ctx.pointer(i) for i in op.outputs]), ("copy_bytes", "int32_t", copy)])


def _split_along(op, ctx, data_pos: int, axis_pos: int) -> KernelCall:
    """SPLIT and SPLIT_V: each output keeps the input's shape but for its share of the axis."""
    data = op.inputs[data_pos]
    inp = ctx.tensor(data)
    if not ctx.tensor(op.inputs[axis_pos]).is_constant:
        raise fail(op, ctx, "the axis is computed at run time; TFLM refuses a non-constant axis",
                   fix="give the split a constant axis")
    axis = _axis(op, ctx, _operand(op, ctx, axis_pos, "axis", 1)[0], len(inp.shape))
    copy = []
    for i in op.outputs:
        shape = ctx.tensor(i).shape
        if len(shape) != len(inp.shape) or shape[:axis] + shape[axis + 1:] != inp.shape[:axis] + inp.shape[axis + 1:]:
            raise fail(op, ctx, f"output '{ctx.tensor(i).name}' {list(shape)} is not a part of the input "
                                f"{list(inp.shape)} along axis {axis}", fix=RECONVERT)
        copy.append(math.prod(shape[axis:]))
    return _split_call(op, ctx, data, axis, copy)


def split(op, ctx):
    return _split_along(op, ctx, 1, 0)


def split_v(op, ctx):
    return _split_along(op, ctx, 0, 2)


def unpack(op, ctx):
    inp = ctx.tensor(op.inputs[0])
    axis = _axis(op, ctx, op.options.get("axis", 0), len(inp.shape))
    part = inp.shape[:axis] + inp.shape[axis + 1:]
    if len(op.outputs) != inp.shape[axis] or any(ctx.tensor(i).shape != part for i in op.outputs):
        raise fail(op, ctx, f"{len(op.outputs)} outputs do not each take one slice of the input "
                            f"{list(inp.shape)} along axis {axis}", fix=RECONVERT)
    return _split_call(op, ctx, op.inputs[0], axis, [math.prod(inp.shape[axis + 1:])] * len(op.outputs))


def pack(op, ctx):
    """PACK is CONCATENATION of its inputs, each with a size-1 axis inserted: the same bytes."""
    out = ctx.tensor(op.outputs[0])
    require_int8(op, ctx, *op.inputs, op.outputs[0])
    axis = _axis(op, ctx, op.options.get("axis", 0), len(out.shape))
    part = out.shape[:axis] + out.shape[axis + 1:]
    if len(op.inputs) != out.shape[axis] or any(ctx.tensor(i).shape != part for i in op.inputs):
        raise fail(op, ctx, f"{len(op.inputs)} inputs do not each make one slice of the output "
                            f"{list(out.shape)} along axis {axis}", fix=RECONVERT)
    inner = math.prod(out.shape[axis + 1:])
    return concatenation_call(op, ctx, math.prod(out.shape[:axis]), [inner] * len(op.inputs))


def gather(op, ctx):
    inp, idx, out = ctx.tensor(op.inputs[0]), ctx.tensor(op.inputs[1]), ctx.tensor(op.outputs[0])
    require_int8(op, ctx, op.inputs[0], op.outputs[0])
    if idx.dtype != "int32":
        raise fail(op, ctx, f"indices are {idx.dtype}; TFLM's GATHER takes int32 positions only",
                   fix="convert the indices to int32 (tf.cast(indices, tf.int32)) before tf.gather")
    if not idx.is_constant:
        # Every run-time tensor here is int8 (the model input, and every supported op's output).
        raise fail(op, ctx, f"indices '{idx.name}' are computed at run time, and no operator the runtime "
                            "implements computes int32 values", fix="use constant indices")
    rank = len(inp.shape)
    axis = _axis(op, ctx, op.options.get("axis", 0), rank)
    batch_dims = op.options.get("batch_dims", 0)
    batch_dims = batch_dims + len(idx.shape) if batch_dims < 0 else batch_dims
    # TFLM's Prepare conditions.
    if not (0 <= batch_dims <= axis and batch_dims < rank and batch_dims <= len(idx.shape)
            and inp.shape[:batch_dims] == idx.shape[:batch_dims]):
        raise fail(op, ctx, f"batch_dims {op.options.get('batch_dims', 0)} with axis {axis}, input "
                            f"{list(inp.shape)} and indices {list(idx.shape)}: TFLM refuses it (batch_dims "
                            "must be <= axis, and the leading batch_dims axes of both must agree)",
                   fix="use batch_dims <= axis with matching batch axes")
    indices = [int(v) for v in idx.array().reshape(-1)]
    bad = [v for v in indices if not 0 <= v < inp.shape[axis]]
    if bad:
        # TFLM only debug-checks them: out of range it would read outside the input.
        raise fail(op, ctx, f"indices {bad[:5]} are outside axis {axis} of size {inp.shape[axis]}",
                   fix=f"keep every index in [0, {inp.shape[axis]})")
    expected = inp.shape[:axis] + idx.shape[batch_dims:] + inp.shape[axis + 1:]
    if out.shape != expected:
        raise fail(op, ctx, f"the output tensor is {list(out.shape)}, gathering gives {list(expected)}",
                   fix=RECONVERT)
    return KernelCall("tml_gather", "tml_gather_params", {
        "input": ctx.pointer(op.inputs[0]), "indices": ctx.pointer(op.inputs[1], "int32_t"),
        "output": ctx.pointer(op.outputs[0]), "batches": str(math.prod(inp.shape[:batch_dims])),
        "outer": str(math.prod(inp.shape[batch_dims:axis])), "axis_size": str(inp.shape[axis]),
        "inner": str(math.prod(inp.shape[axis + 1:])), "num_indices": str(math.prod(idx.shape[batch_dims:]))})
