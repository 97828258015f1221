"""End to end: the real pipeline (LocalDagRunner, SQLite ML Metadata) on the
bundled digits data with a short training run, checked through ML Metadata.

The data has an extra, rare class: a handful of digits relabelled 10, which
the model never predicts. The per-class and per-slice precision, recall and F1
are recomputed here with scikit-learn from the trained model's own
predictions on the eval split and compared with every place the run reports
them: TFMA's result, summary.json, the firmware manifest and the CLI's table.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from tinyml.artifact_properties import is_blessed
from tinyml.config import DEFAULT_CONFIG
from tinyml.firmware.manifest import read_manifest

pytestmark = pytest.mark.slow

PIPELINE = "digits-e2e"
# Every RARE_EVERY-th digit becomes class RARE_CLASS: 17 rows that look like other
# digits, too few and too varied to learn, so the model never predicts it.
# ExampleGen's hash split puts 4 of them in eval (slices low and high; none in medium).
RARE_CLASS, RARE_EVERY = 10, 110
NUM_CLASSES = RARE_CLASS + 1
TINYML = str(Path(sys.executable).with_name("tinyml"))


def _write_config(tmp: Path, evaluation: dict | None = None, **data_overrides) -> Path:
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text())
    raw["name"] = PIPELINE
    raw["data"]["schema_path"] = str(DEFAULT_CONFIG.parent / raw["data"]["schema_path"])
    raw["data"].update(data_overrides)
    raw["evaluation"].update(evaluation or {})
    raw["model"]["epochs"] = 12
    raw["converter"]["test_vectors"] = 40
    path = tmp / f"config-{len(list(tmp.glob('config-*.yaml')))}.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def _tinyml_run(config: Path, root: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run(
        [TINYML, "run", "--config", str(config), "--root", str(root)],
        capture_output=True, text=True, env=env, timeout=900,
    )


def _report(root: Path, out: str) -> dict:
    reports = sorted((root / "reports" / PIPELINE).glob("*/summary.json"), key=lambda p: p.stat().st_mtime)
    assert reports, out
    return json.loads(reports[-1].read_text())


def _data_with_a_rare_class(tmp: Path) -> dict:
    """The bundled digits with the rare class, and a copy of the curated schema allowing its label."""
    from google.protobuf import text_format
    from tensorflow_metadata.proto.v0 import schema_pb2

    from pipelines.examples.digits.data import export_csv

    csv = export_csv(tmp / "data")
    header, *rows = csv.read_text().splitlines()
    # The label is the last column.
    rows = [r.rsplit(",", 1)[0] + f",{RARE_CLASS}" if i % RARE_EVERY == 0 else r for i, r in enumerate(rows)]
    csv.write_text("\n".join([header, *rows]) + "\n")
    schema = text_format.Parse((DEFAULT_CONFIG.parent / "schema.pbtxt").read_text(), schema_pb2.Schema())
    next(f for f in schema.feature if f.name == "label").int_domain.max = RARE_CLASS
    schema_path = tmp / "schema.pbtxt"
    schema_path.write_text(text_format.MessageToString(schema))
    return {"example": None, "path": str(csv), "num_classes": NUM_CLASSES, "schema_path": str(schema_path)}


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    # The relabelled digits cost accuracy: 0.874 in slice high with the bundled 0.9 bound (every slice).
    config, root = _write_config(tmp, evaluation={"min_accuracy": 0.85}, **_data_with_a_rare_class(tmp)), tmp / "runs"
    result = _tinyml_run(config, root)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return tmp, config, root, _report(root, result.stdout), result


def _metadata(root: Path) -> Path:
    return root / "metadata" / f"{PIPELINE}.sqlite"


def _store(root: Path):
    from tinyml.runs.summary import open_store

    return open_store(_metadata(root))


def _artifacts(root: Path, type_name: str):
    return _store(root).get_artifacts_by_type(type_name)


def _output(root: Path, run_id: str, component: str, key: str):
    from tinyml.runs.summary import summarize_run

    artifact = summarize_run(_metadata(root), PIPELINE, run_id).output(component, key)
    assert artifact is not None, (component, key)
    return artifact


def _files_digest(directory: Path) -> dict[str, str]:
    return {str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(directory.rglob("*")) if p.is_file()}


def test_run_succeeds_blessed_with_per_slice_metrics(first_run):
    _, _, root, report, result = first_run
    stdout = result.stdout
    assert report["status"] == "succeeded"
    assert report["blessed"] is True
    assert set(report["metrics"]) == {"overall", "ink_density=low", "ink_density=medium", "ink_density=high"}
    assert "blessed" in stdout and "ink_density=high" in stdout

    blessing = _output(root, report["run_id"], "Evaluator", "blessing")
    assert is_blessed(blessing)
    firmware = _output(root, report["run_id"], "FirmwareBuilder", "firmware")
    manifest = read_manifest(Path(firmware.uri) / "cortex-m4f")
    assert manifest.verification.passed is True
    assert manifest.lineage["run_id"] == report["run_id"]
    assert report["firmware"]["cortex-m4f"]["flash_bytes"] == manifest.memory.flash_bytes

    # The firmware carries exactly the int8 model the converter evaluated.
    converted = Path(_output(root, report["run_id"], "TFLMConverter", "tflite_model").uri)
    assert manifest.model.sha256 == hashlib.sha256((converted / "model.tflite").read_bytes()).hexdigest()
    conversion = json.loads((converted / "conversion_report.json").read_text())
    assert set(conversion["metrics"]["int8"]["per_slice"]) == {"ink_density=low", "ink_density=medium", "ink_density=high"}
    assert conversion["tflm_check"]["equal"] is True and conversion["tflm_check"]["mismatched_examples"] == 0
    assert conversion["blessed_targets"] == ["cortex-m4f"]


def _eval_predictions(root: Path, run_id: str):
    """(labels, predicted classes, ink slice) of the eval split, from the trained model."""
    import tensorflow as tf

    examples = _output(root, run_id, "CsvExampleGen", "examples")
    model = _output(root, run_id, "Trainer", "model")
    files = sorted((Path(examples.uri) / "Split-eval").glob("*.gz"))
    serialized = [r.numpy() for r in tf.data.TFRecordDataset([str(f) for f in files], compression_type="GZIP")]
    serving = tf.saved_model.load(str(Path(model.uri) / "Format-Serving")).signatures["serving_default"]
    probabilities = serving(examples=tf.constant(serialized))["probabilities"].numpy()
    labels, ink = [], []
    for s in serialized:
        ex = tf.train.Example.FromString(s)
        labels.append(ex.features.feature["label"].int64_list.value[0])
        ink.append(ex.features.feature["ink_density"].bytes_list.value[0].decode())
    return np.array(labels), probabilities.argmax(axis=1), np.array(ink)


def _cli_table(stdout: str, slices) -> dict[str, list[float]]:
    """`tinyml run`'s evaluation table: {slice: [accuracy, precision, recall, F1]}, as printed (3 decimals)."""
    rows = {}
    for line in stdout.splitlines():
        cells = line.translate(str.maketrans("│┃|", "   ")).split()
        if len(cells) == 6 and cells[0] in slices:
            rows[cells[0]] = [float("nan") if v == "—" else float(v) for v in cells[2:]]
    return rows


