"""ReleaseEvaluator: TFX's Evaluator, for a baseline that comes from ReleaseBaseline.

On Kubeflow, where no Resolver runs, ReleaseBaseline hands the Evaluator
either the latest release's model or a NO_RELEASE marker; this Evaluator
reads the marker as no baseline (value thresholds only), as TFX's does when
a resolver finds nothing. The pipeline gives it the node id "Evaluator".
"""
from tfx.components.evaluator.component import Evaluator
from tfx.dsl.components.base import executor_spec

from components.release_evaluator import executor


class ReleaseEvaluator(Evaluator):
    """TFX's Evaluator, reading a ReleaseBaseline output with the NO_RELEASE marker as no baseline."""

    EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(executor.Executor)
