"""`tinyml run`: the whole pipeline on this machine, with progress and a summary."""
from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path

import click

from cli.exit_codes import epilog
from cli.model_options import profiles_option
from tinyml.runs.layout import DEFAULT_ROOT, HTML_REPORT_FILE, SUMMARY_FILE

ROOT_OPTION = click.option(
    "--root", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_ROOT, show_default=True,
    help="Runs root: pipeline artifacts, ML Metadata (SQLite), reports, exported example data.",
)


class _Progress:
    """One line per component: on a terminal a spinner while it runs and its time when
    done; elsewhere (CI logs, nohup, a file) plain lines, flushed, when it starts and ends."""

    def __init__(self, console):
        self.console = console
        self.plain = not console.is_terminal
        self.started: dict[str, float] = {}
        self.status = None

    def __call__(self, node_id: str, event: str) -> None:
        if event == "running":
            self.started[node_id] = time.monotonic()
            if self.plain:
                self._line(f"{node_id} running")
                return
            if self.status is None:
                self.status = self.console.status("")
                self.status.start()
            self.status.update(f"[bold]{node_id}[/] running... ({len(self.started)} started)")
        else:  # finished or failed
            took = time.monotonic() - self.started.get(node_id, time.monotonic())
            if self.plain:
                self._line(f"{node_id} {event} in {took:.1f} s")
            else:
                mark = "[green]✓[/]" if event == "finished" else "[red]✗[/]"
                self.console.print(f"  {mark} {node_id:<32} {took:6.1f} s")

    def _line(self, text: str) -> None:
        self.console.file.write(f"{text}\n")
        self.console.file.flush()

    def stop(self) -> None:
        if self.status is not None:
            self.status.stop()


def _fmt(v: float) -> str:
    return "—" if v != v else f"{v:.3f}"  # NaN for a metric with no examples


def _print_kws(console, kws: dict) -> None:
    """The int8 model's false rejects and accepts per keyword at the operating threshold, and the gate."""
    from rich.markup import escape
    from rich.table import Table

    names, op = kws["class_names"], kws["int8"]
    table = Table(title=f"keyword spotting (int8 model, eval split, threshold {kws['threshold']:g})",
                  title_justify="left")
    for col in ("keyword", "clips", "false rejects", "FRR", "false accepts", "FAR"):
        table.add_column(col, justify="left" if col == "keyword" else "right")
    for k, m in op["per_keyword"].items():
        table.add_row(names[int(k)] if names else k, str(m["clips"]), str(m["false_rejects"]), _fmt(m["frr"]),
                      f"{m['false_accepts']} of {m['other_clips']}", _fmt(m["far"]))
    table.add_row("average", "", "", _fmt(op["average"]["frr"]), "", _fmt(op["average"]["far"]))
    console.print(table)
    gate = kws["gate"]
    if gate:
        frr = ", ".join(f"{k} {v:.3f}" for k, v in gate["frr"].items())
        verdict = "[green]passed[/]" if gate["passed"] else "[red]failed: firmware not blessed[/]"
        console.print(f"FRR at FAR <= {gate['far']:g} (limit {gate['max_frr']:g}; {frr}): {verdict}")
        for reason in gate["reasons"]:
            console.print(f"  - {escape(reason)}")


