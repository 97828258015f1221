"""`tinyml run`: bad input refused before TensorFlow loads, progress off a terminal, and what the report
shows; full runs are in tests/test_pipeline_e2e.py, a killed one in tests/test_run_status_e2e.py."""
import csv
import io
import subprocess
import sys
import time

import yaml
from ml_metadata.proto import metadata_store_pb2
from rich.console import Console

from cli.run_cmd import _Progress, print_report
from pipelines.examples.digits.data import export_csv
from components.data_gate.executor_test import SKEWED, SPLIT_4_1, _artifacts, _run
from tinyml.config import DEFAULT_CONFIG, load_config
from tinyml.runs.report import build_report, write_report
from tinyml.runs.report_kws_test import _converted
from tinyml.runs.summary import ComponentRun, RunSummary

# Runs the CLI's entry point and reports whether TensorFlow was imported by the time it exited.
_RUN_CLI = """
import sys
from cli.main import main
try:
    main(sys.argv[1:])
finally:
    print("tensorflow loaded:", "tensorflow" in sys.modules)
"""


def test_csv_with_a_utf8_byte_order_mark_is_refused_before_tensorflow_loads(tmp_path):
    header = [f"pixel_{i}" for i in range(64)] + ["ink_density", "label"]
    rows = [",".join(["1"] * 64 + ["low", str(i % 10)]) for i in range(30)]
    data = tmp_path / "excel.csv"
    data.write_bytes(b"\xef\xbb\xbf" + "\n".join([",".join(header), *rows, ""]).encode())
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text())
    raw["data"].update(example=None, path=str(data), schema_path=str(DEFAULT_CONFIG.parent / raw["data"]["schema_path"]))
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(raw))

    result = subprocess.run(
        [sys.executable, "-c", _RUN_CLI, "run", "--config", str(config), "--root", str(tmp_path / "runs")],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"{data} starts with a UTF-8 byte-order mark" in result.stderr
    assert r"'\ufeffpixel_0', not 'pixel_0'" in result.stderr and "fix: remove the mark" in result.stderr
    assert "tensorflow loaded: False" in result.stdout
    assert not (tmp_path / "runs" / "metadata").exists()


def test_a_bad_wav_is_refused_naming_it_before_tensorflow_loads_and_nothing_is_written(tmp_path):
    import numpy as np

    from tinyml import paths
    from tinyml.audio.wav_testing import write_wav

    spoken = paths.EXAMPLES_DIR / "spoken_digits" / "config.yaml"
    folder = tmp_path / "wavs"
    folder.mkdir()
    write_wav(folder / "1_jackson_0.wav", np.zeros(800))
    write_wav(folder / "2_jackson_1.wav", np.zeros((800, 2)), channels=2)
    raw = yaml.safe_load(spoken.read_text())
    raw["data"].update(path=str(folder), schema_path=str(spoken.parent / raw["data"]["schema_path"]))
    raw["data"]["audio"]["metadata"] = str(spoken.parent / raw["data"]["audio"]["metadata"])
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(raw))

    result = subprocess.run([sys.executable, "-c", _RUN_CLI, "run", "--config", str(config), "--root", str(tmp_path / "runs")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 2, result.stderr
    message = " ".join(result.stderr.split())
    assert f"{folder / '2_jackson_1.wav'}: channels is 2; the model takes mono audio" in message
    assert "fix: convert it" in message and "tensorflow loaded: False" in result.stdout
    assert not (tmp_path / "runs").exists() or not any(p.is_file() for p in (tmp_path / "runs").rglob("*"))


def test_a_warned_split_shows_in_the_run_summary(tmp_path):
    # The DataGate's real output on a skewed split with data.split.check: warn.
    gate = _run(_artifacts(tmp_path, SKEWED, 10), "speaker", num_classes=2, check="warn", **SPLIT_4_1)
    summary = RunSummary("p", "r", [
        ComponentRun("DataGate", "complete", 1.0, {"report": [metadata_store_pb2.Artifact(uri=gate.uri)]}),
    ])
    report = build_report(summary, load_config())
    assert report.as_dict()["split_check"]["achieved_share"] == {"train": 95.0, "eval": 5.0}
    console = Console(record=True, width=300)
    print_report(console, report)
    shown = console.export_text()
    assert "data split: warned (data.split.check: warn):" in shown
    assert "- [eval] 2 of 40 rows (5.0 %) where the split asks for 20.0 %" in shown
    assert "- [eval] no example of class(es) 1 (of 0..1)" in shown


def test_a_missing_label_column_is_reported_before_tensorflow_loads(tmp_path):
    full = export_csv(tmp_path / "full", limit=50)
    with full.open() as f:
        rows = [row[:-1] for row in csv.reader(f)]  # the label is the last column
    data = tmp_path / "no_label.csv"
    with data.open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text())
    raw["data"].update(example=None, path=str(data), schema_path=str(DEFAULT_CONFIG.parent / raw["data"]["schema_path"]))
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(raw))

    start = time.monotonic()
    result = subprocess.run([sys.executable, "-c", _RUN_CLI, "run", "--config", str(config), "--root", str(tmp_path / "runs")],
                            capture_output=True, text=True, timeout=300)
    print(f"`tinyml run` with a missing label column failed after {time.monotonic() - start:.1f} s")
    assert result.returncode == 2, result.stderr
    assert f"{data}: missing column(s) 'label'" in " ".join(result.stderr.split())
    assert "tensorflow loaded: False" in result.stdout
    assert not (tmp_path / "runs" / "metadata").exists()


def test_progress_off_a_terminal_is_plain_lines_per_component():
    out = io.StringIO()
    progress = _Progress(Console(file=out, force_terminal=False))
    progress("CsvExampleGen", "running")
    progress("CsvExampleGen", "finished")
    progress("Trainer", "running")
    assert progress.status is None  # no spinner: it would never show off a terminal
    lines = out.getvalue().splitlines()
    assert lines[0] == "CsvExampleGen running" and lines[2] == "Trainer running"
    assert lines[1].startswith("CsvExampleGen finished in ") and lines[1].endswith(" s")


def test_keyword_spotting_rates_and_the_gate_show_in_the_run_summary(tmp_path):
    summary, section = _converted(tmp_path, {"far": 0.02, "max_frr": 0.01})
    report = build_report(summary, load_config())
    write_report(report, tmp_path / "report")
    console = Console(record=True, width=300)
    print_report(console, report)
    shown = console.export_text()
    assert "keyword spotting (int8 model, eval split, threshold 0.6)" in shown
    zero = section["int8"]["operating_point"]["per_keyword"]["0"]
    rows = [[cell.strip() for cell in line.split("│")[1:-1]] for line in shown.splitlines() if "│" in line]
    assert ["zero", str(zero["clips"]), str(zero["false_rejects"]), f"{zero['frr']:.3f}",
            f"{zero['false_accepts']} of {zero['other_clips']}", f"{zero['far']:.3f}"] in rows
    assert "silence" not in shown.split("keyword spotting")[1].split("FRR at FAR")[0]
    assert "FRR at FAR <= 0.02 (limit 0.01; average " in shown and "failed: firmware not blessed" in shown
    assert "evaluation.kws.max_frr_at_far.max_frr = 0.01" in shown
    assert f"DET plot: {tmp_path / 'report' / 'det.png'}" in shown
