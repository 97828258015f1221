"""DataGate component spec.

ExampleValidator records anomalies but lets the run go on; this gate fails the
run on any, and on train/eval leakage (a group in two splits, an exact
duplicate straddling them), before Transform or Trainer sees the data.
Wire it upstream of Transform: `transform.add_upstream_node(gate)`.
"""
from tfx import types
from tfx.dsl.components.base import base_component, executor_spec
from tfx.types import standard_artifacts
from tfx.types.component_spec import ChannelParameter, ExecutionParameter

from components.data_gate import executor


class DataGateSpec(types.ComponentSpec):
    PARAMETERS = {
        # Feature whose values (speaker, device, subject) must not span splits.
        "group_feature": ExecutionParameter(type=str, optional=True),
    }
    INPUTS = {
        "examples": ChannelParameter(type=standard_artifacts.Examples),
        "anomalies": ChannelParameter(type=standard_artifacts.ExampleAnomalies),
    }
    OUTPUTS = {}


class DataGate(base_component.BaseComponent):
    SPEC_CLASS = DataGateSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)

    def __init__(self, examples: types.BaseChannel, anomalies: types.BaseChannel, group_feature: str | None = None):
        super().__init__(spec=DataGateSpec(examples=examples, anomalies=anomalies, group_feature=group_feature))
