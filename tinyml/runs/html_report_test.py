"""The HTML run report, rendered from a runs root assembled with the report's own writers."""
import re
import shutil
from html import unescape

import numpy as np

from tinyml.config import KwsConfig
from tinyml.converter.kws_eval import evaluate_kws
from tinyml.converter.metrics import sliced_metrics
from tinyml.firmware.manifest import read_manifest
from tinyml.metrics.intervals import wilson_interval
from tinyml.runs.html_report import _quantization, write_html_report
from tinyml.runs.det_plot import plot_det
from tinyml.runs.layout import RunsLayout
from tinyml.runs.report import kws_summary
from tinyml.runs.run_page_testing import PIPELINE, assembled_run


def _text(html: str) -> str:
    """The page's visible text, roughly: tags and runs of whitespace gone."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<svg.*?</svg>", " ", html, flags=re.S))).split())


def test_report_shows_decision_metrics_and_device_numbers_from_the_manifest(tmp_path):
    folder = assembled_run(tmp_path, "r1", release={"released": False, "reasons": ["accuracy fell 2 points"]})
    html = write_html_report(RunsLayout(tmp_path), PIPELINE, "r1").read_text()
    text = _text(html)
    memory = read_manifest(folder).memory
    assert "status succeeded · model blessed · release none" in text
    assert "not released : accuracy fell 2 points" in text
    low, high = wilson_interval(round(0.95 * 90), 90)
    assert f"ink_density=low 90 0.950 ({low:.3f}–{high:.3f}) 0.950 0.950 0.950" in text
    # Per class: precision and recall with their intervals, F1 without.
    recall = wilson_interval(round(0.95 * 100), 100)
    assert f" recall 0.95 ({recall[0]:.2f}–{recall[1]:.2f}) 1.00 (0.96–1.00) f1 0.97 0.97 ink_density=low" in text
    assert f"flash {memory.flash_bytes:,} B / {memory.flash_budget_bytes:,} B" in text
    assert f"stack {memory.stack_bytes:,} B" in text
    assert "code version 0123456789ab" in text
    # Charts inline (the per-slice bars, the Evaluator's confusion matrix); nothing fetched from a network.
    assert html.count("<svg") == 2
    assert not re.search(r'(src|href)="(https?:)?//', html)
    # No ML Metadata store under this root: the report says so instead of failing.
    assert f"ML Metadata store: {tmp_path / 'metadata' / 'digits.sqlite'}" in text


def _svgs(html: str) -> list[str]:
    return re.findall(r"<svg.*?</svg>", html, flags=re.S)


def test_a_run_with_the_same_results_takes_its_charts_from_the_cache_and_draws_none(tmp_path, monkeypatch):
    from tinyml.runs import charts

    layout = RunsLayout(tmp_path)
    assembled_run(tmp_path, "r1")
    first = write_html_report(layout, PIPELINE, "r1").read_text()
    cache = sorted(layout.chart_cache_dir.iterdir())
    assert len(cache) == 2 and all(p.suffix == ".svg" for p in cache)

    def no_drawing():
        raise AssertionError("a chart was drawn again")

    monkeypatch.setattr(charts, "_pyplot", no_drawing)
    assembled_run(tmp_path, "r2")  # a fully cached re-run: the same results under a new run id
    again = write_html_report(layout, PIPELINE, "r2").read_text()
    assert _svgs(again) == _svgs(first) and len(_svgs(first)) == 2
    assert "r2" in _text(again) and sorted(layout.chart_cache_dir.iterdir()) == cache

    monkeypatch.undo()
    assembled_run(tmp_path, "r3", accuracy=0.9)  # other slice metrics, the same confusion matrix
    other = write_html_report(layout, PIPELINE, "r3").read_text()
    assert _svgs(other)[0] != _svgs(first)[0] and _svgs(other)[1] == _svgs(first)[1]
    assert len(list(layout.chart_cache_dir.iterdir())) == 3


def test_a_run_whose_artifacts_were_deleted_names_what_is_missing(tmp_path):
    folder = assembled_run(tmp_path, "r1")
    shutil.rmtree(folder)
    (RunsLayout(tmp_path).reports_dir(PIPELINE, "r1") / "metrics.png").unlink()
    text = _text(write_html_report(RunsLayout(tmp_path), PIPELINE, "r1").read_text())
    assert f"firmware of cortex-m4f: cannot read {folder / 'manifest.json'}" in text
    assert f"metrics plot: {RunsLayout(tmp_path).reports_dir(PIPELINE, 'r1') / 'metrics.png'}" in text
    assert "No firmware was built in this run" in text


def _kws_run(root, run_id: str) -> dict:
    """A run whose summary has the converter's keyword-spotting results (its own code) and det.png."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, 200)
    logits = rng.normal(size=(200, 4)) + 2.5 * np.eye(4)[labels]
    float_scores = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    config = KwsConfig(threshold=0.6, class_names=("zero", "one", "two", "silence"), non_keywords=("silence",),
                       max_frr_at_far={"far": 0.02, "max_frr": 0.01})
    section, _ = evaluate_kws(labels, float_scores, np.round(float_scores * 256) / 256, 4, config)
    kws = kws_summary(section, root / "conversion_report.json")
    assembled_run(root, run_id, kws=kws)
    plot_det(section, "DET", RunsLayout(root).reports_dir(PIPELINE, run_id) / kws["det_plot"])
    return kws


