"""Exports scikit-learn's bundled digits (real data, no download) to CSV."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from pipelines.examples.digits import features

CSV_NAME = "digits.csv"


def ink_levels(images: np.ndarray) -> list[str]:
    """Tercile of each image's total grey level: 'low', 'medium' or 'high'."""
    ink = images.reshape(len(images), -1).sum(axis=1)
    low, high = np.quantile(ink, [1 / 3, 2 / 3])
    return [features.INK_LEVELS[int(v > low) + int(v > high)] for v in ink]


def load() -> tuple[np.ndarray, np.ndarray]:
    """(pixels [n, 64] ints 0..16, labels [n])."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    return digits.data.astype(np.int64), digits.target.astype(np.int64)


def export_csv(out_dir: str | Path, limit: int | None = None) -> Path:
    """Writes the data set as one CSV; `limit` keeps the first rows (for fast tests)."""
    pixels, labels = load()
    if limit is not None:
        pixels, labels = pixels[:limit], labels[:limit]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / CSV_NAME
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([*features.PIXEL_KEYS, features.INK_KEY, features.LABEL_KEY])
        for row, ink, label in zip(pixels, ink_levels(pixels), labels):
            writer.writerow([*row.tolist(), ink, int(label)])
    tmp.replace(path)
    return path
