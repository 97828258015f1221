import hashlib
import json

import pytest

from tinyml.errors import TinymlError
from tinyml.firmware import fixture_model, manifest
from tinyml.profiles import load_profiles
from tinyml.firmware.manifest_testing import firmware_folder


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    fixture_model.skip_without_tools(emulator=False)
    work = tmp_path_factory.mktemp("manifest")
    return fixture_model.link_app(fixture_model.compile_fixture(load_profiles()["cortex-m3"], work), work)


@pytest.mark.qemu
def test_manifest_records_hashes_sizes_latency_and_lineage(image, tmp_path):
    profile = load_profiles()["cortex-m3"]
    model = b"TFL3 stand-in model bytes"
    verification = {"passed": True, "vectors": 3, "instructions_per_inference": 7_200_000.0}
    data = manifest.build_manifest(
        profile=profile, model=model, image=image, files=[image.elf],
        verification=verification, metrics={"int8": {"accuracy": 0.9}},
        lineage={"pipeline": "digits", "run_id": "r1", "model_artifact_id": 7, "data_artifact_ids": [3]},
        toolchain="arm-none-eabi-gcc 12",
    )
    path = manifest.write_manifest(tmp_path, data)
    back = manifest.read_manifest(tmp_path)
    assert back == data and json.loads(path.read_text())["schema"] == manifest.SCHEMA
    assert back.model.sha256 == hashlib.sha256(model).hexdigest()
    assert back.files["firmware.elf"].sha256 == hashlib.sha256(image.elf.read_bytes()).hexdigest()
    assert back.memory.flash_bytes == image.sizes.flash_bytes
    assert back.memory.ram_budget_bytes == profile.ram_bytes == 20480
    assert back.memory.ram_bytes == image.sizes.static_ram_bytes + profile.stack_bytes
    # 7.2 M instructions at 72 MHz, one per cycle: 100 ms.
    assert back.performance.estimated_latency_ms == pytest.approx(100.0)
    assert back.lineage["run_id"] == "r1" and back.metrics["int8"]["accuracy"] == 0.9


@pytest.mark.qemu
def test_compile_only_target_says_why_nothing_was_measured(image):
    data = manifest.build_manifest(
        profile=load_profiles()["nrf52840"], model=b"m", image=image, files=[], verification=None
    )
    assert data.verification.passed is None and "compile-only" in data.verification.reason
    assert data.performance.instructions_per_inference is None


def test_a_damaged_manifest_is_refused_naming_the_file_and_field(tmp_path):
    good = json.loads((firmware_folder(tmp_path / "fw") / manifest.MANIFEST_NAME).read_text())
    del good["memory"]["flash_bytes"]
    good["files"]["firmware.elf"]["sha256"] = 7
    (tmp_path / "fw" / manifest.MANIFEST_NAME).write_text(json.dumps(good))
    with pytest.raises(TinymlError) as err:
        manifest.read_manifest(tmp_path / "fw")
    text = str(err.value)
    assert f"{tmp_path / 'fw' / 'manifest.json'} is not a valid firmware manifest" in text
    assert "field 'memory.flash_bytes' is required" in text and "field 'files.firmware.elf.sha256'" in text
    assert "fix: rebuild the firmware" in text


def test_a_missing_manifest_names_the_path(tmp_path):
    with pytest.raises(TinymlError, match=f"cannot read {tmp_path / 'manifest.json'}"):
        manifest.read_manifest(tmp_path)


def test_another_schema_is_refused(tmp_path):
    path = firmware_folder(tmp_path / "fw") / manifest.MANIFEST_NAME
    path.write_text(path.read_text().replace(manifest.SCHEMA, "tinyml-firmware-manifest/0"))
    with pytest.raises(TinymlError, match="field 'schema'"):
        manifest.read_manifest(tmp_path / "fw")


def test_io_lists_every_tensor_in_order_and_reads_manifests_from_before_the_lists(tmp_path):
    from tinyml.firmware.codegen import TensorInfo

    class Generated:  # the fields of a GeneratedModel that io_record reads
        inputs = (TensorInfo((1, 5), "int8", 0.5, 1, "context"), TensorInfo((1, 8), "int16", 0.25, 0, "features"))
        outputs = (TensorInfo((1, 4), "int8", 0.125, -128, "scores"),)
        input, output, ops = inputs[0], outputs[0], ["FULLY_CONNECTED"]

    io = manifest.io_record(Generated)
    folder = firmware_folder(tmp_path / "new", io=io)
    record = manifest.read_manifest(folder).io
    assert [(t.name, t.bytes, t.dtype) for t in record.all_inputs] == [("context", 5, "int8"), ("features", 16, "int16")]
    assert [t.name for t in record.all_outputs] == ["scores"] and record.input.name == "context"
    old = {key: value for key, value in io.items() if key not in ("inputs", "outputs")}
    old["input"] = {k: v for k, v in old["input"].items() if k != "name"}
    record = manifest.read_manifest(firmware_folder(tmp_path / "old", io=old)).io
    assert record.inputs is None and [t.bytes for t in record.all_inputs] == [5] and record.input.name is None
