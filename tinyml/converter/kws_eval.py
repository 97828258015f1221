"""Keyword-spotting view of float vs int8 on the eval split, and the FRR-at-FAR gate on the int8 model.

The numbers are tinyml/metrics/kws.py's (the device's decision rule: arg-max,
then score >= threshold); this module picks the keywords, lays the numbers
out for conversion_report.json and says why the gate withholds the blessing.
"""
from __future__ import annotations

import numpy as np

from tinyml.config import KwsConfig
from tinyml.errors import TinymlError
from tinyml.metrics.kws import DetCurve, average_det_curve, det_curve, operating_point

GATE_FIELD = "evaluation.kws.max_frr_at_far"


def _at_far(curve: DetCurve, far: float) -> dict:
    frr, threshold = curve.frr_at_far(far)
    return {"frr": frr, "threshold": threshold if np.isfinite(threshold) else None}  # +inf: accept nothing


def _model_view(scores: np.ndarray, labels: np.ndarray, keywords: list[int], config: KwsConfig) -> dict:
    curves = {str(k): det_curve(scores, labels, k) for k in keywords}
    average = average_det_curve(scores, labels, keywords)
    view = {"operating_point": operating_point(scores, labels, keywords, config.threshold),
            "det": {"average": average.to_dict(), "per_keyword": {k: c.to_dict() for k, c in curves.items()}}}
    gate = config.max_frr_at_far
    if gate:
        view["frr_at_far"] = {"far": gate.far, "average": _at_far(average, gate.far),
                              "per_keyword": {k: _at_far(c, gate.far) for k, c in curves.items()}}
    return view


def _gate(view: dict, config: KwsConfig) -> tuple[dict, list[str]]:
    gate = config.max_frr_at_far
    at = view["frr_at_far"]
    checked = {"average": at["average"]} if gate.over == "average" else at["per_keyword"]
    over = {k: v for k, v in checked.items() if v["frr"] > gate.max_frr}
    names = list(config.class_names)
    reasons = [
        f"int8 keyword spotting: FRR {100 * v['frr']:.2f}% at FAR <= {100 * gate.far:g}% "
        f"({'averaged over keywords' if k == 'average' else f'keyword {names[int(k)] if names else k}'}) "
        f"is above {GATE_FIELD}.max_frr = {gate.max_frr} (fix: a model that separates the keywords better "
        f"(more data, epochs, augmentation), or relax {GATE_FIELD})"
        for k, v in over.items()]
    return {"far": gate.far, "max_frr": gate.max_frr, "over": gate.over, "passed": not over,
            "frr": {k: v["frr"] for k, v in checked.items()}, "reasons": reasons}, reasons


def evaluate_kws(labels: np.ndarray, float_scores: np.ndarray, int8_scores: np.ndarray, num_classes: int,
                 config: KwsConfig) -> tuple[dict, list[str]]:
    """The `kws` section of the conversion report, and the reasons (if any) to withhold the blessing."""
    try:
        keywords = config.keywords(num_classes)
    except ValueError as e:
        raise TinymlError(f"evaluation.kws does not fit the model's {num_classes} classes: {e}",
                          fix="set evaluation.kws.class_names / non_keywords for the model's classes") from e
    labels = np.asarray(labels).reshape(-1)
    section = {"threshold": config.threshold, "keywords": keywords, "class_names": list(config.class_names),
               "float": _model_view(float_scores, labels, keywords, config),
               "int8": _model_view(int8_scores, labels, keywords, config), "gate": None}
    reasons = []
    if config.max_frr_at_far:
        section["gate"], reasons = _gate(section["int8"], config)
    return section, reasons
