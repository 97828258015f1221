"""CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED: per-channel multipliers, the window, and
whether the optimized kernels may requantize with one SMMLAR."""
from __future__ import annotations

from fractions import Fraction

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


def _exact(scale) -> Fraction:
    """A float32 scale as the exact number it is."""
    return Fraction(float(np.float32(scale)))


# Below this many channels the computing call and its struct take more flash than the arrays.
MIN_COMPUTED_CHANNELS = 16
# Instructions tml_compute_multipliers takes per call and per channel (its loop, on a Cortex-M4 or M3).
COMPUTE_CALL_INSTRUCTIONS, COMPUTE_CHANNEL_INSTRUCTIONS = 20, 20
# The computing may add at most this share of the model's MACs in instructions: the kernels take more
# than one instruction per MAC, so a model runs at most this much slower (about 0.3 % on MobileNets).
COMPUTE_SHARE_OF_MACS = 0.01


def requant_constants(op, ctx, filt, ratio: Fraction, mult: list[int], shift: list[int]):
    """The op's per-channel multipliers and shifts: (fields, arrays, prelude) of its KernelCall.

    Stored as const arrays in flash, unless tml_compute_multipliers can compute exactly these
    values before each run from the filter's float32 scales times `ratio` (exact), which the model array holds
    anyway, into arena bytes no tensor uses during the op: then they cost neither flash nor RAM,
    only instructions, within the model's budget (COMPUTE_SHARE_OF_MACS)."""
    stored = ({"multiplier": "@multiplier", "shift": "@shift"},
              [("multiplier", "int32_t", mult), ("shift", "int8_t", shift)], None)
    q, channels = filt.quantization, len(mult)
    if channels < MIN_COMPUTED_CHANNELS or q.scales_offset is None or q.scales_offset % 4:
        return stored
    at = ctx.free_arena(op, 5 * channels)
    if at is None:
        return stored
    per_tensor = len(q.scales) == 1
    bits = [qz.float32_bits(s) for s in (q.scales * channels if per_tensor else q.scales)]
    k, shift_base = qz.scale_ratio_constant(ratio)
    if qz.multipliers_from_scales(bits, k, shift_base) != (mult, shift):
        return stored
    cost = COMPUTE_CALL_INSTRUCTIONS + COMPUTE_CHANNEL_INSTRUCTIONS * channels
    if not ctx.spend_instructions(COMPUTE_SHARE_OF_MACS, cost):
        return stored
    arena = ctx.arena_symbol
    multiplier, shifts = f"({arena} + {at})", f"({arena} + {at + 4 * channels})"
    prelude = ("tml_compute_multipliers", "tml_multipliers_params", {
        "scales": f"(const uint32_t *)({ctx.data_symbol} + {q.scales_offset})",
        "scale_step": str(int(not per_tensor)), "channels": str(channels),
        "k_hi": f"0x{k >> 32:08X}u", "k_lo": f"0x{k & 0xFFFFFFFF:08X}u", "shift_base": str(shift_base),
        "multiplier": f"(int32_t *){multiplier}", "shift": shifts,
    })
    return {"multiplier": f"(const int32_t *){multiplier}", "shift": f"(const int8_t *){shifts}"}, [], prelude


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
    requant, arrays, prelude = requant_constants(op, ctx, filt, _exact(in_scale) / _exact(out_scale), mult, shift)
    k_h, k_w = filt.shape[1], filt.shape[2]
    fields = {
        "input": ctx.pointer(op.inputs[0]), "filter": ctx.pointer(op.inputs[1]),
        "bias": ctx.pointer(bias, "int32_t"), "output": ctx.pointer(op.outputs[0]), **requant,
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
        return KernelCall("tml_depthwise_conv_2d", "tml_depthwise_conv_2d_params", fields, arrays, prelude)
    return KernelCall(conv_2d_variant(window(op, inp, out, k_h, k_w)), "tml_conv_2d_params", fields, arrays,
                      prelude, op_file="conv_2d")


# Bounds of the optimized kernels (firmware/runtime/src/optimized/): TML_COL_MAX in mac_requant.h,
# TML_BAND_MAX and TML_BAND_CHANNELS in conv_2d_one_channel.h.
COL_MAX, BAND_MAX, BAND_CHANNELS = 160, 192, 32


def conv_2d_variant(w: dict[str, int]) -> str:
    """The CONV_2D entry point for this window (all give the same results): chosen here, where
    every shape is known, so the image links only the paths its ops call."""
    band = ((w["out_h"] - 1) * w["stride_h"] + 3) * (w["out_w"] + 3)
    if (w["in_c"] == 1 and w["k_h"] == 3 and w["k_w"] == 3 and w["stride_w"] == 1 and w["dil_h"] == 1
            and w["dil_w"] == 1 and w["out_c"] <= BAND_CHANNELS and band <= BAND_MAX):
        return "tml_conv_2d_one_channel"
    n = w["k_h"] * w["k_w"] * w["in_c"]
    if n > COL_MAX:
        return "tml_conv_2d_direct"
    # Four pixels at a time (with SIMD) from 32 values on: shorter windows run faster through the
    # unrolled two-pixel copies.
    if n >= 32 and w["out_h"] * w["out_w"] >= 4:
        return "tml_conv_2d_cols4"
    return "tml_conv_2d"


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
        ratio = _exact(in_scale) / _exact(out_scale)
    else:
        m, s = qz.fully_connected_multiplier(in_scale, f_scales[0], out_scale)
        mult, shift = [m] * out_c, [s] * out_c
        # TFLite rounds input * filter scale to float32 first (fully_connected_multiplier).
        ratio = _exact(np.float32(in_scale) * np.float32(f_scales[0])) / (_exact(f_scales[0]) * _exact(out_scale))
    requant, arrays, prelude = requant_constants(op, ctx, filt, ratio, mult, shift)
    fields = {
        "input": ctx.pointer(op.inputs[0]), "filter": ctx.pointer(op.inputs[1]),
        "bias": ctx.pointer(bias, "int32_t"), "output": ctx.pointer(op.outputs[0]), **requant,
        "batches": str(inp.num_elements // depth), "depth": str(depth), "out_c": str(out_c),
        "input_offset": str(-in_zp), "filter_offset": str(-filt.quantization.zero_points[0]),
        "output_offset": str(out_zp), **activation(op, ctx, out),
    }
    fields["fast_requant"] = _fast_field(op, ctx, filt.array().reshape(out_c, depth), shift, -in_zp,
                                         -filt.quantization.zero_points[0])
    return KernelCall("tml_fully_connected", "tml_fully_connected_params", fields, arrays, prelude)
