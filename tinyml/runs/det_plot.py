"""The DET plot of a run: FRR against FAR of the float and the int8 model, from the converter's report."""
from __future__ import annotations

from pathlib import Path

import numpy as np

DET_PLOT_FILE = "det.png"
# Log axes cannot show a rate of 0: such points are drawn at this floor (said on the axes).
FLOOR = 1e-3


def _floored(values) -> np.ndarray:
    return np.maximum(np.asarray(values, dtype=np.float64), FLOOR)


def plot_det(kws: dict, title: str, path: Path) -> Path:
    """`kws`: the `kws` section of conversion_report.json. Averaged curves of both models, the int8
    model's per-keyword curves faintly, its operating point, and the FRR-at-FAR gate if any."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    for keyword, curve in kws["int8"]["det"]["per_keyword"].items():
        ax.plot(_floored(curve["far"]), _floored(curve["frr"]), color="tab:orange", alpha=0.25, linewidth=0.8, label="int8, each keyword" if keyword == str(kws["keywords"][0]) else None)
    for model, colour in (("float", "tab:blue"), ("int8", "tab:orange")):
        curve = kws[model]["det"]["average"]
        ax.plot(_floored(curve["far"]), _floored(curve["frr"]), color=colour, linewidth=2,
                label=f"{model}, averaged over {len(kws['keywords'])} keywords")
    point = kws["int8"]["operating_point"]["average"]
    ax.plot(max(point["far"], FLOOR), max(point["frr"], FLOOR), "o", color="tab:red",
            label=f"int8 at threshold {kws['threshold']:g}")
    gate = kws["gate"]
    if gate:
        ax.plot([FLOOR, gate["far"]], [gate["max_frr"]] * 2, "--", color="tab:green" if gate["passed"] else "tab:red")
        ax.axvline(gate["far"], linestyle="--", color="tab:green" if gate["passed"] else "tab:red",
                   label=f"gate: FRR <= {gate['max_frr']:g} at FAR <= {gate['far']:g} "
                         f"({'passed' if gate['passed'] else 'failed'})")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(FLOOR, 1)
    ax.set_ylim(FLOOR, 1.05)
    ax.set_xlabel(f"false accept rate (0 drawn at {FLOOR:g})")
    ax.set_ylabel(f"false reject rate (0 drawn at {FLOOR:g})")
    ax.grid(True, which="both", alpha=0.3)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
