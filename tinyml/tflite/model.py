"""Read a .tflite flatbuffer into plain dataclasses.

The firmware runtime runs one graph whole, so a model with several subgraphs
(several signatures, or control flow) is refused, naming what it holds;
tinyml/tflite/signature.py cuts one signature out of such a model. Weights
are kept as the exact bytes of the file (and their offset in it), because the
firmware reads them from the model array itself rather than from a copy.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

from tinyml.errors import TinymlError


def _enum_names(enum_cls) -> dict[int, str]:
    return {v: k for k, v in vars(enum_cls).items() if not k.startswith("_") and isinstance(v, int)}


OPCODE_NAMES = _enum_names(schema.BuiltinOperator)
_TYPE_NAMES = {k: v.lower() for k, v in _enum_names(schema.TensorType).items()}
_OPTION_ENUMS = {
    "padding": _enum_names(schema.Padding),
    "fused_activation_function": _enum_names(schema.ActivationFunctionType),
}

DTYPE_SIZES = {
    "int8": 1, "uint8": 1, "bool": 1, "int16": 2, "uint16": 2, "float16": 2,
    "int32": 4, "uint32": 4, "float32": 4, "int64": 8, "uint64": 8, "float64": 8,
}


@dataclass(frozen=True)
class Quantization:
    scales: tuple[float, ...]
    zero_points: tuple[int, ...]
    quantized_dimension: int = 0
    # Byte offset of the float32 scales inside the .tflite file (the firmware reads them there); None if unknown.
    scales_offset: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Tensor:
    index: int
    name: str
    shape: tuple[int, ...]
    dtype: str
    # The constant data (weights, biases, shapes), exactly as stored; None for activations.
    buffer: bytes | None
    # Byte offset of `buffer` inside the .tflite file; None when there is no data.
    buffer_offset: int | None
    quantization: Quantization | None
    is_variable: bool = False
    # The shape as exported, -1 for a dimension left variable (dynamic); `shape` then holds a placeholder.
    shape_signature: tuple[int, ...] | None = None

    @property
    def is_constant(self) -> bool:
        return self.buffer is not None

    @property
    def num_elements(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) if self.shape else 1

    @property
    def nbytes(self) -> int:
        size = DTYPE_SIZES.get(self.dtype)
        if size is None:
            raise TinymlError(
                f"tensor {self.index} '{self.name}' has type {self.dtype}, whose size is unknown",
                fix="use a model with int8/int16/int32/float32 tensors only",
            )
        return self.num_elements * size

    def array(self) -> np.ndarray:
        """The constant data as a numpy array of the tensor's shape and type."""
        if self.buffer is None:
            raise TinymlError(f"tensor {self.index} '{self.name}' has no constant data")
        return np.frombuffer(self.buffer, dtype=np.dtype(self.dtype)).reshape(self.shape)


@dataclass(frozen=True)
class Operator:
    index: int
    opcode: str  # builtin name like "CONV_2D"; custom ops are "CUSTOM:<code>"
    inputs: tuple[int, ...]  # -1 marks an omitted optional input
    outputs: tuple[int, ...]
    options: dict = field(default_factory=dict)
    version: int = 1


@dataclass(frozen=True)
class TfliteModel:
    tensors: tuple[Tensor, ...]
    operators: tuple[Operator, ...]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    description: str = ""

    @property
    def opcodes(self) -> list[str]:
        """Distinct operator names in first-use order."""
        return list(dict.fromkeys(op.opcode for op in self.operators))

    def input_tensors(self) -> list[Tensor]:
        return [self.tensors[i] for i in self.inputs]

    def output_tensors(self) -> list[Tensor]:
        return [self.tensors[i] for i in self.outputs]


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _options_dict(options_obj) -> dict:
    """Builtin options as {snake_case_name: value}, enums as their names."""
    if options_obj is None:
        return {}
    out = {}
    for key, value in vars(options_obj).items():
        key = _snake(key)
        if key in _OPTION_ENUMS and isinstance(value, int):
            value = _OPTION_ENUMS[key].get(value, value)
        elif isinstance(value, np.ndarray):
            value = value.tolist()
        out[key] = value
    return out


def _vector_offset(table, field_offset: int) -> tuple[int, int] | None:
    """(start, length) of a byte vector field inside the flatbuffer, or None."""
    o = table._tab.Offset(field_offset)
    if not o:
        return None
    return table._tab.Vector(o), table._tab.VectorLen(o)


def _buffer_location(buf, data_len: int) -> tuple[int, int] | None:
    # Buffers of models > 2 GB live after the flatbuffer, addressed by offset/size.
    if buf.Offset() > 1:
        start, size = buf.Offset(), buf.Size()
        if start + size > data_len:
            raise TinymlError(f"buffer data at {start}+{size} is beyond the end of the file ({data_len} bytes)")
        return (start, size) if size else None
    loc = _vector_offset(buf, 4)  # field 0: data
    if loc is None or loc[1] == 0:
        return None
    return loc


def _quantization(tensor) -> Quantization | None:
    q = tensor.Quantization()
    if q is None or q.ScaleLength() == 0:
        return None
    scales = tuple(float(s) for s in q.ScaleAsNumpy())
    zps = tuple(int(z) for z in q.ZeroPointAsNumpy()) if q.ZeroPointLength() else (0,) * len(scales)
    scales_at = _vector_offset(q, 8)  # field 2: scale
    return Quantization(scales, zps, int(q.QuantizedDimension()), scales_at[0] if scales_at else None)


