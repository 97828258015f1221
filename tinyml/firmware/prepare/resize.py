"""RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR: what TFLM's Prepare and its index
arithmetic decide, computed here so the kernels only move and weigh int8 values."""
from __future__ import annotations

import numpy as np

from tinyml.firmware.prepare.context import KernelCall, const_ints, fail, nhwc, require_int8


def _geometry(op, ctx):
    """(in NHWC, out NHWC, align_corners, half_pixel_centers), refusing what TFLM refuses."""
    require_int8(op, ctx, op.inputs[0], op.outputs[0])
    inp, out = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    if len(inp.shape) != 4:
        raise fail(op, ctx, f"input shape {list(inp.shape)} is not 4-D NHWC")
    if not ctx.tensor(op.inputs[1]).is_constant:
        raise fail(op, ctx, "the output size is computed at run time; TFLM (and this runtime) need a constant size")
    size = const_ints(op, ctx, op.inputs[1], "size")
    if len(size) != 2 or tuple(size) != tuple(nhwc(out)[1:3]):
        raise fail(op, ctx, f"size {size} does not match the output shape {list(out.shape)}")
    align, half = bool(op.options.get("align_corners")), bool(op.options.get("half_pixel_centers"))
    return nhwc(inp), nhwc(out), align, half


def _shape_fields(op, ctx, inp, out) -> dict[str, str]:
    return {"input": ctx.pointer(op.inputs[0]), "output": ctx.pointer(op.outputs[0]),
            "batches": str(inp[0]), "in_h": str(inp[1]), "in_w": str(inp[2]), "channels": str(inp[3]),
            "out_h": str(out[1]), "out_w": str(out[2])}


def nearest_indices(in_size: int, out_size: int, align_corners: bool, half_pixel_centers: bool) -> list[int]:
    """The input index of each output index, in TFLM's float32 arithmetic."""
    f32 = np.float32
    if align_corners and out_size > 1:
        scale = f32(in_size - 1) / f32(out_size - 1)
    else:
        scale = f32(in_size) / f32(out_size)
    offset = f32(0.5) if half_pixel_centers else f32(0.0)
    indices = []
    for i in range(out_size):
        pos = (f32(i) + offset) * scale  # float32 products, as on the device
        # TfLiteRound rounds half away from zero; pos is never negative.
        j = int(np.floor(np.float64(pos) + 0.5)) if align_corners else int(np.floor(pos))
        j = min(j, in_size - 1)
        indices.append(max(j, 0) if half_pixel_centers else j)
    return indices


def resize_nearest_neighbor(op, ctx):
    inp, out, align, half = _geometry(op, ctx)
    return KernelCall("tml_resize_nearest_neighbor", "tml_resize_nearest_neighbor_params", {
        **_shape_fields(op, ctx, inp, out), "rows": "@rows", "cols": "@cols"},
        [("rows", "int32_t", nearest_indices(inp[1], out[1], align, half)),
         ("cols", "int32_t", nearest_indices(inp[2], out[2], align, half))])


def bilinear_scale_q10(in_size: int, out_size: int, align_corners: bool) -> int:
    """in_size / out_size in Q10, rounded to nearest (TFLM's integer resize)."""
    if align_corners and out_size > 1:
        in_size, out_size = in_size - 1, out_size - 1
    return ((1 << 10) * in_size + out_size // 2) // out_size


def resize_bilinear(op, ctx):
    inp, out, align, half = _geometry(op, ctx)
    if align and half:  # nearest neighbour takes both
        raise fail(op, ctx, "align_corners and half_pixel_centers are both set; TFLM's RESIZE_BILINEAR refuses "
                            "the pair (half-pixel centres need align_corners=False)")
    return KernelCall("tml_resize_bilinear", "tml_resize_bilinear_params", {
        **_shape_fields(op, ctx, inp, out), "scale_h": str(bilinear_scale_q10(inp[1], out[1], align)),
        "scale_w": str(bilinear_scale_q10(inp[2], out[2], align)), "half_pixel_centers": str(int(half))})
