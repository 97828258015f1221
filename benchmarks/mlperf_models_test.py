import numpy as np
import pytest

from benchmarks import mlperf_models
from tinyml.tflite.model import read_model


@pytest.fixture(scope="module")
def keras():
    import tf_keras

    return tf_keras


@pytest.mark.parametrize("name, input_shape, outputs, weights", [
    ("kws_ds_cnn", (49, 10, 1), 12, 22_604),  # batch norm left out (see mlperf_models.py)
    ("resnet8", (32, 32, 3), 10, 77_706),
    ("mobilenet_v1_vww", (96, 96, 3), 2, 210_850),
    ("person_detect", (96, 96, 1), 2, 210_706),
    ("fc_autoencoder", (640,), 640, 265_864),
])
def test_architectures_have_the_reference_shapes(keras, name, input_shape, outputs, weights):
    model = mlperf_models.ARCHITECTURES[name](keras)
    assert model.input_shape[1:] == input_shape
    assert model.output_shape[-1] == outputs
    assert model.count_params() == weights


def test_fixture_is_built_once_full_int8_and_supported(tmp_path, monkeypatch):
    monkeypatch.setenv("TINYML_MLPERF_CACHE", str(tmp_path))
    tflite = mlperf_models.fixture("kws_ds_cnn")
    cached = list(tmp_path.glob("kws_ds_cnn-*.tflite"))
    assert len(cached) == 1 and cached[0].read_bytes() == tflite
    model = read_model(tflite)
    assert [t.dtype for t in model.input_tensors()] == ["int8"]
    assert list(model.input_tensors()[0].shape) == [1, 49, 10, 1]
    assert {op.opcode for op in model.operators} == {"CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D",
                                                     "FULLY_CONNECTED", "SOFTMAX"}
    assert mlperf_models.unsupported_ops(tflite) == []
    cached[0].write_bytes(b"marker")  # a second call reads the cache, not the converter
    assert mlperf_models.fixture("kws_ds_cnn") == b"marker"


@pytest.mark.slow
def test_conversion_is_deterministic():
    first, second = mlperf_models.convert("kws_ds_cnn"), mlperf_models.convert("kws_ds_cnn")
    assert np.array_equal(np.frombuffer(first, np.uint8), np.frombuffer(second, np.uint8))


def test_unknown_fixture_is_refused():
    with pytest.raises(KeyError, match="no MLPerf fixture 'lenet'"):
        mlperf_models.fixture("lenet")
