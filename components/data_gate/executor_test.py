"""DataGate executor on real TFRecords and real TFDV anomalies."""
import json
import os
from pathlib import Path

import pytest
import tensorflow as tf
import tensorflow_data_validation as tfdv
from tensorflow_metadata.proto.v0 import schema_pb2
from tfx.types import standard_artifacts

from components.artifact_types import DataGateReport
from components.data_gate import executor


def _example(speaker: str, x: int, label: int = 0) -> tf.train.Example:
    return tf.train.Example(
        features=tf.train.Features(
            feature={
                "speaker": tf.train.Feature(bytes_list=tf.train.BytesList(value=[speaker.encode()])),
                "x": tf.train.Feature(int64_list=tf.train.Int64List(value=[x])),
                "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[label])),
            }
        )
    )


def _artifacts(tmp_path, splits: dict[str, list[tf.train.Example]], x_max: int):
    examples = standard_artifacts.Examples()
    examples.uri = str(tmp_path / "examples")
    examples.split_names = '["train", "eval"]'
    anomalies = standard_artifacts.ExampleAnomalies()
    anomalies.uri = str(tmp_path / "anomalies")
    anomalies.split_names = '["train", "eval"]'
    schema = schema_pb2.Schema()
    feature = schema.feature.add(name="x", type=schema_pb2.INT)
    feature.int_domain.min, feature.int_domain.max = 0, x_max
    schema.feature.add(name="speaker", type=schema_pb2.BYTES)
    schema.feature.add(name="label", type=schema_pb2.INT)
    for split, rows in splits.items():
        os.makedirs(os.path.join(examples.uri, f"Split-{split}"))
        path = os.path.join(examples.uri, f"Split-{split}", "data.gz")
        with tf.io.TFRecordWriter(path, options="GZIP") as w:
            for row in rows:
                w.write(row.SerializeToString())
        stats = tfdv.generate_statistics_from_tfrecord(path)
        found = tfdv.validate_statistics(stats, schema)
        os.makedirs(os.path.join(anomalies.uri, f"Split-{split}"))
        with open(os.path.join(anomalies.uri, f"Split-{split}", "SchemaDiff.pb"), "wb") as f:
            f.write(found.SerializeToString())
    return {"examples": [examples], "anomalies": [anomalies]}


def _run(inputs, group_feature=None, num_classes=1, **split):
    """Runs the gate; returns its report artifact. By default the split check passes on one-row splits."""
    report = DataGateReport()
    report.uri = os.path.join(os.path.dirname(inputs["examples"][0].uri), "report")
    os.makedirs(report.uri)
    split = {"train": 1, "eval": 1, "max_share_deviation": 100, "min_eval_examples": 1, **split}
    executor.Executor().Do(inputs, {"report": [report]}, {
        "group_feature": group_feature, "label_feature": "label", "num_classes": num_classes, "split": json.dumps(split),
    })
    return report


def test_clean_data_passes(tmp_path):
    inputs = _artifacts(tmp_path, {"train": [_example("a", 1), _example("a", 2)], "eval": [_example("b", 3)]}, 10)
    report = _run(inputs, "speaker")
    assert report.get_string_custom_property("split_check") == "passed"


def test_out_of_domain_value_stops_the_run_naming_the_feature(tmp_path):
    inputs = _artifacts(tmp_path, {"train": [_example("a", 1), _example("a", 99)], "eval": [_example("b", 3)]}, 10)
    with pytest.raises(executor.DataValidationError, match=r"\[train\] feature 'x'"):
        _run(inputs)


def test_group_in_both_splits_stops_the_run(tmp_path):
    inputs = _artifacts(tmp_path, {"train": [_example("alice", 1)], "eval": [_example("alice", 2)]}, 10)
    with pytest.raises(executor.DataValidationError, match=r"group feature 'speaker'"):
        _run(inputs, "speaker")


