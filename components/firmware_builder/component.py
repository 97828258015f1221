"""FirmwareBuilder component spec.

For each configured target profile the converter blessed: generate the
model's C plan, compile and link it with arm-none-eabi-gcc within the part's
real flash/RAM, verify every output byte against the converter's test vectors
in qemu-system-arm (emulated targets), and release firmware.elf/.bin/.hex and
manifest.json under `<firmware.uri>/<target>/`. With `audio` (an audio model),
the firmware takes raw PCM through the audio frontend, and the converter's raw
eval clips (audio_vectors.npz) must give the int8 model's outputs byte for
byte in QEMU. A target that is over budget or fails verification gets no firmware; the component fails if no target does.
An unblessed model (converter's firmware_blessing) gets no firmware at all.

Usage in create_pipeline:

    firmware = FirmwareBuilder(
        tflite_model=converter.outputs["tflite_model"],
        firmware_blessing=converter.outputs["firmware_blessing"],
        targets=config.targets,
        model=trainer.outputs["model"],                     # lineage
        examples=example_gen.outputs["examples"],           # lineage
        evaluation=evaluator.outputs["evaluation"],         # metrics in the manifests
    )
    firmware.outputs["firmware"]  # <uri>/<target>/firmware.elf|.bin|.hex|manifest.json,
                                  # <uri>/firmware_report.json (released/failed/skipped)
"""
from tfx import types
from tfx.dsl.components.base import base_component, executor_spec
from tfx.orchestration.data_types import RuntimeParameter
from tfx.types import standard_artifacts
from tfx.types.component_spec import ChannelParameter, ExecutionParameter

from components.artifact_types import Firmware, TFLiteModel
from components.firmware_builder import executor
from components.parameters import json_list


class FirmwareBuilderSpec(types.ComponentSpec):
    PARAMETERS = {
        # JSON list of target profile names (firmware/profiles.yaml).
        "targets": ExecutionParameter(type=str),
        # JSON of the user's own target profiles by name (tinyml.profiles.profiles_to_json).
        "profiles": ExecutionParameter(type=str, optional=True),
        # Seconds one emulated verification run may take before it counts as hung.
        "verification_timeout_s": ExecutionParameter(type=int, optional=True),
        # JSON of the model's AudioConfig (config.data.audio): the firmware then takes raw PCM, and the
        # converter's audio_vectors.npz clips are checked through the whole device.
        "audio": ExecutionParameter(type=str, optional=True),
        # Prefix of the C names in each target's source package (config firmware.prefix); default tinyml_.
        "package_prefix": ExecutionParameter(type=str, optional=True),
    }
    INPUTS = {
        "tflite_model": ChannelParameter(type=TFLiteModel),
        "firmware_blessing": ChannelParameter(type=standard_artifacts.ModelBlessing),
        # Lineage only: their ids go into every manifest.
        "model": ChannelParameter(type=standard_artifacts.Model, optional=True),
        "examples": ChannelParameter(type=standard_artifacts.Examples, optional=True),
        # The Evaluator's metrics go into every manifest beside the converter's.
        "evaluation": ChannelParameter(type=standard_artifacts.ModelEvaluation, optional=True),
    }
    OUTPUTS = {"firmware": ChannelParameter(type=Firmware)}


class FirmwareBuilder(base_component.BaseComponent):
    SPEC_CLASS = FirmwareBuilderSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)

    def __init__(
        self,
        tflite_model: types.BaseChannel,
        firmware_blessing: types.BaseChannel,
        targets: list[str] | RuntimeParameter,
        model: types.BaseChannel | None = None,
        examples: types.BaseChannel | None = None,
        evaluation: types.BaseChannel | None = None,
        verification_timeout_s: int | None = None,
        profiles: str | None = None,
        audio: str | None = None,
        package_prefix: str | None = None,
    ):
        super().__init__(spec=FirmwareBuilderSpec(
            tflite_model=tflite_model,
            firmware_blessing=firmware_blessing,
            model=model,
            examples=examples,
            evaluation=evaluation,
            targets=json_list(targets),
            profiles=profiles,
            verification_timeout_s=verification_timeout_s,
            audio=audio,
            package_prefix=package_prefix,
            firmware=types.Channel(type=Firmware),
        ))
