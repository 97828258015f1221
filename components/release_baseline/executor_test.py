"""ReleaseBaseline, and the ReleaseEvaluator's executor on its output, with a stand-in release store (the real one is tested in tinyml/)."""
import os
from types import SimpleNamespace

import pytest
from tfx.components.evaluator import executor as tfx_evaluator
from tfx.types import standard_artifacts

from components.release_baseline import executor
from components.release_evaluator import executor as evaluator_executor


def _store(monkeypatch, release):
    seen = []

    class Store:
        def __init__(self, root, pipeline):
            seen.append((root, pipeline))

        def latest(self):
            return release

    monkeypatch.setattr(executor, "ReleaseStore", Store)
    return seen


def _resolve(tmp_path):
    out = standard_artifacts.Model()
    out.uri = str(tmp_path / "baseline")
    executor.Executor().Do({}, {"model": [out]}, {"store": "gs://bucket/releases", "pipeline": "digits"})
    return out


def _evaluator_inputs(monkeypatch, baseline):
    got = {}
    monkeypatch.setattr(tfx_evaluator.Executor, "Do", lambda self, i, o, e: got.update(i))
    evaluator_executor.Executor().Do({"examples": [], "baseline_model": [baseline]}, {}, {})
    return got


def test_before_the_first_release_the_evaluator_gets_no_baseline(tmp_path, monkeypatch):
    assert _store(monkeypatch, None) == []
    out = _resolve(tmp_path)
    assert os.listdir(out.uri) == [executor.NO_RELEASE]
    assert out.get_int_custom_property(executor.VERSION_PROPERTY) == 0
    assert _evaluator_inputs(monkeypatch, out)["baseline_model"] == []


def test_the_latest_release_model_is_copied_whole_and_is_the_baseline(tmp_path, monkeypatch):
    model = tmp_path / "run-7" / "Trainer" / "model"
    (model / "Format-Serving" / "variables").mkdir(parents=True)
    (model / "Format-Serving" / "saved_model.pb").write_bytes(b"graph")
    (model / "Format-Serving" / "variables" / "variables.index").write_bytes(b"index")
    seen = _store(monkeypatch, SimpleNamespace(version=3, record={"model": {"uri": str(model) + "/"}}))
    out = _resolve(tmp_path)
    assert seen == [("gs://bucket/releases", "digits")]
    assert (tmp_path / "baseline" / "Format-Serving" / "saved_model.pb").read_bytes() == b"graph"
    assert (tmp_path / "baseline" / "Format-Serving" / "variables" / "variables.index").read_bytes() == b"index"
    assert sorted(os.listdir(out.uri)) == ["Format-Serving"]
    assert out.get_int_custom_property(executor.VERSION_PROPERTY) == 3
    assert out.get_string_custom_property(executor.SOURCE_PROPERTY) == str(model) + "/"
    assert _evaluator_inputs(monkeypatch, out)["baseline_model"] == [out]


def test_a_release_whose_model_is_gone_fails_the_run(tmp_path, monkeypatch):
    _store(monkeypatch, SimpleNamespace(version=2, record={"model": {"uri": str(tmp_path / "deleted")}}))
    with pytest.raises(FileNotFoundError, match="release 2: its model .*deleted is gone"):
        _resolve(tmp_path)


def test_reads_the_real_release_store(tmp_path):
    from tinyml.firmware.manifest_testing import firmware_folder
    from tinyml.releases.store import ReleaseStore

    model = tmp_path / "model"
    (model / "Format-Serving").mkdir(parents=True)
    (model / "Format-Serving" / "saved_model.pb").write_bytes(b"v2")
    store = ReleaseStore(str(tmp_path / "releases"), "digits")
    firmware = {"m4": firmware_folder(tmp_path / "fw" / "m4")}
    for _ in range(2):
        store.publish({"model": {"artifact_id": 1, "uri": str(model)}}, firmware)
    out = standard_artifacts.Model()
    out.uri = str(tmp_path / "baseline")
    executor.Executor().Do({}, {"model": [out]}, {"store": str(tmp_path / "releases"), "pipeline": "digits"})
    assert out.get_int_custom_property(executor.VERSION_PROPERTY) == 2
    assert (tmp_path / "baseline" / "Format-Serving" / "saved_model.pb").read_bytes() == b"v2"
