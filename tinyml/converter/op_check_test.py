import numpy as np
import pytest

from tinyml.converter import float_model, testing
from tinyml.converter.int8_check import int8_problems
from tinyml.converter.op_check import describe, layer_names, require_supported, unsupported_ops
from tinyml.converter.quantize import quantize
from tinyml.errors import TinymlError
from tinyml.tflite import testing as tflite_testing
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
    assert "UNIDIRECTIONAL_SEQUENCE_LSTM (op 0; tensors 'tfl.unidirectional_sequence_lstm'; " in msg
    assert "): no recurrent layers on device: use a Conv1D/Conv2D or SVDF head" in msg
    assert "FULLY_CONNECTED" in e.value.fix and "supported_ops.txt" in e.value.fix


@pytest.fixture(scope="module")
def two_unsupported(tmp_path_factory):
    """A full-int8 model with a DEPTH_TO_SPACE (layer 'upsample') and an ARG_MAX (layer 'pick')."""
    import tensorflow as tf

    from tinyml.tflite import testing as tflite_testing

    tf.keras.utils.set_random_seed(0)
    x = tf.keras.layers.Input((4, 4, 8), batch_size=1)
    y = tf.keras.layers.Lambda(lambda t: tf.nn.depth_to_space(t, 2), name="upsample")(x)
    y = tf.keras.layers.Dense(5, name="scores")(tf.keras.layers.Flatten()(y))
    y = tf.keras.layers.Lambda(lambda t: tf.math.argmax(t, axis=-1), name="pick")(y)
    return tflite_testing.convert_int8(tf.keras.Model(x, y), (4, 4, 8))


def test_every_unsupported_op_is_listed_with_its_layer_types_and_fix(two_unsupported):
    missing = unsupported_ops(read_model(two_unsupported))
    assert [m.opcode for m in missing] == ["DEPTH_TO_SPACE", "ARG_MAX"]
    to_space, argmax = missing
    assert any("upsample" in t for t in to_space.tensors) and to_space.dtypes == "int8 -> int8"
    assert "replace the layer" in to_space.fix
    assert argmax.dtypes.startswith("int8 -> int"), (argmax, to_space)
    assert "arg max on the host" in argmax.fix
    with pytest.raises(TinymlError) as e:
        require_supported(read_model(two_unsupported), "seg.tflite")
    msg = str(e.value)
    assert "seg.tflite uses 2 op(s)" in msg
    for m in missing:  # the converter's error gives the same list: op index, tensors, types and fix per op
        assert f"{m.opcode} (op {m.op_indices[0]}; " in msg and m.fix in msg and m.dtypes in msg


def test_type_fixes_name_the_converter_setting():
    from tinyml.converter.op_check import _fix

    assert "full int8 quantization" in _fix("EXP", "float32 -> float32")
    assert "int8 activations" in _fix("EXP", "int16 -> int16")
    assert "recurrent" in _fix("UNIDIRECTIONAL_SEQUENCE_LSTM", "float32 -> float32")
    assert "replace the layer" in _fix("EXP", "int8 -> int8")


def _16x8_model(with_pool: bool) -> bytes:
    """Conv, depthwise, add, dense and softmax in TFLite's 16x8 mode; a max pool (no 16x8
    kernel) after the conv when asked."""
    import tensorflow as tf

    tf.keras.utils.set_random_seed(0)
    layers = tf.keras.layers
    x = layers.Input((6, 6, 2), batch_size=1)
    y = layers.Conv2D(4, 3, padding="same", name="features")(x)
    if with_pool:
        y = layers.MaxPooling2D(2, name="pool")(y)
    y = layers.Add()([y, layers.DepthwiseConv2D(3, padding="same")(y)])
    y = layers.Dense(5, activation="softmax")(layers.Flatten()(y))
    return tflite_testing.convert_16x8(tf.keras.Model(x, y), (6, 6, 2))


def test_a_16x8_model_of_the_ops_with_16x8_kernels_passes_both_checks():
    model = read_model(_16x8_model(with_pool=False))
    assert {"CONV_2D", "DEPTHWISE_CONV_2D", "ADD", "FULLY_CONNECTED", "SOFTMAX"} <= {op.opcode for op in model.operators}
    assert {model.tensors[op.outputs[0]].dtype for op in model.operators} == {"int16"}
    assert int8_problems(model) == [] and unsupported_ops(model) == []


def test_an_op_without_a_16x8_kernel_is_refused_naming_its_types():
    model = read_model(_16x8_model(with_pool=True))
    missing = unsupported_ops(model)
    assert [m.opcode for m in missing] == ["MAX_POOL_2D"]
    message = describe(missing[0])
    assert message.startswith("MAX_POOL_2D (op 1; ") and "int16 -> int16" in message
    assert "CONV_2D" in missing[0].fix and "TFLITE_BUILTINS_INT8" in missing[0].fix
