"""CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, ADD and SOFTMAX in TFLite's 16x8 mode: int16 activations
with zero point 0, int8 symmetric weights, int64 biases (firmware/runtime/src/kernels/*_int16.c)."""
from __future__ import annotations

from tinyml.firmware import fixed_point as qz
from tinyml.firmware.prepare.context import KernelCall, fail, qparams
from tinyml.firmware.prepare.conv import window, window_init
from tinyml.firmware.prepare.elementwise import _broadcast

FIX_16X8 = ("16x8 models need int16 activations with zero point 0, int8 weights and int64 biases: convert with "
            "EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8 and a representative dataset")


def _check(op, ctx, *, weights_zero: bool) -> None:
    inp, filt, out = ctx.tensor(op.inputs[0]), ctx.tensor(op.inputs[1]), ctx.tensor(op.outputs[0])
    types = f"{inp.dtype} input, {filt.dtype} weights, {out.dtype} output"
    if inp.dtype != "int16" or out.dtype != "int16" or filt.dtype != "int8":
        raise fail(op, ctx, f"{types}: the 16x8 kernel takes int16 input and output with int8 weights", FIX_16X8)
    for t in (inp, out, filt):
        if t.quantization is None:
            raise fail(op, ctx, f"tensor '{t.name}' is not quantized", FIX_16X8)
    if qparams(inp)[1] != 0 or qparams(out)[1] != 0:
        raise fail(op, ctx, "int16 activations must have zero point 0 (TFLM's 16x8 kernels ignore it)", FIX_16X8)
    if weights_zero and any(z != 0 for z in filt.quantization.zero_points):
        raise fail(op, ctx, "filter zero points must be 0 (symmetric int8 weights)", FIX_16X8)
    if len(op.inputs) > 2 and op.inputs[2] >= 0 and ctx.tensor(op.inputs[2]).dtype != "int64":
        raise fail(op, ctx, f"bias is {ctx.tensor(op.inputs[2]).dtype}; TFLM's 16x8 kernels read int64 biases",
                   FIX_16X8)


def _requant_arrays(op, ctx, mult: list[int], shift: list[int]) -> list[tuple[str, str, list[int]]]:
    try:
        pairs = [qz.wide_requant(m, s) for m, s in zip(mult, shift)]
    except ValueError as e:
        raise fail(op, ctx, str(e), FIX_16X8) from None
    return [("multiplier", "int16_t", [m for m, _ in pairs]), ("shift", "int8_t", [s for _, s in pairs])]


def _activation(op, ctx, out) -> dict[str, str]:
    act = op.options.get("fused_activation_function", "NONE")
    scale, zp = qparams(out)
    try:
        lo, hi = qz.activation_range(act, scale, zp, qz.INT16_MIN, qz.INT16_MAX)
    except ValueError as e:
        raise fail(op, ctx, str(e), FIX_16X8) from None
    return {"act_min": str(lo), "act_max": str(hi)}


