"""DriftGate executor: TFDV drift comparators between the new span and the reference span."""
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

from tinyml.errors import TinymlError

SPLIT = "train"
STATS_FILE = "FeatureStats.pb"
SPAN_PROPERTY = "span"
_DRIFT_TYPES = (
    anomalies_pb2.AnomalyInfo.COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH,
    anomalies_pb2.AnomalyInfo.COMPARATOR_L_INFTY_HIGH,
)


class DataDriftError(TinymlError):
    """The new span's data moved away from the last accepted span's; the run stops before Transform."""


def with_drift_comparators(schema: schema_pb2.Schema, thresholds: dict) -> schema_pb2.Schema:
    """A copy of `schema` with a drift comparator on each checked feature."""
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
        if feature.type == schema_pb2.BYTES:
            feature.drift_comparator.infinity_norm.threshold = limit or thresholds["infinity_norm"]
        else:
            feature.drift_comparator.jensen_shannon_divergence.threshold = limit or thresholds["jensen_shannon"]
    return schema


def drift_lines(anomalies: anomalies_pb2.Anomalies) -> list[str]:
    """One line per drifted feature: its name, the distance and the threshold."""
    measured = {
        d.path.step[0]: m for d in anomalies.drift_skew_info for m in d.drift_measurements if m.value > m.threshold
    }
    lines = []
    for feature, info in sorted(anomalies.anomaly_info.items()):
        if any(r.type in _DRIFT_TYPES for r in info.reason):
            m = measured.get(feature)
            kind = anomalies_pb2.DriftSkewInfo.Measurement.Type.Name(m.type) if m else "drift"
            detail = f"{kind} {m.value:.3f} > {m.threshold:g}" if m else info.description
            lines.append(f"feature '{feature}': {detail}")
    return lines


def _span(artifact) -> int | None:
    # ExampleGen records the span as a custom property.
    return artifact.get_int_custom_property(SPAN_PROPERTY) if artifact.has_custom_property(SPAN_PROPERTY) else None


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
        span = _span(examples)

        if references:
            reference = references[0]
            previous = tfdv.load_stats_binary(os.path.join(reference.uri, STATS_FILE))
            found = tfdv.validate_statistics(
                tfdv.load_stats_binary(current_path), with_drift_comparators(schema, thresholds),
                previous_statistics=previous,
            )
            problems = drift_lines(found)
            logging.info("DriftGate: span %s vs span %s: %d drifted feature(s)", span, _span(reference), len(problems))
            if problems:
                raise DataDriftError(
                    f"span {span} drifted from span {_span(reference)} (the last accepted one); "
                    "the run stopped before training:\n  " + "\n  ".join(problems),
                    fix="find what changed in the data (sensor, pipeline, population); if the change is real "
                    "and wanted, raise 'data.drift' thresholds for those features",
                )
        else:
            logging.info("DriftGate: span %s is the first: nothing to compare with", span)
        # gfile: the artifact root may be gs:// on Kubeflow.
        tf.io.gfile.makedirs(baseline.uri)
        tf.io.gfile.copy(current_path, os.path.join(baseline.uri, STATS_FILE), overwrite=True)
        if span is not None:
            baseline.set_int_custom_property(SPAN_PROPERTY, span)
