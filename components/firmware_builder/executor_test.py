import json
from pathlib import Path

import numpy as np
import pytest
from tfx.types import standard_artifacts

from components.artifact_types import Firmware, TFLiteModel
from components.firmware_builder import component, executor
from tinyml import paths
from tinyml.errors import TinymlError
from tinyml.firmware import toolchain
from tinyml.firmware.manifest import read_manifest, sha256_file

MODEL = Path(paths.REPO_ROOT).parent / "shared" / "models" / "hello_world_int8.tflite"
pytestmark = [pytest.mark.qemu, pytest.mark.slow]


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """A TFLiteModel artifact directory as the converter writes it."""
    if not MODEL.exists():
        pytest.skip("../shared/models is not available")
    try:
        toolchain.find_toolchain(), toolchain.find_qemu()
    except TinymlError:
        pytest.skip("arm-none-eabi-gcc or qemu-system-arm not installed")
    from tinyml.firmware.target_build import reference_vectors

    out = tmp_path_factory.mktemp("tflite_model")
    tflite = MODEL.read_bytes()
    (out / "model.tflite").write_bytes(tflite)
    vectors = reference_vectors(tflite, count=8)
    np.savez(out / "test_vectors.npz", inputs=vectors.inputs, outputs=vectors.outputs)
    (out / "conversion_report.json").write_text(json.dumps({"metrics": {"int8": {"overall": {"accuracy": 0.97}}}}))
    return out


def _run(src: Path, tmp_path: Path, targets, *, blessed=1, blessed_targets=None, evaluation=None, audio=None,
         package_prefix=None):
    tflite = TFLiteModel()
    tflite.uri = str(src)
    blessing = standard_artifacts.ModelBlessing()
    blessing.set_int_custom_property("blessed", blessed)
    if blessed_targets is not None:
        blessing.set_string_custom_property("blessed_targets", json.dumps(blessed_targets))
    model = standard_artifacts.Model()
    model.id = 42
    firmware = Firmware()
    firmware.uri = str(tmp_path / "firmware")
    executor.Executor().Do(
        {"tflite_model": [tflite], "firmware_blessing": [blessing], "model": [model],
         "evaluation": [evaluation] if evaluation else []},
        {"firmware": [firmware]},
        {"targets": json.dumps(targets), **({"audio": audio} if audio else {}),
         **({"package_prefix": package_prefix} if package_prefix else {})},
    )
    return firmware, Path(firmware.uri)


def test_releases_verified_firmware_per_target(converted, tmp_path):
    firmware, root = _run(converted, tmp_path, ["cortex-m3", "nrf52840"], package_prefix="digits_")
    assert json.loads(firmware.get_string_custom_property("targets")) == ["cortex-m3", "nrf52840"]
    for target in ("cortex-m3", "nrf52840"):
        files = sorted(p.name for p in (root / target).iterdir())
        assert files == ["digits_model.tar.gz", "firmware.bin", "firmware.elf", "firmware.hex", "manifest.json"]
        manifest = read_manifest(root / target)
        assert manifest.package.sha256 == sha256_file(root / target / "digits_model.tar.gz")
        assert manifest.target.name == target
        assert manifest.files["firmware.elf"].sha256 == sha256_file(root / target / "firmware.elf")
        assert manifest.lineage["model_artifact_id"] == 42
        assert manifest.metrics["converter"]["int8"]["overall"]["accuracy"] == 0.97
        # No Evaluator output here; its figures in the manifest are checked in
        # pipelines/eval_config_test.py and, from a real run, tests/test_pipeline_e2e.py.
        assert manifest.metrics["evaluator"] == {}
    m3 = read_manifest(root / "cortex-m3")
    assert m3.verification.passed is True and m3.verification.vectors == 8
    assert m3.performance.instructions_per_inference > 0
    assert read_manifest(root / "nrf52840").verification.passed is None


