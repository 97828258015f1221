"""`tinyml run`: bad input refused before TensorFlow loads, and what the report shows; full runs are in
tests/test_pipeline_e2e.py."""
import subprocess
import sys

import yaml
from ml_metadata.proto import metadata_store_pb2
from rich.console import Console

from cli.run_cmd import print_report
from components.data_gate.executor_test import SKEWED, SPLIT_4_1, _artifacts, _run
from tinyml.config import DEFAULT_CONFIG, load_config
from tinyml.runs.report import build_report
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
