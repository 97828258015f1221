"""Releaser component spec: the last gate, and the release record.

A model becomes a release only when the Evaluator blessed it (thresholds and
the overall change against the latest release, on the same eval data), no
slice with enough examples lost more than the configured accuracy against
that release, and the converter and firmware builder released firmware for
every configured target. The release (release.json plus each target's
firmware, every sha256 checked) goes into the release store (a local folder
or gs://) through tinyml.releases.store, which reads the firmware from the
artifact's URI (a local path, or gs:// on Kubeflow); the output artifact
records the outcome in ML Metadata, and the latest released one is the
Evaluator's next baseline (pipelines/resolvers.py).

    releaser = Releaser(model=..., model_blessing=evaluator.outputs["blessing"],
                        evaluation=evaluator.outputs["evaluation"], firmware=firmware.outputs["firmware"],
                        examples=<the examples trained on>, store=..., targets=config.targets, ...)
    releaser.outputs["release"]  # custom properties: released, version, model_artifact_id, reason, spans
"""
import json

from tfx import types
from tfx.dsl.components.base import base_component, executor_spec
from tfx.types import standard_artifacts
from tfx.types.component_spec import ChannelParameter, ExecutionParameter

from components.artifact_types import Firmware, ReleaseRecord
from components.parameters import json_list
from components.releaser import executor


class ReleaserSpec(types.ComponentSpec):
    PARAMETERS = {
        "store": ExecutionParameter(type=str),
        "pipeline": ExecutionParameter(type=str),
        "targets": ExecutionParameter(type=str),  # JSON list: every one must have firmware
        "min_slice_examples": ExecutionParameter(type=int),
        # JSON number or null: no per-slice gate.
        "max_slice_accuracy_decrease": ExecutionParameter(type=str),
    }
    INPUTS = {
        "model": ChannelParameter(type=standard_artifacts.Model),
        "model_blessing": ChannelParameter(type=standard_artifacts.ModelBlessing),
        "evaluation": ChannelParameter(type=standard_artifacts.ModelEvaluation),
        "firmware": ChannelParameter(type=Firmware),
        # The spans the model was trained on (ExampleGen's span property).
        "examples": ChannelParameter(type=standard_artifacts.Examples),
    }
    OUTPUTS = {"release": ChannelParameter(type=ReleaseRecord)}


class Releaser(base_component.BaseComponent):
    SPEC_CLASS = ReleaserSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)

    def __init__(self, model, model_blessing, evaluation, firmware, examples, *, store: str, pipeline: str,
                 targets, min_slice_examples: int, max_slice_accuracy_decrease: float | None):
        super().__init__(spec=ReleaserSpec(
            model=model, model_blessing=model_blessing, evaluation=evaluation, firmware=firmware, examples=examples,
            store=store, pipeline=pipeline, targets=json_list(targets),
            min_slice_examples=min_slice_examples,
            max_slice_accuracy_decrease=json.dumps(max_slice_accuracy_decrease),
            release=types.Channel(type=ReleaseRecord),
        ))
