"""Where a local run keeps things under the runs root (default ./tinyml_runs)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_ROOT = Path("tinyml_runs")


@dataclass(frozen=True)
class RunsLayout:
    root: Path

    def pipeline_root(self, pipeline: str) -> Path:
        return self.root / "pipelines" / pipeline

    def metadata_path(self, pipeline: str) -> Path:
        return self.root / "metadata" / f"{pipeline}.sqlite"

    def reports_dir(self, pipeline: str, run_id: str) -> Path:
        return self.root / "reports" / pipeline / run_id

    def run_marker(self, pipeline: str, run_id: str) -> Path:
        """The nodes a run was started with, locked while it runs (tinyml/runs/run_marker.py)."""
        return self.reports_dir(pipeline, run_id) / "run.json"
