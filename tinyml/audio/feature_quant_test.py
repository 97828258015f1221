"""The device's feature quantization against the host's, for every uint16 feature value.

The C function (firmware/frontend/src/tml_feature_quant.c) is compiled with the
host's gcc and fed all 65,536 values; each int8 must equal the converter's
quantize_values (float64 division, round half away from zero, clamp). Where
float32 division (TFLite's QUANTIZE op) would round the other way, the device
follows the converter's float64, as the converter's vectors do.
"""
import subprocess

import numpy as np
import pytest

from tinyml.audio import feature_quant, host
from tinyml.firmware.host import CFLAGS
from tinyml.tflite.model import Quantization
from tinyml.tflite.quantization import quantize_values

QUANT_HOST = host.FRONTEND_DIR / "host" / "feature_quant_host.c"
# (scale, zero point): a KWS model's (features 0..~700), micro_speech's, a scale below 1 (several int8
# steps per feature step), one whose staircase saturates at once, one that never reaches 127.
CASES = [(2.4196078777313232, -128), (0.10196078568696976, -128), (0.37, 5), (1e-4, 0), (300.0, -100),
         (25.6, 127)]


def _c_quantize(q: Quantization, tmp_path) -> np.ndarray:
    table = feature_quant.write_sources(feature_quant.feature_quantization(q), tmp_path)
    exe = tmp_path / "feature_quant_host"
    subprocess.run(["gcc", *CFLAGS, f"-I{host.INCLUDE_DIR}", f"-I{tmp_path}", "-o", str(exe), str(QUANT_HOST),
                    str(host.FRONTEND_DIR / "src" / "tml_feature_quant.c"), str(table)], check=True)
    out = subprocess.run([str(exe)], input=feature_quant.ALL_FEATURES.tobytes(), capture_output=True, check=True)
    return np.frombuffer(out.stdout, np.int8)


@pytest.mark.parametrize("scale,zero_point", CASES)
def test_every_uint16_feature_quantizes_as_on_the_host(scale, zero_point, tmp_path):
    q = Quantization((scale,), (zero_point,))
    expected = quantize_values(feature_quant.ALL_FEATURES.astype(np.float32), q)
    device = _c_quantize(q, tmp_path)
    assert len(device) == 1 << 16
    np.testing.assert_array_equal(device, expected)
    np.testing.assert_array_equal(feature_quant.feature_quantization(q).apply(feature_quant.ALL_FEATURES), expected)
    assert {int(expected.min()), int(expected.max())} <= set(range(-128, 128))


def test_float64_not_float32_where_they_differ(tmp_path):
    # TFLite's QUANTIZE op divides in float32. With micro_speech's input scale, feature 13 is
    # 127.4999983 scales in float64 but exactly 127.5 in float32, so the two round apart. The
    # converter quantizes in float64 (its test inputs and audio_vectors.npz), and so does the device.
    q = Quantization((0.10196078568696976,), (-128,))
    ratio32 = np.float32(13) / np.float32(q.scales[0])
    assert ratio32 == np.float32(127.5) and 13 / q.scales[0] < 127.5
    assert _c_quantize(q, tmp_path)[13] == quantize_values(np.array([13.0]), q)[0] == -1


def test_a_table_with_a_wrong_step_is_caught(tmp_path):
    q = Quantization((2.4196078777313232,), (-128,))
    fq = feature_quant.feature_quantization(q)
    shifted = feature_quant.FeatureQuantization(fq.base, fq.thresholds.copy())
    shifted.thresholds[100] += 1
    assert (shifted.apply(feature_quant.ALL_FEATURES) != quantize_values(feature_quant.ALL_FEATURES, q)).sum() == 1


@pytest.mark.parametrize("scale,zero_point", CASES)
def test_the_first_guess_is_at_most_one_step_off(scale, zero_point):
    # Speed, not correctness: the compares fix any guess, each step off costs one more.
    fq = feature_quant.feature_quantization(Quantization((scale,), (zero_point,)))
    u = feature_quant.ALL_FEATURES.astype(np.int64)
    guess = np.clip((u * fq.guess_mult + fq.guess_offset) >> 16, 0, len(fq.thresholds))
    steps = np.searchsorted(fq.thresholds, feature_quant.ALL_FEATURES, side="right")
    assert np.abs(guess - steps).max() <= 1
