"""Float vs int8 on the eval split, side by side, and whether the decrease is acceptable.

Limits come from tinyml.config.ConverterConfig: how far accuracy (a fraction,
0..1) may fall overall, and in any slice with at least `min_slice_examples`
examples (evaluation.min_slice_examples) to mean something.
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
    # Accuracy decreases as fractions (float - int8): overall and per slice.
    overall_decrease: float
    slice_decreases: dict[str, float]
    reasons: list[str]  # why the blessing is withheld; empty when the decrease is acceptable

    @property
    def acceptable(self) -> bool:
        return not self.reasons


def _decrease(float_m: dict, int8_m: dict) -> float:
    # Rounded so a decrease exactly at the limit (2 of 100 examples = 0.02) is not over it by 1e-17.
    return round(float_m["accuracy"] - int8_m["accuracy"], 11)


def evaluate_int8(labels: np.ndarray, float_probabilities: np.ndarray, int8_probabilities: np.ndarray,
                  slices: dict[str, np.ndarray], num_classes: int, config: ConverterConfig,
                  min_slice_examples: int) -> Int8Evaluation:
    """Metrics of both models on the same examples, and the reasons (if any) to withhold the blessing."""
    float_m = sliced_metrics(labels, float_probabilities, slices, num_classes)
    int8_m = sliced_metrics(labels, int8_probabilities, slices, num_classes)
    overall = _decrease(float_m["overall"], int8_m["overall"])
    reasons = []
    if overall > config.max_accuracy_decrease:
        reasons.append(
            f"int8 accuracy {100 * int8_m['overall']['accuracy']:.2f}% is {100 * overall:.2f} points below "
            f"float {100 * float_m['overall']['accuracy']:.2f}% (limit converter.max_accuracy_decrease = "
            f"{config.max_accuracy_decrease})")
    per_slice = {}
    for key, fm in float_m["per_slice"].items():
        decrease = _decrease(fm, int8_m["per_slice"][key])
        per_slice[key] = decrease
        if fm["count"] >= min_slice_examples and decrease > config.max_slice_accuracy_decrease:
            reasons.append(
                f"slice {key} ({fm['count']} examples): int8 accuracy is {100 * decrease:.2f} points below float "
                f"(limit converter.max_slice_accuracy_decrease = {config.max_slice_accuracy_decrease})")
    return Int8Evaluation(float_m, int8_m, overall, per_slice, reasons)
