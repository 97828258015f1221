import numpy as np
import pytest

from tinyml.errors import TinymlError
from tinyml.tflite import testing
from tinyml.tflite.model import read_model


@pytest.fixture(scope="module")
def cnn_bytes():
    return testing.small_cnn()


def test_small_cnn_ops_and_io(cnn_bytes):
    m = read_model(cnn_bytes)
    assert m.opcodes == ["CONV_2D", "DEPTHWISE_CONV_2D", "MAX_POOL_2D", "AVERAGE_POOL_2D",
                         "RESHAPE", "FULLY_CONNECTED", "SOFTMAX"]
    (inp,), (out,) = m.input_tensors(), m.output_tensors()
    assert inp.shape == (1, 8, 8, 1) and inp.dtype == "int8" and not inp.is_constant
    assert out.shape == (1, 10) and out.dtype == "int8"
    # TFLite's int8 softmax output is fixed at scale 1/256, zero point -128.
    assert out.quantization.scales == (1 / 256,) and out.quantization.zero_points == (-128,)


def test_conv_options_and_per_channel_weights(cnn_bytes):
    m = read_model(cnn_bytes)
    conv = m.operators[0]
    assert conv.options["padding"] == "SAME"
    assert conv.options["fused_activation_function"] == "RELU"
    assert (conv.options["stride_w"], conv.options["stride_h"]) == (1, 1)
    weights = m.tensors[conv.inputs[1]]
    assert weights.shape == (8, 3, 3, 1) and weights.dtype == "int8"
    assert len(weights.quantization.scales) == 8 and weights.quantization.quantized_dimension == 0
    bias = m.tensors[conv.inputs[2]]
    assert bias.dtype == "int32" and bias.array().shape == (8,)
    dw = m.operators[1]
    assert dw.options["padding"] == "VALID" and dw.options["fused_activation_function"] == "RELU6"


def test_buffer_offsets_point_into_the_file(cnn_bytes):
    m = read_model(cnn_bytes)
    constants = [t for t in m.tensors if t.is_constant]
    assert constants
    for t in constants:
        assert cnn_bytes[t.buffer_offset:t.buffer_offset + len(t.buffer)] == t.buffer
        assert len(t.buffer) == t.nbytes


def test_activations_have_no_buffer(cnn_bytes):
    m = read_model(cnn_bytes)
    produced = {o for op in m.operators for o in op.outputs}
    assert all(not m.tensors[i].is_constant for i in produced)


@pytest.mark.parametrize("path", testing.shared_models(), ids=lambda p: p.name)
def test_shared_models_parse(path):
    data = path.read_bytes()
    m = read_model(data, source=str(path))
    assert m.operators and m.inputs and m.outputs
    for op in m.operators:
        assert all(-1 <= i < len(m.tensors) for i in op.inputs + op.outputs)
    for t in m.tensors:
        if t.is_constant:
            assert data[t.buffer_offset:t.buffer_offset + len(t.buffer)] == t.buffer


def test_shared_models_present_or_skip():
    if not testing.shared_models():
        pytest.skip("../shared/models absent")
    names = {p.name for p in testing.shared_models()}
    assert "micro_speech_quantized.tflite" in names
    m = read_model((testing.SHARED_MODELS_DIR / "micro_speech_quantized.tflite").read_bytes())
    dw = next(op for op in m.operators if op.opcode == "DEPTHWISE_CONV_2D")
    assert dw.options["depth_multiplier"] == 8
    assert m.tensors[dw.inputs[1]].quantization.quantized_dimension == 3


def test_not_a_tflite_file():
    with pytest.raises(TinymlError, match="model.bin is not a TFLite flatbuffer"):
        read_model(b"\x00" * 64, source="model.bin")


def test_truncated_file(cnn_bytes):
    with pytest.raises(TinymlError, match="could not be parsed"):
        read_model(cnn_bytes[: len(cnn_bytes) // 3], source="cut.tflite")


def test_tensor_array_roundtrip(cnn_bytes):
    m = read_model(cnn_bytes)
    w = m.tensors[m.operators[0].inputs[1]].array()
    assert w.dtype == np.int8 and np.abs(w).max() == 127  # symmetric per-channel int8
