"""Which eval examples become the device's verification vectors.

An eval split is often ordered by label (files named by class, sorted), so its
first N examples may hold a few classes only and a device check on them would
never see the others. Taking the classes in turn covers every class the split
has within the first N."""
from __future__ import annotations

import numpy as np


def spread_over_classes(labels: np.ndarray | None, total: int, count: int) -> np.ndarray:
    """Indices of `count` of the `total` examples: each class in turn, in split order within a class.

    Without labels, the first `count` in split order."""
    count = min(count, total)
    if labels is None:
        return np.arange(count)
    labels = np.asarray(labels).reshape(-1)
    rank = np.zeros(len(labels), dtype=np.int64)
    for value in np.unique(labels):
        where = labels == value
        rank[where] = np.arange(where.sum())
    # Primary key the rank within its class, then the label: one of each class per round.
    return np.lexsort((labels, rank))[:count]
