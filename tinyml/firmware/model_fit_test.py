import re

import pytest

from tinyml.errors import TinymlError
from tinyml.firmware import fixture_model
from tinyml.firmware.codegen import generate_sources
from tinyml.firmware.target_build import build_target
from tinyml.profiles import get_profile
from tinyml.tflite import testing
from tinyml.tflite.model import read_model


def _model(input_shape, calibration_shape, layers):
    import tensorflow as tf

    tf.keras.utils.set_random_seed(0)
    x = tf.keras.layers.Input(input_shape, batch_size=1, name="frames")
    y = x
    for layer in layers:
        y = layer(y)
    return testing.convert_int8(tf.keras.Model(x, y), calibration_shape, samples=4)


def test_a_variable_length_input_is_refused_before_the_op_check(tmp_path):
    import tensorflow as tf

    tflite = _model((None, 4), (5, 4), [tf.keras.layers.Dense(3)])
    model = read_model(tflite)
    inp = model.input_tensors()[0]
    assert inp.shape_signature == (1, -1, 4) and inp.shape == (1, 1, 4)  # the converter's placeholder
    with pytest.raises(TinymlError, match=r"input tensor '.*frames.*' has a variable-length dimension "
                                          r"\(shape \[1, -1, 4\], dimension 1 is -1\)") as e:
        generate_sources(tflite, tmp_path / "gen", source="speech.tflite")
    assert str(e.value).startswith("speech.tflite: ") and "Input((49, 40), batch_size=1)" in e.value.fix
    assert not (tmp_path / "gen").exists()


def test_a_variable_batch_runs_as_batch_1(tmp_path):
    tflite = testing.small_cnn()  # a Sequential model: its batch is left variable
    assert read_model(tflite).input_tensors()[0].shape_signature == (-1, 8, 8, 1)
    assert generate_sources(tflite, tmp_path).input.shape == (1, 8, 8, 1)


def test_a_fixed_shape_model_passes(tmp_path):
    import tensorflow as tf

    tflite = _model((6, 4), (6, 4), [tf.keras.layers.Dense(3)])
    assert read_model(tflite).input_tensors()[0].shape_signature is None  # the converter omits a static one
    assert generate_sources(tflite, tmp_path).input.shape == (1, 6, 4)


def test_tensors_larger_than_the_targets_ram_are_refused_before_anything_is_compiled(tmp_path):
    import tensorflow as tf

    fixture_model.skip_without_tools(emulator=False)
    # 64 * 64 * 8 int8 = 32768 bytes of conv output, alone more than the cortex-m3's 20480 bytes of RAM.
    tflite = _model((64, 64, 1), (64, 64, 1), [tf.keras.layers.Conv2D(8, 3, padding="same", name="wide_conv"),
                                               tf.keras.layers.MaxPooling2D(4)])
    profile = get_profile("cortex-m3")
    with pytest.raises(TinymlError) as e:
        build_target(tflite, profile, tmp_path / "out", vectors=None, work_dir=tmp_path / "work", source="big.tflite")
    text = str(e.value)
    assert text.startswith("big.tflite: its tensor arena needs ")
    assert "more than the 18432 bytes of RAM 'cortex-m3' leaves beside its 2048-byte stack" in text
    assert re.search(r"the largest tensor, '[^']*wide_conv[^']*' \[1, 64, 64, 8\] int8, alone takes 32768\b", text), text
    assert "more RAM than 20480 bytes" in e.value.fix
    assert not (tmp_path / "out").exists() and not (tmp_path / "work" / "obj").exists()
    # The same model fits the cortex-m4f's 128 KiB: it is the target that is too small.
    assert generate_sources(tflite, tmp_path / "gen").arena_bytes < 131072 - 4096