def require_identifier(data: bytes, source: str) -> None:
    if len(data) < 8 or data[4:8] != b"TFL3":
        raise TinymlError(
            f"{source} is not a TFLite flatbuffer (identifier {data[4:8]!r}, expected b'TFL3')",
            fix="pass a .tflite file produced by tf.lite.TFLiteConverter",
        )


def corrupt(source: str, e: Exception) -> TinymlError:
    return TinymlError(
        f"{source} could not be parsed as a TFLite flatbuffer: {type(e).__name__}: {e}",
        fix="the file is truncated or corrupt; re-export it with tf.lite.TFLiteConverter",
    )


def describe_subgraphs(model) -> list[str]:
    """One line per subgraph of a schema.Model: index, name, signature and ops, for error messages."""
    signatures = {}
    for i in range(model.SignatureDefsLength()):
        sig = model.SignatureDefs(i)
        signatures[sig.SubgraphIndex()] = (sig.SignatureKey() or b"").decode(errors="replace")
    lines = []
    for i in range(model.SubgraphsLength()):
        graph = model.Subgraphs(i)
        name = (graph.Name() or b"").decode(errors="replace")
        sig = f"signature '{signatures[i]}'" if i in signatures else "no signature"
        count = graph.OperatorsLength()
        lines.append(f"subgraph {i} '{name}' ({sig}, {count} op{'s' if count != 1 else ''})")
    return lines


def _require_one_subgraph(model, source: str) -> None:
    count = model.SubgraphsLength()
    if count < 1:
        raise TinymlError(f"{source} has no subgraphs", fix="re-export the model")
    if count == 1:
        return
    keys = [(model.SignatureDefs(i).SignatureKey() or b"").decode() for i in range(model.SignatureDefsLength())]
    if keys:
        fix = (f"choose one signature with `--signature {keys[0]}` (tinyml inspect, tinyml firmware build), or "
               f"convert just one: tf.lite.TFLiteConverter.from_saved_model(dir, signature_keys=['{keys[0]}'])")
    else:
        fix = "convert a model without control flow (WHILE, IF, CALL_ONCE): its subgraphs cannot run on the firmware"
    raise TinymlError(
        f"{source} has {count} subgraphs and the firmware runs one graph whole; building the first would silently "
        f"drop the others: " + "; ".join(describe_subgraphs(model)),
        fix=fix,
    )


def read_model(data: bytes, *, source: str = "model") -> TfliteModel:
    """Parse a .tflite flatbuffer. `source` names the file in error messages."""
    data = bytes(data)
    require_identifier(data, source)
    try:
        model = schema.Model.GetRootAs(data, 0)
        _require_one_subgraph(model, source)
        graph = model.Subgraphs(0)

        opcode_names = []
        for i in range(model.OperatorCodesLength()):
            oc = model.OperatorCodes(i)
            code = max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode())
            name = OPCODE_NAMES.get(code, f"BUILTIN_{code}")
            if name == "CUSTOM":
                name = f"CUSTOM:{(oc.CustomCode() or b'').decode()}"
            opcode_names.append((name, oc.Version()))

        tensors = []
        for i in range(graph.TensorsLength()):
            t = graph.Tensors(i)
            buf = model.Buffers(t.Buffer()) if t.Buffer() < model.BuffersLength() else None
            loc = _buffer_location(buf, len(data)) if buf is not None else None
            tensors.append(Tensor(
                index=i,
                name=(t.Name() or b"").decode(errors="replace"),
                shape=tuple(int(d) for d in t.ShapeAsNumpy()) if t.ShapeLength() else (),
                dtype=_TYPE_NAMES.get(t.Type(), f"type{t.Type()}"),
                buffer=data[loc[0]:loc[0] + loc[1]] if loc else None,
                buffer_offset=loc[0] if loc else None,
                quantization=_quantization(t),
                is_variable=bool(t.IsVariable()),
                shape_signature=tuple(int(d) for d in t.ShapeSignatureAsNumpy()) if t.ShapeSignatureLength() else None,
            ))

        operators = []
        for i in range(graph.OperatorsLength()):
            op = graph.Operators(i)
            name, version = opcode_names[op.OpcodeIndex()]
            op_obj = schema.OperatorT.InitFromObj(op)
            operators.append(Operator(
                index=i,
                opcode=name,
                inputs=tuple(int(x) for x in op.InputsAsNumpy()) if op.InputsLength() else (),
                outputs=tuple(int(x) for x in op.OutputsAsNumpy()) if op.OutputsLength() else (),
                options=_options_dict(op_obj.builtinOptions),
                version=version,
            ))
    except TinymlError:
        raise
    except Exception as e:  # flatbuffers raises bare IndexError/struct.error on corrupt input
        raise corrupt(source, e) from e

    return TfliteModel(
        tensors=tuple(tensors),
        operators=tuple(operators),
        inputs=tuple(int(x) for x in graph.InputsAsNumpy()) if graph.InputsLength() else (),
        outputs=tuple(int(x) for x in graph.OutputsAsNumpy()) if graph.OutputsLength() else (),
        description=(model.Description() or b"").decode(errors="replace"),
    )
