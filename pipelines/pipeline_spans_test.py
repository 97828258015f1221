"""create_pipeline with spans, drift checks and releases (the default wiring: pipeline_test.py)."""
import json

import pytest
import yaml

from pipelines.pipeline import create_pipeline
from tinyml.config import DEFAULT_CONFIG, parse_config


def _spans_config(**extra):
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text())
    raw["data"].pop("example")
    raw["data"].update(path="/d/span-{SPAN}/x.csv", spans={}, drift={"features": ["label"]})
    raw["release"] = {}
    raw["evaluation"]["max_slice_accuracy_decrease"] = 0.05
    raw.update(extra)
    return parse_config(raw, source_dir=str(DEFAULT_CONFIG.parent))


def test_spans_add_the_drift_gate_and_the_release_gate(tmp_path):
    config = _spans_config()
    pipeline = create_pipeline(config, str(tmp_path), "/d", input_pattern="span-{SPAN}/x.csv",
                               release_store=str(tmp_path / "rel"))
    ids = [c.id for c in pipeline.components]
    nodes = {c.id: c for c in pipeline.components}
    assert "span-{SPAN}/x.csv" in nodes["CsvExampleGen"].exec_properties["input_config"]
    assert "latest_released_model_resolver" in ids and "latest_blessed_model_resolver" not in ids
    # The drift gate runs before Transform; the release is the last step.
    assert "DriftGate" in {n.id for n in nodes["Transform"].upstream_nodes}
    assert json.loads(nodes["DriftGate"].exec_properties["thresholds"])["features"] == ["label"]
    assert nodes["DriftGate"].exec_properties["serving_path"] is None
    assert ids[-1] == "Releaser"
    assert nodes["Releaser"].exec_properties["store"] == str(tmp_path / "rel")
    assert json.loads(nodes["Releaser"].exec_properties["max_slice_accuracy_decrease"]) == 0.05


def test_serving_data_goes_to_the_drift_gate(tmp_path):
    raw = _spans_config().model_dump()
    raw.pop("source_dir")
    raw["data"]["serving_path"] = "/srv/seen.csv"
    pipeline = create_pipeline(parse_config(raw), str(tmp_path), "/d", input_pattern="span-{SPAN}/x.csv",
                               release_store=str(tmp_path / "rel"))
    gate = {c.id: c for c in pipeline.components}["DriftGate"]
    assert gate.exec_properties["serving_path"] == "/srv/seen.csv"


def test_release_without_a_store_is_refused(tmp_path):
    with pytest.raises(ValueError, match="pass release_store"):
        create_pipeline(_spans_config(), str(tmp_path), "/d", input_pattern="span-{SPAN}/x.csv")


def test_window_trains_on_resolved_spans_and_converts_on_the_newest(tmp_path):
    config = _spans_config()
    raw = config.model_dump()
    raw["data"]["spans"] = {"select": "window", "window": 3}
    raw.pop("source_dir")
    config = parse_config(raw, source_dir=str(DEFAULT_CONFIG.parent))
    pipeline = create_pipeline(config, str(tmp_path), "/d", input_pattern="span-{SPAN}/x.csv",
                               release_store=str(tmp_path / "rel"))
    nodes = {c.id: c for c in pipeline.components}
    window = nodes["span_window_resolver"]
    assert {"num_spans": 3} in window.exec_properties.values()
    assert {"CsvExampleGen", "DriftGate"} <= {n.id for n in window.upstream_nodes}
    assert "span_window_resolver" in {n.id for n in nodes["Transform"].upstream_nodes}
    assert "newest_span_transformed_resolver" in {n.id for n in nodes["TFLMConverter"].upstream_nodes}
    assert "span_window_resolver" in {n.id for n in nodes["Releaser"].upstream_nodes}
    # The Evaluator compares on the newest span only.
    assert "CsvExampleGen" in {n.id for n in nodes["Evaluator"].upstream_nodes}
