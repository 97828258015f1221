import numpy as np
import pytest

from tinyml.errors import TinymlError
from tinyml.firmware import fixture_model, target_build
from tinyml.firmware.manifest import read_manifest, sha256_file
from tinyml.profiles import get_profile, load_profiles
from tinyml.tflite.memory_plan import plan_memory
from tinyml.tflite.model import read_model
from tinyml.tflite.writer_testing import one_op_model

pytestmark = pytest.mark.qemu


fixture_model.skip_without_tools()


def _shared(name):
    return fixture_model.shared_model(name).read_bytes()


def test_micro_speech_releases_verified_on_cortex_m4f(tmp_path):
    tflite = _shared("micro_speech_quantized.tflite")
    vectors = target_build.reference_vectors(tflite, count=4)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine")
    manifest = target_build.build_target(tflite, get_profile("cortex-m4f"), tmp_path / "out", vectors=vectors)
    assert manifest == read_manifest(tmp_path / "out")
    assert (tmp_path / "out" / "notes.txt").read_text() == "mine"  # nothing of the user's is lost
    assert manifest.verification.passed and manifest.verification.vectors == 4
    assert manifest.io.input.bytes == 1960 and manifest.io.output.bytes == 4
    plan = plan_memory(read_model(tflite))
    assert manifest.memory.arena_bytes == plan.arena_bytes  # read from the ELF's tml_arena
    assert manifest.memory.arena_bytes <= manifest.memory.static_ram_bytes
    assert manifest.model.array_bytes == len(tflite)
    assert manifest.performance.estimated_latency_ms > 0


@pytest.mark.parametrize("target", ["cortex-m3", "cortex-m4f"])
def test_float_output_model_releases_verified(tmp_path, target):
    """A model ending in DEQUANTIZE: float32 vectors compared bit for bit on a soft-float and an FPU core."""
    tflite = fixture_model.float_output_model(1)
    vectors = target_build.reference_vectors(tflite, count=3)
    assert vectors.outputs.dtype == np.float32
    manifest = target_build.build_target(tflite, get_profile(target), tmp_path / "out", vectors=vectors)
    assert manifest.verification.passed and manifest.verification.vectors == 3
    output = read_model(tflite).output_tensors()[0]
    assert manifest.io.output.model_dump() == {"shape": [1, 7], "dtype": "float32", "bytes": 28, "scale": None,
                                               "zero_point": None, "name": output.name}
    assert manifest.io.outputs == [manifest.io.output]
    assert manifest.io.ops[-1] == "DEQUANTIZE"
    # The per-op profile: one row per op, measured in the (unreleased) profile image.
    assert [row.op for row in manifest.op_profile] == manifest.io.ops
    assert manifest.op_profile[0].op == "CONV_2D" and manifest.op_profile[0].macs == (4 * 3 * 4) * (3 * 3 * 3)
    assert sum(row.share for row in manifest.op_profile) == pytest.approx(1.0)
    assert "profile.elf" not in manifest.files
    # The source package is released beside the image, its sha256 in the manifest.
    assert manifest.package.model_dump() == {"archive": "tinyml_model.tar.gz", "prefix": "tinyml_",
                                             "sha256": sha256_file(tmp_path / "out" / "tinyml_model.tar.gz")}


@pytest.mark.parametrize("target", sorted(load_profiles()))
def test_every_profile_builds_and_the_emulated_ones_verify(target, tmp_path):
    tflite = _shared("hello_world_int8.tflite")
    profile = get_profile(target)
    vectors = target_build.reference_vectors(tflite, count=3) if profile.emulated else None
    manifest = target_build.build_target(tflite, profile, tmp_path / "out", vectors=vectors)
    assert manifest.verification.passed is (True if profile.emulated else None)
    assert (manifest.op_profile is not None) is profile.emulated
    assert manifest.memory.flash_bytes <= profile.flash_bytes
    assert sorted(manifest.files) == ["firmware.bin", "firmware.elf", "firmware.hex", "tinyml_model.tar.gz"]
    assert manifest.package.sha256 == manifest.files["tinyml_model.tar.gz"].sha256


def test_keyword_scrambled_releases_verified_on_cortex_m4f(tmp_path):
    """SVDF state over a sequence, int16 input and int32 output through the whole release path."""
    tflite = _shared("keyword_scrambled_8bit.tflite")
    vectors = target_build.reference_vectors(tflite, count=12)
    assert vectors.inputs.dtype == np.int16 and vectors.outputs.dtype == np.int32
    manifest = target_build.build_target(tflite, get_profile("cortex-m4f"), tmp_path / "out", vectors=vectors)
    assert manifest.verification.passed and manifest.verification.vectors == 12
    assert (manifest.io.input.dtype, manifest.io.output.dtype) == ("int16", "int32")
    assert (manifest.io.input.bytes, manifest.io.output.bytes) == (192, 8)
    svdf = [row for row in manifest.op_profile if row.op == "SVDF"]
    assert len(svdf) == 7 and all(row.macs > 0 and row.instructions > 0 for row in svdf)


def test_a_sequence_too_long_for_one_image_is_refused(tmp_path):
    """A model with state verifies its vectors as one sequence in one image, or not at all."""
    from tinyml.firmware.build import build_model
    from tinyml.firmware.verify import verify

    tflite = _shared("keyword_scrambled_8bit.tflite")
    built = build_model(tflite, get_profile("cortex-m3"), tmp_path)
    rows = 25000  # 5 MB of vectors: more than the emulated board's 4 MB of flash
    inputs, outputs = np.zeros((rows, 192), np.int8), np.zeros((rows, 8), np.int8)
    with pytest.raises(TinymlError, match="must run in one image"):
        verify(built.objects, built.app, inputs, outputs, tmp_path / "verify", stateful=True)


