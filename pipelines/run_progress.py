"""Each component's start and end, read from ML Metadata while a local run goes.

TFX also logs "Component X is running/finished", but in a run whose stderr was
a pipe those records stopped reaching our handler once Transform had started
(tests/test_run_status_e2e.py saw it): the store is the record that does not
depend on how a library sets up logging.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from tinyml.runs.summary import summarize_run

_ENDS = {"complete": "finished", "cached": "finished", "failed": "failed"}


class ExecutionWatcher(threading.Thread):
    """Calls on_event(node, "running" | "finished" | "failed") once per node and event."""

    def __init__(self, metadata_path: Path, pipeline: str, run_id: str, on_event: Callable[[str, str], None],
                 interval_s: float = 1.0):
        super().__init__(name="tinyml-progress", daemon=True)
        self.metadata_path, self.pipeline, self.run_id = metadata_path, pipeline, run_id
        self.on_event, self.interval_s = on_event, interval_s
        self.reported: dict[str, str] = {}
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.interval_s):
            self.poll()

    def stop(self) -> None:
        self.done.set()
        self.join()
        self.poll()  # the last component's end

    def poll(self) -> None:
        if not self.metadata_path.exists():
            return
        try:
            components = summarize_run(self.metadata_path, self.pipeline, self.run_id).components
        except Exception:  # the store is mid-write (SQLite busy): read it on the next tick
            return
        for c in components:
            if c.node_id not in self.reported:
                self.reported[c.node_id] = "running"
                self.on_event(c.node_id, "running")
            end = _ENDS.get(c.state)
            if end and self.reported[c.node_id] == "running":
                self.reported[c.node_id] = end
                self.on_event(c.node_id, end)
