"""Host side of each runtime operator: the const parameter struct the generated
plan passes to the kernel tml_<op> (firmware/runtime/src/kernels/<op>.c, or its
optimized twin of the same name in src/optimized/).

One emitter per operator, grouped by kind in this package's modules. An emitter
reads the op's tensors and options, computes what TFLite's Prepare step would
(multipliers, shifts, paddings, activation ranges) and returns the C
initializer. Anything the runtime cannot run exactly as TFLM does raises
TinymlError naming the op.
"""
from __future__ import annotations

from typing import Callable

from tinyml.firmware.prepare.activations import dequantize, logistic, quantize, relu, softmax, tanh
from tinyml.firmware.prepare.activations import hard_swish, leaky_relu, rsqrt
from tinyml.firmware.prepare.context import EmitContext, KernelCall
from tinyml.firmware.prepare import int16
from tinyml.firmware.prepare.conv import conv_2d, depthwise_conv_2d, fully_connected
from tinyml.firmware.prepare.data_movement import (gather, pack, slice_, split, split_v, strided_slice,
                                                   transpose, unpack)
from tinyml.firmware.prepare.elementwise import add, mul
from tinyml.firmware.prepare.elementwise import maximum, minimum, prelu, squared_difference, sub
from tinyml.firmware.prepare.pooling import average_pool_2d, max_pool_2d
from tinyml.firmware.prepare.reduce import mean
from tinyml.firmware.prepare.resize import resize_bilinear, resize_nearest_neighbor
from tinyml.firmware.prepare.shape import concatenation, pad, reshape
from tinyml.firmware.prepare.svdf import svdf
from tinyml.firmware.prepare.transpose_conv import transpose_conv
from tinyml.tflite.model import Operator

__all__ = ["EMITTERS", "EmitContext", "KernelCall"]

Emitter = Callable[[Operator, EmitContext], KernelCall]


def by_input_type(for_int8: Emitter, for_int16: Emitter) -> Emitter:
    """The 16x8 emitter for an op whose first input is int16, else the int8 one (which refuses
    other types)."""
    def emit(op: Operator, ctx: EmitContext) -> KernelCall:
        return (for_int16 if ctx.tensor(op.inputs[0]).dtype == "int16" else for_int8)(op, ctx)
    return emit


EMITTERS: dict[str, Emitter] = {
    "CONV_2D": by_input_type(conv_2d, int16.conv_2d),
    "DEPTHWISE_CONV_2D": by_input_type(depthwise_conv_2d, int16.depthwise_conv_2d),
    "FULLY_CONNECTED": by_input_type(fully_connected, int16.fully_connected),
    "AVERAGE_POOL_2D": average_pool_2d,
    "MAX_POOL_2D": max_pool_2d,
    "RESHAPE": reshape,
    # Both only change the shape, so they are reshapes in the plan (aliased, usually no copy).
    "SQUEEZE": reshape,
    "EXPAND_DIMS": reshape,
    "SOFTMAX": by_input_type(softmax, int16.softmax),
    "ADD": by_input_type(add, int16.add),
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
    "SVDF": svdf,
    # Data movement (issue 15): slices, transposes, splits, stacks, gathers.
    "STRIDED_SLICE": strided_slice,
    "SLICE": slice_,
    "TRANSPOSE": transpose,
    "SPLIT": split,
    "SPLIT_V": split_v,
    "UNPACK": unpack,
    # PACK writes the same bytes as CONCATENATION of its inputs (tml_concatenation).
    "PACK": pack,
    "GATHER": gather,
    # Element-wise operators (issue 15).
    "SUB": sub,
    "MAXIMUM": maximum,
    "MINIMUM": minimum,
    "SQUARED_DIFFERENCE": squared_difference,
    "RSQRT": rsqrt,
    "HARD_SWISH": hard_swish,
    "LEAKY_RELU": leaky_relu,
    "PRELU": prelu,
    # Resizes (issue 15), prepare/resize.py.
    "RESIZE_NEAREST_NEIGHBOR": resize_nearest_neighbor,
    "RESIZE_BILINEAR": resize_bilinear,
    # Issue 15, prepare/transpose_conv.py.
    "TRANSPOSE_CONV": transpose_conv,
}
