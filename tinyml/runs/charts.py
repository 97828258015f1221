"""The run report's charts: matplotlib figures as inline SVG, so the HTML file needs no
network and no script. Each chart scales to the page's width (no fixed pixel size)."""
from __future__ import annotations

import functools
import hashlib
import io
import json
import re
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import numpy as np

_METRICS = ("accuracy", "precision", "recall", "f1")


@functools.lru_cache(maxsize=1)
def _pyplot():
    """matplotlib, imported when a chart is first drawn: a re-run whose charts are all cached draws none."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # Text stays text (searchable, sharp); ids are salted per chart so several SVGs on one page do not clash.
    matplotlib.rcParams["svg.fonttype"] = "none"
    return plt


@functools.lru_cache(maxsize=1)
def _drawing_code() -> str:
    """What else decides a chart's SVG besides its inputs: this module's code and matplotlib's version."""
    return hashlib.sha256(Path(__file__).read_bytes() + metadata.version("matplotlib").encode()).hexdigest()


def cached(folder: Path, chart: Callable[..., str], *args) -> str:
    """`chart(*args)`, read from `folder` when drawn before from the same inputs by the same code.

    A re-run where every component was cached reports the same results as the run before it: its
    charts are that run's, byte for byte, without drawing them again (about a CPU second)."""
    inputs = json.dumps([chart.__name__, args, _drawing_code()], sort_keys=True, default=repr)
    path = folder / f"{hashlib.sha256(inputs.encode()).hexdigest()}.svg"
    if path.is_file():
        return path.read_text()
    svg = chart(*args)
    folder.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{id(svg)}.part")  # whole or absent, should two runs draw it at once
    partial.write_text(svg)
    partial.replace(path)
    return svg


def _svg(fig, name: str) -> str:
    plt = _pyplot()
    buffer = io.StringIO()
    plt.rcParams["svg.hashsalt"] = name
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})  # the same inputs, the same bytes
    plt.close(fig)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]
    # Width from the page, height from the aspect ratio.
    svg = re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', rf'<svg\1 class="chart" role="img" aria-label="{name}"', svg, count=1)
    return svg


def error_bars(values, intervals) -> np.ndarray | None:
    """matplotlib's yerr (distances below and above each value) from [low, high] intervals; zero where
    a value has no interval (None: nothing counted), None (no bars) where none has one (F1; old reports)."""
    if not any(intervals):
        return None
    below, above = [], []
    for value, interval in zip(values, intervals):
        low, high = interval if interval else (value, value)
        below.append(value - low)
        above.append(high - value)
    return np.array([below, above])


def lowest_shown(values, intervals) -> float:
    """Where a y axis of proportions starts: at 0.8, or lower to show the lowest value or interval."""
    lows = [interval[0] if interval else value for value, interval in zip(values, intervals)]
    return min(0.8, min(lows) - 0.05)


_ERROR_STYLE = {"capsize": 2, "error_kw": {"elinewidth": 0.8, "ecolor": "black"}}


def slice_bars(ax, metrics: dict[str, dict]) -> bool:
    """Accuracy and macro precision/recall/F1 per slice on `ax`, bars grouped by slice; accuracy with its
    95 % interval (the macro averages, over classes of different sizes, have no binomial interval).
    Whether any slice had one (reports written before intervals have none)."""
    names = list(metrics)
    width = 0.8 / len(_METRICS)
    accuracy = [metrics[n]["accuracy"] for n in names]
    intervals = [metrics[n].get("accuracy_interval") for n in names]
    for i, metric in enumerate(_METRICS):
        values = [metrics[n][metric] for n in names]
        errors = error_bars(values, intervals) if metric == "accuracy" else None
        ax.bar(np.arange(len(names)) + i * width, values, width, label=metric, yerr=errors, **_ERROR_STYLE)
    ax.set_xticks(np.arange(len(names)) + 0.4 - width / 2, [f"{n}\n(n={metrics[n]['example_count']})" for n in names], fontsize=8)
    ax.set_ylim(lowest_shown(accuracy, intervals), 1.0)
    return any(intervals)


