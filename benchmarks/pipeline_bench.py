"""Pipeline benchmark: the bundled example on a fresh runs root, then the same
command again (TFX's cache), each as a user runs it: `tinyml run` in its own
process, Python start-up included.

Per run: wall time, time per component (from the run's summary.json), peak
RSS of the process. Prints a table with the issue's targets, writes JSON and a
bar chart (PNG) beside it.

    python -m benchmarks.pipeline_bench --out bench/pipeline.json
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tinyml import node_ids
from tinyml.runs.layout import RunsLayout

# Issue 2 (fresh, cached; wall seconds incl. Python start-up) and issue 3
# (seconds the converter adds).
TARGETS = {"fresh_wall_s": 120.0, "cached_wall_s": 35.0, "converter_s": 15.0}


def timed_run(root: Path, config: Path | None) -> dict:
    """One `tinyml run` in a child process: wall seconds, peak RSS and its summary."""
    cmd = [str(Path(sys.executable).with_name("tinyml")), "run", "--root", str(root)]
    if config:
        cmd += ["--config", str(config)]
    env = {**os.environ, "TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}
    start = time.monotonic()
    with open(root.parent / f"{root.name}.log", "ab") as log:
        child = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        # wait4 gives this child's own resource use, not all children's so far.
        _, status, usage = os.wait4(child.pid, 0)
    wall = time.monotonic() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"`{' '.join(cmd)}` failed; see {log.name}")
    summary = max(RunsLayout(root).summary_paths(), key=lambda p: p.stat().st_mtime)
    report = json.loads(summary.read_text())
    return {
        "wall_s": round(wall, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),  # Linux reports KiB
        "run_id": report["run_id"],
        "components": {c["id"]: {"state": c["state"], "seconds": c["seconds"]} for c in report["components"]},
    }


def verdicts(fresh: dict, cached: dict) -> dict:
    converter = fresh["components"].get(node_ids.TFLM_CONVERTER, {}).get("seconds", float("nan"))
    return {
        "fresh_wall_s": {"value": fresh["wall_s"], "target": TARGETS["fresh_wall_s"], "ok": fresh["wall_s"] <= TARGETS["fresh_wall_s"]},
        "cached_wall_s": {"value": cached["wall_s"], "target": TARGETS["cached_wall_s"], "ok": cached["wall_s"] <= TARGETS["cached_wall_s"]},
        "converter_s": {"value": converter, "target": TARGETS["converter_s"], "ok": converter <= TARGETS["converter_s"]},
    }


def print_table(fresh: dict, cached: dict, checks: dict) -> None:
    print(f"{'component':<32}{'fresh s':>10}{'cached s':>10}  cached state")
    for node, f in fresh["components"].items():
        c = cached["components"].get(node, {})
        print(f"{node:<32}{f['seconds']:>10.1f}{c.get('seconds', float('nan')):>10.1f}  {c.get('state', '-')}")
    print(f"{'wall (incl. start-up)':<32}{fresh['wall_s']:>10.1f}{cached['wall_s']:>10.1f}")
    print(f"{'peak RSS MB':<32}{fresh['peak_rss_mb']:>10.0f}{cached['peak_rss_mb']:>10.0f}")
    for name, v in checks.items():
        print(f"{name}: {v['value']:.1f} (target <= {v['target']:g}) {'OK' if v['ok'] else 'MISSED'}")


def plot(fresh: dict, cached: dict, png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    nodes = list(fresh["components"])
    fig, ax = plt.subplots(figsize=(10, 4.5))
    y = range(len(nodes))
    ax.barh([i + 0.2 for i in y], [fresh["components"][n]["seconds"] for n in nodes], 0.4, label=f"fresh (wall {fresh['wall_s']:.0f} s)")
    ax.barh([i - 0.2 for i in y], [cached["components"].get(n, {}).get("seconds", 0) for n in nodes], 0.4,
            label=f"cached re-run (wall {cached['wall_s']:.0f} s)")
    ax.set_yticks(list(y), nodes)
    ax.invert_yaxis()
    ax.set_xlabel("seconds inside the runner")
    ax.set_title("bundled example: time per component")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(png, dpi=100)
    plt.close(fig)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("bench/pipeline.json"))
    parser.add_argument("--config", type=Path, default=None, help="Pipeline config (default: the bundled example).")
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pipeline-bench-") as tmp:
        root = Path(tmp) / "runs"
        print("fresh run...", flush=True)
        fresh = timed_run(root, args.config)
        print("cached re-run...", flush=True)
        cached = timed_run(root, args.config)
    checks = verdicts(fresh, cached)
    print_table(fresh, cached, checks)
    results = {"fresh": fresh, "cached": cached, "targets": checks, "cpus": os.cpu_count()}
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    png = args.out.with_suffix(".png")
    plot(fresh, cached, png)
    print(f"wrote {args.out} and {png}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
