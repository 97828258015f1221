import re

import pytest

from tinyml.errors import TinymlError
from tinyml.firmware import fixed_point
from tinyml.firmware.prepare import conv
from tinyml.firmware.codegen import (
    OPTIMIZED_KERNELS_DIR,
    REFERENCE_KERNELS_DIR,
    generate_sources,
    runtime_include_dirs,
    runtime_sources,
)
from tinyml.tflite import testing
from tinyml.tflite.model import read_model
from tinyml.tflite.writer_testing import one_op_model


@pytest.fixture(scope="module")
def cnn():
    return testing.small_cnn()


def test_generated_files_and_header(tmp_path, cnn):
    g = generate_sources(cnn, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model_data.c", "model_data.h", "model_plan.c",
                                                          "model_plan.h"]
    header = (tmp_path / "model_plan.h").read_text()
    assert re.search(r"#define TML_INPUT_BYTES\s+64\b", header)
    assert re.search(r"#define TML_OUTPUT_BYTES\s+10\b", header)
    assert re.search(rf"#define TML_ARENA_BYTES\s+{g.arena_bytes}\b", header)
    assert "int tml_model_invoke(const int8_t *input, int8_t *output);" in header
    assert "int tml_model_run(void);" in header
    # Zero-copy I/O: the tensors are the arena's, at the plan's offsets.
    plan_c = (tmp_path / "model_plan.c").read_text()
    model = read_model(cnn)
    assert f"return tml_arena + {g.plan.offsets[model.inputs[0]]};" in plan_c
    assert f"return tml_arena + {g.plan.offsets[model.outputs[0]]};" in plan_c
    assert g.ops[0] == "CONV_2D" and g.ops[-1] == "SOFTMAX"
    assert g.input.shape == (1, 8, 8, 1) and g.output.shape == (1, 10)
    # One input and one output: the counts and per-index accessors a multi-I/O app uses say so.
    assert "#define TML_INPUT_COUNT 1\n" in header and "#define TML_OUTPUT_SIZES {10}\n" in header
    assert f"offsets[1] = {{{g.plan.offsets[model.outputs[0]]}}};" in plan_c
    assert g.arena_bytes == g.plan.arena_bytes


def test_plan_reads_weights_from_the_model_array(tmp_path, cnn):
    generate_sources(cnn, tmp_path)
    plan = (tmp_path / "model_plan.c").read_text()
    # No weight bytes are copied into the plan: filters are pointers into tml_model_data.
    assert "(const int8_t *)(tml_model_data + " in plan
    assert "(const int32_t *)(tml_model_data + " in plan
    assert "malloc" not in plan and "float" not in plan and "double" not in plan


def test_unsupported_op_is_named(tmp_path):
    with pytest.raises(TinymlError) as e:
        generate_sources(one_op_model("UNIDIRECTIONAL_SEQUENCE_LSTM"), tmp_path, source="lstm.tflite")
    msg = str(e.value)
    assert "lstm.tflite" in msg and "UNIDIRECTIONAL_SEQUENCE_LSTM (op 0)" in msg
    assert "fix:" in msg
    assert not (tmp_path / "model_plan.c").exists()  # nothing half-written


def test_float_model_is_refused(tmp_path):
    import tensorflow as tf

    model = tf.keras.Sequential([tf.keras.layers.Input((4,), batch_size=1), tf.keras.layers.Dense(3)])
    float_tflite = tf.lite.TFLiteConverter.from_keras_model(model).convert()
    with pytest.raises(TinymlError, match="not a full int8 model: its input tensor .* is float32"):
        generate_sources(float_tflite, tmp_path, source="float.tflite")


def test_runtime_sources_exist_one_kernel_per_file():
    sources = runtime_sources()
    names = {p.name for p in sources}
    assert {"conv_2d.c", "depthwise_conv_2d.c", "fully_connected.c", "softmax.c", "fixedpoint.c"} <= names
    assert all(p.exists() for p in sources)
    assert all((d / "tml_kernels.h").exists() for d in runtime_include_dirs())
    assert len(runtime_sources(optimized=True)) == len(sources)


