import json

import numpy as np
import pytest

from tinyml.config import ConverterConfig
from tinyml.converter import float_model, testing
from tinyml.converter.conversion import EvalData, convert
from tinyml.errors import TinymlError
from tinyml.profiles import get_profile


def test_unsupported_op_fails_after_writing_the_model_and_report(tmp_path):
    net = float_model.from_keras(testing.lstm_keras_file(tmp_path))
    x = np.random.default_rng(0).random((32, 8, 4), dtype=np.float32)
    out = tmp_path / "out"
    with pytest.raises(TinymlError, match="UNIDIRECTIONAL_SEQUENCE_LSTM"):
        convert(net, x, "random", EvalData(x), ConverterConfig(), [get_profile("cortex-m4f")], out)
    report = json.loads((out / "conversion_report.json").read_text())
    assert report["blessed"] is False and "UNIDIRECTIONAL_SEQUENCE_LSTM" in report["reasons"][0]
    assert (out / "model.tflite").stat().st_size > 0  # kept for `tinyml inspect`


def test_labels_outside_the_model_classes_are_refused(tmp_path):
    x, y = testing.digits_like_data(n=64)
    sm = testing.save_transformed_signature(testing.train_cnn(x, y), tmp_path / "sm")
    net = float_model.from_saved_model(sm, testing.SIGNATURE)
    y[5] = 9  # the model has 4 classes
    with pytest.raises(TinymlError, match="label 9 at example 5 is not a class index"):
        convert(net, x, "train", EvalData(x, y), ConverterConfig(), [get_profile("cortex-m4f")], tmp_path / "out")
