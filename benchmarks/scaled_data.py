"""The bundled digits ×N for the pipeline benchmark: the original rows, then N-1 noisy copies
(each pixel moved by -1, 0 or +1 within 0..16), written row by row so that no more than the
original data set is ever in memory."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from pipelines.examples.digits import data, features

MAX_PIXEL = 16


def write_scaled_csv(path: Path, factor: int, seed: int = 0) -> Path:
    pixels, labels = data.load()
    ink = data.ink_levels(pixels)
    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([*features.PIXEL_KEYS, features.INK_KEY, features.LABEL_KEY])
        for copy in range(factor):
            noisy = pixels if copy == 0 else np.clip(pixels + rng.integers(-1, 2, pixels.shape), 0, MAX_PIXEL)
            for row, level, label in zip(noisy, ink, labels):
                writer.writerow([*row.tolist(), level, int(label)])
    return path
