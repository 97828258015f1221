"""Requantization constants, computed on the host exactly as TFLite computes them.

Each kernel gets the (multiplier, shift) pairs TFLite's Prepare step would
compute, so the integer arithmetic matches TFLM bit for bit; the device does no
float arithmetic (a conv's per-channel pairs may be recomputed there from the
float32 scales' bits, multipliers_from_scales, where that gives TFLite's). float32 steps stay float32 (numpy) where TFLite uses float.
"""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

INT8_MIN, INT8_MAX = -128, 127
INT16_MIN, INT16_MAX = -32768, 32767


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


def wide_requant(multiplier: int, shift: int) -> tuple[int, int]:
    """TFLite's MultiplyByQuantizedMultiplier for an int64 accumulator (the 16x8 CONV_2D,
    DEPTHWISE_CONV_2D and FULLY_CONNECTED) as (Q15 multiplier, right shift): it rounds the Q31
    multiplier to Q15 and shifts the 64-bit product right by 15 - shift, rounding half up."""
    if not -31 <= shift < 8:
        raise ValueError(f"requantization shift {shift} is outside TFLite's [-31, 8) for int64 accumulators")
    return downscale_to_q15(multiplier), 15 - shift


def fully_connected_multiplier(input_scale: float, filter_scale: float, output_scale: float):
    # TFLite forms the input*filter product in float32 before widening to double.
    product = float(np.float32(input_scale) * np.float32(filter_scale))
    return quantize_multiplier(product / output_scale)


def activation_range(activation: str, scale: float, zero_point: int, lo: int = INT8_MIN,
                     hi: int = INT8_MAX) -> tuple[int, int]:
    """TFLite's CalculateActivationRangeQuantized for outputs of the type [lo, hi] (int8 by default)."""
    def q(value: float) -> int:
        return zero_point + round_half_away(float(np.float32(value) / np.float32(scale)))

    if activation == "NONE":
        return lo, hi
    if activation == "RELU":
        return max(lo, q(0.0)), hi
    if activation == "RELU6":
        return max(lo, q(0.0)), min(hi, q(6.0))
    if activation == "RELU_N1_TO_1":
        return max(lo, q(-1.0)), min(hi, q(1.0))
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


# ---- Integer helpers for tables the host computes ahead of time (RSQRT) ----

INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1


def _wrap32(x: int) -> int:
    """x as a two's complement int32 (what C's int32 arithmetic leaves)."""
    return (x + (1 << 31)) % (1 << 32) - (1 << 31)


def _div_toward_zero(n: int, d: int) -> int:
    q = abs(n) // abs(d)
    return q if (n >= 0) == (d > 0) else -q


def rounding_doubling_high_mul(a: int, b: int) -> int:
    """gemmlowp's SaturatingRoundingDoublingHighMul on int32."""
    if a == b == INT32_MIN:
        return INT32_MAX
    ab = a * b
    return _div_toward_zero(ab + ((1 << 30) if ab >= 0 else 1 - (1 << 30)), 1 << 31)


def rounding_divide_by_pot(x: int, exponent: int) -> int:
    mask = (1 << exponent) - 1
    return (x >> exponent) + int((x & mask) > (mask >> 1) + int(x < 0))


def saturating_shift_left(x: int, exponent: int) -> int:
    """gemmlowp's SaturatingRoundingMultiplyByPOT for exponent >= 0."""
    threshold = (1 << (31 - exponent)) - 1
    return INT32_MAX if x > threshold else INT32_MIN if x < -threshold else _wrap32(x << exponent)


def multiply_by_quantized_multiplier(x: int, multiplier: int, shift: int) -> int:
    """TFLite's MultiplyByQuantizedMultiplier (shift > 0 shifts left), as tml_fixedpoint.h has it."""
    left, right = max(shift, 0), max(-shift, 0)
    return rounding_divide_by_pot(rounding_doubling_high_mul(_wrap32(x << left), multiplier), right)


def inv_sqrt_multiplier_exp(value: int) -> tuple[int, int]:
    """TFLite's GetInvSqrtQuantizedMultiplierExp(value, reverse_shift=-1): 1/sqrt(value) as
    (multiplier, shift), by five Newton-Raphson steps in Q3.28 from a first guess of 1."""
    if value <= 1:
        return INT32_MAX, 0
    shift = 11
    while value >= 1 << 29:
        value //= 4
        shift += 1
    pairs = (31 - value.bit_length()) // 2 - 1  # (leading zeros - 1) in bit pairs, less one: 2^27 <= value < 2^29
    shift -= pairs
    value <<= 2 * pairs
    half_input = rounding_divide_by_pot(value >> 1, 1)
    half_three = (1 << 28) + (1 << 27)
    x = 1 << 28  # 1.0 with 3 integer bits
    for _ in range(5):
        x3 = saturating_shift_left(rounding_doubling_high_mul(rounding_doubling_high_mul(x, x), x), 6)
        x = saturating_shift_left(_wrap32(rounding_doubling_high_mul(half_three, x)
                                          - rounding_doubling_high_mul(half_input, x3)), 3)
    x = rounding_doubling_high_mul(x, 1518500250)  # times sqrt(2) / 2 in Q0.31
    if shift < 0:
        x, shift = _wrap32(x << -shift), 0
    return x, -shift


