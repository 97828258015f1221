"""DriftGate component spec: stops a run whose new span drifted from the last accepted span.

TFDV's drift comparators (Jensen-Shannon divergence for numeric features,
L-infinity distance for categorical ones) compare the new span's training
statistics with the reference: the statistics of the last span that passed
this gate, resolved from ML Metadata. A rejected span never becomes the
reference, so one bad span does not poison the next comparison. With serving
data (a CSV), TFDV's skew comparators also compare the new span with it.

On Kubeflow, whose backend runs no Resolver node, `reference_store` replaces
the resolver: the gate reads the reference from a pointer file there and
rewrites it when a span passes (see the executor).

Usage in create_pipeline:

    reference = tfx.dsl.Resolver(
        strategy_class=LatestBaselineStrategy,
        baseline=tfx.dsl.Channel(type=DataBaseline),
    ).with_id("drift_reference_resolver")
    gate = DriftGate(statistics=..., schema=..., examples=..., reference=reference.outputs["baseline"],
                     thresholds=config.data.drift)
    transform.add_upstream_node(gate)
    gate.outputs["baseline"]  # these statistics, the reference for the next span
"""
import json

from tfx import types
from tfx.dsl.components.base import base_component, executor_spec
from tfx.types import standard_artifacts
from tfx.types.component_spec import ChannelParameter, ExecutionParameter

from components.artifact_types import DataBaseline
from components.drift_gate import executor


class DriftGateSpec(types.ComponentSpec):
    PARAMETERS = {
        # JSON of tinyml.config.DriftConfig.
        "thresholds": ExecutionParameter(type=str),
        # CSV of serving data: training/serving skew with the same thresholds.
        "serving_path": ExecutionParameter(type=str, optional=True),
        # Folder (gs:// on Kubeflow) of the pointer to the last accepted span's statistics.
        "reference_store": ExecutionParameter(type=str, optional=True),
    }
    INPUTS = {
        "statistics": ChannelParameter(type=standard_artifacts.ExampleStatistics),
        "schema": ChannelParameter(type=standard_artifacts.Schema),
        # The span numbers come from here (ExampleGen's span property).
        "examples": ChannelParameter(type=standard_artifacts.Examples),
        "reference": ChannelParameter(type=DataBaseline, optional=True),
    }
    OUTPUTS = {"baseline": ChannelParameter(type=DataBaseline)}


class DriftGate(base_component.BaseComponent):
    SPEC_CLASS = DriftGateSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)

    def __init__(self, statistics, schema, examples, reference, thresholds: dict, serving_path: str | None = None,
                 reference_store: str | None = None):
        super().__init__(spec=DriftGateSpec(
            statistics=statistics, schema=schema, examples=examples, reference=reference,
            thresholds=json.dumps(thresholds, sort_keys=True), serving_path=serving_path,
            reference_store=reference_store,
            baseline=types.Channel(type=DataBaseline),
        ))