def print_report(console, report) -> None:
    from rich.markup import escape
    from rich.table import Table

    s = report.summary
    colour = "green" if s.status == "succeeded" else "red"
    console.print(f"\nrun [bold]{s.run_id}[/] of pipeline [bold]{s.pipeline}[/]: [{colour}]{s.status}[/]")
    table = Table(title="components", title_justify="left")
    for col in ("component", "state", "seconds"):
        table.add_column(col, justify="right" if col == "seconds" else "left")
    for c in s.components:
        style = {"failed": "red", "cached": "cyan"}.get(c.state, "")
        table.add_row(c.node_id, f"[{style}]{c.state}[/]" if style else c.state, f"{c.seconds:.1f}")
    console.print(table)
    if report.slices:
        metrics = Table(title="evaluation (eval split; precision/recall/F1 are macro averages)", title_justify="left")
        for col in ("slice", "examples", "accuracy", "precision", "recall", "F1"):
            metrics.add_column(col, justify="left" if col == "slice" else "right")
        for name, m in report.slices.items():
            metrics.add_row(name, str(m.example_count), *map(_fmt, (m.accuracy, m.precision, m.recall, m.f1)))
        console.print(metrics)
    if report.blessed is not None:
        verdict = "[green]blessed[/]" if report.blessed else "[red]not blessed[/]"
        console.print(f"model: {verdict}")
        for reason in report.blessing_reasons:
            console.print(f"  - {reason}")
    if report.kws:
        _print_kws(console, report.kws)
    if report.spans:
        console.print(f"data: span {', '.join(map(str, report.spans))}")
    if report.split_check and report.split_check["problems"]:
        console.print("[yellow]data split: warned[/] (data.split.check: warn):")
        for problem in report.split_check["problems"]:
            console.print(f"  - {escape(problem)}")
    if report.ingestion:
        ing = report.ingestion
        console.print(f"audio: {ing['files']} WAV files, {ing['cropped']} cropped and {ing['padded']} padded "
                      f"to {ing['clip_samples']} samples")
    if report.release is not None:
        rel = report.release
        if rel["released"]:
            console.print(f"[green]release {rel['version']}[/]: {rel['path']}")
        else:
            console.print("[red]no release[/]:")
            for reason in rel["reasons"]:
                console.print(f"  - {reason}")
    for target, fw in report.firmware.items():
        console.print(f"firmware [bold]{target}[/]: flash {fw['flash_bytes']:,} / {fw['flash_budget_bytes']:,} B, "
                      f"RAM {fw['ram_bytes']:,} / {fw['ram_budget_bytes']:,} B: {fw['directory']}")
    if report.directory:
        console.print(f"report: {report.directory / SUMMARY_FILE}" + (f", plot: {report.directory / 'metrics.png'}" if report.slices else ""))
        if report.kws:
            console.print(f"DET plot: {report.directory / report.kws['det_plot']}")
        if (report.directory / HTML_REPORT_FILE).is_file():
            console.print(f"open the report: {(report.directory / HTML_REPORT_FILE).as_uri()}")
    if report.log:
        console.print(f"log: {report.log}")
    if s.error:
        # Messages hold '[train]'-style tags that rich would take for markup.
        console.print(f"[red]error:[/] {escape(s.error)}")


@click.command(epilog=epilog("run"))
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Pipeline config (YAML). Default: the bundled digits example.")
@ROOT_OPTION
@click.option("--verbose", is_flag=True,
              help="Show TensorFlow's, TFX's and Beam's own output; without it, it goes to the run's run.log.")
@profiles_option
def run(config_path: Path | None, root: Path, verbose: bool, profiles_file: Path | None) -> None:
    """Run the pipeline locally (LocalDagRunner, SQLite ML Metadata) and summarise the run.

    An unchanged re-run hits TFX's cache.
    """
    from rich.console import Console

    from pipelines.data_prep import prepare_data
    from tinyml.config import load_config
    from tinyml.profiles import overridden
    from cli.run_log import output_to
    from tinyml.runs.layout import RunsLayout, new_run_id

    # Progress lines whole, never broken at 80 columns (a long runs root would split a line in CI logs).
    console = Console(stderr=True, soft_wrap=True)
    config = load_config(config_path, profiles=profiles_file)
    for name in overridden(config.user_profiles()):
        console.print(f"target profile '{name}' from {config.profiles_file()} replaces the bundled one")
    layout = RunsLayout(root.resolve())
    console.print(f"pipeline [bold]{config.name}[/], runs root {layout.root}")
    # Before TensorFlow loads (a minute under load), so bad input is refused in seconds.
    data_path = prepare_data(config, layout.root)
    run_id = new_run_id()
    log = None if verbose else layout.run_log(config.name, run_id)
    with contextlib.nullcontext(sys.stderr) if verbose else output_to(log) as terminal:
        console = Console(file=terminal, soft_wrap=True)
        if not console.is_terminal:
            console.print("loading TensorFlow and TFX...")
        with console.status("loading TensorFlow and TFX..."):
            from pipelines.local_runner import run_local
            from tinyml.runs.report import build_report, write_report

        progress = _Progress(console)
        try:
            summary = run_local(config, layout.root, on_event=progress, run_id=run_id, data_path=data_path)
        finally:
            progress.stop()
        report = build_report(summary, config)
        if config.data.format == "wav":
            from pipelines.data_prep import ingestion_dir
            from tinyml.audio.wav_folder import read_ingestion

            report.ingestion = read_ingestion(ingestion_dir(config, layout.root))
        report.log = log
        write_report(report, layout.reports_dir(config.name, summary.run_id))
        from tinyml.runs.html_report import write_html_report

        write_html_report(layout, config.name, summary.run_id)
    print_report(Console(), report)
    if summary.status != "succeeded":
        raise SystemExit(1)
