"""Requantization constants, computed on the host exactly as TFLite computes them.

The device never sees a float scale: each kernel gets the (multiplier, shift)
pairs TFLite's Prepare step would compute, so the integer arithmetic matches
TFLM bit for bit. float32 steps stay float32 (numpy) where TFLite uses float.
"""
from __future__ import annotations

import math

import numpy as np

INT8_MIN, INT8_MAX = -128, 127


def round_half_away(x: float) -> int:
    """C's round(): ties away from zero (Python's round() ties to even)."""
    return int(math.floor(abs(x) + 0.5)) * (1 if x >= 0 else -1)


def quantize_multiplier(real: float) -> tuple[int, int]:
    """TFLite's QuantizeMultiplier: real = multiplier * 2^(shift - 31), multiplier in [2^30, 2^31)."""
    if real == 0.0:
        return 0, 0
    q, shift = math.frexp(real)
    q_fixed = round_half_away(q * (1 << 31))
    if q_fixed == 1 << 31:
        q_fixed //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    if shift > 30:
        return (1 << 31) - 1, 30
    return q_fixed, shift


def conv_multipliers(input_scale: float, filter_scales, output_scale: float, channels: int):
    """Per output channel (multiplier, shift); a per-tensor filter scale is repeated."""
    scales = list(filter_scales) if len(filter_scales) > 1 else [filter_scales[0]] * channels
    pairs = [quantize_multiplier(input_scale * s / output_scale) for s in scales]
    return [m for m, _ in pairs], [s for _, s in pairs]


def fully_connected_multiplier(input_scale: float, filter_scale: float, output_scale: float):
    # TFLite forms the input*filter product in float32 before widening to double.
    product = float(np.float32(input_scale) * np.float32(filter_scale))
    return quantize_multiplier(product / output_scale)


def activation_range(activation: str, scale: float, zero_point: int) -> tuple[int, int]:
    """TFLite's CalculateActivationRangeQuantized for int8 outputs."""
    def q(value: float) -> int:
        return zero_point + round_half_away(float(np.float32(value) / np.float32(scale)))

    if activation == "NONE":
        return INT8_MIN, INT8_MAX
    if activation == "RELU":
        return max(INT8_MIN, q(0.0)), INT8_MAX
    if activation == "RELU6":
        return max(INT8_MIN, q(0.0)), min(INT8_MAX, q(6.0))
    if activation == "RELU_N1_TO_1":
        return max(INT8_MIN, q(-1.0)), min(INT8_MAX, q(1.0))
    raise ValueError(f"unsupported fused activation {activation}")


def input_radius(integer_bits: int, left_shift: int, total_signed_bits: int = 31) -> int:
    """TFLite's CalculateInputRadius: the largest |input| before the result saturates."""
    max_rescaled = (1.0 * ((1 << integer_bits) - 1) * (1 << (total_signed_bits - integer_bits))
                    / (1 << left_shift))
    return int(math.floor(max_rescaled))


def softmax_params(beta: float, input_scale: float) -> tuple[int, int, int]:
    """(input_multiplier, input_left_shift, diff_min) for int8 SOFTMAX (Q5.26 differences)."""
    scaled_diff_integer_bits = 5
    real = min(beta * input_scale * (1 << (31 - scaled_diff_integer_bits)), (1 << 31) - 1.0)
    multiplier, shift = quantize_multiplier(real)
    if shift < 0:
        raise ValueError(f"softmax beta*scale {beta * input_scale} too small")
    return multiplier, shift, -input_radius(scaled_diff_integer_bits, shift)


def q4_input_params(input_scale: float) -> tuple[int, int, int]:
    """(multiplier, left_shift, radius) that rescale int8 LOGISTIC/TANH inputs to Q4.27."""
    integer_bits = 4
    q, shift = math.frexp(input_scale * (1 << (31 - integer_bits)))
    return round_half_away(q * (1 << 31)), shift, input_radius(integer_bits, shift)