def test_keyword_spotting_section_only_when_the_run_has_it(tmp_path):
    assembled_run(tmp_path, "plain")
    assert "keyword spotting" not in write_html_report(RunsLayout(tmp_path), PIPELINE, "plain").read_text()

    kws = _kws_run(tmp_path, "kws")
    html = write_html_report(RunsLayout(tmp_path), PIPELINE, "kws").read_text()
    text = _text(html)
    zero = kws["int8"]["per_keyword"]["0"]
    frr, far = zero["frr_interval"], zero["far_interval"]
    assert (f"zero {zero['clips']} {zero['false_rejects']} {zero['frr']:.3f} ({frr[0]:.3f}–{frr[1]:.3f}) "
            f"{zero['false_accepts']} of {zero['other_clips']} {zero['far']:.3f} (0.000–{far[1]:.3f})") in text
    assert frr == wilson_interval(zero["false_rejects"], zero["clips"]) and far[0] == 0.0 and zero["false_accepts"] == 0
    assert f"average (float) {kws['float_average']['frr']:.3f} {kws['float_average']['far']:.3f}" in text
    assert "FRR at FAR ≤ 0.02 (limit 0.01): failed: firmware not blessed" in text and kws["gate"]["reasons"][0] in text
    assert '<img class="plot" src="data:image/png;base64,iVBOR' in html

    (RunsLayout(tmp_path).reports_dir(PIPELINE, "kws") / "det.png").unlink()
    text = _text(write_html_report(RunsLayout(tmp_path), PIPELINE, "kws").read_text())
    assert f"DET plot: {RunsLayout(tmp_path).reports_dir(PIPELINE, 'kws') / 'det.png'}" in text


def test_float_vs_int8_from_the_converters_metrics():
    labels = np.array([0, 0, 1, 1, 1, 2])
    slices = {"ink_density": np.array(["low", "low", "low", "high", "high", "high"])}
    float_probs, int8_probs = np.eye(3)[labels], np.eye(3)[[0, 0, 1, 1, 0, 2]]
    metrics = {"float": sliced_metrics(labels, float_probs, slices, 3), "int8": sliced_metrics(labels, int8_probs, slices, 3),
               "accuracy_decrease": {"overall": 1 / 6, "per_slice": {"ink_density=high": 1 / 3, "ink_density=low": 0.0}}}
    shown = _quantization({"metrics": metrics})
    assert [(r["slice"], r["examples"], r["float"], round(r["int8"], 4)) for r in shown["rows"]] == [
        ("overall", 6, 1.0, 0.8333), ("ink_density=high", 3, 1.0, 0.6667), ("ink_density=low", 3, 1.0, 1.0)]
    assert [(r["float_interval"], r["int8_interval"]) for r in shown["rows"]] == [
        (wilson_interval(6, 6), wilson_interval(5, 6)), (wilson_interval(3, 3), wilson_interval(2, 3)),
        (wilson_interval(3, 3), wilson_interval(3, 3))]
    # The int8 matrix has the one example of class 1 predicted as 0.
    assert "float model" in shown["confusion_float"] and "int8 model" in shown["confusion_int8"]
    assert _quantization({"metrics": None}) is None


