"""`tinyml report` and `tinyml ui`: a run's HTML report, and the runs root in a browser."""
from __future__ import annotations

from pathlib import Path

import click

from cli.exit_codes import epilog
from cli.run_cmd import ROOT_OPTION


@click.command(epilog=epilog("report"))
@click.argument("run_id")
@ROOT_OPTION
@click.option("--pipeline", help="Pipeline name, when the root holds several runs with this id.")
def report(run_id: str, root: Path, pipeline: str | None) -> None:
    """Write RUN_ID's HTML report (report.html beside its summary.json) from what the runs root holds now."""
    from tinyml.runs.html_report import write_html_report
    from tinyml.runs.layout import RunsLayout
    from tinyml.runs.run_page import find_run

    layout = RunsLayout(root.resolve())
    path = write_html_report(layout, find_run(layout, run_id, pipeline), run_id)
    click.echo(f"wrote {path}\nopen it: {path.as_uri()}")


@click.command(epilog=epilog("ui"))
@ROOT_OPTION
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535), help="Port on 127.0.0.1.")
@click.option("--store", metavar="DIR|gs://BUCKET/PATH",
              help="Release store to list and serve (default: <root>/releases).")
def ui(root: Path, port: int, store: str | None) -> None:
    """Serve the runs, their reports, two runs compared, the releases and firmware downloads
    (every sha256 checked, as `tinyml firmware pull` does) on http://127.0.0.1:PORT/. Read-only."""
    import uvicorn

    from tinyml.ui.app import create_app

    click.echo(f"serving {root.resolve()} on http://127.0.0.1:{port}/ (Ctrl-C stops)")
    try:
        uvicorn.run(create_app(root, store), host="127.0.0.1", port=port, log_level="warning")
    except KeyboardInterrupt:
        raise click.exceptions.Abort() from None
