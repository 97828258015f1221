"""End to end: `tinyml run` of the spoken digits example (bundled FSDD WAVs) in a fresh runs root.

One run, shared by the tests: the speaker split as ExampleGen wrote it, the
accuracy of the int8 model on speakers never heard, the firmware built and
verified, and audio_vectors.npz checked against the op and the tflite-micro
interpreter recomputed here.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tinyml import paths
from tinyml.config import load_config

pytestmark = pytest.mark.slow

CONFIG = paths.EXAMPLES_DIR / "spoken_digits" / "config.yaml"
TINYML = str(Path(sys.executable).with_name("tinyml"))
# FSDD clips longer than 1 s: cropped by ingestion, counted in the summary.
CLIPS, CROPPED = 2500, 4


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    for tool in ("arm-none-eabi-gcc", "qemu-system-arm"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (make install)")
    if not (CONFIG.parent / "data" / "fsdd" / "recordings").is_dir():
        pytest.skip("the bundled FSDD recordings are missing")
    root = tmp_path_factory.mktemp("kws") / "runs"
    env = {**os.environ, "TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run([TINYML, "run", "--config", str(CONFIG), "--root", str(root)],
                          capture_output=True, text=True, env=env, timeout=1800)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    summary = json.loads(next((root / "reports").glob("*/*/summary.json")).read_text())
    return root, summary, done.stdout


def _one(root: Path, pattern: str) -> Path:
    found = sorted(root.glob(pattern))
    assert len(found) == 1, (pattern, found)
    return found[0]


def _speakers(split_dir: Path) -> set[str]:
    import tensorflow as tf

    files = [str(p) for p in split_dir.iterdir()]
    spec = {"speaker": tf.io.FixedLenFeature([], tf.string)}
    dataset = tf.data.TFRecordDataset(files, compression_type="GZIP").map(lambda r: tf.io.parse_single_example(r, spec))
    return {s["speaker"].numpy().decode() for s in dataset}


def test_eval_speakers_never_appear_in_training(run):
    root, summary, _ = run
    examples = _one(root, "pipelines/*/WavExampleGen/examples/*")
    train, evaluation = _speakers(examples / "Split-train"), _speakers(examples / "Split-eval")
    assert evaluation and train and not train & evaluation
    assert train | evaluation == {"george", "jackson", "nicolas", "theo", "yweweler"}
    assert summary["split_check"]["problems"] == []


def test_ingestion_counts_reach_the_summary(run):
    _, summary, stdout = run
    assert summary["ingestion"]["files"] == CLIPS and summary["ingestion"]["cropped"] == CROPPED
    assert f"{CLIPS} WAV files, {CROPPED} cropped" in stdout


def test_int8_model_is_accurate_on_unheard_speakers_and_blessed(run):
    root, summary, _ = run
    report = json.loads(_one(root, "pipelines/*/TFLMConverter/tflite_model/*/conversion_report.json").read_text())
    config = load_config(CONFIG)
    assert report["blessed"], report["reasons"]
    assert report["metrics"]["int8"]["overall"]["accuracy"] >= config.evaluation.min_accuracy
    assert summary["blessed"] is True and summary["metrics"]["overall"]["accuracy"] >= config.evaluation.min_accuracy


def test_false_accept_and_reject_rates_per_digit_reach_the_summary(run):
    _, summary, _ = run
    assert summary["kws"]["keywords"] == list(range(10)) and summary["kws"]["int8"]
    assert (Path(summary["kws"]["conversion_report"]).parent).is_dir()


def test_firmware_built_and_verified_for_the_target(run):
    from tinyml.firmware.manifest import read_manifest

    root, summary, _ = run
    for target in load_config(CONFIG).targets:
        manifest = read_manifest(Path(summary["firmware"][target]["directory"]))
        assert manifest.verification.passed is True and manifest.verification.mismatched_vectors == 0
        assert manifest.memory.flash_bytes <= manifest.memory.flash_budget_bytes


def test_audio_vectors_are_the_int8_models_outputs_on_the_ops_features_of_the_raw_clips(run):
    from tinyml.audio.tf_frontend import features
    from tinyml.tflite.quantization import quantize_values
    from tinyml.firmware.target_build import tflm_outputs
    from tinyml.tflite.model import read_model

    root, _, _ = run
    folder = _one(root, "pipelines/*/TFLMConverter/tflite_model/*")
    vectors = np.load(folder / "audio_vectors.npz")
    samples, labels, outputs = vectors["samples"], vectors["labels"], vectors["outputs"]
    audio = load_config(CONFIG).data.audio
    n = len(samples)
    assert n >= 200 and samples.dtype == np.int16 and samples.shape == (n, audio.clip_samples)
    assert labels.dtype == np.int64 and labels.shape == (n,) and set(labels) <= set(range(10))
    tflite = (folder / "model.tflite").read_bytes()
    model = read_model(tflite)
    # Shaped as test_vectors.npz's outputs: [N, *the output tensor's shape].
    assert outputs.dtype == np.int8 and outputs.shape == (n, *model.output_tensors()[0].shape)
    feats = np.stack([features(s, audio.frontend) for s in samples]).astype(np.float32)
    inputs = quantize_values(feats, model.input_tensors()[0].quantization)
    np.testing.assert_array_equal(tflm_outputs(tflite, inputs), outputs)
    # The clips take the digits in turn (the eval files are sorted by digit), so every digit is checked
    # on the device; not all one answer: they are the eval speaker's real digits.
    assert np.bincount(labels, minlength=10).min() >= n // 10
    assert len(set(outputs.reshape(n, -1).argmax(axis=1))) >= 9
