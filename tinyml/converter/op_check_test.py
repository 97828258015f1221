import numpy as np
import pytest

from tinyml.converter import float_model, testing
from tinyml.converter.op_check import layer_names, require_supported, unsupported_ops
from tinyml.converter.quantize import quantize
from tinyml.errors import TinymlError
from tinyml.tflite.model import read_model


def test_layer_names_from_fused_tensor_names():
    assert layer_names("model/conv2d/Relu;model/conv2d/BiasAdd;model/conv2d/Conv2D") == ["model/conv2d"]
    assert layer_names("tfl.unidirectional_sequence_lstm") == []


def test_lstm_is_refused_naming_the_op_and_its_tensors(tmp_path):
    fm = float_model.from_keras(testing.lstm_keras_file(tmp_path))
    rep = np.random.default_rng(0).random((16, 8, 4), dtype=np.float32)
    model = read_model(quantize(fm, rep, "random"))
    missing = {op.opcode: op for op in unsupported_ops(model)}
    assert "UNIDIRECTIONAL_SEQUENCE_LSTM" in missing
    with pytest.raises(TinymlError) as e:
        require_supported(model, "lstm.tflite")
    msg = str(e.value)
    assert "UNIDIRECTIONAL_SEQUENCE_LSTM (op 0; tensors 'tfl.unidirectional_sequence_lstm')" in msg
    assert "FULLY_CONNECTED" in e.value.fix and "supported_ops.txt" in e.value.fix