def test_every_reported_metric_equals_a_direct_scikit_learn_computation(first_run):
    from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

    from pipelines.evaluation_testing import stored_per_class

    _, _, root, report, result = first_run
    stdout = result.stdout
    labels, predicted, ink = _eval_predictions(root, report["run_id"])
    # The case under test: a class with examples that the model never predicts.
    assert (labels == RARE_CLASS).any() and not (predicted == RARE_CLASS).any()

    evaluation = _output(root, report["run_id"], "Evaluator", "evaluation")
    stored = stored_per_class(evaluation.uri)
    firmware = _output(root, report["run_id"], "FirmwareBuilder", "firmware")
    manifest = json.loads((Path(firmware.uri) / "cortex-m4f" / "manifest.json").read_text())["metrics"]
    converter_float = manifest["converter"]["float"]
    cli = _cli_table(stdout, report["metrics"])
    slices = {"overall": np.ones(len(labels), bool), **{f"ink_density={v}": ink == v for v in ("low", "medium", "high")}}
    assert set(cli) == set(slices) == set(manifest["evaluator"]) == set(stored)
    for name, mask in slices.items():
        y, p = labels[mask], predicted[mask]
        per_class = np.array(precision_recall_fscore_support(y, p, labels=range(NUM_CLASSES), zero_division=0)[:3]).T
        # TFMA stores 0/0 (a class never predicted, or without examples) as NaN.
        undefined = np.array(precision_recall_fscore_support(y, p, labels=range(NUM_CLASSES), zero_division=np.nan)[:3]).T
        macro = precision_recall_fscore_support(y, p, average="macro", zero_division=0)[:3]
        np.testing.assert_allclose([stored[name][c] for c in range(NUM_CLASSES)], undefined, atol=1e-6, err_msg=name)
        converted = converter_float["overall"] if name == "overall" else converter_float["per_slice"][name]
        for where, got in (("summary.json", report["metrics"][name]), ("manifest", manifest["evaluator"][name])):
            assert got["example_count"] == mask.sum(), (where, name)
            assert got["accuracy"] == pytest.approx(accuracy_score(y, p), abs=1e-6), (where, name)
            assert (got["precision"], got["recall"], got["f1"]) == pytest.approx(macro, abs=1e-6), (where, name)
            got_per_class = [[got["per_class"][str(c)][k] for k in ("precision", "recall", "f1")] for c in range(NUM_CLASSES)]
            np.testing.assert_allclose(got_per_class, per_class, atol=1e-6, err_msg=f"{where} {name}")
        # The converter measures the same float model on the same eval split.
        assert (converted["macro_precision"], converted["macro_recall"], converted["macro_f1"]) == pytest.approx(
            macro, abs=1e-6), name
        assert cli[name] == pytest.approx([accuracy_score(y, p), *macro], abs=5e-4 + 1e-9), ("CLI", name)
    assert report["metrics"]["overall"]["per_class"][str(RARE_CLASS)]["recall"] == 0.0
    assert report["confusion_matrix"] == confusion_matrix(labels, predicted, labels=range(NUM_CLASSES)).tolist()


