"""A run's report: summary.json and a metrics plot, under <root>/reports/<pipeline>/<run id>/."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from tinyml import node_ids
from tinyml.artifact_properties import is_blessed, span
from tinyml.runs import evaluation as evaluation_results
from tinyml.runs.charts import error_bars, lowest_shown, slice_bars
from tinyml.runs.summary import RunSummary
from tinyml.config import PipelineConfig
from tinyml.file_names import CONVERSION_REPORT_FILE, RELEASE_FILE, SPLIT_CHECK_FILE
from tinyml.firmware.manifest import built_targets, read_manifest
from tinyml.runs.det_plot import DET_PLOT_FILE, plot_det
from tinyml.runs.layout import SUMMARY_FILE


@dataclass
class RunReport:
    summary: RunSummary
    blessed: bool | None = None
    blessing_reasons: list[str] = field(default_factory=list)
    slices: dict[str, evaluation_results.SliceMetrics] = field(default_factory=dict)
    confusion_matrix: list[list[int]] | None = None
    firmware: dict[str, dict] = field(default_factory=dict)  # target -> folder, flash and RAM against budget
    spans: list[int] = field(default_factory=list)  # ExampleGen's span(s) of this run's data
    # With releases: {released, version, reasons, ...} from the Releaser; None without.
    release: dict | None = None
    # The DataGate's split check (split_check.json): rows, shares, missing classes, problems let through.
    split_check: dict | None = None
    # With evaluation.kws: the int8 model's FAR/FRR per keyword at the threshold, and the gate (kws_summary).
    kws: dict | None = None
    # The converter's `kws` section (both models' DET curves), drawn as det.png.
    kws_curves: dict | None = None
    # The config the run used and the code that ran it (the HTML report shows both).
    config: dict | None = None
    code_version: str | None = None
    # WAV input: files read, cropped and padded to the clip length (tinyml.audio.wav_folder.Ingestion).
    ingestion: dict | None = None
    directory: Path | None = None
    log: Path | None = None  # what the run printed, when `tinyml run` kept it out of the terminal

    def as_dict(self) -> dict:
        s = self.summary
        return {
            "pipeline": s.pipeline,
            "run_id": s.run_id,
            "status": s.status,
            "error": s.error,
            "components": [{"id": c.node_id, "state": c.state, "seconds": c.seconds, "cpu_s": c.cpu_s,
                            "peak_rss_mb": c.peak_rss_mb} for c in s.components],
            "blessed": self.blessed,
            "blessing_reasons": self.blessing_reasons,
            "metrics": {name: m.as_dict() for name, m in self.slices.items()},
            "confusion_matrix": self.confusion_matrix,
            "firmware": self.firmware,
            "spans": self.spans,
            "release": self.release,
            "split_check": self.split_check,
            "kws": self.kws,
            "config": self.config,
            "code_version": self.code_version,
            "log": str(self.log) if self.log else None,
            "ingestion": self.ingestion,
        }


def firmware_sizes(firmware_uri: str) -> dict[str, dict]:
    """{target: folder, flash and RAM against budget} of every target built under `firmware_uri`."""
    released = {}
    for target in built_targets(firmware_uri):
        folder = Path(firmware_uri) / target
        memory = read_manifest(folder).memory
        released[target] = {
            "directory": str(folder),
            "flash_bytes": memory.flash_bytes,
            "flash_budget_bytes": memory.flash_budget_bytes,
            "ram_bytes": memory.ram_bytes,
            "ram_budget_bytes": memory.ram_budget_bytes,
        }
    return released


def kws_summary(section: dict, conversion_report: Path) -> dict:
    """The run summary's part of the converter's `kws` section: the operating point of the int8 model
    per keyword, both models' averages, the gate; the curves stay in the converter's report."""
    return {
        "threshold": section["threshold"],
        "keywords": section["keywords"],
        "class_names": section["class_names"],
        "int8": section["int8"]["operating_point"],
        "float_average": section["float"]["operating_point"]["average"],
        "gate": section["gate"],
        "det_plot": DET_PLOT_FILE,
        "conversion_report": str(conversion_report),
    }


def code_version() -> str | None:
    """The git commit of the code (with '-dirty' for uncommitted changes); None outside a git checkout."""
    import subprocess

    repo = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short=12", "HEAD"],
                                capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if commit.returncode != 0:
        return None
    return commit.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def build_report(summary: RunSummary, config: PipelineConfig) -> RunReport:
    report = RunReport(summary, config=config.model_dump(mode="json"), code_version=code_version())
    evaluation = summary.output(node_ids.EVALUATOR, "evaluation")
    blessing = summary.output(node_ids.EVALUATOR, "blessing")
    if evaluation is not None:
        report.slices = evaluation_results.load_slice_metrics(evaluation.uri)
        report.confusion_matrix = evaluation_results.load_confusion_matrix(evaluation.uri, config.data.num_classes).tolist()
        passed, report.blessing_reasons = evaluation_results.load_validation(evaluation.uri)
        report.blessed = is_blessed(blessing) if blessing is not None else passed
    firmware = summary.output(node_ids.FIRMWARE_BUILDER, "firmware")
    report.firmware = firmware_sizes(firmware.uri) if firmware is not None else {}
    examples = summary.examples()
    # Without spans ExampleGen still records span 0: not worth reporting.
    if config.data.spans and span(examples) is not None:
        report.spans = [span(examples)]
    gate = summary.output(node_ids.DATA_GATE, "report")
    if gate is not None and (Path(gate.uri) / SPLIT_CHECK_FILE).is_file():
        report.split_check = json.loads((Path(gate.uri) / SPLIT_CHECK_FILE).read_text())
    converted = summary.output(node_ids.TFLM_CONVERTER, "tflite_model")
    conversion = Path(converted.uri) / CONVERSION_REPORT_FILE if converted is not None else None
    if conversion is not None and conversion.is_file():
        report.kws_curves = json.loads(conversion.read_text()).get("kws")
        report.kws = kws_summary(report.kws_curves, conversion) if report.kws_curves else None
    record = summary.output(node_ids.RELEASER, "release")
    if record is not None and (Path(record.uri) / RELEASE_FILE).is_file():
        report.release = json.loads((Path(record.uri) / RELEASE_FILE).read_text())
    return report


def write_report(report: RunReport, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / SUMMARY_FILE).write_text(json.dumps(report.as_dict(), indent=2))
    if report.slices:
        _plot_metrics(report, directory / "metrics.png")
    if report.kws_curves:
        s = report.summary
        plot_det(report.kws_curves, f"{s.pipeline} run {s.run_id}: DET on the eval split", directory / DET_PLOT_FILE)
    report.directory = directory
    return directory


def _plot_metrics(report: RunReport, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, (ax_slices, ax_classes, ax_cm) = plt.subplots(1, 3, figsize=(16, 4.5), gridspec_kw={"width_ratios": [1.1, 1.4, 1]})
    slice_bars(ax_slices, {name: m.as_dict() for name, m in report.slices.items()})
    ax_slices.set_title("per slice (macro averages; accuracy ± 95 % interval)", fontsize=10)
    ax_slices.legend(fontsize=8, loc="lower right")

    overall = report.slices[evaluation_results.OVERALL].per_class
    classes = sorted(overall)
    shown = []
    for i, metric in enumerate(("precision", "recall", "f1")):
        values = [overall[c][metric] for c in classes]
        # F1 is no single proportion: no binomial interval, no error bar.
        intervals = [overall[c].get(f"{metric}_interval") for c in classes]
        ax_classes.bar(np.arange(len(classes)) + i * 0.27, values, 0.27, label=metric,
                       yerr=error_bars(values, intervals), capsize=2)
        if metric != "f1":
            shown.append(lowest_shown(values, intervals))
    ax_classes.set_xticks(np.arange(len(classes)) + 0.27, [str(c) for c in classes])
    ax_classes.set_ylim(min(shown), 1.0)
    ax_classes.set_title("per class (overall; precision and recall ± 95 % interval)", fontsize=10)
    ax_classes.legend(fontsize=8, loc="lower right")

    cm = np.array(report.confusion_matrix)
    ax_cm.imshow(cm, cmap="Blues")
    for (r, c), v in np.ndenumerate(cm):
        if v:
            ax_cm.text(c, r, str(v), ha="center", va="center", fontsize=7, color="white" if v > cm.max() / 2 else "black")
    ax_cm.set_xlabel("predicted")
    ax_cm.set_ylabel("actual")
    ax_cm.set_title("confusion matrix")
    fig.suptitle(f"{report.summary.pipeline} run {report.summary.run_id}: blessed={report.blessed}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
