"""Every operator of a model against the op set the on-device runtime implements."""
from __future__ import annotations

from dataclasses import dataclass

from tinyml import paths
from tinyml.errors import TinymlError
from tinyml.supported_ops import INT16_ACTIVATION_OPS, supported_ops
from tinyml.tflite.model import TfliteModel


@dataclass(frozen=True)
class UnsupportedOp:
    opcode: str
    op_indices: tuple[int, ...]
    layers: tuple[str, ...]  # the Keras/TF layers the op was converted from
    tensors: tuple[str, ...]  # names of the tensors the op produces
    dtypes: str = ""  # its activations' types, "int8 -> int32"
    fix: str = ""  # what would make it run: a converter setting or another layer


# Ops no converter setting brings to the runtime, and what to build instead.
LAYER_FIXES = {
    "UNIDIRECTIONAL_SEQUENCE_LSTM": "no recurrent layers on device: use a Conv1D/Conv2D or SVDF head over the "
                                    "time window instead of the LSTM",
    "LSTM": "no recurrent layers on device: use a Conv1D/Conv2D or SVDF head over the time window",
    "BIDIRECTIONAL_SEQUENCE_LSTM": "no recurrent layers on device: use a Conv1D/Conv2D or SVDF head over the "
                                   "time window",
    "ARG_MAX": "end the exported model at the class scores and take the arg max on the host",
    "ARG_MIN": "end the exported model at the scores and take the arg min on the host",
    "SHAPE": "a dynamic shape: give the Input a fixed shape and batch_size=1 so the converter folds it",
}


def layer_names(tensor_name: str) -> list[str]:
    """Layers a converted tensor comes from: its name lists fused TF ops as 'model/conv2d/Relu;...'.

    Names the converter made up ('tfl.unidirectional_sequence_lstm') carry no layer path: none.
    """
    return list(dict.fromkeys(part.rsplit("/", 1)[0] for part in tensor_name.split(";") if "/" in part))


def int16_input(model: TfliteModel, op) -> bool:
    """Whether the op takes int16 activations (TFLite's 16x8 mode) rather than int8 ones."""
    first = model.tensors[op.inputs[0]] if op.inputs and op.inputs[0] >= 0 else None
    return first is not None and first.dtype == "int16" and not first.is_constant


def unsupported_ops(model: TfliteModel) -> list[UnsupportedOp]:
    """The ops the runtime lacks, each with the layers and tensors it comes from, in model order:
    unknown opcodes, and known ones on int16 activations that only have int8 kernels."""
    known = supported_ops()
    found: dict[str, list] = {}
    for op in model.operators:
        if op.opcode not in known or (int16_input(model, op) and op.opcode not in INT16_ACTIVATION_OPS):
            found.setdefault(op.opcode, []).append(op)
    result = []
    for opcode, ops in found.items():
        tensors = [model.tensors[t].name or f"#{t}" for op in ops for t in op.outputs if t >= 0]
        layers = list(dict.fromkeys(layer for name in tensors for layer in layer_names(name)))
        dtypes = _dtypes(model, ops)
        result.append(UnsupportedOp(opcode, tuple(op.index for op in ops), tuple(layers), tuple(tensors), dtypes,
                                    _fix(opcode, dtypes)))
    return result


def _dtypes(model: TfliteModel, ops) -> str:
    def kinds(indices):
        return "/".join(dict.fromkeys(model.tensors[i].dtype for op in ops for i in indices(op)
                                      if i >= 0 and not model.tensors[i].is_constant)) or "-"
    return f"{kinds(lambda op: op.inputs)} -> {kinds(lambda op: op.outputs)}"


def _fix(opcode: str, dtypes: str) -> str:
    if opcode in LAYER_FIXES:
        return LAYER_FIXES[opcode]
    if "float32" in dtypes:
        return ("float op: convert with full int8 quantization (a representative dataset, "
                "supported_ops=[TFLITE_BUILTINS_INT8], int8 input and output)")
    if "int16" in dtypes:
        return (f"int16 activations (the 16x8 mode) run on device only through {', '.join(sorted(INT16_ACTIVATION_OPS))}: "
                "replace the layer, or convert with int8 activations (TFLITE_BUILTINS_INT8, not "
                "EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8)")
    return "no on-device kernel: replace the layer with one made of supported ops"


def describe(op: UnsupportedOp) -> str:
    layers = f"layers {', '.join(op.layers)}; " if op.layers else ""
    return (f"{op.opcode} (op {', '.join(map(str, op.op_indices))}; {layers}tensors {', '.join(map(repr, op.tensors))}"
            f"; {op.dtypes}): {op.fix}")


def require_supported(model: TfliteModel, source: str) -> None:
    missing = unsupported_ops(model)
    if missing:
        raise TinymlError(
            f"{source} uses {len(missing)} op(s) the on-device runtime does not implement:\n  "
            + "\n  ".join(describe(op) for op in missing),
            fix=f"replace those layers with supported ones ({', '.join(sorted(supported_ops()))}; "
                f"listed in {paths.SUPPORTED_OPS_FILE})")
