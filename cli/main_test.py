"""main() on the process's own command line: after TensorFlow loaded, the process ends without the
interpreter's teardown, with the command's exit status, its output and the exit handlers run."""
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# A stand-in module named tensorflow: the fast end is taken, without loading TensorFlow in the test.
SCRIPT = textwrap.dedent("""
    import atexit, sys, threading, types
    if sys.argv.pop(1) == "tensorflow":
        sys.modules["tensorflow"] = types.ModuleType("tensorflow")
    if sys.argv.pop(1) == "thread":
        done = threading.Event()
        threading.Thread(target=lambda: (done.wait(0.5), print("thread finished", flush=True))).start()
    atexit.register(lambda: print("exit handler ran", flush=True))
    from cli.main import main
    print("output before the end", end="")
    try:
        main()
    finally:
        print("back in the script")
""")


def _tinyml(tmp_path, tensorflow: bool, thread: bool, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, "tensorflow" if tensorflow else "-", "thread" if thread else "-", *args],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )


@pytest.mark.parametrize("tensorflow", [True, False])
def test_exit_status_output_and_handlers_survive_the_end(tmp_path, tensorflow):
    ok = _tinyml(tmp_path, tensorflow, False, "--help")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("output before the end") and "exit handler ran" in ok.stdout
    # Ending in main, the process never comes back to the script: only the ordinary exit does.
    assert ("back in the script" in ok.stdout) is not tensorflow

    failed = _tinyml(tmp_path, tensorflow, False, "report", "nope", "--root", str(tmp_path))
    assert failed.returncode == 2, failed.stderr
    assert "exit handler ran" in failed.stdout


def test_another_thread_still_going_gets_the_ordinary_exit(tmp_path):
    done = _tinyml(tmp_path, True, True, "--help")
    assert done.returncode == 0, done.stderr
    assert "thread finished" in done.stdout and "back in the script" in done.stdout
