"""`tinyml runs` and `tinyml releases`: what ran locally, and what was released."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from cli.exit_codes import epilog
from cli.run_cmd import ROOT_OPTION
from tinyml.runs.layout import RunsLayout
from tinyml.runs.listing import run_rows

PIPELINE_OPTION = click.option("--pipeline", help="Only this pipeline (default: every pipeline under the root).")


@click.command(epilog=epilog("runs"))
@ROOT_OPTION
@PIPELINE_OPTION
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1), help="Newest runs per pipeline.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def runs(root: Path, pipeline: str | None, limit: int, as_json: bool) -> None:
    """List local runs, newest first: status, blessing, firmware per target, span and release."""
    from rich.table import Table

    from tinyml.errors import TinymlError

    if not RunsLayout(root).metadata_dir.is_dir():
        raise TinymlError(f"no runs under {root.resolve()}", fix="run the pipeline with `tinyml run --root DIR` first")
    rows = run_rows(root, pipeline, limit)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table(title=f"runs under {root.resolve()}", title_justify="left")
    for col in ("pipeline", "run id", "status", "blessed", "span", "firmware"):
        table.add_column(col, no_wrap=True)
    table.add_column("release")
    for r in rows:
        blessed = {True: "[green]yes[/]", False: "[red]no[/]", None: "—"}[r["blessed"]]
        # The first reason only: the run report and --json have all of them.
        why = " ".join((r["not_released"] or "").split(";")[0].split())
        release = str(r["release"]) if r["release"] else (f"[red]none[/]: {why[:100]}" if r["not_released"] else "—")
        if r["error"]:
            release = f"[red]none[/]: {' '.join(r['error'].split(chr(10))[0].split())[:100]}"
        table.add_row(r["pipeline"], r["run_id"], r["status"], blessed, "—" if r["span"] is None else str(r["span"]),
                      ", ".join(r["firmware"]) or "—", release)
    _console().print(table)


def _console():
    from rich.console import Console

    # Piped output gets a wide page rather than rich's 80-column default.
    return Console() if sys.stdout.isatty() else Console(width=200)


@click.command(epilog=epilog("releases"))
@ROOT_OPTION
@click.option("--store", metavar="DIR|gs://BUCKET/PATH",
              help="Release store: a folder or a gs:// URI (default: <root>/releases).")
@PIPELINE_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the release records as JSON.")
def releases(root: Path, store: str | None, pipeline: str | None, as_json: bool) -> None:
    """List releases, newest first: version, time, run, spans, accuracy and its change, firmware."""
    from rich.table import Table

    from tinyml.releases.store import ReleaseStore, pipelines_in

    store = store or str(RunsLayout(root).releases_dir)
    stores = [ReleaseStore(store, name) for name in ([pipeline] if pipeline else pipelines_in(store))]
    records = [s.get(v).record for s in stores for v in reversed(s.versions())]
    where = store if "://" in store else Path(store).resolve()
    if as_json:
        click.echo(json.dumps(records, indent=2))
        return
    if not records:
        click.echo(f"no releases in {where}")
        return
    table = Table(title=f"releases in {where}", title_justify="left")
    for col in ("pipeline", "version", "time", "run id", "spans", "accuracy", "change", "firmware"):
        table.add_column(col)
    for r in records:
        overall = r.get("metrics", {}).get("overall", {})
        change = r.get("change_vs_previous", {}).get("overall", {}).get("accuracy")
        table.add_row(
            r["pipeline"], str(r["version"]), r["time"], str(r.get("run_id")), ", ".join(map(str, r.get("spans", []))),
            f"{overall['accuracy']:.4f}" if "accuracy" in overall else "—",
            f"{change:+.4f} vs {r['previous_version']}" if change is not None else "—",
            ", ".join(sorted(r.get("firmware", {}))),
        )
    _console().print(table)
