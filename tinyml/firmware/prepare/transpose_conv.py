"""TRANSPOSE_CONV: the window and per-channel multipliers TFLM's Prepare computes.

Inputs are (output shape, filter, input, bias?). TFLM never reads the output
shape tensor (its tensors are static, the output tensor's shape is used), and
neither does the runtime. The kernel takes CONV_2D's parameter struct.
"""
from __future__ import annotations

from tinyml.firmware import fixed_point as qz
from tinyml.firmware.prepare.context import KernelCall, activation, fail, nhwc, qparams, require_int8
from tinyml.firmware.prepare.conv import window_init


def _crop(mode: str, size: int, k: int, stride: int) -> int:
    """Leading rows (columns) cropped from the full transposed convolution, as TFLM derives
    them: the output taken as the input of the matching convolution, whose output size and
    SAME/VALID padding it computes with C's truncating division."""
    span = size + stride - 1 if mode == "SAME" else size + stride - k
    conv_out = abs(span) // stride * (1 if span >= 0 else -1)
    return max((conv_out - 1) * stride + k - size, 0) // 2


def transpose_conv(op, ctx) -> KernelCall:
    if len(op.inputs) not in (3, 4):
        raise fail(op, ctx, f"{len(op.inputs)} inputs, TFLM takes (output shape, filter, input[, bias])")
    filt_i, inp_i, out_i = op.inputs[1], op.inputs[2], op.outputs[0]
    bias_i = op.inputs[3] if len(op.inputs) == 4 else -1
    require_int8(op, ctx, inp_i, filt_i, out_i)
    inp, filt, out = ctx.tensor(inp_i), ctx.tensor(filt_i), ctx.tensor(out_i)
    n, in_h, in_w, in_c = nhwc(inp)
    out_n, out_h, out_w, out_c = nhwc(out)
    f_out, k_h, k_w, f_in = nhwc(filt)
    if (f_out, f_in, out_n) != (out_c, in_c, n):
        raise fail(op, ctx, f"filter {filt.shape} does not fit input {inp.shape} and output {out.shape} "
                            "(filter [out_c, k_h, k_w, in_c])", fix="re-export the model with tf.lite.TFLiteConverter")
    if bias_i >= 0 and (ctx.tensor(bias_i).dtype != "int32" or ctx.tensor(bias_i).num_elements != out_c):
        b = ctx.tensor(bias_i)
        raise fail(op, ctx, f"bias is {b.dtype} {b.shape}, expected int32 [{out_c}]")
    q = filt.quantization
    if len(q.scales) not in (1, out_c) or len(q.zero_points) != len(q.scales):
        raise fail(op, ctx, f"filter has {len(q.scales)} scales and {len(q.zero_points)} zero points; "
                            f"TFLM takes one or one per output channel ({out_c})")
    if any(z != 0 for z in q.zero_points):
        raise fail(op, ctx, "filter zero points must be 0 (symmetric int8 weights)")
    o = op.options
    mode = o.get("padding")
    if mode not in ("SAME", "VALID"):
        raise fail(op, ctx, f"padding {mode}, TFLM takes SAME or VALID",
                   fix="re-export the model with tf.lite.TFLiteConverter")
    sh, sw = o.get("stride_h", 1), o.get("stride_w", 1)
    in_scale, in_zp = qparams(inp)
    out_scale, out_zp = qparams(out)
    mult, shift = qz.conv_multipliers(in_scale, q.scales, out_scale, out_c)
    s = dict(batches=n, in_h=in_h, in_w=in_w, in_c=in_c, out_h=out_h, out_w=out_w, out_c=out_c,
             k_h=k_h, k_w=k_w, stride_h=sh, stride_w=sw, dil_h=1, dil_w=1,
             pad_h=_crop(mode, out_h, k_h, sh), pad_w=_crop(mode, out_w, k_w, sw))
    fields = {
        "input": ctx.pointer(inp_i), "filter": ctx.pointer(filt_i), "bias": ctx.pointer(bias_i, "int32_t"),
        "output": ctx.pointer(out_i), "multiplier": "@multiplier", "shift": "@shift", "s": window_init(s),
        "input_offset": str(-in_zp), "output_offset": str(out_zp), **activation(op, ctx, out),
    }
    return KernelCall("tml_transpose_conv", "tml_conv_2d_params", fields,
                      [("multiplier", "int32_t", mult), ("shift", "int8_t", shift)])
