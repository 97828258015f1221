"""float <-> int8 as TFLite's QUANTIZE and DEQUANTIZE compute it, for a tensor's (per-tensor) quantization.

One definition for every host-side step that must agree with the device: the
converter's test inputs, and the audio firmware's feature quantization tables.
"""
from __future__ import annotations

import numpy as np

from tinyml.tflite.model import Quantization


def quantize_values(x: np.ndarray, q: Quantization) -> np.ndarray:
    """float -> int8 the way TFLite's QUANTIZE does: round half away from zero, then clamp."""
    v = np.asarray(x, np.float64) / q.scales[0]
    rounded = np.sign(v) * np.floor(np.abs(v) + 0.5)
    return np.clip(rounded + q.zero_points[0], -128, 127).astype(np.int8)


def dequantize_values(x: np.ndarray, q: Quantization) -> np.ndarray:
    return ((np.asarray(x, np.float32) - q.zero_points[0]) * q.scales[0]).astype(np.float32)
