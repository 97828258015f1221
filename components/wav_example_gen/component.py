"""WavExampleGen: TFX's FileBasedExampleGen running the WAV executor on Beam.

    WavExampleGen(input_base=<WAV folder or gs:// URI>, input_pattern="*", output_config=...,
                  rule=label_rule(...), audio=config.data.audio)

Its driver fingerprints the files matching the pattern (their number, bytes
and modification times), so an unchanged folder gives a cached ExampleGen and
a changed file a new one. A renamed file keeps all three, and names carry
labels: `names_digest` (wav_folder.names_digest of a local folder) puts the
names in the cache key too.
"""
from __future__ import annotations

from tfx.components.example_gen.component import FileBasedExampleGen
from tfx.dsl.components.base import executor_spec
from tfx.orchestration.data_types import RuntimeParameter
from tfx.proto import example_gen_pb2

from components.wav_example_gen.executor import Executor, custom_config
from tinyml.audio.wav_labels import LabelRule
from tinyml.config import AudioConfig


def WavExampleGen(  # noqa: N802 (named as a component class)
    input_base: str | RuntimeParameter,
    output_config: example_gen_pb2.Output,
    rule: LabelRule,
    audio: AudioConfig,
    input_pattern: str = "*",
    names_digest: str | None = None,
) -> FileBasedExampleGen:
    return FileBasedExampleGen(
        input_base=input_base,
        input_config=example_gen_pb2.Input(splits=[example_gen_pb2.Input.Split(name="single_split",
                                                                               pattern=input_pattern)]),
        output_config=output_config,
        custom_config=custom_config(rule, audio, names_digest),
        custom_executor_spec=executor_spec.BeamExecutorSpec(Executor),
    )
