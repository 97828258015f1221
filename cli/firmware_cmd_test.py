"""The firmware commands, run as a user runs them (a subprocess).

`firmware pull --from` and `--host --run` talk to gcp-storage-emulator on
loopback, in this process; `--host` to the KFP API test double (no KFP
backend can run here, see tinyml/kubeflow/client_testing.py)."""
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from tinyml.errors import TinymlError
from tinyml.firmware import fixture_model, toolchain
from tinyml.firmware.manifest import read_manifest, sha256_file
from tinyml.gcs_testing import storage_emulator, upload_folder
from tinyml.firmware.manifest_testing import firmware_folder
from tinyml.kubeflow.client import TOKEN_ENV, KfpClient, PipelinePackage
from tinyml.kubeflow.client_testing import FakeKfp, write_package
from tinyml.tflite.writer_testing import one_op_model


def _tools_missing() -> bool:
    try:
        toolchain.find_toolchain()
        toolchain.find_qemu()
    except TinymlError:
        return True
    return False


# Only build/run need the toolchain and QEMU; pull does not.
needs_tools = pytest.mark.skipif(_tools_missing(), reason="arm-none-eabi-gcc or qemu-system-arm not installed")


_model = fixture_model.shared_model


def tinyml(*args, env=None):
    return subprocess.run([sys.executable, "-m", "cli.main", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=300)


@pytest.mark.qemu
@needs_tools
def test_build_then_run_matches_the_tflite_micro_interpreter(tmp_path):
    from tflite_micro.python.tflite_micro import runtime

    model = _model("micro_speech_quantized.tflite")
    out = tmp_path / "fw"
    done = tinyml("firmware", "build", "--model", model, "--target", "cortex-m4f", "-o", out, "--num-vectors", "3")
    assert done.returncode == 0, done.stderr
    assert "verified: 3 vectors bit-identical" in done.stdout
    manifest = read_manifest(out)
    assert manifest.verification.passed and manifest.target.name == "cortex-m4f"
    assert f"(model + runtime) in a firmware: flash {manifest.memory.library_flash_bytes} B" in done.stdout

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


@pytest.mark.qemu
@needs_tools
def test_int16_in_int32_out_model_with_state_runs_as_tflite_micro(tmp_path):
    """keyword_scrambled (SVDF state, int16 input, int32 output): `firmware run` takes int16 bytes and
    writes int32 ones, and consecutive inputs in one file carry the state as the interpreter does."""
    from tinyml.firmware.target_build import tflm_outputs

    model = _model("keyword_scrambled_8bit.tflite")
    out = tmp_path / "fw"
    done = tinyml("firmware", "build", "--model", model, "--target", "cortex-m3", "-o", out, "--num-vectors", "6")
    assert done.returncode == 0, done.stderr
    manifest = read_manifest(out)
    assert (manifest.io.input.dtype, manifest.io.output.dtype) == ("int16", "int32")
    inputs = np.random.default_rng(3).integers(0, 12000, (5, 1, 96)).astype(np.int16)
    inputs.tofile(tmp_path / "in.bin")
    done = tinyml("firmware", "run", out, "--input", tmp_path / "in.bin", "-o", tmp_path / "out.bin")
    assert done.returncode == 0, done.stderr
    expected = tflm_outputs(model.read_bytes(), inputs)
    assert expected.dtype == np.int32
    assert (tmp_path / "out.bin").read_bytes() == expected.tobytes()
    (tmp_path / "odd.bin").write_bytes(b"\0" * 191)
    done = tinyml("firmware", "run", out, "--input", tmp_path / "odd.bin", "-o", tmp_path / "out.bin")
    assert done.returncode == 2 and "takes 192 bytes (int16) per inference" in done.stderr


@pytest.mark.qemu
@needs_tools
def test_unsupported_op_is_named(tmp_path):
    (tmp_path / "lstm.tflite").write_bytes(one_op_model("UNIDIRECTIONAL_SEQUENCE_LSTM"))
    done = tinyml("firmware", "build", "--model", tmp_path / "lstm.tflite", "--target", "cortex-m3", "-o", tmp_path / "fw")
    assert done.returncode == 2
    assert "lstm.tflite uses operators the firmware runtime does not implement" in done.stderr
    assert "UNIDIRECTIONAL_SEQUENCE_LSTM" in done.stderr and not (tmp_path / "fw").exists()


@pytest.mark.qemu
@needs_tools
def test_missing_toolchain_prints_the_install_command(tmp_path):
    env = {**os.environ, "PATH": ""}
    done = tinyml("firmware", "build", "--model", _model("hello_world_int8.tflite"),
                  "--target", "cortex-m3", "-o", tmp_path / "fw", env=env)
    assert done.returncode == 2
    assert "arm-none-eabi-gcc' was not found" in done.stderr
    assert "apt-get install -y --no-install-recommends gcc-arm-none-eabi" in done.stderr


@pytest.mark.qemu
@needs_tools
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


@needs_tools
def test_export_writes_the_package_and_refuses_a_bad_prefix(tmp_path):
    out = tmp_path / "pkg"
    done = tinyml("firmware", "export", "--model", _model("hello_world_int8.tflite"), "--target", "cortex-m3",
                  "--prefix", "sine_", "-o", out)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["sine_model", "sine_model.tar.gz"]
    assert sha256_file(out / "sine_model.tar.gz") in done.stdout
    assert "int sine_invoke(void);" in (out / "sine_model" / "src" / "sine_model.h").read_text()
    readme = (out / "sine_model" / "README.md").read_text()
    library = re.search(r"\| this library in a firmware: flash \(model array included\) \| (\d+) \|", readme)[1]
    assert f"the library in a firmware: flash {library} B" in done.stdout

    done = tinyml("firmware", "export", "--model", _model("hello_world_int8.tflite"), "--target", "cortex-m3",
                  "--prefix", "2sine", "-o", tmp_path / "bad")
    assert done.returncode == 2
    assert "--prefix '2sine' is not a C identifier" in done.stderr and "fix:" in done.stderr
    assert not (tmp_path / "bad").exists()



@needs_tools
def test_export_audio_puts_the_frontend_in_the_package_or_names_the_mismatch(tmp_path):
    """micro_speech takes 49 x 40 features: one 1 s clip at 8 kHz with 30 ms windows every 20 ms."""
    (tmp_path / "audio.yaml").write_text("clip_ms: 1000\nfrontend: {sample_rate: 8000, upper_band_limit: 3900}\n")
    args = ("firmware", "export", "--model", _model("micro_speech_quantized.tflite"), "--target", "cortex-m3",
            "--prefix", "kws_", "--audio")
    done = tinyml(*args, tmp_path / "audio.yaml", "-o", tmp_path / "pkg")
    assert done.returncode == 0, done.stderr
    package = tmp_path / "pkg" / "kws_model"
    assert "int kws_audio_run(const int16_t *pcm);" in (package / "src" / "kws_model.h").read_text()
    assert (package / "kernels" / "tml_frontend_tables.c").is_file() and (package / "src" / "kws_audio.c").is_file()

    (tmp_path / "half.yaml").write_text("clip_ms: 500\nfrontend: {sample_rate: 8000, upper_band_limit: 3900}\n")
    done = tinyml(*args, tmp_path / "half.yaml", "-o", tmp_path / "bad")
    assert done.returncode == 2 and "gives 24 frames x 40 channels per clip" in done.stderr and "fix:" in done.stderr
    assert not (tmp_path / "bad").exists()

def test_pull_package_only_from_a_release(tmp_path):
    from tinyml.releases.store import ReleaseStore

    ReleaseStore(tmp_path / "rel", "p").publish({"run_id": "r1"}, {
        "cortex-m4f": firmware_folder(tmp_path / "a", package=True), "cortex-m3": firmware_folder(tmp_path / "b")})
    done = tinyml("firmware", "pull", "--latest", "--store", tmp_path / "rel", "--target", "cortex-m4f",
                  "--package-only", "-o", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["tinyml_model", "tinyml_model.tar.gz"]
    done = tinyml("firmware", "pull", "--latest", "--store", tmp_path / "rel", "--target", "cortex-m3",
                  "--package-only", "-o", tmp_path / "none")
    assert done.returncode == 2 and "built without a source package" in done.stderr


def test_pull_from_a_kubeflow_run_root_on_gcs(monkeypatch, tmp_path):
    run_root = "gs://tinyml-test/pipelines/digits/run-7"
    built = firmware_folder(tmp_path / "built" / "cortex-m4f")
    with storage_emulator(monkeypatch) as client:
        bucket = client.bucket("tinyml-test")
        fw = "pipelines/digits/run-7/FirmwareBuilder/99/firmware/cortex-m4f"
        upload_folder(bucket, built, fw)
        env = dict(os.environ)  # carries STORAGE_EMULATOR_HOST, set by the fixture

        done = tinyml("firmware", "pull", "--from", run_root, "-o", tmp_path / "fw", env=env)
        assert done.returncode == 0, done.stderr
        assert {p.name: p.read_bytes() for p in (tmp_path / "fw").iterdir()} == {
            p.name: p.read_bytes() for p in built.iterdir()}
        assert f"pulled the firmware of {run_root}" in done.stdout and "(sha256 verified)" in done.stdout

        bucket.blob(f"{fw}/firmware.elf").upload_from_string(b"\x7fELF tampered")
        done = tinyml("firmware", "pull", "--from", run_root, "-o", tmp_path / "bad", env=env)
        assert done.returncode == 2
        assert "checksum mismatch" in done.stderr and "cortex-m4f/firmware.elf" in done.stderr
        assert not (tmp_path / "bad").exists()
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(".bad-pull")]

        done = tinyml("firmware", "pull", "--from", "gs://tinyml-test/pipelines/digits/run-8", "-o", tmp_path / "x",
                      env=env)
        assert done.returncode == 2 and "no firmware under gs://tinyml-test/pipelines/digits/run-8" in done.stderr

        done = tinyml("firmware", "pull", "--from", run_root, "--latest", "-o", tmp_path / "x", env=env)
        assert done.returncode == 2 and "pass exactly one of --run ID, --latest, --release N or --from" in done.stderr
    assert not (tmp_path / "x").exists()


def test_pull_a_kubeflow_run_by_id_through_the_kfp_api(monkeypatch, tmp_path):
    token = "tok-pull-never-printed"
    built = firmware_folder(tmp_path / "built" / "cortex-m4f")
    with storage_emulator(monkeypatch) as storage, FakeKfp(token=token) as kfp:
        write_package(tmp_path / "p.json", name="digits", root="gs://tinyml-test/pipelines")
        package = PipelinePackage.load(tmp_path / "p.json")
        client = KfpClient(kfp.url, token=token)
        pid, vid, _ = client.ensure_pipeline_version(package, package.write_ir(tmp_path))
        run_id = client.create_run(package, pid, vid, "exp", {}, "r")
        upload_folder(storage.bucket("tinyml-test"), built,
                      f"pipelines/digits/{run_id}/FirmwareBuilder/12/firmware/cortex-m4f")
        token_file = tmp_path / "token"
        token_file.write_text(token)
        env = {k: v for k, v in os.environ.items() if k != TOKEN_ENV}

        done = tinyml("firmware", "pull", "--host", kfp.url, "--token-file", token_file, "--run", run_id,
                      "-o", tmp_path / "fw", env=env)
        assert done.returncode == 0, done.stderr
        assert {p.name: p.read_bytes() for p in (tmp_path / "fw").iterdir()} == {
            p.name: p.read_bytes() for p in built.iterdir()}
        assert f"pulled the firmware of Kubeflow run {run_id} (gs://tinyml-test/pipelines/digits/{run_id})" in done.stdout
        assert token not in done.stdout + done.stderr

        done = tinyml("firmware", "pull", "--host", kfp.url, "--token-file", token_file, "--run", "no-such-run",
                      "-o", tmp_path / "x", env=env)
        assert done.returncode == 2 and "no run with id 'no-such-run'" in done.stderr
        done = tinyml("firmware", "pull", "--host", kfp.url, "--run", run_id, "-o", tmp_path / "x", env=env)
        assert done.returncode == 2 and "requires credentials" in done.stderr
        done = tinyml("firmware", "pull", "--host", kfp.url, "--latest", "-o", tmp_path / "x", env=env)
        assert done.returncode == 2 and "pass its id with --run" in done.stderr
    assert not (tmp_path / "x").exists()


def test_pull_from_gcs_without_credentials_says_how_to_log_in(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("STORAGE_EMULATOR_HOST", "GOOGLE_APPLICATION_CREDENTIALS")}
    env.update(HOME=str(tmp_path), CLOUDSDK_CONFIG=str(tmp_path / "gcloud"),
               GCE_METADATA_HOST="127.0.0.1:9", GCE_METADATA_IP="127.0.0.1:9")  # no metadata server: no network
    done = tinyml("firmware", "pull", "--from", "gs://tinyml-test/run", "-o", tmp_path / "fw", env=env)
    assert done.returncode == 2
    assert "no Google Cloud credentials" in done.stderr and "gcloud auth application-default login" in done.stderr
    assert not (tmp_path / "fw").exists()
