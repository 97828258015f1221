"""The Evaluator's TFMA config: what "better" means for a model.

Overall, per slice feature and per class: accuracy, precision, recall, F1,
confusion matrix, example counts. A value threshold gates the blessing; a
change threshold against the latest blessed model refuses regressions.
"""
import tensorflow_model_analysis as tfma

from tinyml.config import PipelineConfig
from tinyml.runs.evaluation import ACCURACY

PREDICTION_KEY = "probabilities"


def _metric(name: str, **kwargs) -> tfma.MetricConfig:
    return tfma.MetricConfig(class_name=name, **kwargs)


def build_eval_config(config: PipelineConfig) -> tfma.EvalConfig:
    ev = config.evaluation
    accuracy_threshold = tfma.MetricThreshold(
        value_threshold=tfma.GenericValueThreshold(lower_bound={"value": ev.min_accuracy}),
        change_threshold=tfma.GenericChangeThreshold(
            direction=tfma.MetricDirection.HIGHER_IS_BETTER,
            absolute={"value": -ev.max_accuracy_decrease},
        ),
    )
    # top_k=1: a class counts as predicted when it is the arg-max, as on the
    # device; TFMA's default is a 0.5 probability threshold per class, which
    # leaves some examples predicted as no class at all. TFMA keeps the
    # arg-max score and sets every other class's to -inf, so threshold 0
    # (a softmax arg-max is always > 0) splits predicted from not.
    # The threshold must be explicit: top_k's default, -inf, makes TFMA count
    # from a histogram of its non-empty score buckets, and when all of a
    # slice's scores for a class fall in one bucket (the class never predicted,
    # or predicted for every example) it counts every example as predicted:
    # recall 1.0 for a class never predicted. TFMA's macro aggregation cannot
    # be combined with top_k, so the macro averages are taken from these
    # per-class values when results are read.
    per_class = [_metric(name, config='"top_k": 1, "thresholds": [0.0]') for name in ("Precision", "Recall", "F1Score")]
    return tfma.EvalConfig(
        model_specs=[
            tfma.ModelSpec(
                signature_name="serving_default",
                label_key=config.data.label,
                prediction_key=PREDICTION_KEY,
            )
        ],
        slicing_specs=[tfma.SlicingSpec()] + [tfma.SlicingSpec(feature_keys=[f]) for f in config.data.slice_features],
        metrics_specs=[
            tfma.MetricsSpec(
                metrics=[
                    _metric("ExampleCount"),
                    _metric("SparseCategoricalAccuracy", threshold=accuracy_threshold),
                    _metric("MultiClassConfusionMatrixPlot"),
                ]
            ),
            tfma.MetricsSpec(
                binarize=tfma.BinarizationOptions(class_ids={"values": list(range(config.data.num_classes))}),
                metrics=per_class,
            ),
        ],
    )
