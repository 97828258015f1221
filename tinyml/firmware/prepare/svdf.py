"""SVDF: shapes, types and the two requantizations TFLM's Prepare computes.

The state (input 4) is a variable tensor: the generated plan keeps it in the
arena for the whole run and resets it as TFLM does (tinyml/firmware/codegen.py).
"""
from __future__ import annotations

import numpy as np

from tinyml.firmware import fixed_point as qz
from tinyml.firmware.prepare.context import INT_TYPES, KernelCall, fail, qparams, require_int8


def _float32_ratio(a: float, b: float, c: float) -> float:
    """a * b / c in float32, as TFLM forms SVDF's effective scales before widening to double."""
    return float(np.float32(np.float32(a) * np.float32(b)) / np.float32(c))


def svdf(op, ctx):
    inp_i, feat_i, time_i, bias_i, state_i = (list(op.inputs) + [-1] * 5)[:5]
    out_i = op.outputs[0]
    require_int8(op, ctx, inp_i, feat_i, out_i)
    if bias_i < 0:
        raise fail(op, ctx, "SVDF without a bias is not supported (TFLM's int8 SVDF reads the bias's scale)")
    inp, feat, wtime, bias, state, out = (ctx.tensor(i) for i in (inp_i, feat_i, time_i, bias_i, state_i, out_i))
    if not state.is_variable or state.is_constant:
        raise fail(op, ctx, f"SVDF state '{state.name}' must be a variable tensor without data")
    if state.dtype not in ("int8", "int16") or wtime.dtype != state.dtype or state.quantization is None \
            or wtime.quantization is None:
        raise fail(op, ctx, f"SVDF state '{state.name}' is {state.dtype} and time weights '{wtime.name}' "
                            f"{wtime.dtype}; the runtime needs both quantized int8 or both int16")
    if bias.dtype != "int32":
        raise fail(op, ctx, f"SVDF bias '{bias.name}' is {bias.dtype}, expected int32")
    for t in (feat, wtime):
        if len(t.quantization.scales) != 1 or t.quantization.zero_points[0] != 0:
            raise fail(op, ctx, f"SVDF weights '{t.name}' must be per-tensor with zero point 0")
    rank = op.options.get("rank", 1)
    batches, input_size = inp.shape
    filters, memory = wtime.shape
    if feat.shape != (filters, input_size) or rank < 1 or filters % rank or bias.shape != (filters // rank,) \
            or state.shape != (batches, filters * memory) or out.shape != (batches, filters // rank):
        raise fail(op, ctx, f"SVDF shapes do not fit together: input {inp.shape}, feature weights {feat.shape}, "
                            f"time weights {wtime.shape}, bias {bias.shape}, state {state.shape}, "
                            f"output {out.shape}, rank {rank}")
    (s_in, z_in), (s_state, z_state), (s_out, z_out) = qparams(inp), qparams(state), qparams(out)
    m1, sh1 = qz.quantize_multiplier(_float32_ratio(s_in, feat.quantization.scales[0], s_state))
    m2, sh2 = qz.quantize_multiplier(_float32_ratio(s_state, wtime.quantization.scales[0], s_out))
    ptr = ctx.pointer
    return KernelCall("tml_svdf", "tml_svdf_params", {
        "input": ptr(inp_i), "weights_feature": ptr(feat_i), "weights_time": ptr(time_i, f"{state.dtype}_t"),
        "bias": ptr(bias_i, "int32_t"), "state": ptr(state_i), "output": ptr(out_i),
        "batches": str(batches), "input_size": str(input_size), "filters": str(filters), "rank": str(rank),
        "memory": str(memory), "input_zero_point": str(z_in), "state_zero_point": str(z_state),
        "output_zero_point": str(z_out), "multiplier_1": str(m1), "shift_1": str(sh1),
        "multiplier_2": str(m2), "shift_2": str(sh2), "state_type": INT_TYPES[state.dtype]})
