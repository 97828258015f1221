"""Binary element-wise operators with 4-D broadcasting: ADD, SUB, MUL, SQUARED_DIFFERENCE,
MAXIMUM, MINIMUM, PRELU (the input and its alpha)."""
from __future__ import annotations

from tinyml.firmware import fixed_point as qz
from tinyml.firmware.prepare.context import KernelCall, activation, c_list, fail, pad4, qparams, require_int8


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


def _common_scale(op, ctx, left_shift: int) -> tuple[dict[str, str], float]:
    """TFLite's first step of ADD, SUB and SQUARED_DIFFERENCE: both inputs, shifted left by
    left_shift, rescaled to twice the larger input scale. Returns the fields and that scale."""
    fields = _binary_io(op, ctx)
    (s1, z1), (s2, z2) = qparams(ctx.tensor(op.inputs[0])), qparams(ctx.tensor(op.inputs[1]))
    twice_max = 2 * max(s1, s2)
    m1, sh1 = qz.quantize_multiplier(s1 / twice_max)
    m2, sh2 = qz.quantize_multiplier(s2 / twice_max)
    fields.update({"input1_offset": str(-z1), "input2_offset": str(-z2), "left_shift": str(left_shift),
                   "input1_multiplier": str(m1), "input1_shift": str(sh1),
                   "input2_multiplier": str(m2), "input2_shift": str(sh2)})
    return fields, twice_max


def _add_or_sub(op, ctx, name: str) -> KernelCall:
    left_shift = 20  # headroom TFLite gives int8 ADD and SUB before rescaling
    fields, twice_max = _common_scale(op, ctx, left_shift)
    out = ctx.tensor(op.outputs[0])
    s_out, z_out = qparams(out)
    real = twice_max / ((1 << left_shift) * s_out)
    if real >= 1:
        # TFLM computes this multiplier with QuantizeMultiplierSmallerThanOneExp, which aborts.
        raise fail(op, ctx, f"output scale {s_out:g} is below 2^-20 of twice the larger input scale "
                            f"({twice_max:g}); TFLM refuses the op (its output multiplier {real:g} must be < 1)",
                   fix="the output's range is (almost) zero, e.g. x - x: remove the op or calibrate with "
                       "data where its output varies")
    mo, sho = qz.quantize_multiplier(real)
    fields.update({"output_offset": str(z_out), "output_multiplier": str(mo), "output_shift": str(sho),
                   **activation(op, ctx, out)})
    return KernelCall(f"tml_{name}", "tml_add_params", fields)


def add(op, ctx):
    return _add_or_sub(op, ctx, "add")


def sub(op, ctx):
    return _add_or_sub(op, ctx, "sub")


def squared_difference(op, ctx):
    left_shift = 7  # so that the squared difference of two shifted int8 values fits in 31 bits
    fields, twice_max = _common_scale(op, ctx, left_shift)
    s_out, z_out = qparams(ctx.tensor(op.outputs[0]))
    m, s = qz.quantize_multiplier(twice_max * twice_max / ((1 << 2 * left_shift) * s_out))
    fields.update({"output_offset": str(z_out), "output_multiplier": str(m), "output_shift": str(s),
                   "act_min": str(qz.INT8_MIN), "act_max": str(qz.INT8_MAX)})
    return KernelCall("tml_squared_difference", "tml_add_params", fields)


def mul(op, ctx):
    fields = _binary_io(op, ctx)
    (s1, z1), (s2, z2) = qparams(ctx.tensor(op.inputs[0])), qparams(ctx.tensor(op.inputs[1]))
    out = ctx.tensor(op.outputs[0])
    s_out, z_out = qparams(out)
    m, s = qz.quantize_multiplier(s1 * s2 / s_out)
    fields.update({"input1_offset": str(-z1), "input2_offset": str(-z2), "output_offset": str(z_out),
                   "output_multiplier": str(m), "output_shift": str(s), **activation(op, ctx, out)})
    return KernelCall("tml_mul", "tml_mul_params", fields)


def _max_min(op, ctx, name: str) -> KernelCall:
    fields = _binary_io(op, ctx)
    quantizations = [qparams(ctx.tensor(i)) for i in (*op.inputs[:2], op.outputs[0])]
    if len(set(quantizations)) != 1:
        # TFLM compares the raw int8 values whatever their scales, which is the real max/min only here.
        raise fail(op, ctx, f"int8 {op.opcode} needs one quantization (scale, zero point) for both inputs and "
                            f"the output, got {quantizations}",
                   fix="convert with tf.lite.TFLiteConverter, which gives the op's tensors one quantization")
    return KernelCall(f"tml_{name}", "tml_max_min_params", fields)


def maximum(op, ctx):
    return _max_min(op, ctx, "maximum")


def minimum(op, ctx):
    return _max_min(op, ctx, "minimum")


def prelu(op, ctx):
    io = _binary_io(op, ctx)
    inp, alpha = ctx.tensor(op.inputs[0]), ctx.tensor(op.inputs[1])
    if len(alpha.quantization.scales) != 1:
        raise fail(op, ctx, f"alpha '{alpha.name}' is quantized per channel; TFLM's int8 PRELU uses one scale")
    (s_in, z_in), (s_alpha, z_alpha) = qparams(inp), qparams(alpha)
    s_out, z_out = qparams(ctx.tensor(op.outputs[0]))
    m1, sh1 = qz.quantize_multiplier(s_in / s_out)
    m2, sh2 = qz.quantize_multiplier(s_in * s_alpha / s_out)
    return KernelCall("tml_prelu", "tml_prelu_params", {
        "input": io["input1"], "alpha": io["input2"], "output": io["output"], "b": io["b"],
        "input_offset": str(-z_in), "alpha_offset": str(-z_alpha), "output_offset": str(z_out),
        "identity_multiplier": str(m1), "identity_shift": str(sh1),
        "alpha_multiplier": str(m2), "alpha_shift": str(sh2)})
