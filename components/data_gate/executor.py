"""DataGate executor: reads ExampleValidator's anomalies and the split examples."""
from __future__ import annotations

import json
import os

import tensorflow as tf
from absl import logging
from tensorflow_data_validation.utils import anomalies_util
from tfx.dsl.components.base import base_executor
from tfx.types import artifact_utils, standard_artifact_utils

from tinyml.config import SplitConfig
from tinyml.data import leakage, split_check
from tinyml.errors import TinymlError
from tinyml.file_names import SPLIT_CHECK_FILE


class DataValidationError(TinymlError):
    """The data is not fit to train on; the run stops before Transform."""


def anomaly_lines(anomalies_uri: str, splits: list[str]) -> list[str]:
    """One readable line per anomaly: split, feature, what was expected and seen."""
    lines = []
    for split in splits:
        path = os.path.join(anomalies_uri, f"Split-{split}", "SchemaDiff.pb")
        if not tf.io.gfile.exists(path):
            continue
        for feature, info in sorted(anomalies_util.load_anomalies_binary(path).anomaly_info.items()):
            details = "; ".join(r.description for r in info.reason if r.description) or info.description
            lines.append(f"[{split}] feature '{feature}': {info.short_description}: {details}")
    return lines


def _records(examples_uri: str, split: str):
    files = tf.io.gfile.glob(os.path.join(examples_uri, f"Split-{split}", "*"))
    # In batches: a tensor per record costs more than the check does with it.
    for batch in tf.data.TFRecordDataset(files, compression_type="GZIP").batch(leakage.BATCH_SIZE).as_numpy_iterator():
        yield from batch


class Executor(base_executor.BaseExecutor):
    def Do(self, input_dict, output_dict, exec_properties):
        anomalies = artifact_utils.get_single_instance(input_dict["anomalies"])
        examples = artifact_utils.get_single_instance(input_dict["examples"])
        group_feature = exec_properties.get("group_feature") or None
        split = SplitConfig(**json.loads(exec_properties["split"]))

        problems = anomaly_lines(anomalies.uri, standard_artifact_utils.decode_split_names(anomalies.split_names))
        splits = standard_artifact_utils.decode_split_names(examples.split_names)
        report = leakage.check_splits(
            {s: _records(examples.uri, s) for s in splits}, group_feature, exec_properties["label_feature"]
        )
        problems += report.describe(group_feature)
        achieved = split_check.check_split(report.counts, report.label_counts, split, exec_properties["num_classes"])
        logging.info("DataGate: examples per split %s, %d problem(s), split check: %s",
                     report.counts, len(problems), achieved.problems or "passed")
        fixes = ["fix the data (or, if the change is intended, update the curated schema) and run again"] if problems else []
        if achieved.problems and split.check == "stop":
            problems += achieved.problems
            fixes.append(split_check.fix(group_feature, report.group_counts))
        if problems:
            raise DataValidationError(
                "the data failed validation; the run stopped before training:\n  " + "\n  ".join(problems),
                fix="; ".join(fixes),
            )
        for line in achieved.problems:
            logging.warning("DataGate: split check (data.split.check: warn): %s", line)
        out = artifact_utils.get_single_instance(output_dict["report"])
        out.set_string_custom_property("split_check", "warned" if achieved.problems else "passed")
        with tf.io.gfile.GFile(os.path.join(out.uri, SPLIT_CHECK_FILE), "w") as f:
            # Rows per class and split too: the run report shows them (TFDV keeps only histograms of an int label).
            label_counts = {s: dict(sorted(c.items())) for s, c in sorted(report.label_counts.items())}
            f.write(json.dumps({"check": split.check, **achieved.as_dict(), "label_counts": label_counts}, indent=2))
