"""Helpers shared by the retraining end-to-end tests (local and Kubeflow-shaped runs)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pipelines.examples.digits import write_spans

TINYML = str(Path(sys.executable).with_name("tinyml"))
ENV = {**os.environ, "TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONWARNINGS": "ignore"}
# Shorter training and fewer test vectors than the example, so a run takes about a minute and a half.
SHORT_RUN = {"model__epochs": 20, "converter__test_vectors": 20}


def tinyml(*args) -> subprocess.CompletedProcess:
    return subprocess.run([TINYML, *map(str, args)], capture_output=True, text=True, env=ENV, timeout=900)


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def write_config(data: Path, name: str, **overrides) -> Path:
    """The spans example's config (write_spans.write_config) with the short run's settings."""
    return write_spans.write_config(data, name=name, **{**SHORT_RUN, **overrides})
