"""The int8 model through the real TFLM interpreter (tflite-micro), compared with TFLite's.

The firmware's runtime is checked against TFLM, so TFLM must agree with the
interpreter the int8 metrics came from (TFLite reference kernels). When they
differ, both interpreters are re-run keeping every intermediate tensor and the
first op whose output differs is named, with how much.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyml.converter.int8_runner import ReferenceInterpreter
from tinyml.tflite.model import TfliteModel


def generous_arena(model: TfliteModel, tflite_len: int) -> int:
    """An arena that is surely big enough: every activation kept apart, plus room for TFLM's own
    structures (per tensor, op and channel: smaller than the model itself)."""
    activations = sum(t.nbytes for t in model.tensors if not t.is_constant)
    return 2 * activations + tflite_len + 65536


def _tflm(tflite: bytes, arena_bytes: int, preserve_all_tensors: bool = False):
    from tflite_micro.python.tflite_micro import runtime

    config = (runtime.InterpreterConfig.kPreserveAllTensors if preserve_all_tensors
              else runtime.InterpreterConfig.kAllocationRecording)
    return runtime.Interpreter.from_bytes(bytes(tflite), arena_size=arena_bytes, intrepreter_config=config)


@dataclass(frozen=True)
class TflmCheck:
    examples: int
    mismatched_examples: int
    max_abs_diff: int
    # The first op whose output differs on the first mismatched example, or None.
    divergence: dict | None

    @property
    def equal(self) -> bool:
        return self.mismatched_examples == 0

    def to_dict(self) -> dict:
        return {"examples": self.examples, "equal": self.equal, "mismatched_examples": self.mismatched_examples,
                "max_abs_diff": self.max_abs_diff, "divergence": self.divergence}

    def message(self) -> str:
        where = ""
        if self.divergence:
            d = self.divergence
            where = (f"; first difference at op {d['op_index']} {d['opcode']} (tensor '{d['tensor']}', "
                     f"{d['differing_values']} values differ, up to {d['max_abs_diff']})")
        return (f"TFLM outputs differ from TFLite's on {self.mismatched_examples} of {self.examples} eval examples "
                f"(max |diff| {self.max_abs_diff}){where}")


def first_divergence(tflite: bytes, model: TfliteModel, example: list[np.ndarray]) -> dict | None:
    """Run one example (one value per input, in the model's order) through both interpreters keeping
    all tensors; the first op whose output differs."""
    reference = ReferenceInterpreter(tflite, preserve_all_tensors=True)
    reference.run([x[None] for x in example])
    micro = _tflm(tflite, 4 * generous_arena(model, len(tflite)), preserve_all_tensors=True)
    for k, (x, t) in enumerate(zip(example, model.input_tensors())):
        micro.set_input(x.reshape(t.shape), k)
    micro.invoke()
    for op in model.operators:
        for t in op.outputs:
            ours = np.asarray(micro.GetTensor(t, 0)["tensor_data"]).astype(np.int64)
            theirs = reference.tensor(t).astype(np.int64)
            if ours.shape == theirs.shape and np.array_equal(ours, theirs):
                continue
            diff = np.abs(ours - theirs) if ours.shape == theirs.shape else None
            return {"op_index": op.index, "opcode": op.opcode, "tensor": model.tensors[t].name,
                    "differing_values": int((diff > 0).sum()) if diff is not None else None,
                    "max_abs_diff": int(diff.max()) if diff is not None else None,
                    "shapes": None if diff is not None else [list(ours.shape), list(theirs.shape)]}
    return None


def check_tflm(tflite: bytes, model: TfliteModel, inputs: list[np.ndarray], reference_outputs: list[np.ndarray],
               micro_outputs: list[np.ndarray]) -> TflmCheck:
    """Compare TFLM's outputs with the reference interpreter's on the same inputs, every output of
    every example (arrays [N, *shape] per tensor, in the model's order)."""
    n = len(inputs[0])
    diff = np.concatenate([np.abs(m.astype(np.int64) - r.astype(np.int64)).reshape(n, -1)
                           for m, r in zip(micro_outputs, reference_outputs)], axis=1)
    bad = np.flatnonzero(diff.max(axis=1) > 0) if n else np.array([], dtype=int)
    divergence = first_divergence(tflite, model, [x[bad[0]] for x in inputs]) if len(bad) else None
    return TflmCheck(n, len(bad), int(diff.max()) if diff.size else 0, divergence)
