"""WavExampleGen's executor: TFX's file-based ExampleGen with WAV files as the input source.

Beam matches the split pattern under input_base (a local folder or a gs://
URI, through Beam's file systems) and reads one file per element, so no
worker holds more than the clips it is converting (the match holds names). Each file becomes the tf.Example of tinyml.audio.wav_example
(the label rule and audio settings come in custom_config); TFX's base executor
then splits them (hash of the example or of the group feature) and writes them.
"""
from __future__ import annotations

import json
import os
from typing import Any

import apache_beam as beam
from apache_beam.io import fileio
from apache_beam.io.filesystem import CompressionTypes, FileMetadata
from apache_beam.io.filesystems import FileSystems
import tensorflow as tf
from google.protobuf import wrappers_pb2
from tfx.components.example_gen.base_example_gen_executor import BaseExampleGenExecutor
from tfx.proto import example_gen_pb2
from tfx.types import standard_component_specs
from tfx.utils import proto_utils

from tinyml.audio.wav_example import wav_example
from tinyml.audio.wav_folder import check_names
from tinyml.audio.wav_labels import LabelRule
from tinyml.config import AudioConfig

# custom_config's keys: the LabelRule and the AudioConfig, as JSON; and the digest of the file names.
RULE_KEY = "label_rule"
AUDIO_CONFIG_KEY = "audio"
NAMES_KEY = "file_names_sha256"


def custom_config(rule: LabelRule, audio: AudioConfig, names_digest: str | None = None) -> example_gen_pb2.CustomConfig:
    """The executor's settings as FileBasedExampleGen carries them: JSON in a StringValue.

    `names_digest` is only for TFX's cache key: its fingerprint of the input
    counts the files, their bytes and times but not their names, which hold the labels.
    """
    config = example_gen_pb2.CustomConfig()
    text = json.dumps({RULE_KEY: rule.to_json(), AUDIO_CONFIG_KEY: audio.model_dump_json(), NAMES_KEY: names_digest},
                      sort_keys=True)
    config.custom_config.Pack(wrappers_pb2.StringValue(value=text))
    return config


def read_custom_config(exec_properties: dict[str, Any]) -> tuple[LabelRule, AudioConfig]:
    config = proto_utils.json_to_proto(exec_properties[standard_component_specs.CUSTOM_CONFIG_KEY],
                                       example_gen_pb2.CustomConfig())
    text = wrappers_pb2.StringValue()
    config.custom_config.Unpack(text)
    values = json.loads(text.value)
    return LabelRule.from_json(values[RULE_KEY]), AudioConfig.model_validate_json(values[AUDIO_CONFIG_KEY])


def _name(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def _sorted_matches(pattern: str) -> list[FileMetadata]:
    """The files matching `pattern` by path (a folder lists them in no set order): the examples keep
    one order, the pre-step's, so the Trainer's seeded shuffle and the run's results do too. Names only."""
    (result,) = FileSystems.match([pattern])
    return sorted(result.metadata_list, key=lambda m: m.path)


def _to_example(readable: fileio.ReadableFile, rule: LabelRule, audio: AudioConfig) -> tf.train.Example:
    with readable.open() as f:
        return tf.train.Example.FromString(wav_example(readable.metadata.path, rule, audio, f))


@beam.ptransform_fn
@beam.typehints.with_input_types(beam.Pipeline)
@beam.typehints.with_output_types(tf.train.Example)
def _WavToExample(pipeline: beam.Pipeline, exec_properties: dict[str, Any], split_pattern: str) -> beam.PCollection:
    """The files matching `split_pattern` under input_base that the label rule wants, one tf.Example each."""
    input_base = exec_properties[standard_component_specs.INPUT_BASE_KEY]
    rule, audio = read_custom_config(exec_properties)
    files = (pipeline
             | "Pattern" >> beam.Create([os.path.join(input_base, split_pattern)])
             | "MatchFiles" >> beam.FlatMap(_sorted_matches)
             | "Wanted" >> beam.Filter(lambda m: rule.wants(_name(m.path))))
    # Names only, never samples: an empty folder or a listed file that is missing fails the run.
    _ = (files
         | "Names" >> beam.Map(lambda m: _name(m.path))
         | "AllNames" >> beam.combiners.ToSet()
         | "CheckNames" >> beam.Map(lambda names: check_names(input_base, names, rule)))
    return (files
            | "Read" >> fileio.ReadMatches(compression=CompressionTypes.UNCOMPRESSED)
            | "ToExample" >> beam.Map(_to_example, rule, audio))


def _serialize(example: tf.train.Example) -> bytes:
    return example.SerializeToString(deterministic=True)


class Executor(BaseExampleGenExecutor):
    def GetInputSourceToExamplePTransform(self) -> beam.PTransform:
        return _WavToExample

    def GenerateExamplesByBeam(self, pipeline: beam.Pipeline, exec_properties: dict[str, Any]) -> dict:
        # The base class splits tf.train.Examples (by a feature) and would write them with SerializeToString(),
        # whose order of features is arbitrary: serialized here, the files hold wav_example's bytes exactly.
        splits = super().GenerateExamplesByBeam(pipeline, exec_properties)
        return {name: examples | f"Serialize[{name}]" >> beam.Map(_serialize) for name, examples in splits.items()}
