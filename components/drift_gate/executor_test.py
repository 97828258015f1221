"""DriftGate executor on real TFDV statistics of the digits spans."""
import json
import os
import shutil

import pytest
import tensorflow_data_validation as tfdv
from tfx.types import standard_artifacts

from components.artifact_types import DataBaseline
from components.drift_gate import executor as drift_executor
from pipelines.examples.digits import write_spans

SCHEMA = os.path.join(os.path.dirname(write_spans.__file__), "schema.pbtxt")
THRESHOLDS = {"jensen_shannon": 0.1, "infinity_norm": 0.2, "features": [*write_spans.DRIFT_PIXELS, "label"], "thresholds": {}}


def _statistics(tmp_path, name, span, corrupt=None):
    csv = write_spans.write_span(tmp_path / name, span, 3, corrupt=corrupt, limit=600)
    stats = standard_artifacts.ExampleStatistics()
    stats.uri = str(tmp_path / name / "stats")
    os.makedirs(os.path.join(stats.uri, "Split-train"))
    with open(os.path.join(stats.uri, "Split-train", "FeatureStats.pb"), "wb") as f:
        f.write(tfdv.generate_statistics_from_csv(str(csv)).SerializeToString())
    examples = standard_artifacts.Examples()
    examples.set_int_custom_property("span", span)
    return stats, examples


def _run(tmp_path, current, reference=None, thresholds=THRESHOLDS, serving=None, store=None):
    stats, examples = current
    schema = standard_artifacts.Schema()
    schema.uri = str(tmp_path / "schema")
    os.makedirs(schema.uri, exist_ok=True)
    shutil.copyfile(SCHEMA, os.path.join(schema.uri, "schema.pbtxt"))
    out = DataBaseline()
    out.uri = str(tmp_path / f"baseline-{examples.span}-{len(os.listdir(tmp_path))}")
    inputs = {"statistics": [stats], "schema": [schema], "examples": [examples], "reference": [reference] if reference else []}
    drift_executor.Executor().Do(inputs, {"baseline": [out]},
                                 {"thresholds": json.dumps(thresholds), "serving_path": serving, "reference_store": store})
    return out


def test_first_span_passes_and_becomes_the_reference(tmp_path):
    out = _run(tmp_path, _statistics(tmp_path, "s1", 1))
    assert out.get_int_custom_property("span") == 1
    assert tfdv.load_stats_binary(os.path.join(out.uri, "FeatureStats.pb")).datasets[0].num_examples == 200


def test_a_clean_span_passes_a_drifted_one_stops_the_run_naming_the_features(tmp_path):
    reference = _run(tmp_path, _statistics(tmp_path, "s1", 1))
    passed = _run(tmp_path, _statistics(tmp_path, "s2", 2), reference)
    assert passed.get_int_custom_property("span") == 2
    # The distances of a passing span are kept for the run report: every compared feature, under its threshold.
    record = json.loads(open(os.path.join(passed.uri, "drift.json")).read())
    assert (record["span"], record["reference_span"]) == (2, 1)
    assert {m["feature"] for m in record["measurements"]} == {*write_spans.DRIFT_PIXELS, "label"}
    assert all(m["kind"] == "drift" and 0 <= m["value"] <= m["threshold"] for m in record["measurements"])
    with pytest.raises(drift_executor.DataDriftError, match=r"span 2 drifted from span 1") as e:
        _run(tmp_path, _statistics(tmp_path, "s2bad", 2, corrupt="drift"), reference)
    named = {p for p in write_spans.DRIFT_PIXELS if f"feature '{p}': JENSEN_SHANNON_DIVERGENCE" in str(e.value)}
    assert named == set(write_spans.DRIFT_PIXELS)
    assert "'label'" not in str(e.value)


def test_per_feature_threshold_overrides_the_default(tmp_path):
    reference = _run(tmp_path, _statistics(tmp_path, "s1", 1))
    loose = {**THRESHOLDS, "thresholds": {p: 0.99 for p in write_spans.DRIFT_PIXELS}}
    assert _run(tmp_path, _statistics(tmp_path, "s2bad", 2, corrupt="drift"), reference, loose).uri


def test_unknown_feature_in_config_is_named(tmp_path):
    reference = _run(tmp_path, _statistics(tmp_path, "s1", 1))
    with pytest.raises(drift_executor.TinymlError, match=r"\['nope'\] are not in the schema"):
        _run(tmp_path, _statistics(tmp_path, "s2", 2), reference, {**THRESHOLDS, "features": ["nope"]})


def test_training_serving_skew_is_named_apart_from_drift(tmp_path):
    import csv as csv_mod

    reference = _run(tmp_path, _statistics(tmp_path, "s1", 1))
    # Serving data: the drifted pixels, no labels (the device does not know them).
    drifted = write_spans.write_span(tmp_path / "serving", 2, 3, corrupt="drift", limit=600)
    with drifted.open() as f:
        rows = [{k: v for k, v in r.items() if k != "label"} for r in csv_mod.DictReader(f)]
    serving = tmp_path / "serving.csv"
    with serving.open("w", newline="") as f:
        writer = csv_mod.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(drift_executor.DataDriftError, match=r"skewed against the serving data") as e:
        _run(tmp_path, _statistics(tmp_path, "s2", 2), reference, serving=str(serving))
    message = str(e.value)
    assert "drifted" not in message.split(";")[0]
    assert all(f"skew: feature '{p}'" in message for p in write_spans.DRIFT_PIXELS)
    assert "'label'" not in message


def test_reference_store_replaces_the_resolver_and_keeps_the_last_accepted_span(tmp_path):
    # Kubeflow: no reference input; the pointer in the store is read, and moved only by a span that passes.
    store = str(tmp_path / "state" / "drift-reference")
    first = _run(tmp_path, _statistics(tmp_path, "s1", 1), store=store)
    assert drift_executor.read_reference(store) == (os.path.join(first.uri, "FeatureStats.pb"), 1)
    with pytest.raises(drift_executor.DataDriftError, match=r"span 2 drifted from span 1"):
        _run(tmp_path, _statistics(tmp_path, "s2bad", 2, corrupt="drift"), store=store)
    assert drift_executor.read_reference(store)[1] == 1  # a refused span never becomes the reference
    second = _run(tmp_path, _statistics(tmp_path, "s3", 3), store=store)
    assert drift_executor.read_reference(store) == (os.path.join(second.uri, "FeatureStats.pb"), 3)
    assert sorted(os.listdir(store)) == ["reference.json"]
