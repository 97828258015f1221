"""Two runs side by side: their metrics per slice and device numbers per target, with the change."""
from __future__ import annotations

from tinyml.runs.run_page import RunPage

METRICS = ("accuracy", "precision", "recall", "f1")
DEVICE = (  # label, where in the manifest
    ("flash bytes", lambda m: m.memory.flash_bytes),
    ("RAM bytes", lambda m: m.memory.ram_bytes),
    ("arena bytes", lambda m: m.memory.arena_bytes),
    ("instructions per inference", lambda m: m.performance.instructions_per_inference),
    ("latency ms", lambda m: m.performance.estimated_latency_ms),
)


def _row(label: str, a, b, a_interval=None, b_interval=None) -> dict:
    change = b - a if isinstance(a, (int, float)) and isinstance(b, (int, float)) else None
    return {"label": label, "a": a, "b": b, "change": change, "a_interval": a_interval, "b_interval": b_interval}


def comparison(a: RunPage, b: RunPage) -> dict:
    """{metrics: [{label, a, b, change, a_interval, b_interval}], device: {target: [...]}}; a number only one
    run has gets no change. Each run's 95 % interval, where the metric has one (accuracy), beside its value."""
    ma, mb = a.summary.get("metrics") or {}, b.summary.get("metrics") or {}
    metrics = [
        _row(f"{name} {metric}", ma.get(name, {}).get(metric), mb.get(name, {}).get(metric),
             ma.get(name, {}).get(f"{metric}_interval"), mb.get(name, {}).get(f"{metric}_interval"))
        for name in [*ma, *(n for n in mb if n not in ma)] for metric in METRICS
    ]
    device = {}
    for target in sorted({*a.manifests, *b.manifests}):
        fa, fb = a.manifests.get(target), b.manifests.get(target)
        device[target] = [_row(label, get(fa) if fa else None, get(fb) if fb else None) for label, get in DEVICE]
    return {"metrics": metrics, "device": device}
