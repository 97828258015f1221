"""FirmwareBuilder executor: one release per blessed, configured target."""
from __future__ import annotations

import json
from pathlib import Path

from absl import logging
from tfx.dsl.components.base import base_executor
from tfx.types import artifact_utils

from tinyml.artifact_properties import custom_property, is_blessed, spans
from tinyml.c_prefix import DEFAULT_PREFIX
from tinyml.errors import TinymlError
from tinyml.firmware.qemu import DEFAULT_TIMEOUT_S
from tinyml.firmware.target_build import TestVectors, build_target
from tinyml.profiles import get_profile, profiles_from_json

REPORT_NAME = "firmware_report.json"
AUDIO_VECTORS_FILE = "audio_vectors.npz"  # the converter's raw eval clips, for an audio model


class FirmwareBuildError(TinymlError):
    """No target got firmware."""


def _blessing(artifact) -> tuple[bool, list[str] | None]:
    """(blessed, the targets the converter found in budget; None = not stated)."""
    blessed = is_blessed(artifact)
    targets = custom_property(artifact, "blessed_targets")
    return blessed, (json.loads(targets) if targets else None)


def evaluator_metrics(uri: str) -> dict:
    """The Evaluator's metrics per slice, as the run summary has them: {slice: {metric: value, per_class}}."""
    from tinyml.runs import evaluation

    return {name: m.as_dict() for name, m in evaluation.load_slice_metrics(uri).items()}


def _optional_single(input_dict, key):
    artifacts = input_dict.get(key) or []
    return artifacts[0] if artifacts else None


def _audio_build(audio_json: str | None, src: Path, metrics: dict):
    """For an audio model: build_target for firmware that takes raw PCM, checked on the converter's clips."""
    if not audio_json:
        return None
    from tinyml.audio.kws_firmware import AudioVectors, build_audio_target
    from tinyml.config import AudioConfig

    audio = AudioConfig.model_validate_json(audio_json)
    clips_file = src / AUDIO_VECTORS_FILE
    if not clips_file.is_file():
        raise TinymlError(f"{src} holds no {AUDIO_VECTORS_FILE}: the audio firmware cannot be checked on raw clips",
                          fix="re-run the converter (it writes the eval clips for a 'wav' data config)")
    clips = AudioVectors.load(clips_file)
    evaluator_accuracy = metrics["evaluator"].get("overall", {}).get("accuracy")

    def build(tflite, profile, out_dir, **options):
        return build_audio_target(tflite, profile, out_dir, audio, audio_vectors=clips,
                                  evaluator_accuracy=evaluator_accuracy, **options)

    return build


class Executor(base_executor.BaseExecutor):
    def _lineage(self, input_dict, tflite_artifact) -> dict:
        ctx = self._context
        model, examples = _optional_single(input_dict, "model"), input_dict.get("examples") or []
        return {
            "pipeline": ctx.pipeline_info.id if ctx and ctx.pipeline_info else None,
            "run_id": ctx.pipeline_run_id if ctx else None,
            "tflite_model_artifact_id": tflite_artifact.id,
            "model_artifact_id": model.id if model is not None else None,
            "data_artifact_ids": [e.id for e in examples],
            # ExampleGen's span of each input (0 when the data is not in spans).
            "spans": spans(examples),
        }

    def Do(self, input_dict, output_dict, exec_properties):
        tflite_artifact = artifact_utils.get_single_instance(input_dict["tflite_model"])
        blessing = artifact_utils.get_single_instance(input_dict["firmware_blessing"])
        firmware = artifact_utils.get_single_instance(output_dict["firmware"])
        targets = json.loads(exec_properties["targets"])
        user_profiles = profiles_from_json(exec_properties.get("profiles"))
        timeout_s = float(exec_properties.get("verification_timeout_s") or DEFAULT_TIMEOUT_S)
        out_root = Path(firmware.uri)
        out_root.mkdir(parents=True, exist_ok=True)

        report = {"released": [], "failed": {}, "skipped": {}}
        blessed, blessed_targets = _blessing(blessing)
        if not blessed:
            report["skipped"] = {t: "the converter did not bless the model" for t in targets}
            logging.warning("FirmwareBuilder: model not blessed by the converter; no firmware released")
            return self._finish(firmware, out_root, report)

        src = Path(tflite_artifact.uri)
        tflite = (src / "model.tflite").read_bytes()
        vectors = TestVectors.load(src / "test_vectors.npz")
        conversion = json.loads((src / "conversion_report.json").read_text())
        lineage = self._lineage(input_dict, tflite_artifact)
        evaluation = _optional_single(input_dict, "evaluation")
        metrics = {
            "converter": conversion.get("metrics", {}),
            "evaluator": evaluator_metrics(evaluation.uri) if evaluation is not None else {},
        }
        build = _audio_build(exec_properties.get("audio"), src, metrics) or build_target
        for name in targets:
            if blessed_targets is not None and name not in blessed_targets:
                report["skipped"][name] = "over budget in the converter's check (not in blessed_targets)"
                continue
            try:
                build(
                    tflite, get_profile(name, user_profiles), out_root / name, vectors=vectors,
                    metrics=metrics, lineage=lineage, timeout_s=timeout_s,
                    source=str(src / "model.tflite"),
                    package_prefix=exec_properties.get("package_prefix") or DEFAULT_PREFIX,
                )
                report["released"].append(name)
            except TinymlError as e:
                logging.error("FirmwareBuilder: no firmware for %s: %s", name, e)
                report["failed"][name] = str(e)
        self._finish(firmware, out_root, report)
        if not report["released"]:
            raise FirmwareBuildError(
                "no target got firmware:\n  "
                + "\n  ".join(f"{t}: {why}" for t, why in {**report["failed"], **report["skipped"]}.items()),
                fix="see each target's reason above (over budget: a smaller model or a bigger part)",
            )

    @staticmethod
    def _finish(firmware, out_root: Path, report: dict) -> None:
        (out_root / REPORT_NAME).write_text(json.dumps(report, indent=2) + "\n")
        firmware.set_int_custom_property("released", int(bool(report["released"])))
        firmware.set_string_custom_property("targets", json.dumps(report["released"]))
        firmware.set_string_custom_property("failed_targets", json.dumps(sorted(report["failed"])))
