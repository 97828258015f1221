"""End to end: `tinyml run --profiles FILE` with targets that exist only in the user's file.

A 2 KB part is refused by the converter with the numbers and gets no firmware;
a part of the user's own with a generated target.h gets firmware verified in QEMU.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tinyml.config import DEFAULT_CONFIG
from tinyml.paths import PROFILES_FILE

pytestmark = pytest.mark.slow

PIPELINE = "digits-own-boards"
TINYML = str(Path(sys.executable).with_name("tinyml"))


def _only(pattern: str, root: Path) -> Path:
    found = sorted(root.glob(pattern))
    assert len(found) == 1, (pattern, found)
    return found[0]


def test_run_with_own_profiles_refuses_the_2kb_part_and_builds_the_other(tmp_path):
    m3 = yaml.safe_load(PROFILES_FILE.read_text())["profiles"]["cortex-m3"]
    boards = {"tiny-m3": {**m3, "description": "2 KB RAM", "ram_bytes": 2048, "irqs": 32},
              "my-m3": {**m3, "description": "a cortex-m3 of my own", "irqs": 32}}
    (tmp_path / "boards.yaml").write_text(yaml.safe_dump({"profiles": boards}))
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text())
    raw.update(name=PIPELINE, targets=["tiny-m3", "my-m3"])
    raw["data"]["schema_path"] = str(DEFAULT_CONFIG.parent / raw["data"]["schema_path"])
    raw["model"]["epochs"] = 12
    raw["converter"]["test_vectors"] = 20
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(raw))
    root = tmp_path / "runs"

    env = {**os.environ, "TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run([TINYML, "run", "--config", tmp_path / "config.yaml", "--root", root,
                           "--profiles", tmp_path / "boards.yaml"], capture_output=True, text=True, env=env,
                          timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    pipeline = root / "pipelines" / PIPELINE
    conversion = json.loads(_only("TFLMConverter/tflite_model/*/conversion_report.json", pipeline).read_text())
    assert conversion["blessed_targets"] == ["my-m3"]
    tiny = conversion["targets"]["tiny-m3"]
    assert not tiny["fits"] and tiny["ram_budget"] == 2048 and tiny["ram_bytes"] > 2048
    assert f"exceeds the 2048-byte RAM budget by {tiny['ram_bytes'] - 2048} bytes" in tiny["messages"][0]

    firmware = _only("FirmwareBuilder/firmware/*/firmware_report.json", pipeline).parent
    report = json.loads((firmware / "firmware_report.json").read_text())
    assert report["released"] == ["my-m3"] and "tiny-m3" in report["skipped"]
    manifest = json.loads((firmware / "my-m3" / "manifest.json").read_text())
    assert manifest["target"]["name"] == "my-m3" and manifest["verification"]["passed"] is True
    assert not (firmware / "tiny-m3").exists()
