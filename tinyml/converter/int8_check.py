"""Is a .tflite model fully int8 (what the MCU runtime executes)?

Full int8: int8 input, output and activations; int8 weights with int32 biases
and int32 shape constants. A float model, or a dynamic-range one (int8 weights
but float activations), would need float kernels the runtime does not have.
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


def int8_problems(model: TfliteModel) -> list[str]:
    """What keeps the model from being full int8; empty when it is."""
    problems = []
    for role, tensors in (("input", model.input_tensors()), ("output", model.output_tensors())):
        for t in tensors:
            if t.dtype != "int8":
                problems.append(f"{role} {_names([t])} is {t.dtype}, not int8")
    io = set(model.inputs) | set(model.outputs)
    activations = [t for t in model.tensors if not t.is_constant and t.index not in io and t.dtype != "int8"]
    if activations:
        dtypes = sorted({t.dtype for t in activations})
        problems.append(f"{len(activations)} {'/'.join(dtypes)} activation tensor(s): {_names(activations)}")
    weights = [t for t in model.tensors if t.is_constant and t.dtype not in _CONSTANT_DTYPES]
    if weights:
        dtypes = sorted({t.dtype for t in weights})
        problems.append(f"{len(weights)} {'/'.join(dtypes)} constant tensor(s): {_names(weights)}")
    return problems


def require_int8(model: TfliteModel, source: str, target: str = "an MCU target") -> None:
    problems = int8_problems(model)
    if problems:
        raise TinymlError(f"{source} is not a full-int8 model, which {target} requires: " + "; ".join(problems),
                          fix=_FIX)
