"""`tinyml compile`, `tinyml submit`, `tinyml schedule`: the pipeline on Kubeflow Pipelines v2.

The KFP bearer token comes from $TINYML_KFP_TOKEN or --token-file and is
never printed or logged.
"""
from __future__ import annotations

import datetime
import os
import tempfile
from pathlib import Path

import click

from cli.exit_codes import epilog
from tinyml.errors import TinymlError
from tinyml.runs.layout import DEFAULT_ROOT

IMAGE_ENV = "TINYML_IMAGE"
PIPELINE_ROOT_ENV = "TINYML_PIPELINE_ROOT"
HOST_ENV = "TINYML_KFP_HOST"

CONFIG_OPTION = click.option(
    "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Pipeline config (YAML). Default: the bundled digits example.")
IMAGE_OPTION = click.option(
    "--image", envvar=IMAGE_ENV, default=None,
    help=f"Component image (built from infra/Dockerfile, pushed where the cluster can pull it). Env: {IMAGE_ENV}.")
PIPELINE_ROOT_OPTION = click.option(
    "--pipeline-root", envvar=PIPELINE_ROOT_ENV, default=None,
    help=f"Where runs write artifacts, e.g. gs://bucket/tinyml. Env: {PIPELINE_ROOT_ENV}.")
DATA_ROOT_OPTION = click.option(
    "--data-root", default=None,
    help="Default of the data_root run parameter. Default: data.path of the config, or "
         "<pipeline root>/data/<example> for a bundled example.")
HOST_OPTION = click.option(
    "--host", envvar=HOST_ENV, required=True,
    help=f"KFP API endpoint, e.g. http://localhost:8080 (port-forwarded ml-pipeline-ui). Env: {HOST_ENV}.")