# What `tinyml run` without --verbose may print to stderr: its own progress lines, nothing else.
_PROGRESS_LINE = re.compile(r"pipeline \S+, runs root \S+|loading TensorFlow and TFX\.\.\.|\w+ (running|finished in [\d.]+ s)")


def test_output_is_progress_lines_only_and_everything_else_is_in_the_run_log(first_run):
    _, _, root, report, result = first_run
    assert [line for line in result.stderr.splitlines() if not _PROGRESS_LINE.fullmatch(line)] == []
    assert "Trainer finished in" in result.stderr
    log = root / "reports" / PIPELINE / report["run_id"] / "run.log"
    assert report["log"] == str(log)
    assert f"log:{log}" in "".join(result.stdout.split())  # rich folds long paths over lines
    assert "Epoch" not in result.stdout
    text = log.read_text()
    # Keras's per-epoch lines (model.fit, verbose=2) and the Trainer's TensorFlow output landed there.
    assert "Epoch 12/12" in text


def test_unchanged_rerun_hits_the_cache(first_run):
    _, config, root, first, _ = first_run
    result = _tinyml_run(config, root)
    assert result.returncode == 0, result.stderr[-3000:]
    again = _report(root, result.stdout)
    assert again["run_id"] != first["run_id"]
    states = {c["id"]: c["state"] for c in again["components"]}
    for component in ("CsvExampleGen", "StatisticsGen", "ExampleValidator", "Transform", "Trainer", "Evaluator",
                      "TFLMConverter", "FirmwareBuilder"):
        assert states[component] == "cached", states
    assert again["blessed"] is True
    # The same results, reported for the new run: its summary, its plot, its HTML report (charts from the cache).
    per_run = ("run_id", "components", "log")
    assert {k: v for k, v in again.items() if k not in per_run} == {k: v for k, v in first.items() if k not in per_run}
    folder = root / "reports" / PIPELINE / again["run_id"]
    assert again["log"] == str(folder / "run.log") and (folder / "metrics.png").stat().st_size > 10_000
    html, first_html = (root / "reports" / PIPELINE / r["run_id"] / "report.html" for r in (again, first))
    svgs = [re.findall(r"<svg.*?</svg>", p.read_text(), flags=re.S) for p in (html, first_html)]
    assert svgs[0] == svgs[1] and len(svgs[0]) >= 4
    assert again["run_id"] in html.read_text()  # (the firmware's lineage names the run that built it: the first)


