"""MEAN over any set of axes."""
from __future__ import annotations

from tinyml.firmware import fixed_point as qz
from tinyml.firmware.prepare.context import KernelCall, c_list, const_ints, pad4, qparams, require_int8


def mean(op, ctx):
    inp, out = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    require_int8(op, ctx, op.inputs[0], op.outputs[0])
    rank = len(inp.shape)
    shape = pad4(inp.shape, op, ctx)
    axes = {(a + rank if a < 0 else a) + 4 - rank for a in const_ints(op, ctx, op.inputs[1], "axis")}
    count = 1
    for a in axes:
        count *= shape[a]
    (s_in, z_in), (s_out, z_out) = qparams(inp), qparams(out)
    m, s = qz.quantize_multiplier(s_in / s_out)
    # Fold 1/count into the multiplier as TFLite does (shift clamped to keep it valid).
    k = min(count.bit_length() - 1, 32, 31 + s)
    m, s = (m << k) // count, s - k
    return KernelCall("tml_mean", "tml_mean_params", {
        "input": ctx.pointer(op.inputs[0]), "output": ctx.pointer(op.outputs[0]),
        "in_shape": c_list(shape), "reduce": c_list(int(k in axes) for k in range(4)),
        "num_reduced": str(count), "input_zero_point": str(z_in), "output_zero_point": str(z_out),
        "multiplier": str(m), "shift": str(s)})
