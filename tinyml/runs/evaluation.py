"""The Evaluator's output (TFMA) as plain data: metrics per slice and class,
the confusion matrix, and why a model was or was not blessed.

Accuracy and each class's precision and recall carry a 95 % interval, from the
counts of the slice's confusion matrix (tinyml.metrics.intervals), as the
converter's figures do; F1 and the macro averages have none."""
from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import tensorflow_model_analysis as tfma

from tinyml.metrics.intervals import confusion_intervals

OVERALL = "overall"
# The metric the Evaluator gates on (pipelines/eval_config.py configures it).
ACCURACY = "sparse_categorical_accuracy"
# With a baseline model, TFMA stores both models' results under these names.
CANDIDATE = "candidate"
BASELINE = "baseline"


def model_names(evaluation_uri: str) -> set[str]:
    """The models the Evaluator evaluated: {candidate, baseline} with a baseline, else unnamed."""
    eval_config = tfma.writers.eval_config_writer.load_eval_run(evaluation_uri)[0]
    return {spec.name for spec in eval_config.model_specs} if eval_config else set()


# An Evaluator artifact is never rewritten, so one load serves the slice
# metrics and the confusion matrix (about a second each).
@functools.lru_cache(maxsize=4)
def _eval_result(evaluation_uri: str, model: str = CANDIDATE):
    # Ask for a model by name only when the run had a baseline: asking a
    # single-model result for it makes TFMA log a warning per slice.
    name = model if model in model_names(evaluation_uri) else None
    return tfma.load_eval_result(evaluation_uri, model_name=name)


@dataclass
class SliceMetrics:
    example_count: int
    accuracy: float
    # Macro averages over the classes with examples or predictions in the slice.
    precision: float
    recall: float
    f1: float
    # Per class: precision, recall, F1, and the intervals of the first two ([low, high] or None).
    per_class: dict[int, dict] = field(default_factory=dict)
    accuracy_interval: list[float] | None = None

    def as_dict(self) -> dict:
        return {
            "example_count": self.example_count,
            "accuracy": self.accuracy,
            "accuracy_interval": self.accuracy_interval,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "per_class": {str(k): v for k, v in sorted(self.per_class.items())},
        }


def slice_name(slice_key: tuple) -> str:
    return " & ".join(f"{k}={v}" for k, v in slice_key) if slice_key else OVERALL


def _value(metrics: dict, name: str) -> float:
    return float(metrics.get(name, {}).get("doubleValue", float("nan")))


def _zero_if_undefined(value: float) -> float:
    return 0.0 if value != value else value


def class_id(sub_key: str) -> int | None:
    """The class of a per-class sub-key ('classId:<c> topK:1'); None for others."""
    return int(sub_key.split()[0].split(":")[1]) if sub_key.startswith("classId:") else None


def _per_class(subkeys: dict) -> tuple[dict[int, dict[str, float]], list[int]]:
    """(per-class precision/recall/F1, the classes that occur in the slice).

    TFMA stores 0/0 as NaN: precision of a class never predicted, recall of a
    class with no examples. They are reported as 0, as scikit-learn's
    zero_division=0 and the converter's report do. A class with neither
    examples nor predictions in the slice (both NaN) does not occur there.
    """
    per_class, occurring = {}, []
    for sub, m in subkeys.items():
        c = class_id(sub)
        if c is None:
            continue
        precision, recall = _value(m, "precision"), _value(m, "recall")
        if precision == precision or recall == recall:
            occurring.append(c)
        per_class[c] = {"precision": _zero_if_undefined(precision), "recall": _zero_if_undefined(recall),
                        "f1": _zero_if_undefined(_value(m, "f1_score"))}
    return per_class, occurring


def _macro(per_class: dict[int, dict[str, float]], classes: list[int], name: str) -> float:
    """Unweighted mean over the classes that occur in the slice (scikit-learn's macro average)."""
    return float(np.mean([per_class[c][name] for c in classes])) if classes else float("nan")


def load_slice_metrics(evaluation_uri: str, model: str = CANDIDATE) -> dict[str, SliceMetrics]:
    """Metrics per slice of the candidate, or of the baseline (model=BASELINE) when the run had one."""
    result = _eval_result(evaluation_uri, model)
    matrices = {slice_name(key): plots for key, plots in result.plots}
    slices = {}
    for key, outputs in result.slicing_metrics:
        subkeys = outputs.get("", {})
        top = subkeys.get("", {})
        per_class, occurring = _per_class(subkeys)
        name = slice_name(key)
        # The counts behind the figures: the Evaluator's config plots a confusion matrix for every slice.
        intervals = confusion_intervals(_matrix(matrices[name], max(per_class, default=-1) + 1))
        for c in per_class:
            per_class[c].update(intervals["per_class"][c])
        slices[name] = SliceMetrics(
            example_count=int(_value(top, "example_count")),
            accuracy=_value(top, ACCURACY),
            precision=_macro(per_class, occurring, "precision"),
            recall=_macro(per_class, occurring, "recall"),
            f1=_macro(per_class, occurring, "f1"),
            per_class=per_class,
            accuracy_interval=intervals["accuracy_interval"],
        )
    # TFMA lists slices in no fixed order: overall first, then by name, so tables and JSON are stable.
    return dict(sorted(slices.items(), key=lambda item: (item[0] != OVERALL, item[0])))


def _matrix(plots: dict, num_classes: int) -> np.ndarray:
    """One slice's confusion matrix from its TFMA plots, rows = actual class, columns = predicted."""
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    data = plots[""][""]["multiClassConfusionMatrixAtThresholds"]["matrices"][0]
    for entry in data["entries"]:
        matrix[entry.get("actualClassId", 0), entry.get("predictedClassId", 0)] += int(entry["numWeightedExamples"])
    return matrix


def load_confusion_matrix(evaluation_uri: str, num_classes: int) -> np.ndarray:
    """Overall confusion matrix, rows = actual class, columns = predicted."""
    overall = next((plots for key, plots in _eval_result(evaluation_uri).plots if not key), None)
    return _matrix(overall, num_classes) if overall is not None else np.zeros((num_classes, num_classes), dtype=np.int64)


def _slice_value(column):
    kind = column.WhichOneof("kind")
    value = getattr(column, kind) if kind else ""
    return value.decode() if isinstance(value, bytes) else value


def load_validation(evaluation_uri: str) -> tuple[bool, list[str]]:
    """(passed, reasons it failed), from TFMA's validation result."""
    result = tfma.load_validation_result(evaluation_uri)
    reasons = []
    for per_slice in result.metric_validations_per_slice:
        where = slice_name(tuple((c.column, _slice_value(c)) for c in per_slice.slice_key.single_slice_keys))
        for failure in per_slice.failures:
            value = failure.metric_value.double_value.value
            threshold = " ".join(str(failure.metric_threshold).split())
            reasons.append(f"{where}: {failure.metric_key.name} = {value:.4f} fails the threshold {threshold}")
    for missing in result.missing_slices:
        reasons.append(f"slice {missing} has no examples")
    return result.validation_ok, reasons
