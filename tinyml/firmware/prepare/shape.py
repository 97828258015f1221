"""Operators that move bytes without arithmetic: RESHAPE (and SQUEEZE, EXPAND_DIMS), PAD,
CONCATENATION."""
from __future__ import annotations

import math

from tinyml.firmware.prepare.context import KernelCall, c_list, const_ints, fail, pad4, qparams, require_int8


def reshape(op, ctx):
    inp, out = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    if inp.dtype != out.dtype or inp.nbytes != out.nbytes:
        raise fail(op, ctx, f"input {inp.dtype}{inp.shape} and output {out.dtype}{out.shape} differ in size")
    return KernelCall("tml_reshape", "tml_reshape_params", {
        "input": ctx.pointer(op.inputs[0]), "output": ctx.pointer(op.outputs[0]), "bytes": str(out.nbytes)})


def pad(op, ctx):
    inp, out = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    require_int8(op, ctx, op.inputs[0], op.outputs[0])
    if qparams(inp) != qparams(out):
        raise fail(op, ctx, "int8 PAD needs equal input and output quantization")
    pads = const_ints(op, ctx, op.inputs[1], "paddings")
    before = [0] * (4 - len(inp.shape)) + pads[0::2]
    return KernelCall("tml_pad", "tml_pad_params", {
        "input": ctx.pointer(op.inputs[0]), "output": ctx.pointer(op.outputs[0]),
        "in_shape": c_list(pad4(inp.shape, op, ctx)), "out_shape": c_list(pad4(out.shape, op, ctx)),
        "before": c_list(before), "pad_value": str(qparams(out)[1])})


def concatenation(op, ctx):
    out = ctx.tensor(op.outputs[0])
    require_int8(op, ctx, *op.inputs, op.outputs[0])
    if op.options.get("fused_activation_function", "NONE") != "NONE":
        raise fail(op, ctx, "fused activations on CONCATENATION are not supported")
    differing = [ctx.tensor(i).name for i in op.inputs if qparams(ctx.tensor(i)) != qparams(out)]
    if differing:
        # TFLM's int8 CONCATENATION refuses them too: it copies bytes and cannot rescale.
        raise fail(op, ctx, f"inputs {differing} are quantized unlike the output {qparams(out)}; TFLM refuses it",
                   fix="give every input the output's scale and zero point (the TFLite converter does)")
    axis = op.options.get("axis", 0)
    axis = axis + len(out.shape) if axis < 0 else axis
    return concatenation_call(op, ctx, math.prod(out.shape[:axis]),
                              [math.prod(ctx.tensor(i).shape[axis:]) for i in op.inputs])


def concatenation_call(op, ctx, outer: int, copy: list[int]) -> KernelCall:
    """tml_concatenation: `outer` rows of the output, each input's next copy[i] bytes in turn."""
    return KernelCall("tml_concatenation", "tml_concatenation_params", {
        "inputs": "@inputs", "copy_bytes": "@copy_bytes", "output": ctx.pointer(op.outputs[0]),
        "num_inputs": str(len(op.inputs)), "outer": str(outer)},
        [("inputs", "int8_t *const", [ctx.pointer(i) for i in op.inputs]), ("copy_bytes", "int32_t", copy)])
