"""95 % confidence intervals of the proportions the pipeline reports (accuracy, precision, recall,
false accept and false reject rates), from the counts behind them.

A proportion measured on a few hundred clips moves by several points from one
sample to the next: the interval says how far, so a change can be told from
noise. The Wilson score interval is used because it stays inside [0, 1] and
keeps its coverage at 0 of n, n of n and small n, where the plain normal
approximation (p ± z·sqrt(p(1-p)/n)) collapses to a zero-width interval.

Intervals are JSON-ready [low, high] lists; None where there is nothing to
count over (n = 0), so such a rate, reported as 0, shows no interval.
F1 and macro averages are not binomial proportions (no single count over a
single total), so they get none.
"""
from __future__ import annotations

import math

import numpy as np

# The standard normal quantile at 0.975: a two-sided 95 % interval.
Z_95 = 1.959963984540054


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> list[float] | None:
    """[low, high] of the Wilson score interval of `successes` in `trials`; None when trials is 0.

    The bounds are the two proportions p whose score test |p̂ - p| / sqrt(p(1-p)/n) equals z.
    """
    if trials < 0 or not 0 <= successes <= trials:
        raise ValueError(f"{successes} successes in {trials} trials is not a proportion")
    if trials == 0:
        return None
    n, p = trials, successes / trials
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    # At 0 of n (n of n) the low (high) bound is exactly 0 (1); rounding must not move it past.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return [low, high]


def confusion_intervals(matrix) -> dict:
    """From a [true class, predicted class] count matrix: the accuracy's interval, and per class the
    precision's (over the examples predicted as the class) and the recall's (over the class's examples).

    {"accuracy_interval": [low, high] | None, "per_class": {c: {"precision_interval", "recall_interval"}}}
    """
    cm = np.asarray(matrix, dtype=np.int64)
    hits = np.diag(cm)
    predicted, actual = cm.sum(axis=0), cm.sum(axis=1)
    return {
        "accuracy_interval": wilson_interval(int(hits.sum()), int(cm.sum())),
        "per_class": {
            c: {"precision_interval": wilson_interval(int(hits[c]), int(predicted[c])),
                "recall_interval": wilson_interval(int(hits[c]), int(actual[c]))}
            for c in range(len(cm))
        },
    }
