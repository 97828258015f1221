"""A local run's marker file: the nodes the run was started with, locked by its process until it ends.

ML Metadata records only the components that started, and a run killed mid-way
(kill -9, a crash, a reboot) leaves its last execution RUNNING for ever. The
marker names the nodes that never started, and its lock (flock, released by the
kernel when the process dies) tells a run still going from a dead one.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Marker:
    nodes: tuple[str, ...]
    live: bool  # a process still holds the lock


@contextlib.contextmanager
def hold(path: Path, nodes: list[str]) -> Iterator[None]:
    """Writes the marker and holds its lock while the block runs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"nodes": nodes, "pid": os.getpid()}).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the only descriptor releases the lock


def read(path: Path) -> Marker | None:
    """The marker of a run, or None for a run started without one (older runs, other runners)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            live = False
        except BlockingIOError:
            live = True
        text = os.pread(fd, 1 << 20, 0).decode()
    finally:
        os.close(fd)
    # Empty only between the runner's create and write, while it holds the lock.
    nodes = tuple(json.loads(text)["nodes"]) if text else ()
    return Marker(nodes, live)
