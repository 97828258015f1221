"""audio_vectors.npz: raw eval clips with the int8 model's outputs on their features, for device-level checks.

Firmware that takes raw audio runs `samples` through its own frontend and the
model; its outputs must equal `outputs`, the tflite-micro interpreter's on
Transform's features of the same clips.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from tinyml.errors import TinymlError

AUDIO_VECTORS_FILE = "audio_vectors.npz"
# Fewest clips checked when the eval split has that many (converter.test_vectors may ask for more).
MIN_CLIPS = 200


def clip_count(available: int, test_vectors: int) -> int:
    return min(available, max(test_vectors, MIN_CLIPS))


def write_audio_vectors(out_dir: Path, samples: np.ndarray, labels: np.ndarray, outputs: np.ndarray,
                        source: str) -> dict:
    """Writes the file; returns its entry for the conversion report."""
    if samples.min(initial=0) < -32768 or samples.max(initial=0) > 32767:
        raise TinymlError(f"{source}: raw audio outside the int16 range",
                          fix="pass the int16 clips through Transform unchanged")
    np.savez(Path(out_dir) / AUDIO_VECTORS_FILE, samples=samples.astype(np.int16), labels=labels.astype(np.int64),
             outputs=outputs.astype(np.int8))
    return {"file": AUDIO_VECTORS_FILE, "examples": int(len(samples)), "clip_samples": int(samples.shape[1])}
