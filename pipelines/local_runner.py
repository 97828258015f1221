"""Runs the pipeline on this machine: LocalDagRunner, SQLite ML Metadata."""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from tfx.dsl.compiler import compiler
from tfx.dsl.compiler import constants
from tfx.orchestration.portable import runtime_parameter_utils

from pipelines.tfx_api import tfx
from pipelines.data_location import data_location
from pipelines.data_prep import prepare_data
from pipelines.run_progress import ExecutionWatcher
from tinyml.runs import run_marker
from tinyml.runs.layout import RunsLayout, new_run_id
from pipelines.pipeline import create_pipeline
from tinyml.runs.summary import RunSummary, summarize_run
from tinyml.config import PipelineConfig
from tinyml.keras_tracing import keep_autograph_out_of_keras


def build_local_pipeline(
    config: PipelineConfig, root: Path, data_path: Path | None = None
) -> tuple[tfx.dsl.Pipeline, RunsLayout]:
    """`data_path`: what `prepare_data` returned, when the caller checked the data already."""
    layout = RunsLayout(Path(root).resolve())
    if data_path is None:  # else the caller has prepared and checked it
        prepare_data(config, layout.root)
    data_root, pattern = data_location(config, str(layout.root), on_this_machine=True)
    metadata_path = layout.metadata_path(config.name)
    metadata_path.parent.mkdir(parents=True, exist_ok=True)
    schema = config.schema_file()
    pipeline = create_pipeline(
        config,
        pipeline_root=str(layout.pipeline_root(config.name)),
        data_root=data_root,
        input_pattern=pattern,
        schema_path=str(schema) if schema else None,
        metadata_connection_config=tfx.orchestration.metadata.sqlite_metadata_connection_config(str(metadata_path)),
        # Only the config's: with any Beam args, every Beam-based executor first
        # copies TFX's installation and builds an sdist of it for remote workers
        # (tfx.utils.dependency_utils), seconds per component that the local
        # DirectRunner never uses. Its defaults run in this process, one worker.
        beam_pipeline_args=list(config.beam_args),
        release_store=config.release_store(layout.releases_dir) if config.release else None,
    )
    return pipeline, layout


def run_local(
    config: PipelineConfig,
    root: Path,
    on_event: Callable[[str, str], None] | None = None,
    run_id: str | None = None,
    data_path: Path | None = None,
) -> RunSummary:
    """Runs the whole pipeline once. Failures are recorded in the summary, not raised,
    so the caller can show what ran; bad input found before the run raises TinymlError."""
    pipeline, layout = build_local_pipeline(config, root, data_path)
    # Every component runs in this process: the Evaluator and the converter load the Keras model
    # too, also when the Trainer was cached (its run_fn sets the same rule where it runs alone).
    keep_autograph_out_of_keras()
    ir = compiler.Compiler().compile(pipeline)
    run_id = run_id or new_run_id()
    # Our own run id, so the summary can find this run in ML Metadata.
    runtime_parameter_utils.substitute_runtime_parameter(ir, {constants.PIPELINE_RUN_ID_PARAMETER_NAME: run_id})

    watcher = None
    if on_event:
        watcher = ExecutionWatcher(layout.metadata_path(config.name), config.name, run_id, on_event)
        watcher.start()
    error = None
    start = time.monotonic()
    marker = layout.run_marker(config.name, run_id)
    nodes = [n.pipeline_node.node_info.id for n in ir.nodes if not n.pipeline_node.execution_options.HasField("skip")]
    try:
        with run_marker.hold(marker, nodes):
            tfx.orchestration.LocalDagRunner().run_with_ir(ir)
    except Exception as e:  # any component failure: summarise what ran, then report it
        error = f"{type(e).__name__}: {e}"
    finally:
        if watcher:
            watcher.stop()
    summary = summarize_run(layout.metadata_path(config.name), config.name, run_id, marker)
    if watcher:
        for c in summary.components:
            if usage := watcher.meter.usage.get(c.node_id):
                c.cpu_s, c.peak_rss_mb = usage.cpu_s, usage.peak_rss_mb
    summary.error = error
    summary.wall_seconds = time.monotonic() - start
    return summary
