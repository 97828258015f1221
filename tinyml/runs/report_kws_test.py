"""The keyword-spotting part of a run's report, from a converter report written by the converter's own code."""
import json

import numpy as np
from ml_metadata.proto import metadata_store_pb2

from tinyml.config import KwsConfig, load_config
from tinyml.converter.kws_eval import evaluate_kws
from tinyml.file_names import CONVERSION_REPORT_FILE
from tinyml.runs.report import build_report, write_report
from tinyml.runs.summary import ComponentRun, RunSummary

NAMES = ("zero", "one", "two", "silence")


def write_conversion_report(out, report: dict) -> None:
    (out / CONVERSION_REPORT_FILE).write_text(json.dumps(report))


def _converted(tmp_path, gate: dict | None):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, 200)
    logits = rng.normal(size=(200, 4)) + 2.5 * np.eye(4)[labels]
    float_scores = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    int8_scores = np.round(float_scores * 256) / 256
    config = KwsConfig(threshold=0.6, class_names=NAMES, non_keywords=("silence",), max_frr_at_far=gate)
    section, reasons = evaluate_kws(labels, float_scores, int8_scores, 4, config)
    out = tmp_path / "TFLMConverter" / "tflite_model" / "5"
    out.mkdir(parents=True)
    write_conversion_report(out, {"blessed": not reasons, "reasons": reasons, "kws": section})
    artifact = metadata_store_pb2.Artifact(uri=str(out))
    return RunSummary("kws", "r1", [ComponentRun("TFLMConverter", "complete", 2.0, {"tflite_model": [artifact]})]), section


def test_summary_has_the_int8_operating_point_and_the_gate_and_a_det_plot(tmp_path):
    summary, section = _converted(tmp_path, {"far": 0.02, "max_frr": 0.01})
    report = build_report(summary, load_config())
    directory = write_report(report, tmp_path / "report")
    written = json.loads((directory / "summary.json").read_text())["kws"]

    assert written["threshold"] == 0.6 and written["keywords"] == [0, 1, 2]
    assert written["int8"] == section["int8"]["operating_point"]
    assert set(written["int8"]["per_keyword"]) == {"0", "1", "2"}
    assert written["float_average"] == section["float"]["operating_point"]["average"]
    assert written["gate"]["passed"] is False and written["gate"]["reasons"]
    assert written["conversion_report"].endswith("tflite_model/5/conversion_report.json")
    assert "det" not in json.dumps(written["int8"])  # the curves stay in the converter's report

    import matplotlib.image

    image = matplotlib.image.imread(directory / written["det_plot"])
    assert image.shape[0] > 400 and image.shape[1] > 400
    assert len(np.unique(image.reshape(-1, image.shape[2]), axis=0)) > 50  # curves drawn, not a blank canvas


def test_without_kws_nothing_is_added(tmp_path):
    out = tmp_path / "tflite_model"
    out.mkdir()
    write_conversion_report(out, {"blessed": True, "reasons": [], "kws": None})
    summary = RunSummary("p", "r", [ComponentRun("TFLMConverter", "complete", 1.0,
                                                 {"tflite_model": [metadata_store_pb2.Artifact(uri=str(out))]})])
    directory = write_report(build_report(summary, load_config()), tmp_path / "report")
    assert json.loads((directory / "summary.json").read_text())["kws"] is None
    assert not (directory / "det.png").exists()
