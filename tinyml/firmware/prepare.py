"""Host side of each runtime operator: the const parameter struct the generated
plan passes to the kernel tml_<op> (firmware/runtime/src/kernels/<op>.c, or its
optimized twin of the same name in src/optimized/).

One emitter per operator. An emitter reads the op's tensors and options,
computes what TFLite's Prepare step would (multipliers, shifts, paddings,
activation ranges) and returns the C initializer. Anything the runtime cannot
run exactly as TFLM does raises TinymlError naming the op.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from tinyml.errors import TinymlError
from tinyml.firmware import fixed_point as qz
from tinyml.tflite.model import Operator, Tensor
from tinyml.tflite.padding import padding


@dataclass
class KernelCall:
    function: str  # C kernel, e.g. "tml_conv_2d"
    struct: str  # its parameter struct type
    fields: dict[str, str]  # designated initializers; "@suffix" names one of `arrays`
    arrays: list[tuple[str, str, list[int]]] = field(default_factory=list)  # (suffix, ctype, values)


class EmitContext:
    """What an emitter may ask about the model: tensors and where they live."""

    def __init__(self, model, plan, *, data_symbol: str = "tml_model_data", arena_symbol: str = "tml_arena"):
        self.model = model
        self.plan = plan
        # A source package names both after its prefix, so several link together.
        self.data_symbol = data_symbol
        self.arena_symbol = arena_symbol

    def tensor(self, index: int) -> Tensor:
        return self.model.tensors[index]

    def pointer(self, index: int, ctype: str = "int8_t") -> str:
        if index < 0:
            return "NULL"
        t = self.model.tensors[index]
        if t.is_constant:
            if ctype == "int32_t" and t.buffer_offset % 4:
                raise TinymlError(f"int32 tensor {index} '{t.name}' is not 4-byte aligned in the model file",
                                  fix="re-export the model with tf.lite.TFLiteConverter (it aligns buffers)")
            return f"(const {ctype} *)({self.data_symbol} + {t.buffer_offset})"
        return f"({self.arena_symbol} + {self.plan.offsets[index]})"


def _fail(op: Operator, ctx: EmitContext, what: str) -> TinymlError:
    return TinymlError(
        f"op {op.index} ({op.opcode}, output '{ctx.tensor(op.outputs[0]).name}'): {what}",
        fix="the runtime implements the int8 TFLite semantics only; re-convert with full int8 quantization",
    )


def _q(t: Tensor) -> tuple[float, int]:
    return t.quantization.scales[0], t.quantization.zero_points[0]


def _require_int8(op: Operator, ctx: EmitContext, *indices: int) -> None:
    for i in indices:
        t = ctx.tensor(i)
        if t.dtype != "int8" or t.quantization is None:
            raise _fail(op, ctx, f"tensor '{t.name}' is {t.dtype}{'' if t.quantization else ' (unquantized)'}, "
                                 "the runtime needs int8")


def _nhwc(t: Tensor) -> tuple[int, int, int, int]:
    if len(t.shape) != 4:
        raise TinymlError(f"tensor '{t.name}' has shape {t.shape}, expected 4-D NHWC")
    return t.shape


def _activation(op: Operator, ctx: EmitContext, out: Tensor) -> dict[str, str]:
    act = op.options.get("fused_activation_function", "NONE")
    scale, zp = _q(out)
    try:
        lo, hi = qz.activation_range(act, scale, zp)
    except ValueError as e:
        raise _fail(op, ctx, str(e)) from None
    return {"act_min": str(lo), "act_max": str(hi)}


def _window(op, inp, out, k_h, k_w) -> dict[str, int]:
    n, in_h, in_w, in_c = _nhwc(inp)
    _, out_h, out_w, out_c = _nhwc(out)
    o = op.options
    sh, sw = o.get("stride_h", 1), o.get("stride_w", 1)
    dh, dw = o.get("dilation_h_factor", 1), o.get("dilation_w_factor", 1)
    mode = o.get("padding", "VALID")
    return dict(batches=n, in_h=in_h, in_w=in_w, in_c=in_c, out_h=out_h, out_w=out_w, out_c=out_c,
                k_h=k_h, k_w=k_w, stride_h=sh, stride_w=sw, dil_h=dh, dil_w=dw,
                pad_h=padding(mode, in_h, k_h, sh, dh, out_h),
                pad_w=padding(mode, in_w, k_w, sw, dw, out_w))


def _window_init(w: dict[str, int]) -> str:
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
    _require_int8(op, ctx, op.inputs[0], op.inputs[1], op.outputs[0])
    bias = op.inputs[2] if len(op.inputs) > 2 else -1
    if bias >= 0 and ctx.tensor(bias).dtype != "int32":
        raise _fail(op, ctx, f"bias is {ctx.tensor(bias).dtype}, expected int32")
    if any(z != 0 for z in filt.quantization.zero_points):
        raise _fail(op, ctx, "filter zero points must be 0 (symmetric int8 weights)")
    in_scale, in_zp = _q(inp)
    out_scale, out_zp = _q(out)
    channels = out.shape[-1]
    mult, shift = qz.conv_multipliers(in_scale, filt.quantization.scales, out_scale, channels)
    k_h, k_w = filt.shape[1], filt.shape[2]
    fields = {
        "input": ctx.pointer(op.inputs[0]), "filter": ctx.pointer(op.inputs[1]),
        "bias": ctx.pointer(bias, "int32_t"), "output": ctx.pointer(op.outputs[0]),
        "multiplier": "@multiplier", "shift": "@shift",
        "s": _window_init(_window(op, inp, out, k_h, k_w)),
        "input_offset": str(-in_zp), "output_offset": str(out_zp),
        **_activation(op, ctx, out),
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
    _require_int8(op, ctx, op.inputs[0], op.inputs[1], op.outputs[0])
    bias = op.inputs[2] if len(op.inputs) > 2 else -1
    out_c, depth = filt.shape
    in_scale, in_zp = _q(inp)
    out_scale, out_zp = _q(out)
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
        "output_offset": str(out_zp), **_activation(op, ctx, out),
    }
    fields["fast_requant"] = _fast_field(op, ctx, filt.array().reshape(out_c, depth), shift, -in_zp,
                                         -filt.quantization.zero_points[0])
    return KernelCall("tml_fully_connected", "tml_fully_connected_params", fields,
                      [("multiplier", "int32_t", mult), ("shift", "int8_t", shift)])


def _pool(op, ctx, name):
    inp, out = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    _require_int8(op, ctx, op.inputs[0], op.outputs[0])
    if _q(inp) != _q(out):
        raise _fail(op, ctx, "int8 pooling needs equal input and output quantization")
    w = _window(op, inp, out, op.options["filter_height"], op.options["filter_width"])
    fields = {"input": ctx.pointer(op.inputs[0]), "output": ctx.pointer(op.outputs[0]),
              "s": _window_init(w), **_activation(op, ctx, out)}
    return KernelCall(f"tml_{name}", "tml_pool_params", fields)


def average_pool_2d(op, ctx):
    return _pool(op, ctx, "average_pool_2d")


def max_pool_2d(op, ctx):
    return _pool(op, ctx, "max_pool_2d")


def reshape(op, ctx):
    inp, out = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    if inp.dtype != out.dtype or inp.nbytes != out.nbytes:
        raise _fail(op, ctx, f"input {inp.dtype}{inp.shape} and output {out.dtype}{out.shape} differ in size")
    return KernelCall("tml_reshape", "tml_reshape_params", {
        "input": ctx.pointer(op.inputs[0]), "output": ctx.pointer(op.outputs[0]), "bytes": str(out.nbytes)})


def softmax(op, ctx):
    inp, out = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    _require_int8(op, ctx, op.inputs[0], op.outputs[0])
    if _q(out) != (1 / 256, -128):
        raise _fail(op, ctx, f"int8 softmax output must have scale 1/256 and zero point -128, got {_q(out)}")
    mult, shift, diff_min = qz.softmax_params(op.options.get("beta", 1.0), _q(inp)[0])
    depth = inp.shape[-1]
    return KernelCall("tml_softmax", "tml_softmax_params", {
        "input": ctx.pointer(op.inputs[0]), "output": ctx.pointer(op.outputs[0]),
        "rows": str(inp.num_elements // depth), "depth": str(depth),
        "input_multiplier": str(mult), "input_left_shift": str(shift), "diff_min": str(diff_min)})



def _pad4(shape: tuple[int, ...], op, ctx) -> list[int]:
    if len(shape) > 4:
        raise _fail(op, ctx, f"tensors of rank {len(shape)} are not supported (at most 4)")
    return [1] * (4 - len(shape)) + list(shape)


def _c_list(values) -> str:
    return "{" + ", ".join(str(int(v)) for v in values) + "}"


def _broadcast(op, ctx) -> str:
    out = _pad4(ctx.tensor(op.outputs[0]).shape, op, ctx)
    strides = []
    for index in op.inputs[:2]:
        shape = _pad4(ctx.tensor(index).shape, op, ctx)
        contiguous = [1, 1, 1, 1]
        for k in (2, 1, 0):
            contiguous[k] = contiguous[k + 1] * shape[k + 1]
        strides.append([0 if shape[k] == 1 and out[k] != 1 else contiguous[k] for k in range(4)])
    return f"{{.shape = {_c_list(out)}, .stride1 = {_c_list(strides[0])}, .stride2 = {_c_list(strides[1])}}}"


def _binary_io(op, ctx) -> dict[str, str]:
    _require_int8(op, ctx, op.inputs[0], op.inputs[1], op.outputs[0])
    return {"input1": ctx.pointer(op.inputs[0]), "input2": ctx.pointer(op.inputs[1]),
            "output": ctx.pointer(op.outputs[0]), "b": _broadcast(op, ctx)}


def add(op, ctx):
    fields = _binary_io(op, ctx)
    (s1, z1), (s2, z2) = _q(ctx.tensor(op.inputs[0])), _q(ctx.tensor(op.inputs[1]))
    out = ctx.tensor(op.outputs[0])
    s_out, z_out = _q(out)
    left_shift = 20  # headroom TFLite gives int8 ADD before rescaling
    twice_max = 2 * max(s1, s2)
    m1, sh1 = qz.quantize_multiplier(s1 / twice_max)
    m2, sh2 = qz.quantize_multiplier(s2 / twice_max)
    mo, sho = qz.quantize_multiplier(twice_max / ((1 << left_shift) * s_out))
    fields.update({
        "input1_offset": str(-z1), "input2_offset": str(-z2), "output_offset": str(z_out),
        "left_shift": str(left_shift), "input1_multiplier": str(m1), "input1_shift": str(sh1),
        "input2_multiplier": str(m2), "input2_shift": str(sh2),
        "output_multiplier": str(mo), "output_shift": str(sho), **_activation(op, ctx, out)})
    return KernelCall("tml_add", "tml_add_params", fields)


def mul(op, ctx):
    fields = _binary_io(op, ctx)
    (s1, z1), (s2, z2) = _q(ctx.tensor(op.inputs[0])), _q(ctx.tensor(op.inputs[1]))
    out = ctx.tensor(op.outputs[0])
    s_out, z_out = _q(out)
    m, s = qz.quantize_multiplier(s1 * s2 / s_out)
    fields.update({"input1_offset": str(-z1), "input2_offset": str(-z2), "output_offset": str(z_out),
                   "output_multiplier": str(m), "output_shift": str(s), **_activation(op, ctx, out)})
    return KernelCall("tml_mul", "tml_mul_params", fields)


def _const_ints(op, ctx, index: int, what: str) -> list[int]:
    t = ctx.tensor(index)
    if not t.is_constant or t.dtype not in ("int32", "int64"):
        raise _fail(op, ctx, f"{what} must be a constant int32 tensor")
    return [int(v) for v in t.array().reshape(-1)]


def pad(op, ctx):
    inp, out = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    _require_int8(op, ctx, op.inputs[0], op.outputs[0])
    if _q(inp) != _q(out):
        raise _fail(op, ctx, "int8 PAD needs equal input and output quantization")
    pads = _const_ints(op, ctx, op.inputs[1], "paddings")
    before = [0] * (4 - len(inp.shape)) + pads[0::2]
    return KernelCall("tml_pad", "tml_pad_params", {
        "input": ctx.pointer(op.inputs[0]), "output": ctx.pointer(op.outputs[0]),
        "in_shape": _c_list(_pad4(inp.shape, op, ctx)), "out_shape": _c_list(_pad4(out.shape, op, ctx)),
        "before": _c_list(before), "pad_value": str(_q(out)[1])})


def mean(op, ctx):
    inp, out = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    _require_int8(op, ctx, op.inputs[0], op.outputs[0])
    rank = len(inp.shape)
    shape = _pad4(inp.shape, op, ctx)
    axes = {(a + rank if a < 0 else a) + 4 - rank for a in _const_ints(op, ctx, op.inputs[1], "axis")}
    count = 1
    for a in axes:
        count *= shape[a]
    (s_in, z_in), (s_out, z_out) = _q(inp), _q(out)
    m, s = qz.quantize_multiplier(s_in / s_out)
    # Fold 1/count into the multiplier as TFLite does (shift clamped to keep it valid).
    k = min(count.bit_length() - 1, 32, 31 + s)
    m, s = (m << k) // count, s - k
    return KernelCall("tml_mean", "tml_mean_params", {
        "input": ctx.pointer(op.inputs[0]), "output": ctx.pointer(op.outputs[0]),
        "in_shape": _c_list(shape), "reduce": _c_list(int(k in axes) for k in range(4)),
        "num_reduced": str(count), "input_zero_point": str(z_in), "output_zero_point": str(z_out),
        "multiplier": str(m), "shift": str(s)})


def concatenation(op, ctx):
    out = ctx.tensor(op.outputs[0])
    _require_int8(op, ctx, *op.inputs, op.outputs[0])
    if op.options.get("fused_activation_function", "NONE") != "NONE":
        raise _fail(op, ctx, "fused activations on CONCATENATION are not supported")
    axis = op.options.get("axis", 0)
    axis = axis + len(out.shape) if axis < 0 else axis
    outer = 1
    for d in out.shape[:axis]:
        outer *= d
    copy = []
    for i in op.inputs:
        n = 1
        for d in ctx.tensor(i).shape[axis:]:
            n *= d
        copy.append(n)
    return KernelCall("tml_concatenation", "tml_concatenation_params", {
        "inputs": "@inputs", "copy_bytes": "@copy_bytes", "output": ctx.pointer(op.outputs[0]),
        "num_inputs": str(len(op.inputs)), "outer": str(outer)},
        [("inputs", "int8_t *const", [ctx.pointer(i) for i in op.inputs]), ("copy_bytes", "int32_t", copy)])


def _requantize_fields(op, ctx, in_q: tuple[float, int], out_q: tuple[float, int]) -> dict[str, str]:
    """An int8 -> int8 element-wise op's pointers, size and requantization from in_q to out_q."""
    _require_int8(op, ctx, op.inputs[0], op.outputs[0])
    (s_in, z_in), (s_out, z_out) = in_q, out_q
    m, s = qz.quantize_multiplier(s_in / s_out)
    return {"input": ctx.pointer(op.inputs[0]), "output": ctx.pointer(op.outputs[0]),
            "size": str(ctx.tensor(op.inputs[0]).num_elements),
            "input_zero_point": str(z_in), "output_zero_point": str(z_out), "multiplier": str(m), "shift": str(s)}