def _conv_like(op, ctx, *, depthwise: bool) -> KernelCall:
    _check(op, ctx, weights_zero=True)
    inp, filt, out = ctx.tensor(op.inputs[0]), ctx.tensor(op.inputs[1]), ctx.tensor(op.outputs[0])
    bias = op.inputs[2] if len(op.inputs) > 2 else -1
    channels = out.shape[-1]
    mult, shift = qz.conv_multipliers(qparams(inp)[0], filt.quantization.scales, qparams(out)[0], channels)
    fields = {
        "input": ctx.pointer(op.inputs[0], "int16_t"), "filter": ctx.pointer(op.inputs[1]),
        "bias": ctx.pointer(bias), "output": ctx.pointer(op.outputs[0], "int16_t"),
        "multiplier": "@multiplier", "shift": "@shift",
        "s": window_init(window(op, inp, out, filt.shape[1], filt.shape[2])),
    }
    name = "conv_2d"
    if depthwise:
        fields["depth_multiplier"] = str(channels // inp.shape[-1])
        name = "depthwise_conv_2d"
    fields.update(_activation(op, ctx, out))
    return KernelCall(f"tml_{name}_int16", f"tml_{name}_int16_params", fields,
                      _requant_arrays(op, ctx, mult, shift))


def conv_2d(op, ctx):
    return _conv_like(op, ctx, depthwise=False)


def depthwise_conv_2d(op, ctx):
    return _conv_like(op, ctx, depthwise=True)


def fully_connected(op, ctx):
    _check(op, ctx, weights_zero=False)
    inp, filt, out = ctx.tensor(op.inputs[0]), ctx.tensor(op.inputs[1]), ctx.tensor(op.outputs[0])
    bias = op.inputs[2] if len(op.inputs) > 2 else -1
    out_c, depth = filt.shape
    in_scale, out_scale = qparams(inp)[0], qparams(out)[0]
    if len(filt.quantization.scales) > 1:
        # TFLM's 16x8 kernel applies one multiplier to every output channel.
        raise fail(op, ctx, "per-channel weights: TFLM's 16x8 FULLY_CONNECTED takes one weight scale",
                   "convert without per-channel FULLY_CONNECTED weights (the converter's default)")
    m, s = qz.fully_connected_multiplier(in_scale, filt.quantization.scales[0], out_scale)
    mult, shift = [m] * out_c, [s] * out_c
    fields = {
        "input": ctx.pointer(op.inputs[0], "int16_t"), "filter": ctx.pointer(op.inputs[1]),
        "bias": ctx.pointer(bias), "output": ctx.pointer(op.outputs[0], "int16_t"),
        "multiplier": "@multiplier", "shift": "@shift",
        "batches": str(inp.num_elements // depth), "depth": str(depth), "out_c": str(out_c),
        "filter_offset": str(-filt.quantization.zero_points[0]), **_activation(op, ctx, out),
    }
    return KernelCall("tml_fully_connected_int16", "tml_fully_connected_int16_params", fields,
                      _requant_arrays(op, ctx, mult, shift))


def add(op, ctx):
    """ADD on int16 inputs: the int8 ADD's rescaling (prepare/elementwise.py) with 15 bits of headroom."""
    tensors = [ctx.tensor(i) for i in (op.inputs[0], op.inputs[1], op.outputs[0])]
    if any(t.dtype != "int16" or t.quantization is None for t in tensors):
        raise fail(op, ctx, f"{'/'.join(t.dtype for t in tensors[:2])} -> {tensors[2].dtype}: the 16x8 ADD takes "
                            "quantized int16 inputs and output", FIX_16X8)
    if any(qparams(t)[1] != 0 for t in tensors):
        raise fail(op, ctx, "int16 activations must have zero point 0", FIX_16X8)
    left_shift = 15
    (s1, _), (s2, _), (s_out, _) = (qparams(t) for t in tensors)
    twice_max = 2 * max(s1, s2)
    real = twice_max / ((1 << left_shift) * s_out)
    if real >= 1:
        raise fail(op, ctx, f"output scale {s_out:g} is below 2^-15 of twice the larger input scale; TFLM refuses "
                            f"the op (its output multiplier {real:g} must be < 1)", FIX_16X8)
    pairs = [qz.quantize_multiplier(v) for v in (s1 / twice_max, s2 / twice_max, real)]
    fields = {"input1": ctx.pointer(op.inputs[0], "int16_t"), "input2": ctx.pointer(op.inputs[1], "int16_t"),
              "output": ctx.pointer(op.outputs[0], "int16_t"), "b": _broadcast(op, ctx),
              "left_shift": str(left_shift)}
    for name, (m, s) in zip(("input1", "input2", "output"), pairs):
        fields.update({f"{name}_multiplier": str(m), f"{name}_shift": str(s)})
    fields.update(_activation(op, ctx, tensors[2]))
    return KernelCall("tml_add_int16", "tml_add_int16_params", fields)


def softmax(op, ctx):
    """SOFTMAX on an int16 input; its output must be int16 with TFLM's fixed quantization."""
    inp, out = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    if out.dtype != "int16" or inp.quantization is None or out.quantization is None:
        raise fail(op, ctx, f"{inp.dtype} -> {out.dtype}: the 16x8 SOFTMAX takes quantized int16 to int16", FIX_16X8)
    (in_scale, in_zp), (out_scale, out_zp) = qparams(inp), qparams(out)
    # TFLM's Prepare: zero points 0 (the input's is ignored) and an output scale within 0.1% of 2^-15.
    if out_zp != 0 or abs(out_scale - 1 / 32768) > 0.001 / 32768 or in_zp != 0:
        raise fail(op, ctx, f"int16 softmax needs zero points 0 and output scale 1/32768, got input zero point "
                            f"{in_zp}, output {out_scale:g}/{out_zp}", FIX_16X8)
    # Input differences scaled so that [-65535, 0] stands for [-10, 0].
    mult, shift = qz.quantize_multiplier(in_scale * op.options.get("beta", 1.0) / (10.0 / 65535.0))
    exp_table, reciprocal_table = qz.softmax_int16_tables()
    depth = inp.shape[-1]
    return KernelCall("tml_softmax_int16", "tml_softmax_int16_params", {
        "input": ctx.pointer(op.inputs[0], "int16_t"), "output": ctx.pointer(op.outputs[0], "int16_t"),
        "rows": str(inp.num_elements // depth), "depth": str(depth),
        "input_multiplier": str(mult), "input_shift": str(shift),
        "exp_table": "@exp", "reciprocal_table": "@reciprocal"},
        [("exp", "int16_t", exp_table), ("reciprocal", "int16_t", reciprocal_table)])
