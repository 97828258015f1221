"""CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED: per-channel multipliers, the window, and
whether the optimized kernels may requantize with one SMMLAR."""
from __future__ import annotations

import numpy as np

from tinyml.firmware import fixed_point as qz
from tinyml.firmware.prepare.context import KernelCall, activation, fail, nhwc, qparams, require_int8
from tinyml.tflite.padding import padding


def window(op, inp, out, k_h, k_w) -> dict[str, int]:
    n, in_h, in_w, in_c = nhwc(inp)
    _, out_h, out_w, out_c = nhwc(out)
    o = op.options
    sh, sw = o.get("stride_h", 1), o.get("stride_w", 1)
    dh, dw = o.get("dilation_h_factor", 1), o.get("dilation_w_factor", 1)
    mode = o.get("padding", "VALID")
    return dict(batches=n, in_h=in_h, in_w=in_w, in_c=in_c, out_h=out_h, out_w=out_w, out_c=out_c,
                k_h=k_h, k_w=k_w, stride_h=sh, stride_w=sw, dil_h=dh, dil_w=dw,
                pad_h=padding(mode, in_h, k_h, sh, dh, out_h),
                pad_w=padding(mode, in_w, k_w, sw, dw, out_w))


def window_init(w: dict[str, int]) -> str:
    return "{" + ", ".join(f".{k} = {v}" for k, v in w.items()) + "}"


# Below this bound on |accumulator + bias| the optimized kernels requantize with one
# SMMLAR (tml_requantize_fast in firmware/runtime/src/optimized/mac_requant.h).
FAST_REQUANT_BOUND = 1 << 30


def accumulator_bounds(weights: np.ndarray, bias: np.ndarray | None, input_offset: int,
                       filter_offset: int = 0) -> np.ndarray:
    """Per output channel (rows of `weights`, one row per channel with every weight of that
    channel), the largest |bias + sum (x + input_offset) * (w + filter_offset)| over int8
    inputs x; padding adds x + input_offset = 0 and stays within the bound."""
    x_max = max(abs(-128 + input_offset), abs(127 + input_offset))
    w = np.abs(weights.astype(np.int64) + filter_offset).sum(axis=1) * x_max
    return w + (np.abs(bias.astype(np.int64)) if bias is not None else 0)


def fast_requant(weights: np.ndarray, bias: np.ndarray | None, shifts: list[int], input_offset: int,
                 filter_offset: int = 0) -> bool:
    """Whether the one-SMMLAR requantization is exact for every channel: each accumulator
    plus bias stays within (-2^30, 2^30) and each shift is a right shift by 1..31."""
    bounds = accumulator_bounds(weights, bias, input_offset, filter_offset)
    return bool((bounds < FAST_REQUANT_BOUND).all() and all(-31 <= s <= -1 for s in shifts))


def _fast_field(op, ctx, weights: np.ndarray, shifts: list[int], input_offset: int,
                filter_offset: int = 0) -> str:
    bias = op.inputs[2] if len(op.inputs) > 2 else -1
    bias_values = ctx.tensor(bias).array().reshape(-1) if bias >= 0 else None
    return str(int(fast_requant(weights, bias_values, shifts, input_offset, filter_offset)))


def _conv_like(op, ctx, *, depthwise: bool) -> KernelCall:
    inp, filt, out = ctx.tensor(op.inputs[0]), ctx.tensor(op.inputs[1]), ctx.tensor(op.outputs[0])
    require_int8(op, ctx, op.inputs[0], op.inputs[1], op.outputs[0])
    bias = op.inputs[2] if len(op.inputs) > 2 else -1
    if bias >= 0 and ctx.tensor(bias).dtype != "int32":
        raise fail(op, ctx, f"bias is {ctx.tensor(bias).dtype}, expected int32")
    if any(z != 0 for z in filt.quantization.zero_points):
        raise fail(op, ctx, "filter zero points must be 0 (symmetric int8 weights)")
    in_scale, in_zp = qparams(inp)
    out_scale, out_zp = qparams(out)
    channels = out.shape[-1]
    mult, shift = qz.conv_multipliers(in_scale, filt.quantization.scales, out_scale, channels)
    k_h, k_w = filt.shape[1], filt.shape[2]
    fields = {
        "input": ctx.pointer(op.inputs[0]), "filter": ctx.pointer(op.inputs[1]),
        "bias": ctx.pointer(bias, "int32_t"), "output": ctx.pointer(op.outputs[0]),
        "multiplier": "@multiplier", "shift": "@shift",
        "s": window_init(window(op, inp, out, k_h, k_w)),
        "input_offset": str(-in_zp), "output_offset": str(out_zp),
        **activation(op, ctx, out),
    }
    w = filt.array()
    # One row of weights per output channel: [out_c, k_h, k_w, in_c] or [1, k_h, k_w, out_c].
    rows = w.reshape(channels, -1) if not depthwise else w.reshape(-1, channels).T
    fields["fast_requant"] = _fast_field(op, ctx, rows, shift, -in_zp)
    if depthwise:
        fields["depth_multiplier"] = str(channels // inp.shape[-1])
        name = "depthwise_conv_2d"
    else:
        name = "conv_2d"
    return KernelCall(f"tml_{name}", f"tml_{name}_params", fields,
                      [("multiplier", "int32_t", mult), ("shift", "int8_t", shift)])


def conv_2d(op, ctx):
    return _conv_like(op, ctx, depthwise=False)


def depthwise_conv_2d(op, ctx):
    return _conv_like(op, ctx, depthwise=True)


def fully_connected(op, ctx):
    inp, filt, out = ctx.tensor(op.inputs[0]), ctx.tensor(op.inputs[1]), ctx.tensor(op.outputs[0])
    require_int8(op, ctx, op.inputs[0], op.inputs[1], op.outputs[0])
    bias = op.inputs[2] if len(op.inputs) > 2 else -1
    out_c, depth = filt.shape
    in_scale, in_zp = qparams(inp)
    out_scale, out_zp = qparams(out)
    f_scales = filt.quantization.scales
    if len(f_scales) > 1:
        mult, shift = qz.conv_multipliers(in_scale, f_scales, out_scale, out_c)
    else:
        m, s = qz.fully_connected_multiplier(in_scale, f_scales[0], out_scale)
        mult, shift = [m] * out_c, [s] * out_c
    fields = {
        "input": ctx.pointer(op.inputs[0]), "filter": ctx.pointer(op.inputs[1]),
        "bias": ctx.pointer(bias, "int32_t"), "output": ctx.pointer(op.outputs[0]),
        "multiplier": "@multiplier", "shift": "@shift",
        "batches": str(inp.num_elements // depth), "depth": str(depth), "out_c": str(out_c),
        "input_offset": str(-in_zp), "filter_offset": str(-filt.quantization.zero_points[0]),
        "output_offset": str(out_zp), **activation(op, ctx, out),
    }
    fields["fast_requant"] = _fast_field(op, ctx, filt.array().reshape(out_c, depth), shift, -in_zp,
                                         -filt.quantization.zero_points[0])
    return KernelCall("tml_fully_connected", "tml_fully_connected_params", fields,
                      [("multiplier", "int32_t", mult), ("shift", "int8_t", shift)])
