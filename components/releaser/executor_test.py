"""The release gate's rules: per-slice regressions, and no second release of the same model.
(The whole Releaser on a real run: tests/test_retraining_e2e.py.)"""
import hashlib

from components.releaser.executor import already_released, converted_model_sha256, slice_regressions
from tinyml.releases.store import Release
from tinyml.firmware.manifest_testing import firmware_folder

COMPARISON = {
    "overall": {"examples": 300, "candidate": 0.95, "released": 0.96, "change": -0.01},
    "ink_density=low": {"examples": 100, "candidate": 0.85, "released": 0.95, "change": -0.10},
    "ink_density=rare": {"examples": 5, "candidate": 0.2, "released": 1.0, "change": -0.8},
}


def test_only_slices_with_enough_examples_that_fell_too_far_are_named():
    problems = slice_regressions(COMPARISON, min_examples=30, tolerance=0.05)
    assert len(problems) == 1 and problems[0].startswith("slice ink_density=low: accuracy 0.8500 vs 0.9500")
    assert slice_regressions(COMPARISON, min_examples=30, tolerance=None) == []
    assert len(slice_regressions(COMPARISON, min_examples=1, tolerance=0.05)) == 2


def test_the_model_already_in_the_field_is_not_released_again():
    latest = Release(3, "gs://b/releases/digits/3", {"model": {"uri": "/runs/Trainer/model/7", "tflite_sha256": "ab12"}})
    assert already_released(None, "/runs/Trainer/model/7", "ab12") is None
    assert "release 3 already carries" in already_released(latest, "/runs/Trainer/model/9", "ab12")
    assert "release 3 already carries" in already_released(latest, "/runs/Trainer/model/7", None)
    assert already_released(latest, "/runs/Trainer/model/9", "cd34") is None
    # Releases recorded before the sha256 was kept are matched by the model's URI.
    older = Release(2, "/store/digits/2", {"model": {"uri": "/runs/Trainer/model/5"}})
    assert already_released(older, "/runs/Trainer/model/6", "cd34") is None
    assert already_released(older, "/runs/Trainer/model/5", "cd34") is not None


def test_the_converted_model_hash_comes_from_a_built_targets_manifest(tmp_path):
    firmware_folder(tmp_path / "cortex-m3", model=b"the converted model", target="cortex-m3")
    sha = hashlib.sha256(b"the converted model").hexdigest()
    assert converted_model_sha256(str(tmp_path), ["cortex-m4f", "cortex-m3"]) == sha
    assert converted_model_sha256(str(tmp_path), ["cortex-m4f"]) is None
