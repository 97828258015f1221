"""Pipeline benchmark: `tinyml run` as a user runs it (its own process, Python start-up
included) on the bundled example's data ×1, ×10, ×100 (benchmarks/scaled_data.py), fresh,
plus a cached re-run at ×1; at each scale the same data through a plain TFX pipeline of the
standard components (benchmarks/plain_tfx.py), the anchor our time is a ratio of; and the
commands that need no TensorFlow.

Per run: wall and CPU time, peak RSS of the process, per component its time (from ML Metadata),
CPU seconds and peak RSS (measured in the process, pipelines.run_progress.UsageMeter), and the
load average around it (the machine may be shared: CPU seconds are the fair measure then). Prints a table with the issue's targets,
writes JSON and a plot (PNG) beside it.

    python -m benchmarks.pipeline_bench --out bench/pipeline.json [--scales 1,10,100]
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

import yaml

from benchmarks.results import write as write_results
from benchmarks.scaled_data import write_scaled_csv
from pipelines.examples.digits import data as digits_data
from tinyml import node_ids
from tinyml.config import DEFAULT_CONFIG
from tinyml.runs.layout import RunsLayout, new_run_id

# Issue 16 (wall seconds incl. Python start-up; RSS and anchor as ratios) and issue 3 (seconds the converter adds).
TARGETS = {"fresh_wall_s": 120.0, "cached_wall_s": 20.0, "command_wall_s": 1.0, "converter_s": 15.0,
           "rss_x100_over_x1": 1.5, "ratio_to_plain_tfx": 1.1}
TINYML = str(Path(sys.executable).with_name("tinyml"))
ENV = {**os.environ, "TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}


def timed(cmd: list[str], log: Path, check: bool = True) -> dict:
    """Runs `cmd` in a child process: wall seconds, its peak RSS, the load average before and after.

    A child's peak RSS starts at this process's RSS when it forks, so this process imports no TensorFlow."""
    load_before = os.getloadavg()[0]
    start = time.monotonic()
    with open(log, "ab") as out:
        child = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=ENV)
        # wait4 gives this child's own resource use, not all children's so far.
        _, status, usage = os.wait4(child.pid, 0)
    wall = time.monotonic() - start
    if check and os.waitstatus_to_exitcode(status) != 0:
        # The log is in the benchmark's temporary folder, which goes with this exit: its end goes in the message.
        raise SystemExit(f"`{' '.join(cmd)}` failed; the end of its output:\n{log.read_text(errors='replace')[-3000:]}")
    return {"wall_s": round(wall, 2), "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),  # Linux reports KiB
            "load_avg": [round(load_before, 2), round(os.getloadavg()[0], 2)]}


def components(root: Path, pipeline: str, run_id: str, usage: dict) -> dict:
    from tinyml.runs.summary import summarize_run

    summary = summarize_run(RunsLayout(root).metadata_path(pipeline), pipeline, run_id)
    return {c.node_id: {"state": c.state, "seconds": c.seconds, **usage.get(c.node_id, {})}
            for c in summary.components}


def tinyml_run(root: Path, config: Path | None) -> dict:
    cmd = [TINYML, "run", "--root", str(root), *(["--config", str(config)] if config else [])]
    result = timed(cmd, root.parent / f"{root.name}.log")
    summary = max(RunsLayout(root).summary_paths(), key=lambda p: p.stat().st_mtime)
    report = json.loads(summary.read_text())
    return {**result, "run_id": report["run_id"],
            "components": {c["id"]: {k: c.get(k) for k in ("state", "seconds", "cpu_s", "peak_rss_mb")}
                           for c in report["components"]},
            "firmware": firmware_digests(report)}


def firmware_digests(report: dict) -> dict:
    """Per target, the sha256 of the model and of firmware.bin: the same seed must give the same bytes."""
    from tinyml.firmware.manifest import read_manifest, sha256_file

    return {target: {"model_sha256": read_manifest(Path(fw["directory"])).model.sha256,
                     "firmware_bin_sha256": sha256_file(Path(fw["directory"]) / "firmware.bin")}
            for target, fw in report["firmware"].items()}


def plain_tfx_run(root: Path, config: Path | None) -> dict:
    run_id = new_run_id()
    usage = root.parent / f"{root.name}-usage.json"
    cmd = [sys.executable, "-m", "benchmarks.plain_tfx", "--root", str(root), "--run-id", run_id,
           "--usage", str(usage), *(["--config", str(config)] if config else [])]
    result = timed(cmd, root.parent / f"{root.name}.log")
    (pipeline,) = RunsLayout(root).pipelines()  # named in plain_tfx, not imported: that would load TFX here
    return {**result, "run_id": run_id, "components": components(root, pipeline, run_id, json.loads(usage.read_text()))}


def ratios(ours: dict, plain: dict) -> dict:
    """Ours over the anchor, by wall time and by CPU time (which other work on the machine changes less)."""
    return {"ratio_to_plain_tfx": round(ours["wall_s"] / plain["wall_s"], 3),
            "cpu_ratio_to_plain_tfx": round(ours["cpu_s"] / plain["cpu_s"], 3)}


def scaled_config(tmp: Path, factor: int) -> Path:
    """The bundled config on the digits ×factor (the data path instead of the bundled example)."""
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text())
    raw["data"].update(example=None, path=str(write_scaled_csv(tmp / f"data-x{factor}" / "digits.csv", factor)),
                       schema_path=str(DEFAULT_CONFIG.parent / raw["data"]["schema_path"]))
    path = tmp / f"config-x{factor}.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def light_commands(root: Path, run_id: str, tmp: Path) -> dict:
    """Commands that need no TensorFlow, on the runs root the benchmark made."""
    commands = {
        "tinyml --help": [TINYML, "--help"],
        "tinyml runs": [TINYML, "runs", "--root", str(root)],
        "tinyml releases": [TINYML, "releases", "--root", str(root)],  # none yet: says so, exit 2
        "tinyml firmware pull --run": [TINYML, "firmware", "pull", "--run", run_id, "--root", str(root),
                                       "-o", str(tmp / "pulled")],
    }
    return {name: timed(cmd, tmp / "commands.log", check=name != "tinyml releases") for name, cmd in commands.items()}


def verdicts(results: dict) -> dict:
    scales = results["scales"]
    one = scales["1"]
    checks = {
        "fresh_wall_s": (one["fresh"]["wall_s"], TARGETS["fresh_wall_s"]),
        "cached_wall_s": (one["cached"]["wall_s"], TARGETS["cached_wall_s"]),
        "converter_s": (one["fresh"]["components"].get(node_ids.TFLM_CONVERTER, {}).get("seconds", float("nan")),
                        TARGETS["converter_s"]),
        "slowest_command_wall_s": (max(c["wall_s"] for c in results["commands"].values()), TARGETS["command_wall_s"]),
    }
    for scale, s in scales.items():
        checks[f"x{scale}_ratio_to_plain_tfx"] = (s["ratio_to_plain_tfx"], TARGETS["ratio_to_plain_tfx"])
        checks[f"x{scale}_cpu_ratio_to_plain_tfx"] = (s["cpu_ratio_to_plain_tfx"], TARGETS["ratio_to_plain_tfx"])
    if "100" in scales:
        checks["rss_x100_over_x1"] = (scales["100"]["fresh"]["peak_rss_mb"] / one["fresh"]["peak_rss_mb"],
                                      TARGETS["rss_x100_over_x1"])
    return {name: {"value": round(v, 3), "target": t, "ok": v <= t} for name, (v, t) in checks.items()}


def _cell(value) -> str:
    return f"{value:>8.1f}" if isinstance(value, (int, float)) else f"{'-':>8}"


def print_table(results: dict) -> None:
    """Per scale and run: per component seconds, CPU seconds and peak RSS MB, then the process's."""
    for scale, s in results["scales"].items():
        runs = {k: s[k] for k in ("fresh", "cached", "plain_tfx") if k in s}
        print(f"\n×{scale}: {s['rows']} rows; ours / plain TFX: wall {s['ratio_to_plain_tfx']:g}, "
              f"CPU {s['cpu_ratio_to_plain_tfx']:g}")
        print(f"  {'':<30}" + "".join(f"{k:>24}" for k in runs))
        print(f"  {'':<30}" + f"{'s':>8}{'CPU s':>8}{'RSS MB':>8}" * len(runs))
        nodes = dict.fromkeys(n for r in runs.values() for n in r["components"])
        for node in nodes:
            cells = "".join(_cell(r["components"].get(node, {}).get(key))
                            for r in runs.values() for key in ("seconds", "cpu_s", "peak_rss_mb"))
            print(f"  {node:<30}{cells}")
        print(f"  {'process (wall incl. start-up)':<30}" + "".join(
            _cell(r[key]) for r in runs.values() for key in ("wall_s", "cpu_s", "peak_rss_mb")))
        print(f"  {'load average (before, after)':<30}" + "".join(f"{str(r['load_avg']):>24}" for r in runs.values()))
    print()
    for name, c in results["commands"].items():
        print(f"{name:<32}{c['wall_s']:>8.2f} s  (load {c['load_avg'][0]})")
    for name, v in results["targets"].items():
        print(f"{name}: {v['value']:g} (target <= {v['target']:g}) {'OK' if v['ok'] else 'MISSED'}")