def quantize(op, ctx):
    fields = _requantize_fields(op, ctx, _q(ctx.tensor(op.inputs[0])), _q(ctx.tensor(op.outputs[0])))
    return KernelCall("tml_quantize", "tml_quantize_params", fields)


def relu(op, ctx):
    inp, out = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    if op.opcode == "RELU":
        fields = _requantize_fields(op, ctx, _q(inp), _q(out))
        lo, hi = qz.activation_range("RELU", *_q(out))
    else:
        # TFLM's int8 RELU6 clamps in the input's quantization and ignores the output's.
        fields = _requantize_fields(op, ctx, _q(inp), _q(inp))
        lo, hi = qz.activation_range("RELU6", *_q(inp))
    return KernelCall("tml_relu", "tml_relu_params", {**fields, "act_min": str(lo), "act_max": str(hi)})


def dequantize(op, ctx):
    inp, out = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    _require_int8(op, ctx, op.inputs[0])
    if out.dtype != "float32":
        raise _fail(op, ctx, f"DEQUANTIZE output '{out.name}' is {out.dtype}, the runtime produces float32")
    if len(inp.quantization.scales) != 1:
        raise _fail(op, ctx, "per-channel DEQUANTIZE is not supported")
    scale, zero_point = _q(inp)
    return KernelCall("tml_dequantize", "tml_dequantize_params", {
        "input": ctx.pointer(op.inputs[0]), "output": f"(float *)(void *){ctx.pointer(op.outputs[0])}",
        "size": str(inp.num_elements), "zero_point": str(zero_point),
        # A hexadecimal float literal is the float32 scale exactly.
        "scale": float.hex(float(np.float32(scale))) + "f"})


