"""A runs root assembled for the tests of the report and the UI: a run's summary.json written by
the run report's own code (RunReport.as_dict) over firmware folders with complete manifests."""
from __future__ import annotations

from pathlib import Path

from tinyml.firmware.manifest_testing import firmware_folder
from tinyml.metrics.intervals import wilson_interval
from tinyml.runs.evaluation import OVERALL, SliceMetrics
from tinyml.runs.layout import RunsLayout
from tinyml.runs.report import RunReport, firmware_sizes, write_report
from tinyml.runs.summary import ComponentRun, RunSummary

PIPELINE = "digits"


def assembled_run(root: Path, run_id: str, accuracy: float = 0.95, manifest_fields: dict | None = None,
                  **summary_fields) -> Path:
    """Run `run_id` of PIPELINE under `root`: blessed, two slices, firmware for cortex-m4f; returns
    its firmware folder. `summary_fields` replace fields of summary.json (e.g. kws, release);
    `manifest_fields` add records to the firmware's manifest (e.g. op_profile, audio)."""
    import json

    layout = RunsLayout(root)
    firmware_dir = layout.pipeline_root(PIPELINE) / "FirmwareBuilder" / "firmware" / run_id
    firmware_folder(firmware_dir / "cortex-m4f", model=run_id.encode(), **(manifest_fields or {}))
    # Intervals as if every slice held n examples, half of each class.
    slices = {}
    for name, n in ((OVERALL, 200), ("ink_density=low", 90), ("ink_density=high", 110)):
        right = round(accuracy * n)
        per_class = {0: {"precision": 1.0, "recall": accuracy, "f1": 0.97,
                         "precision_interval": wilson_interval(n // 2, n // 2),
                         "recall_interval": wilson_interval(round(accuracy * (n // 2)), n // 2)},
                     1: {"precision": accuracy, "recall": 1.0, "f1": 0.97,
                         "precision_interval": wilson_interval(n // 2, round(n // 2 / accuracy)),
                         "recall_interval": wilson_interval(n // 2, n // 2)}}
        slices[name] = SliceMetrics(n, accuracy, accuracy, accuracy, accuracy, per_class, wilson_interval(right, n))
    components = [ComponentRun(c, "complete", s) for c, s in (("CsvExampleGen", 4.5), ("Trainer", 30.0),
                                                                ("Evaluator", 12.0), ("FirmwareBuilder", 2.0))]
    report = RunReport(RunSummary(PIPELINE, run_id, components), blessed=True, slices=slices,
                       confusion_matrix=[[95, 5], [0, 100]], firmware=firmware_sizes(str(firmware_dir)),
                       config={"name": PIPELINE}, code_version="0123456789ab")
    directory = write_report(report, layout.reports_dir(PIPELINE, run_id))
    if summary_fields:
        path = directory / "summary.json"
        path.write_text(json.dumps({**json.loads(path.read_text()), **summary_fields}, indent=2))
    return firmware_dir / "cortex-m4f"
