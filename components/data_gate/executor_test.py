"""DataGate executor on real TFRecords and real TFDV anomalies."""
import os

import pytest
import tensorflow as tf
import tensorflow_data_validation as tfdv
from tensorflow_metadata.proto.v0 import schema_pb2
from tfx.types import standard_artifacts

from components.data_gate import executor


def _example(speaker: str, x: int) -> tf.train.Example:
    return tf.train.Example(
        features=tf.train.Features(
            feature={
                "speaker": tf.train.Feature(bytes_list=tf.train.BytesList(value=[speaker.encode()])),
                "x": tf.train.Feature(int64_list=tf.train.Int64List(value=[x])),
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


def _run(inputs, group_feature=None):
    executor.Executor().Do(inputs, {}, {"group_feature": group_feature})


def test_clean_data_passes(tmp_path):
    inputs = _artifacts(tmp_path, {"train": [_example("a", 1), _example("a", 2)], "eval": [_example("b", 3)]}, 10)
    _run(inputs, "speaker")


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
