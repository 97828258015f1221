"""TFLMConverter component spec.

After the Evaluator: converts the blessed model's `serving_transformed`
signature to a full-int8 .tflite, checks its ops against the on-device
runtime, evaluates float vs int8 on Transform's eval split (overall, per
slice, per class), checks TFLM's outputs against TFLite's, plans memory,
probes TFLM's smallest arena and checks each target's flash/RAM budget.

Usage in create_pipeline:

    converter = TFLMConverter(
        model=trainer.outputs["model"],
        model_blessing=evaluator.outputs["blessing"],
        transform_graph=transform.outputs["transform_graph"],
        examples=transform.outputs["transformed_examples"],
        label_key=config.data.label,
        slice_features=config.data.slice_features,
        targets=config.targets,
        config=config.converter,          # tinyml.config.ConverterConfig
        min_slice_examples=config.evaluation.min_slice_examples,
        kws=config.evaluation.kws,         # KWS metrics and their gate (optional)
    )
    converter.outputs["tflite_model"]       # TFLiteModel: model.tflite, model_data.c/.h,
                                            # conversion_report.json, test_vectors.npz
    converter.outputs["firmware_blessing"]  # ModelBlessing: custom properties `blessed` (1/0),
                                            # `blessed_targets` (JSON list)
"""
import json
from typing import Sequence

from tfx import types
from tfx.dsl.components.base import base_component, executor_spec
from tfx.orchestration.data_types import RuntimeParameter
from tfx.types import standard_artifacts
from tfx.types.component_spec import ChannelParameter, ExecutionParameter

from components.artifact_types import TFLiteModel
from components.parameters import json_list
from components.tflm_converter import executor
from tinyml.config import ConverterConfig, EvaluationConfig, KwsConfig


class TFLMConverterSpec(types.ComponentSpec):
    PARAMETERS = {
        # ConverterConfig fields (tinyml.config).
        "representative_examples": ExecutionParameter(type=int),
        "max_accuracy_decrease": ExecutionParameter(type=float),
        "max_slice_accuracy_decrease": ExecutionParameter(type=float),
        "test_vectors": ExecutionParameter(type=int),
        # evaluation.min_slice_examples: smaller slices are not gated on.
        "min_slice_examples": ExecutionParameter(type=int),
        "label_key": ExecutionParameter(type=str),
        # JSON lists: slice feature names; target profile names (firmware/profiles.yaml).
        "slice_features": ExecutionParameter(type=str),
        "targets": ExecutionParameter(type=str),
        # JSON of the user's own target profiles by name (tinyml.profiles.profiles_to_json).
        "profiles": ExecutionParameter(type=str, optional=True),
        # JSON of evaluation.kws (tinyml.config.KwsConfig): FAR/FRR, DET curves and their gate.
        "kws": ExecutionParameter(type=str, optional=True),
        # JSON of AudioConfig.model_dump() for an audio model: the converter
        # also writes audio_vectors.npz (raw eval clips and the int8 outputs).
        "audio": ExecutionParameter(type=str, optional=True),
    }
    INPUTS = {
        "model": ChannelParameter(type=standard_artifacts.Model),
        "model_blessing": ChannelParameter(type=standard_artifacts.ModelBlessing),
        "transform_graph": ChannelParameter(type=standard_artifacts.TransformGraph),
        "examples": ChannelParameter(type=standard_artifacts.Examples),
    }
    OUTPUTS = {
        "tflite_model": ChannelParameter(type=TFLiteModel),
        "firmware_blessing": ChannelParameter(type=standard_artifacts.ModelBlessing),
    }


class TFLMConverter(base_component.BaseComponent):
    SPEC_CLASS = TFLMConverterSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)

    def __init__(
        self,
        model: types.BaseChannel,
        model_blessing: types.BaseChannel,
        transform_graph: types.BaseChannel,
        examples: types.BaseChannel,
        label_key: str,
        targets: Sequence[str] | RuntimeParameter,
        slice_features: Sequence[str] = (),
        config: ConverterConfig | None = None,
        profiles: str | None = None,
        min_slice_examples: int = EvaluationConfig().min_slice_examples,
        kws: KwsConfig | None = None,
        audio: str | None = None,
    ):
        config = config or ConverterConfig()
        super().__init__(spec=TFLMConverterSpec(
            model=model,
            model_blessing=model_blessing,
            transform_graph=transform_graph,
            examples=examples,
            label_key=label_key,
            slice_features=json.dumps(list(slice_features)),
            targets=json_list(targets),
            profiles=profiles,
            **config.model_dump(),
            min_slice_examples=min_slice_examples,
            kws=kws.model_dump_json() if kws else None,
            audio=audio,
            tflite_model=types.Channel(type=TFLiteModel),
            firmware_blessing=types.Channel(type=standard_artifacts.ModelBlessing),
        ))
