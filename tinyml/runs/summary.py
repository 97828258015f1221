"""What a run did, read back from ML Metadata: per component state and time,
the Evaluator's metrics, and the blessing with its reasons."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2

from tinyml import node_ids
from tinyml.runs import run_marker

_STATES = {
    metadata_store_pb2.Execution.COMPLETE: "complete",
    metadata_store_pb2.Execution.CACHED: "cached",
    metadata_store_pb2.Execution.FAILED: "failed",
    metadata_store_pb2.Execution.RUNNING: "running",
    metadata_store_pb2.Execution.CANCELED: "canceled",
    metadata_store_pb2.Execution.NEW: "new",
}


@dataclass
class ComponentRun:
    node_id: str
    state: str
    seconds: float
    outputs: dict[str, list[metadata_store_pb2.Artifact]] = field(default_factory=dict)
    # Measured in the process that ran it (pipelines.run_progress.UsageMeter); None when not known.
    cpu_s: float | None = None
    peak_rss_mb: float | None = None


@dataclass
class RunSummary:
    pipeline: str
    run_id: str
    components: list[ComponentRun]
    error: str | None = None
    # From the run's marker: every node of the pipeline (None: not known), and whether its process still runs.
    planned: tuple[str, ...] | None = None
    live: bool = False

    @property
    def status(self) -> str:
        """succeeded only when every node completed (or was cached); a killed run is interrupted.

        Without a marker a RUNNING execution may belong to a live or a dead process: incomplete."""
        if self.error or any(c.state == "failed" for c in self.components):
            return "failed"
        if self.live:
            return "running"
        if self.unfinished:
            return "interrupted" if self.planned is not None else "incomplete"
        return "succeeded"

    @property
    def unfinished(self) -> list[str]:
        """Nodes without a finished execution: the ones left running first, then those never started."""
        started = [c.node_id for c in self.components if c.state not in ("complete", "cached")]
        seen = {c.node_id for c in self.components}
        return [*started, *(n for n in self.planned or () if n not in seen)]

    def component(self, node_id: str) -> ComponentRun | None:
        return next((c for c in self.components if c.node_id == node_id), None)

    def examples(self) -> metadata_store_pb2.Artifact | None:
        """ExampleGen's examples (CSV, TFRecord or WAV input)."""
        return next(filter(None, (self.output(node, "examples") for node in (
            node_ids.CSV_EXAMPLE_GEN, node_ids.IMPORT_EXAMPLE_GEN, node_ids.WAV_EXAMPLE_GEN))), None)

    def output(self, node_id: str, key: str) -> metadata_store_pb2.Artifact | None:
        c = self.component(node_id)
        artifacts = c.outputs.get(key, []) if c else []
        return artifacts[0] if artifacts else None


def open_store(metadata_path: Path) -> metadata_store.MetadataStore:
    config = metadata_store_pb2.ConnectionConfig()
    config.sqlite.filename_uri = str(metadata_path)
    config.sqlite.connection_mode = metadata_store_pb2.SqliteMetadataSourceConfig.READONLY
    return metadata_store.MetadataStore(config)


def _output_artifacts(store, execution_id: int) -> dict[str, list[metadata_store_pb2.Artifact]]:
    events = [e for e in store.get_events_by_execution_ids([execution_id]) if e.type == metadata_store_pb2.Event.OUTPUT]
    by_id = {a.id: a for a in store.get_artifacts_by_id([e.artifact_id for e in events])}
    outputs: dict[str, list] = {}
    for e in events:
        key = next((s.key for s in e.path.steps if s.HasField("key")), "")
        outputs.setdefault(key, []).append(by_id[e.artifact_id])
    return outputs


def summarize_run(metadata_path: Path, pipeline: str, run_id: str, marker: Path | None = None) -> RunSummary:
    """`marker`: the run's marker file (RunsLayout.run_marker), which tells interrupted runs apart."""
    summary = _summarize(metadata_path, pipeline, run_id)
    found = run_marker.read(marker) if marker else None
    if found is not None:
        summary.planned, summary.live = found.nodes, found.live
    return summary


def _summarize(metadata_path: Path, pipeline: str, run_id: str) -> RunSummary:
    store = open_store(metadata_path)
    run_ctx = store.get_context_by_type_and_name("pipeline_run", run_id)
    if run_ctx is None:
        return RunSummary(pipeline, run_id, [])
    node_type = store.get_context_type("node").id
    components = []
    for ex in sorted(store.get_executions_by_context(run_ctx.id), key=lambda e: (e.create_time_since_epoch, e.id)):
        nodes = [c.name for c in store.get_contexts_by_execution(ex.id) if c.type_id == node_type]
        node_id = nodes[0].split(".", 1)[-1] if nodes else ex.name
        seconds = max(0, ex.last_update_time_since_epoch - ex.create_time_since_epoch) / 1000
        components.append(
            ComponentRun(node_id, _STATES.get(ex.last_known_state, "unknown"), seconds, _output_artifacts(store, ex.id))
        )
    return RunSummary(pipeline, run_id, components)


def latest_run_ids(metadata_path: Path, limit: int = 20) -> list[str]:
    """Run ids, newest first."""
    if not Path(metadata_path).exists():
        return []
    store = open_store(metadata_path)
    runs = store.get_contexts_by_type("pipeline_run")
    return [c.name for c in sorted(runs, key=lambda c: c.create_time_since_epoch, reverse=True)[:limit]]
