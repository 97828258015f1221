import pytest

from tinyml.converter.int8_check import int8_problems, require_int8
from tinyml.errors import TinymlError
from tinyml.tflite import testing
from tinyml.tflite.model import read_model


def _dense():
    import tensorflow as tf

    tf.keras.utils.set_random_seed(0)
    return tf.keras.Sequential([tf.keras.Input((16,)), tf.keras.layers.Dense(4, name="head")])


def test_full_int8_model_has_no_problems():
    assert int8_problems(read_model(testing.small_cnn())) == []


def test_float_model_is_refused():
    import tensorflow as tf

    model = read_model(tf.lite.TFLiteConverter.from_keras_model(_dense()).convert())
    problems = int8_problems(model)
    assert any(p.startswith("input") and "float32" in p for p in problems)
    with pytest.raises(TinymlError, match="not a full-int8 model, which cortex-m3 requires"):
        require_int8(model, "model.tflite", "cortex-m3")


def test_dynamic_range_model_is_refused():
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(_dense())
    converter.optimizations = [tf.lite.Optimize.DEFAULT]  # int8 weights, float activations
    problems = int8_problems(read_model(converter.convert()))
    assert any("input" in p and "float32" in p for p in problems)
    assert any("output" in p for p in problems)
