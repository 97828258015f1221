"""The operator set the on-device runtime implements (firmware/supported_ops.txt).

One list, read by the converter (to refuse models early) and the firmware
builder (to generate code), so the two can never disagree.
"""
from functools import lru_cache

from tinyml import paths


@lru_cache(maxsize=None)
def supported_ops() -> frozenset[str]:
    lines = paths.SUPPORTED_OPS_FILE.read_text().splitlines()
    return frozenset(l.strip() for l in lines if l.strip() and not l.lstrip().startswith("#"))


# The ops the runtime also runs with int16 activations, TFLite's 16x8 mode (int16 activations,
# int8 weights): the kernels of the convolutions, ADD and SOFTMAX are firmware/runtime/src/kernels/*_int16.c; RESHAPE
# and its aliases copy the bytes whatever the type; QUANTIZE converts between int8 and int16.
INT16_ACTIVATION_OPS = frozenset({"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "ADD", "SOFTMAX",
                                  "RESHAPE", "SQUEEZE", "EXPAND_DIMS", "QUANTIZE"})
# Of those, the ones whose int64 bias (input 2) goes with int16 activations.
INT64_BIAS_OPS = frozenset({"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"})
