"""DriftGate executor: TFDV drift comparators between the new span and the reference span,
and skew comparators between the new span and serving data, when there is some.

The reference comes from the resolver (input `reference`), or, with
`reference_store` (Kubeflow), from the pointer file there, which the gate
rewrites after a span passes: the same "last accepted span" without ML Metadata.
"""
from __future__ import annotations

import json
import os

import tensorflow as tf
import tensorflow_data_validation as tfdv
from absl import logging
from tensorflow_metadata.proto.v0 import anomalies_pb2, schema_pb2
from tfx.dsl.components.base import base_executor
from tfx.types import artifact_utils
from tfx.utils import io_utils

from tinyml.artifact_properties import SPAN
from tinyml.artifact_properties import span as span_of
from tinyml.errors import TinymlError
from tinyml.file_names import DRIFT_FILE

SPLIT = "train"
STATS_FILE = "FeatureStats.pb"
# In `reference_store`: {"span": N, "statistics": URI of the accepted span's FeatureStats.pb}.
REFERENCE_FILE = "reference.json"


class DataDriftError(TinymlError):
    """The new span's data moved away from the last accepted span's; the run stops before Transform."""


def with_comparators(
    schema: schema_pb2.Schema, thresholds: dict, skew_features: set[str] | None = None
) -> schema_pb2.Schema:
    """A copy of `schema` with a drift comparator on each checked feature, and a skew
    comparator on those of them in `skew_features` (the features serving data has)."""
    schema = schema_pb2.Schema.FromString(schema.SerializeToString())
    wanted = set(thresholds.get("features") or [f.name for f in schema.feature])
    unknown = wanted - {f.name for f in schema.feature}
    if unknown:
        raise TinymlError(
            f"drift check: feature(s) {sorted(unknown)} are not in the schema",
            fix="fix 'data.drift.features' in the config",
        )
    for feature in schema.feature:
        if feature.name not in wanted:
            continue
        limit = thresholds.get("thresholds", {}).get(feature.name)
        comparators = [feature.drift_comparator]
        if skew_features and feature.name in skew_features:
            comparators.append(feature.skew_comparator)
        for comparator in comparators:
            if feature.type == schema_pb2.BYTES:
                comparator.infinity_norm.threshold = limit or thresholds["infinity_norm"]
            else:
                comparator.jensen_shannon_divergence.threshold = limit or thresholds["jensen_shannon"]
    return schema


def measurements(anomalies: anomalies_pb2.Anomalies) -> list[dict]:
    """Every distance TFDV measured, by feature: {feature, kind (drift|skew), type, value, threshold}."""
    return [
        {"feature": ".".join(d.path.step), "kind": kind,
         "type": anomalies_pb2.DriftSkewInfo.Measurement.Type.Name(m.type), "value": m.value, "threshold": m.threshold}
        for d in sorted(anomalies.drift_skew_info, key=lambda d: tuple(d.path.step))
        for kind in ("drift", "skew")
        for m in getattr(d, f"{kind}_measurements")
    ]


def comparator_lines(anomalies: anomalies_pb2.Anomalies) -> tuple[list[str], list[str]]:
    """(drift, skew): one line per feature over a threshold, with the distance and the threshold."""
    def lines(kind):
        return [
            f"feature '{m['feature']}': {m['type']} {m['value']:.3f} > {m['threshold']:g}"
            for m in measurements(anomalies) if m["kind"] == kind and m["value"] > m["threshold"]
        ]
    return lines("drift"), lines("skew")


def read_reference(store: str) -> tuple[str, int | None] | None:
    """(statistics URI, span) the pointer in `store` names, or None before the first span passed."""
    path = os.path.join(store, REFERENCE_FILE)
    if not tf.io.gfile.exists(path):
        return None
    with tf.io.gfile.GFile(path) as f:
        pointer = json.load(f)
    return pointer["statistics"], pointer["span"]


def write_reference(store: str, statistics: str, span: int | None) -> None:
    # Written aside then renamed: a reader sees the old pointer or the new one, never half a file.
    tf.io.gfile.makedirs(store)
    tmp = os.path.join(store, f".{REFERENCE_FILE}.incoming")
    with tf.io.gfile.GFile(tmp, "w") as f:
        json.dump({"span": span, "statistics": statistics}, f)
    tf.io.gfile.rename(tmp, os.path.join(store, REFERENCE_FILE), overwrite=True)


def _write_drift(uri: str, span, reference_span, serving_path, measured: list[dict]) -> None:
    tf.io.gfile.makedirs(uri)
    with tf.io.gfile.GFile(os.path.join(uri, DRIFT_FILE), "w") as f:
        json.dump({"span": span, "reference_span": reference_span, "serving_path": serving_path,
                   "measurements": measured}, f, indent=2)


class Executor(base_executor.BaseExecutor):
    def Do(self, input_dict, output_dict, exec_properties):
        thresholds = json.loads(exec_properties["thresholds"])
        statistics = artifact_utils.get_single_instance(input_dict["statistics"])
        examples = artifact_utils.get_single_instance(input_dict["examples"])
        schema = io_utils.SchemaReader().read(
            io_utils.get_only_uri_in_dir(artifact_utils.get_single_uri(input_dict["schema"]))
        )
        references = input_dict.get("reference") or []
        baseline = artifact_utils.get_single_instance(output_dict["baseline"])
        current_path = os.path.join(statistics.uri, f"Split-{SPLIT}", STATS_FILE)
        span = span_of(examples)
        serving_path = exec_properties.get("serving_path") or None
        store = exec_properties.get("reference_store") or None
        if store:
            reference = read_reference(store)
        else:
            reference = (os.path.join(references[0].uri, STATS_FILE), span_of(references[0])) if references else None

        previous = tfdv.load_stats_binary(reference[0]) if reference else None
        serving = tfdv.generate_statistics_from_csv(serving_path) if serving_path else None
        if previous is None and serving is None:
            logging.info("DriftGate: span %s is the first and there is no serving data: nothing to compare with", span)
        else:
            skew_features = {f.path.step[0] for f in serving.datasets[0].features} if serving else None
            found = tfdv.validate_statistics(
                tfdv.load_stats_binary(current_path), with_comparators(schema, thresholds, skew_features),
                previous_statistics=previous, serving_statistics=serving,
            )
            # Written before the verdict: the report shows the distances of a passing span too.
            _write_drift(baseline.uri, span, reference[1] if reference else None, serving_path, measurements(found))
            drift, skew = comparator_lines(found)
            logging.info("DriftGate: span %s: %d drifted, %d skewed feature(s)", span, len(drift), len(skew))
            heads = []
            if drift:
                heads.append(f"span {span} drifted from span {reference[1]} (the last accepted one)")
            if skew:
                heads.append(f"span {span}'s training data is skewed against the serving data {serving_path}")
            if heads:
                lines = [f"drift: {line}" for line in drift] + [f"skew: {line}" for line in skew]
                raise DataDriftError(
                    " and ".join(heads) + "; the run stopped before training:\n  " + "\n  ".join(lines),
                    fix="find what changed in the data (sensor, pipeline, population); if the change is real "
                    "and wanted, raise 'data.drift' thresholds for those features",
                )
        # gfile: the artifact root may be gs:// on Kubeflow.
        tf.io.gfile.makedirs(baseline.uri)
        tf.io.gfile.copy(current_path, os.path.join(baseline.uri, STATS_FILE), overwrite=True)
        if span is not None:
            baseline.set_int_custom_property(SPAN, span)
        if store:
            write_reference(store, os.path.join(baseline.uri, STATS_FILE), span)
