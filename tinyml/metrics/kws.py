"""Keyword-spotting metrics from class scores: false accepts and false rejects per keyword, DET curves.

The decision rule is the device's: a clip is accepted as keyword k when k is
the arg-max of its scores (the lowest index on ties, as numpy's argmax) and
k's score reaches the threshold (score >= threshold). So a clip is accepted
as one class at most, and at threshold 0 every clip is accepted as its
arg-max class (probabilities are never negative).

For keyword k, over a set of labelled clips:
- false reject rate (FRR): clips of k not accepted as k (another class wins,
  or k's score is below the threshold), over the clips of k;
- false accept rate (FAR): clips of other classes accepted as k, over the
  clips of other classes.
A rate with no clips to count over is 0, as the project's precision and
recall are; averages over keywords count only keywords with clips of their
own in the set. At the operating threshold each keyword's FAR and FRR carry a
95 % interval (`far_interval`, `frr_interval`; None with no clips to count
over); the averages, means of rates over different clips, have none.

A DET curve is FRR against FAR as the threshold sweeps every distinct score
at which a clip is accepted as the keyword (ascending), ending at +inf,
where nothing is accepted (FAR 0, FRR 1). Raising the threshold never raises
FAR nor lowers FRR, so the curve is monotonic. Since the arg-max comes first,
the curve starts at the arg-max decision (threshold 0), not at FAR 1.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyml.metrics.intervals import wilson_interval


def _ratio(num: int, den: int) -> float:
    return num / den if den else 0.0


def detection_scores(scores: np.ndarray, keyword: int) -> np.ndarray:
    """Per clip, the score at which it stops being accepted as `keyword`: k's score where k is the
    arg-max, -inf (never accepted) elsewhere."""
    scores = np.asarray(scores, dtype=np.float64)
    return np.where(scores.argmax(axis=1) == keyword, scores[:, keyword], -np.inf)


@dataclass(frozen=True)
class DetCurve:
    thresholds: np.ndarray  # ascending; the last is +inf (nothing accepted)
    far: np.ndarray  # false accept rate at each threshold (non-increasing)
    frr: np.ndarray  # false reject rate at each threshold (non-decreasing)

    def frr_at_far(self, max_far: float) -> tuple[float, float]:
        """(FRR, threshold) of the lowest-FRR point whose FAR is at most `max_far`.

        Step rule, no interpolation: only thresholds that exist give an FRR, so
        the value is one a device set to that threshold achieves on this data.
        The +inf point (FAR 0) always qualifies.
        """
        first = int(np.flatnonzero(self.far <= max_far)[0])  # FRR grows with the threshold: the lowest wins
        return float(self.frr[first]), float(self.thresholds[first])

    def to_dict(self, digits: int = 6) -> dict:
        """JSON-ready lists; the +inf threshold is written as null."""
        def rounded(values):
            return [None if not np.isfinite(v) else round(float(v), digits) for v in values]
        return {"thresholds": rounded(self.thresholds), "far": rounded(self.far), "frr": rounded(self.frr)}


def _errors_at(detection: np.ndarray, positive: np.ndarray, thresholds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(false accepts, false rejects) counts at each threshold."""
    neg = np.sort(detection[~positive])
    pos = np.sort(detection[positive])
    false_accepts = len(neg) - np.searchsorted(neg, thresholds, side="left")  # negatives with score >= t
    false_rejects = np.searchsorted(pos, thresholds, side="left")  # positives with score < t
    return false_accepts, false_rejects


def _thresholds(detection: np.ndarray) -> np.ndarray:
    return np.append(np.unique(detection[np.isfinite(detection)]), np.inf)


def _rates_at(scores, labels, keyword: int, thresholds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    detection = detection_scores(scores, keyword)
    positive = np.asarray(labels).reshape(-1) == keyword
    fa, fr = _errors_at(detection, positive, thresholds)
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    far = fa / n_neg if n_neg else np.zeros(len(thresholds))
    frr = fr / n_pos if n_pos else np.zeros(len(thresholds))
    return far, frr


def det_curve(scores: np.ndarray, labels: np.ndarray, keyword: int) -> DetCurve:
    """One keyword's DET curve; every distinct score at which a clip is accepted as it is a threshold."""
    thresholds = _thresholds(detection_scores(scores, keyword))
    far, frr = _rates_at(scores, labels, keyword, thresholds)
    return DetCurve(thresholds, far, frr)


def _present(labels: np.ndarray, keywords) -> list[int]:
    labels = np.asarray(labels).reshape(-1)
    return [k for k in keywords if np.any(labels == k)]


def average_det_curve(scores: np.ndarray, labels: np.ndarray, keywords) -> DetCurve:
    """FAR and FRR averaged over the keywords present in `labels`, at one shared threshold:
    every threshold of any keyword's curve (the device uses one threshold for all keywords)."""
    present = _present(labels, keywords)
    if not present:
        return DetCurve(np.array([np.inf]), np.zeros(1), np.ones(1))
    thresholds = np.unique(np.concatenate([_thresholds(detection_scores(scores, k)) for k in present]))
    rates = [_rates_at(scores, labels, k, thresholds) for k in present]
    return DetCurve(thresholds, np.mean([r[0] for r in rates], axis=0), np.mean([r[1] for r in rates], axis=0))


def operating_point(scores: np.ndarray, labels: np.ndarray, keywords, threshold: float) -> dict:
    """Counts and rates per keyword at `threshold`, and their averages over the keywords present."""
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels).reshape(-1)
    per_keyword = {}
    for k in keywords:
        positive = labels == k
        fa, fr = _errors_at(detection_scores(scores, k), positive, np.array([threshold]))
        n_pos = int(positive.sum())
        n_neg = len(labels) - n_pos
        per_keyword[str(k)] = {"clips": n_pos, "false_rejects": int(fr[0]), "frr": _ratio(int(fr[0]), n_pos),
                               "other_clips": n_neg, "false_accepts": int(fa[0]), "far": _ratio(int(fa[0]), n_neg),
                               "frr_interval": wilson_interval(int(fr[0]), n_pos),
                               "far_interval": wilson_interval(int(fa[0]), n_neg)}
    present = [per_keyword[str(k)] for k in _present(labels, keywords)]
    return {
        "threshold": float(threshold),
        "per_keyword": per_keyword,
        "average": {"far": float(np.mean([p["far"] for p in present])) if present else 0.0,
                    "frr": float(np.mean([p["frr"] for p in present])) if present else 0.0},
    }
