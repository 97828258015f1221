"""Is a .tflite model fully int8 (what the MCU runtime executes)?

Full int8: int8 input, output and activations; int8 weights with int32 biases
and int32 shape constants. A float model, or a dynamic-range one (int8 weights
but float activations), would need float kernels the runtime does not have.
The runtime also takes the integer tensors of TFLM's int8 examples such as
keyword_scrambled_8bit.tflite: an int16 input, an int16 or int32 output, the
int16 output of SOFTMAX and QUANTIZE, SVDF's int16 state and time weights,
and the 16x8 mode's int16 activations and int64 biases around the ops that
have int16 kernels (tinyml/supported_ops.py; op_check refuses the others).
"""
from __future__ import annotations

from tinyml.converter.op_check import int16_input
from tinyml.errors import TinymlError
from tinyml.supported_ops import INT16_ACTIVATION_OPS, INT64_BIAS_OPS
from tinyml.tflite.model import TfliteModel

_CONSTANT_DTYPES = frozenset({"int8", "int32"})
_FIX = ("convert with full-integer quantization: `tinyml convert` (a representative dataset, int8 input "
        "and output), or TFLiteConverter with TFLITE_BUILTINS_INT8 and inference_input/output_type int8")


def _names(tensors, limit: int = 3) -> str:
    shown = ", ".join(f"'{t.name}'" if t.name else f"#{t.index}" for t in tensors[:limit])
    return shown + (f" and {len(tensors) - limit} more" if len(tensors) > limit else "")


_IO_DTYPES = {"input": ("int8", "int16"), "output": ("int8", "int16", "int32")}


def _wide_tensors(model: TfliteModel) -> set[int]:
    """The tensors the runtime's kernels take as int16 (or as int64 biases) beside int8 ones."""
    allowed = set()
    for op in model.operators:
        if op.opcode in ("SOFTMAX", "QUANTIZE"):
            allowed |= set(op.outputs)
        elif op.opcode == "SVDF" and len(op.inputs) >= 5:
            allowed |= {op.inputs[2], op.inputs[4]}  # time weights and state
        if int16_input(model, op) and op.opcode in INT16_ACTIVATION_OPS:
            allowed |= {i for i in (*op.inputs, *op.outputs) if i >= 0 and not model.tensors[i].is_constant}
            if op.opcode in INT64_BIAS_OPS and len(op.inputs) > 2 and op.inputs[2] >= 0:
                allowed.add(op.inputs[2])
    return allowed


def _wide(t, allowed: set[int]) -> bool:
    return t.dtype in ("int16", "int64") and t.index in allowed


def int8_problems(model: TfliteModel) -> list[str]:
    """What keeps the model from being full int8 (as the runtime takes it); empty when it is."""
    problems = []
    for role, tensors in (("input", model.input_tensors()), ("output", model.output_tensors())):
        for t in tensors:
            if t.dtype not in _IO_DTYPES[role]:
                problems.append(f"{role} {_names([t])} is {t.dtype}, not {' or '.join(_IO_DTYPES[role])}")
    io = set(model.inputs) | set(model.outputs)
    wide = _wide_tensors(model)
    activations = [t for t in model.tensors if not t.is_constant and t.index not in io and t.dtype != "int8"
                   and not _wide(t, wide)]
    if activations:
        dtypes = sorted({t.dtype for t in activations})
        problems.append(f"{len(activations)} {'/'.join(dtypes)} activation tensor(s): {_names(activations)}")
    weights = [t for t in model.tensors if t.is_constant and t.dtype not in _CONSTANT_DTYPES
               and not _wide(t, wide)]
    if weights:
        dtypes = sorted({t.dtype for t in weights})
        problems.append(f"{len(weights)} {'/'.join(dtypes)} constant tensor(s): {_names(weights)}")
    return problems


def require_int8(model: TfliteModel, source: str, target: str = "an MCU target") -> None:
    problems = int8_problems(model)
    if problems:
        raise TinymlError(f"{source} is not a full-int8 model, which {target} requires: " + "; ".join(problems),
                          fix=_FIX)