def plot(results: dict, png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scales = results["scales"]
    fig, (ax_nodes, ax_rss, ax_growth) = plt.subplots(1, 3, figsize=(18, 5), gridspec_kw={"width_ratios": [1.6, 1, 1]})
    runs = [(f"×{k} ours", s["fresh"]) for k, s in scales.items()] + [(f"×{k} plain TFX", s["plain_tfx"])
                                                                      for k, s in scales.items()]
    runs.insert(1, ("×1 ours, cached", scales["1"]["cached"]))
    nodes = list(dict.fromkeys(n for _, r in runs for n in r["components"]))
    height = 0.8 / len(runs)
    for ax, key, xlabel in ((ax_nodes, "cpu_s", "CPU seconds per component"),
                            (ax_rss, "peak_rss_mb", "peak RSS MB per component")):
        for i, (label, r) in enumerate(runs):
            ax.barh([j + i * height for j in range(len(nodes))],
                    [r["components"].get(n, {}).get(key) or 0 for n in nodes], height,
                    label=f"{label} (CPU {r['cpu_s']:.0f} s, wall {r['wall_s']:.0f} s)")
        ax.set_yticks([j + 0.4 - height / 2 for j in range(len(nodes))], nodes if ax is ax_nodes else [])
        ax.invert_yaxis()
        ax.set_xlabel(xlabel)
    ax_nodes.set_xscale("symlog")
    ax_nodes.legend(fontsize=7, loc="lower right")
    factors = [int(k) for k in scales]
    for key, label, style in (("ratio_to_plain_tfx", "wall", "o-"), ("cpu_ratio_to_plain_tfx", "CPU", "s-")):
        ax_growth.plot(factors, [scales[str(f)][key] for f in factors], style, label=f"ours / plain TFX: {label}")
    ax_growth.axhline(TARGETS["ratio_to_plain_tfx"], color="grey", linestyle=":", label="target")
    rss = ax_growth.twinx()
    rss.plot(factors, [scales[str(f)]["fresh"]["peak_rss_mb"] for f in factors], "^--", color="tab:red",
             label="ours: peak RSS MB")
    rss.set_ylabel("peak RSS MB")
    ax_growth.set_xscale("log")
    ax_growth.set_xlabel("data × (rows)")
    ax_growth.set_ylabel("ratio")
    ax_growth.legend(fontsize=8, loc="upper left")
    rss.legend(fontsize=8, loc="lower right")
    load = [r["load_avg"][0] for _, r in runs]
    fig.suptitle(f"pipeline benchmark on {results['cpus']} CPUs, load average {min(load):.1f}..{max(load):.1f}")
    fig.tight_layout()
    fig.savefig(png, dpi=100)
    plt.close(fig)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("bench/pipeline.json"))
    parser.add_argument("--scales", default="1,10,100", help="Data factors, comma-separated; 1 is always run.")
    args = parser.parse_args(argv)
    factors = sorted({1, *(int(f) for f in args.scales.split(","))})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    results = {"cpus": os.cpu_count(), "scales": {}}
    base_rows = len(digits_data.load()[1])
    with tempfile.TemporaryDirectory(prefix="pipeline-bench-") as tmp:
        tmp = Path(tmp)
        for factor in factors:
            # ×1 is the bundled example exactly as `make run` runs it.
            config = None if factor == 1 else scaled_config(tmp, factor)
            root = tmp / f"runs-x{factor}"
            print(f"×{factor}: fresh run...", flush=True)
            scale = {"fresh": tinyml_run(root, config)}
            if factor == 1:
                print("×1: cached re-run...", flush=True)
                scale["cached"] = tinyml_run(root, config)
                results["commands"] = light_commands(root, scale["fresh"]["run_id"], tmp)
            print(f"×{factor}: plain TFX pipeline...", flush=True)
            scale["plain_tfx"] = plain_tfx_run(tmp / f"plain-x{factor}", config)
            scale.update(ratios(scale["fresh"], scale["plain_tfx"]))
            scale["rows"] = base_rows * factor
            results["scales"][str(factor)] = scale
            args.out.write_text(json.dumps(results, indent=2) + "\n")  # what is done so far survives a failure
    results["targets"] = verdicts(results)
    print_table(results)
    write_results(args.out, results, lambda png: plot(results, png))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
