"""What a .tflite model is and where it fits: the model half of conversion_report.json.

Shared by the converter component, `tinyml convert` and `tinyml inspect`, so a
model inspected later reads exactly as it did when it was converted.
"""
from __future__ import annotations

import json
from pathlib import Path

from tinyml.converter.arena_probe import probe_arena
from tinyml.converter.budgets import check_target
from tinyml.converter.int8_check import int8_problems
from tinyml.converter.op_check import describe, unsupported_ops
from tinyml.converter.tflm_check import generous_arena
from tinyml.errors import TinymlError
from tinyml.file_names import CONVERSION_REPORT_FILE
from tinyml.profiles import Profile
from tinyml.tflite.memory_plan import plan_memory
from tinyml.tflite.model import TfliteModel

REPORT_FILE = CONVERSION_REPORT_FILE


def _quantization(t) -> dict | None:
    q = t.quantization
    return None if q is None else {"scales": list(q.scales), "zero_points": list(q.zero_points),
                                   "quantized_dimension": q.quantized_dimension}


def ops_table(model: TfliteModel) -> list[dict]:
    return [{"index": op.index, "opcode": op.opcode, "inputs": list(op.inputs), "outputs": list(op.outputs),
             "output_names": [model.tensors[t].name for t in op.outputs if t >= 0]} for op in model.operators]


def tensor_table(model: TfliteModel) -> list[dict]:
    return [{"index": t.index, "name": t.name, "shape": list(t.shape), "dtype": t.dtype, "bytes": t.nbytes,
             "constant": t.is_constant, "quantization": _quantization(t)} for t in model.tensors]


def io_quantization(model: TfliteModel) -> dict:
    def side(tensors):
        return [{"name": t.name, "shape": list(t.shape), "dtype": t.dtype, **(_quantization(t) or {})}
                for t in tensors]
    return {"inputs": side(model.input_tensors()), "outputs": side(model.output_tensors())}


def describe_model(tflite: bytes, model: TfliteModel, model_path: Path, targets: list[Profile],
                   on_probe_trial=None) -> dict:
    """ops, tensors, io_quantization, memory_plan and per-target verdicts of one model file."""
    plan = plan_memory(model)
    memory_plan = plan.to_dict()
    try:
        probe = probe_arena(model_path, generous_arena(model, len(tflite)), on_trial=on_probe_trial)
        memory_plan["tflm_arena"] = probe.to_dict()
    except TinymlError as e:
        memory_plan["tflm_arena"] = {"smallest_bytes": None, "error": str(e)}
    not_int8 = int8_problems(model)
    missing = unsupported_ops(model)
    verdicts = {}
    for profile in targets:
        name = profile.name
        verdict = check_target(profile, model_bytes=len(tflite), arena_bytes=plan.arena_bytes,
                               num_op_kinds=len(model.opcodes)).to_dict()
        # An MCU target runs int8 kernels only, and only the ops the runtime has.
        blockers = ([f"{name}: not a full-int8 model: " + "; ".join(not_int8)] if not_int8 else []) + \
                   [f"{name}: op not implemented on device: {describe(op)}" for op in missing]
        if blockers:
            verdict["fits"] = False
            verdict["messages"] = blockers + verdict["messages"]
        verdicts[name] = verdict
    return {
        "model_bytes": len(tflite),
        "ops": ops_table(model),
        "tensors": tensor_table(model),
        "io_quantization": io_quantization(model),
        "memory_plan": memory_plan,
        "int8_problems": not_int8,
        "unsupported_ops": [describe(op) for op in missing],
        "targets": verdicts,
    }


def write_report(out_dir: Path, report: dict) -> Path:
    path = Path(out_dir) / REPORT_FILE
    path.write_text(json.dumps(report, indent=1, sort_keys=False) + "\n")
    return path
