"""Float vs int8 on the eval split, side by side, and whether the drop is acceptable.

Limits come from tinyml.config.ConverterConfig: points of accuracy (0..100)
the int8 model may lose overall, and in any slice with enough examples to mean
something.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyml.config import ConverterConfig
from tinyml.converter.metrics import sliced_metrics


@dataclass(frozen=True)
class Int8Evaluation:
    float_metrics: dict
    int8_metrics: dict
    # Accuracy drops in points (float - int8, x100): overall and per slice.
    overall_drop: float
    slice_drops: dict[str, float]
    reasons: list[str]  # why the blessing is withheld; empty when the drop is acceptable

    @property
    def acceptable(self) -> bool:
        return not self.reasons


def _points(float_m: dict, int8_m: dict) -> float:
    # Rounded so a drop exactly at the limit (2 of 100 examples = 2.0 points) is not over it by 1e-15.
    return round(100.0 * (float_m["accuracy"] - int8_m["accuracy"]), 9)


def evaluate_int8(labels: np.ndarray, float_probabilities: np.ndarray, int8_probabilities: np.ndarray,
                  slices: dict[str, np.ndarray], num_classes: int, config: ConverterConfig) -> Int8Evaluation:
    """Metrics of both models on the same examples, and the reasons (if any) to withhold the blessing."""
    float_m = sliced_metrics(labels, float_probabilities, slices, num_classes)
    int8_m = sliced_metrics(labels, int8_probabilities, slices, num_classes)
    overall_drop = _points(float_m["overall"], int8_m["overall"])
    reasons = []
    if overall_drop > config.max_accuracy_drop:
        reasons.append(
            f"int8 accuracy {100 * int8_m['overall']['accuracy']:.2f}% is {overall_drop:.2f} points below "
            f"float {100 * float_m['overall']['accuracy']:.2f}% (limit converter.max_accuracy_drop = "
            f"{config.max_accuracy_drop})")
    slice_drops = {}
    for key, fm in float_m["per_slice"].items():
        drop = _points(fm, int8_m["per_slice"][key])
        slice_drops[key] = drop
        if fm["count"] >= config.min_slice_examples and drop > config.max_slice_accuracy_drop:
            reasons.append(
                f"slice {key} ({fm['count']} examples): int8 accuracy is {drop:.2f} points below float "
                f"(limit converter.max_slice_accuracy_drop = {config.max_slice_accuracy_drop})")
    return Int8Evaluation(float_m, int8_m, overall_drop, slice_drops, reasons)
