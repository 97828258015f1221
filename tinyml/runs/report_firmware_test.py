"""The run report's firmware sizes, read from manifests of real firmware builds."""
import json

import pytest
from ml_metadata.proto import metadata_store_pb2

from tinyml.config import load_config
from tinyml.firmware import fixture_model, target_build
from tinyml.firmware.manifest import read_manifest
from tinyml.profiles import get_profile
from tinyml.runs.report import build_report, write_report
from tinyml.runs.summary import ComponentRun, RunSummary

pytestmark = pytest.mark.qemu

fixture_model.skip_without_tools()


def test_report_shows_flash_and_ram_per_target_from_the_manifests(tmp_path):
    tflite = fixture_model.float_output_model(1)
    firmware_uri = tmp_path / "FirmwareBuilder" / "firmware" / "7"
    # One emulated (verified) target and one compile-only target, as the pipeline builds them.
    target_build.build_target(tflite, get_profile("cortex-m3"), firmware_uri / "cortex-m3",
                              vectors=target_build.reference_vectors(tflite, count=2))
    target_build.build_target(tflite, get_profile("nrf52840"), firmware_uri / "nrf52840", vectors=None)
    firmware = metadata_store_pb2.Artifact(uri=str(firmware_uri))
    summary = RunSummary("digits", "r1", [ComponentRun("FirmwareBuilder", "complete", 3.0, {"firmware": [firmware]})])

    report = build_report(summary, load_config())
    written = json.loads((write_report(report, tmp_path / "report") / "summary.json").read_text())

    assert sorted(report.firmware) == ["cortex-m3", "nrf52840"]
    for target, shown in report.firmware.items():
        memory = read_manifest(firmware_uri / target).memory
        profile = get_profile(target)
        assert shown == {
            "directory": str(firmware_uri / target),
            "flash_bytes": memory.flash_bytes, "flash_budget_bytes": profile.flash_bytes,
            "ram_bytes": memory.ram_bytes, "ram_budget_bytes": profile.ram_bytes,
        }
        assert 0 < shown["flash_bytes"] <= shown["flash_budget_bytes"]
        assert 0 < shown["ram_bytes"] <= shown["ram_budget_bytes"]
        assert written["firmware"][target] == shown
