import json
import re

import numpy as np
import pytest
from click.testing import CliRunner

from cli.main import cli
from tinyml.errors import TinymlError
from tinyml.tflite.model import read_model
from tinyml.tflite.testing import shared_models


def _run(args):
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    return result.exit_code, " ".join(result.output.split())  # rich wraps lines at the terminal width


@pytest.mark.parametrize("path", shared_models(), ids=lambda p: p.name)
def test_inspect_shared_models_plan_and_verdicts(path):
    code, out = _run(["inspect", str(path), "--target", "cortex-m3", "--target", "cortex-m4f", "--json"])
    report = json.loads(out)
    model = read_model(path.read_bytes())
    assert [op["opcode"] for op in report["ops"]] == [op.opcode for op in model.operators]
    plan = report["memory_plan"]
    # In-place ops may put the arena below the classic bound, by at most the saving reported.
    assert 0 < plan["lower_bound_bytes"] <= plan["arena_bytes"] + plan["in_place_saving_bytes"]
    assert plan["tflm_arena"]["smallest_bytes"] > 0
    assert set(report["targets"]) == {"cortex-m3", "cortex-m4f"}
    runnable = not report["int8_problems"] and not report["unsupported_ops"]
    assert code == (0 if runnable else 1)
    if not runnable:  # keyword_scrambled: int16 input and SVDF
        assert all(not v["fits"] and v["messages"] for v in report["targets"].values())


def test_inspect_refuses_a_float_model_for_an_mcu_target(tmp_path):
    import tensorflow as tf

    model = tf.keras.Sequential([tf.keras.Input((16,)), tf.keras.layers.Dense(4)])
    path = tmp_path / "float.tflite"
    path.write_bytes(tf.lite.TFLiteConverter.from_keras_model(model).convert())
    code, out = _run(["inspect", str(path), "--target", "cortex-m4f"])
    assert code == 1
    assert "cortex-m4f: not a full-int8 model" in out and "float32, not int8" in out, out


def test_inspect_lists_every_op_the_runtime_lacks_with_its_fix(tmp_path):
    import tensorflow as tf

    from tinyml.tflite.testing import convert_int8

    tf.keras.utils.set_random_seed(0)
    x = tf.keras.layers.Input((4, 4, 8), batch_size=1)
    y = tf.keras.layers.Lambda(lambda t: tf.nn.depth_to_space(t, 2), name="upsample")(x)
    y = tf.keras.layers.Dense(5)(tf.keras.layers.Flatten()(y))
    y = tf.keras.layers.Lambda(lambda t: tf.math.argmax(t, axis=-1))(y)
    path = tmp_path / "seg.tflite"
    path.write_bytes(convert_int8(tf.keras.Model(x, y), (4, 4, 8)))
    code, out = _run(["inspect", str(path)])
    # Keras numbers the model ("model_3/...") by how many the process built before.
    assert re.search(r"not on device: DEPTH_TO_SPACE \(op 0; layers model(_\d+)?/upsample; tensors "
                     r"'model(_\d+)?/upsample/DepthToSpace'; int8 -> int8\): no on-device kernel: replace the layer",
                     out), out
    assert "not on device: ARG_MAX (op 3; tensors 'StatefulPartitionedCall:0'; int8 -> int64): end the exported " \
           "model at the class scores and take the arg max on the host" in out, out


def _keras_file(tmp_path, hidden: int):
    import tensorflow as tf

    tf.keras.utils.set_random_seed(0)
    model = tf.keras.Sequential([tf.keras.Input((64,), name="image"), tf.keras.layers.Dense(hidden, activation="relu"),
                                 tf.keras.layers.Dense(4, activation="softmax")])
    path = tmp_path / "model.h5"
    model.save(path)
    return path


def test_convert_keras_too_big_for_one_target(tmp_path):
    # 64x2100 + 2100x4 int8 weights: ~143 KB, over cortex-m3's 128 KB flash, fine for cortex-m4f's 512 KB.
    keras = _keras_file(tmp_path, 2100)
    np.savez(tmp_path / "data.npz", image=np.random.default_rng(0).random((64, 64), dtype=np.float32))
    code, out = _run(["convert", "--keras", str(keras), "--data", str(tmp_path / "data.npz"),
                      "--target", "cortex-m3", "--target", "cortex-m4f", "-o", str(tmp_path / "out")])
    report = json.loads((tmp_path / "out" / "conversion_report.json").read_text())
    m3 = report["targets"]["cortex-m3"]
    assert code == 0 and report["blessed"] and report["blessed_targets"] == ["cortex-m4f"]
    assert not m3["fits"]
    assert f"exceeds the 131072-byte flash budget by {m3['flash_bytes'] - 131072} bytes" in m3["messages"][0]
    assert report["tflm_check"]["equal"] and "accuracy not evaluated" in out


def test_convert_refuses_an_empty_representative_dataset(tmp_path):
    from tinyml.errors import TinymlError

    keras = _keras_file(tmp_path, 8)
    np.savez(tmp_path / "empty.npz", image=np.zeros((0, 64), np.float32))
    with pytest.raises(TinymlError, match="representative dataset .* is empty"):
        _run(["convert", "--keras", str(keras), "--data", str(tmp_path / "empty.npz"), "-o", str(tmp_path / "o")])


@pytest.mark.qemu
def test_inspect_profile_measures_every_op_in_qemu(tmp_path):
    from tinyml.tflite.testing import small_cnn

    path = tmp_path / "cnn.tflite"
    path.write_bytes(small_cnn())
    code, out = _run(["inspect", str(path), "--target", "cortex-m3", "--profile", "--json"])
    rows = json.loads(out)["op_profile"]["cortex-m3"]
    assert code == 0
    assert [r["op"] for r in rows] == [op.opcode for op in read_model(path.read_bytes()).operators]
    conv = rows[0]
    assert conv["op"] == "CONV_2D" and conv["macs"] == 8 * 8 * 8 * 9 and conv["instructions"] > conv["macs"]
    assert sum(r["share"] for r in rows) == pytest.approx(1.0)
    code, out = _run(["inspect", str(path), "--target", "cortex-m4f", "--profile"])
    assert code == 0 and "per-op profile on cortex-m4f" in out and "ins/MAC" in out and "DEPTHWISE_CONV_2D" in out


def test_inspect_profile_needs_an_emulated_target(tmp_path):
    from tinyml.tflite.testing import small_cnn

    path = tmp_path / "cnn.tflite"
    path.write_bytes(small_cnn())
    with pytest.raises(TinymlError, match="none of the chosen targets is emulated") as error:
        _run(["inspect", str(path), "--target", "nrf52840", "--profile"])
    assert "--target cortex-m4f" in error.value.fix
