"""Classification metrics of one model on one labelled set: overall, per slice, per class.

The same numbers the Evaluator reports (accuracy, precision, recall, F1,
confusion matrix, counts), computed with numpy so the float and the int8 model
are measured by one definition. Accuracies are fractions (0..1). Accuracy and
each class's precision and recall carry a 95 % interval beside them
(`*_interval`, tinyml.metrics.intervals); F1 and the macro averages have none.
"""
from __future__ import annotations

import numpy as np

from tinyml.metrics.intervals import confusion_intervals


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    # A class never predicted (or never present) scores 0, as TFMA and sklearn's zero_division=0 do.
    return np.divide(num, den, out=np.zeros(num.shape, dtype=np.float64), where=den > 0)


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray, num_classes: int) -> np.ndarray:
    """[true class, predicted class] counts."""
    flat = labels.astype(np.int64) * num_classes + predictions.astype(np.int64)
    return np.bincount(flat, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def classification_metrics(labels: np.ndarray, predictions: np.ndarray, num_classes: int) -> dict:
    """Accuracy, macro precision/recall/F1, per-class table and confusion matrix of one set."""
    cm = confusion_matrix(labels, predictions, num_classes)
    true_pos = np.diag(cm).astype(np.float64)
    precision = _ratio(true_pos, cm.sum(axis=0))
    recall = _ratio(true_pos, cm.sum(axis=1))
    f1 = _ratio(2 * precision * recall, precision + recall)
    count = int(cm.sum())
    # Macro averages over the classes that occur (as examples or predictions), as
    # scikit-learn's and the Evaluator's do: a class absent from a slice and
    # never predicted there has no precision or recall to average.
    occurring = (cm.sum(axis=0) + cm.sum(axis=1)) > 0
    intervals = confusion_intervals(cm)
    return {
        "count": count,
        "accuracy": float(true_pos.sum() / count) if count else 0.0,
        "accuracy_interval": intervals["accuracy_interval"],
        "macro_precision": float(precision[occurring].mean()) if count else 0.0,
        "macro_recall": float(recall[occurring].mean()) if count else 0.0,
        "macro_f1": float(f1[occurring].mean()) if count else 0.0,
        "per_class": {
            str(c): {"count": int(cm[c].sum()), "precision": float(precision[c]),
                     "recall": float(recall[c]), "f1": float(f1[c]), **intervals["per_class"][c]}
            for c in range(num_classes)
        },
        "confusion_matrix": cm.tolist(),
    }


def slice_key(feature: str, value) -> str:
    if isinstance(value, bytes):
        value = value.decode(errors="replace")
    elif isinstance(value, np.generic):
        value = value.item()
    return f"{feature}={value}"


def sliced_metrics(labels: np.ndarray, probabilities: np.ndarray, slices: dict[str, np.ndarray],
                   num_classes: int) -> dict:
    """{overall, per_slice: {"feature=value": metrics}, per_class} for one model's outputs."""
    labels = np.asarray(labels).reshape(-1)
    predictions = np.asarray(probabilities).reshape(len(labels), -1).argmax(axis=1)
    overall = classification_metrics(labels, predictions, num_classes)
    per_slice = {}
    for feature, values in slices.items():
        values = np.asarray(values).reshape(-1)
        for value in np.unique(values):
            rows = values == value
            per_slice[slice_key(feature, value)] = classification_metrics(labels[rows], predictions[rows], num_classes)
    return {"overall": overall, "per_slice": per_slice, "per_class": overall["per_class"]}
