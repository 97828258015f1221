"""Each component's start and end, read from ML Metadata while a local run goes,
and what this process spent between them (CPU seconds, peak resident memory).

TFX also logs "Component X is running/finished", but in a run whose stderr was
a pipe those records stopped reaching our handler once Transform had started
(tests/test_run_status_e2e.py saw it): the store is the record that does not
depend on how a library sets up logging.
"""
from __future__ import annotations

import re
import resource
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tinyml.runs.summary import summarize_run

_ENDS = {"complete": "finished", "cached": "finished", "failed": "failed"}


@dataclass(frozen=True)
class Sample:
    """This process at one moment: CPU seconds so far, resident MB now and at its peak so far."""
    cpu_s: float
    rss_mb: float
    hwm_mb: float


def sample() -> Sample:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    # With the programs it ran and waited for (the firmware's compiler and QEMU), as the process's CPU time counts them.
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = usage.ru_utime + usage.ru_stime + children.ru_utime + children.ru_stime
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:  # not Linux: the peak so far is all there is
        peak = usage.ru_maxrss / 1024
        return Sample(cpu_s, peak, peak)
    kib = {k: int(v) for k, v in re.findall(r"^(VmRSS|VmHWM):\s+(\d+) kB", status, re.M)}
    return Sample(cpu_s, kib["VmRSS"] / 1024, kib["VmHWM"] / 1024)


@dataclass
class ComponentUsage:
    cpu_s: float
    peak_rss_mb: float


class UsageMeter:
    """Per node, from samples taken at its start, at each watcher tick while it runs, and at its end.

    All components run one after another in this process, so the process's CPU time between a
    node's start and end is the node's (give or take the watcher's interval at each boundary).
    Its peak RSS is exact when it raised the process's peak (VmHWM); otherwise it is the most
    seen at the ticks, as the process's peak cannot be reset without losing it for the process."""

    def __init__(self):
        self.started: dict[str, Sample] = {}
        self.rss_mb: dict[str, float] = {}
        self.usage: dict[str, ComponentUsage] = {}

    def start(self, node: str, now: Sample) -> None:
        self.started[node] = now
        self.rss_mb[node] = now.rss_mb

    def tick(self, now: Sample) -> None:
        for node in self.started.keys() - self.usage.keys():
            self.rss_mb[node] = max(self.rss_mb[node], now.rss_mb)

    def end(self, node: str, now: Sample) -> None:
        self.tick(now)
        start = self.started[node]
        peak = now.hwm_mb if now.hwm_mb > start.hwm_mb else self.rss_mb[node]
        self.usage[node] = ComponentUsage(round(now.cpu_s - start.cpu_s, 2), round(peak, 1))


class ExecutionWatcher(threading.Thread):
    """Calls on_event(node, "running" | "finished" | "failed") once per node and event;
    `meter.usage` holds each finished node's CPU seconds and peak RSS."""

    def __init__(self, metadata_path: Path, pipeline: str, run_id: str, on_event: Callable[[str, str], None],
                 interval_s: float = 1.0):
        super().__init__(name="tinyml-progress", daemon=True)
        self.metadata_path, self.pipeline, self.run_id = metadata_path, pipeline, run_id
        self.on_event, self.interval_s = on_event, interval_s
        self.reported: dict[str, str] = {}
        self.done = threading.Event()
        self.meter = UsageMeter()

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
        now = sample()
        self.meter.tick(now)
        for c in components:
            if c.node_id not in self.reported:
                self.reported[c.node_id] = "running"
                self.meter.start(c.node_id, now)
                self.on_event(c.node_id, "running")
            end = _ENDS.get(c.state)
            if end and self.reported[c.node_id] == "running":
                self.reported[c.node_id] = end
                self.meter.end(c.node_id, now)
                self.on_event(c.node_id, end)
