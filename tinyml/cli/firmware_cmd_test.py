"""The bring-your-own-model commands, run as a user runs them (a subprocess)."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tinyml.firmware import fixture_model

pytestmark = pytest.mark.qemu


fixture_model.skip_without_tools()


_model = fixture_model.shared_model


def tinyml(*args, env=None):
    return subprocess.run([sys.executable, "-m", "tinyml.cli.main", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=300)


def test_build_then_run_matches_the_tflite_micro_interpreter(tmp_path):
    from tflite_micro.python.tflite_micro import runtime

    model = _model("micro_speech_quantized.tflite")
    out = tmp_path / "fw"
    done = tinyml("firmware", "build", "--model", model, "--target", "cortex-m4f", "-o", out, "--num-vectors", "3")
    assert done.returncode == 0, done.stderr
    assert "verified: 3 vectors bit-identical" in done.stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["verification"]["passed"] and manifest["target"]["name"] == "cortex-m4f"

    inputs = np.random.default_rng(7).integers(-128, 128, (3, 1960), dtype=np.int8)
    inputs.tofile(tmp_path / "in.bin")
    done = tinyml("firmware", "run", out, "--input", tmp_path / "in.bin", "-o", tmp_path / "out.bin")
    assert done.returncode == 0, done.stderr
    interpreter = runtime.Interpreter.from_bytes(model.read_bytes(), arena_size=1 << 20)
    expected = []
    for x in inputs:
        interpreter.set_input(x.reshape(1, 1960), 0)
        interpreter.invoke()
        expected.append(interpreter.get_output(0).astype(np.int8).tobytes())
    assert (tmp_path / "out.bin").read_bytes() == b"".join(expected)
    classes = [int(np.argmax(np.frombuffer(e, np.int8))) for e in expected]
    assert f"classes: {' '.join(map(str, classes))}" in done.stdout


def test_unsupported_op_is_named(tmp_path):
    done = tinyml("firmware", "build", "--model", _model("keyword_scrambled_8bit.tflite"),
                  "--target", "cortex-m3", "-o", tmp_path / "fw")
    assert done.returncode == 2
    assert "keyword_scrambled_8bit.tflite uses operators the firmware runtime does not implement" in done.stderr
    assert "SVDF" in done.stderr and not (tmp_path / "fw").exists()


def test_missing_toolchain_prints_the_install_command(tmp_path):
    env = {**os.environ, "PATH": ""}
    done = tinyml("firmware", "build", "--model", _model("hello_world_int8.tflite"),
                  "--target", "cortex-m3", "-o", tmp_path / "fw", env=env)
    assert done.returncode == 2
    assert "arm-none-eabi-gcc' was not found" in done.stderr
    assert "apt-get install -y --no-install-recommends gcc-arm-none-eabi" in done.stderr


def test_run_refuses_input_of_the_wrong_size_and_tampered_firmware(tmp_path):
    out = tmp_path / "fw"
    assert tinyml("firmware", "build", "--model", _model("hello_world_int8.tflite"), "--target", "cortex-m3",
                  "-o", out, "--num-vectors", "2").returncode == 0
    (tmp_path / "in.bin").write_bytes(b"")
    done = tinyml("firmware", "run", out, "--input", tmp_path / "in.bin", "-o", tmp_path / "out.bin")
    assert done.returncode == 2 and "takes 1 bytes (int8) per inference" in done.stderr
    with open(out / "firmware.elf", "ab") as f:
        f.write(b"\0")
    (tmp_path / "in.bin").write_bytes(b"\x05")
    done = tinyml("firmware", "run", out, "--input", tmp_path / "in.bin", "-o", tmp_path / "out.bin")
    assert done.returncode == 2 and "does not match the sha256" in done.stderr
