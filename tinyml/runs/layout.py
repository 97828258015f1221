"""Where a local run keeps things under the runs root (default ./tinyml_runs): the one
place those paths are made."""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

DEFAULT_ROOT = Path("tinyml_runs")
SUMMARY_FILE = "summary.json"  # a run's report, in its reports folder
HTML_REPORT_FILE = "report.html"  # the same, for people, beside it
RUN_LOG_FILE = "run.log"  # everything a run printed, in its reports folder


def new_run_id() -> str:
    """Known before TensorFlow loads, so the run's log file can catch what loading it prints."""
    return datetime.datetime.now().strftime("%Y%m%d-%H%M%S-%f")[:-3]


@dataclass(frozen=True)
class RunsLayout:
    root: Path

    def pipeline_root(self, pipeline: str) -> Path:
        return self.root / "pipelines" / pipeline

    @property
    def metadata_dir(self) -> Path:
        return self.root / "metadata"

    def metadata_path(self, pipeline: str) -> Path:
        return self.metadata_dir / f"{pipeline}.sqlite"

    def pipelines(self) -> list[str]:
        """Names of the pipelines that have an ML Metadata store under the root."""
        return sorted(p.stem for p in self.metadata_dir.glob("*.sqlite"))

    def reports_dir(self, pipeline: str, run_id: str) -> Path:
        return self.root / "reports" / pipeline / run_id

    def run_marker(self, pipeline: str, run_id: str) -> Path:
        """The nodes a run was started with, locked while it runs (tinyml/runs/run_marker.py)."""
        return self.reports_dir(pipeline, run_id) / "run.json"

    def run_log(self, pipeline: str, run_id: str) -> Path:
        return self.reports_dir(pipeline, run_id) / RUN_LOG_FILE

    def summary_path(self, pipeline: str, run_id: str) -> Path:
        return self.reports_dir(pipeline, run_id) / SUMMARY_FILE

    def html_report_path(self, pipeline: str, run_id: str) -> Path:
        return self.reports_dir(pipeline, run_id) / HTML_REPORT_FILE

    def summary_paths(self) -> list[Path]:
        """Every run's summary.json under the root."""
        return sorted((self.root / "reports").glob(f"*/*/{SUMMARY_FILE}"))

    @property
    def chart_cache_dir(self) -> Path:
        """The run reports' charts by their inputs (tinyml.runs.charts.cached)."""
        return self.root / "cache" / "charts"

    @property
    def releases_dir(self) -> Path:
        """The release store when the config names none."""
        return self.root / "releases"
