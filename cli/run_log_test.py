"""output_to in a process of its own, as `tinyml run` uses it: sys.stdout and sys.stderr bound to fds 1 and 2."""
import subprocess
import sys

_RUN = """
import os, subprocess, sys
from pathlib import Path
from cli.run_log import output_to

with output_to(Path(sys.argv[1])) as terminal:
    print("python stdout")
    print("python stderr", file=sys.stderr)
    os.write(2, b"written to fd 2 as C++ code does\\n")
    subprocess.run(["sh", "-c", "echo from a child process >&2"], check=True)
    terminal.write("Trainer running\\n")
    if sys.argv[2] == "raise":
        raise RuntimeError("a failed step")
print("after the run")
"""


def _run(log, how: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", _RUN, str(log), how], capture_output=True, text=True, timeout=60)


def test_everything_written_to_fds_1_and_2_goes_to_the_log_and_progress_to_the_terminal(tmp_path):
    log = tmp_path / "reports" / "run.log"
    result = _run(log, "return")
    assert result.returncode == 0, result.stderr
    assert result.stderr == "Trainer running\n"
    assert result.stdout == "after the run\n"
    assert log.read_text().splitlines() == [
        "python stdout", "python stderr", "written to fd 2 as C++ code does", "from a child process",
    ]


def test_the_terminal_comes_back_when_the_run_raises(tmp_path):
    result = _run(tmp_path / "run.log", "raise")
    assert result.returncode == 1
    # Python's traceback reaches the user, not the log.
    assert result.stderr.startswith("Trainer running\nTraceback") and "RuntimeError: a failed step" in result.stderr
    assert "a failed step" not in (tmp_path / "run.log").read_text()
