"""`tinyml schedule run-local`: the local pipeline on a cron schedule, in the foreground.

Cron expressions are parsed by croniter. Each run holds an exclusive file lock
(flock) under the runs root, so two runs never overlap: a slot that finds the
lock taken (another scheduler's or a manual run still going) is skipped, not
queued. Slots missed while a run was going are skipped too (no catch-up).
"""
from __future__ import annotations

import contextlib
import datetime
import fcntl
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from croniter import croniter

from tinyml.errors import TinymlError

LOCK_NAME = ".tinyml-schedule.lock"


def check_cron(expression: str) -> str:
    if len(expression.split()) != 5 or not croniter.is_valid(expression):
        raise TinymlError(
            f"'{expression}' is not a valid cron expression",
            fix="use 5 fields: minute hour day-of-month month day-of-week, e.g. \"0 3 * * 1\" (Mondays 03:00)",
        )
    return expression


class LockHeld(Exception):
    """Another process holds the run lock."""


@contextlib.contextmanager
def run_lock(path: Path) -> Iterator[None]:
    """An exclusive, non-blocking flock on `path`; released when the process dies, too."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "another process"
            raise LockHeld(holder) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} since {datetime.datetime.now().isoformat(timespec='seconds')}".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def run_on_schedule(
    cron: str,
    run_once: Callable[[], None],
    lock_path: Path,
    max_slots: int | None = None,
    echo: Callable[[str], None] = print,
    now: Callable[[], datetime.datetime] | None = None,
    sleep: Callable[[float], None] | None = None,
) -> dict[str, int]:
    """Calls `run_once` at each slot of `cron` until `max_slots` slots have passed (None: forever).

    Returns how many slots ran and how many were skipped because the lock was held.
    """
    check_cron(cron)
    now = now or datetime.datetime.now
    sleep = sleep or time.sleep
    counts = {"ran": 0, "skipped": 0}
    while max_slots is None or counts["ran"] + counts["skipped"] < max_slots:
        slot = croniter(cron, now()).get_next(datetime.datetime)
        echo(f"next run at {slot:%Y-%m-%d %H:%M}")
        wait = (slot - now()).total_seconds()
        if wait > 0:
            sleep(wait)
        try:
            with run_lock(lock_path):
                echo(f"run started at {now():%Y-%m-%d %H:%M:%S}")
                run_once()
                counts["ran"] += 1
        except LockHeld as held:
            echo(f"skipped the {slot:%H:%M} run: the lock {lock_path} is held ({held})")
            counts["skipped"] += 1
    return counts