TOKEN_FILE_OPTION = click.option(
    "--token-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="File holding the KFP bearer token. Default: $TINYML_KFP_TOKEN; none for an open KFP.")
PACKAGE_OPTION = click.option(
    "--package", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="A compiled pipeline.json. Without it the pipeline is compiled now from --config/--image/--pipeline-root.")
PARAM_OPTION = click.option(
    "--param", "params", multiple=True, metavar="KEY=VALUE",
    help="Run parameter, repeatable: data_root=gs://..., targets=cortex-m4f,cortex-m7, "
         "epochs=N, batch_size=N, learning_rate=X, seed=N.")
EXPERIMENT_OPTION = click.option("--experiment", default="tinyml", show_default=True, help="KFP experiment.")
SERVICE_ACCOUNT_OPTION = click.option(
    "--service-account", default=None,
    help="Kubernetes service account the run's pods use (GCS access), e.g. tinyml-pipeline (infra/kubeflow).")


def _compile(config_path, image, pipeline_root, data_root, output: Path) -> dict:
    from tinyml.config import load_config

    config = load_config(config_path)
    if not pipeline_root:
        raise TinymlError("no pipeline root given", fix=f"pass --pipeline-root gs://bucket/path or set {PIPELINE_ROOT_ENV}")
    click.echo(f"compiling pipeline {config.name} for Kubeflow Pipelines (loading TFX)...", err=True)
    from pipelines.kubeflow_runner import DEFAULT_IMAGE, compile_kubeflow

    return compile_kubeflow(config, output, pipeline_root=pipeline_root, image=image or DEFAULT_IMAGE, data_root=data_root)


def _package(package, config_path, image, pipeline_root, data_root, workdir: Path):
    from tinyml.kubeflow.client import PipelinePackage

    if package is None:
        package = workdir / "pipeline.json"
        _compile(config_path, image, pipeline_root, data_root, package)
    return PipelinePackage.load(package)


def _client(host: str, token_file: Path | None):
    from tinyml.kubeflow.client import KfpClient, read_token

    return KfpClient(host, read_token(token_file))


@click.command("compile", epilog=epilog("compile"))
@click.option("--kubeflow", is_flag=True, help="Compile for Kubeflow Pipelines v2 (the only target).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=Path("pipeline.json"),
              show_default=True, help="Where to write the compiled PipelineJob JSON.")
@CONFIG_OPTION
@IMAGE_OPTION
@PIPELINE_ROOT_OPTION
@DATA_ROOT_OPTION
def compile(kubeflow, output, config_path, image, pipeline_root, data_root):  # noqa: A001 (the command's name)
    """Compile the pipeline for Kubeflow Pipelines (KubeflowV2DagRunner).

    Code is referenced by import path and runs from the component image; Beam
    args come from the config. Run parameters: data_root, targets,
    trainer_custom_config (see `tinyml submit --param`).
    """
    if not kubeflow:
        raise TinymlError("choose a compile target", fix="pass --kubeflow")
    job = _compile(config_path, image, pipeline_root, data_root, output)
    params = job["pipelineSpec"]["root"]["inputDefinitions"]["parameters"]
    click.echo(f"wrote {output} (pipeline {job['pipelineSpec']['pipelineInfo']['name']}, "
               f"root {job['runtimeConfig']['gcsOutputDirectory']})")
    for name, spec in params.items():
        click.echo(f"  parameter {name} = {spec.get('defaultValue')}")


def _upload_options(command):
    """The options of the commands that upload the pipeline (submit, schedule create)."""
    for option in reversed((PACKAGE_OPTION, CONFIG_OPTION, IMAGE_OPTION, PIPELINE_ROOT_OPTION, DATA_ROOT_OPTION,
                            SERVICE_ACCOUNT_OPTION, TOKEN_FILE_OPTION)):
        command = option(command)
    return command


def _upload(host, token_file, params, package, config_path, image, pipeline_root, data_root):
    """Compiles (or reads) the package, checks --param values and uploads it or a new version.

    Returns (package, parameter values, client, pipeline id, version id, what was done)."""
    with tempfile.TemporaryDirectory() as tmp:
        pkg = _package(package, config_path, image, pipeline_root, data_root, Path(tmp))
        values = pkg.resolve_params(params)
        client = _client(host, token_file)
        pipeline_id, version_id, what = client.ensure_pipeline_version(pkg, pkg.write_ir(Path(tmp)))
    return pkg, values, client, pipeline_id, version_id, what


@click.command("submit", epilog=epilog("submit"))
@HOST_OPTION
@EXPERIMENT_OPTION
@PARAM_OPTION
@click.option("--wait", is_flag=True, help="Wait for the run to end; exit non-zero unless it succeeded.")
@click.option("--timeout", type=click.IntRange(min=1), default=6 * 3600, show_default=True, help="Seconds --wait waits.")
@click.option("--poll", type=click.FloatRange(min=0), default=10.0, show_default=True, hidden=True)
@click.option("--run-name", default=None, help="Display name of the run. Default: <pipeline>-<UTC time>.")
@_upload_options
def submit(host, experiment, params, wait, timeout, poll, run_name, package, config_path, image, pipeline_root,
           data_root, service_account, token_file):
    """Upload the pipeline (a new version when it exists) and start a run on Kubeflow Pipelines.

    With --wait, print the final state and where the firmware artifacts are.
    """
    pkg, values, client, pipeline_id, version_id, what = _upload(
        host, token_file, params, package, config_path, image, pipeline_root, data_root)
    click.echo(f"pipeline {pkg.name}: {what} (pipeline {pipeline_id}, version {version_id})")
    name = run_name or f"{pkg.name}-{datetime.datetime.now(datetime.timezone.utc):%Y%m%d-%H%M%S}"
    run_id = client.create_run(pkg, pipeline_id, version_id, experiment, values, name, service_account)
    click.echo(f"run {run_id} started: {client.host}/#/runs/details/{run_id}")
    if not wait:
        return
    run = client.wait(run_id, timeout_s=timeout, poll_s=poll)
    state = (run.state or "").upper()
    click.echo(f"run {run_id}: {state}")
    if pkg.pipeline_root:
        _print_firmware(pkg.pipeline_root, pkg.name, run_id, state)
    if state != "SUCCEEDED":
        raise SystemExit(1)


def _print_firmware(pipeline_root: str, pipeline_name: str, run_id: str, state: str) -> None:
    from tinyml.kubeflow.client import run_root

    root = run_root(pipeline_root, pipeline_name, run_id)
    click.echo(f"artifacts: {root}/  (firmware: {root}/FirmwareBuilder/.../firmware/<target>/)")
    if state != "SUCCEEDED" or not root.startswith("gs://"):
        return
    from tinyml import gcs

    try:
        found = gcs.find_firmware(root)
    except TinymlError as e:  # the run succeeded; listing is a convenience
        click.echo(f"  (could not list the firmware: {e})", err=True)
        return
    for target, uri in sorted(found.items()):
        click.echo(f"  firmware {target}: {uri}/")
    if not found:
        click.echo("  no firmware released (no target passed its budget and verification)")


@click.group("schedule")
def schedule():
    """Recurring retraining: KFP recurring runs, or the local pipeline on a cron schedule."""


@schedule.command("create", epilog=epilog("schedule"))
@HOST_OPTION
@click.option("--cron", required=True, help='Standard 5-field cron, e.g. "0 3 * * 1" (Mondays 03:00, cluster time).')
@click.option("--max-concurrency", type=click.IntRange(min=1), default=1, show_default=True,
              help="Runs of this schedule allowed at once.")
@click.option("--name", default=None, help="Display name. Default: <pipeline>-retrain.")
@EXPERIMENT_OPTION
@PARAM_OPTION
@_upload_options
def schedule_create(host, cron, max_concurrency, name, experiment, params, package, config_path, image,
                    pipeline_root, data_root, service_account, token_file):
    """Create a KFP recurring run of the pipeline (uploading it, or a new version, first)."""
    from tinyml.kubeflow.client import kfp_cron

    kfp_cron(cron)  # a bad expression fails before anything is compiled or uploaded
    pkg, values, client, pipeline_id, version_id, what = _upload(
        host, token_file, params, package, config_path, image, pipeline_root, data_root)
    click.echo(f"pipeline {pkg.name}: {what} (version {version_id})")
    job = client.create_schedule(pkg, pipeline_id, version_id, experiment, name or f"{pkg.name}-retrain",
                                 cron, max_concurrency, values, service_account)
    click.echo(f"recurring run {job.recurring_run_id} created: '{cron}', max concurrency {max_concurrency}")


@schedule.command("list", epilog=epilog("schedule"))
@HOST_OPTION
@TOKEN_FILE_OPTION
def schedule_list(host, token_file):
    """List the KFP recurring runs: id, state, cron, name."""
    jobs = _client(host, token_file).list_schedules()
    if not jobs:
        click.echo("no recurring runs")
    for job in jobs:
        cron = job.trigger.cron_schedule.cron if job.trigger and job.trigger.cron_schedule else "-"
        state = job.status or job.mode or "-"
        click.echo(f"{job.recurring_run_id}  {state:<9} {cron:<16} {job.display_name}")


def _recurring_command(action: str, help_text: str):
    @schedule.command(action, help=help_text, epilog=epilog("schedule"))
    @click.argument("recurring_run_id")
    @HOST_OPTION
    @TOKEN_FILE_OPTION
    def command(recurring_run_id, host, token_file):
        getattr(_client(host, token_file), action)(recurring_run_id)
        click.echo(f"recurring run {recurring_run_id}: {action}d")

    return command


_recurring_command("pause", "Pause (disable) a KFP recurring run.")
_recurring_command("resume", "Resume (enable) a paused KFP recurring run.")
_recurring_command("delete", "Delete a KFP recurring run.")


@schedule.command("run-local", epilog=epilog("schedule"))
@click.option("--cron", required=True, help='Standard 5-field cron in local time, e.g. "0 3 * * 1".')
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_ROOT,
              show_default=True, help="Runs root, as for `tinyml run`; the lock file lives here.")
@CONFIG_OPTION
@click.option("--max-runs", type=click.IntRange(min=1), default=None,
              help="Stop after this many schedule slots (run or skipped). Default: run until stopped.")
def run_local_command(cron, root, config_path, max_runs):
    """Run the local pipeline on a cron schedule, in the foreground.

    Each run holds <root>/.tinyml-schedule.lock: a slot that finds it taken
    (another run still going) is skipped, so two runs never overlap.
    """
    from tinyml.config import load_config
    from tinyml.local_schedule import LOCK_NAME, check_cron, run_on_schedule

    check_cron(cron)
    config = load_config(config_path)

    def run_once():
        from pipelines.local_runner import run_local

        summary = run_local(config, root)
        click.echo(f"run {summary.run_id}: {summary.status}" + (f" ({summary.error})" if summary.error else ""))

    click.echo(f"pipeline {config.name} on '{cron}', runs root {root.resolve()} (pid {os.getpid()})")
    counts = run_on_schedule(cron, run_once, root / LOCK_NAME, max_slots=max_runs, echo=click.echo)
    click.echo(f"done: {counts['ran']} ran, {counts['skipped']} skipped")
