"""For tests: the Evaluator's own TFMA config run for real on given predictions.

TFMA reads the predictions from each example's features (no model), so a test
chooses exactly which classes are predicted where, and gets the same kind of
evaluation artifact the Evaluator writes.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from pipelines.eval_config import PREDICTION_KEY, build_eval_config
from tinyml.config import PipelineConfig
from tinyml.runs import evaluation as evaluation_results


def _example(label: int, probabilities: np.ndarray, label_key: str, slices: dict[str, str]) -> bytes:
    import tensorflow as tf

    feature = {
        label_key: tf.train.Feature(int64_list=tf.train.Int64List(value=[int(label)])),
        PREDICTION_KEY: tf.train.Feature(float_list=tf.train.FloatList(value=probabilities.tolist())),
        **{k: tf.train.Feature(bytes_list=tf.train.BytesList(value=[v.encode()])) for k, v in slices.items()},
    }
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def evaluate_predictions(out_dir: Path, config: PipelineConfig, labels: np.ndarray, probabilities: np.ndarray,
                         slices: dict[str, list[str]]) -> str:
    """Runs build_eval_config(config) with TFMA over (label, probabilities, slice values) rows; returns the output URI."""
    import tensorflow as tf
    import tensorflow_model_analysis as tfma

    out_dir.mkdir(parents=True, exist_ok=True)
    data = out_dir / "examples.tfrecord"
    with tf.io.TFRecordWriter(str(data)) as writer:
        for i, (label, row) in enumerate(zip(labels, probabilities)):
            writer.write(_example(label, np.asarray(row, np.float32), config.data.label,
                                  {k: v[i] for k, v in slices.items()}))
    eval_config = build_eval_config(config)
    # No baseline here, and run_model_analysis cannot rubber-stamp as the
    # Evaluator does on a first run: the change threshold has nothing to compare with.
    for spec in eval_config.metrics_specs:
        for metric in spec.metrics:
            metric.threshold.ClearField("change_threshold")
    output = out_dir / "evaluation"
    tfma.run_model_analysis(eval_config=eval_config, data_location=str(data),
                            file_format="tfrecords", output_path=str(output))
    return str(output)


def stored_per_class(evaluation_uri: str) -> dict[str, dict[int, tuple[float, float, float]]]:
    """TFMA's own stored (precision, recall, F1) per slice and class, NaN where TFMA found 0/0."""
    out = {}
    # The reader's own load (the candidate's results when there is a baseline), before any reading of them.
    for key, metrics in evaluation_results._eval_result(evaluation_uri).slicing_metrics:
        out[evaluation_results.slice_name(key)] = {
            evaluation_results.class_id(sub): tuple(float(values[n]["doubleValue"]) for n in ("precision", "recall", "f1_score"))
            for sub, values in metrics[""].items() if evaluation_results.class_id(sub) is not None
        }
    return out
