"""Releaser executor: checks the gates, then publishes the release (readers see it whole or not at all)."""
from __future__ import annotations

import json
import os

import tensorflow as tf
from absl import logging
from tfx.dsl.components.base import base_executor
from tfx.types import artifact_utils

from tinyml.artifact_properties import custom_property, is_blessed, spans
from tinyml.file_names import RELEASE_FILE
from tinyml.firmware.manifest import MANIFEST_NAME, parse_manifest
from tinyml.releases.storage import join
from tinyml.releases.store import Release, ReleaseStore
from tinyml.runs import evaluation as evaluation_results
from tinyml.runs.evaluation import BASELINE

_METRICS = ("example_count", "accuracy", "precision", "recall", "f1")


def comparison_with_release(evaluation_uri: str) -> dict[str, dict]:
    """{slice: {examples, candidate, released, change}}: both models on the same eval data; {} with no release yet."""
    if BASELINE not in evaluation_results.model_names(evaluation_uri):
        return {}
    candidate = evaluation_results.load_slice_metrics(evaluation_uri, evaluation_results.CANDIDATE)
    released = evaluation_results.load_slice_metrics(evaluation_uri, BASELINE)
    return {
        name: {"examples": m.example_count, "candidate": m.accuracy, "released": released[name].accuracy,
               "change": m.accuracy - released[name].accuracy}
        for name, m in sorted(candidate.items()) if name in released
    }


def slice_regressions(comparison: dict[str, dict], min_examples: int, tolerance: float | None) -> list[str]:
    """Slices (with enough examples) whose accuracy fell more than `tolerance` against the release."""
    if tolerance is None:
        return []
    return [
        f"slice {name}: accuracy {c['candidate']:.4f} vs {c['released']:.4f} of the release "
        f"({c['change']:+.4f}, tolerance -{tolerance:g}, {c['examples']} examples)"
        for name, c in comparison.items()
        if c["examples"] >= min_examples and c["change"] < -tolerance
    ]


def release_metrics(evaluation_uri: str) -> dict[str, dict]:
    """The candidate's metrics per slice for the release record (the run summary's, without the per-class table)."""
    return {
        name: {k: v for k, v in m.as_dict().items() if k in _METRICS}
        for name, m in evaluation_results.load_slice_metrics(evaluation_uri).items()
    }


def converted_model_sha256(firmware_uri: str, targets: list[str]) -> str | None:
    """sha256 of the .tflite the firmware carries (every target carries the same one), from a manifest."""
    for target in targets:
        path = join(firmware_uri, target, MANIFEST_NAME)
        if tf.io.gfile.exists(path):
            with tf.io.gfile.GFile(path) as f:
                return parse_manifest(f.read(), str(path)).model.sha256
    return None


def already_released(latest: Release | None, model_uri: str, tflite_sha256: str | None) -> str | None:
    """Why the candidate is not new, if it is the latest release's model.

    A run on unchanged data trains the same model again; on Kubeflow the
    Evaluator and Releaser are not cached, so without this check every
    scheduled run would publish a copy of the release in the field.
    """
    if latest is None:
        return None
    released = latest.record.get("model", {})
    if (tflite_sha256 and released.get("tflite_sha256") == tflite_sha256) or released.get("uri") == model_uri:
        return f"the model is the one release {latest.version} already carries: nothing new to release"
    return None


class Executor(base_executor.BaseExecutor):
    def Do(self, input_dict, output_dict, exec_properties):
        model = artifact_utils.get_single_instance(input_dict["model"])
        blessing = artifact_utils.get_single_instance(input_dict["model_blessing"])
        evaluation = artifact_utils.get_single_instance(input_dict["evaluation"])
        firmware = artifact_utils.get_single_instance(input_dict["firmware"])
        out = artifact_utils.get_single_instance(output_dict["release"])
        targets = json.loads(exec_properties["targets"])
        data_spans = spans(input_dict["examples"])
        out.set_string_custom_property("spans", json.dumps(data_spans))
        out.set_int_custom_property("model_artifact_id", model.id)

        reasons = []
        blessed = is_blessed(blessing)
        if not blessed:
            _, why = evaluation_results.load_validation(evaluation.uri)
            why = [" ".join(w.split()) for w in why] or ["no reason recorded"]
            reasons += [f"the Evaluator did not bless the model: {why[0]}", *why[1:]]
        comparison = comparison_with_release(evaluation.uri)
        reasons += slice_regressions(
            comparison, exec_properties["min_slice_examples"], json.loads(exec_properties["max_slice_accuracy_decrease"])
        )
        built = json.loads(custom_property(firmware, "targets") or "[]")
        missing = [t for t in targets if t not in built]
        # An unblessed model gets no firmware by design: that is no extra reason.
        if blessed and missing:
            reasons.append(f"no verified firmware for target(s) {missing} (converter or firmware gate)")
        store = ReleaseStore(exec_properties["store"], exec_properties["pipeline"])
        tflite_sha256 = converted_model_sha256(firmware.uri, built)
        if not reasons:
            reasons += filter(None, [already_released(store.latest(), model.uri, tflite_sha256)])
        if reasons:
            return self._finish(out, {"released": False, "reasons": reasons, "spans": data_spans})

        release = store.publish(
            {
                "run_id": self._context.pipeline_run_id if self._context else None,
                "spans": data_spans,
                "model": {"artifact_id": model.id, "uri": model.uri, "tflite_sha256": tflite_sha256},
                "metrics": release_metrics(evaluation.uri),
                # On the eval data of this run, against the release it replaces.
                "comparison_with_previous_release": comparison,
            },
            # On Kubeflow the artifact URI is gs://...: the store fetches and verifies from there.
            {t: join(firmware.uri, t) for t in targets},
        )
        out.set_int_custom_property("version", release.version)
        logging.info("Releaser: release %d of %s at %s", release.version, store.pipeline, release.path)
        self._finish(out, {"released": True, "version": release.version, "path": str(release.path),
                           **release.record})

    @staticmethod
    def _finish(out, record: dict) -> None:
        if not record["released"]:
            logging.warning("Releaser: no release: %s", "; ".join(record["reasons"]))
            out.set_string_custom_property("reason", "; ".join(record["reasons"]))
        out.set_int_custom_property("released", int(record["released"]))
        # gfile: the artifact root may be gs:// on Kubeflow.
        tf.io.gfile.makedirs(out.uri)
        with tf.io.gfile.GFile(os.path.join(out.uri, RELEASE_FILE), "w") as f:
            f.write(json.dumps(record, indent=2, sort_keys=True) + "\n")