def test_duplicate_across_splits_stops_the_run(tmp_path):
    inputs = _artifacts(tmp_path, {"train": [_example("a", 1)], "eval": [_example("a", 1)]}, 10)
    with pytest.raises(executor.DataValidationError, match=r"1 exact duplicate"):
        _run(inputs)


def _rows(speaker: str, n: int, labels: range) -> list[tf.train.Example]:
    return [_example(speaker, i % 10, labels[i % len(labels)]) for i in range(n)]


# The case in small: speaker 'big' holds 95 % of the rows and landed in
# train; eval got speaker 'small' alone: 2 of 40 rows, and no example of class 1.
SKEWED = {"train": _rows("big", 38, range(2)), "eval": _rows("small", 2, range(1))}
SPLIT_4_1 = {"train": 4, "eval": 1, "max_share_deviation": 5, "min_eval_examples": 10}


def test_a_skewed_split_stops_the_run_with_the_numbers_and_the_fix(tmp_path):
    with pytest.raises(executor.DataValidationError) as e:
        _run(_artifacts(tmp_path, SKEWED, 10), "speaker", num_classes=2, **SPLIT_4_1)
    message = str(e.value)
    assert "[eval] 2 of 40 rows (5.0 %) where the split asks for 20.0 % (hash buckets train 4 : eval 1)" in message
    assert "[train] 38 of 40 rows (95.0 %) where the split asks for 80.0 %" in message
    assert "[eval] 2 rows, fewer than data.split.min_eval_examples = 10" in message
    assert "[eval] no example of class(es) 1 (of 0..1)" in message
    assert "group feature 'speaker' (distinct values per split: eval 1, train 1)" in message
    assert "data.split.check: warn" in message


def test_a_skewed_split_only_warns_when_configured_and_records_the_numbers(tmp_path):
    report = _run(_artifacts(tmp_path, SKEWED, 10), "speaker", num_classes=2, check="warn", **SPLIT_4_1)
    assert report.get_string_custom_property("split_check") == "warned"
    recorded = json.loads((Path(report.uri) / "split_check.json").read_text())
    assert recorded["check"] == "warn" and recorded["passed"] is False
    assert recorded["rows"] == {"train": 38, "eval": 2}
    assert recorded["configured_share"] == {"train": 80.0, "eval": 20.0}
    assert recorded["achieved_share"] == {"train": 95.0, "eval": 5.0}
    assert recorded["missing_classes"] == {"eval": [1], "train": []}
    assert len(recorded["problems"]) == 4


def test_warn_does_not_let_leakage_through(tmp_path):
    inputs = _artifacts(tmp_path, {"train": [_example("alice", 1)], "eval": [_example("alice", 2)]}, 10)
    with pytest.raises(executor.DataValidationError, match=r"group feature 'speaker'"):
        _run(inputs, "speaker", check="warn")


def test_a_class_with_no_training_example_stops_the_run(tmp_path):
    splits = {"train": _rows("a", 40, range(0, 3, 2)), "eval": _rows("b", 10, range(3))}
    with pytest.raises(executor.DataValidationError, match=r"\[train\] no example of class\(es\) 1 \(of 0..2\); "
                       r"the model cannot learn them[\s\S]*fix: add data \(every class in each split\)"):
        _run(_artifacts(tmp_path, splits, 10), num_classes=3, **SPLIT_4_1)


def test_a_split_within_tolerance_passes_and_records_its_numbers(tmp_path):
    splits = {"train": _rows("a", 42, range(3)), "eval": _rows("b", 8, range(3))}
    report = _run(_artifacts(tmp_path, splits, 10), num_classes=3, **{**SPLIT_4_1, "min_eval_examples": 8})
    assert report.get_string_custom_property("split_check") == "passed"
    recorded = json.loads((Path(report.uri) / "split_check.json").read_text())
    assert recorded["achieved_share"] == {"train": 84.0, "eval": 16.0} and recorded["problems"] == []
    # Rows per class, for the run report.
    assert recorded["label_counts"] == {"eval": {"0": 3, "1": 3, "2": 2}, "train": {"0": 14, "1": 14, "2": 14}}

