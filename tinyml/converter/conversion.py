"""Float model + data -> verified full-int8 model and everything the firmware builder needs.

One sequence for the TFX component and `tinyml convert`: quantize, check ops
and int8-ness, evaluate float vs int8, check TFLM against TFLite, plan memory,
probe TFLM's arena, check every target's budget, and write the outputs
(model.tflite, model_data.c/.h, conversion_report.json, test_vectors.npz).
Files are written as soon as they exist, so a refused model can still be
inspected.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tinyml.config import ConverterConfig, EvaluationConfig, KwsConfig
from tinyml.converter.audio_vectors import clip_count, write_audio_vectors
from tinyml.converter.float_model import FloatModel
from tinyml.converter.int8_check import require_int8
from tinyml.converter.int8_eval import evaluate_int8
from tinyml.converter.int8_runner import ReferenceInterpreter
from tinyml.converter.kws_eval import evaluate_kws
from tinyml.converter.op_check import require_supported
from tinyml.converter.quantize import quantize
from tinyml.converter.report import describe_model, write_report
from tinyml.converter.tflm_check import check_tflm
from tinyml.converter.vector_choice import spread_over_classes
from tinyml.errors import TinymlError
from tinyml.firmware.model_array import write_model_array
from tinyml.firmware.target_build import TestVectors, tflm_run
from tinyml.profiles import Profile
from tinyml.tflite.model import read_model
from tinyml.tflite.quantization import dequantize_values, quantize_values

log = logging.getLogger(__name__)

MODEL_FILE = "model.tflite"
TEST_VECTORS_FILE = "test_vectors.npz"


@dataclass
class EvalData:
    inputs: np.ndarray  # float, [N, *input_shape]
    labels: np.ndarray | None = None  # int class indices [N]; None: no accuracy check
    slices: dict[str, np.ndarray] = field(default_factory=dict)  # feature -> values [N]
    source: str = "eval data"
    # Audio models: the raw int16 clips [N, clip_samples] the inputs were computed from.
    samples: np.ndarray | None = None


def _steps(progress):
    """progress(step_name) if given, else log lines."""
    return progress if progress else (lambda step: log.info("converter: %s", step))


def _check_labels(labels: np.ndarray, num_classes: int, source: str) -> None:
    bad = np.flatnonzero((labels < 0) | (labels >= num_classes))
    if len(bad):
        raise TinymlError(
            f"{source}: label {labels[bad[0]]!r} at example {int(bad[0])} is not a class index of the model, "
            f"whose output has {num_classes} classes (0..{num_classes - 1})",
            fix="labels must be int class indices; check data.label and data.num_classes")


def convert(model: FloatModel, representative: np.ndarray, representative_source: str, eval_data: EvalData,
            config: ConverterConfig, targets: list[Profile], out_dir: Path, progress=None,
            min_slice_examples: int = EvaluationConfig().min_slice_examples, kws: KwsConfig | None = None) -> dict:
    """Run the whole conversion into out_dir; returns the report (also written there).

    Slices with fewer than `min_slice_examples` examples are reported, not gated on.
    With `kws` (and labels), FAR/FRR per keyword and DET curves of both models
    go into the report's `kws` section, and its FRR-at-FAR gate into the blessing.

    Raises TinymlError for a model that cannot run on device at all (unsupported
    op, not int8) after writing what exists; accuracy, TFLM and budget problems
    are verdicts in the report (`blessed`, `reasons`).
    """
    step = _steps(progress)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    step("quantizing to full int8")
    tflite = quantize(model, representative, representative_source)
    if len(eval_data.inputs) == 0:
        raise TinymlError(f"{eval_data.source} has no examples to evaluate and verify the int8 model on",
                          fix="provide a non-empty eval split")
    model_path = out_dir / MODEL_FILE
    model_path.write_bytes(tflite)
    tfl = read_model(tflite, source=str(model_path))
    try:
        require_supported(tfl, f"the converted model of {model.source}")
        require_int8(tfl, f"the converted model of {model.source}")
    except TinymlError as e:
        write_report(out_dir, {"blessed": False, "reasons": [str(e)], "ops": [op.opcode for op in tfl.operators]})
        raise

    step("evaluating float and int8 models on the eval split")
    # Per tensor, in the model's order; the float model has one input, and its one output holds the
    # class probabilities the labels score.
    n_eval = len(eval_data.inputs)
    int8_inputs = [quantize_values(x, t.quantization).reshape(n_eval, *t.shape)
                   for x, t in zip([eval_data.inputs], tfl.input_tensors())]
    int8_outputs = ReferenceInterpreter(tflite).run(int8_inputs)
    reasons = []
    metrics = None
    kws_section = None
    if eval_data.labels is not None:
        probs = tfl.output_tensors()[0]
        num_classes = int(np.prod(probs.shape))
        _check_labels(eval_data.labels, num_classes, eval_data.source)
        float_probs = model.predict(eval_data.inputs)
        int8_probs = dequantize_values(int8_outputs[0], probs.quantization).reshape(n_eval, -1)
        evaluation = evaluate_int8(eval_data.labels, float_probs, int8_probs, eval_data.slices, num_classes, config,
                                   min_slice_examples)
        metrics = {"float": evaluation.float_metrics, "int8": evaluation.int8_metrics,
                   "accuracy_decrease": {"overall": evaluation.overall_decrease,
                                         "per_slice": evaluation.slice_decreases}}
        reasons += evaluation.reasons
        if kws is not None:
            kws_section, kws_reasons = evaluate_kws(eval_data.labels, float_probs, int8_probs, num_classes, kws)
            reasons += kws_reasons

    step("running the int8 model in the TFLM interpreter")
    # One order for both sets of vectors: the audio clips start with the test vectors, whose outputs they reuse.
    order = spread_over_classes(eval_data.labels, n_eval, n_eval)
    chosen = order[:config.test_vectors]
    n = len(chosen)
    vector_inputs = [x[chosen] for x in int8_inputs]
    micro = tflm_run(tflite, vector_inputs)
    tflm = check_tflm(tflite, tfl, vector_inputs, [y[chosen] for y in int8_outputs], micro)
    if not tflm.equal:
        reasons.append(tflm.message())
    TestVectors.save(out_dir / TEST_VECTORS_FILE, vector_inputs, micro)
    audio = None
    if eval_data.samples is not None and eval_data.labels is not None:
        # Audio models have one input and one output (tinyml.audio refuses others).
        clips = order[:clip_count(n_eval, config.test_vectors)]
        clip_outputs = micro[0] if len(clips) == n else tflm_run(tflite, [int8_inputs[0][clips]])[0]
        audio = write_audio_vectors(out_dir, eval_data.samples[clips], eval_data.labels[clips], clip_outputs,
                                    eval_data.source)
    write_model_array(tflite, out_dir)

    step("planning memory and checking target budgets")
    report = describe_model(tflite, tfl, model_path, list(targets))
    fitting = [t for t, v in report["targets"].items() if v["fits"]]
    if not fitting:
        reasons += [m for v in report["targets"].values() for m in v["messages"]]
    blessed = not reasons
    report.update({
        "source": model.source,
        "representative": {"source": representative_source, "examples": int(len(representative))},
        "metrics": metrics,
        "kws": kws_section,
        "tflm_check": tflm.to_dict(),
        "test_vectors": {"file": TEST_VECTORS_FILE, "examples": n},
        **({"audio_vectors": audio} if audio else {}),
        "blessed": blessed,
        "blessed_targets": fitting if blessed else [],
        "reasons": reasons,
    })
    write_report(out_dir, report)
    return report
