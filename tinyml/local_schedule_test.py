"""The local scheduler: croniter slots, and a lock so two runs never overlap."""
import datetime
import subprocess
import sys
import time

import pytest

from tinyml.errors import TinymlError
from tinyml.local_schedule import LockHeld, check_cron, run_lock, run_on_schedule


class FakeClock:
    """Time that moves only when the scheduler sleeps (or a fake run takes time)."""

    def __init__(self, start):
        self.t = start
        self.sleeps = []

    def now(self):
        return self.t

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.t += datetime.timedelta(seconds=seconds)


def test_runs_at_each_cron_slot(tmp_path):
    clock = FakeClock(datetime.datetime(2026, 1, 5, 2, 59, 30))  # a Monday
    started = []
    counts = run_on_schedule("0 3 * * *", lambda: started.append(clock.now()), tmp_path / "lock",
                             max_slots=3, echo=lambda _: None, now=clock.now, sleep=clock.sleep)
    assert counts == {"ran": 3, "skipped": 0}
    assert started == [datetime.datetime(2026, 1, d, 3, 0) for d in (5, 6, 7)]
    assert clock.sleeps[0] == 30


def test_a_concurrent_invocation_skips_while_a_run_holds_the_lock(tmp_path):
    clock = FakeClock(datetime.datetime(2026, 1, 5, 3, 0, 0))
    lock = tmp_path / "lock"
    inner_runs, inner_counts, messages = [], {}, []

    def outer_run():
        # A second scheduler reaches its slot while this run is going.
        inner_counts.update(run_on_schedule("*/5 * * * *", lambda: inner_runs.append(1), lock, max_slots=1,
                                            echo=messages.append, now=clock.now, sleep=clock.sleep))

    counts = run_on_schedule("*/5 * * * *", outer_run, lock, max_slots=1, echo=messages.append,
                             now=clock.now, sleep=clock.sleep)
    assert counts == {"ran": 1, "skipped": 0}
    assert inner_counts == {"ran": 0, "skipped": 1} and inner_runs == []
    assert any("skipped" in m and "is held (pid" in m for m in messages)


def test_lock_held_by_another_process(tmp_path):
    lock = tmp_path / "lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, pathlib; from tinyml.local_schedule import run_lock\n"
         "with run_lock(pathlib.Path(sys.argv[1])):\n    print('held', flush=True); sys.stdin.readline()", str(lock)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(LockHeld, match=f"pid {holder.pid}"):
            with run_lock(lock):
                pass
    finally:
        holder.communicate("\n", timeout=30)
    with run_lock(lock):  # released when the holder exits
        assert "pid" in lock.read_text()


def test_missed_slots_are_not_caught_up(tmp_path):
    clock = FakeClock(datetime.datetime(2026, 1, 5, 3, 0, 0))
    started = []

    def slow_run():
        started.append(clock.now())
        clock.t += datetime.timedelta(minutes=12)  # ends at 03:17: the 03:10 and 03:15 slots pass

    run_on_schedule("*/5 * * * *", slow_run, tmp_path / "lock", max_slots=2, echo=lambda _: None,
                    now=clock.now, sleep=clock.sleep)
    assert started == [datetime.datetime(2026, 1, 5, 3, 5), datetime.datetime(2026, 1, 5, 3, 20)]


@pytest.mark.parametrize("bad", ["61 * * * *", "every monday", "0 3 * *", "0 0 3 * * 1", ""])
def test_bad_cron_is_refused(bad, tmp_path):
    with pytest.raises(TinymlError, match="not a valid cron expression"):
        run_on_schedule(bad, lambda: None, tmp_path / "lock", max_slots=1, sleep=lambda s: time.sleep(0))
    assert check_cron("0 3 * * 1") == "0 3 * * 1"