def _sigmoid_like(op, ctx, name: str, output_q: tuple[float, int]) -> KernelCall:
    inp, out = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    _require_int8(op, ctx, op.inputs[0], op.outputs[0])
    if _q(out) != output_q:
        raise _fail(op, ctx, f"int8 {op.opcode} output must have scale {output_q[0]} and zero point {output_q[1]}")
    multiplier, shift, radius = qz.q4_input_params(_q(inp)[0])
    return KernelCall(f"tml_{name}", "tml_sigmoid_params", {
        "input": ctx.pointer(op.inputs[0]), "output": ctx.pointer(op.outputs[0]), "size": str(inp.num_elements),
        "input_zero_point": str(_q(inp)[1]), "input_multiplier": str(multiplier),
        "input_left_shift": str(shift), "input_range_radius": str(radius)})


def logistic(op, ctx):
    return _sigmoid_like(op, ctx, "logistic", (1 / 256, -128))


def tanh(op, ctx):
    return _sigmoid_like(op, ctx, "tanh", (1 / 128, 0))


EMITTERS: dict[str, Callable[[Operator, EmitContext], KernelCall]] = {
    "CONV_2D": conv_2d,
    "DEPTHWISE_CONV_2D": depthwise_conv_2d,
    "FULLY_CONNECTED": fully_connected,
    "AVERAGE_POOL_2D": average_pool_2d,
    "MAX_POOL_2D": max_pool_2d,
    "RESHAPE": reshape,
    # Both only change the shape, so they are reshapes in the plan (aliased, usually no copy).
    "SQUEEZE": reshape,
    "EXPAND_DIMS": reshape,
    "SOFTMAX": softmax,
    "ADD": add,
    "MUL": mul,
    "PAD": pad,
    "MEAN": mean,
    "CONCATENATION": concatenation,
    "QUANTIZE": quantize,
    "DEQUANTIZE": dequantize,
    "LOGISTIC": logistic,
    "TANH": tanh,
    "RELU": relu,
    "RELU6": relu,
}
