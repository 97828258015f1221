import pytest

from tinyml.errors import TinymlError
from tinyml.firmware import build, fixture_model, op_profile, target_build, verify
from tinyml.firmware.elf import ElfFile
from tinyml.profiles import get_profile
from tinyml.tflite import testing
from tinyml.tflite.model import read_model

fixture_model.skip_without_tools()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tflite = testing.small_cnn()
    work = tmp_path_factory.mktemp("profile")
    model_build = build.build_model(tflite, get_profile("cortex-m4f"), work)
    vectors = target_build.reference_vectors(tflite, 8)
    inputs, outputs = vectors.inputs.reshape(8, -1), vectors.outputs.reshape(8, -1)
    return read_model(tflite), model_build, inputs, outputs, work


@pytest.mark.qemu
def test_profile_counts_every_op_and_adds_up_to_the_whole_invoke(built, tmp_path):
    model, model_build, inputs, outputs, work = built
    rows = op_profile.profile_ops(model, model_build.objects, inputs, outputs, tmp_path)
    whole = verify.verify(model_build.objects, model_build.app, inputs, outputs, work / "verify")
    assert [r.op for r in rows] == [op.opcode for op in model.operators]
    by_op = {r.op: r for r in rows}
    # small_cnn: 3x3 conv 8x8x1 -> 8x8x8, 3x3 depthwise valid -> 6x6x8, dense 72 -> 10.
    assert by_op["CONV_2D"].macs == 8 * 8 * 8 * 9
    assert by_op["DEPTHWISE_CONV_2D"].macs == 6 * 6 * 8 * 9
    assert by_op["FULLY_CONNECTED"].macs == 72 * 10
    assert by_op["SOFTMAX"].macs == 0 and by_op["SOFTMAX"].instructions_per_mac is None
    assert by_op["CONV_2D"].instructions_per_mac == pytest.approx(by_op["CONV_2D"].instructions / 4608)
    assert sum(r.share for r in rows) == pytest.approx(1.0)
    assert all(r.instructions > 0 for r in rows if r.macs)
    assert by_op["CONV_2D"].instructions > by_op["RESHAPE"].instructions
    # The ops' sum is the invoke minus the copies in and out, plus one timer read per op.
    total = sum(r.instructions for r in rows)
    assert 0.9 * whole.instructions_per_inference < total < 1.1 * whole.instructions_per_inference
    assert by_op["CONV_2D"].input_shapes == [[1, 8, 8, 1]] and by_op["CONV_2D"].output_shape == [1, 8, 8, 8]
    # The counters are only in the profile image.
    assert ElfFile(tmp_path / "profile.elf").symbol_size("tml_op_ticks") == 8 * len(rows)
    assert ElfFile(model_build.app.elf).symbol_size("tml_op_ticks") is None


@pytest.mark.qemu
def test_a_profile_of_wrong_outputs_is_refused(built, tmp_path):
    model, model_build, inputs, outputs, _ = built
    outputs = outputs.copy()
    outputs[1, 0] ^= 1
    with pytest.raises(TinymlError, match="mismatched_vectors': 1"):
        op_profile.profile_ops(model, model_build.objects, inputs, outputs, tmp_path)


def test_the_table_has_a_row_per_op_with_its_share():
    row = op_profile.OpProfile(0, "CONV_2D", [[1, 8, 8, 1]], [1, 8, 8, 8], 4608, 9216.0, 2.0, 0.75)
    header, line = op_profile.format_table([row])
    assert "ins/MAC" in header
    assert line.split() == ["0", "CONV_2D", "1x8x8x1", "1x8x8x8", "4,608", "9,216", "2.00", "75.0%"]