def test_failed_verification_releases_nothing_for_that_target(converted, tmp_path):
    bad = tmp_path / "bad_vectors"
    bad.mkdir()
    for f in converted.iterdir():
        (bad / f.name).write_bytes(f.read_bytes())
    with np.load(converted / "test_vectors.npz") as npz:
        outputs = npz["outputs"].copy()
        outputs[3].flat[0] ^= 1
        np.savez(bad / "test_vectors.npz", inputs=npz["inputs"], outputs=outputs)
    firmware, root = _run(bad, tmp_path, ["cortex-m4f", "nrf52840"])
    assert not (root / "cortex-m4f").exists()
    report = json.loads((root / executor.REPORT_NAME).read_text())
    assert report["released"] == ["nrf52840"]
    assert "1 of 8 test vectors differ" in report["failed"]["cortex-m4f"]


def test_fails_when_no_target_gets_firmware(converted, tmp_path):
    with pytest.raises(executor.FirmwareBuildError, match="no target got firmware"):
        _run(converted, tmp_path, ["cortex-m3"], blessed_targets=["cortex-m4f"])


def test_unblessed_model_gets_no_firmware(converted, tmp_path):
    firmware, root = _run(converted, tmp_path, ["cortex-m3"], blessed=0)
    assert firmware.get_int_custom_property("released") == 0
    assert sorted(p.name for p in root.iterdir()) == [executor.REPORT_NAME]


def test_component_spec_wires_inputs_and_targets():
    from tfx.types import channel_utils

    c = component.FirmwareBuilder(
        tflite_model=channel_utils.as_channel([TFLiteModel()]),
        firmware_blessing=channel_utils.as_channel([standard_artifacts.ModelBlessing()]),
        targets=["cortex-m4f", "cortex-m3"],
    )
    assert json.loads(c.exec_properties["targets"]) == ["cortex-m4f", "cortex-m3"]
    assert c.outputs["firmware"].type is Firmware
    assert c.exec_properties["audio"] is None


@pytest.fixture(scope="module")
def converted_audio(tmp_path_factory):
    """A TFLiteModel directory of a small real KWS model with the converter's audio_vectors.npz."""
    from tinyml.audio import kws_firmware, kws_testing
    from tinyml.firmware.target_build import reference_vectors

    kws = kws_testing.cached_kws_model(tmp_path_factory)
    out = tmp_path_factory.mktemp("tflite_audio_model")
    (out / "model.tflite").write_bytes(kws.tflite)
    vectors = reference_vectors(kws.tflite, count=4)
    np.savez(out / "test_vectors.npz", inputs=vectors.inputs, outputs=vectors.outputs)
    clips = kws_firmware.reference_audio_vectors(kws.tflite, kws_testing.AUDIO, kws.samples[:30], kws.labels[:30])
    np.savez(out / executor.AUDIO_VECTORS_FILE, samples=clips.samples, labels=clips.labels, outputs=clips.outputs)
    (out / "conversion_report.json").write_text(json.dumps({"metrics": {}}))
    return out, clips


def test_audio_firmware_is_checked_on_the_converters_raw_clips(converted_audio, tmp_path):
    from tinyml.audio import kws_testing

    src, clips = converted_audio
    audio = kws_testing.AUDIO.model_dump_json()
    firmware, root = _run(src, tmp_path, ["cortex-m4f"], audio=audio)
    manifest = read_manifest(root / "cortex-m4f")
    ver = manifest.audio.verification
    assert ver.passed and ver.clips == 30 and ver.reference.startswith(str(src))
    assert ver.device_accuracy == np.mean(clips.outputs.reshape(30, -1).argmax(axis=1) == clips.labels)
    assert manifest.audio.config == kws_testing.AUDIO.model_dump() and manifest.verification.vectors == 4

    with np.load(src / executor.AUDIO_VECTORS_FILE) as npz:
        outputs = npz["outputs"].copy()
    outputs[12].flat[0] ^= 1
    bad = tmp_path / "bad"
    bad.mkdir()
    for f in src.iterdir():
        (bad / f.name).write_bytes(f.read_bytes())
    np.savez(bad / executor.AUDIO_VECTORS_FILE, samples=clips.samples, labels=clips.labels, outputs=outputs)
    with pytest.raises(executor.FirmwareBuildError, match="1 of 30 raw clips give outputs that differ"):
        _run(bad, tmp_path / "again", ["cortex-m4f"], audio=audio)
    assert not (tmp_path / "again" / "firmware" / "cortex-m4f").exists()