def test_bad_input_fails_clearly_and_leaves_earlier_runs_untouched(first_run):
    tmp, _, root, report, _ = first_run
    firmware = _output(root, report["run_id"], "FirmwareBuilder", "firmware")
    before = _files_digest(Path(firmware.uri))
    executions_before = len(_store(root).get_executions())
    blessings_before = len(_artifacts(root, "ModelBlessing"))

    missing = _write_config(tmp, example=None, path=str(tmp / "no-such.csv"))
    result = _tinyml_run(missing, root)
    assert result.returncode != 0
    assert "no-such.csv does not exist" in result.stderr and "fix:" in result.stderr

    one_class = tmp / "one-class.csv"
    header = [f"pixel_{i}" for i in range(64)] + ["ink_density", "label"]
    one_class.write_text(",".join(header) + "\n" + "\n".join(",".join(["1"] * 64 + ["low", "3"]) for _ in range(20)) + "\n")
    result = _tinyml_run(_write_config(tmp, example=None, path=str(one_class)), root)
    assert result.returncode != 0
    assert "single class" in result.stderr and "one-class.csv" in result.stderr

    assert _files_digest(Path(firmware.uri)) == before
    assert len(_store(root).get_executions()) == executions_before
    assert len(_artifacts(root, "ModelBlessing")) == blessings_before


def test_skewed_group_split_stops_at_the_data_gate_with_the_numbers(tmp_path):
    from pipelines.examples.digits import data

    # The case: one device recorded 95 % of the rows and nine others
    # share the rest. A hash split by device puts whole devices in one split:
    # 'main-sensor' hashes to train, and of the others only 'dev-9' to eval.
    header, *rows = data.export_csv(tmp_path / "data").read_text().splitlines()
    devices = ["main-sensor" if i % 20 else f"dev-{1 + i // 20 % 9}" for i in range(len(rows))]
    csv = tmp_path / "by-device.csv"
    csv.write_text("\n".join([f"{header},device", *(f"{r},{d}" for r, d in zip(rows, devices))]) + "\n")
    root = tmp_path / "runs"
    result = _tinyml_run(_write_config(tmp_path, example=None, path=str(csv), schema_path=None, group_feature="device"),
                         root)

    assert result.returncode != 0
    report = _report(root, result.stdout)
    states = {c["id"]: c["state"] for c in report["components"]}
    assert states["DataGate"] == "failed" and "Transform" not in states, states
    error = report["error"]
    assert "DataValidationError" in error
    eval_rows = int(re.search(rf"\[eval\] (\d+) of {len(rows):,} rows \(\d+\.\d %\) where the split asks for 20\.0 %",
                              error).group(1))
    assert eval_rows < 50 and f"[eval] {eval_rows} rows, fewer than data.split.min_eval_examples = 50" in error
    assert "[eval] no example of class(es)" in error
    assert "group feature 'device' (distinct values per split: eval 1, train 9)" in error
    assert "data.split.check: warn" in error
    assert f"[eval] {eval_rows} of" in result.stdout.replace("\n", " ")


@pytest.fixture(scope="module")
def browser_downloads(tmp_path_factory):
    from browser_support import chromium, missing_browser

    if missing_browser():
        pytest.fail(missing_browser())
    downloads = tmp_path_factory.mktemp("downloads")
    with chromium(downloads) as driver:
        yield driver, downloads


