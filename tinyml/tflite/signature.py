"""Cut one signature out of a multi-signature .tflite into a model of its own.

The firmware runtime and the tflite-micro interpreter both run a model's
first subgraph, so the chosen signature's subgraph becomes the only one: the
firmware, its verification and the manifest's sha256 then all describe the
same single-graph model. Buffers the kept subgraph does not use are dropped.
"""
from __future__ import annotations

from tinyml.errors import TinymlError
from tinyml.tflite.model import OPCODE_NAMES, corrupt, describe_subgraphs, require_identifier

# Ops whose options name other subgraphs: cut out alone, they would point nowhere.
_CALLS_SUBGRAPHS = {"CALL", "CALL_ONCE", "IF", "WHILE"}


def select_signature(data: bytes, signature: str, *, source: str = "model") -> bytes:
    """The model reduced to the subgraph of `signature`; TinymlError naming what the model has otherwise."""
    import flatbuffers
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

    data = bytes(data)
    require_identifier(data, source)
    try:
        packed = schema.Model.GetRootAs(data, 0)
        model = schema.ModelT.InitFromPackedBuf(bytearray(data), 0)
    except Exception as e:  # flatbuffers raises bare IndexError/struct.error on corrupt input
        raise corrupt(source, e) from e
    found = {(s.signatureKey or b"").decode(): s for s in model.signatureDefs or []}
    if signature not in found:
        raise TinymlError(
            f"{source} has no signature '{signature}'; it has: " + "; ".join(describe_subgraphs(packed)),
            fix=f"pass one of: {', '.join(sorted(found))}" if found else "drop --signature: the model has none",
        )
    sig = found[signature]
    graph = model.subgraphs[sig.subgraphIndex]
    for op in graph.operators or []:
        code = model.operatorCodes[op.opcodeIndex]
        opname = OPCODE_NAMES.get(max(code.builtinCode, code.deprecatedBuiltinCode), "")
        if opname in _CALLS_SUBGRAPHS:
            raise TinymlError(
                f"{source}: signature '{signature}' uses {opname}, which runs other subgraphs; "
                f"it cannot run on its own",
                fix="convert the model without control flow or variables initialised by CALL_ONCE",
            )
    if any(b.offset > 1 for b in model.buffers or []):
        raise TinymlError(f"{source} keeps its weights outside the flatbuffer (a model over 2 GB)",
                          fix="a model this large does not fit a microcontroller; convert a smaller one")

    # Buffer 0 stays the empty sentinel every .tflite starts with.
    kept, remap = [schema.BufferT()], {0: 0}

    def keep(index: int) -> int:
        if index not in remap:
            remap[index] = len(kept)
            kept.append(model.buffers[index])
        return remap[index]

    for tensor in graph.tensors or []:
        tensor.buffer = keep(tensor.buffer)
    for meta in model.metadata or []:
        meta.buffer = keep(meta.buffer)
    model.buffers = kept
    model.subgraphs = [graph]
    sig.subgraphIndex = 0
    model.signatureDefs = [sig]
    builder = flatbuffers.Builder(len(data) + 1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())
