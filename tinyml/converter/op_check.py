"""Every operator of a model against the op set the on-device runtime implements."""
from __future__ import annotations

from dataclasses import dataclass

from tinyml import paths
from tinyml.errors import TinymlError
from tinyml.supported_ops import supported_ops
from tinyml.tflite.model import TfliteModel


@dataclass(frozen=True)
class UnsupportedOp:
    opcode: str
    op_indices: tuple[int, ...]
    layers: tuple[str, ...]  # the Keras/TF layers the op was converted from
    tensors: tuple[str, ...]  # names of the tensors the op produces


def layer_names(tensor_name: str) -> list[str]:
    """Layers a converted tensor comes from: its name lists fused TF ops as 'model/conv2d/Relu;...'.

    Names the converter made up ('tfl.unidirectional_sequence_lstm') carry no layer path: none.
    """
    return list(dict.fromkeys(part.rsplit("/", 1)[0] for part in tensor_name.split(";") if "/" in part))


def unsupported_ops(model: TfliteModel) -> list[UnsupportedOp]:
    """The ops the runtime lacks, each with the layers and tensors it comes from, in model order."""
    known = supported_ops()
    found: dict[str, list] = {}
    for op in model.operators:
        if op.opcode not in known:
            found.setdefault(op.opcode, []).append(op)
    result = []
    for opcode, ops in found.items():
        tensors = [model.tensors[t].name or f"#{t}" for op in ops for t in op.outputs if t >= 0]
        layers = list(dict.fromkeys(layer for name in tensors for layer in layer_names(name)))
        result.append(UnsupportedOp(opcode, tuple(op.index for op in ops), tuple(layers), tuple(tensors)))
    return result


def describe(op: UnsupportedOp) -> str:
    layers = f"layers {', '.join(op.layers)}; " if op.layers else ""
    return f"{op.opcode} (op {', '.join(map(str, op.op_indices))}; {layers}tensors {', '.join(map(repr, op.tensors))})"


def require_supported(model: TfliteModel, source: str) -> None:
    missing = unsupported_ops(model)
    if missing:
        raise TinymlError(
            f"{source} uses {len(missing)} op(s) the on-device runtime does not implement:\n  "
            + "\n  ".join(describe(op) for op in missing),
            fix=f"replace those layers with supported ones ({', '.join(sorted(supported_ops()))}; "
                f"listed in {paths.SUPPORTED_OPS_FILE})")
