"""ReleaseBaseline: the model of the latest release, as a Model artifact, for the Evaluator on Kubeflow.

Locally, a Resolver (LatestReleasedModelStrategy) finds that model in ML
Metadata. The Kubeflow Pipelines backend runs no Resolver node, so on
Kubeflow this component reads the release store instead, where the Releaser
records each release's model, and copies that model into its output; before
the first release the output holds only a NO_RELEASE marker, which
components/release_evaluator reads as no baseline, as TFX's Evaluator does
when a resolver finds nothing.

    baseline = ReleaseBaseline(store="gs://bucket/releases", pipeline=config.name)
    evaluator = ReleaseEvaluator(examples=..., model=..., baseline_model=baseline.outputs["model"], ...)
"""
from tfx import types
from tfx.dsl.components.base import base_component, executor_spec
from tfx.types import standard_artifacts
from tfx.types.component_spec import ChannelParameter, ExecutionParameter

from components.release_baseline import executor


class ReleaseBaselineSpec(types.ComponentSpec):
    PARAMETERS = {
        "store": ExecutionParameter(type=str),
        "pipeline": ExecutionParameter(type=str),
    }
    INPUTS = {}
    OUTPUTS = {"model": ChannelParameter(type=standard_artifacts.Model)}


class ReleaseBaseline(base_component.BaseComponent):
    SPEC_CLASS = ReleaseBaselineSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)

    def __init__(self, *, store: str, pipeline: str):
        super().__init__(spec=ReleaseBaselineSpec(
            store=store, pipeline=pipeline, model=types.Channel(type=standard_artifacts.Model),
        ))

