"""Writing small .tflite flatbuffers op by op with the schema's object API, for models the
TFLite converter does not emit (e.g. SVDF: tinyml/tflite/svdf_testing.py). Test support only."""
from __future__ import annotations

import flatbuffers
import numpy as np
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

_TYPES = {"int8": schema.TensorType.INT8, "int16": schema.TensorType.INT16, "int32": schema.TensorType.INT32}


class GraphWriter:
    """Tensors and operators of one subgraph, appended in order."""

    def __init__(self):
        self.model = schema.ModelT()
        self.model.version = 3
        self.model.buffers = [schema.BufferT()]  # buffer 0: the empty sentinel
        self.model.operatorCodes = []
        self.graph = schema.SubGraphT()
        self.graph.tensors, self.graph.operators = [], []

    def tensor(self, name: str, shape, dtype: str, scale: float | None = None, zero_point: int = 0,
               data: np.ndarray | None = None, variable: bool = False) -> int:
        t = schema.TensorT()
        t.name, t.shape, t.type, t.isVariable = name.encode(), list(shape), _TYPES[dtype], variable
        t.buffer = 0
        if data is not None:
            buf = schema.BufferT()
            buf.data = list(np.ascontiguousarray(data, dtype=np.dtype(dtype).newbyteorder("<")).tobytes())
            t.buffer = len(self.model.buffers)
            self.model.buffers.append(buf)
        if scale is not None:
            t.quantization = schema.QuantizationParametersT()
            t.quantization.scale, t.quantization.zeroPoint = [float(scale)], [int(zero_point)]
        self.graph.tensors.append(t)
        return len(self.graph.tensors) - 1

    def op(self, code: int, inputs, outputs, options_type: int = 0, options=None) -> None:
        codes = [c.builtinCode for c in self.model.operatorCodes]
        if code not in codes:
            oc = schema.OperatorCodeT()
            # Codes above 127 keep the old int8 field at its placeholder, as the converter writes them.
            oc.builtinCode, oc.deprecatedBuiltinCode, oc.version = code, min(code, 127), 1
            self.model.operatorCodes.append(oc)
            codes.append(code)
        o = schema.OperatorT()
        o.opcodeIndex, o.inputs, o.outputs = codes.index(code), list(inputs), list(outputs)
        o.builtinOptionsType, o.builtinOptions = options_type, options
        self.graph.operators.append(o)

    def finish(self, inputs, outputs) -> bytes:
        self.graph.inputs, self.graph.outputs = list(inputs), list(outputs)
        self.model.subgraphs = [self.graph]
        builder = flatbuffers.Builder(1 << 16)
        builder.Finish(self.model.Pack(builder), file_identifier=b"TFL3")
        return bytes(builder.Output())


def one_op_model(opcode: str) -> bytes:
    """An int8 [1, 4] -> int8 [1, 4] model of the single builtin `opcode` (no options, no weights):
    enough for the checks that look at op names, not for running."""
    g = GraphWriter()
    x = g.tensor("input", (1, 4), "int8", 0.1, 0)
    y = g.tensor("output", (1, 4), "int8", 0.1, 0)
    g.op(getattr(schema.BuiltinOperator, opcode), [x], [y])
    return g.finish([x], [y])