def test_device_section_shows_the_per_operator_profile_and_the_audio_split(tmp_path):
    ops = [{"index": 0, "op": "CONV_2D", "input_shapes": [[1, 8, 8, 1], [8, 3, 3, 1]], "output_shape": [1, 8, 8, 8],
            "macs": 4608, "instructions": 30000.0, "instructions_per_mac": 6.51, "share": 0.75},
           {"index": 1, "op": "FULLY_CONNECTED", "input_shapes": [[1, 512], [10, 512]], "output_shape": [1, 10],
            "macs": 5120, "instructions": 10000.0, "instructions_per_mac": 1.95, "share": 0.25}]
    audio = {"config": {"clip_ms": 1000}, "clip_samples": 8000, "frames": 49,
             "frontend": {"flash_bytes": 5446, "ram_bytes": 1244, "instructions": 1_200_000.0},
             "model": {"flash_bytes": 25702, "ram_bytes": 4436, "instructions": 380_000.0},
             "frontend_instructions_per_second": 1_200_000.0, "latency_ms_per_second": 8.7,
             "verification": {"passed": True, "reference": "audio_vectors.npz", "clips": 200, "mismatched_clips": 0,
                              "mismatched_bytes": 0, "first_mismatch": None, "device_accuracy": 0.835,
                              "evaluator_accuracy": 0.83, "seconds": 3.0}}
    assembled_run(tmp_path, "r1", manifest_fields={"op_profile": ops, "audio": audio})
    html = write_html_report(RunsLayout(tmp_path), PIPELINE, "r1").read_text()
    text = _text(html)
    assert "0 CONV_2D 1×8×8×1, 8×3×3×1 → 1×8×8×8 4,608 30,000 6.51 75.0 %" in text
    assert "1 FULLY_CONNECTED 1×512, 10×512 → 1×10 5,120 10,000 1.95 25.0 %" in text
    assert 'aria-label="instructions per operator"' in html
    assert "audio frontend + feature quantization 5,446 B 1,244 B 1,200,000 per clip" in text
    assert "model (runtime, array, arena) 25,702 B 4,436 B 380,000 per inference" in text
    assert "200 of 200 identical to audio_vectors.npz; device accuracy 0.835 (Evaluator, float: 0.830)" in text

    assembled_run(tmp_path, "r2")
    text = _text(write_html_report(RunsLayout(tmp_path), PIPELINE, "r2").read_text())
    assert "per operator" not in text and "raw audio in" not in text


def test_data_section_shows_the_drift_distances_of_a_passing_span(tmp_path):
    from tinyml.runs.html_report import render
    from tinyml.runs.run_page import gather

    assembled_run(tmp_path, "r1")
    page = gather(RunsLayout(tmp_path), PIPELINE, "r1")
    page.summary["components"].append({"id": "DriftGate", "state": "complete", "seconds": 1.0})
    page.drift = {"span": 3, "reference_span": 2, "serving_path": None, "measurements": [
        {"feature": "pixel_26", "kind": "drift", "type": "JENSEN_SHANNON_DIVERGENCE", "value": 0.04, "threshold": 0.1},
        {"feature": "label", "kind": "drift", "type": "L_INFTY", "value": 0.012, "threshold": 0.05}]}
    html = render(page)
    text = _text(html)
    assert "DriftGate complete: span 3 against span 2, no feature over its threshold." in text
    assert "pixel_26 reference span jensen shannon divergence 0.040 0.100" in text
    assert "label reference span l infty 0.012 0.050" in text
    assert 'aria-label="drift per feature"' in html
