"""AVERAGE_POOL_2D and MAX_POOL_2D."""
from __future__ import annotations

from tinyml.firmware.prepare.context import KernelCall, activation, fail, qparams, require_int8
from tinyml.firmware.prepare.conv import window, window_init


def _pool(op, ctx, name):
    inp, out = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    require_int8(op, ctx, op.inputs[0], op.outputs[0])
    if qparams(inp) != qparams(out):
        raise fail(op, ctx, "int8 pooling needs equal input and output quantization")
    w = window(op, inp, out, op.options["filter_height"], op.options["filter_width"])
    fields = {"input": ctx.pointer(op.inputs[0]), "output": ctx.pointer(op.outputs[0]),
              "s": window_init(w), **activation(op, ctx, out)}
    return KernelCall(f"tml_{name}", "tml_pool_params", fields)


def average_pool_2d(op, ctx):
    return _pool(op, ctx, "average_pool_2d")


def max_pool_2d(op, ctx):
    return _pool(op, ctx, "max_pool_2d")
