"""TFLMConverter executor: the tinyml.converter sequence on TFX artifacts."""
from __future__ import annotations

import json
import os
from pathlib import Path

from absl import logging
from tfx.dsl.components.base import base_executor
from tfx.types import artifact_utils

from tinyml.artifact_properties import is_blessed
from tinyml.audio.tf_frontend import load_op
from tinyml.audio.wav_example import AUDIO_KEY
from tinyml.config import ConverterConfig, KwsConfig
from tinyml.converter import examples_io, float_model
from tinyml.converter.conversion import EvalData, convert
from tinyml.converter.report import write_report
from tinyml.profiles import get_profile, profiles_from_json

SERVING_DIR = "Format-Serving"


def _config(exec_properties) -> ConverterConfig:
    return ConverterConfig(**{k: exec_properties[k] for k in ConverterConfig.model_fields})


def _bless(artifact, blessed: bool, targets: list[str]) -> None:
    artifact.set_int_custom_property("blessed", int(blessed))
    artifact.set_string_custom_property("blessed_targets", json.dumps(targets))
    # The marker file the standard Evaluator writes, for tools that look for it.
    Path(artifact.uri).mkdir(parents=True, exist_ok=True)
    (Path(artifact.uri) / ("BLESSED" if blessed else "NOT_BLESSED")).write_text("")


class Executor(base_executor.BaseExecutor):
    def Do(self, input_dict, output_dict, exec_properties):
        model = artifact_utils.get_single_instance(input_dict["model"])
        evaluator_blessing = artifact_utils.get_single_instance(input_dict["model_blessing"])
        transform_graph = artifact_utils.get_single_instance(input_dict["transform_graph"])
        examples = input_dict["examples"]
        out = Path(artifact_utils.get_single_instance(output_dict["tflite_model"]).uri)
        firmware_blessing = artifact_utils.get_single_instance(output_dict["firmware_blessing"])
        out.mkdir(parents=True, exist_ok=True)

        if not is_blessed(evaluator_blessing):
            reason = f"the Evaluator did not bless model {model.uri}; not converted"
            logging.warning("TFLMConverter: %s", reason)
            write_report(out, {"blessed": False, "blessed_targets": [], "reasons": [reason]})
            _bless(firmware_blessing, False, [])
            return

        import tensorflow_transform as tft

        if exec_properties.get("audio"):
            load_op()  # the SavedModel's serving signature holds the frontend op

        config = _config(exec_properties)
        label = exec_properties["label_key"]
        slices = json.loads(exec_properties["slice_features"])
        user_profiles = profiles_from_json(exec_properties.get("profiles"))
        targets = [get_profile(name, user_profiles) for name in json.loads(exec_properties["targets"])]
        net = float_model.from_saved_model(os.path.join(model.uri, SERVING_DIR), float_model.TRANSFORMED_SIGNATURE)
        spec = tft.TFTransformOutput(transform_graph.uri).transformed_feature_spec()
        train_dir = artifact_utils.get_split_uri(examples, "train")
        eval_dir = artifact_utils.get_split_uri(examples, "eval")

        representative = examples_io.sample_split(train_dir, spec, net.input_name, config.representative_examples)
        kws = KwsConfig.model_validate_json(exec_properties["kws"]) if exec_properties.get("kws") else None
        # An audio model's raw clips pass through Transform beside its features (audio_vectors.npz).
        raw = [AUDIO_KEY] if exec_properties.get("audio") else []
        columns = examples_io.read_split(eval_dir, spec, [net.input_name, *raw], [label, *slices])
        eval_data = EvalData(columns[net.input_name], columns[label], {s: columns[s] for s in slices},
                             source=eval_dir, samples=columns[AUDIO_KEY] if raw else None)
        report = convert(net, representative, train_dir, eval_data, config, targets, out,
                         progress=lambda step: logging.info("TFLMConverter: %s", step),
                         min_slice_examples=exec_properties["min_slice_examples"], kws=kws)
        for reason in report["reasons"]:
            logging.warning("TFLMConverter: firmware blessing withheld: %s", reason)
        _bless(firmware_blessing, report["blessed"], report["blessed_targets"])
