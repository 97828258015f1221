import numpy as np

from tinyml.converter.int8_runner import ReferenceInterpreter
from tinyml.tflite.quantization import dequantize_values, quantize_values
from tinyml.converter.tflm_check import check_tflm, first_divergence, tflm_outputs
from tinyml.tflite import testing
from tinyml.tflite.model import Quantization, read_model


def _inputs(model, n=64, seed=0):
    shape = model.input_tensors()[0].shape
    return np.random.default_rng(seed).integers(-128, 128, size=(n, *shape), dtype=np.int8)


def test_tflm_equals_tflite_reference_kernels_on_a_cnn():
    tflite = testing.small_cnn()
    model = read_model(tflite)
    x = _inputs(model)
    ref = ReferenceInterpreter(tflite).run(x)
    micro = tflm_outputs(tflite, model, x)
    assert micro.shape == ref.shape == (64, 1, 10)
    check = check_tflm(tflite, model, x, ref, micro)
    assert check.equal and check.max_abs_diff == 0 and check.divergence is None
    assert first_divergence(tflite, model, x[0]) is None


def test_a_difference_is_reported_with_its_size():
    tflite = testing.small_cnn()
    model = read_model(tflite)
    x = _inputs(model, n=8)
    ref = ReferenceInterpreter(tflite).run(x)
    wrong = ref.copy()
    wrong[3, 0, 2] = wrong[3, 0, 2] + (1 if wrong[3, 0, 2] < 127 else -1)
    check = check_tflm(tflite, model, x, wrong, tflm_outputs(tflite, model, x))
    assert not check.equal and check.mismatched_examples == 1 and check.max_abs_diff == 1
    # The interpreters themselves agree op by op, so no op is blamed.
    assert check.divergence is None
    assert "differ from TFLite's on 1 of 8" in check.message()


def test_quantize_rounds_half_away_from_zero_and_clamps():
    q = Quantization((0.5,), (-1,))
    assert quantize_values(np.array([0.25, -0.25, 0.75, 1000.0, -1000.0]), q).tolist() == [0, -2, 1, 127, -128]
    assert dequantize_values(np.array([-1, 1], np.int8), q).tolist() == [0.0, 1.0]
