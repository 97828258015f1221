"""The integer helpers the host uses for tables (RSQRT) and HARD_SWISH's Q15 multipliers;
their bit-exactness with TFLM is proven by elementwise_ops_differential_test.py."""
import math

import numpy as np
import pytest

from tinyml.firmware import fixed_point as qz


def test_rounding_doubling_high_mul_saturates_and_rounds_half_up():
    assert qz.rounding_doubling_high_mul(qz.INT32_MIN, qz.INT32_MIN) == qz.INT32_MAX
    # TFLite's nudge makes it floor(ab / 2^31 + 1/2), as tml_fixedpoint.h says: ties go up.
    assert qz.rounding_doubling_high_mul(1 << 30, 3) == 2  # 1.5
    assert qz.rounding_doubling_high_mul(-(1 << 30), 3) == -1  # -1.5
    assert qz.rounding_doubling_high_mul(-(1 << 30), 5) == -2  # -2.5


def test_multiply_by_quantized_multiplier_left_and_right():
    assert qz.multiply_by_quantized_multiplier(100, 1 << 30, 1) == 100  # 0.5 * 2^1
    assert qz.multiply_by_quantized_multiplier(100, 1 << 30, -2) == 13  # 12.5 rounds away from zero
    assert qz.multiply_by_quantized_multiplier(-100, 1 << 30, -2) == -13


@pytest.mark.parametrize("value", [2, 3, 4, 17, 255, 1 << 20, (1 << 29) + 5, qz.INT32_MAX])
def test_inv_sqrt_multiplier_exp_is_one_over_the_root(value):
    multiplier, shift = qz.inv_sqrt_multiplier_exp(value)
    assert 0 < multiplier <= qz.INT32_MAX
    assert multiplier * 2.0 ** (shift - 31) == pytest.approx(1 / math.sqrt(value), rel=1e-5)


def test_inv_sqrt_of_zero_and_one_is_the_largest_multiplier():
    assert qz.inv_sqrt_multiplier_exp(0) == qz.inv_sqrt_multiplier_exp(1) == (qz.INT32_MAX, 0)


def test_rsqrt_table_follows_the_real_function():
    # Input 0.01 * (q + 128), output scale 0.1: q = -128 is zero (largest output), then 1/sqrt falls.
    table = qz.rsqrt_table(0.01, -128, 0.1, -128)
    assert len(table) == 256 and table[0] == 127
    for q in (-127, -100, 0, 127):
        real = 1 / math.sqrt(0.01 * (q + 128))
        assert table[q + 128] == min(127, round(real / 0.1) - 128)
    assert all(a >= b for a, b in zip(table[1:], table[2:]))


def test_downscale_to_q15():
    assert qz.downscale_to_q15(1 << 30) == 1 << 14
    assert qz.downscale_to_q15((1 << 30) + (1 << 15)) == (1 << 14) + 1  # rounds half up
    assert qz.downscale_to_q15(qz.INT32_MAX) == (1 << 15) - 1


def test_wide_requant_rounds_the_multiplier_to_q15_and_folds_the_shift():
    assert qz.wide_requant(1 << 30, -3) == (1 << 14, 18)
    assert qz.wide_requant(0x7FFF0000, 0) == ((1 << 15) - 1, 15)  # TFLM caps it below 2^15
    with pytest.raises(ValueError, match="outside TFLite's"):
        qz.wide_requant(1 << 30, 8)


def test_int16_softmax_tables_end_at_their_function_values():
    exp_table, reciprocal_table = qz.softmax_int16_tables()
    assert len(exp_table) == len(reciprocal_table) == 513
    assert exp_table[-1] == 32767  # exp(0) = 1, saturated to int16
    assert abs(exp_table[0] - np.exp(-10) * 32768) < 1
    assert reciprocal_table[0] == 32767 and reciprocal_table[-1] == 16384  # 1/(1 + 0), 1/(1 + 1)
    assert all(a <= b for a, b in zip(exp_table, exp_table[1:]))
