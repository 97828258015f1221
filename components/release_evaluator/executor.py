"""The Evaluator executor that reads ReleaseBaseline's NO_RELEASE marker as no baseline."""
from __future__ import annotations

from tfx.components.evaluator import executor as evaluator_executor
from tfx.types import standard_component_specs

from components.release_baseline.executor import has_no_release


class Executor(evaluator_executor.Executor):
    def Do(self, input_dict, output_dict, exec_properties):
        key = standard_component_specs.BASELINE_MODEL_KEY
        baseline = input_dict.get(key) or []
        if baseline and has_no_release(baseline[0]):
            # TFX's Evaluator without a baseline: value thresholds only, change thresholds skipped.
            input_dict = {**input_dict, key: []}
        super().Do(input_dict, output_dict, exec_properties)