def test_optimized_kernels_take_the_place_of_their_reference_twins():
    reference, optimized = runtime_sources(), runtime_sources(optimized=True)
    assert [p.name for p in optimized] == [p.name for p in reference]
    swapped = {p.name for p in optimized if p.parent == OPTIMIZED_KERNELS_DIR}
    # Every file in src/optimized/ is used: none lacks a reference twin of the same name.
    assert swapped == {p.name for p in OPTIMIZED_KERNELS_DIR.glob("*.c")}
    assert {"conv_2d.c", "depthwise_conv_2d.c", "fully_connected.c"} <= swapped
    for name in swapped:
        function = re.compile(rf"^void tml_{name[:-2]}\(", re.M)
        assert function.search((REFERENCE_KERNELS_DIR / name).read_text()), name
        assert function.search((OPTIMIZED_KERNELS_DIR / name).read_text()), name


def test_conv_2d_variants_defined_by_both_kernels_and_bounds_match_the_c():
    for name in ("tml_conv_2d_direct", "tml_conv_2d_cols4", "tml_conv_2d_one_channel"):
        function = re.compile(rf"^void {name}\(", re.M)
        assert function.search((REFERENCE_KERNELS_DIR / "conv_2d.c").read_text()), name
        optimized = (OPTIMIZED_KERNELS_DIR / "conv_2d.c").read_text()
        optimized += (OPTIMIZED_KERNELS_DIR / "conv_2d_one_channel.h").read_text()
        assert function.search(optimized), name
    # The host's selection keeps each variant within the C's fixed stack buffers.
    defines = "".join(p.read_text() for p in (OPTIMIZED_KERNELS_DIR.glob("*.h")))
    for macro, value in (("TML_COL_MAX", conv.COL_MAX), ("TML_BAND_MAX", conv.BAND_MAX),
                         ("TML_BAND_CHANNELS", conv.BAND_CHANNELS)):
        assert re.search(rf"^#define {macro} (\d+)$", defines, re.M).group(1) == str(value), macro


@pytest.mark.parametrize("changes,variant", [
    ({}, "tml_conv_2d_one_channel"),  # 3x3 on one channel, 8x8: band 10 * 11 = 110 bytes
    ({"out_h": 14, "out_w": 14, "in_h": 14, "in_w": 14}, "tml_conv_2d"),  # band 16 * 17 > 192
    ({"out_c": 33}, "tml_conv_2d"),
    ({"stride_w": 2}, "tml_conv_2d"),
    ({"in_c": 3}, "tml_conv_2d"),  # 27 values
    ({"in_c": 4}, "tml_conv_2d_cols4"),  # 36 values
    ({"in_c": 4, "out_h": 1, "out_w": 3}, "tml_conv_2d"),  # fewer than four pixels
    ({"in_c": 17}, "tml_conv_2d_cols4"),  # 153 values
    ({"in_c": 18}, "tml_conv_2d_direct"),  # 162 values
])
def test_conv_2d_variant_follows_the_window(changes, variant):
    w = dict(batches=1, in_h=8, in_w=8, in_c=1, out_h=8, out_w=8, out_c=16, k_h=3, k_w=3, stride_h=1,
             stride_w=1, dil_h=1, dil_w=1, pad_h=1, pad_w=1)
    assert conv.conv_2d_variant({**w, **changes}) == variant


@pytest.mark.parametrize("real,expected", [
    (0.5, (1 << 30, 0)),
    (1.0, (1 << 30, 1)),
    (0.0, (0, 0)),
    (2 ** -40, (0, 0)),  # below 2^-31: TFLite flushes to zero
    (0.75, (3 << 29, 0)),
])
def test_quantize_multiplier(real, expected):
    assert fixed_point.quantize_multiplier(real) == expected


def test_round_half_away_from_zero():
    assert [fixed_point.round_half_away(x) for x in (0.5, 1.5, 2.5, -0.5, -2.5)] == [1, 2, 3, -1, -3]


def test_activation_range():
    assert fixed_point.activation_range("RELU6", 6 / 255, -128) == (-128, 127)
    assert fixed_point.activation_range("RELU", 0.1, 5) == (5, 127)
    assert fixed_point.activation_range("RELU6", 0.01, 0) == (0, 127)
    assert fixed_point.activation_range("RELU6", 0.1, -100) == (-100, -40)
