"""Binary element-wise operators with 4-D broadcasting: ADD, MUL."""
from __future__ import annotations

from tinyml.firmware import fixed_point as qz
from tinyml.firmware.prepare.context import KernelCall, activation, c_list, pad4, qparams, require_int8


def _broadcast(op, ctx) -> str:
    out = pad4(ctx.tensor(op.outputs[0]).shape, op, ctx)
    strides = []
    for index in op.inputs[:2]:
        shape = pad4(ctx.tensor(index).shape, op, ctx)
        contiguous = [1, 1, 1, 1]
        for k in (2, 1, 0):
            contiguous[k] = contiguous[k + 1] * shape[k + 1]
        strides.append([0 if shape[k] == 1 and out[k] != 1 else contiguous[k] for k in range(4)])
    return f"{{.shape = {c_list(out)}, .stride1 = {c_list(strides[0])}, .stride2 = {c_list(strides[1])}}}"


def _binary_io(op, ctx) -> dict[str, str]:
    require_int8(op, ctx, op.inputs[0], op.inputs[1], op.outputs[0])
    return {"input1": ctx.pointer(op.inputs[0]), "input2": ctx.pointer(op.inputs[1]),
            "output": ctx.pointer(op.outputs[0]), "b": _broadcast(op, ctx)}


def add(op, ctx):
    fields = _binary_io(op, ctx)
    (s1, z1), (s2, z2) = qparams(ctx.tensor(op.inputs[0])), qparams(ctx.tensor(op.inputs[1]))
    out = ctx.tensor(op.outputs[0])
    s_out, z_out = qparams(out)
    left_shift = 20  # headroom TFLite gives int8 ADD before rescaling
    twice_max = 2 * max(s1, s2)
    m1, sh1 = qz.quantize_multiplier(s1 / twice_max)
    m2, sh2 = qz.quantize_multiplier(s2 / twice_max)
    mo, sho = qz.quantize_multiplier(twice_max / ((1 << left_shift) * s_out))
    fields.update({
        "input1_offset": str(-z1), "input2_offset": str(-z2), "output_offset": str(z_out),
        "left_shift": str(left_shift), "input1_multiplier": str(m1), "input1_shift": str(sh1),
        "input2_multiplier": str(m2), "input2_shift": str(sh2),
        "output_multiplier": str(mo), "output_shift": str(sho), **activation(op, ctx, out)})
    return KernelCall("tml_add", "tml_add_params", fields)


def mul(op, ctx):
    fields = _binary_io(op, ctx)
    (s1, z1), (s2, z2) = qparams(ctx.tensor(op.inputs[0])), qparams(ctx.tensor(op.inputs[1]))
    out = ctx.tensor(op.outputs[0])
    s_out, z_out = qparams(out)
    m, s = qz.quantize_multiplier(s1 * s2 / s_out)
    fields.update({"input1_offset": str(-z1), "input2_offset": str(-z2), "output_offset": str(z_out),
                   "output_multiplier": str(m), "output_shift": str(s), **activation(op, ctx, out)})
    return KernelCall("tml_mul", "tml_mul_params", fields)
