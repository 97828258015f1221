import hashlib
import json

import pytest

from tinyml.firmware import fixture_model, manifest
from tinyml.profiles import load_profiles


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
    back = json.loads(path.read_text())
    assert back == manifest.read_manifest(tmp_path)
    assert back["model"]["sha256"] == hashlib.sha256(model).hexdigest()
    assert back["files"]["firmware.elf"]["sha256"] == hashlib.sha256(image.elf.read_bytes()).hexdigest()
    assert back["memory"]["flash_bytes"] == image.sizes.flash_bytes
    assert back["memory"]["ram_budget_bytes"] == profile.ram_bytes == 20480
    assert back["memory"]["ram_bytes"] == image.sizes.static_ram_bytes + profile.stack_bytes
    # 7.2 M instructions at 72 MHz, one per cycle: 100 ms.
    assert back["performance"]["estimated_latency_ms"] == pytest.approx(100.0)
    assert back["lineage"]["run_id"] == "r1" and back["metrics"]["int8"]["accuracy"] == 0.9


@pytest.mark.qemu
def test_compile_only_target_says_why_nothing_was_measured(image):
    data = manifest.build_manifest(
        profile=load_profiles()["nrf52840"], model=b"m", image=image, files=[], verification=None
    )
    assert data["verification"]["passed"] is None and "compile-only" in data["verification"]["reason"]
    assert data["performance"]["instructions_per_inference"] is None
