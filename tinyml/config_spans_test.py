"""The spans, drift and release settings of the config (the rest: config_test.py)."""
from pathlib import Path

import pytest
import yaml

from tinyml.config import DEFAULT_CONFIG, load_config, parse_config
from tinyml.errors import TinymlError


def _raw(**data):
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text())
    raw["data"].pop("example")
    raw["data"].update(data)
    return raw


def test_default_config_has_no_spans_drift_or_releases():
    config = load_config()
    assert (config.data.spans, config.data.drift, config.release) == (None, None, None)


def test_spans_drift_and_release_parse(tmp_path):
    raw = _raw(path="d/span-{SPAN}/x.csv", spans={"select": "window", "window": 3},
               drift={"features": ["label"], "thresholds": {"label": 0.05}})
    raw["release"] = {"store": "rel"}
    config = parse_config(raw, source_dir=str(tmp_path))
    assert config.data.spans.window == 3 and config.data.drift.thresholds == {"label": 0.05}
    assert config.release_store(Path("/runs/releases")) == str(tmp_path / "rel")
    assert parse_config({**raw, "release": {}}).release_store(Path("/runs/releases")) == "/runs/releases"
    assert config.serving_file() is None
    raw["data"]["serving_path"] = "serving/seen.csv"
    assert parse_config(raw, source_dir=str(tmp_path)).serving_file() == tmp_path / "serving" / "seen.csv"


@pytest.mark.parametrize("data, message", [
    ({"path": "d/x.csv", "spans": {}}, r"'spans' needs 'path' with \{SPAN\}"),
    ({"path": "d/span-{SPAN}/x.csv"}, r"add 'spans"),
    ({"path": "d/x.csv", "drift": {}}, r"'drift' compares spans"),
    ({"path": "d/span-{SPAN}/x.csv", "spans": {}, "serving_path": "s.csv"}, r"set 'drift' too"),
    ({"path": "d/span-{SPAN}/x.csv", "spans": {"select": "newest"}}, r"data.spans.select"),
    ({"path": "d/span-{SPAN}/x.csv", "spans": {"select": "window", "window": 1}}, r"data.spans.window"),
])
def test_inconsistent_span_settings_are_refused_with_the_fix(data, message):
    with pytest.raises(TinymlError, match=message):
        parse_config(_raw(**data))


def test_release_store_is_a_folder_or_a_gcs_uri(tmp_path):
    raw = _raw(path="d/x.csv")
    gcs = parse_config({**raw, "release": {"store": "gs://my-bucket/tinyml/releases/"}})
    assert gcs.release_store(Path("/runs/releases")) == "gs://my-bucket/tinyml/releases"
    for bad in ("s3://bucket/releases", "gs://Bad_Bucket/x", "gs://", "gs://b"):
        with pytest.raises(TinymlError, match=r"release.store': .*local folder or gs://BUCKET/PATH"):
            parse_config({**raw, "release": {"store": bad}})
