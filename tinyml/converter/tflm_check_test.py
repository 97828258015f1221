import numpy as np
import pytest

from tinyml.converter.int8_runner import ReferenceInterpreter
from tinyml.tflite.quantization import dequantize_values, quantize_values
from tinyml.converter.tflm_check import check_tflm, first_divergence
from tinyml.firmware.target_build import random_inputs, tflm_run
from tinyml.tflite import testing
from tinyml.tflite.model import Quantization, read_model


def test_tflm_equals_tflite_reference_kernels_on_a_cnn():
    tflite = testing.small_cnn()
    model = read_model(tflite)
    x = random_inputs(tflite, 64)
    ref = ReferenceInterpreter(tflite).run(x)
    micro = tflm_run(tflite, x)
    assert len(ref) == 1 and micro[0].shape == ref[0].shape == (64, 1, 10)
    check = check_tflm(tflite, model, x, ref, micro)
    assert check.equal and check.max_abs_diff == 0 and check.divergence is None
    assert first_divergence(tflite, model, [x[0][0]]) is None


def test_a_difference_is_reported_with_its_size():
    tflite = testing.small_cnn()
    model = read_model(tflite)
    x = random_inputs(tflite, 8)
    ref = ReferenceInterpreter(tflite).run(x)
    wrong = ref[0].copy()
    wrong[3, 0, 2] = wrong[3, 0, 2] + (1 if wrong[3, 0, 2] < 127 else -1)
    check = check_tflm(tflite, model, x, [wrong], tflm_run(tflite, x))
    assert not check.equal and check.mismatched_examples == 1 and check.max_abs_diff == 1
    # The interpreters themselves agree op by op, so no op is blamed.
    assert check.divergence is None
    assert "differ from TFLite's on 1 of 8" in check.message()


@pytest.fixture(scope="module")
def two_in_two_out():
    tflite = testing.two_in_two_out()
    return tflite, read_model(tflite), random_inputs(tflite, 16, seed=2)


def test_every_input_is_fed_and_every_output_compared(two_in_two_out):
    tflite, model, x = two_in_two_out
    ref = ReferenceInterpreter(tflite).run(x)
    assert [r.shape for r in ref] == [(16, *t.shape) for t in model.output_tensors()]
    micro = tflm_run(tflite, x)
    check = check_tflm(tflite, model, x, ref, micro)
    assert check.equal and check.examples == 16
    # Each input reaches the outputs: changing either one changes them.
    for k in range(2):
        other = [a.copy() for a in x]
        other[k] = (other[k].astype(np.int16) + 64).clip(-128, 127).astype(np.int8)
        assert any(not np.array_equal(a, b) for a, b in zip(ReferenceInterpreter(tflite).run(other), ref))
    assert first_divergence(tflite, model, [a[5] for a in x]) is None
    # A difference in the second output only is one mismatched example.
    wrong = [r.copy() for r in ref]
    wrong[1][5] = np.where(wrong[1][5] < 0, wrong[1][5] + 2, wrong[1][5] - 2)
    check = check_tflm(tflite, model, x, wrong, micro)
    assert check.mismatched_examples == 1 and check.max_abs_diff == 2


def test_quantize_rounds_half_away_from_zero_and_clamps():
    q = Quantization((0.5,), (-1,))
    assert quantize_values(np.array([0.25, -0.25, 0.75, 1000.0, -1000.0]), q).tolist() == [0, -2, 1, 127, -128]
    assert dequantize_values(np.array([-1, 1], np.int8), q).tolist() == [0.0, 1.0]
