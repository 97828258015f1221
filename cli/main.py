"""Entry point of the `tinyml` console script.

Commands are imported lazily: `tinyml --help` must not pay TensorFlow's
start-up cost, and one broken command module must not take the others down.
"""
import atexit
import importlib
import os
import sys
import threading

# TFT/TFMA 1.16 need Keras 2; the switch only works before TensorFlow is
# imported, so it is set here, before any command module loads.
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import click  # noqa: E402

from tinyml.errors import TinymlError  # noqa: E402

# command name -> (module, attribute, one-line help)
COMMANDS = {
    "run": ("cli.run_cmd", "run", "Run the pipeline locally (LocalDagRunner, SQLite ML Metadata)."),
    "runs": ("cli.runs_cmd", "runs", "List local runs: status, blessing, firmware per target."),
    "convert": ("cli.convert_cmd", "convert", "Convert a SavedModel/Keras model to a full-int8 .tflite."),
    "inspect": ("cli.convert_cmd", "inspect", "Show a .tflite model's ops, sizes, memory plan and target verdicts."),
    "firmware": ("cli.firmware_cmd", "firmware", "Build, run and pull firmware."),
    "compile": ("cli.kubeflow_cmd", "compile", "Compile the pipeline for Kubeflow Pipelines."),
    "submit": ("cli.kubeflow_cmd", "submit", "Submit a run to Kubeflow Pipelines."),
    "schedule": ("cli.kubeflow_cmd", "schedule", "Recurring retraining runs (Kubeflow or local)."),
    "releases": ("cli.runs_cmd", "releases", "List firmware releases."),
    "report": ("cli.report_cmd", "report", "Write a run's HTML report again (report.html)."),
    "ui": ("cli.report_cmd", "ui", "Serve the runs, their reports and firmware on 127.0.0.1 (read-only)."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return [name for name in COMMANDS if self._available(name)]

    def _available(self, name):
        module = COMMANDS[name][0]
        return importlib.util.find_spec(module) is not None

    def get_command(self, ctx, name):
        if name not in COMMANDS or not self._available(name):
            return None
        module, attr, _ = COMMANDS[name]
        return getattr(importlib.import_module(module), attr)

    def format_commands(self, ctx, formatter):
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        if not rows:
            return
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
def cli():
    """The open TinyML pipeline: sensor data to verified microcontroller firmware."""


def main(argv=None):
    try:
        _main(argv)
    except SystemExit as e:
        if argv is None:
            _end_process(e.code)
        raise
    if argv is None:
        _end_process(None)


def _end_process(code) -> None:
    """Ends the `tinyml` process (main() on its own command line) after a command that loaded
    TensorFlow without the interpreter's teardown, which frees the million objects TensorFlow,
    TFX and Beam made one by one: over a CPU second after the last output. Exit handlers still
    run; with another thread still going, the ordinary exit waits for it."""
    if "tensorflow" not in sys.modules or any(not t.daemon for t in threading.enumerate()
                                              if t is not threading.main_thread()):
        return
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)  # as the interpreter does for sys.exit("message")
        code = 1
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code or 0)


def _main(argv):
    try:
        # Without standalone mode click returns, rather than exits with, the code of
        # click.exceptions.Exit (or a command's return value): it must become the status.
        code = cli.main(args=argv, prog_name="tinyml", standalone_mode=False)
    except TinymlError as e:
        click.secho(f"error: {e}", fg="red", err=True)
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    if isinstance(code, int) and not isinstance(code, bool):
        sys.exit(code)


if __name__ == "__main__":
    main()