def rsqrt_table(input_scale: float, input_zero_point: int, output_scale: float, output_zero_point: int) -> list[int]:
    """The int8 RSQRT output for each input -128..127, as TFLM computes it per element; inputs
    below the zero point (negative values, which TFLM refuses at run time) map to 127 like zero."""
    # TFLM takes the square root of the float32 scale in float32.
    multiplier, shift = quantize_multiplier(1.0 / float(np.sqrt(np.float32(input_scale)) * np.float32(output_scale)))
    kshift = 20  # TFLM's headroom that keeps the inverse square root an integer
    table = []
    for q in range(INT8_MIN, INT8_MAX + 1):
        value = q - input_zero_point
        if value <= 0:
            table.append(INT8_MAX)
            continue
        inv, inv_shift = inv_sqrt_multiplier_exp(value)
        data = multiply_by_quantized_multiplier(1, inv, inv_shift + kshift)
        out = multiply_by_quantized_multiplier(data, multiplier, shift - kshift) + output_zero_point
        table.append(min(max(out, INT8_MIN), INT8_MAX))
    return table


def downscale_to_q15(multiplier: int) -> int:
    """TFLite's DownScaleInt32ToInt16Multiplier: a Q31 multiplier rounded to Q15."""
    if multiplier >= INT32_MAX - (1 << 15):
        return (1 << 15) - 1
    return (multiplier + (1 << 15)) >> 16


def int16_lut(func, input_min: float, input_max: float) -> list[int]:
    """TFLite's gen_lut<float, int16_t, int16_t> for outputs in [-1, 1]: `func` at 512 steps
    of [input_min, input_max] plus the end point, scaled to int16, each value nudged by half
    the error linear interpolation would make at the step's midpoint. All in float32 as there."""
    f32 = np.float32
    lo, hi = f32(input_min), f32(input_max)
    steps = 512
    step = (hi - lo) / f32(steps)
    half_step = step / f32(2)
    scale = f32(65536) / (f32(1) - f32(-1))

    def rnd(x) -> float:
        return float(round_half_away(float(x)))

    def clamp(x: float) -> int:
        return int(min(max(x, INT16_MIN), INT16_MAX))

    table = []
    for i in range(steps):
        x = lo + f32(i) * step
        val, mid, nxt = func(x), func(x + half_step), func(lo + f32(i + 1) * step)
        sample = rnd(val * scale)
        interpolated = rnd((nxt * scale + f32(sample)) / f32(2))
        err = f32(interpolated - rnd(mid * scale))
        table.append(clamp(sample - rnd(err / f32(2))))
    table.append(clamp(rnd(func(hi) * scale)))
    return table


def exp_f32(x):
    """expf(x) as a correctly rounded float32 (the C library's expf rounds to nearest)."""
    return np.float32(np.exp(np.float64(x)))


def softmax_int16_tables() -> tuple[list[int], list[int]]:
    """The exp table on [-10, 0] and the 1 / (1 + x) table on [0, 1] of TFLM's int16 SOFTMAX."""
    return (int16_lut(exp_f32, -10.0, 0.0),
            int16_lut(lambda x: np.float32(1) / (np.float32(1) + x), 0.0, 1.0))

def float32_bits(x: float) -> int:
    return int(np.array(x, dtype=np.float32).view(np.uint32))


def scale_ratio_constant(ratio: Fraction) -> tuple[int, int]:
    """(k, shift_base) for multipliers_from_scales: k = ratio (the effective scale over the filter
    scale, usually input_scale / output_scale) in [2^63, 2^64), rounded, and the shift's part
    that does not depend on the filter scale."""
    e = 64 - (ratio.numerator.bit_length() - ratio.denominator.bit_length())  # ratio * 2^e in [2^63, 2^65)
    while round(ratio * Fraction(2) ** e) >= 1 << 64:
        e -= 1
    k = round(ratio * Fraction(2) ** e)
    # M * 2^(shift - 31) = mantissa * 2^(exponent - 150) * k * 2^-e, M = P / 2^24 with P = mantissa * k / 2^32.
    return k, -63 - e


def multipliers_from_scales(scale_bits: list[int], k: int, shift_base: int) -> tuple[list[int], list[int]]:
    """Exactly what tml_compute_multipliers (firmware/runtime/src/multipliers.c) computes on the device
    from the filter's float32 scales (as bits): per channel the multiplier and shift, which are
    TFLite's (conv_multipliers) whenever the code generator chose it (it compares all of them)."""
    mults, shifts = [], []
    k_hi, k_lo = k >> 32, k & 0xFFFFFFFF
    for bits in scale_bits:
        m = (bits & 0x7FFFFF) | 0x800000
        p = m * k_hi + ((m * k_lo) >> 32)
        top = p >> 55
        p <<= 1 - top
        mult = (p + (1 << 24)) >> 25
        shift = (bits >> 23) + shift_base + top
        if mult == 1 << 31:
            mult, shift = 1 << 30, shift + 1
        mults.append(mult)
        shifts.append(shift)
    return mults, shifts