def test_report_html_is_readable_in_a_real_browser_at_laptop_and_phone_width(first_run, browser_downloads):
    from browser_support import PHONE, fits_width, keep, screenshot, visible

    tmp, _, root, report, result = first_run
    driver, _ = browser_downloads
    page = root / "reports" / PIPELINE / report["run_id"] / "report.html"
    assert f"open the report: {page.as_uri()}" in result.stdout.replace("\n", "")
    driver.get(page.as_uri())
    assert "blessed" in visible(driver, "#verdict")[0].text
    rows = [r.text for r in visible(driver, "#slice-metrics tr")]
    overall = report["metrics"]["overall"]
    low, high = overall["accuracy_interval"]
    assert f"overall {overall['example_count']} {overall['accuracy']:.3f} ({low:.3f}–{high:.3f})" in rows[1]
    # Charts laid out with a real size: per-slice bars, float and int8 confusion matrices, the quantization drop,
    # and the firmware's instructions per operator, one bar per op of the manifest's profile.
    charts = visible(driver, "svg.chart")
    assert len(charts) == 5 and all(c.size["height"] > 100 for c in charts)
    assert charts[-1].get_attribute("aria-label") == "instructions per operator"
    manifest = read_manifest(Path(report["firmware"]["cortex-m4f"]["directory"]))
    assert manifest.op_profile and all(o.op in charts[-1].text for o in manifest.op_profile)
    device = visible(driver, "table.device")[0].text
    assert f"flash {manifest.memory.flash_bytes:,} B / {manifest.memory.flash_budget_bytes:,} B" in device
    assert f"passed: {manifest.verification.vectors} vectors bit-identical" in device
    keep(screenshot(driver, tmp / "report.png"))
    driver.set_window_size(*PHONE)
    assert fits_width(driver), "the report scrolls sideways on a phone"
    keep(screenshot(driver, tmp / "report-phone.png", size=PHONE))


def test_ui_lists_runs_links_reports_and_downloads_verified_firmware(first_run, browser_downloads, tmp_path):
    from selenium.webdriver.common.by import By

    from browser_support import LAPTOP, keep, screenshot, tinyml_ui, visible, wait_for_download

    tmp, _, root, report, _ = first_run
    driver, downloads = browser_downloads
    driver.set_window_size(*LAPTOP)
    with tinyml_ui(root) as url:
        driver.get(url + "/")
        table = visible(driver, "#runs")[0]
        assert report["run_id"] in table.text and "cortex-m4f: verified" in table.text
        keep(screenshot(driver, tmp / "runs.png", full_page=False))
        driver.find_element(By.LINK_TEXT, report["run_id"]).click()
        assert driver.current_url == f"{url}/runs/{PIPELINE}/{report['run_id']}"
        visible(driver, "#device details.files summary")[0].click()
        visible(driver, "a[href$='/cortex-m4f/firmware.bin']")[0].click()
        got = wait_for_download(downloads, "firmware.bin")
        manifest = read_manifest(Path(report["firmware"]["cortex-m4f"]["directory"]))
        assert hashlib.sha256(got.read_bytes()).hexdigest() == manifest.files["firmware.bin"].sha256

        driver.get(f"{url}/runs/{PIPELINE}/no-such-run")
        assert "not found" in visible(driver, "#message h1")[0].text
        assert "no run 'no-such-run'" in driver.find_element(By.ID, "message").text
    with tinyml_ui(tmp_path / "empty-root") as url:
        driver.get(url + "/")
        assert f"tinyml run --root {tmp_path / 'empty-root'}" in visible(driver, "#empty")[0].text


def test_firmware_pull_latest_without_a_release_store_takes_the_latest_blessed_run(first_run, tmp_path):
    _, _, root, _, _ = first_run
    env = {**os.environ, "TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}
    result = subprocess.run([TINYML, "firmware", "pull", "--latest", "--root", str(root), "-o", str(tmp_path / "fw")],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    summaries = [json.loads(p.read_text()) for p in (root / "reports" / PIPELINE).glob("*/summary.json")]
    newest = max(s["run_id"] for s in summaries if s["blessed"] and s["firmware"])
    assert f"pulled run {newest} of {PIPELINE}, the latest with a blessed model" in result.stdout
    manifest = read_manifest(tmp_path / "fw")
    assert hashlib.sha256((tmp_path / "fw" / "firmware.bin").read_bytes()).hexdigest() == manifest.files["firmware.bin"].sha256