def test_unsupported_op_is_named(tmp_path):
    tflite = one_op_model("UNIDIRECTIONAL_SEQUENCE_LSTM")
    with pytest.raises(TinymlError, match="UNIDIRECTIONAL_SEQUENCE_LSTM"):
        target_build.build_target(tflite, get_profile("cortex-m4f"), tmp_path / "out", vectors=None)
    assert not (tmp_path / "out").exists()


def test_emulated_target_without_vectors_is_refused(tmp_path):
    tflite = _shared("hello_world_int8.tflite")
    with pytest.raises(TinymlError, match="must be verified"):
        target_build.build_target(tflite, get_profile("cortex-m3"), tmp_path / "out", vectors=None)


def test_vectors_of_another_model_are_refused(tmp_path):
    tflite = _shared("hello_world_int8.tflite")
    wrong = target_build.TestVectors(np.zeros((2, 5), np.int8), np.zeros((2, 1), np.int8), "wrong.npz")
    with pytest.raises(TinymlError, match="wrong.npz: 2 inputs of 5 bytes .* the model takes 1 bytes"):
        target_build.build_target(tflite, get_profile("cortex-m3"), tmp_path / "out", vectors=wrong)


def test_vectors_file_must_hold_int8(tmp_path):
    np.savez(tmp_path / "v.npz", inputs=np.zeros((1, 4), np.float32), outputs=np.zeros((1, 2), np.int8))
    with pytest.raises(TinymlError, match="'inputs' is float32, expected int8"):
        target_build.TestVectors.load(tmp_path / "v.npz")


@pytest.mark.slow
def test_model_too_big_for_the_target_reports_the_numbers(tmp_path):
    import tf_keras as keras

    from tinyml.tflite.testing import convert_int8

    model = keras.Sequential([keras.layers.Input((400,)), keras.layers.Dense(400), keras.layers.Dense(4)])
    tflite = convert_int8(model, (400,))
    vectors = target_build.reference_vectors(tflite, count=2)
    with pytest.raises(TinymlError) as err:
        target_build.build_target(tflite, get_profile("cortex-m3"), tmp_path / "out", vectors=vectors)
    text = str(err.value)
    assert "does not fit target 'cortex-m3'" in text and "but the target has 131072" in text
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_float_model_is_a_clear_error(tmp_path):
    import tensorflow as tf
    import tf_keras as keras

    model = keras.Sequential([keras.layers.Input((8,)), keras.layers.Dense(3)])
    tflite = tf.lite.TFLiteConverter.from_keras_model(model).convert()
    with pytest.raises(TinymlError, match="not a full int8 model: its input tensor .* is float32"):
        target_build.build_target(tflite, get_profile("nrf52840"), tmp_path / "out", vectors=None)


def test_vectors_of_several_tensors_load_as_rows_of_their_bytes_in_order(tmp_path):
    a = np.arange(6, dtype=np.int8).reshape(2, 3)
    b = np.array([[1000], [-2]], np.int16)
    out = np.array([[7, 8], [9, 10]], np.int8)
    np.savez(tmp_path / "v.npz", inputs_0=a, inputs_1=b, outputs=out)
    v = target_build.TestVectors.load(tmp_path / "v.npz")
    assert v.inputs.shape == (2, 5) and v.inputs[1].tobytes() == a[1].tobytes() + b[1].tobytes()
    assert np.array_equal(v.outputs, out)
    v.check_against(5, 2)
    np.savez(tmp_path / "bad.npz", inputs_0=a, inputs_1=b.astype(np.float32), outputs=out)
    with pytest.raises(TinymlError, match="an array of 'inputs' is float32"):
        target_build.TestVectors.load(tmp_path / "bad.npz")
    np.savez(tmp_path / "none.npz", inputs_1=b, outputs=out)
    with pytest.raises(TinymlError, match="no array 'inputs' or 'inputs_0'"):
        target_build.TestVectors.load(tmp_path / "none.npz")


def test_saved_vectors_load_back_one_array_per_tensor_or_the_plain_keys_for_one(tmp_path):
    a = np.arange(6, dtype=np.int8).reshape(2, 3)
    b = np.array([[1000], [-2]], np.int16)
    out = np.array([[7, 8], [9, 10]], np.int8)
    target_build.TestVectors.save(tmp_path / "two.npz", [a, b], [out, out[:, :1]])
    with np.load(tmp_path / "two.npz") as npz:
        assert sorted(npz.files) == ["inputs_0", "inputs_1", "outputs_0", "outputs_1"]
        assert npz["inputs_1"].dtype == np.int16
    v = target_build.TestVectors.load(tmp_path / "two.npz")
    assert v.inputs[1].tobytes() == a[1].tobytes() + b[1].tobytes() and v.outputs.tolist() == [[7, 8, 7], [9, 10, 9]]
    target_build.TestVectors.save(tmp_path / "one.npz", [a], [out])
    with np.load(tmp_path / "one.npz") as npz:
        assert sorted(npz.files) == ["inputs", "outputs"]
    v = target_build.TestVectors.load(tmp_path / "one.npz")
    assert np.array_equal(v.inputs, a) and np.array_equal(v.outputs, out)