def slice_metrics(metrics: dict[str, dict]) -> str:
    """The run page's per-slice chart (slice_bars)."""
    fig, ax = _pyplot().subplots(figsize=(7, 3.2))
    known = slice_bars(ax, metrics)
    ax.legend(fontsize=8, loc="lower right", ncol=4)
    title = "per slice (eval split; macro averages" + ("; accuracy with its 95 % interval)" if known else ")")
    ax.set_title(title, fontsize=10)
    return _svg(fig, "metrics per slice")


def confusion(matrix: list[list[int]], title: str) -> str:
    cm = np.array(matrix)
    fig, ax = _pyplot().subplots(figsize=(3.6, 3.4))
    ax.imshow(cm, cmap="Blues")
    for (r, c), v in np.ndenumerate(cm):
        if v:
            ax.text(c, r, str(v), ha="center", va="center", fontsize=6, color="white" if v > cm.max() / 2 else "black")
    ax.set_xticks(range(len(cm)))
    ax.set_yticks(range(len(cm)))
    ax.tick_params(labelsize=7)
    ax.set_xlabel("predicted", fontsize=8)
    ax.set_ylabel("actual", fontsize=8)
    ax.set_title(title, fontsize=10)
    return _svg(fig, title)


def quantization_drop(float_acc: dict[str, float], int8_acc: dict[str, float],
                      float_intervals: dict[str, list | None], int8_intervals: dict[str, list | None]) -> str:
    """Float and int8 accuracy per slice, side by side, each with its 95 % interval."""
    names = list(float_acc)
    fig, ax = _pyplot().subplots(figsize=(7, 2.8))
    x = np.arange(len(names))
    shown = []
    for offset, label, acc, intervals in ((-0.2, "float", float_acc, float_intervals), (0.2, "int8", int8_acc, int8_intervals)):
        values, bounds = [acc[n] for n in names], [intervals.get(n) for n in names]
        ax.bar(x + offset, values, 0.4, label=label, yerr=error_bars(values, bounds), **_ERROR_STYLE)
        shown.append(lowest_shown(values, bounds))
    ax.set_xticks(x, names, fontsize=8)
    ax.set_ylim(min(shown), 1.0)
    ax.legend(fontsize=8, loc="lower right")
    known = any([*float_intervals.values(), *int8_intervals.values()])
    ax.set_title("accuracy, float vs int8 (converter's eval" + ("; 95 % intervals)" if known else ")"), fontsize=10)
    return _svg(fig, "quantization drop")


def op_profile(ops: list[dict]) -> str:
    """Instructions per operator in invoke order, one bar each, labelled with its share of the total."""
    labels = [f"{o['index']} {o['op']}" for o in ops]
    values = [o["instructions"] for o in ops]
    fig, ax = _pyplot().subplots(figsize=(7, 0.3 * len(ops) + 0.9))
    y = np.arange(len(ops))
    ax.barh(y, values, color="#4c72b0")
    for i, o in enumerate(ops):
        ax.text(values[i], i, f" {100 * o['share']:.1f} %", va="center", fontsize=7)
    ax.set_yticks(y, labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(0, max(values) * 1.18 if values and max(values) > 0 else 1)
    ax.tick_params(axis="x", labelsize=7)
    ax.set_xlabel("instructions per inference", fontsize=8)
    ax.set_title("where an inference spends its instructions (per operator)", fontsize=10)
    return _svg(fig, "instructions per operator")


def drift(measurements: list[dict]) -> str:
    """Each compared feature's distance against its threshold: a bar per feature, the threshold a tick."""
    labels = [f"{m['feature']} ({m['kind']})" for m in measurements]
    fig, ax = _pyplot().subplots(figsize=(7, 0.28 * len(measurements) + 0.9))
    y = np.arange(len(measurements))
    over = [m["value"] > m["threshold"] for m in measurements]
    ax.barh(y, [m["value"] for m in measurements], color=["#c44e52" if o else "#55a868" for o in over])
    ax.scatter([m["threshold"] for m in measurements], y, marker="|", s=160, color="black", label="threshold")
    ax.set_yticks(y, labels, fontsize=7)
    ax.invert_yaxis()
    ax.tick_params(axis="x", labelsize=7)
    ax.set_xlabel("distance to the reference (Jensen-Shannon or L-infinity, 0..1)", fontsize=8)
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title("drift: each feature against its threshold", fontsize=10)
    return _svg(fig, "drift per feature")
