"""Is a .tflite model fully int8 (what the MCU runtime executes)?

Full int8: int8 input, output and activations; int8 weights with int32 biases
and int32 shape constants. A float model, or a dynamic-range one (int8 weights
but float activations), would need float kernels the runtime does not have.
The runtime also takes the integer tensors of TFLM's int8 examples such as
keyword_scrambled_8bit.tflite: an int16 input, an int16 or int32 output, the
int16 output of SOFTMAX and QUANTIZE, SVDF's int16 state and time weights.
"""
from __future__ import annotations

from tinyml.errors import TinymlError
from tinyml.tflite.model import TfliteModel

_CONSTANT_DTYPES = frozenset({"int8", "int32"})
_FIX = ("convert with full-integer quantization: `tinyml convert` (a representative dataset, int8 input "
        "and output), or TFLiteConverter with TFLITE_BUILTINS_INT8 and inference_input/output_type int8")


def _names(tensors, limit: int = 3) -> str:
    shown = ", ".join(f"'{t.name}'" if t.name else f"#{t.index}" for t in tensors[:limit])
    return shown + (f" and {len(tensors) - limit} more" if len(tensors) > limit else "")


_IO_DTYPES = {"input": ("int8", "int16"), "output": ("int8", "int16", "int32")}


def _int16_tensors(model: TfliteModel) -> set[int]:
    """The tensors the runtime's kernels take as int16 beside int8 ones."""
    allowed = set()
    for op in model.operators:
        if op.opcode in ("SOFTMAX", "QUANTIZE"):
            allowed |= set(op.outputs)
        elif op.opcode == "SVDF" and len(op.inputs) >= 5:
            allowed |= {op.inputs[2], op.inputs[4]}  # time weights and state
    return allowed


def int8_problems(model: TfliteModel) -> list[str]:
    """What keeps the model from being full int8 (as the runtime takes it); empty when it is."""
    problems = []
    for role, tensors in (("input", model.input_tensors()), ("output", model.output_tensors())):
        for t in tensors:
            if t.dtype not in _IO_DTYPES[role]:
                problems.append(f"{role} {_names([t])} is {t.dtype}, not {' or '.join(_IO_DTYPES[role])}")
    io = set(model.inputs) | set(model.outputs)
    int16 = _int16_tensors(model)
    activations = [t for t in model.tensors if not t.is_constant and t.index not in io and t.dtype != "int8"
                   and not (t.dtype == "int16" and t.index in int16)]
    if activations:
        dtypes = sorted({t.dtype for t in activations})
        problems.append(f"{len(activations)} {'/'.join(dtypes)} activation tensor(s): {_names(activations)}")
    weights = [t for t in model.tensors if t.is_constant and t.dtype not in _CONSTANT_DTYPES
               and not (t.dtype == "int16" and t.index in int16)]
    if weights:
        dtypes = sorted({t.dtype for t in weights})
        problems.append(f"{len(weights)} {'/'.join(dtypes)} constant tensor(s): {_names(weights)}")
    return problems


def require_int8(model: TfliteModel, source: str, target: str = "an MCU target") -> None:
    problems = int8_problems(model)
    if problems:
        raise TinymlError(f"{source} is not a full-int8 model, which {target} requires: " + "; ".join(problems),
                          fix=_FIX)
