"""SOFTMAX, LOGISTIC, TANH, standalone RELU/RELU6, the (de)quantization operators, and the
element-wise unary ones: RSQRT (a host-computed table), HARD_SWISH, LEAKY_RELU."""
from __future__ import annotations

import numpy as np

from tinyml.firmware import fixed_point as qz
from tinyml.firmware.prepare.context import INT_TYPES, KernelCall, fail, qparams, require_int8


def softmax(op, ctx):
    inp, out = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    require_int8(op, ctx, op.inputs[0])
    if out.dtype == "int16" and out.quantization is not None:
        # TFLM checks only the zero point of an int16 output; its scale does not enter the kernel.
        if qparams(out)[1] != -32768:
            raise fail(op, ctx, f"int16 softmax output must have zero point -32768, got {qparams(out)[1]}")
    else:
        require_int8(op, ctx, op.outputs[0])
        if qparams(out) != (1 / 256, -128):
            raise fail(op, ctx, f"int8 softmax output must have scale 1/256 and zero point -128, got {qparams(out)}")
    mult, shift, diff_min = qz.softmax_params(op.options.get("beta", 1.0), qparams(inp)[0])
    depth = inp.shape[-1]
    return KernelCall("tml_softmax", "tml_softmax_params", {
        "input": ctx.pointer(op.inputs[0]), "output": ctx.pointer(op.outputs[0]),
        "rows": str(inp.num_elements // depth), "depth": str(depth),
        "input_multiplier": str(mult), "input_left_shift": str(shift), "diff_min": str(diff_min),
        "output_type": INT_TYPES[out.dtype]})


def _requantize_fields(op, ctx, in_q: tuple[float, int], out_q: tuple[float, int]) -> dict[str, str]:
    """An int8 -> int8 element-wise op's pointers, size and requantization from in_q to out_q."""
    require_int8(op, ctx, op.inputs[0], op.outputs[0])
    return _requantization(op, ctx, in_q, out_q)


def _requantization(op, ctx, in_q: tuple[float, int], out_q: tuple[float, int]) -> dict[str, str]:
    (s_in, z_in), (s_out, z_out) = in_q, out_q
    m, s = qz.quantize_multiplier(s_in / s_out)
    return {"input": ctx.pointer(op.inputs[0]), "output": ctx.pointer(op.outputs[0]),
            "size": str(ctx.tensor(op.inputs[0]).num_elements),
            "input_zero_point": str(z_in), "output_zero_point": str(z_out), "multiplier": str(m), "shift": str(s)}


# QUANTIZE's integer conversions TFLM implements (input type -> output types).
_QUANTIZE_TYPES = {"int8": ("int8", "int16", "int32"), "int16": ("int8", "int16", "int32")}


def quantize(op, ctx):
    inp, out = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    if out.dtype not in _QUANTIZE_TYPES.get(inp.dtype, ()) or inp.quantization is None \
            or out.quantization is None:
        raise fail(op, ctx, f"QUANTIZE from {inp.dtype} to {out.dtype} is not supported (quantized int8 or int16 "
                            "in; int8, int16 or int32 out)")
    fields = _requantization(op, ctx, qparams(inp), qparams(out))
    return KernelCall("tml_quantize", "tml_quantize_params",
                      {**fields, "input_type": INT_TYPES[inp.dtype], "output_type": INT_TYPES[out.dtype]})


def relu(op, ctx):
    inp, out = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    if op.opcode == "RELU":
        fields = _requantize_fields(op, ctx, qparams(inp), qparams(out))
        lo, hi = qz.activation_range("RELU", *qparams(out))
    else:
        # TFLM's int8 RELU6 clamps in the input's quantization and ignores the output's.
        fields = _requantize_fields(op, ctx, qparams(inp), qparams(inp))
        lo, hi = qz.activation_range("RELU6", *qparams(inp))
    return KernelCall("tml_relu", "tml_relu_params", {**fields, "act_min": str(lo), "act_max": str(hi)})


def dequantize(op, ctx):
    inp, out = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    require_int8(op, ctx, op.inputs[0])
    if out.dtype != "float32":
        raise fail(op, ctx, f"DEQUANTIZE output '{out.name}' is {out.dtype}, the runtime produces float32")
    if len(inp.quantization.scales) != 1:
        raise fail(op, ctx, "per-channel DEQUANTIZE is not supported")
    scale, zero_point = qparams(inp)
    return KernelCall("tml_dequantize", "tml_dequantize_params", {
        "input": ctx.pointer(op.inputs[0]), "output": f"(float *)(void *){ctx.pointer(op.outputs[0])}",
        "size": str(inp.num_elements), "zero_point": str(zero_point),
        # A hexadecimal float literal is the float32 scale exactly.
        "scale": float.hex(float(np.float32(scale))) + "f"})


def _sigmoid_like(op, ctx, name: str, output_q: tuple[float, int]) -> KernelCall:
    inp, out = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    require_int8(op, ctx, op.inputs[0], op.outputs[0])
    if qparams(out) != output_q:
        raise fail(op, ctx, f"int8 {op.opcode} output must have scale {output_q[0]} and zero point {output_q[1]}")
    multiplier, shift, radius = qz.q4_input_params(qparams(inp)[0])
    return KernelCall(f"tml_{name}", "tml_sigmoid_params", {
        "input": ctx.pointer(op.inputs[0]), "output": ctx.pointer(op.outputs[0]), "size": str(inp.num_elements),
        "input_zero_point": str(qparams(inp)[1]), "input_multiplier": str(multiplier),
        "input_left_shift": str(shift), "input_range_radius": str(radius)})


def logistic(op, ctx):
    return _sigmoid_like(op, ctx, "logistic", (1 / 256, -128))


def tanh(op, ctx):
    return _sigmoid_like(op, ctx, "tanh", (1 / 128, 0))


def rsqrt(op, ctx):
    inp, out = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    require_int8(op, ctx, op.inputs[0], op.outputs[0])
    (s_in, z_in), (s_out, z_out) = qparams(inp), qparams(out)
    if z_in != qz.INT8_MIN:
        raise fail(op, ctx, f"input '{inp.name}' has zero point {z_in}: its int8 values below it are negative, "
                            "on which TFLM stops the run with an error the runtime cannot give",
                   fix="RSQRT's input must have zero point -128 (a range starting at 0), as the converter gives "
                       "it when its calibration inputs are >= 0")
    return KernelCall("tml_rsqrt", "tml_lookup_params", {
        "input": ctx.pointer(op.inputs[0]), "output": ctx.pointer(op.outputs[0]), "size": str(inp.num_elements),
        "table": "@table"}, [("table", "int8_t", qz.rsqrt_table(s_in, z_in, s_out, z_out))])


def hard_swish(op, ctx):
    inp, out = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    require_int8(op, ctx, op.inputs[0], op.outputs[0])
    (s_in, z_in), (s_out, z_out) = qparams(inp), qparams(out)
    f32 = np.float32
    # TFLM's Prepare, in float32: the input on a 2^7 finer scale, rescaled to the output and to
    # the scale where 3.0 is 2^15 (the "relu-ish" factor).
    hires = f32(1 / 128) * f32(s_in)
    out_m, out_shift = qz.quantize_multiplier(float(hires / f32(s_out)))
    relu_m, relu_shift = qz.quantize_multiplier(float(hires / f32(3 / 32768)))
    if out_shift > 0:
        raise fail(op, ctx, f"output scale {s_out:g} is below input scale / 128 ({s_in / 128:g}), which TFLM's "
                            "int8 HARD_SWISH refuses")
    if min(out_shift, relu_shift) < -15:
        raise fail(op, ctx, f"scales input {s_in:g}, output {s_out:g} need a right shift beyond 15 bits in "
                            "HARD_SWISH's 16-bit arithmetic, which the runtime does not implement")
    return KernelCall("tml_hard_swish", "tml_hard_swish_params", {
        "input": ctx.pointer(op.inputs[0]), "output": ctx.pointer(op.outputs[0]), "size": str(inp.num_elements),
        "input_zero_point": str(z_in), "output_zero_point": str(z_out),
        "output_multiplier": str(qz.downscale_to_q15(out_m)), "output_shift": str(out_shift),
        "reluish_multiplier": str(qz.downscale_to_q15(relu_m)), "reluish_shift": str(relu_shift)})


def leaky_relu(op, ctx):
    inp, out = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    require_int8(op, ctx, op.inputs[0], op.outputs[0])
    (s_in, z_in), (s_out, z_out) = qparams(inp), qparams(out)
    f32 = np.float32
    # TFLM's Prepare divides in float32 before widening to double.
    alpha_m, alpha_s = qz.quantize_multiplier(float(f32(s_in) * f32(op.options.get("alpha", 0.0)) / f32(s_out)))
    identity_m, identity_s = qz.quantize_multiplier(float(f32(s_in) / f32(s_out)))
    return KernelCall("tml_leaky_relu", "tml_leaky_relu_params", {
        "input": ctx.pointer(op.inputs[0]), "output": ctx.pointer(op.outputs[0]), "size": str(inp.num_elements),
        "input_zero_point": str(z_in), "output_zero_point": str(z_out),
        "identity_multiplier": str(identity_m), "identity_shift": str(identity_s),
        "alpha_multiplier": str(alpha_m), "alpha_shift": str(alpha_s)})
