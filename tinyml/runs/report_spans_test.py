"""The span and release parts of a run's report, from ML Metadata artifacts."""
import json

import yaml
from ml_metadata.proto import metadata_store_pb2

from tinyml.runs.report import build_report
from tinyml.runs.summary import ComponentRun, RunSummary
from tinyml.config import DEFAULT_CONFIG, load_config, parse_config


def _summary(tmp_path, released: bool):
    examples = metadata_store_pb2.Artifact(uri=str(tmp_path / "examples"))
    examples.custom_properties["span"].int_value = 3
    record = metadata_store_pb2.Artifact(uri=str(tmp_path / "release"))
    (tmp_path / "release").mkdir()
    body = {"released": True, "version": 2} if released else {"released": False, "reasons": ["slice x fell"]}
    (tmp_path / "release" / "release.json").write_text(json.dumps(body))
    return RunSummary("p", "r", [
        ComponentRun("CsvExampleGen", "complete", 1.0, {"examples": [examples]}),
        ComponentRun("Releaser", "complete", 0.1, {"release": [record]}),
    ])


def _spans_config():
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text())
    raw["data"].pop("example")
    raw["data"].update(path="/d/span-{SPAN}/x.csv", spans={})
    return parse_config(raw, source_dir=str(DEFAULT_CONFIG.parent))


def test_report_names_the_span_and_the_release_or_why_not(tmp_path):
    report = build_report(_summary(tmp_path, released=False), _spans_config())
    assert report.spans == [3]
    assert report.as_dict()["release"] == {"released": False, "reasons": ["slice x fell"]}


def test_without_spans_the_span_is_not_reported(tmp_path):
    report = build_report(_summary(tmp_path, released=True), load_config())
    assert report.spans == [] and report.release["version"] == 2
