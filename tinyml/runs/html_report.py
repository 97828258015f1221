"""A run's report as one self-contained HTML file (report.html beside summary.json): Jinja2
templates, charts as inline SVG, no script and no network. `tinyml ui` serves the same pages."""
from __future__ import annotations

import base64
import functools
from collections.abc import Callable
from pathlib import Path

import jinja2
from markupsafe import Markup

from tinyml.runs import charts
from tinyml.runs.run_page import RunPage, gather
from tinyml.runs.layout import RunsLayout

OVERALL = "overall"  # tinyml.runs.evaluation.OVERALL, without TFMA's import


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("tinyml.runs", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )
    env.filters["bytes"] = lambda n: "—" if n is None else f"{n:,} B"
    env.filters["num"] = lambda v, digits=3: "—" if v is None or v != v else f"{v:.{digits}f}"
    env.filters["interval"] = interval
    env.filters["percent"] = lambda part, whole: 0 if not whole else min(100.0, 100.0 * part / whole)
    return env


def interval(bounds: list[float] | None, digits: int = 3) -> Markup:
    """' (low–high)' after a figure: its 95 % interval; nothing for a figure without one."""
    if not bounds:
        return Markup("")
    low, high = bounds
    return Markup(' <span class="interval" title="95 % confidence interval">({:.{d}f}–{:.{d}f})</span>').format(
        low, high, d=digits)


def _draw_now(chart: Callable[..., str], *args) -> str:
    return chart(*args)


def _quantization(conversion: dict | None, draw: Callable[..., str] = _draw_now) -> dict | None:
    """Float vs int8 from the converter's report: accuracy and its decrease per slice, both confusion matrices."""
    metrics = (conversion or {}).get("metrics")
    if not metrics:
        return None
    f, q = metrics["float"], metrics["int8"]
    names = [OVERALL, *sorted(f["per_slice"])]
    pick = lambda m, n: m[OVERALL] if n == OVERALL else m["per_slice"][n]  # noqa: E731
    drops = metrics["accuracy_decrease"]
    rows = [{
        "slice": n, "examples": pick(f, n)["count"],
        "float": pick(f, n)["accuracy"], "int8": pick(q, n)["accuracy"],
        # Reports written before intervals were measured have none.
        "float_interval": pick(f, n).get("accuracy_interval"), "int8_interval": pick(q, n).get("accuracy_interval"),
        "decrease": drops["overall"] if n == OVERALL else drops["per_slice"].get(n),
    } for n in names]
    return {
        "rows": rows,
        "chart": draw(charts.quantization_drop, *({r["slice"]: r[k] for r in rows}
                                                   for k in ("float", "int8", "float_interval", "int8_interval"))),
        "confusion_float": draw(charts.confusion, f[OVERALL]["confusion_matrix"], "float model"),
        "confusion_int8": draw(charts.confusion, q[OVERALL]["confusion_matrix"], "int8 model"),
    }


def _in_order(labels) -> list[str]:
    """Class labels in numeric order ('2' before '10')."""
    return sorted(set(labels), key=lambda c: (len(c), c))


def _feature_values(page: RunPage) -> dict[str, list[str]]:
    """{string feature: its values} over every split, most frequent first as TFDV lists them."""
    found: dict[str, list[str]] = {}
    for stats in page.statistics.values():
        for feature, counts in stats.values.items():
            values = found.setdefault(feature, [])
            values += [v for v in counts if v not in values]
    return found


def _data_uri(path: Path | None) -> str | None:
    return None if path is None else "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()


def context(page: RunPage, draw: Callable[..., str] = _draw_now) -> dict:
    """`draw(chart, *args)` draws each chart: charts.cached reuses one drawn before from the same inputs."""
    s = page.summary
    metrics = s.get("metrics") or {}
    return {
        "page": page,
        "s": s,
        "metrics": metrics,
        "classes": _in_order(metrics.get(OVERALL, {}).get("per_class", {})),
        "features": _feature_values(page),
        "labels": _in_order(c for counts in ((page.split_check or {}).get("label_counts") or {}).values() for c in counts),
        "slice_chart": draw(charts.slice_metrics, metrics) if metrics else None,
        "quantization": _quantization(page.conversion, draw),
        "confusion_evaluator": draw(charts.confusion, s["confusion_matrix"], "Evaluator (float, TFMA)")
        if s.get("confusion_matrix") else None,
        "kws": s.get("kws"),
        "det_plot": _data_uri(page.image(s["kws"]["det_plot"])) if s.get("kws") else None,
        "lineage": next((m.lineage for m in page.manifests.values() if m.lineage), {}),
        "drift_chart": draw(charts.drift, page.drift["measurements"]) if page.drift and page.drift["measurements"] else None,
        "op_charts": {t: draw(charts.op_profile, [o.model_dump(mode="json") for o in m.op_profile])
                      for t, m in page.manifests.items() if m.op_profile},
    }


def render(page: RunPage, ui: bool = False, draw: Callable[..., str] = _draw_now) -> str:
    """The report's HTML; `ui`: as `tinyml ui` serves it (navigation, firmware download links)."""
    return environment().get_template("report.html").render(**context(page, draw), ui=ui)


def write_html_report(layout: RunsLayout, pipeline: str, run_id: str) -> Path:
    """report.html of the run; its charts come from the runs root's chart cache when drawn before."""
    path = layout.html_report_path(pipeline, run_id)
    path.write_text(render(gather(layout, pipeline, run_id), draw=functools.partial(charts.cached, layout.chart_cache_dir)))
    return path
