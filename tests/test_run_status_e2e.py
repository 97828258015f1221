"""A real `tinyml run` killed with SIGKILL while the Trainer runs: `tinyml runs` must call it
interrupted, never succeeded. Its stderr is a pipe, so its progress is the plain lines
(the ones that used to stop once Transform started); they tell the test when to kill it."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

from tinyml.config import DEFAULT_CONFIG

pytestmark = pytest.mark.slow

PIPELINE = "digits-killed"


def _config(tmp: Path) -> Path:
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text())
    raw["name"] = PIPELINE
    raw["data"]["schema_path"] = str(DEFAULT_CONFIG.parent / raw["data"]["schema_path"])
    path = tmp / "config.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def _tinyml(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli.main", *map(str, args)], capture_output=True, text=True,
                          timeout=300)


def test_a_run_killed_during_the_trainer_is_interrupted(tmp_path):
    root = tmp_path / "runs"
    start = time.monotonic()
    run = subprocess.Popen([sys.executable, "-m", "cli.main", "run", "--config", _config(tmp_path), "--root", root],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    lines, trainer = [], threading.Event()

    def read_progress():  # in a thread, so a line that never comes cannot hang the test
        for line in run.stderr:
            lines.append(line.rstrip())
            if line.startswith("Trainer running"):
                trainer.set()

    threading.Thread(target=read_progress, daemon=True).start()
    try:
        trainer.wait(timeout=1500)
    finally:
        os.killpg(run.pid, signal.SIGKILL)
        run.wait()
    print(f"killed after {time.monotonic() - start:.0f} s; stderr:\n" + "\n".join(lines))
    assert trainer.is_set(), lines
    finished = [line.split()[0] for line in lines if " finished in " in line]
    assert {"CsvExampleGen", "DataGate", "Transform"} <= set(finished), lines

    listed = _tinyml("runs", "--root", root, "--json")
    assert listed.returncode == 0, listed.stderr
    (row,) = json.loads(listed.stdout)
    assert row["status"] == "interrupted (Trainer)", row
    assert row["blessed"] is None and row["firmware"] == {}
    table = _tinyml("runs", "--root", root)
    assert "interrupted (Trainer)" in table.stdout and "succeeded" not in table.stdout, table.stdout
