"""DataGate component spec.

ExampleValidator records anomalies but lets the run go on; this gate fails the
run on any, and on train/eval leakage (a group in two splits, an exact
duplicate straddling them), before Transform or Trainer sees the data.
It also checks the split achieved (share of rows, classes, eval size) against
`data.split`, stopping or only warning as `data.split.check` says; its
`report` output (split_check.json) holds the numbers.
Wire it upstream of Transform: `transform.add_upstream_node(gate)`.
"""
import json

from tfx import types
from tfx.dsl.components.base import base_component, executor_spec
from tfx.types import standard_artifacts
from tfx.types.component_spec import ChannelParameter, ExecutionParameter

from components.artifact_types import DataGateReport
from components.data_gate import executor


class DataGateSpec(types.ComponentSpec):
    PARAMETERS = {
        # Feature whose values (speaker, device, subject) must not span splits.
        "group_feature": ExecutionParameter(type=str, optional=True),
        "label_feature": ExecutionParameter(type=str),
        "num_classes": ExecutionParameter(type=int),
        # JSON of tinyml.config.SplitConfig: the buckets and the check's settings.
        "split": ExecutionParameter(type=str),
    }
    INPUTS = {
        "examples": ChannelParameter(type=standard_artifacts.Examples),
        "anomalies": ChannelParameter(type=standard_artifacts.ExampleAnomalies),
    }
    OUTPUTS = {"report": ChannelParameter(type=DataGateReport)}


class DataGate(base_component.BaseComponent):
    SPEC_CLASS = DataGateSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)

    def __init__(self, examples: types.BaseChannel, anomalies: types.BaseChannel, label_feature: str,
                 num_classes: int, split: dict, group_feature: str | None = None):
        super().__init__(spec=DataGateSpec(
            examples=examples, anomalies=anomalies, group_feature=group_feature, label_feature=label_feature,
            num_classes=num_classes, split=json.dumps(split, sort_keys=True),
            report=types.Channel(type=DataGateReport),
        ))
